package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
	"unicode/utf16"
	"unicode/utf8"
)

// The functions here walk a JSON document that json.Valid has accepted,
// so they need not check its syntax again. They work on byte offsets
// rather than decoding into map[string]any for two reasons: a record's
// keys keep their order (the header follows the source), and a value's
// text is kept as written (a long number keeps every digit).

// syntaxError checks data and returns the offset of its first syntax
// error, or -1 when it is valid JSON.
func syntaxError(data []byte) (int64, error) {
	if json.Valid(data) {
		return -1, nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset, se
	}
	return int64(len(data)), errors.New("invalid JSON")
}

// member is one key and value of an object, as byte ranges.
type member struct {
	key        []byte // without quotes, escapes not decoded
	start, end int    // the value
	escaped    bool   // key has escapes
}

// eachMember calls fn for every member of the object at data[i] == '{' and
// returns the index after the object. fn returning false stops early (and
// the returned index is then meaningless).
func eachMember(data []byte, i int, fn func(m member) bool) int {
	i = jsonscan.SkipSpace(data, i+1)
	if data[i] == '}' {
		return i + 1
	}
	for {
		kEnd := jsonscan.StringEnd(data, i)
		key := data[i+1 : kEnd-1]
		i = jsonscan.SkipSpace(data, kEnd)
		i = jsonscan.SkipSpace(data, i+1) // past ':'
		vEnd := jsonscan.ValueEnd(data, i)
		if !fn(member{key: key, start: i, end: vEnd, escaped: bytes.IndexByte(key, '\\') >= 0}) {
			return -1
		}
		i = jsonscan.SkipSpace(data, vEnd)
		if data[i] == '}' {
			return i + 1
		}
		i = jsonscan.SkipSpace(data, i+1) // past ','
	}
}

// eachElement calls fn with the start of every element of the array at
// data[i] == '['; fn returns the element's end. eachElement returns the
// index after the array.
func eachElement(data []byte, i int, fn func(start int) (end int, err error)) (int, error) {
	i = jsonscan.SkipSpace(data, i+1)
	if data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := fn(i)
		if err != nil {
			return 0, err
		}
		i = jsonscan.SkipSpace(data, end)
		if data[i] == ']' {
			return i + 1, nil
		}
		i = jsonscan.SkipSpace(data, i+1)
	}
}

// lookup finds the value at a dotted path (already split) in a document.
// It returns the value's range, or found false when a step is missing or
// passes through something that is not an object.
func lookup(data []byte, path []string) (start, end int, found bool) {
	i := jsonscan.SkipSpace(data, 0)
	for _, step := range path {
		if i >= len(data) || data[i] != '{' {
			return 0, 0, false
		}
		next := -1
		var scratch []byte
		eachMember(data, i, func(m member) bool {
			k := m.key
			if m.escaped {
				scratch = appendUnquoted(scratch[:0], k)
				k = scratch
			}
			if string(k) == step {
				next = m.start
				return false
			}
			return true
		})
		if next < 0 {
			return 0, 0, false
		}
		i = next
	}
	return i, jsonscan.ValueEnd(data, i), true
}

// topKeys lists the keys of the top-level object, for messages about a
// response that lacks the expected path (values are not shown: they may
// be personal data).
func topKeys(data []byte) []string {
	i := jsonscan.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil
	}
	var keys []string
	eachMember(data, i, func(m member) bool {
		keys = append(keys, string(appendUnquoted(nil, m.key)))
		return len(keys) < 20
	})
	return keys
}

// scalarText is the text of a string, number or boolean value; null,
// objects and arrays give "". It serves cursors and next links.
func scalarText(data []byte, start, end int) string {
	v := data[start:end]
	switch v[0] {
	case '"':
		return string(appendUnquoted(nil, v[1:len(v)-1]))
	case 'n', '{', '[':
		return ""
	default:
		return string(v)
	}
}

// appendValue appends a value's text as a row value: strings decoded,
// numbers without exponent, booleans as true/false, null as nothing,
// objects and arrays as compact JSON text.
func appendValue(dst, data []byte, start, end int) []byte {
	v := data[start:end]
	switch v[0] {
	case '"':
		return appendUnquoted(dst, v[1:len(v)-1])
	case 'n':
		return dst
	case 't', 'f':
		return append(dst, v...)
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil { // cannot happen: data is valid
			return append(dst, v...)
		}
		return append(dst, b.Bytes()...)
	default:
		return append(dst, jsonscan.PlainNumber(string(v))...)
	}
}

// appendUnquoted decodes the inside of a JSON string. Invalid escapes
// cannot occur in valid JSON; lone surrogates become U+FFFD, as in
// encoding/json.
func appendUnquoted(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		switch s[1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[2:6])
			s = s[6:]
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2 = hex4(s[2:6])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					s = s[6:]
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[1])
		}
		s = s[2:]
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
