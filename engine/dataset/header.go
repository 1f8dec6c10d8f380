package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// How a source's header is matched against the mapping, and what makes a
// header unusable: a mapped name that appears more than once (which
// column is meant?), or a "header" that is really data (a wrong
// header_row, or a file whose line endings the reader did not see).

// headerKey is what a header name compares as. People type the same name
// in many ways, so the key drops every blank and invisible character (line
// breaks inside a cell, as in "身份证\n号码", full-width and no-break
// spaces, zero-width characters), maps full-width ASCII to half-width
// ("ＩＤ" is "ID", "（" is "("), and drops the marks templates put on
// required fields: "*" at either end and a trailing "(必填)" or "(选填)".
// Letters keep their case. Two columns that differ only in these ways get
// the same key; when such a name is mapped, that is reported as a
// duplicate, so normalising never picks one of two columns in silence.
func headerKey(s string) string {
	work := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f || c == '*' {
				work = true
				break
			}
			i++
			continue
		}
		if !mayPad(c) {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if isPad(r) || (r >= 0xff01 && r <= 0xff5e) {
			work = true
			break
		}
		i += n
	}
	if !work {
		return dropMark(s)
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case isPad(r):
			continue
		case r >= 0xff01 && r <= 0xff5e:
			r -= 0xfee0
		}
		b = utf8.AppendRune(b, r)
	}
	return dropMark(strings.Trim(string(b), "*"))
}

// dropMark is key k (blank and full-width free) without a trailing
// "(必填)" or "(选填)", keyed again: "*" may stand before the mark, and a
// template may put on more than one.
func dropMark(k string) string {
	if !strings.HasSuffix(k, ")") {
		return k
	}
	for _, mark := range []string{"(必填)", "(选填)"} {
		if t, ok := strings.CutSuffix(k, mark); ok {
			return headerKey(t)
		}
	}
	return k
}

// pickSuffix splits a configured column name of the form "身份证号#2" (the
// second column named 身份证号) into the name and the occurrence (1-based).
func pickSuffix(name string) (string, int, bool) {
	i := strings.LastIndexByte(name, '#')
	if i <= 0 || i == len(name)-1 || !allDigits(name[i+1:]) || len(name)-i > 4 {
		return "", 0, false
	}
	n, _ := strconv.Atoi(name[i+1:])
	if n < 1 {
		return "", 0, false
	}
	return name[:i], n, true
}

// ColumnName is how a person finds the column at index i (0-based) in a
// spreadsheet: its letters and its number, e.g. "C (3)", "AA (27)".
func ColumnName(i int) string {
	return columnLetters(i) + " (" + strconv.Itoa(i+1) + ")"
}

func columnLetters(i int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// headerCellLooksLikeData reports a header cell that holds data rather than
// a name: an ID number's shape (15 digits, or 17 and a check character),
// or a line break followed by something with six or more digits (an ID, a
// phone, a date) — what a file whose line endings went unseen, or a
// header_row that points at a data row, puts in the header.
func headerCellLooksLikeData(h string) bool {
	if i := strings.IndexAny(h, "\r\n"); i >= 0 {
		for _, line := range strings.FieldsFunc(h[i:], func(r rune) bool { return r == '\r' || r == '\n' }) {
			if LooksPersonal(line) {
				return true
			}
		}
	}
	n := idnum.Normalize(h)
	switch {
	case len(n) >= 15 && allDigits(n):
		return true
	case len(n) == 18 && allDigits(n[:17]) && n[17] == 'X':
		return true
	}
	return false
}

// DuplicateColumn is a mapped column name that appears more than once in
// a header.
type DuplicateColumn struct {
	Field     string // the dataset field it is mapped to
	Name      string // the column name as configured
	Positions []int  // 0-based indexes of the columns with that name
}

// HeaderError reports a header that cannot be mapped safely. It never
// quotes a cell of a header that looks like data.
type HeaderError struct {
	// DataCells are the 0-based indexes of header cells that look like
	// data. When there are any, the header row is not a header, and
	// nothing else is reported.
	DataCells []int
	// Duplicates are mapped names that appear more than once.
	Duplicates []DuplicateColumn
	// BadPicks are configured "name#n" picks past the number of columns
	// with that name, in words.
	BadPicks []string
}

// Error says what is wrong with the header and how to fix it, naming
// columns as a spreadsheet shows them.
func (e *HeaderError) Error() string {
	if len(e.DataCells) > 0 {
		cols := make([]string, len(e.DataCells))
		for i, c := range e.DataCells {
			cols[i] = ColumnName(c)
		}
		verb := "column " + cols[0] + " holds"
		if len(cols) > 1 {
			verb = "columns " + joinAnd(cols) + " hold"
		}
		return "the header row looks like data, not column names: " + verb +
			" what looks like an ID number, or a line break followed by data; check header_row, and the file's line endings (a file with old Mac line endings, CR only, reads as one line)"
	}
	var parts []string
	for _, d := range e.Duplicates {
		cols := make([]string, len(d.Positions))
		picks := make([]string, len(d.Positions))
		for i, p := range d.Positions {
			cols[i] = ColumnName(p)
			picks[i] = fmt.Sprintf("%s#%d for column %s", d.Name, i+1, columnLetters(p))
		}
		parts = append(parts, fmt.Sprintf("%s (%s) appears at columns %s: say which one in the source's columns: %s",
			d.Name, d.Field, joinAnd(cols), strings.Join(picks, ", ")))
	}
	parts = append(parts, e.BadPicks...)
	return strings.Join(parts, "; ")
}

func joinAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
