package fakeapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// NewFromCSV serves the rows of a CSV file, such as a generated county's
// employment.csv, as records keyed by the header's names, in the file's
// column order (unless opts.Fields says otherwise).
func NewFromCSV(path string, opts Options) (*Server, error) {
	records, fields, err := ReadCSV(path)
	if err != nil {
		return nil, err
	}
	if opts.Fields == nil {
		opts.Fields = fields
	}
	return Start(records, opts)
}

// ReadCSV reads a CSV file with a header line into records of strings and
// returns the header's names. The file may be UTF-8 (with or without a
// byte order mark) or GB18030/GBK, as the county's files are; the encoding
// is detected. Values are kept as written. Every line becomes a record,
// a line of empty cells too, except an entirely empty line, which the
// csv package does not report. Cells past the header are kept under
// "_extra_N".
func ReadCSV(path string) (records []map[string]any, fields []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		if data, err = simplifiedchinese.GB18030.NewDecoder().Bytes(data); err != nil {
			return nil, nil, fmt.Errorf("%s: decode GB18030: %w", path, err)
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			h = fmt.Sprintf("_column_%d", i+1)
		}
		fields = append(fields, h)
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return records, fields, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		rec := make(map[string]any, len(fields))
		for i, v := range row {
			if i < len(fields) {
				rec[fields[i]] = v
			} else {
				rec[fmt.Sprintf("_extra_%d", i-len(fields)+1)] = v
			}
		}
		records = append(records, rec)
	}
}
