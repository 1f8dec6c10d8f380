package route

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
)

// Divisions names the county's townships and villages by code.
type Divisions struct {
	Townships map[string]string // 9-digit code -> name
	Villages  map[string]string // 12-digit code -> name
}

// LoadDivisions reads a divisions file: UTF-8 CSV with a header and the
// columns 代码 (code), 名称 (name); codes of 9 digits are townships, of 12
// villages. Problems name the file and line.
func LoadDivisions(path string) (*Divisions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("divisions: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	d := &Divisions{Townships: map[string]string{}, Villages: map[string]string{}}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return d, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if line == 1 {
			continue // header
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s:%d: want a code and a name", path, line)
		}
		code, name := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), strings.TrimSpace(rec[1])
		switch {
		case name == "":
			return nil, fmt.Errorf("%s:%d: division %s has no name", path, line, code)
		case len(code) == 9:
			d.Townships[code] = name
		case len(code) == 12:
			d.Villages[code] = name
		default:
			return nil, fmt.Errorf("%s:%d: %q is not a 9-digit township or 12-digit village code", path, line, code)
		}
	}
}
