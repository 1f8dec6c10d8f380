package file

import (
	"strings"
	"unicode"
)

// cleanHeader copies the column names, trimmed of spaces (full-width
// U+3000 included) and of the invisible characters that exports leave
// behind: a byte order mark that survived decoding, zero-width spaces and
// joiners. Values are never cleaned here; only names are, because the
// config refers to them by their visible text.
func cleanHeader(rec []string) []string {
	out := make([]string, len(rec))
	for i, name := range rec {
		out[i] = strings.TrimFunc(name, isBlankRune)
	}
	return out
}

func isBlankRune(r rune) bool {
	switch r {
	case '\uFEFF', '\u200B', '\u200C', '\u200D', '\u2060':
		return true
	}
	return unicode.IsSpace(r)
}
