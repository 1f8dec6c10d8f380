package xlsx

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeEscapes replaces the escapes of ECMA-376's ST_Xstring: _xHHHH_ is
// the UTF-16 code unit HHHH (Excel writes a carriage return in a cell as
// _x000D_, and other control characters so, because XML 1.0 cannot hold
// them), and _x005F_ is the underscore itself, so that a literal "_x000D_"
// is written "_x005F_x000D_". A surrogate pair written as two escapes is
// one character; a lone surrogate is U+FFFD.
func decodeEscapes(s string) string {
	i := strings.Index(s, "_x")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		u, ok := escapeAt(s, i)
		if !ok {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			i = strings.Index(s, "_x")
			continue
		}
		b.WriteString(s[:i])
		s = s[i+7:]
		r := rune(u)
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
			if u < 0xDC00 {
				if lo, ok := escapeAt(s, 0); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					r = utf16.DecodeRune(rune(u), rune(lo))
					s = s[7:]
				}
			}
		}
		b.WriteRune(r)
		i = strings.Index(s, "_x")
	}
	b.WriteString(s)
	return b.String()
}

// escapeAt reads an _xHHHH_ escape at s[i:].
func escapeAt(s string, i int) (uint16, bool) {
	if len(s) < i+7 || s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
		return 0, false
	}
	var u uint16
	for _, c := range []byte(s[i+2 : i+6]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(c)
	}
	return u, true
}

// isXMLSpace reports the four characters XML calls white space.
func isXMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// runText is the text of one <t> element as Excel shows it: without
// xml:space="preserve", white space around the text is not part of it
// (Excel drops it on opening), but a run that is nothing but white space is
// kept (Excel shows the space between two differently formatted runs).
func runText(raw []byte, preserve bool) []byte {
	if preserve {
		return raw
	}
	i, j := 0, len(raw)
	for i < j && isXMLSpace(raw[i]) {
		i++
	}
	if i == j {
		return raw
	}
	for j > i && isXMLSpace(raw[j-1]) {
		j--
	}
	return raw[i:j]
}

// textLen is a text's length as Excel counts it, in UTF-16 code units, for
// the 32,767-character limit of a cell; bytes first, as they bound it.
func textLen(s string) int {
	if len(s) <= MaxCellChars {
		return len(s)
	}
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
