package dataset

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text as it arrives from departments carries more than its value: the
// padding of fixed-width database columns (NUL, spaces), the byte-order
// mark and zero-width characters of pasted text, Alt+Enter line breaks
// inside a cell, and the marks people use to keep Excel from turning an
// identifier into a number. This file cleans all of that, once, before a
// value is parsed; what cannot be cleaned safely is reported as damage.

// damage is what cleanValue found that makes a value unusable.
type damage uint8

const (
	damageNone    damage = iota
	damageUTF8           // bytes that are not UTF-8
	damageReplace        // U+FFFD: a decoder already replaced bytes that were not text
	damageControl        // a control character inside a value that cannot hold one
)

// isPad reports a rune that may pad a value at either end and is never
// part of it: ASCII and Unicode whitespace (tab, line breaks, NBSP, U+3000),
// C0 and C1 control characters (NUL padding of CHAR(n) columns), DEL, and
// the invisible format characters (BOM, zero-width space and joiners,
// directional marks, soft hyphen).
func isPad(r rune) bool {
	switch {
	case r <= ' ' || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0xa0:
		return true // C1 controls and NBSP
	}
	return invisible(r) || unicode.IsSpace(r)
}

// invisible reports a format character that renders as nothing: removing
// it never changes what a person reads.
func invisible(r rune) bool {
	switch {
	case r == 0xad, r == 0x180e, r == 0xfeff:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2060 && r <= 0x206f:
		return true
	}
	return false
}

// isWideSpace reports a space other than ASCII's: NBSP, U+3000 and the
// typographic spaces. Inside a value it reads as one ASCII space.
func isWideSpace(r rune) bool {
	return r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x202f || r == 0x205f || r == 0x3000
}

// isControl reports a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// isBreak reports a line break or tab: Alt+Enter in an Excel cell, a CRLF
// from a text area, a tab pasted from another sheet.
func isBreak(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// mayPad reports a byte that may start a padding rune: ASCII blanks and
// controls, and the lead bytes of the non-ASCII ones (U+0080–U+00A0 and
// U+00AD: C2; U+1680, U+180E: E1; U+2000–U+206F: E2; U+3000: E3; U+FEFF:
// EF). Every other byte starts a rune that is not padding, so clean text
// (Chinese included) is checked without decoding.
func mayPad(c byte) bool {
	return c <= ' ' || c == 0x7f || c == 0xc2 || c == 0xe1 || c == 0xe2 || c == 0xe3 || c == 0xef
}

// trimSpace trims padding (see isPad) from both ends. It decodes a rune
// only where mayPad says it could be padding, which matters in the hot
// path.
func trimSpace(s string) string {
	for len(s) > 0 && mayPad(s[0]) {
		r, n := utf8.DecodeRuneInString(s)
		if (r == utf8.RuneError && n == 1) || !isPad(r) {
			break
		}
		s = s[n:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case c < utf8.RuneSelf:
			if c > ' ' && c != 0x7f {
				return s
			}
		case len(s) >= 2 && s[len(s)-2] == 0xc2:
		case len(s) >= 3 && (s[len(s)-3] == 0xe1 || s[len(s)-3] == 0xe2 || s[len(s)-3] == 0xe3 || s[len(s)-3] == 0xef):
		default:
			return s
		}
		r, n := utf8.DecodeLastRuneInString(s)
		if (r == utf8.RuneError && n == 1) || !isPad(r) {
			return s
		}
		s = s[:len(s)-n]
	}
	return s
}

// cleanValue trims padding from both ends of s and handles what is inside:
// full-width ASCII (Ｆ, １, ：) becomes half-width and wide spaces (U+3000,
// NBSP) ASCII spaces, so that values compare as people mean them;
// invisible characters are removed; in free text (free == true: names,
// addresses, hospitals) a run of line breaks and tabs becomes one space
// and other control characters are removed; in any other value a control
// character is damage (an identifier with a NUL inside is not the same
// identifier without it). Bytes that are not UTF-8 and U+FFFD are always
// damage. The rune reported is the offending control character. A value
// with nothing to clean is returned without allocating.
func cleanValue(s string, free bool) (string, damage, rune) {
	s = trimSpace(s)
	clean, ascii := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < ' ' || c == 0x7f:
			if !free {
				return s, damageControl, rune(c)
			}
			clean = false
		case c < utf8.RuneSelf:
		case c == 0xc2 || c == 0xe1 || c == 0xe2 || c == 0xe3 || c == 0xef:
			// The lead bytes of every non-ASCII rune looked at here (and
			// of U+FFFD: EF BF BD); the others are skipped undecoded,
			// and validated once at the end.
			ascii = false
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				return s, damageUTF8, 0
			case r == utf8.RuneError:
				return s, damageReplace, 0
			case isControl(r) || isBreak(r):
				if !free {
					return s, damageControl, r
				}
				clean = false
			case invisible(r), isWideSpace(r), r >= 0xff01 && r <= 0xff5e:
				clean = false
			}
			i += n - 1
		default:
			ascii = false
		}
	}
	if !ascii && !utf8.ValidString(s) {
		return s, damageUTF8, 0
	}
	if clean {
		return s, damageNone, 0
	}
	buf := make([]byte, 0, len(s))
	pending := false // a run of breaks is waiting for its one space
	for _, r := range s {
		switch {
		case isBreak(r):
			pending = true
			continue
		case isControl(r), invisible(r):
			continue
		case isWideSpace(r):
			r = ' '
		case r >= 0xff01 && r <= 0xff5e:
			r -= 0xfee0 // full-width ASCII: Ｆ, １, ：
		}
		if pending && r == ' ' {
			continue // blanks after a break belong to its run
		}
		if pending {
			for len(buf) > 0 && buf[len(buf)-1] == ' ' {
				buf = buf[:len(buf)-1] // and so do blanks before it
			}
			buf = append(buf, ' ')
			pending = false
		}
		buf = utf8.AppendRune(buf, r)
	}
	return trimSpace(string(buf)), damageNone, 0
}

// unprotect removes the marks people put on a value to keep Excel from
// reading it as a number or a date: the formula-text wrapper ="…" (CSV
// written for Excel, on any field: it is never data itself) and, when
// apostrophe is set (identifiers, codes, dates, numbers: never free text),
// one leading apostrophe ('3407…, also ’ and ＇ typed with a Chinese input
// method). The result is trimmed again.
func unprotect(s string, apostrophe bool) string {
	if len(s) >= 3 && s[0] == '=' && s[1] == '"' && s[len(s)-1] == '"' {
		inner := s[2 : len(s)-1]
		// Inside, a quote is written twice; a lone quote means a formula
		// such as ="a"&"b", which is not a wrapper.
		if !strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
			s = trimSpace(strings.ReplaceAll(inner, `""`, `"`))
		}
	}
	if apostrophe && s != "" {
		switch c := s[0]; {
		case c == '\'':
			s = trimSpace(s[1:])
		case c == 0xe2 && (strings.HasPrefix(s, "’") || strings.HasPrefix(s, "‘")):
			s = trimSpace(s[len("’"):])
		case c == 0xef && strings.HasPrefix(s, "＇"):
			s = trimSpace(s[len("＇"):])
		}
	}
	return s
}
