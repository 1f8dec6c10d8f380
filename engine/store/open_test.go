package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"maps"
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

// foreignDB writes a DuckDB database at path with the statements, as
// another application would, and returns what its files hold (the
// database, and the write-ahead log when one is left).
func foreignDB(t *testing.T, path string, stmts ...string) map[string]string {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // past the test binary's umask
		t.Fatal(err)
	}
	return filesOf(t, path)
}

// filesOf is the content and mode of the file at path and of what lies
// beside it with path's name as a prefix (.wal, .holder, .tmp).
func filesOf(t *testing.T, path string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), filepath.Base(path)) {
			continue
		}
		p := filepath.Join(filepath.Dir(path), e.Name())
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		out[e.Name()] = fmt.Sprintf("%v %x", fi.Mode(), sha256.Sum256(b))
	}
	return out
}

// Issue 9 (tester's finding D): an existing DuckDB file of another
// application (one table, accounts) was migrated in place — lipwatch's
// tables created beside accounts — grown and chmod'ed 0644 to 0600. A
// DuckDB database that holds tables but no record of lipwatch's
// migrations is refused, naming the path and saying whose it is, and
// left as it was, a write-ahead log beside it included; an empty DuckDB
// file and a lipwatch store still open.
func TestOpenRefusesAnotherApplicationsDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, stmts := range map[string][]string{
		"accounts.duckdb": {`CREATE TABLE accounts (id INTEGER, owner VARCHAR)`, `INSERT INTO accounts VALUES (1, 'a'), (2, 'b')`},
		// Its last changes still in the write-ahead log, as a process
		// killed (or one that does not checkpoint on close) leaves them.
		"wal.duckdb": {`PRAGMA disable_checkpoint_on_shutdown`, `SET checkpoint_threshold = '1GB'`,
			`CREATE TABLE accounts (id INTEGER)`, `INSERT INTO accounts VALUES (1)`},
		// Other tools keep a schema_migrations table too.
		"migrate.duckdb": {`CREATE TABLE schema_migrations (version BIGINT, dirty BOOLEAN)`, `INSERT INTO schema_migrations VALUES (1, false)`,
			`CREATE TABLE orders (id INTEGER)`},
		"lookalike.duckdb": {`CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, applied_at TIMESTAMP)`,
			`INSERT INTO schema_migrations VALUES (1, '0001_create_orders.sql', now())`, `CREATE TABLE orders (id INTEGER)`},
		"view.duckdb":     {`CREATE VIEW v AS SELECT 1 AS x`},
		"sequence.duckdb": {`CREATE SEQUENCE s`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			before := foreignDB(t, path, stmts...)
			if name == "wal.duckdb" && len(before) != 2 {
				t.Fatalf("no write-ahead log left: %v", before)
			}
			st, err := Open(ctx, Options{Path: path})
			if err == nil {
				st.Close()
				t.Fatal("opened as a store")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another application's DuckDB database") {
				t.Errorf("%v: want the path and whose it is", err)
			}
			if after := filesOf(t, path); !maps.Equal(after, before) {
				t.Errorf("the database was changed:\n%v\nwas\n%v", after, before)
			}
		})
	}
	// An empty DuckDB database (made by lipwatch's DuckDB and never
	// written) becomes a store, as a missing file does.
	empty := filepath.Join(dir, "empty.duckdb")
	foreignDB(t, empty)
	st, err := Open(ctx, Options{Path: empty})
	if err != nil {
		t.Fatalf("an empty DuckDB file: %v", err)
	}
	st.Close()
	// A lipwatch store opens again (and again), also while this process
	// holds it (a test reading the store a command writes).
	for range 2 {
		if st, err = Open(ctx, Options{Path: empty}); err != nil {
			t.Fatalf("a lipwatch store: %v", err)
		}
		again, err := Open(ctx, Options{Path: empty})
		if err != nil {
			t.Fatalf("a lipwatch store this process holds: %v", err)
		}
		again.Close()
		st.Close()
	}
}

// A first open killed after creating the migrations' ledger and before
// its first migration committed leaves a database holding only that
// ledger, empty: it opens as the new store it was to be (TestKillNine
// found it); another tool's lone ledger, with rows, is still refused.
func TestOpenAfterKilledFirstOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "lw.duckdb")
	foreignDB(t, path, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`)
	st, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatalf("a store whose first open was killed: %v", err)
	}
	if v, err := st.AppliedMigrations(ctx); err != nil || len(v) != SchemaVersion() {
		t.Errorf("migrations after the reopen: %v %v", v, err)
	}
	st.Close()
	other := filepath.Join(dir, "other.duckdb")
	foreignDB(t, other, `CREATE TABLE schema_migrations (version BIGINT, dirty BOOLEAN)`, `INSERT INTO schema_migrations VALUES (3, false)`)
	if st, err := Open(ctx, Options{Path: other}); err == nil {
		st.Close()
		t.Error("another tool's lone migrations ledger opened as a store")
	}
}
