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

// futureCase is a watermark column type with rows before, at and after
// the read's start (2026-03-06 20:00 in China), one of them a typo dated
// 2099-12-31.
type futureCase struct {
	typ, initial     string
	a, typo, at, sec string // 2026-03-05 10:00, 2099-12-31, the start, a second after it
	next             string // 2026-03-07 09:00, inserted the next day
	want             string // the watermark: the start's value as the column writes it
	wantNext         string
	opts             connectors.Options
}

var futureCases = []futureCase{
	{typ: "timestamptz", initial: "1970-01-01T00:00:00Z",
		a: "2026-03-05 10:00:00+08", typo: "2099-12-31 00:00:00+08", at: "2026-03-06 20:00:00+08", sec: "2026-03-06 20:00:01+08",
		next: "2026-03-07 09:00:00+08", want: "2026-03-06T20:00:00+08:00", wantNext: "2026-03-07T09:00:00+08:00"},
	{typ: "timestamp", initial: "1970-01-01 00:00:00",
		a: "2026-03-05 10:00:00", typo: "2099-12-31 00:00:00", at: "2026-03-06 20:00:00", sec: "2026-03-06 20:00:01",
		next: "2026-03-07 09:00:00", want: "2026-03-06 20:00:00", wantNext: "2026-03-07 09:00:00"},
	{typ: "date", initial: "1970-01-01",
		a: "2026-03-05", typo: "2099-12-31", at: "2026-03-06", sec: "2026-03-07",
		next: "2026-03-07", want: "2026-03-06", wantNext: "2026-03-07"},
	{typ: "text", initial: "0",
		a: "2026-03-05 10:00:00", typo: "2099-12-31 00:00:00", at: "2026-03-06 20:00:00", sec: "2026-03-06 20:00:01",
		next: "2026-03-07 09:00:00", want: "2026-03-06 20:00:00", wantNext: "2026-03-07 09:00:00"},
	// naive text in UTC: the start is 12:00 there
	{typ: "varchar(30)", initial: "0", opts: connectors.Options{"timezone": "UTC"},
		a: "2026-03-05T02:00:00", typo: "2099-12-31T00:00:00", at: "2026-03-06T12:00:00", sec: "2026-03-06T12:00:01",
		next: "2026-03-07T01:00:00", want: "2026-03-06T12:00:00", wantNext: "2026-03-07T01:00:00"},
}

// A record dated in the future (a typo: 2099-12-31) is loaded like the
// others and noted, but never becomes the watermark: the watermark is the
// greatest value not after the read's start, judged in the source's time,
// so the records that come next are read.
func TestFutureWatermark(t *testing.T) {
	start := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC) // 20:00 in China
	shanghai := zone(t, "Asia/Shanghai")
	for _, tc := range futureCases {
		t.Run(strings.Fields(tc.typ)[0], func(t *testing.T) {
			conn := admin(t)
			tbl := table(t, conn, "id text, wm "+tc.typ,
				"'A', '"+tc.a+"'", "'typo', '"+tc.typo+"'", "'at', '"+tc.at+"'", "'sec', '"+tc.sec+"'")
			opts := connectors.Options{
				"query":             "SELECT id, wm FROM " + tbl + " WHERE wm > $1 ORDER BY id",
				"watermark_column":  "wm",
				"watermark_initial": tc.initial,
			}
			for k, v := range tc.opts {
				opts[k] = v
			}
			c := newSQLIn(t, "fishers", shanghai, opts)

			sqlsrc.SetNow(t, start)
			s := only(t, c)
			s.Resume("")
			res := readAll(t, s)
			if got := col(res.rows, 0); !reflect.DeepEqual(got, []string{"A", "at", "sec", "typo"}) {
				t.Errorf("read %q: the future records are loaded like the others", got)
			}
			saved := s.Watermark()
			if saved != tc.want {
				t.Errorf("watermark %q, want %q: never after the read's start", saved, tc.want)
			}
			n, ok := res.notes[connectors.NoteFutureWatermark]
			if !ok || n.Count != 2 || !strings.Contains(n.Text, "2099-12-31") || strings.Contains(n.Text, "sec") {
				t.Errorf("note %+v, want 2 future records quoting the latest, 2099-12-31", n)
			}
			// wm > $1 on a column that may be NULL: the query never reads
			// a row whose wm is NULL, said at every read.
			if _, unread := res.notes[sqlsrc.NoteNullWatermarkUnread]; len(res.notes) != 2 || !unread {
				t.Errorf("notes %v, want only %s and %s", res.counts(), connectors.NoteFutureWatermark, sqlsrc.NoteNullWatermarkUnread)
			}

			// The next day a record arrives: it is read, as is the one
			// that was a second in the future; the typo stays noted.
			exec(t, conn, "INSERT INTO "+tbl+" VALUES ('next', '"+tc.next+"')")
			sqlsrc.SetNow(t, start.Add(24*time.Hour))
			s = only(t, c)
			s.Resume(saved)
			res = readAll(t, s)
			got := col(res.rows, 0)
			if !slices.Contains(got, "next") || !slices.Contains(got, "sec") {
				t.Errorf("next sync read %q, want next and sec among them", got)
			}
			if w := s.Watermark(); w != tc.wantNext {
				t.Errorf("next watermark %q, want %q", w, tc.wantNext)
			}
			if c := res.counts(); c[connectors.NoteFutureWatermark] != 1 {
				t.Errorf("next notes %v, want the typo alone in the future", c)
			}
		})
	}
}

// Numbers have no future: a large id is the watermark. (id is NOT NULL,
// so id > $1 misses no row and there is no null_watermark_unread note.)
func TestFutureWatermarkNumbers(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id bigint NOT NULL", "1", "20991231", "3")
	c := newSQL(t, "employment", connectors.Options{
		"query":             "SELECT id FROM " + tbl + " WHERE id > $1",
		"watermark_column":  "id",
		"watermark_initial": "0",
	})
	s := only(t, c)
	s.Resume("20991230")
	res := readAll(t, s)
	if s.Watermark() != "20991231" || len(res.notes) != 0 {
		t.Errorf("watermark %q, notes %v; want 20991231 and no note", s.Watermark(), res.counts())
	}
}

// A saved watermark after the read's start (saved by an older version from
// a future-dated record) would skip everything until it: the read starts
// from watermark_initial, as sync --full does, says so in a note, and
// saves the greatest value not after the start.
func TestFutureWatermarkReset(t *testing.T) {
	start := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	sqlsrc.SetNow(t, start)
	conn := admin(t)
	tbl := table(t, conn, "id text, wm timestamptz",
		"'A', '2026-03-05 10:00:00+08'", "'typo', '2099-12-31 00:00:00+08'", "'B', '2026-03-06 09:00:00+08'")
	c := newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), connectors.Options{
		"query":             "SELECT id, wm FROM " + tbl + " WHERE wm > $1 ORDER BY id",
		"watermark_column":  "wm",
		"watermark_initial": "1970-01-01T00:00:00Z",
		"lookback":          "48h",
	})
	s := only(t, c)
	s.Resume("2099-12-31T00:00:00+08:00")
	res := readAll(t, s)
	if got := col(res.rows, 0); !reflect.DeepEqual(got, []string{"A", "B", "typo"}) {
		t.Errorf("read %q, want every record, as a full read", got)
	}
	if w := s.Watermark(); w != "2026-03-06T09:00:00+08:00" {
		t.Errorf("watermark %q, want B's", w)
	}
	n := res.notes[connectors.NoteWatermarkReset]
	if n.Count != 1 || !strings.Contains(n.Text, "2099-12-31T00:00:00+08:00") || !strings.Contains(n.Text, "watermark_initial") {
		t.Errorf("reset note %+v", n)
	}
	if res.counts()[connectors.NoteFutureWatermark] != 1 {
		t.Errorf("notes %v, want the typo as future", res.counts())
	}

	// Nothing but future records: no position is saved, so the next sync
	// reads from watermark_initial again rather than from 2099.
	date := table(t, conn, "d date", "'2099-12-31'")
	c = newSQLIn(t, "medical", zone(t, "Asia/Shanghai"), connectors.Options{
		"query":             "SELECT d FROM " + date + " WHERE d > $1",
		"watermark_column":  "d",
		"watermark_initial": "2000-01-01",
	})
	s = only(t, c)
	s.Resume("2099-12-31")
	res = readAll(t, s)
	if len(res.rows) != 1 || s.Watermark() != "" {
		t.Errorf("read %d rows, watermark %q; want the one row and no watermark", len(res.rows), s.Watermark())
	}
	if c := res.counts(); c[connectors.NoteWatermarkReset] != 1 || c[connectors.NoteFutureWatermark] != 1 {
		t.Errorf("notes %v", c)
	}
}
