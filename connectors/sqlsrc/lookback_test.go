package sqlsrc_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/sqlsrc"
)

// Two transactions take ids 2 and 3 and commit out of order: a sync that
// runs in between reads 1 and 3, saves 3, and a query "行号 > 3" never
// reads 2. A count lookback reads the last ids again: with lookback 10,
// $1 is 3 - 10 and 2 is read on the next sync.
func TestLookbackOutOfOrderCommit(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "行号 bigint PRIMARY KEY, 身份证号 text", "1, '340799195001010011'")
	opts := func(lookback any) connectors.Options {
		o := connectors.Options{
			"query":             "SELECT * FROM " + tbl + " WHERE 行号 > $1 ORDER BY 行号",
			"watermark_column":  "行号",
			"watermark_initial": "0",
		}
		if lookback != nil {
			o["lookback"] = lookback
		}
		return o
	}
	plain := only(t, newSQL(t, "fishers", opts(nil)))
	counted := only(t, newSQL(t, "fishers", opts(10)))          // a YAML int
	digits := only(t, newSQL(t, "fishers", opts("10")))         // a string of digits
	streams := []connectors.Incremental{plain, counted, digits} // read in turn

	// Id 2's transaction is open while id 3's commits.
	late := admin(t)
	ctx := t.Context()
	tx, err := late.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO "+tbl+" VALUES (2, '340799196502023321')"); err != nil {
		t.Fatal(err)
	}
	exec(t, conn, "INSERT INTO "+tbl+" VALUES (3, '34079919700303222X')")

	saved := make([]string, len(streams))
	for i, s := range streams {
		s.Resume("")
		_, rows := read(t, s)
		if got := col(rows, 0); !reflect.DeepEqual(got, []string{"1", "3"}) {
			t.Fatalf("first sync read %q, want 1 and 3 (2 is not committed)", got)
		}
		saved[i] = s.Watermark()
		if saved[i] != "3" {
			t.Fatalf("watermark %q, want 3", saved[i])
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	// Without a lookback 2 is never read.
	plain.Resume(saved[0])
	if _, rows := read(t, plain); len(rows) != 0 {
		t.Errorf("without lookback read %q, want nothing (2 is missed)", col(rows, 0))
	}
	// With one, 2 is read, and the watermark stays 3.
	for i, s := range streams[1:] {
		s.Resume(saved[i+1])
		_, rows := read(t, s)
		if got := col(rows, 0); !reflect.DeepEqual(got, []string{"1", "2", "3"}) {
			t.Errorf("lookback 10 read %q, want 1, 2, 3", got)
		}
		if w := s.Watermark(); w != "3" {
			t.Errorf("watermark %q, want 3", w)
		}
	}
}

// A correction back-dated inside the lookback window is read on the next
// sync, whatever the watermark column's type: $1 goes back in the form the
// column wrote the watermark, so that a text column compares it as it
// compares its own values (a space sorts before T: sent back as
// 2026-11-25T10:20:30, $1 would skip every record of 2026-11-25 written
// with a space).
func TestLookbackBackdatedCorrection(t *testing.T) {
	sqlsrc.SetNow(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		typ, initial string
		lookback     any
		a, b, c      string // saved: c
		corrected    string // b's new value, inside the window
		saved        string // the watermark, as the column writes it
	}{
		{"text", "0", "24h", "2026-11-24 08:00:00", "2026-11-25 09:00:00", "2026-11-26 10:20:30", "2026-11-25 18:00:00", "2026-11-26 10:20:30"},
		{"varchar(40)", "0", "24h", "2026-11-24T08:00:00.5", "2026-11-25T09:00:00.5", "2026-11-26T10:20:30.25", "2026-11-25T18:00:00.5", "2026-11-26T10:20:30.25"},
		{"text", "0", "24h", "2026-11-24 08:00:00+08", "2026-11-25 09:00:00+08", "2026-11-26 10:20:30+08", "2026-11-25 18:00:00+08", "2026-11-26 10:20:30+08"},
		{"text", "0", "48h", "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-25", "2026-11-26"},
		{"timestamp", "1970-01-01 00:00:00", "24h", "2026-11-24 08:00:00", "2026-11-25 09:00:00", "2026-11-26 10:20:30", "2026-11-25 18:00:00", "2026-11-26 10:20:30"},
		{"timestamptz", "1970-01-01T00:00:00Z", "24h", "2026-11-24 08:00:00+08", "2026-11-25 09:00:00+08", "2026-11-26 10:20:30+08", "2026-11-25 18:00:00+08", "2026-11-26T10:20:30+08:00"},
		{"date", "1970-01-01", "48h", "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-25", "2026-11-26"},
		{"integer", "0", 10, "10", "20", "30", "25", "30"},
		{"numeric(12,2)", "0", "10", "10.50", "20.50", "30.50", "25.00", "30.50"},
		{"text", "0", 10, "000010", "000020", "000030", "000025", "000030"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.c, func(t *testing.T) {
			conn := admin(t)
			tbl := table(t, conn, "id text, val text, wm "+tt.typ,
				"'A', 'a', '"+tt.a+"'", "'B', 'b', '"+tt.b+"'", "'C', 'c', '"+tt.c+"'")
			s := only(t, newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), connectors.Options{
				"query":             "SELECT id, val, wm FROM " + tbl + " WHERE wm > $1 ORDER BY id",
				"watermark_column":  "wm",
				"watermark_initial": tt.initial,
				"lookback":          tt.lookback,
			}))
			s.Resume("")
			read(t, s)
			saved := s.Watermark()
			if saved != tt.saved {
				t.Fatalf("watermark %q, want %q", saved, tt.saved)
			}
			if strings.HasPrefix(tt.typ, "integer") || strings.HasPrefix(tt.typ, "numeric") || allDigits(tt.c) {
				// ids: the late record is a new one with an id inside the window
				exec(t, conn, "INSERT INTO "+tbl+" VALUES ('B2', 'late', $1)", tt.corrected)
			} else {
				exec(t, conn, "UPDATE "+tbl+" SET val = 'corrected', wm = $1 WHERE id = 'B'", tt.corrected)
			}
			s.Resume(saved)
			_, rows := read(t, s)
			got := col(rows, 1)
			if !slices.Contains(got, "corrected") && !slices.Contains(got, "late") {
				t.Errorf("next sync read %q: the correction inside the lookback window was missed", got)
			}
			if w := s.Watermark(); w != saved {
				t.Errorf("watermark moved to %q, want %q", w, saved)
			}
		})
	}
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// A duration on a numeric watermark, or a count on a time watermark, is an
// error: at config check when watermark_initial shows the type, else when
// the query is described, naming the source.
func TestLookbackMismatch(t *testing.T) {
	conn := admin(t)
	ids := table(t, conn, "id bigint", "1")
	s := only(t, newSQL(t, "employment", connectors.Options{
		"query":             "SELECT id FROM " + ids + " WHERE id > $1",
		"watermark_column":  "id",
		"watermark_initial": "0",
		"lookback":          "48h",
	}))
	s.Resume("17")
	_, err := s.Open(t.Context())
	want := "source employment: lookback 48h is a duration, but watermark_column id holds numbers (saved watermark 17): give lookback a count of ids to read again, such as lookback: 1000"
	if err == nil || err.Error() != want {
		t.Errorf("duration on a number: %v\nwant %s", err, want)
	}

	times := table(t, conn, "t timestamptz", "'2026-03-01 00:00:00+08'")
	s = only(t, newSQL(t, "fishers", connectors.Options{
		"query":             "SELECT t FROM " + times + " WHERE t > $1",
		"watermark_column":  "t",
		"watermark_initial": "epoch", // PostgreSQL's word: not a time to the config check
		"lookback":          1000,
	}))
	s.Resume("2026-03-05T10:00:00+08:00")
	_, err = s.Open(t.Context())
	want = "source fishers: lookback 1000 is a count of ids, but watermark_column t holds times (saved watermark 2026-03-05T10:00:00+08:00): give lookback a duration, such as lookback: 48h"
	if err == nil || err.Error() != want {
		t.Errorf("count on a time: %v\nwant %s", err, want)
	}
	// A first read has no saved watermark to move back: it reads.
	s.Resume("")
	if _, rows := read(t, s); len(rows) != 1 {
		t.Errorf("first read: %d rows", len(rows))
	}

	_, err = connectors.New("sql", connectors.Source{Name: "fishers", BaseDir: t.TempDir(), Options: connectors.Options{
		"dsn_env": "X", "query": "SELECT * FROM f WHERE t > $1", "watermark_column": "t",
		"watermark_initial": "1970-01-01T00:00:00Z", "lookback": 1000,
	}})
	want = `source fishers: options.lookback: 1000 is a count of ids for a numeric watermark, but watermark_initial "1970-01-01T00:00:00Z" is a date or time: give lookback a duration, such as 48h`
	if err == nil || err.Error() != want {
		t.Errorf("config check: %v\nwant %s", err, want)
	}
}
