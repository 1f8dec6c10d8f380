package ingest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/store"
)

// TestUnchangedFileIsNotReadAgain: a file that stats as when it was last
// hashed is found unchanged without being read; one rewritten to the same
// size with its modification time put back (a department's tool that
// keeps times, cp -p) stats otherwise — its change time moved — and is
// read and loaded; a file changed just before the sync is hashed every
// time until it has been left alone a while; sync --full reads it anyway.
func TestUnchangedFileIsNotReadAgain(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("file stats are read on Linux")
	}
	f := newFixture(t)
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 0 // the files below were written a moment ago
	path := filepath.Join(f.dir, "emp.csv")
	body := "身份证号,业务类型,业务日期\n11010519491231002X,失业登记,2026年1月5日\n11010519491231002X,就业登记,2026年3月5日\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	src := f.source("emp", "employment", "emp.csv")
	if r := f.synced(src); r.Unchanged != 0 || r.UnchangedByStat != 0 {
		t.Fatalf("first sync: unchanged %d, by stat %d", r.Unchanged, r.UnchangedByStat)
	}
	if r := f.synced(src); r.Unchanged != 1 || r.UnchangedByStat != 1 {
		t.Fatalf("the same file again: unchanged %d, by stat %d; want found unchanged without reading it", r.Unchanged, r.UnchangedByStat)
	}

	// Same size, another date, the old modification time put back.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(body, "2026年3月5日", "2026年3月6日", 1)
	if len(changed) != len(body) {
		t.Fatal("the test's rewrite changed the size")
	}
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	r := f.synced(src)
	if read, loaded, _, _ := r.Totals(); r.Unchanged != 0 || r.UnchangedByStat != 0 || read != 2 || loaded != 1 {
		t.Fatalf("rewritten with its old time: unchanged %d (by stat %d), read %d, loaded %d; want the file read and its new row loaded",
			r.Unchanged, r.UnchangedByStat, read, loaded)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE event_date = DATE '2026-03-06'`); n != 1 {
		t.Errorf("the new row: %d", n)
	}

	// sync --full reads a file that stats the same.
	f.sy.Full = map[string]bool{"emp": true}
	r = f.synced(src)
	f.sy.Full = nil
	if read, _, _, _ := r.Totals(); read != 2 || r.UnchangedByStat != 0 {
		t.Errorf("sync --full: read %d, by stat %d; want the file read", read, r.UnchangedByStat)
	}

	// A file changed within the racy window is hashed, and its stat not
	// kept: the next sync hashes it again.
	racyWindow = time.Hour
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f.synced(src)
	for i := range 2 {
		if r := f.synced(src); r.Unchanged != 1 || r.UnchangedByStat != 0 {
			t.Errorf("changed a moment ago, sync %d: unchanged %d, by stat %d; want it hashed", i+2, r.Unchanged, r.UnchangedByStat)
		}
	}
}

// TestSameContentUnderAnotherName: a file whose content was loaded before
// under another name (a copy, a renamed file, or every file after
// config.yaml moved) is read — its rows are duplicates — with a note
// naming the file it repeats; a file of new content gets no such note.
func TestSameContentUnderAnotherName(t *testing.T) {
	f := newFixture(t)
	body := "身份证号,业务类型,业务日期\n11010519491231002X,失业登记,2026年1月5日\n11010519491231002X,就业登记,2026年3月5日\n"
	for _, p := range []string{"a/emp.csv", "b/emp.csv"} {
		if err := os.MkdirAll(filepath.Join(f.dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.dir, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	notes := func(r Result) (codes []string, text string) {
		for _, l := range r.Loads {
			for _, n := range l.Notes {
				codes = append(codes, n.Code)
				text += n.Text
			}
		}
		return codes, text
	}
	if codes, _ := notes(f.synced(f.source("emp", "employment", "a/emp.csv"))); len(codes) != 0 {
		t.Fatalf("first load: notes %v", codes)
	}
	r := f.synced(f.source("emp", "employment", "b/emp.csv"))
	read, loaded, _, _ := r.Totals()
	codes, text := notes(r)
	if read != 2 || loaded != 0 || len(codes) != 1 || codes[0] != store.NoteSameContent || !strings.Contains(text, "a/emp.csv") {
		t.Fatalf("the same file under another name: read %d, loaded %d, notes %v %q; want it read, nothing loaded, a note naming a/emp.csv",
			read, loaded, codes, text)
	}
	changed := strings.Replace(body, "2026年3月5日", "2026年3月6日", 1)
	if err := os.WriteFile(filepath.Join(f.dir, "c.csv"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if codes, _ := notes(f.synced(f.source("emp", "employment", "c.csv"))); len(codes) != 0 {
		t.Errorf("new content under a new name: notes %v", codes)
	}
	// Two new files of one content in one sync: the second is noted.
	again := strings.Replace(body, "2026年3月5日", "2026年3月7日", 1)
	for _, p := range []string{"d/1.csv", "d/2.csv"} {
		if err := os.MkdirAll(filepath.Join(f.dir, "d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.dir, p), []byte(again), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r = f.synced(f.source("emp", "employment", "d/*.csv"))
	if len(r.Loads) != 2 || len(r.Loads[0].Notes) != 0 || len(r.Loads[1].Notes) != 1 ||
		!strings.Contains(r.Loads[1].Notes[0].Text, "d/1.csv") || r.Loads[1].Loaded != 0 {
		t.Errorf("two copies in one sync: loads %+v; want the second noted as the first's copy, nothing loaded from it", r.Loads)
	}
}
