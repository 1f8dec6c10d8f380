package dispatch

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// utf8BOM makes Excel and WPS read a CSV file as UTF-8 rather than the
// system's GBK.
const utf8BOM = "\uFEFF"

// WriteTownshipCSV writes the same list as WriteTownshipXLSX as CSV: UTF-8
// with a byte-order mark and CRLF line ends, as Excel expects. The title
// and the privacy line come first, one field each, then the header and the
// rows: the privacy notice travels with the data whatever the format.
//
// Excel guesses cell types when it opens a CSV, so digit strings it would
// mangle (18-digit IDs, codes with leading zeros) are written as ="…", and
// text starting with = + - @ gets a leading apostrophe so that it is never
// run as a formula. ReadFeedback undoes both.
func WriteTownshipCSV(path string, items []Item, o Options) error {
	rows, err := prepareList(items, o)
	if err != nil {
		return err
	}
	err = writeFile(path, func(out io.Writer) error {
		bw := bufio.NewWriter(out)
		bw.WriteString(utf8BOM)
		cw := csv.NewWriter(bw)
		cw.UseCRLF = true
		cw.Write([]string{csvText(listTitle(items, o))})
		cw.Write([]string{csvText(noteFor(items))})
		if !o.Mark.IsZero() {
			cw.Write(csvMarkRow(o.Mark))
		}
		header := make([]string, numCols)
		for c, col := range listColumns {
			header[c] = col.header
		}
		cw.Write(header)
		for _, r := range rows {
			rec := make([]string, numCols)
			for c, v := range r.text {
				rec[c] = csvText(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("dispatch: township list: %w", err)
	}
	return nil
}

// csvText protects a value from Excel's guessing when it opens a CSV.
func csvText(s string) string {
	switch {
	case s == "":
		return s
	case strings.ContainsRune("=+-@\t\r", rune(s[0])):
		return "'" + s
	case mangledDigits(s):
		return `="` + s + `"`
	}
	return s
}

// mangledDigits reports whether Excel would turn s into a number and lose
// something: a leading zero, or the digits past 15 (and anything past 11
// shows as 3.40799E+17).
func mangledDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			// A check character X still leaves 17 digits Excel would not
			// read as a number, so only all-digit strings are at risk.
			return false
		}
	}
	return len(s) >= 12 || (len(s) > 1 && s[0] == '0')
}

// uncsvText undoes csvText on a value read back from a CSV file.
func uncsvText(s string) string {
	if len(s) >= 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		return s[2 : len(s)-1]
	}
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}
