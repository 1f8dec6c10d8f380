package idnum

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// needsWork marks the ASCII bytes that make Normalize leave its fast path:
// ASCII whitespace and lowercase x. Any byte >= 0x80 does too.
var needsWork = [128]bool{
	'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true,
	'x': true,
}

// Normalize cleans the ways departments' spreadsheets spell an ID number:
// it removes all whitespace anywhere (ASCII spaces and tabs, the full-width
// space U+3000, no-break spaces, and the zero-width characters that pasted
// text carries), maps full-width digits ０-９ and full-width Ｘ/ｘ to ASCII,
// and uppercases x. The multiplication sign × (U+00D7), which people type
// for the check character X with a Chinese input method, is X too. Bytes that are not valid UTF-8 become U+FFFD, so that
// removing a space can never glue two stray bytes into a new character.
// It does not validate. A string that is already clean is returned as is,
// without allocating.
func Normalize(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || needsWork[c] {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case isSpace(r):
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + r - '０'))
		case r == 'x' || r == 'Ｘ' || r == 'ｘ' || r == '×':
			b.WriteByte('X')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isSpace reports whether r is whitespace or an invisible zero-width
// character; both turn up in IDs copied out of Excel, Word and web pages.
func isSpace(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return unicode.IsSpace(r)
}
