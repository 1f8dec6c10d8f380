package file_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// writeOneColumnParquet writes a Parquet file with one string column 姓名.
func writeOneColumnParquet(t testing.TB, path string) {
	writeParquet(t, path, schema.FieldList{strNode(t, "姓名", parquet.Repetitions.Optional)},
		[][]columnWriter{{flat[parquet.ByteArray](bs("张三"))}})
}

// Every format is found by its extension, whatever its case.
func TestFormatByExtension(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("姓名\n张三\n"))
	writeWorkbook(t, filepath.Join(dir, "b.xlsx"))
	writeFile(t, dir, "c.json", []byte(`[{"姓名": "张三"}]`))
	writeFile(t, dir, "d.NDJSON", []byte(`{"姓名": "张三"}`+"\n"))
	writeFile(t, dir, "e.jsonl", []byte(`{"姓名": "张三"}`+"\n"))
	writeOneColumnParquet(t, filepath.Join(dir, "f.Parquet"))
	c := newSource(t, dir, connectors.Options{"path": "*"})
	streams, err := c.Streams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]connectors.Row{
		"a.csv": row(2, "张三"), "c.json": row(1, "张三"), "d.NDJSON": row(1, "张三"),
		"e.jsonl": row(1, "张三"), "f.Parquet": row(1, "张三"),
	}
	for _, s := range streams {
		rr, err := s.Open(context.Background())
		if err != nil {
			t.Errorf("%s: %v", s.Name(), err)
			continue
		}
		rows := connectortest.ReadAll(t, rr)
		rr.Close()
		if s.Name() == "b.xlsx" {
			continue // its content is checked in xlsx_test.go
		}
		if !reflect.DeepEqual(rr.Header(), []string{"姓名"}) {
			t.Errorf("%s: header %q", s.Name(), rr.Header())
		}
		checkRows(t, rows, []connectors.Row{want[s.Name()]})
		delete(want, s.Name())
	}
	if len(want) > 0 {
		t.Errorf("not read: %v", want)
	}

	// A cancelled context stops every format before it opens the file.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, s := range streams {
		if _, err := s.Open(ctx); err != context.Canceled {
			t.Errorf("%s: Open: got %v, want context.Canceled", s.Name(), err)
		}
	}
}

// The format option reads a file whatever its extension.
func TestFormatOptionOverridesExtension(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "export.txt", []byte(`{"姓名": "张三"}`+"\n"))
	writeFile(t, dir, "answer.dat", []byte(`{"data": [{"姓名": "张三"}]}`))
	writeOneColumnParquet(t, filepath.Join(dir, "table.bin"))
	for _, opts := range []connectors.Options{
		{"path": "export.txt", "format": "ndjson"},
		{"path": "answer.dat", "format": "JSON", "records": "data"},
		{"path": "table.bin", "format": "parquet"},
	} {
		rr := connectortest.OpenOnly(t, newSource(t, dir, opts))
		checkHeader(t, rr, "姓名")
		checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(1, "张三")})
	}
}
