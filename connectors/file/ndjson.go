package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lipwatch/lipwatch/connectors"
)

// ndjsonSource reads a file of one JSON object per line (NDJSON, JSON
// Lines). Lines are independent, so a line that does not parse spoils
// only itself: it is returned with its text for the dataset layer to
// quarantine, and reading goes on. The text goes through textLines, so
// that CRLF, CR-only and mixed line endings all end lines, and a byte
// order mark at a line's start (NDJSON files joined together) is dropped.
type ndjsonSource struct {
	name   string
	file   *os.File
	text   *textReader
	lines  *textLines
	br     *bufio.Reader
	line   int64  // the line last read
	buf    []byte // a line longer than the reader's buffer
	parser objectParser
}

func openNDJSON(ctx context.Context, name, path string, opts *options) (*recordRows, error) {
	f, text, lines, err := openText(ctx, path, opts.encoding)
	if err != nil {
		return nil, fileError(name, err)
	}
	s := &ndjsonSource{name: name, file: f, text: text, lines: lines, br: bufio.NewReaderSize(lines, 64<<10)}
	r, err := newRecordRows(name, s)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// next reads the next line. A line of only spaces is a blank row, and so
// is null; a line that is not a JSON object keeps its text (see
// recordRows.row).
func (s *ndjsonSource) next(rec *jsonRecord) error {
	line, err := s.readLine()
	if err != nil {
		switch {
		case err == io.EOF:
		case isEncodingError(err):
			err = fmt.Errorf("%s: %w", s.name, err)
		case errors.Is(err, errRecordTooLarge):
			err = fmt.Errorf("%s:%d: %w", s.name, s.line+1, recordTooLarge("the line",
				"not one record per line (a JSON array saved as NDJSON? then set format: json)"))
		default:
			err = fmt.Errorf("%s:%d: %w", s.name, s.line+1, err)
		}
		return err
	}
	s.line++
	rec.pos = s.line
	trimmed := bytes.TrimSpace(line)
	switch {
	case len(trimmed) == 0 || string(trimmed) == "null":
		rec.blank = true
		return nil
	case trimmed[0] == '{' && json.Valid(trimmed):
		s.parser.split(trimmed, rec)
		return nil
	}
	rec.raw = string(line)
	return nil
}

// readLine returns the next line without its line break, or io.EOF when
// there is none. The slice is valid until the next call.
func (s *ndjsonSource) readLine() ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.buf = append(s.buf[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.br.ReadSlice('\n')
			s.buf = append(s.buf, line...)
		}
		line = s.buf
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if err == io.EOF && len(line) == 0 {
		if s.lines.lastLine() > s.line { // a last line that held only a byte order mark
			return line, nil
		}
		return nil, io.EOF
	}
	s.lines.markRecord()
	return bytes.TrimSuffix(line, []byte("\n")), nil
}

func (s *ndjsonSource) notRecords(rec *jsonRecord, n int) error {
	return fmt.Errorf(`%s: %s is a JSON object (line %d is %s): NDJSON has one object per line, `+
		`{"身份证号": "…", "姓名": "…"}; export the records so, or as CSV`, s.name, sampleWords(n, "line"), rec.pos, rawKind(rec.raw))
}

func (s *ndjsonSource) notes() []connectors.Note {
	return append(s.text.Notes(), s.lines.notes()...)
}

func (s *ndjsonSource) close() error { return s.file.Close() }
