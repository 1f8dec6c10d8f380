package sqlsrc_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// A float column is a number to the dataset layer (an ID number or 户号
// in a double precision column may have lost digits); other columns are
// text. Without a float column Kinds is nil.
func TestFloatKinds(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "身份证号 float8, 户号 real, 姓名 text, 金额 numeric, 人数 int",
		"340799195001010011, 3407990010, '张三', 12.5, 3", "NULL, NULL, '李四', NULL, NULL")
	res := readAll(t, only(t, newSQL(t, "fishers", connectors.Options{"query": "SELECT * FROM " + tbl + " ORDER BY 姓名"})))
	n, x := connectors.KindNumber, connectors.KindText
	for i, k := range res.kinds {
		if !reflect.DeepEqual(k, []connectors.CellKind{n, n, x, x, x}) {
			t.Errorf("row %d kinds %v", i+1, k)
		}
	}
	if res.rows[0][0] != "340799195001010000" {
		t.Errorf("%q: the float lost digits, as it does; the kind says so", res.rows[0][0])
	}
	res = readAll(t, only(t, newSQL(t, "fishers", connectors.Options{"query": "SELECT 姓名, 金额 FROM " + tbl})))
	for i, k := range res.kinds {
		if k != nil {
			t.Errorf("row %d kinds %v, want nil without a float column", i+1, k)
		}
	}
}

// Records with no watermark value and text that is not a date-time are
// counted in notes that name the column and no record; a text column of
// ids (no date-time at all) is ordered byte by byte without a note.
func TestWatermarkNotes(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id text, wm text",
		"'A', '2026-03-04 20:00:00'", "'B', NULL", "'C', ''", "'D', '2026年3月5日'", "'E', '2026-03-05 08:00:00'")
	s := only(t, newSQL(t, "fishers", connectors.Options{
		"query":             "SELECT id, wm FROM " + tbl + " WHERE wm > $1 OR COALESCE(wm, '') = '' ORDER BY id",
		"watermark_column":  "wm",
		"watermark_initial": "0",
	}))
	s.Resume("")
	res := readAll(t, s)
	if len(res.rows) != 5 || s.Watermark() != "2026-03-05 08:00:00" {
		t.Errorf("read %d rows, watermark %q", len(res.rows), s.Watermark())
	}
	if c := res.counts(); !reflect.DeepEqual(c, map[string]int64{connectors.NoteNullWatermark: 2, connectors.NoteBadWatermark: 1}) {
		t.Errorf("notes %v", c)
	}
	for _, n := range res.notes {
		if strings.Contains(n.Text, "2026年") || !strings.Contains(n.Text, "wm") {
			t.Errorf("note %q quotes a record or does not name the column", n.Text)
		}
	}

	ids := table(t, conn, "id text", "'H0009'", "'H0010'", "NULL")
	s = only(t, newSQL(t, "fishers", connectors.Options{
		"query":             "SELECT id FROM " + ids + " WHERE id > $1 OR id IS NULL",
		"watermark_column":  "id",
		"watermark_initial": "0",
	}))
	s.Resume("")
	res = readAll(t, s)
	if s.Watermark() != "H0010" || !reflect.DeepEqual(res.counts(), map[string]int64{connectors.NoteNullWatermark: 1}) {
		t.Errorf("watermark %q, notes %v", s.Watermark(), res.counts())
	}
}

// The README's query shape for rows whose updated_at is NULL: the
// watermark is COALESCE(updated_at, created_at), so such a row is read
// once, by its creation time, and not again.
func TestCoalesceReadsNullRows(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id text, created_at timestamptz, updated_at timestamptz",
		"'A', '2026-03-01 08:00:00+08', '2026-03-02 08:00:00+08'", "'B', '2026-03-03 08:00:00+08', NULL")
	s := only(t, newSQL(t, "fishers", connectors.Options{
		"query": "SELECT id, COALESCE(updated_at, created_at) AS changed_at FROM " + tbl +
			" WHERE COALESCE(updated_at, created_at) > $1 ORDER BY changed_at",
		"watermark_column":  "changed_at",
		"watermark_initial": "1970-01-01T00:00:00Z",
	}))
	s.Resume("2026-03-01T12:00:00+08:00")
	res := readAll(t, s)
	if got := col(res.rows, 0); !reflect.DeepEqual(got, []string{"A", "B"}) || len(res.notes) != 0 {
		t.Errorf("read %q, notes %v; want A and B, no note", got, res.counts())
	}
}
