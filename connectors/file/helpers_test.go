package file_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	_ "github.com/lipwatch/lipwatch/connectors/file"
)

// newSource builds a file connector over dir through the registry, as the
// engine does.
func newSource(t testing.TB, dir string, opts connectors.Options) connectors.Connector {
	t.Helper()
	return connectortest.New(t, "file", connectors.Source{Name: "test", BaseDir: dir, Options: opts})
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
