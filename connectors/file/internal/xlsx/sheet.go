package xlsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
)

// Row is one sheet row as read. Values and Kinds are reused by the next
// call to Next; the strings themselves may be kept.
type Row struct {
	Num    int                   // the row number Excel shows, from 1
	Values []string              // by column from A; trailing empty cells left out
	Kinds  []connectors.CellKind // aligned with Values
	Hidden bool                  // Excel hides the row (filtered away, grouped, hidden)
}

// Stats counts what reading a sheet met; complete after io.EOF.
type Stats struct {
	MergedRanges int   // merged ranges that gave their value to other cells
	MergedCells  int64 // cells given a merged range's value
	Computed     int64 // formulas saved without a value, calculated here
	Uncomputed   int64 // formulas saved without a value that could not be
	// CalcTooLarge: formulas were left uncomputed because the workbook is
	// too large to calculate (MaxCalcSize).
	CalcTooLarge bool
	// CalcOvertime: formulas were left uncomputed because calculating took
	// MaxCalcTime.
	CalcOvertime bool
	// Untrusted counts formulas left uncomputed because they use a
	// function (SUMIF, COUNTIF, SUMPRODUCT ...) or array arithmetic that
	// excelize may answer differently from Excel (see trustedFunctions).
	Untrusted int64
	// Recalculated: the workbook asks to be recalculated on opening, so
	// formulas' saved values were not trusted but calculated (or left
	// uncomputed).
	Recalculated bool
}

// RowError is a problem at one row of a sheet: a cell past Excel's
// limits, a value the cell's type cannot hold, damaged XML.
type RowError struct {
	Row int
	Err error
}

// Error names the row.
func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

// Unwrap returns the problem.
func (e *RowError) Unwrap() error { return e.Err }

// Sheet streams the rows of one worksheet. Rows come in order, every row
// number from 1 to the sheet's last row, those the file leaves out (blank
// rows) included, without values.
type Sheet struct {
	wb    *Workbook
	rc    io.ReadCloser
	g     *guard
	size  int64
	dec   *tokens
	m     merges
	calc  calculator
	stats Stats

	inData  bool // inside <sheetData>
	eof     bool // </sheetData> was read
	done    bool // io.EOF was returned
	cur     int  // the row number last returned
	xmlRow  int  // the number of the last <row> read
	pend    bool // a row read from the file waits in vals and kinds
	pendNum int
	pendHid bool
	fill    bool
	width   int

	vals   []string
	kinds  []connectors.CellKind
	gvals  []string // a row the file leaves out, filled by merged ranges
	gkinds []connectors.CellKind

	v, is, run, fmt []byte // scratch for a cell
}

// OpenSheet starts reading the i-th sheet of Sheets(). Merged ranges are
// not filled until SetFill is called.
func (w *Workbook) OpenSheet(i int) (*Sheet, error) {
	info := w.sheets[i]
	if !info.Worksheet() {
		return nil, fmt.Errorf("sheet %s is a %s, which holds no rows of cells", info.Name, info.Type)
	}
	if info.part == "" || w.parts[strings.ToLower(info.part)] == nil {
		return nil, fmt.Errorf("%w: the workbook lacks the part of sheet %s", ErrNotWorkbook, info.Name)
	}
	// The merged ranges are scanned for (the sheet inflated once to its
	// end) while the shared strings are read, on a core each. The sheet
	// is opened, and its size counted against MaxUnzipped, once the
	// shared strings are, as it was when they were read first; a failure
	// of theirs comes first.
	var (
		spans   []span
		openErr error
		scanErr error
	)
	if err := w.load(func() {
		rc, g, _, err := w.openPart(info.part)
		if err != nil {
			openErr = err
			return
		}
		spans, scanErr = scanMerges(g)
		rc.Close()
	}); err != nil {
		return nil, err
	}
	if openErr != nil {
		return nil, openErr
	}
	if scanErr != nil {
		return nil, fmt.Errorf("sheet %s: %w", info.Name, scanErr)
	}
	rc, g, zf, err := w.openPart(info.part)
	if err != nil {
		return nil, err
	}
	s := &Sheet{
		wb: w, rc: rc, g: g, size: int64(min(zf.UncompressedSize64, 1<<62)),
		dec:  newTokens(g),
		m:    merges{spans: spans},
		calc: calculator{wb: w, sheet: info.Name, allowed: w.size <= MaxCalcSize, tainted: w.taintOf},
	}
	s.stats.Recalculated = w.fullCalc
	return s, nil
}

// SetFill turns the filling of merged ranges on (rows before the header
// need none) and sets the width rows are filled to: a merged range that
// reaches past the header's columns does not make a row longer than the
// header (or than the row's own cells); 0 means no limit.
func (s *Sheet) SetFill(on bool, width int) { s.fill, s.width = on, width }

// Stats returns what the reading met so far.
func (s *Sheet) Stats() Stats {
	st := s.stats
	st.MergedRanges, st.MergedCells = s.m.used, s.m.cells
	st.Untrusted = s.calc.untrusted
	return st
}

// Progress returns the bytes of the sheet's XML read so far and its size.
func (s *Sheet) Progress() (done, total int64) { return min(s.g.n, s.size), s.size }

// Close releases the sheet's part and excelize's copy of the workbook.
func (s *Sheet) Close() error {
	return errors.Join(s.rc.Close(), s.calc.close())
}

// Next returns the next row, or io.EOF after the last row the file holds.
func (s *Sheet) Next() (Row, error) {
	if s.done {
		return Row{}, io.EOF
	}
	if !s.pend && !s.eof {
		if err := s.readRow(); err != nil {
			return Row{}, err
		}
	}
	next := s.cur + 1
	switch {
	case s.pend && s.pendNum == next:
		s.pend = false
		s.cur = next
		vals, kinds, err := s.merge(next, s.vals, s.kinds)
		s.vals, s.kinds = vals, kinds
		if err != nil {
			return Row{}, err
		}
		n := trimmed(vals, kinds)
		return Row{Num: next, Values: vals[:n], Kinds: kinds[:n], Hidden: s.pendHid}, nil
	case s.pend:
		s.cur = next
		vals, kinds, err := s.merge(next, s.gvals[:0], s.gkinds[:0])
		s.gvals, s.gkinds = vals, kinds
		if err != nil {
			return Row{}, err
		}
		n := trimmed(vals, kinds)
		return Row{Num: next, Values: vals[:n], Kinds: kinds[:n]}, nil
	}
	s.done = true
	s.m.finish()
	return Row{}, io.EOF
}

// merge applies the merged ranges to a row.
func (s *Sheet) merge(row int, vals []string, kinds []connectors.CellKind) ([]string, []connectors.CellKind, error) {
	if len(s.m.spans) == 0 {
		return vals, kinds, nil
	}
	vals, kinds, err := s.m.apply(row, vals, kinds, s.fill, s.width)
	if err != nil {
		return vals, kinds, &RowError{Row: row, Err: err}
	}
	return vals, kinds, nil
}

// trimmed is the length of a row without its trailing empty text cells,
// which Excel does not distinguish from cells never written.
func trimmed(vals []string, kinds []connectors.CellKind) int {
	n := len(vals)
	for n > 0 && vals[n-1] == "" && kinds[n-1] == connectors.KindText {
		n--
	}
	return n
}

// readRow reads the next <row> of the file into vals and kinds, or notes
// the end of the rows.
func (s *Sheet) readRow() error {
	for {
		kind, err := s.dec.next()
		if err == io.EOF {
			if s.inData {
				return &RowError{Row: s.xmlRow + 1, Err: errors.New("the sheet's XML ends before its rows do: the file is cut short")}
			}
			s.eof = true
			return nil
		}
		if err != nil {
			return xmlError(s.xmlRow+1, err)
		}
		switch kind {
		case tokStart:
			switch {
			case s.dec.is("sheetData") && !s.inData:
				s.inData = true
			case !s.inData:
			case s.dec.is("row"):
				return s.readCells()
			default:
				if err := s.skip(s.xmlRow + 1); err != nil {
					return err
				}
			}
		case tokEnd:
			if s.inData && s.dec.is("sheetData") {
				s.inData = false
				s.eof = true
				return nil
			}
		}
	}
}

// xmlError reports damaged XML at a row.
func xmlError(row int, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &RowError{Row: row, Err: err} // stopped, not damaged
	}
	return &RowError{Row: row, Err: fmt.Errorf("the sheet's XML is damaged: %w", err)}
}

// skip reads past the element just started, in row.
func (s *Sheet) skip(row int) error {
	for depth := 1; depth > 0; {
		kind, err := s.dec.next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xmlError(row, err)
		}
		switch kind {
		case tokStart:
			depth++
		case tokEnd:
			depth--
		}
	}
	return nil
}

// readCells reads the cells of the <row> element just started.
func (s *Sheet) readCells() error {
	num := s.xmlRow + 1
	if r := s.dec.attr("r"); len(r) > 0 {
		n, err := strconv.Atoi(string(r))
		if err != nil || n < 1 {
			return &RowError{Row: num, Err: fmt.Errorf("row number %.20q is not a number", r)}
		}
		num = n
	}
	if num > MaxRows {
		return &RowError{Row: num, Err: fmt.Errorf("row %d is past Excel's last row, %d", num, MaxRows)}
	}
	if num <= s.xmlRow {
		return &RowError{Row: num, Err: fmt.Errorf("row %d comes after row %d: the rows are out of order (the file is damaged; open and save it in Excel/WPS)", num, s.xmlRow)}
	}
	s.xmlRow, s.pend, s.pendNum, s.pendHid = num, true, num, truthy(string(s.dec.attr("hidden")))
	s.vals, s.kinds = s.vals[:0], s.kinds[:0]
	col := 0
	for {
		kind, err := s.dec.next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xmlError(num, err)
		}
		switch kind {
		case tokStart:
			if !s.dec.is("c") {
				if err := s.skip(num); err != nil {
					return err
				}
				continue
			}
			if col, err = s.readCell(num, col); err != nil {
				return &RowError{Row: num, Err: err}
			}
		case tokEnd:
			if s.dec.is("row") {
				return nil
			}
		}
	}
}

// readCell reads the <c> element just started, after the previous cell at
// column prev, and stores its value and kind. It returns the cell's column.
func (s *Sheet) readCell(row, prev int) (int, error) {
	c := cell{col: prev + 1, style: -1}
	for i := range s.dec.attrs {
		a := &s.dec.attrs[i]
		switch string(a.local) {
		case "r":
			c.col = parseCol(a.value)
			if c.col == 0 {
				return prev, fmt.Errorf("cell reference %.20q is not a cell of Excel's %d columns", a.value, MaxCols)
			}
		case "t":
			c.typ = cellType(a.value)
		case "s":
			if n, ok := atoi(a.value); ok {
				c.style = n
			}
		}
	}
	if c.col > MaxCols {
		return prev, fmt.Errorf("a cell after column XFD, Excel's last")
	}
	s.v, s.is = s.v[:0], s.is[:0]
	if err := s.readCellBody(&c); err != nil {
		return c.col, err
	}
	val, kind, err := s.value(&c, row)
	if err != nil {
		return c.col, fmt.Errorf("cell %s: %w", cellName(c.col, row), err)
	}
	if len(val) > MaxCellChars && textLen(val) > MaxCellChars {
		return c.col, fmt.Errorf("cell %s: %d characters, past Excel's limit of %d for a cell", cellName(c.col, row), textLen(val), MaxCellChars)
	}
	for len(s.vals) < c.col {
		s.vals = append(s.vals, "")
		s.kinds = append(s.kinds, connectors.KindText)
	}
	s.vals[c.col-1], s.kinds[c.col-1] = val, kind
	return c.col, nil
}

// readCellBody reads a cell's children: its value <v>, its formula <f>, its
// inline string <is>.
func (s *Sheet) readCellBody(c *cell) error {
	const (
		none = iota
		inV
		inF
		inIS
	)
	state, depth, rph, inT, keep := none, 0, 0, false, false
	for {
		kind, err := s.dec.next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("the sheet's XML is damaged: %w", err)
		}
		d := s.dec
		switch kind {
		case tokStart:
			depth++
			switch {
			case depth == 1 && d.is("v"):
				state, c.hasV = inV, true
			case depth == 1 && d.is("f"):
				state = inF
				c.formula = c.formula || string(d.attr("t")) == "shared"
			case depth == 1 && d.is("is"):
				state, c.inline = inIS, true
			case state == inIS && d.is("rPh"):
				rph++
			case state == inIS && d.is("t") && rph == 0:
				inT, keep = true, string(d.attr("space")) == "preserve"
				s.run = s.run[:0]
			}
		case tokText:
			t := d.text
			switch {
			case state == inV:
				s.v = append(s.v, t...)
			case state == inF:
				if len(bytesTrim(t)) > 0 {
					c.formula = true
				}
			case inT:
				s.run = append(s.run, t...)
			}
			if len(s.v) > maxRun || len(s.run) > maxRun || len(s.is) > maxRun {
				return fmt.Errorf("a cell of more than %d MiB", maxRun>>20)
			}
		case tokEnd:
			if depth == 0 {
				return nil // </c>
			}
			depth--
			switch {
			case depth == 0:
				state = none
			case d.is("rPh") && rph > 0:
				rph--
			case d.is("t") && inT:
				s.is = append(s.is, runText(s.run, keep)...)
				inT = false
			}
		}
	}
}

// cellType is a cell's t= attribute as a string, without allocating one for
// the types Excel writes.
func cellType(v []byte) string {
	switch string(v) {
	case "s":
		return "s"
	case "n":
		return "n"
	case "str":
		return "str"
	case "inlineStr":
		return "inlineStr"
	case "b":
		return "b"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(v)
}

// atoi is strconv.Atoi of bytes.
func atoi(v []byte) (int, bool) {
	n, err := strconv.Atoi(string(v))
	return n, err == nil
}
