package sqlsrc_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// A sync resumes from the saved watermark less the lookback: a row whose
// update committed late, with a timestamp inside the lookback window, is
// read on the next sync; rows read again are the downstream's to skip.
func TestIncrementalLookback(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id_number text, resettlement text, updated_at timestamptz",
		`'A', 'employed',      '2026-03-01 08:00:00+08'`,
		`'B', 'unemployed',    '2026-03-02 08:00:00+08'`,
		`'C', 'self_employed', '2026-03-03 08:00:00+08'`,
	)
	t.Setenv("LIPWATCH_TEST_FISHERS_DSN", withParam(t, pgtest.URL(t), "timezone", "Asia/Shanghai"))
	opts := func(lookback string) connectors.Options {
		o := connectors.Options{
			"dsn_env":           "LIPWATCH_TEST_FISHERS_DSN",
			"query":             "SELECT id_number, resettlement, updated_at FROM " + tbl + " WHERE updated_at > $1 ORDER BY updated_at, id_number",
			"watermark_column":  "updated_at",
			"watermark_initial": "1970-01-01T00:00:00Z",
		}
		if lookback != "" {
			o["lookback"] = lookback
		}
		return o
	}
	c := newSQL(t, "fishers", opts("48h"))

	// First load: no saved watermark, so watermark_initial.
	s := only(t, c)
	s.Resume("")
	_, rows := read(t, s)
	if got := col(rows, 0); !reflect.DeepEqual(got, []string{"A", "B", "C"}) {
		t.Fatalf("first load read %q", got)
	}
	saved := s.Watermark()
	if saved != "2026-03-03T08:00:00+08:00" {
		t.Fatalf("watermark after the first load %q", saved)
	}

	// Meanwhile: B is updated by a transaction stamped a day before the
	// watermark that commits only now, and D arrives.
	exec(t, conn, "UPDATE "+tbl+" SET resettlement = 'welfare_job', updated_at = '2026-03-02 20:00:00+08' WHERE id_number = 'B'")
	exec(t, conn, "INSERT INTO "+tbl+" VALUES ('D', 'retired', '2026-03-04 09:00:00+08')")

	// Without a lookback the late update of B is lost.
	plain := only(t, newSQL(t, "fishers", opts("")))
	plain.Resume(saved)
	_, rows = read(t, plain)
	if got := col(rows, 0); !reflect.DeepEqual(got, []string{"D"}) {
		t.Errorf("without lookback read %q, want only D", got)
	}

	// With 48h, $1 is 2026-03-01T08:00:00+08:00: B (late) and C (again) and D.
	s = only(t, c)
	s.Resume(saved)
	_, rows = read(t, s)
	checkTable(t, rows, [][]string{
		{"B", "welfare_job", "2026-03-02T20:00:00+08:00"},
		{"C", "self_employed", "2026-03-03T08:00:00+08:00"},
		{"D", "retired", "2026-03-04T09:00:00+08:00"},
	})
	if got := s.Watermark(); got != "2026-03-04T09:00:00+08:00" {
		t.Errorf("watermark %q, want D's time", got)
	}

	// Nothing new: the lookback re-reads C and D, and the watermark stays.
	saved = s.Watermark()
	s = only(t, c)
	s.Resume(saved)
	_, rows = read(t, s)
	if got := col(rows, 0); !reflect.DeepEqual(got, []string{"B", "C", "D"}) {
		t.Errorf("re-read %q, want the window B, C, D", got)
	}
	if got := s.Watermark(); got != saved {
		t.Errorf("watermark moved to %q with nothing new, want %q", got, saved)
	}

	// A row older than the window read again never moves the watermark back.
	s = only(t, c)
	s.Resume("2026-03-10T00:00:00+08:00")
	_, rows = read(t, s)
	if len(rows) != 0 || s.Watermark() != "2026-03-10T00:00:00+08:00" {
		t.Errorf("resumed past every row: read %d rows, watermark %q", len(rows), s.Watermark())
	}
}

// An id watermark is compared as a number (10 > 9), and the watermark is
// only valid once the reader reached the end.
func TestIncrementalID(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id bigint, name text", `8, '甲'`, `9, '乙'`, `10, '丙'`, `NULL, '无编号'`)
	c := newSQL(t, "employment", connectors.Options{
		"query":             "SELECT name, id FROM " + tbl + " WHERE id > $1 OR id IS NULL ORDER BY id NULLS FIRST",
		"watermark_column":  "ID", // found although the result says id
		"watermark_initial": "0",
		"fetch_size":        2,
	})
	s := only(t, c)
	s.Resume("7")
	rr, err := s.Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rr.Next(); err != nil {
		t.Fatal(err)
	}
	if got := s.Watermark(); got != "7" {
		t.Errorf("watermark %q before the end, want the resumed 7", got)
	}
	rr.Close()

	s.Resume("8")
	_, rows := read(t, s)
	checkTable(t, rows, [][]string{{"无编号", ""}, {"乙", "9"}, {"丙", "10"}})
	if got := s.Watermark(); got != "10" {
		t.Errorf("watermark %q, want 10", got)
	}
}

// A date watermark moves back by whole days, rounded down; a lookback on a
// watermark that is not a time is an error, not a silent full window.
func TestIncrementalDateAndBadLookback(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "d date, n int", `'2026-03-01', 1`, `'2026-03-03', 2`, `'2026-03-05', 3`)
	c := newSQL(t, "medical", connectors.Options{
		"query":             "SELECT n, d FROM " + tbl + " WHERE d > $1 ORDER BY d",
		"watermark_column":  "d",
		"watermark_initial": "2000-01-01",
		"lookback":          "36h",
	})
	s := only(t, c)
	s.Resume("2026-03-05") // less 36h is 2026-03-03T12:00, so from 2026-03-03
	_, rows := read(t, s)
	if got := col(rows, 0); !reflect.DeepEqual(got, []string{"3"}) {
		t.Errorf("read %q, want only the row after 2026-03-03", got)
	}
	if s.Watermark() != "2026-03-05" {
		t.Errorf("watermark %q", s.Watermark())
	}

	s.Resume("17")
	_, err := s.Open(t.Context())
	if err == nil || !strings.Contains(err.Error(), "source medical: lookback applies to date and time watermarks") {
		t.Errorf("lookback on a number: %v", err)
	}
}

// A watermark column the result does not have is named with the columns
// it does have.
func TestWatermarkColumnMissing(t *testing.T) {
	c := newSQL(t, "fishers", connectors.Options{
		"query":             "SELECT 1 AS id, now() AS updated WHERE now() > $1",
		"watermark_column":  "updated_at",
		"watermark_initial": "1970-01-01",
	})
	_, err := only(t, c).Open(t.Context())
	want := `source fishers: watermark_column "updated_at" is not a column of the query's result (columns: id, updated)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
