package main

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// table is text/tabwriter for a terminal that shows Chinese: a cell is
// the text before a tab, columns are padded to the widest cell as the
// terminal draws it (a Chinese character takes two columns, which
// tabwriter counts as one), two spaces apart. The text after a line's
// last tab is not a column and is written as it is. Write buffers; Flush
// writes the table.
type table struct {
	w     io.Writer
	buf   bytes.Buffer
	right bool // numbers and dates to the right
}

// newTable starts a table on w, cells aligned left.
func newTable(w io.Writer) *table { return &table{w: w} }

// newRightTable starts a table on w, cells aligned right.
func newRightTable(w io.Writer) *table { return &table{w: w, right: true} }

func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the buffered lines as a table.
func (t *table) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	end := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var widths []int
	cells := make([][]string, len(lines))
	for i, l := range lines {
		cells[i] = strings.Split(l, "\t")
		for j, c := range cells[i][:len(cells[i])-1] {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], displayWidth(c))
		}
	}
	var out strings.Builder
	for i, cs := range cells {
		var line strings.Builder
		for j, c := range cs {
			if j == len(cs)-1 {
				line.WriteString(c)
				break
			}
			pad := strings.Repeat(" ", widths[j]-displayWidth(c))
			if t.right {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
			line.WriteString("  ")
		}
		out.WriteString(strings.TrimRight(line.String(), " "))
		if i < len(cells)-1 || end {
			out.WriteString("\n")
		}
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// displayWidth is the number of terminal columns s takes: two for each
// wide or fullwidth character (Chinese), one for the others.
func displayWidth(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
