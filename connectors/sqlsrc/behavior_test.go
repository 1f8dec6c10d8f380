package sqlsrc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lipwatch/lipwatch/connectors"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// running counts the server's active queries whose text contains marker,
// other than the one asking.
func running(t testing.TB, marker string) int {
	t.Helper()
	var n int
	err := admin(t).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
		marker).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitGone waits for the server to stop running the queries marked.
func waitGone(t testing.TB, marker string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if running(t, marker) == 0 {
			return
		}
	}
	t.Errorf("the server still runs the query marked %s", marker)
}

// Cancelling the context stops a slow query at once, on the server too.
func TestCancel(t *testing.T) {
	for _, fetch := range []int{0, 100} {
		t.Run(fmt.Sprintf("fetch_size=%d", fetch), func(t *testing.T) {
			marker := fmt.Sprintf("cancel_marker_%d", fetch)
			c := newSQL(t, "slow", connectors.Options{
				"query":      "SELECT pg_sleep(30) AS " + marker + ", 1 AS n",
				"fetch_size": fetch,
			})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(300*time.Millisecond, cancel)
			start := time.Now()
			err := func() error {
				rr, err := only(t, c).Open(ctx)
				if err != nil {
					return err
				}
				defer rr.Close()
				_, err = rr.Next()
				return err
			}()
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %s to stop", elapsed)
			}
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "source slow") {
				t.Errorf("got %v, want context.Canceled naming the source", err)
			}
			waitGone(t, marker)
		})
	}

	// A context done before Open connects to nothing.
	c := newSQL(t, "slow", connectors.Options{"query": "SELECT 1"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := only(t, c).Open(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("open with a done context: %v", err)
	}
	if _, err := c.Streams(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("streams with a done context: %v", err)
	}
}

// Every error names the source; SQL errors carry the server's message;
// none carries the connection string or its password.
func TestErrors(t *testing.T) {
	good := pgtest.URL(t)
	u, err := url.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	wrongPW := *u
	wrongPW.User = url.UserPassword(u.User.Username(), "Wrong-Secret-7731")
	closedPort := *u
	closedPort.Host = "127.0.0.1:1"
	kv := fmt.Sprintf("host=%s port=%s user=%s password='Kv Secret 7732' dbname=lipwatch sslmode=disable",
		u.Hostname(), u.Port(), u.User.Username())
	conn := admin(t)
	tbl := table(t, conn, "n int", "1", "2")

	tests := []struct {
		name  string
		dsn   string // "" for the good one; "-" for an unset variable
		opts  connectors.Options
		at    string // "open" or "next"
		want  []string
		state string // the SQLSTATE, for server errors
	}{
		{name: "missing table", opts: connectors.Options{"query": "SELECT * FROM no_such_table"}, at: "open",
			want: []string{"source fishers: run query: ", `relation "no_such_table" does not exist`}, state: "42P01"},
		{name: "syntax", opts: connectors.Options{"query": "SELEC 1"}, at: "open",
			want: []string{"source fishers: run query: ", `syntax error at or near "SELEC"`}, state: "42601"},
		{name: "syntax with cursor", opts: connectors.Options{"query": "SELEC 1", "fetch_size": 10}, at: "open",
			want: []string{"source fishers: run query: ", `syntax error at or near "SELEC"`}, state: "42601"},
		{name: "fails mid-stream", opts: connectors.Options{"query": "SELECT 10 / (5 - g) FROM generate_series(1, 10) g"}, at: "next",
			want: []string{"source fishers: read rows: division by zero"}, state: "22012"},
		{name: "read only", opts: connectors.Options{"query": "DELETE FROM " + tbl + " RETURNING n"}, at: "next",
			want: []string{"source fishers: read rows: cannot execute DELETE in a read-only transaction"}, state: "25006"},
		{name: "statement timeout", opts: connectors.Options{"query": "SELECT pg_sleep(5)", "timeout": "200ms"}, at: "next",
			want: []string{"source fishers: read rows: canceling statement due to statement timeout"}, state: "57014"},
		{name: "wrong password", dsn: wrongPW.String(), opts: connectors.Options{"query": "SELECT 1"}, at: "open",
			want: []string{"source fishers: connect to ", "password authentication failed"}},
		{name: "wrong password key=value", dsn: kv, opts: connectors.Options{"query": "SELECT 1"}, at: "open",
			want: []string{"source fishers: connect to ", "password authentication failed"}},
		{name: "nothing listening", dsn: closedPort.String(), opts: connectors.Options{"query": "SELECT 1"}, at: "open",
			want: []string{"source fishers: connect to ", "refused"}},
		{name: "unparsable", dsn: "postgres://lipwatch:Parse-Secret-7733@127.0.0.1:notaport/x", opts: connectors.Options{"query": "SELECT 1"}, at: "open",
			want: []string{"source fishers: the connection string in environment variable LIPWATCH_TEST_BAD_DSN is not valid"}},
		{name: "unset variable", dsn: "-", opts: connectors.Options{"query": "SELECT 1"}, at: "open",
			want: []string{"source fishers: environment variable LIPWATCH_TEST_BAD_DSN is not set or empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch tt.dsn {
			case "":
				t.Setenv("LIPWATCH_TEST_BAD_DSN", good)
			case "-":
				t.Setenv("LIPWATCH_TEST_BAD_DSN", "")
			default:
				t.Setenv("LIPWATCH_TEST_BAD_DSN", tt.dsn)
			}
			tt.opts["dsn_env"] = "LIPWATCH_TEST_BAD_DSN"
			s := only(t, newSQL(t, "fishers", tt.opts))
			rr, err := s.Open(t.Context())
			if tt.at == "next" {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				for err == nil {
					_, err = rr.Next()
				}
				if errors.Is(err, io.EOF) {
					t.Fatal("read to the end without an error")
				}
				if _, again := rr.Next(); again != err {
					t.Errorf("next after an error: %v, want the same error", again)
				}
				rr.Close()
			} else if err == nil {
				rr.Close()
				t.Fatal("open succeeded")
			} else if rr != nil {
				t.Errorf("a failed Open returned a reader %#v", rr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{good, password, "Wrong-Secret-7731", "Kv Secret 7732", "Parse-Secret-7733", "postgres://"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
					t.Errorf("%q leaks %q", err, secret)
				}
			}
			var pe *pgconn.PgError
			if tt.state != "" && (!errors.As(err, &pe) || pe.Code != tt.state) {
				t.Errorf("got %v, want a server error %s", err, tt.state)
			}
		})
	}
}

// Close is safe twice, on readers and the connector; closing a reader in
// the middle of a large result stops the query instead of draining it.
func TestClose(t *testing.T) {
	c := newSQL(t, "registry", connectors.Options{
		"query": "SELECT g AS close_marker, md5(g::text) FROM (SELECT generate_series(1, 50000000) AS g) s",
	})
	rr, err := only(t, c).Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if _, err := rr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if err := rr.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := rr.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("closing mid-result took %s", elapsed)
	}
	if _, err := rr.Next(); err == nil || !strings.Contains(err.Error(), "source registry") {
		t.Errorf("next after close: %v", err)
	}
	waitGone(t, "close_marker")

	// Closing the connector cancels a reader still open and refuses new ones.
	rr, err = only(t, c).Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	if err := c.Close(t.Context()); err != nil {
		t.Errorf("close connector: %v", err)
	}
	if err := c.Close(t.Context()); err != nil {
		t.Errorf("close connector twice: %v", err)
	}
	for err == nil {
		_, err = rr.Next()
	}
	if !strings.Contains(err.Error(), "source registry") || !strings.Contains(err.Error(), "connector is closed") {
		t.Errorf("reading after the connector closed: %v", err)
	}
	rr.Close()
	if _, err := c.Streams(t.Context()); err == nil || !strings.Contains(err.Error(), "source registry: connector is closed") {
		t.Errorf("streams after close: %v", err)
	}
	waitGone(t, "close_marker")

	// A reader whose Open failed needs no Close; a connector that never
	// opened one closes too.
	c2 := newSQL(t, "registry", connectors.Options{"query": "SELECT 1"})
	if err := c2.Close(t.Context()); err != nil {
		t.Errorf("close unused: %v", err)
	}
}

// An empty result has its header, no rows, and keeps the watermark.
func TestEmpty(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id_number text, updated_at timestamptz")
	for _, fetch := range []int{0, 1} {
		c := newSQL(t, "fishers", connectors.Options{
			"query":             "SELECT * FROM " + tbl + " WHERE updated_at > $1",
			"watermark_column":  "updated_at",
			"watermark_initial": "1970-01-01T00:00:00Z",
			"fetch_size":        fetch,
		})
		s := only(t, c)
		s.Resume("2026-03-01T00:00:00Z")
		rr, err := s.Open(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if h := rr.Header(); !reflect.DeepEqual(h, []string{"id_number", "updated_at"}) {
			t.Errorf("header %q", h)
		}
		for range 2 {
			if row, err := rr.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("next: %v %v, want io.EOF", row, err)
			}
		}
		rr.Close()
		if w := s.Watermark(); w != "2026-03-01T00:00:00Z" {
			t.Errorf("watermark %q after an empty read", w)
		}
	}
}

// A million rows stream through without being held: the heap stays small
// while they are read, and values kept from early rows stay intact.
func TestLargeResultStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a million rows")
	}
	const n = 1_000_000
	c := newSQL(t, "medical", connectors.Options{"query": bigQuery(n)})
	rr, err := only(t, c).Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	var first string
	rows := 0
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", rows+1, err)
		}
		rows++
		if rows == 1 {
			first = row.Values[0] // kept: the string must survive the slice's reuse
		}
		if rows%50_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if rows != n {
		t.Errorf("read %d rows, want %d", rows, n)
	}
	t.Logf("peak heap while reading %d rows: %.1f MB", n, float64(peak)/(1<<20))
	if peak > 200<<20 {
		t.Errorf("heap reached %.0f MB: the result is held in memory", float64(peak)/(1<<20))
	}
	if first != "CL0000000001" {
		t.Errorf("a value kept from row 1 changed to %q", first)
	}
}

// bigQuery is a 6-column settlement-like result of n generated rows.
func bigQuery(n int) string {
	return fmt.Sprintf(`SELECT 'CL' || lpad(g::text, 10, '0') AS claim_id,
		'340799' || lpad((g %% 100000000)::text, 12, '0') AS id_number,
		date '2026-01-01' + (g %% 365) AS settle_date,
		(ARRAY['县人民医院', '县中医院', '市第一人民医院'])[g %% 3 + 1] AS hospital,
		(g %% 90000 + 1000)::numeric(12,2) AS total_cost,
		(g %% 3000 + 100.5)::numeric(12,2) AS out_of_pocket
		FROM generate_series(1, %d) g`, n)
}
