package sqlsrc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	_ "github.com/lipwatch/lipwatch/connectors/sqlsrc"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// admin connects to the test server to set up data.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

var tableSeq atomic.Int64

// table creates a table named after the test from a column list, fills it
// with rows of SQL literals, and drops it after the test.
func table(t testing.TB, conn *pgx.Conn, columns string, rows ...string) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), tableSeq.Add(1))
	exec(t, conn, fmt.Sprintf("CREATE TABLE %s (%s)", name, columns))
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+name) })
	for _, r := range rows {
		exec(t, conn, fmt.Sprintf("INSERT INTO %s VALUES (%s)", name, r))
	}
	return name
}

func exec(t testing.TB, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newSQL builds a sql connector through the registry, as the engine does,
// with the test server's connection string in a file unless opts name
// another place.
func newSQL(t testing.TB, name string, opts connectors.Options) connectors.Connector {
	t.Helper()
	return newSQLIn(t, name, nil, opts)
}

// newSQLIn is newSQL for a county in zone loc (nil: the default UTC+8).
func newSQLIn(t testing.TB, name string, loc *time.Location, opts connectors.Options) connectors.Connector {
	t.Helper()
	dir := t.TempDir()
	if opts["dsn_env"] == nil && opts["dsn_file"] == nil {
		if err := os.WriteFile(filepath.Join(dir, "dsn"), []byte(pgtest.URL(t)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		opts["dsn_file"] = "dsn"
	}
	return connectortest.New(t, "sql", connectors.Source{Name: name, BaseDir: dir, Options: opts, Location: loc})
}

// only returns the connector's single stream, which is Incremental.
func only(t testing.TB, c connectors.Connector) connectors.Incremental {
	t.Helper()
	st := connectortest.OnlyStream(t, c)
	s, ok := st.(connectors.Incremental)
	if !ok {
		t.Fatalf("stream %T is not Incremental", st)
	}
	return s
}

// read opens the stream and reads every row, copying Values since readers
// reuse the slice.
func read(t testing.TB, s connectors.Stream) ([]string, [][]string) {
	t.Helper()
	rr, err := s.Open(context.Background())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer rr.Close()
	var rows [][]string
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return rr.Header(), rows
		}
		if err != nil {
			t.Fatalf("next after %d rows: %v", len(rows), err)
		}
		if want := int64(len(rows) + 1); row.Pos != want {
			t.Fatalf("row %d has Pos %d", want, row.Pos)
		}
		rows = append(rows, append([]string(nil), row.Values...))
	}
}

func checkTable(t testing.TB, got, want [][]string) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "got %d rows, want %d\n", len(got), len(want))
	for i := range max(len(got), len(want)) {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if !reflect.DeepEqual(g, w) {
			mark = "! "
		}
		fmt.Fprintf(&b, "%s got  %q\n%s want %q\n", mark, g, mark, w)
	}
	t.Error(b.String())
}

// col returns column i of rows.
func col(rows [][]string, i int) []string {
	out := make([]string, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

// result is everything one read gave.
type result struct {
	header []string
	rows   [][]string
	kinds  [][]connectors.CellKind // per row, copied; nil rows when Kinds was nil
	notes  map[string]connectors.Note
}

// readAll is read that also keeps each row's kinds and the reader's
// notes, taken after io.EOF.
func readAll(t testing.TB, s connectors.Stream) result {
	t.Helper()
	rr, err := s.Open(context.Background())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer rr.Close()
	var res result
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next after %d rows: %v", len(res.rows), err)
		}
		res.rows = append(res.rows, append([]string(nil), row.Values...))
		var k []connectors.CellKind
		if row.Kinds != nil {
			k = append(k, row.Kinds...)
		}
		res.kinds = append(res.kinds, k)
	}
	res.header = rr.Header()
	res.notes = map[string]connectors.Note{}
	n, ok := rr.(connectors.Noter)
	if !ok {
		t.Fatalf("reader %T is not a connectors.Noter", rr)
	}
	for _, nt := range n.Notes() {
		if _, dup := res.notes[nt.Code]; dup {
			t.Errorf("note %s twice", nt.Code)
		}
		res.notes[nt.Code] = nt
	}
	return res
}

// counts is the notes' counts by code.
func (r result) counts() map[string]int64 {
	out := map[string]int64{}
	for code, n := range r.notes {
		out[code] = n.Count
	}
	return out
}

// zone loads an IANA zone.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
