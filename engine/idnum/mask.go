package idnum

import (
	"strings"
	"unicode/utf8"
)

// Masked returns the number for display with the birth date and sequence
// hidden: the first 6 characters (area code), eight '*', the last 4, e.g.
// "340799********123X". If id is not a valid ID it is masked like Mask
// does, so that Masked never shows a whole number.
func (id ID) Masked() string {
	if !id.ok() {
		return Mask(string(id))
	}
	return string(id[:6]) + "********" + string(id[14:])
}

// Mask masks any string for display in a list. If it parses as an ID
// number, the result is its Masked form (a legacy 15-digit number shows
// as its 18-character upgrade). Otherwise the normalised string keeps at
// most its first 3 and last 2 characters, fewer when it is short, and
// every character in between becomes '*', so that even a mistyped or
// mis-columned ID never shows whole. Empty (or all-space) input gives "".
func Mask(s string) string {
	n := Normalize(s)
	if n == "" {
		return ""
	}
	if len(n) == 18 || len(n) == 15 {
		if id, err := parseNormalized(n); err == nil {
			return id.Masked()
		}
	}
	return maskOther(n)
}

// maskKeep returns how many leading and trailing characters of an n
// character string stay visible: never more than a third of it.
func maskKeep(n int) (head, tail int) {
	switch {
	case n >= 15:
		return 3, 2
	case n >= 9:
		return 2, 1
	case n >= 3:
		return 1, 0
	}
	return 0, 0
}

// maskOther keeps maskKeep's head and tail characters of s and replaces
// the rest with one '*' each.
func maskOther(s string) string {
	rc := utf8.RuneCountInString(s)
	head, tail := maskKeep(rc)
	hEnd := 0
	for i := 0; i < head; i++ {
		_, size := utf8.DecodeRuneInString(s[hEnd:])
		hEnd += size
	}
	tStart := len(s)
	for i := 0; i < tail; i++ {
		_, size := utf8.DecodeLastRuneInString(s[:tStart])
		tStart -= size
	}
	var b strings.Builder
	b.Grow(hEnd + rc - head - tail + len(s) - tStart)
	b.WriteString(s[:hEnd])
	for i := 0; i < rc-head-tail; i++ {
		b.WriteByte('*')
	}
	b.WriteString(s[tStart:])
	return b.String()
}
