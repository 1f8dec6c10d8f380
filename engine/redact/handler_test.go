package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const testID = "340799198707273470"

type person struct {
	ID   string
	Name string
}

type idValuer struct{}

func (idValuer) LogValue() slog.Value { return slog.StringValue("id " + testID) }

// TestHandler logs an ID number in every place a record can hold one, in
// text and JSON, and checks it never reaches the output whole.
func TestHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			var inner slog.Handler = slog.NewTextHandler(&out, opts)
			if format == "json" {
				inner = slog.NewJSONHandler(&out, opts)
			}
			logger := slog.New(NewHandler(inner))
			logger = logger.With("with_attr", "w "+testID).WithGroup("g").With(slog.Group("inner_group", "deep", testID))
			logger.Debug("row "+testID+" quarantined",
				"str", testID,
				"err", fmt.Errorf("read: %w", errors.New("bad id "+testID)),
				"int", int64(340799198707273470),
				"struct", person{ID: testID, Name: "x"},
				"valuer", idValuer{},
				"bytes", []byte(testID),
				slog.Group("grp", "nested", testID, slog.Group("deeper", "id", fullWidth(testID))),
				"rows", 1105, "ok", true,
				testID, "as a key",
			)
			got := out.String()
			if strings.Contains(got, testID) || strings.Contains(got, fullWidth(testID)) || strings.Contains(got, "1987072734") {
				t.Fatalf("an ID number reached the log:\n%s", got)
			}
			if n := strings.Count(got, "340799********3470"); n < 10 {
				t.Errorf("%d masked IDs in the log, want one per place (10 or more):\n%s", n, got)
			}
			if format == "json" {
				var rec map[string]any
				if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, got)
				}
				g := rec["g"].(map[string]any)
				if g["rows"] != float64(1105) || g["ok"] != true {
					t.Errorf("values without an ID lost their type: rows %#v ok %#v", g["rows"], g["ok"])
				}
			}
		})
	}
}

func TestHandlerEnabled(t *testing.T) {
	h := NewHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(t.Context(), slog.LevelInfo) || !h.Enabled(t.Context(), slog.LevelError) {
		t.Error("Enabled does not follow the inner handler")
	}
}
