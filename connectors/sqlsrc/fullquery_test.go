package sqlsrc_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/sqlsrc"
)

// fishersTable is the README's fishers register in small: B has no
// 更新时间 (NULL), as rows entered before the column existed do.
func fishersTable(t *testing.T) string {
	conn := admin(t)
	return table(t, conn, "身份证号 text, 更新时间 timestamptz",
		"'A', '2026-03-01 08:00:00+08'", "'B', NULL", "'C', '2026-03-03 08:00:00+08'")
}

// With the README's query shape (更新时间 > $1) a row whose 更新时间 is
// NULL is never read: not by the first load nor by sync --full or a
// reconciliation, which run the same query from watermark_initial. No
// null_watermark note can count it; every read says so in a
// null_watermark_unread note instead.
func TestPlainShapeNeverReadsNull(t *testing.T) {
	tbl := fishersTable(t)
	s := only(t, newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), connectors.Options{
		"query":             "SELECT 身份证号, 更新时间 FROM " + tbl + " WHERE 更新时间 > $1 ORDER BY 更新时间",
		"watermark_column":  "更新时间",
		"watermark_initial": "1970-01-01T00:00:00Z",
	}))
	for _, resumed := range []string{"", "2026-03-02T00:00:00+08:00"} {
		s.Resume(resumed)
		res := readAll(t, s)
		for _, r := range res.rows {
			if r[0] == "B" {
				t.Errorf("resumed %q: read B; the query shape cannot", resumed)
			}
		}
		if !reflect.DeepEqual(res.counts(), map[string]int64{sqlsrc.NoteNullWatermarkUnread: 0}) {
			t.Errorf("resumed %q: notes %v, want only %s", resumed, res.counts(), sqlsrc.NoteNullWatermarkUnread)
		}
		want := "rows whose 更新时间 is NULL are never read by this query (更新时间 > $1)"
		if n := res.notes[sqlsrc.NoteNullWatermarkUnread]; !strings.HasPrefix(n.Text, want) || !strings.Contains(n.Text, "full_query") {
			t.Errorf("note %q, want it to start %q and name full_query", n.Text, want)
		}
	}
}

// full_query is what a full read runs (nothing resumed: first load, sync
// --full, a reconciliation): it reads the row whose 更新时间 is NULL and
// counts it in a null_watermark note. An incremental read still runs
// query with $1. Through a cursor (fetch_size) as well.
func TestFullQueryReadsNullWatermark(t *testing.T) {
	for _, fetch := range []int{0, 2} {
		t.Run("fetch_size="+strconv.Itoa(fetch), func(t *testing.T) {
			conn := admin(t)
			tbl := fishersTable(t)
			s := only(t, newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), connectors.Options{
				"query":            "SELECT 身份证号, 更新时间 FROM " + tbl + " WHERE 更新时间 > $1 ORDER BY 更新时间",
				"full_query":       "SELECT 身份证号, 更新时间 FROM " + tbl + " ORDER BY 身份证号;",
				"watermark_column": "更新时间",
				"fetch_size":       fetch,
			}))

			s.Resume("") // the first load
			res := readAll(t, s)
			if got := col(res.rows, 0); !reflect.DeepEqual(got, []string{"A", "B", "C"}) {
				t.Errorf("full read %q, want A, B and C", got)
			}
			if w := s.Watermark(); w != "2026-03-03T08:00:00+08:00" {
				t.Errorf("watermark %q after the full read", w)
			}
			if !reflect.DeepEqual(res.counts(), map[string]int64{connectors.NoteNullWatermark: 1}) {
				t.Errorf("notes %v, want the NULL row counted, and no advice", res.counts())
			}
			if n := res.notes[connectors.NoteNullWatermark].Text; !strings.Contains(n, "full_query") || !strings.Contains(n, "更新时间") {
				t.Errorf("null_watermark note %q does not say full_query read it", n)
			}

			// The next sync is incremental: query with $1 reads D only.
			exec(t, conn, "INSERT INTO "+tbl+" VALUES ('D', '2026-03-04 08:00:00+08'), ('E', NULL)")
			s.Resume(s.Watermark())
			res = readAll(t, s)
			if got := col(res.rows, 0); !reflect.DeepEqual(got, []string{"D"}) || len(res.notes) != 0 {
				t.Errorf("incremental read %q, notes %v; want D alone, no note", got, res.counts())
			}
			if w := s.Watermark(); w != "2026-03-04T08:00:00+08:00" {
				t.Errorf("watermark %q after the incremental read", w)
			}

			// A reconciliation (or sync --full) resumes from "": full_query
			// finds E, which the incremental read missed.
			s.Resume("")
			res = readAll(t, s)
			if got := col(res.rows, 0); !reflect.DeepEqual(got, []string{"A", "B", "C", "D", "E"}) {
				t.Errorf("reconciliation read %q, want A to E", got)
			}
			if c := res.counts(); c[connectors.NoteNullWatermark] != 2 {
				t.Errorf("notes %v, want B and E counted", c)
			}
		})
	}
}

// A saved watermark after the read's start is not used: the read is a
// full read, by full_query when it is set.
func TestFullQueryAfterReset(t *testing.T) {
	tbl := fishersTable(t)
	s := only(t, newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), connectors.Options{
		"query":            "SELECT 身份证号, 更新时间 FROM " + tbl + " WHERE 更新时间 > $1",
		"full_query":       "SELECT 身份证号, 更新时间 FROM " + tbl,
		"watermark_column": "更新时间",
	}))
	sqlsrc.SetNow(t, time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC))
	s.Resume("2099-12-31T00:00:00+08:00")
	res := readAll(t, s)
	if len(res.rows) != 3 {
		t.Errorf("read %d rows, want all 3, B with them", len(res.rows))
	}
	if c := res.counts(); !reflect.DeepEqual(c, map[string]int64{connectors.NoteWatermarkReset: 1, connectors.NoteNullWatermark: 1}) {
		t.Errorf("notes %v", c)
	}
	if w := s.Watermark(); w != "2026-03-03T08:00:00+08:00" {
		t.Errorf("watermark %q", w)
	}
}

// full_query's result must have the watermark column, as query's must.
func TestFullQueryWithoutWatermarkColumn(t *testing.T) {
	tbl := fishersTable(t)
	s := only(t, newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), connectors.Options{
		"query":            "SELECT 身份证号, 更新时间 FROM " + tbl + " WHERE 更新时间 > $1",
		"full_query":       "SELECT 身份证号 FROM " + tbl,
		"watermark_column": "更新时间",
	}))
	s.Resume("")
	_, err := s.Open(context.Background())
	want := `source fishers: watermark_column "更新时间" is not a column of full_query's result (columns: 身份证号)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// The null_watermark_unread note, read by read against PostgreSQL: the
// plain shape has it; a query that handles NULL, a full_query, or a column
// declared NOT NULL does not.
func TestNullWatermarkUnreadNote(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id text, created_at timestamptz NOT NULL, updated_at timestamptz",
		"'A', '2026-03-01 08:00:00+08', '2026-03-02 08:00:00+08'", "'B', '2026-03-03 08:00:00+08', NULL")
	const initial = "1970-01-01T00:00:00Z"
	tests := []struct {
		name   string
		opts   connectors.Options
		unread bool
		rows   int
	}{
		{"plain", connectors.Options{"query": "SELECT id, updated_at FROM " + tbl + " WHERE updated_at > $1",
			"watermark_column": "updated_at", "watermark_initial": initial}, true, 1},
		{"quoted, qualified, cast", connectors.Options{"query": `SELECT f.id, f.updated_at FROM ` + tbl + ` f WHERE f."updated_at" >= $1::timestamptz`,
			"watermark_column": "updated_at", "watermark_initial": initial}, true, 1},
		{"COALESCE", connectors.Options{"query": "SELECT id, COALESCE(updated_at, created_at) AS changed_at FROM " + tbl +
			" WHERE COALESCE(updated_at, created_at) > $1", "watermark_column": "changed_at", "watermark_initial": initial}, false, 2},
		{"OR IS NULL", connectors.Options{"query": "SELECT id, updated_at FROM " + tbl + " WHERE updated_at > $1 OR updated_at IS NULL",
			"watermark_column": "updated_at", "watermark_initial": initial}, false, 2},
		{"full_query", connectors.Options{"query": "SELECT id, updated_at FROM " + tbl + " WHERE updated_at > $1",
			"full_query": "SELECT id, updated_at FROM " + tbl, "watermark_column": "updated_at"}, false, 2},
		{"NOT NULL column", connectors.Options{"query": "SELECT id, created_at FROM " + tbl + " WHERE created_at > $1",
			"watermark_column": "created_at", "watermark_initial": initial}, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := only(t, newSQLIn(t, "fishers", zone(t, "Asia/Shanghai"), tt.opts))
			s.Resume("")
			res := readAll(t, s)
			_, unread := res.notes[sqlsrc.NoteNullWatermarkUnread]
			if unread != tt.unread || len(res.rows) != tt.rows {
				t.Errorf("notes %v, %d rows; want the note %v, %d rows", res.counts(), len(res.rows), tt.unread, tt.rows)
			}
		})
	}
}

// Advice looks at the text of the options only, for sources check.
func TestAdvice(t *testing.T) {
	tests := []struct {
		query, column string
		want          string // the comparison quoted, "" for no advice
	}{
		{"SELECT * FROM fishers WHERE 更新时间 > $1 ORDER BY 更新时间", "更新时间", "更新时间 > $1"},
		{"select * from fishers where UPDATED_AT>$1", "updated_at", "UPDATED_AT>$1"},
		{`SELECT * FROM tuibu.fishers f WHERE f."更新时间" >= $1`, "更新时间", `"更新时间" >= $1`},
		{"SELECT * FROM f WHERE updated_at::timestamp with time zone > $1::timestamptz", "updated_at", "updated_at::timestamp with time zone > $1"},
		{"SELECT * FROM f WHERE $1 < updated_at", "updated_at", "$1 < updated_at"},
		{"SELECT * FROM f WHERE updated_at BETWEEN $1 AND now()", "updated_at", "updated_at BETWEEN $1"},
		{"SELECT * FROM f WHERE deleted_at IS NULL AND updated_at > $1", "updated_at", "updated_at > $1"},
		{"SELECT id, gxsj AS 更新时间 FROM f WHERE gxsj > $1", "更新时间", "gxsj > $1"},
		{`SELECT id, t."GXSJ" AS "更新时间" FROM f t WHERE t."GXSJ" > $1`, "更新时间", `"GXSJ" > $1`},
		{"SELECT * FROM f WHERE updated_at > $1 OR updated_at IS NULL", "updated_at", ""},
		{"SELECT * FROM f WHERE updated_at > $1 OR updated_at ISNULL", "updated_at", ""},
		{"SELECT * FROM f WHERE COALESCE(updated_at, created_at) > $1", "updated_at", ""},
		{"SELECT * FROM f WHERE ifnull(f.updated_at, '1970-01-01') > $1", "updated_at", ""},
		{"SELECT * FROM f WHERE NVL(updated_at, created_at) > $1", "updated_at", ""},
		{"SELECT * FROM f WHERE updated_at_old > $1", "updated_at", ""},
		{"SELECT * FROM f WHERE old_updated_at > $1", "updated_at", ""},
		// A NULL updated_at never passes a condition on it with $10 either.
		{"SELECT * FROM f WHERE updated_at > $10 AND x > $1", "updated_at", "its condition on $1"},
		// Comparisons written other ways still never read a NULL row.
		{"SELECT * FROM f WHERE (updated_at) > $1", "updated_at", "its condition on $1"},
		{"SELECT * FROM f t WHERE $1 < t.updated_at", "updated_at", "its condition on $1"},
		{"SELECT * FROM f WHERE date_trunc('day', updated_at) > $1", "updated_at", "its condition on $1"},
		// NULL handling in the final ORDER BY reads no NULL row.
		{"SELECT * FROM f WHERE updated_at > $1 ORDER BY COALESCE(updated_at, now())", "updated_at", "updated_at > $1"},
	}
	for _, tt := range tests {
		got := sqlsrc.Advice(connectors.Options{"dsn_env": "X", "query": tt.query,
			"watermark_column": tt.column, "watermark_initial": "0"})
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("%s: advice %q, want none", tt.query, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], "is NULL are never read by this query ("+tt.want+")")):
			t.Errorf("%s: advice %q, want one quoting (%s)", tt.query, got, tt.want)
		}
	}
	// No watermark, or a full_query: nothing to say.
	for _, o := range []connectors.Options{
		{"dsn_env": "X", "query": "SELECT * FROM f"},
		{"dsn_env": "X", "query": "SELECT * FROM f WHERE updated_at > $1", "full_query": "SELECT * FROM f", "watermark_column": "updated_at"},
	} {
		if got := sqlsrc.Advice(o); got != nil {
			t.Errorf("%v: advice %q, want none", o, got)
		}
	}
	// The whole text, for the README's query shape.
	want := "rows whose 更新时间 is NULL are never read by this query (更新时间 > $1): not by a sync, nor by sync --full or a reconciliation, " +
		"and nothing counts them; read them with COALESCE(更新时间, …) > $1 (or 更新时间 > $1 OR 更新时间 IS NULL), " +
		"or set full_query so that full reads and reconciliations read them"
	got := sqlsrc.Advice(connectors.Options{"dsn_env": "X", "query": "SELECT * FROM tuibu.fishers WHERE 更新时间 > $1 ORDER BY 更新时间",
		"watermark_column": "更新时间", "watermark_initial": "1970-01-01T00:00:00Z"})
	if !reflect.DeepEqual(got, []string{want}) {
		t.Errorf("advice %q, want %q", got, want)
	}
}
