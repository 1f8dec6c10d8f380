// Package jsonscan holds the small JSON scanning helpers the connectors
// that read JSON (files and APIs) share: skipping values without decoding
// them, and writing numbers without an exponent, exactly.
package jsonscan

import (
	"bytes"
	"strconv"
	"strings"
)

// maxShift bounds the exponent PlainNumber expands: 1e400 is not a value
// any department means, and a million zeros is not a useful rendering; a
// larger one is left as written (the dataset layer then rejects it).
const maxShift = 400

// SkipSpace returns the index of the first non-space byte at or after i.
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// StringEnd returns the index after the string starting at data[i] == '"'.
func StringEnd(data []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			return len(data)
		}
		j := i + q
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		k := j
		for k > i && data[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1
		}
		i = j + 1
	}
}

// ValueEnd returns the index after the value starting at data[i].
func ValueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return StringEnd(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = StringEnd(data, i)
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
	default: // number, true, false, null
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// PlainNumber writes a JSON number without exponent, exactly: the digits
// are moved, never converted to a float, so 1.5e3 is 1500 and
// 12345678901234567890 and 0.10 stay as written. An exponent beyond
// maxShift is left as written (the dataset layer rejects the value).
func PlainNumber(lit string) string {
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

// KindOf names a JSON value's type by its first byte, for messages.
func KindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
