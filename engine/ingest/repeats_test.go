package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/store"
)

// note returns the load's note with the code, or fails the test.
func note(t *testing.T, l store.Load, code string) store.Note {
	t.Helper()
	for _, n := range l.Notes {
		if n.Code == code {
			return n
		}
	}
	t.Fatalf("no %s note on the load: %+v", code, l.Notes)
	return store.Note{}
}

// A CSV of 1,000,000 blank lines puts RepeatKeep of them in quarantine,
// not a million: the others are counted in a note of the load, which the
// ledger keeps, and the file is degraded for having no data rows, as
// before. Read again after a change, quarantine still holds RepeatKeep.
func TestBlankLinesCounted(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(f.dir, "emp.csv")
	write := func(tail string) {
		if err := os.WriteFile(path, []byte("身份证号,业务类型,业务日期\n"+strings.Repeat("\n", 1_000_000)+tail), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	src := f.source("emp", "employment", "emp.csv")
	res := f.synced(src)
	l := res.Loads[0]
	if n := f.count(`SELECT count(*) FROM quarantine WHERE source = 'emp'`); n != RepeatKeep {
		t.Errorf("%d rows in quarantine, want %d", n, RepeatKeep)
	}
	if n := note(t, l, NoteBlankRows); n.Count != 1_000_000 ||
		n.Text != "1,000,000 blank rows (every cell empty): 100 in quarantine, the other 999,900 only counted (among the rows read and blank rows)" {
		t.Errorf("note %+v", n)
	}
	if l.Read != 1_000_000 || l.Blank != 1_000_000 || l.Counted != 1_000_000-RepeatKeep || l.Quarantined != RepeatKeep || l.Loaded != 0 || l.Duplicates != 0 {
		t.Errorf("load %+v", l)
	}
	if res.Status() != StatusDegraded || !strings.Contains(res.Problems()[0], "no data rows") {
		t.Errorf("status %s: %v", res.Status(), res.Problems())
	}
	if n := f.count(`SELECT count(*) FROM loads WHERE source = 'emp' AND notes LIKE '%"code":"blank_rows","count":1000000%'`); n != 1 {
		t.Errorf("%d ledger rows with the note", n)
	}

	write("11010519491231002x,失业登记,2026年3月5日\n")
	res = f.synced(src)
	if n := f.count(`SELECT count(*) FROM quarantine WHERE source = 'emp'`); n != RepeatKeep {
		t.Errorf("read again: %d rows in quarantine, want %d", n, RepeatKeep)
	}
	if l := res.Loads[0]; l.Loaded != 1 || note(t, l, NoteBlankRows).Count != 1_000_000 {
		t.Errorf("read again: %+v", l)
	}
}

// One bad row repeated 1,000 times among 10 good ones: RepeatKeep copies in
// quarantine, 900 counted in a note naming the reason and column, and the
// file degraded for its 1,000 bad rows of 1,010, as if all were stored.
// Bad rows repeated fewer times are each in quarantine as before.
func TestRepeatedBadRowsCounted(t *testing.T) {
	f := newFixture(t)
	var extra []string
	for range 1000 {
		extra = append(extra, ",失业登记,2026年3月5日") // no ID
	}
	extra = append(extra, "11010519491231002x,失业登记,2026年13月5日", "11010519491231002x,失业登记,2026年13月5日")
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 10, extra...)
	res := f.synced(f.source("emp", "employment", "emp.csv"))
	l := res.Loads[0]
	if n := f.count(`SELECT count(*) FROM quarantine WHERE source = 'emp'`); n != RepeatKeep+2 {
		t.Errorf("%d rows in quarantine, want %d", n, RepeatKeep+2)
	}
	want := "900 more copies of 1 bad row repeated more than 100 times (900 missing_required in 身份证号) only counted (among the rows read and bad rows); the first 100 copies of each are in quarantine"
	if n := note(t, l, NoteRepeatedBadRows); n.Count != 900 || n.Text != want {
		t.Errorf("note %+v\nwant %s", n, want)
	}
	if l.Read != 1012 || l.Loaded != 10 || l.Quarantined != RepeatKeep+2 || l.Counted != 900 || l.Bad != 1002 || l.Duplicates != 0 {
		t.Errorf("load %+v", l)
	}
	if res.Status() != StatusDegraded || res.Problems()[0] != "emp.csv: 1002 of 1012 rows are bad (in quarantine, copies past the first 100 of a row only counted)" {
		t.Errorf("status %s: %q", res.Status(), res.Problems())
	}
}

// A file of 10,000 good rows and 20,000 copies of one bad row: the
// ledger's rows read and bad rows count every copy, so that the source's
// health — what `sources report` and the night's held rules go by — is
// degraded, as the sync summary says, and not judged on the 100 copies in
// quarantine.
func TestRepeatedBadRowsInHealth(t *testing.T) {
	f := newFixture(t)
	extra := make([]string, 20_000)
	for i := range extra {
		extra[i] = ",失业登记,2026年3月5日" // no ID
	}
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 10_000, extra...)
	res := f.synced(f.source("emp", "employment", "emp.csv"))
	if res.Status() != StatusDegraded {
		t.Fatalf("sync: %s %v", res.Status(), res.Problems())
	}
	hs, err := f.store.SourceHealths(context.Background(), []store.SourceSpec{{Name: "emp", Dataset: "employment"}}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	h := hs["emp"]
	want := "emp.csv: 20000 of 30000 rows are bad (in quarantine; 19900 copies of rows repeated more than 100 times only counted)"
	if h.Status != store.HealthDegraded || len(h.Reasons) != 1 || h.Reasons[0] != want {
		t.Errorf("health %+v\nwant %s", h, want)
	}
	var read, counted int64
	f.store.DB().QueryRow(`SELECT rows_read, rows_counted FROM loads WHERE source = 'emp'`).Scan(&read, &counted)
	if read != 30_000 || counted != 19_900 {
		t.Errorf("ledger: read %d, counted %d", read, counted)
	}
}
