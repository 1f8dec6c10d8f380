package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx"
)

// xlsxReader streams one sheet of a workbook, row by row, each cell with
// its kind (see the xlsx package for how cells are read).
type xlsxReader struct {
	name   string
	sheet  string
	book   *xlsx.Workbook
	sh     *xlsx.Sheet
	header []string
	vals   []string              // Values of a row padded to the header's length, reused
	kinds  []connectors.CellKind // their kinds, reused
	pos    int64                 // the sheet row last returned
	hidden int64                 // hidden rows returned
	// hiddenRead says why a hidden sheet is read: "named" in the sheet
	// option, or "all" sheets are hidden; "" when the sheet is visible.
	hiddenRead   string
	hiddenOthers int // hidden sheets not read
	// beyond counts, per column right of the header (1-based), the cells
	// with a value there: notes a clerk typed beside the table.
	beyond map[int]int64
	err    error
	closed bool

	// After the header, the sheet is read ahead by a goroutine (ahead), in
	// batches of rows, so that reading the sheet (inflating, parsing) and
	// what the caller does with its rows (mapping, validating, storing)
	// take a core each. The sheet is only touched by that goroutine until
	// it has sent its last batch or Close has stopped it.
	ahead   *aheadReader
	batch   *rowBatch // the batch Next returns rows from
	next    int       // the index in batch of the row Next returns next
	stats   xlsx.Stats
	done    int64 // Progress as of the batch
	total   int64
	started bool
}

// Read-ahead of a sheet's rows: batches of aheadRows rows, or fewer rows
// of aheadCells cells (a sheet as wide as Excel's 16,384 columns holds a
// few rows in memory, not hundreds), at most aheadBatches of them waiting.
const (
	aheadRows    = 512
	aheadCells   = 1 << 16
	aheadBatches = 4
)

// rowBatch is rows read ahead, with what the sheet said when they were read.
type rowBatch struct {
	rows  []xlsx.Row // Values and Kinds are slices of vals and kinds
	vals  []string
	kinds []connectors.CellKind
	ends  []int // where each row's values end in vals
	err   error // after the rows: io.EOF or the reading's error
	stats xlsx.Stats
	done  int64 // Progress
	total int64
}

// aheadReader is the goroutine reading a sheet ahead.
type aheadReader struct {
	ready chan *rowBatch
	free  chan *rowBatch
	stop  chan struct{}
	exit  chan struct{} // closed when the goroutine has left the sheet
}

func openXLSX(ctx context.Context, name, path string, opts *options) (*xlsxReader, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, fileError(name, err)
	}
	book, err := xlsx.OpenFile(ctx, f, opts.xlsx)
	if err != nil {
		return nil, xlsxError(name, err)
	}
	r := &xlsxReader{name: name, book: book}
	if err := r.start(opts); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// xlsxError names the file in an error opening a workbook or its sheet,
// and the setting that raises a limit the workbook passed.
func xlsxError(name string, err error) error {
	var le *xlsx.LimitError
	switch {
	case errors.As(err, &le) && le.What == xlsx.LimitSharedText:
		return fmt.Errorf("%s: %w (the limit is sync.xlsx_max_shared_strings; raise it if the workbook is genuine)", name, err)
	case errors.As(err, &le):
		return fmt.Errorf("%s: %w (the limit is sync.xlsx_max_unzipped; raise it if the workbook is genuine)", name, err)
	case errors.Is(err, xlsx.ErrNotWorkbook):
		return fmt.Errorf("%s: %w", name, err)
	}
	return fileError(name, err)
}

// start picks the sheet, skips the title rows and reads the header.
func (r *xlsxReader) start(opts *options) error {
	sheets := r.book.Sheets()
	if len(sheets) == 0 {
		return fmt.Errorf("%s: the workbook has no sheets", r.name)
	}
	idx, err := r.pick(sheets, opts.sheet)
	if err != nil {
		return err
	}
	r.sheet = sheets[idx].Name
	for i, s := range sheets {
		if i != idx && s.Hidden() {
			r.hiddenOthers++
		}
	}
	sh, err := r.book.OpenSheet(idx)
	if err != nil {
		return xlsxError(r.name, err)
	}
	r.sh = sh
	for r.pos < int64(opts.headerRow) {
		// Merged ranges fill the header (a name merged across two columns
		// names both) and the rows after it, not the titles above it.
		r.sh.SetFill(r.pos+1 == int64(opts.headerRow), 0)
		row, err := r.advance()
		if err == io.EOF {
			if r.pos == 0 {
				return fmt.Errorf("%s: sheet %s is empty: no header", r.name, r.sheet)
			}
			return fmt.Errorf("%s: header_row is %d but sheet %s has %d rows", r.name, opts.headerRow, r.sheet, r.pos)
		}
		if err != nil {
			return err
		}
		if r.pos == int64(opts.headerRow) {
			if len(row.Values) == 0 {
				return fmt.Errorf("%s:%d: sheet %s: row is blank where header_row %d expects the column names", r.name, r.pos, r.sheet, opts.headerRow)
			}
			r.header = cleanHeader(row.Values)
		}
	}
	r.sh.SetFill(true, len(r.header))
	return nil
}

// pick chooses the sheet to read: the one named (exactly, else ignoring
// case as Excel does), even when it is hidden; else the first visible sheet
// of cells, so that a hidden lookup sheet placed first is not read instead
// of the data.
func (r *xlsxReader) pick(sheets []xlsx.SheetInfo, name string) (int, error) {
	if name != "" {
		idx := -1
		for i, s := range sheets {
			if s.Name == name {
				idx = i
				break
			}
			if idx < 0 && strings.EqualFold(s.Name, name) {
				idx = i
			}
		}
		if idx < 0 {
			// The names are not listed: a workbook of one sheet per
			// household names its sheets after people (王测一户).
			return 0, fmt.Errorf("%s: no sheet %q; the workbook has %d %s (not named here: a sheet may be named after a person); open it to see the tabs and set sheet to one of them",
				r.name, name, len(sheets), plural(len(sheets), "sheet", "sheets"))
		}
		if sheets[idx].Hidden() {
			r.hiddenRead = "named"
		}
		return idx, nil
	}
	for i, s := range sheets {
		if s.Worksheet() && !s.Hidden() {
			return i, nil
		}
	}
	for i, s := range sheets {
		if s.Worksheet() {
			r.hiddenRead = "all"
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s: the workbook has no sheet of cells (only charts or dialogs)", r.name)
}

// advance reads the next sheet row. The sheet returns every row number,
// those the file omits (blank rows) too, so the count is the sheet's row
// number.
func (r *xlsxReader) advance() (xlsx.Row, error) {
	row, err := r.sh.Next()
	if err != nil {
		return row, r.rowError(err)
	}
	r.pos = int64(row.Num)
	return row, nil
}

// rowError names the file and the sheet (and the row) in an error reading
// the sheet; io.EOF is returned as it is.
func (r *xlsxReader) rowError(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	var re *xlsx.RowError
	if errors.As(err, &re) {
		return fmt.Errorf("%s:%d: sheet %s: %w", r.name, re.Row, r.sheet, re.Err)
	}
	return fmt.Errorf("%s: sheet %s: %w", r.name, r.sheet, err)
}

// readAhead starts the goroutine reading the sheet's rows after the header.
func (r *xlsxReader) readAhead() {
	a := &aheadReader{
		ready: make(chan *rowBatch, aheadBatches),
		free:  make(chan *rowBatch, aheadBatches+2),
		stop:  make(chan struct{}),
		exit:  make(chan struct{}),
	}
	r.ahead = a
	sh := r.sh
	go func() {
		defer close(a.exit)
		for {
			var b *rowBatch
			select {
			case b = <-a.free:
			default:
				b = &rowBatch{}
			}
			b.rows, b.vals, b.kinds, b.ends, b.err = b.rows[:0], b.vals[:0], b.kinds[:0], b.ends[:0], nil
			for len(b.rows) < aheadRows && len(b.vals) < aheadCells {
				row, err := sh.Next()
				if err != nil {
					b.err = r.rowError(err)
					break
				}
				// The sheet reuses its slices; the strings may be kept.
				b.vals = append(b.vals, row.Values...)
				b.kinds = append(b.kinds, row.Kinds...)
				b.rows = append(b.rows, xlsx.Row{Num: row.Num, Hidden: row.Hidden})
				b.ends = append(b.ends, len(b.vals))
			}
			start := 0
			for i, end := range b.ends {
				b.rows[i].Values, b.rows[i].Kinds = b.vals[start:end:end], b.kinds[start:end:end]
				start = end
			}
			b.stats = sh.Stats()
			b.done, b.total = sh.Progress()
			select {
			case a.ready <- b:
			case <-a.stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
}

// Header returns the column names, trimmed. The slice must not be changed.
func (r *xlsxReader) Header() []string { return r.header }

// Next returns the next sheet row with its cells' kinds. The workbook omits
// trailing empty cells, so a row shorter than the header is padded with ""
// (KindText) to the header's length; a longer row is returned as it is, and
// a blank row has no values. A merged range's value is in every cell it
// covers. As with every RowReader here, Values and Kinds are only valid
// until the next call.
func (r *xlsxReader) Next() (connectors.Row, error) {
	if r.err != nil {
		return connectors.Row{}, r.err
	}
	if r.closed {
		return connectors.Row{}, fmt.Errorf("%s: read after close", r.name)
	}
	row, err := r.nextRow()
	if err != nil {
		r.err = err
		return connectors.Row{}, err
	}
	r.pos = int64(row.Num)
	if row.Hidden {
		r.hidden++
	}
	vals, kinds := r.pad(row.Values, row.Kinds)
	if n := len(r.header); n > 0 && len(vals) > n {
		// A workbook's cells cannot shift as a CSV line's can: a value
		// right of the table is a note beside it (已入户), in a column with
		// no name, and is not read, as any unmapped column is.
		for i, v := range vals[n:] {
			if v != "" {
				if r.beyond == nil {
					r.beyond = map[int]int64{}
				}
				r.beyond[n+i+1]++
			}
		}
		vals, kinds = vals[:n], kinds[:n]
	}
	return connectors.Row{Pos: r.pos, Values: vals, Kinds: kinds}, nil
}

// nextRow returns the next row read ahead, starting the reading ahead at
// the first call.
func (r *xlsxReader) nextRow() (xlsx.Row, error) {
	if !r.started {
		r.started = true
		r.stats = r.sh.Stats()
		r.done, r.total = r.sh.Progress()
		r.readAhead()
	}
	for r.batch == nil || r.next == len(r.batch.rows) {
		if b := r.batch; b != nil {
			if b.err != nil {
				return xlsx.Row{}, b.err
			}
			r.batch = nil
			select {
			case r.ahead.free <- b: // the rows returned from it are done with
			default:
			}
		}
		b := <-r.ahead.ready
		r.batch, r.next = b, 0
		r.stats, r.done, r.total = b.stats, b.done, b.total
	}
	row := r.batch.rows[r.next]
	r.next++
	return row, nil
}

// pad extends a non-blank row shorter than the header with empty text
// values, in buffers reused from row to row.
func (r *xlsxReader) pad(vals []string, kinds []connectors.CellKind) ([]string, []connectors.CellKind) {
	n := len(r.header)
	if len(vals) == 0 || len(vals) >= n {
		return vals, kinds
	}
	r.vals = append(r.vals[:0], vals...)
	r.kinds = append(r.kinds[:0], kinds...)
	for len(r.vals) < n {
		r.vals = append(r.vals, "")
		r.kinds = append(r.kinds, connectors.KindText)
	}
	return r.vals, r.kinds
}

// Progress returns how much of the sheet's XML has been read, and its size.
func (r *xlsxReader) Progress() (done, total int64) {
	switch {
	case r.sh == nil:
		return 0, 0
	case !r.started:
		return r.sh.Progress()
	}
	return r.done, r.total // as of the rows returned
}

// Notes reports what a person loading the sheet should know: hidden rows
// loaded, hidden sheets not read or read, merged ranges filled, formulas
// calculated or not, the 1904 date system. Complete after io.EOF (the
// notes on the workbook are there from the start); a plain number of a
// 1904 workbook comes as KindNumber1904, so a date field reads it in that
// system without the notes. Never personal data (not even sheet names,
// which may be a household's).
func (r *xlsxReader) Notes() []connectors.Note {
	var notes []connectors.Note
	add := func(code string, n int64, format string, args ...any) {
		notes = append(notes, connectors.Note{Code: code, Count: n, Text: fmt.Sprintf(format, args...)})
	}
	if r.book != nil && r.book.Date1904() {
		add("date_system_1904", 0, "the workbook counts dates in the 1904 date system (Excel for Mac): date cells were converted in it; "+
			"a date kept as a plain number (a cell not formatted as a date) is a 1904 serial, 1,462 days from the same number in the usual 1900 system")
	}
	switch r.hiddenRead {
	case "named":
		add("hidden_sheet_read", 1, "the sheet read is hidden in Excel (it is the one the sheet option names)")
	case "all":
		add("hidden_sheet_read", 1, "every sheet of the workbook is hidden in Excel; the first was read")
	}
	if r.hiddenOthers > 0 {
		add("hidden_sheets", int64(r.hiddenOthers), "%d hidden %s of the workbook %s not read (name a sheet in the sheet option to read it)",
			r.hiddenOthers, plural(r.hiddenOthers, "sheet", "sheets"), plural(r.hiddenOthers, "was", "were"))
	}
	if len(r.beyond) > 0 {
		var cols []string
		var n int64
		for _, c := range slices.Sorted(maps.Keys(r.beyond)) {
			cols = append(cols, xlsx.ColumnLetters(c))
			n += r.beyond[c]
		}
		add("cells_beyond_header", n, "%d %s right of the table, in %s %s without a header, not read (notes beside the table?)",
			n, plural(int(n), "cell", "cells"), plural(len(cols), "column", "columns"), strings.Join(cols, ", "))
	}
	if r.hidden > 0 {
		add("hidden_rows", r.hidden, "%d hidden %s (filtered away, grouped or hidden in Excel) loaded like the others",
			r.hidden, plural(int(r.hidden), "row", "rows"))
	}
	if r.sh == nil {
		return notes
	}
	st := r.stats // as of the rows returned: all of them after io.EOF
	if !r.started {
		st = r.sh.Stats()
	}
	if st.MergedRanges > 0 {
		add("merged_cells", int64(st.MergedRanges), "%d merged %s gave the value of %s top-left cell to every cell %s (%d %s filled)",
			st.MergedRanges, plural(st.MergedRanges, "range", "ranges"), plural(st.MergedRanges, "its", "their"),
			plural(st.MergedRanges, "it covers", "they cover"), st.MergedCells, plural(int(st.MergedCells), "cell", "cells"))
	}
	if st.Recalculated && st.Computed+st.Uncomputed > 0 {
		add("formulas_recalculated", st.Computed+st.Uncomputed, "the workbook asks to be recalculated when opened (the tool that wrote it did not calculate), "+
			"so the values saved with its %d %s were not trusted", st.Computed+st.Uncomputed, plural(int(st.Computed+st.Uncomputed), "formula", "formulas"))
	}
	if st.Computed > 0 {
		add("formulas_computed", st.Computed, "%d %s without a saved value calculated by lipwatch", st.Computed, plural(int(st.Computed), "formula", "formulas"))
	}
	if st.Uncomputed > 0 {
		why := "they use functions lipwatch cannot calculate or end in an error"
		switch {
		case st.CalcTooLarge:
			why = fmt.Sprintf("the workbook is too large to calculate here (over %d MiB of XML)", xlsx.MaxCalcSize>>20)
		case st.CalcOvertime:
			why = fmt.Sprintf("calculating took more than %v", xlsx.MaxCalcTime)
		case st.Untrusted == st.Uncomputed:
			why = "they use functions such as SUMIF, COUNTIF or SUMPRODUCT, or arithmetic on ranges, that lipwatch does not trust itself to calculate as Excel does"
		}
		add("formulas_uncomputed", st.Uncomputed, "%d %s without a saved value could not be calculated (%s): their values are unknown; "+
			"open and save the file in Excel or WPS, then sync again", st.Uncomputed, plural(int(st.Uncomputed), "formula", "formulas"), why)
	}
	return notes
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Close releases the sheet and the workbook. It is safe to call twice.
func (r *xlsxReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if a := r.ahead; a != nil {
		close(a.stop)
		<-a.exit // the goroutine has left the sheet
	}
	var errs []error
	if r.sh != nil {
		errs = append(errs, r.sh.Close())
	}
	errs = append(errs, r.book.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", r.name, err)
	}
	return nil
}
