package file

import (
	"strings"
	"unicode"
)

// cleanHeader copies the column names, trimmed of spaces (full-width
// U+3000 included), of control characters (the NULs a CHAR(n) column of a
// database export is padded with) and of the invisible characters that
// exports leave behind: a byte order mark that survived decoding,
// zero-width spaces and joiners. Only the ends are trimmed: a line break
// or a space inside a name ("身份证\n号码", a header cell written on two
// lines) stays, for the dataset layer to normalise when it matches names.
// Values are never cleaned here; only names are, because the config refers
// to them by their visible text.
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
	return unicode.IsSpace(r) || unicode.IsControl(r)
}
