package ingest

import (
	"fmt"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
)

// RawJSON renders a row as a JSON object in the source's column order, so
// the quarantine keeps exactly what was read. Values past the header are
// kept under "_extra_N". When the reader typed some cells (xlsx: a number
// cell, an error value), their kinds follow under "_kinds", keyed by the
// cell's 1-based position ({"_kinds":{"3":"number"}}), so that a quarantine
// retry judges the row as the sync did.
func RawJSON(header, values []string, kinds []connectors.CellKind) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("_extra_%d", i+1)
		if i < len(header) && header[i] != "" {
			name = header[i]
		}
		writeJSONString(&b, name)
		b.WriteByte(':')
		writeJSONString(&b, v)
	}
	typed := false
	for i, k := range kinds {
		if k == connectors.KindText || i >= len(values) {
			continue
		}
		if !typed {
			b.WriteString(`,"` + kindsKey + `":{`)
			typed = true
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":"%s"`, i+1, k)
	}
	if typed {
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.String()
}

// kindsKey holds the cell kinds in a quarantined row's raw JSON.
const kindsKey = "_kinds"

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
