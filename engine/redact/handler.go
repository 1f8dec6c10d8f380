package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler is a slog.Handler that masks a record before the handler it
// wraps formats it: the message, every attribute's key and string value
// (also in groups, nested ones, and attributes added with WithAttrs), the
// text of errors, and any other value whose printed form would show a
// number to mask (an ID number logged as an int64, a struct holding one),
// which is then logged as its masked text. Numbers, times and the like
// that hold nothing to mask are passed on unchanged, so the JSON format
// keeps its types.
type Handler struct {
	inner slog.Handler
}

// NewHandler returns a Handler that masks into inner.
func NewHandler(inner slog.Handler) *Handler { return &Handler{inner: inner} }

// Enabled reports whether inner handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle masks r and passes it to inner.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs masks attrs and adds them to inner.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{inner: h.inner.WithAttrs(maskAttrs(attrs))}
}

// WithGroup opens a group in inner.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(Mask(name))}
}

func maskAttrs(attrs []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = maskAttr(a)
	}
	return out
}

func maskAttr(a slog.Attr) slog.Attr {
	a.Key = Mask(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Mask(v.String()))
	case slog.KindGroup:
		a.Value = slog.GroupValue(maskAttrs(v.Group())...)
	case slog.KindInt64, slog.KindUint64:
		a.Value = maskedIfChanged(v, v.String())
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(Mask(x.Error()))
		case []byte:
			a.Value = maskedIfChanged(v, string(x))
		default:
			a.Value = maskedIfChanged(v, fmt.Sprintf("%+v", x))
		}
	default: // bool, float, duration, time: nothing to mask
		a.Value = v
	}
	return a
}

// maskedIfChanged returns v, or the masked text of its printed form s
// when masking changes it.
func maskedIfChanged(v slog.Value, s string) slog.Value {
	if m := Mask(s); m != s {
		return slog.StringValue(m)
	}
	return v
}
