package file

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

// objectParser splits one JSON record, already known to be valid JSON,
// into its top-level keys and their values as text. Validation is left to
// encoding/json (json.Decoder for an array, json.Valid for an NDJSON
// line); the split itself is a single pass that allocates only the
// values, since it runs once per record of files of millions.
type objectParser struct {
	keys    map[string]string // interned keys: records repeat the same few
	compact bytes.Buffer
}

// maxInterned bounds the interned keys, so that a file whose records each
// have keys of their own does not grow the map without end.
const maxInterned = 4096

// split appends the fields of data, a valid JSON value, to rec.fields,
// and sets rec.numbers when one of them is a number with a fraction or an
// exponent. It reports false when data is not an object.
func (p *objectParser) split(data []byte, rec *jsonRecord) bool {
	i := jsonscan.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(data, i+1)
	if data[i] == '}' {
		return true
	}
	for {
		end := jsonscan.StringEnd(data, i)
		key := p.key(data[i:end])
		i = jsonscan.SkipSpace(data, end) // at ':'
		i = jsonscan.SkipSpace(data, i+1)
		vend := jsonscan.ValueEnd(data, i)
		val, kind := p.text(data[i:vend])
		rec.fields = append(rec.fields, jsonField{key: key, val: val, kind: kind})
		if kind != connectors.KindText {
			rec.numbers = true
		}
		i = jsonscan.SkipSpace(data, vend)
		if data[i] != ',' {
			return true // at '}'
		}
		i = jsonscan.SkipSpace(data, i+1)
	}
}

// key unquotes a key, interning it.
func (p *objectParser) key(quoted []byte) string {
	if k, ok := p.keys[string(quoted)]; ok {
		return k
	}
	k := unquote(quoted)
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	if len(p.keys) < maxInterned {
		p.keys[string(quoted)] = k
	}
	return k
}

// text renders a value: a string unquoted, a number without exponent,
// true or false, null as "", an object or array as compact JSON. Its kind
// is KindNumber for a number literal with a fraction or an exponent, whose
// writer may have held it in a floating-point number (an identifier that
// went through one may be damaged: the dataset layer judges), and
// KindText for the rest: an integer literal is exact as written, and a
// string is text whatever it looks like.
func (p *objectParser) text(v []byte) (string, connectors.CellKind) {
	switch v[0] {
	case '"':
		return unquote(v), connectors.KindText
	case 'n':
		return "", connectors.KindText
	case 't':
		return "true", connectors.KindText
	case 'f':
		return "false", connectors.KindText
	case '{', '[':
		p.compact.Reset()
		if err := json.Compact(&p.compact, v); err != nil {
			return string(v), connectors.KindText // cannot happen: v is valid
		}
		return p.compact.String(), connectors.KindText
	}
	// One pass over the (short) literal, as it runs for every number of
	// files of millions of records.
	kind := connectors.KindText
	for _, c := range v {
		switch c {
		case '.':
			kind = connectors.KindNumber
		case 'e', 'E':
			return jsonscan.PlainNumber(string(v)), connectors.KindNumber
		}
	}
	return string(v), kind
}

// unquote decodes a JSON string literal.
func unquote(q []byte) string {
	s := q[1 : len(q)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s)
	}
	var out string
	if err := json.Unmarshal(q, &out); err != nil {
		return string(s) // cannot happen: q is valid
	}
	return out
}

// appendJSONString writes s as a JSON string literal. Unlike
// encoding/json it leaves <, > and & alone: the text is for people and
// the quarantine, not for an HTML page.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
