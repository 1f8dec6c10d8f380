package file_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/file"
)

// newSource builds a file connector over dir through the registry, as the
// engine does.
func newSource(t testing.TB, dir string, opts connectors.Options) connectors.Connector {
	t.Helper()
	c, err := connectors.New("file", connectors.Source{Name: "test", BaseDir: dir, Options: opts})
	if err != nil {
		t.Fatalf("new connector: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// writeFile writes data to dir/name, creating directories.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openOnly returns the reader of the source's single stream.
func openOnly(t testing.TB, c connectors.Connector) connectors.RowReader {
	t.Helper()
	ctx := context.Background()
	streams, err := c.Streams(ctx)
	if err != nil {
		t.Fatalf("streams: %v", err)
	}
	if len(streams) != 1 {
		t.Fatalf("got %d streams, want 1", len(streams))
	}
	rr, err := streams[0].Open(ctx)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { rr.Close() })
	return rr
}

// openErr returns the error opening the source's single stream.
func openErr(t testing.TB, c connectors.Connector) error {
	t.Helper()
	streams, err := c.Streams(context.Background())
	if err != nil {
		return err
	}
	rr, err := streams[0].Open(context.Background())
	if err == nil {
		rr.Close()
		t.Fatal("open succeeded, want an error")
	}
	return err
}

// readAll reads every row, copying Values and Kinds since readers reuse
// them.
func readAll(t testing.TB, rr connectors.RowReader) []connectors.Row {
	t.Helper()
	var rows []connectors.Row
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("next after %d rows: %v", len(rows), err)
		}
		if row.Values != nil {
			row.Values = append([]string{}, row.Values...)
		}
		if row.Kinds != nil {
			row.Kinds = append([]connectors.CellKind{}, row.Kinds...)
		}
		rows = append(rows, row)
	}
}

// row builds an expected row on one line; no values means a blank row.
func row(pos int64, values ...string) connectors.Row {
	return connectors.Row{Pos: pos, Values: values}
}

// lines builds an expected row spanning lines pos to end.
func lines(pos, end int64, values ...string) connectors.Row {
	return connectors.Row{Pos: pos, End: end, Values: values}
}

func checkRows(t testing.TB, got, want []connectors.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d:\n got %s\nwant %s", len(got), len(want), fmtRows(got), fmtRows(want))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Pos != w.Pos || g.End != w.End || len(g.Values) != len(w.Values) || (len(w.Values) > 0 && !reflect.DeepEqual(g.Values, w.Values)) {
			t.Errorf("row %d: got %s, want %s", i, fmtRow(g), fmtRow(w))
		}
	}
}

func fmtRows(rows []connectors.Row) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(fmtRow(r) + " ")
	}
	return b.String()
}

func fmtRow(r connectors.Row) string {
	if r.End != 0 {
		return fmt.Sprintf("%d-%d%q", r.Pos, r.End, r.Values)
	}
	return fmt.Sprintf("%d%q", r.Pos, r.Values)
}

func checkHeader(t testing.TB, rr connectors.RowReader, want ...string) {
	t.Helper()
	if got := rr.Header(); !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
		t.Errorf("header: got %q, want %q", got, want)
	}
}
