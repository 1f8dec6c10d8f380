package file

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ndjsonSource reads a file of one JSON object per line (NDJSON, JSON
// Lines). Lines are independent, so a line that does not parse spoils
// only itself: it is returned with its text for the dataset layer to
// quarantine, and reading goes on.
type ndjsonSource struct {
	name   string
	file   *os.File
	br     *bufio.Reader
	line   int64  // the line last read
	buf    []byte // a line longer than the reader's buffer
	parser objectParser
}

func openNDJSON(name, path string, opts *options) (*keyedReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(name, err)
	}
	text, err := decodeReader(f, opts.encoding)
	if err != nil {
		f.Close()
		return nil, fileError(name, err)
	}
	s := &ndjsonSource{name: name, file: f, br: bufio.NewReaderSize(text, 64<<10)}
	r, err := newKeyedReader(name, s)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// next reads the next line. A line of only spaces is a blank row, and so
// is null; a line that is not a JSON object keeps its text (see
// keyedReader.row).
func (s *ndjsonSource) next(rec *record) error {
	line, err := s.readLine()
	if err != nil {
		if err != io.EOF {
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
		rec.fields, _ = s.parser.split(trimmed, rec.fields)
		return nil
	}
	rec.raw = string(line)
	return nil
}

// readLine returns the next line without its line break (\n or \r\n),
// or io.EOF when there is none. The slice is valid until the next call.
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
		return nil, io.EOF
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

func (s *ndjsonSource) close() error { return s.file.Close() }
