package file

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
)

// csvReader reads a CSV file's rows with their line numbers.
//
// The decoded text reaches encoding/csv through textLines, which makes
// every line break a '\n' (a lone CR included) and counts the lines.
// encoding/csv skips empty lines without a word. To return them, the reader
// compares where each record starts (csv.Reader.FieldPos) with where the
// previous one ended (its start plus the newlines inside its quoted last
// field) and yields a row without values for every line in between; empty
// lines after the last record are found by counting the newlines of the
// whole text once it is read.
type csvReader struct {
	name   string
	file   *os.File
	text   *textReader
	lines  *textLines
	cr     *csv.Reader
	header []string

	next      int64    // line number of the next row to return
	pending   []string // a record read ahead of the empty lines before it
	pendStart int64
	pendEnd   int64
	atEOF     bool
	lastLine  int64 // the text's last line, known at EOF
	err       error
	closed    bool
}

func openCSV(ctx context.Context, name, path string, opts *options) (*csvReader, error) {
	f, text, lc, err := openText(ctx, path, opts.encoding)
	if err != nil {
		return nil, fileError(name, err)
	}
	cr := csv.NewReader(bufio.NewReaderSize(lc, 64<<10))
	cr.Comma = opts.delimiter
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	r := &csvReader{name: name, file: f, text: text, lines: lc, cr: cr}
	if err := r.readHeader(opts.headerRow); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// readHeader skips the title records above the header line and keeps the
// header. The header must start exactly on its line: a blank line there, or
// a quoted field running across it, means header_row is wrong for the file.
func (r *csvReader) readHeader(headerRow int) error {
	want := int64(headerRow)
	for {
		rec, err := r.cr.Read()
		if err == io.EOF {
			if r.lines.lastLine() == 0 {
				return fmt.Errorf("%s: empty file: no header", r.name)
			}
			return fmt.Errorf("%s: header_row is %d but the file has %d lines", r.name, headerRow, r.lines.lastLine())
		}
		if err != nil {
			return r.readError(err)
		}
		r.lines.markRecord()
		start, end := r.span(rec)
		switch {
		case start == want:
			r.header = cleanHeader(rec)
			r.next = end + 1
			return nil
		case start > want:
			return fmt.Errorf("%s:%d: line is blank where header_row %d expects the column names", r.name, want, headerRow)
		case end >= want:
			return fmt.Errorf("%s:%d: header_row %d falls inside a quoted field that starts on line %d", r.name, want, headerRow, start)
		}
	}
}

// span returns the lines on which the record just read starts and ends.
func (r *csvReader) span(rec []string) (start, end int64) {
	s, _ := r.cr.FieldPos(0)
	last := len(rec) - 1
	e, _ := r.cr.FieldPos(last)
	// Only a quoted field spans lines, and each line break inside it is
	// one '\n' (textLines made it so).
	start, end = int64(s), int64(e)+int64(strings.Count(rec[last], "\n"))
	// A quote that never closes takes the rest of the text into the field,
	// the final line break included, which ends the last line rather than
	// starting another: the record then ends on the text's last line.
	if r.lines.eof {
		end = max(min(end, r.lines.lastLine()), start)
	}
	return start, end
}

// Header returns the column names, trimmed. The slice must not be changed.
func (r *csvReader) Header() []string { return r.header }

// Next returns the next line's row. Its Values slice is reused by the
// following call to Next: copy it (not the strings) to keep it. An empty
// line is a row without values. A record spanning lines has End set to its
// last line.
func (r *csvReader) Next() (connectors.Row, error) {
	for {
		if r.pending != nil {
			if r.next < r.pendStart {
				r.next++
				return connectors.Row{Pos: r.next - 1}, nil
			}
			row := connectors.Row{Pos: r.pendStart, Values: r.pending}
			if r.pendEnd > r.pendStart {
				row.End = r.pendEnd
			}
			r.next = r.pendEnd + 1
			r.pending = nil
			return row, nil
		}
		if r.atEOF {
			if r.next <= r.lastLine {
				r.next++
				return connectors.Row{Pos: r.next - 1}, nil
			}
			return connectors.Row{}, io.EOF
		}
		if r.err != nil {
			return connectors.Row{}, r.err
		}
		if r.closed {
			return connectors.Row{}, fmt.Errorf("%s: read after close", r.name)
		}
		rec, err := r.cr.Read()
		switch {
		case err == io.EOF:
			r.atEOF = true
			r.lastLine = r.lines.lastLine()
		case err != nil:
			r.err = r.readError(err)
		default:
			r.lines.markRecord()
			r.pendStart, r.pendEnd = r.span(rec)
			r.pending = rec
		}
	}
}

// readError names the file and the line where reading failed. An
// encoding problem concerns the whole file and names no line; a
// runaway record names the line after the last complete row, where it
// starts (after blank lines, if any).
func (r *csvReader) readError(err error) error {
	var pe *csv.ParseError
	switch {
	case isEncodingError(err):
		return fmt.Errorf("%s: %w", r.name, err)
	case errors.Is(err, errRecordTooLarge):
		return fmt.Errorf("%s:%d: %w", r.name, max(r.next, 1),
			recordTooLarge("a row starting on this line (or after the blank lines below it)",
				"is there a quote that opens a field and never closes?"))
	case errors.As(err, &pe):
		return fmt.Errorf("%s:%d:%d: %w", r.name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s:%d: %w", r.name, max(r.next, 1), err)
}

// Notes reports what reading noticed: lone CR line endings, byte order
// marks inside the text, UTF-16 without a byte order mark, invalid
// sequences in the detected encoding. Complete after io.EOF.
func (r *csvReader) Notes() []connectors.Note {
	return append(r.text.Notes(), r.lines.notes()...)
}

// Close closes the file. It is safe to call twice.
func (r *csvReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.file.Close()
}

// Progress reports how many bytes of the file have been read (read-ahead
// included) and the file's size, for a progress bar's ETA.
func (r *csvReader) Progress() (done, total int64) {
	if r.closed {
		return 0, 0
	}
	done, _ = r.file.Seek(0, io.SeekCurrent)
	if fi, err := r.file.Stat(); err == nil {
		total = fi.Size()
	}
	return done, total
}
