package sqlsrc

import (
	"bytes"
	"strconv"
	"time"
)

// PostgreSQL type OIDs whose text form is rewritten. Every other type is
// passed through as the server writes it (DateStyle ISO, bytea_output hex,
// set at connect): text, varchar, integers, numeric (never an exponent),
// uuid, json, time, intervals, arrays.
const (
	oidBool        = 16
	oidBytea       = 17
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidOID         = 26
	oidFloat4      = 700
	oidFloat8      = 701
	oidDate        = 1082
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
)

// render appends a non-NULL value in its text form, as lipwatch writes it,
// to dst. src is the server's text output for the column's type.
type render func(dst, src []byte) []byte

// renderFor picks the rendering of a column by its type.
func renderFor(oid uint32) render {
	switch oid {
	case oidBool:
		return renderBool
	case oidBytea:
		return renderBytea
	case oidFloat4:
		return renderFloat(32)
	case oidFloat8:
		return renderFloat(64)
	case oidTimestamp:
		return renderTimestamp
	case oidTimestamptz:
		return renderTimestamptz
	default:
		return renderAsIs
	}
}

func renderAsIs(dst, src []byte) []byte { return append(dst, src...) }

// renderBool writes true and false for the server's t and f.
func renderBool(dst, src []byte) []byte {
	switch string(src) {
	case "t":
		return append(dst, "true"...)
	case "f":
		return append(dst, "false"...)
	}
	return append(dst, src...)
}

// renderBytea writes lowercase hex without the server's \x prefix.
func renderBytea(dst, src []byte) []byte {
	return append(dst, bytes.TrimPrefix(src, []byte(`\x`))...)
}

// renderFloat writes a float without an exponent: the server writes 1e+20
// and 1.5e-07, which a decimal parser downstream may not take. The digits
// are the shortest that read back to the same float; NaN and Infinity pass.
func renderFloat(bits int) render {
	return func(dst, src []byte) []byte {
		if bytes.IndexAny(src, "eE") < 0 || bytes.Contains(src, []byte("Infinity")) {
			return append(dst, src...)
		}
		f, err := strconv.ParseFloat(string(src), bits)
		if err != nil {
			return append(dst, src...)
		}
		return strconv.AppendFloat(dst, f, 'f', -1, bits)
	}
}

// renderTimestamp turns "2026-03-05 10:00:00.5" into
// "2026-03-05T10:00:00.5": RFC 3339's form without an offset, since a
// timestamp without time zone has none. infinity and BC dates pass as they
// are, for the dataset layer to reject.
func renderTimestamp(dst, src []byte) []byte {
	if bytes.HasSuffix(src, []byte(" BC")) {
		return append(dst, src...)
	}
	sp := bytes.IndexByte(src, ' ')
	if sp < 0 {
		return append(dst, src...)
	}
	dst = append(dst, src[:sp]...)
	dst = append(dst, 'T')
	return append(dst, src[sp+1:]...)
}

// renderTimestamptz turns "2026-03-05 10:00:00+08" into RFC 3339,
// "2026-03-05T10:00:00+08:00" ("Z" for UTC), in the session's time zone:
// the server's default unless the connection string sets timezone=.
// An offset with seconds (local mean time, before about 1900) has no RFC
// 3339 form and is left as the server writes it.
func renderTimestamptz(dst, src []byte) []byte {
	if bytes.HasSuffix(src, []byte(" BC")) {
		return append(dst, src...)
	}
	sp := bytes.IndexByte(src, ' ')
	if sp < 0 {
		return append(dst, src...)
	}
	t := src[sp+1:]
	off := bytes.LastIndexAny(t, "+-")
	if off < 0 {
		return renderTimestamp(dst, src)
	}
	dst = append(dst, src[:sp]...)
	dst = append(dst, 'T')
	dst = append(dst, t[:off]...)
	switch z := t[off:]; {
	case string(z) == "+00" || string(z) == "+00:00":
		return append(dst, 'Z')
	case len(z) == 3: // +08
		dst = append(dst, z...)
		return append(dst, ":00"...)
	default: // +05:30, or +08:05:43
		return append(dst, z...)
	}
}

// renderTimestampIn writes a timestamp without time zone, taken to be in
// loc, as the instant it is there in RFC 3339: "2026-03-04 20:00:00" in
// UTC is "2026-03-04T20:00:00Z", so that the dataset layer, which dates an
// instant in the county's zone, dates it 2026-03-05. The fraction is kept
// as written. What does not parse (infinity, BC, a year past 9999) is
// written as renderTimestamp writes it.
func renderTimestampIn(loc *time.Location) render {
	return func(dst, src []byte) []byte {
		st, ok := parseStamp(string(src), loc)
		if !ok || st.dateOnly {
			return renderTimestamp(dst, src)
		}
		_, off := st.at.Zone()
		dst = renderTimestamp(dst, src)
		switch {
		case off == 0:
			return append(dst, 'Z')
		case off < 0:
			dst = append(dst, '-')
			off = -off
		default:
			dst = append(dst, '+')
		}
		dst = appendInt(dst, off/3600, 2)
		dst = append(dst, ':')
		dst = appendInt(dst, off%3600/60, 2)
		if s := off % 60; s != 0 { // local mean time: no RFC 3339 form
			dst = append(dst, ':')
			dst = appendInt(dst, s, 2)
		}
		return dst
	}
}
