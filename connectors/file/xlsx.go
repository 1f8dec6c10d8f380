package file

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/connectors"
)

// rawCells asks excelize for cells as stored: a date is its serial number
// ("46086") and a number is not formatted, so that nothing depends on the
// display formats a department happened to use.
var rawCells = excelize.Options{RawCellValue: true}

// xlsxReader streams one sheet of a workbook, row by row.
type xlsxReader struct {
	name   string
	sheet  string
	book   *excelize.File
	rows   *excelize.Rows
	header []string
	buf    []string // Values of a row padded to the header's length, reused
	pos    int64    // the sheet row last returned
	err    error
	closed bool
}

func openXLSX(name, path string, opts *options) (*xlsxReader, error) {
	book, err := excelize.OpenFile(path, rawCells)
	if err != nil {
		if book != nil {
			book.Close()
		}
		if errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return nil, fmt.Errorf("%s: not an .xlsx workbook (a legacy .xls file must be saved as .xlsx or CSV): %w", name, err)
		}
		return nil, fileError(name, fmt.Errorf("open workbook: %w", err))
	}
	r := &xlsxReader{name: name, book: book}
	if err := r.start(opts); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// start picks the sheet, skips the title rows and reads the header.
func (r *xlsxReader) start(opts *options) error {
	sheets := r.book.GetSheetList()
	if len(sheets) == 0 {
		return fmt.Errorf("%s: the workbook has no sheets", r.name)
	}
	r.sheet = sheets[0]
	if opts.sheet != "" {
		r.sheet = ""
		for _, s := range sheets {
			if s == opts.sheet {
				r.sheet = s
				break
			}
			if r.sheet == "" && strings.EqualFold(s, opts.sheet) { // Excel ignores case in sheet names
				r.sheet = s
			}
		}
		if r.sheet == "" {
			return fmt.Errorf("%s: no sheet %q; the sheets are %q", r.name, opts.sheet, sheets)
		}
	}
	rows, err := r.book.Rows(r.sheet)
	if err != nil {
		return fmt.Errorf("%s: sheet %s: %w", r.name, r.sheet, err)
	}
	r.rows = rows
	for r.pos < int64(opts.headerRow) {
		vals, err := r.advance()
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
			if len(vals) == 0 {
				return fmt.Errorf("%s:%d: sheet %s: row is blank where header_row %d expects the column names", r.name, r.pos, r.sheet, opts.headerRow)
			}
			r.header = cleanHeader(vals)
		}
	}
	return nil
}

// advance moves to the next sheet row. The iterator counts rows the file
// omits (blank rows) too, so the count is the sheet's row number.
func (r *xlsxReader) advance() ([]string, error) {
	if !r.rows.Next() {
		if err := r.rows.Error(); err != nil {
			return nil, fmt.Errorf("%s:%d: sheet %s: %w", r.name, r.pos+1, r.sheet, err)
		}
		return nil, io.EOF
	}
	r.pos++
	vals, err := r.rows.Columns(rawCells)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: sheet %s: %w", r.name, r.pos, r.sheet, err)
	}
	return vals, nil
}

// Header returns the column names, trimmed. The slice must not be changed.
func (r *xlsxReader) Header() []string { return r.header }

// Next returns the next sheet row. The workbook omits trailing empty cells,
// so a row shorter than the header is padded with "" to the header's
// length; a longer row is returned as it is, and a blank row has no values.
// Dates come as Excel serial numbers. As with every RowReader here, Values
// is only valid until the next call.
func (r *xlsxReader) Next() (connectors.Row, error) {
	if r.err != nil {
		return connectors.Row{}, r.err
	}
	if r.closed {
		return connectors.Row{}, fmt.Errorf("%s: read after close", r.name)
	}
	vals, err := r.advance()
	if err != nil {
		r.err = err
		return connectors.Row{}, err
	}
	return connectors.Row{Pos: r.pos, Values: r.pad(vals)}, nil
}

// pad extends a non-blank row shorter than the header with empty values,
// in a buffer reused from row to row.
func (r *xlsxReader) pad(vals []string) []string {
	n := len(r.header)
	if len(vals) == 0 || len(vals) >= n {
		return vals
	}
	r.buf = append(r.buf[:0], vals...)
	for len(r.buf) < n {
		r.buf = append(r.buf, "")
	}
	return r.buf
}

// Close releases the sheet iterator and the workbook's temporary files. It
// is safe to call twice.
func (r *xlsxReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	if r.rows != nil {
		// The iterator's Close repeats an error Next already returned.
		if err := r.rows.Close(); err != nil && err != r.rows.Error() {
			errs = append(errs, err)
		}
	}
	if err := r.book.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", r.name, err)
	}
	return nil
}
