package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 9: store.path pointing at a department's CSV (or a directory, or
// a FIFO) is refused with a message naming the path, and the file is left
// as it was: not opened as a database, not chmod'ed.
func TestOpenRefusesWhatIsNotAStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	csv := filepath.Join(dir, "medical.csv")
	body := "结算单号,身份证号\nC1,11010519491231002X\n"
	if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		csv:  "is not a DuckDB database",
		dir:  "not a DuckDB file but a directory",
		fifo: "not a DuckDB file but a named pipe",
	} {
		st, err := Open(ctx, Options{Path: path})
		if err == nil {
			st.Close()
			t.Fatalf("%s opened as a store", path)
		}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want %q and the path", path, err, want)
		}
	}
	fi, err := os.Stat(csv)
	if b, _ := os.ReadFile(csv); err != nil || fi.Mode().Perm() != 0o644 || string(b) != body {
		t.Errorf("the CSV was changed: mode %v, %q, %v", fi.Mode(), b, err)
	}
	// An empty file (touch lw.duckdb) is refused with what to do.
	empty := filepath.Join(dir, "new.duckdb")
	os.WriteFile(empty, nil, 0o644)
	if st, err := Open(ctx, Options{Path: empty}); err == nil || !strings.Contains(err.Error(), "is empty") {
		if st != nil {
			st.Close()
		}
		t.Errorf("an empty file: %v", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the empty file was changed: %v %v", fi, err)
	}
	// A store lipwatch creates lives in an owner-only directory.
	fresh := filepath.Join(dir, "var", "lw.duckdb")
	st, err := Open(ctx, Options{Path: fresh})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if fi, err := os.Stat(filepath.Dir(fresh)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store directory mode %v, %v: want 0700", fi.Mode().Perm(), err)
	}
}

// Issue 9: a run whose process was killed stays "running" in the ledger
// no longer: the next process to open the store marks it interrupted.
func TestKilledRunIsMarkedInterrupted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lw.duckdb")
	st, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.BeginRun(ctx, "run", time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // as if killed: the run never finished
	if st, err = Open(ctx, Options{Path: path}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var status, msg string
	var finished *time.Time
	if err := st.DB().QueryRow(`SELECT status, finished_at, error FROM runs WHERE run_id = ?`, id).Scan(&status, &finished, &msg); err != nil {
		t.Fatal(err)
	}
	if status != "interrupted" || finished == nil || !strings.Contains(msg, "process ended before the run finished") {
		t.Errorf("status %q, finished %v, error %q", status, finished, msg)
	}
}

// Issue 9: a second `lipwatch serve` for the same store refuses to start,
// naming the first; once the first stops, it starts.
func TestLockServe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lw.duckdb")
	release, err := LockServe(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockServe(path)
	if !errors.Is(err, ErrServing) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second serve: %v", err)
	}
	release()
	again, err := LockServe(path)
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	again()
}
