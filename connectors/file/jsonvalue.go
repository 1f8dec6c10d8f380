package file

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
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

// split appends the fields of data, a valid JSON value, to fields. It
// reports false when data is not an object.
func (p *objectParser) split(data []byte, fields []field) ([]field, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return fields, false
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return fields, true
	}
	for {
		end := stringEnd(data, i)
		key := p.key(data[i:end])
		i = skipSpace(data, end) // at ':'
		i = skipSpace(data, i+1)
		vend := valueEnd(data, i)
		fields = append(fields, field{key: key, val: p.text(data[i:vend])})
		i = skipSpace(data, vend)
		if data[i] != ',' {
			return fields, true // at '}'
		}
		i = skipSpace(data, i+1)
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
// true or false, null as "", an object or array as compact JSON.
func (p *objectParser) text(v []byte) string {
	switch v[0] {
	case '"':
		return unquote(v)
	case 'n':
		return ""
	case 't':
		return "true"
	case 'f':
		return "false"
	case '{', '[':
		p.compact.Reset()
		if err := json.Compact(&p.compact, v); err != nil {
			return string(v) // cannot happen: v is valid
		}
		return p.compact.String()
	}
	return plainNumber(string(v))
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

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index after the string literal starting at i.
func stringEnd(data []byte, i int) int {
	for i++; data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// valueEnd returns the index after the value starting at i.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = stringEnd(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// maxShift bounds the exponent plainNumber expands: 1e400 is not a value
// any department means, and a million zeros is not a useful rendering.
const maxShift = 400

// plainNumber writes a JSON number without exponent, exactly: the digits
// are moved, never converted to a float, so 1.5e3 is 1500 and
// 12345678901234567890 and 0.10 stay as written. An exponent beyond
// maxShift is left as written (the dataset layer rejects the value).
func plainNumber(lit string) string {
	e := strings.IndexAny(lit, "eE")
	if e < 0 {
		return lit
	}
	exp, err := strconv.Atoi(strings.TrimPrefix(lit[e+1:], "+"))
	if err != nil || exp > maxShift || exp < -maxShift {
		return lit
	}
	mant, neg := lit[:e], false
	if mant[0] == '-' {
		mant, neg = mant[1:], true
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // digits before the decimal point
	for len(digits) > 1 && digits[0] == '0' {
		digits, point = digits[1:], point-1
	}
	if strings.Trim(digits, "0") == "" {
		return "0"
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(digits)
	case point >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return b.String()
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
