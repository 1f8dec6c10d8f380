package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Placeholders of the body template. Each stands for a whole JSON value.
const (
	phPage      = "page"
	phPageSize  = "page_size"
	phOffset    = "offset"
	phCursor    = "cursor"
	phWatermark = "watermark"
)

// template is a POST body with {{name}} placeholders, split once at
// config time into literal text and placeholder names.
type template struct {
	parts []string // literal, name, literal, name, ..., literal
	uses  map[string]bool
}

// vars are the values a request substitutes. Strings left empty render as
// JSON null ("no value"), which APIs read as "not filtered" more reliably
// than an empty string.
type vars struct {
	page, pageSize, offset int
	cursor, watermark      string
}

// parseTemplate splits s and checks that it renders to valid JSON with
// known placeholders only.
func parseTemplate(s string) (*template, error) {
	t := &template{uses: map[string]bool{}}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.parts = append(t.parts, rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, errors.New("a {{ is never closed")
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		switch name {
		case phPage, phPageSize, phOffset, phCursor, phWatermark:
		default:
			return nil, fmt.Errorf("unknown placeholder {{%s}}; known: {{page}}, {{page_size}}, {{offset}}, {{cursor}}, {{watermark}}", name)
		}
		t.parts = append(t.parts, rest[:i], name)
		t.uses[name] = true
		rest = rest[i+j+2:]
	}
	for _, v := range []vars{{page: 1, pageSize: 10}, {cursor: "c", watermark: "2026-01-01"}} {
		if b := t.render(v); !json.Valid(b) {
			return nil, fmt.Errorf("not valid JSON once placeholders are filled in (they stand for whole values: write \"page\": {{page}}, not \"page\": \"{{page}}\"): %s", b)
		}
	}
	return t, nil
}

// render fills in the placeholders.
func (t *template) render(v vars) []byte {
	var b []byte
	for i, p := range t.parts {
		if i%2 == 0 {
			b = append(b, p...)
			continue
		}
		switch p {
		case phPage:
			b = strconv.AppendInt(b, int64(v.page), 10)
		case phPageSize:
			b = strconv.AppendInt(b, int64(v.pageSize), 10)
		case phOffset:
			b = strconv.AppendInt(b, int64(v.offset), 10)
		case phCursor:
			b = appendJSONStringOrNull(b, v.cursor)
		case phWatermark:
			b = appendJSONStringOrNull(b, v.watermark)
		}
	}
	return b
}

func appendJSONStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
