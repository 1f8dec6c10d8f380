package pipeline

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
	"github.com/lipwatch/lipwatch/engine/config"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// loadFishersIntoPostgres puts the county's fishers file, dirty rows and
// all, into a department-style table with a row number.
func loadFishersIntoPostgres(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	f, err := os.Open("../../testdata/county/fishers.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	cols := []string{`"行号" int`}
	for _, h := range header {
		cols = append(cols, fmt.Sprintf("%q text", h))
	}
	for _, q := range []string{`DROP TABLE IF EXISTS fishers_register`, `CREATE TABLE fishers_register (` + strings.Join(cols, ", ") + `)`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rows := make([][]any, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		row := []any{i + 2}
		for j := range header {
			v := ""
			if j < len(rec) {
				v = rec[j]
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	names := append([]string{"行号"}, header...)
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"fishers_register"}, names, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
}

// TestAPIAndPostgres runs the example config end to end: employment from
// the fake department API, fishers from a real PostgreSQL, the rest from
// files. The warnings must be exactly the ground truth's, as with files.
func TestAPIAndPostgres(t *testing.T) {
	url := pgtest.URL(t)
	loadFishersIntoPostgres(t, url)
	srv, err := fakeapi.NewFromCSV("../../testdata/county/employment.csv", fakeapi.Options{Pagination: "page", PageSize: 200, Token: "demo-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "examples.duckdb"))
	t.Setenv("LIPWATCH_DISPATCH_DIR", filepath.Join(dir, "lists"))
	t.Setenv("LIPWATCH_SOURCES_EMPLOYMENT_OPTIONS_URL", srv.URL+"/api/v1/employment")
	t.Setenv("LIPWATCH_API_TOKEN", "demo-token")
	t.Setenv("LIPWATCH_FISHERS_DSN", url)
	cfg, err := config.Load("../../testdata/examples/connectors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), cfg, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b, _ := os.ReadFile("../../testdata/county/truth.json")
	c := &county{p: p}
	if err := json.Unmarshal(b, &c.truth); err != nil {
		t.Fatal(err)
	}
	c.day, _ = time.Parse(time.DateOnly, c.truth.Options.AsOf)
	sum, err := p.Run(context.Background(), c.day)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, r := range sum.Sync {
		if r.Err != nil {
			t.Fatalf("source %s: %v", r.Source, r.Err)
		}
		if r.Source == "employment" || r.Source == "fishers" {
			read, loaded, _, _ := r.Totals()
			if loaded == 0 || read == 0 {
				t.Errorf("%s loaded nothing", r.Source)
			}
			kinds[r.Source] = true
		}
	}
	if len(kinds) != 2 {
		t.Fatalf("the API and PostgreSQL sources did not run: %v", kinds)
	}
	if diff := diffCases(c.expected(t), c.actual(t)); len(diff) > 0 {
		t.Fatalf("%d differences from the ground truth:\n%s", len(diff), strings.Join(diff, "\n"))
	}
	// The fishers register's watermark is its greatest 行号, the CSV line
	// of its last row (the query's stream is named "query").
	last := ""
	for _, f := range c.truth.Files {
		if f.File == "fishers.csv" {
			last = fmt.Sprint(f.DataRows + 1) // the header is line 1
		}
	}
	if w, err := p.Store.Watermark(context.Background(), "fishers", "query"); err != nil || w != last {
		t.Fatalf("fishers watermark %q, %v; want %s, the last 行号", w, err, last)
	}
	// The second night reads both again and loads nothing new.
	again, err := p.Run(context.Background(), c.day)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again.Sync {
		read, loaded, _, _ := r.Totals()
		if r.Err != nil || loaded != 0 {
			t.Errorf("second run, %s: loaded %d, %v", r.Source, loaded, r.Err)
		}
		// The fishers register is read from its saved 行号 less the
		// lookback of 1000 (rows committed out of order): at most the
		// last 1000 again, all skipped by natural key.
		if r.Source == "fishers" && (read == 0 || read > 1000) {
			t.Errorf("second run read %d fishers rows: want the lookback window of the last 1000 行号, no more", read)
		}
	}
}
