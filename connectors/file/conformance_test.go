package file_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// TestConformance runs the connector conformance suite over each format
// the kind reads. Its slow source is a file of 50 GiB (sparse: it takes no
// disk), which reads for minutes unless the context stops it.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		write func(t *testing.T, path string, header []string, rows [][]string)
	}{
		{"csv", "data.csv", writeConformanceCSV(nil)},
		{"csv_gb18030", "data.csv", writeConformanceCSV(simplifiedchinese.GB18030.NewEncoder().Writer)},
		{"xlsx", "data.xlsx", writeConformanceXLSX},
		{"json", "data.json", writeConformanceJSON(false)},
		{"ndjson", "data.ndjson", writeConformanceJSON(true)},
		{"parquet", "data.parquet", writeConformanceParquet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			connectortest.Run(t, connectortest.Fixture{
				Kind: "file",
				New: func(t *testing.T, header []string, rows [][]string) connectors.Connector {
					dir := t.TempDir()
					tc.write(t, filepath.Join(dir, tc.file), header, rows)
					return newConformanceSource(t, "conformance", dir, connectors.Options{"path": "*" + filepath.Ext(tc.file)})
				},
				Broken: brokenFileSources,
				Slow: func(t *testing.T) connectors.Connector {
					dir := t.TempDir()
					path := writeFile(t, dir, tc.file, nil)
					if err := os.Truncate(path, 50<<30); err != nil {
						t.Skipf("no sparse file of 50 GiB here: %v", err)
					}
					return newConformanceSource(t, "slow", dir, connectors.Options{"path": "*" + filepath.Ext(tc.file)})
				},
			})
		})
	}
}

// brokenFileSources fail at each step: Streams (nothing matches, a
// directory), and Open (a file that is not what its name says, a sheet or
// header row that is not there).
var brokenFileSources = map[string]func(t *testing.T, source string) connectors.Connector{
	"no_file_matches": func(t *testing.T, source string) connectors.Connector {
		return newConformanceSource(t, source, t.TempDir(), connectors.Options{"path": "inbox/*.csv"})
	},
	"path_is_a_directory": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "inbox/a.csv", []byte("a\n1\n"))
		return newConformanceSource(t, source, dir, connectors.Options{"path": "inbox"})
	},
	"not_a_workbook": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "名单.xlsx", []byte("身份证号,姓名\n"))
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.xlsx"})
	},
	"legacy_xls": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "名单.xls", []byte{0xD0, 0xCF, 0x11, 0xE0})
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.xls"})
	},
	"no_such_sheet": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeConformanceXLSX(t, filepath.Join(dir, "名单.xlsx"), []string{"身份证号"}, [][]string{{"11010519491231002X"}})
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.xlsx", "sheet": "残疾人证"})
	},
	"header_row_past_the_end": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "名单.csv", []byte("身份证号\n11010519491231002X\n"))
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.csv", "header_row": 5})
	},
	"json_syntax_error": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "名单.json", []byte(`[{"身份证号": "11010519491231002X"}, {"身份证号": }]`))
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.json"})
	},
	"json_records_not_there": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "名单.json", []byte(`{"code": 500, "msg": "服务异常"}`))
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.json", "records": "data.items"})
	},
	"not_parquet": func(t *testing.T, source string) connectors.Connector {
		dir := t.TempDir()
		writeFile(t, dir, "名单.parquet", []byte("身份证号,姓名\n"))
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.parquet"})
	},
	"unreadable": func(t *testing.T, source string) connectors.Connector {
		if os.Geteuid() == 0 {
			t.Skip("root reads any file")
		}
		dir := t.TempDir()
		p := writeFile(t, dir, "名单.csv", []byte("身份证号\n"))
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		return newConformanceSource(t, source, dir, connectors.Options{"path": "*.csv"})
	},
}

// newConformanceSource builds a connector through the registry, as the
// engine does; the suite closes it.
func newConformanceSource(t *testing.T, name, dir string, opts connectors.Options) connectors.Connector {
	t.Helper()
	c, err := connectors.New("file", connectors.Source{Name: name, BaseDir: dir, Options: opts})
	if err != nil {
		t.Fatalf("new connector: %v", err)
	}
	return c
}

// writeConformanceCSV returns a writer of CSV files through encode (UTF-8
// when nil), as a department's export would write them.
func writeConformanceCSV(encode func(io.Writer) io.Writer) func(t *testing.T, path string, header []string, rows [][]string) {
	return func(t *testing.T, path string, header []string, rows [][]string) {
		t.Helper()
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var w io.Writer = f
		if encode != nil {
			w = encode(f)
		}
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			t.Fatal(err)
		}
		if err := cw.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		if c, ok := w.(io.Closer); ok {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeConformanceXLSX writes the rows as text cells on the first sheet.
func writeConformanceXLSX(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range append([][]string{header}, rows...) {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", i+1), cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// writeConformanceJSON returns a writer of the rows as a JSON array of
// objects, or as NDJSON, every value a string.
func writeConformanceJSON(ndjson bool) func(t *testing.T, path string, header []string, rows [][]string) {
	return func(t *testing.T, path string, header []string, rows [][]string) {
		t.Helper()
		var b strings.Builder
		if !ndjson {
			b.WriteString("[\n")
		}
		for i, r := range rows {
			b.WriteString("{")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				k, _ := json.Marshal(header[j])
				val, _ := json.Marshal(v)
				b.Write(k)
				b.WriteString(": ")
				b.Write(val)
			}
			b.WriteString("}")
			if !ndjson && i < len(rows)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		if !ndjson {
			b.WriteString("]\n")
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeConformanceParquet writes the rows as string columns, in row
// groups of 1000 rows.
func writeConformanceParquet(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	var fields schema.FieldList
	for _, name := range header {
		fields = append(fields, strNode(t, name, parquet.Repetitions.Optional))
	}
	var groups [][]columnWriter
	for start := 0; start < len(rows); start += 1000 {
		part := rows[start:min(start+1000, len(rows))]
		var cols []columnWriter
		for j := range header {
			var vals []any
			for _, r := range part {
				vals = append(vals, bs(r[j]))
			}
			cols = append(cols, flat[parquet.ByteArray](vals...))
		}
		groups = append(groups, cols)
	}
	writeParquet(t, path, fields, groups)
}
