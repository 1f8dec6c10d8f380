package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// store.temp_directory reaches DuckDB (where it spills beyond memory_limit)
// and is created owner-only: it holds the same personal data as the store.
func TestTempDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tmp := filepath.Join(dir, "spill", "lw.tmp")
	st, err := Open(ctx, Options{Path: filepath.Join(dir, "lw.duckdb"), Threads: 1, MemoryLimit: "64MB", TempDirectory: tmp})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got string
	if err := st.DB().QueryRow(`SELECT current_setting('temp_directory')`).Scan(&got); err != nil || got != tmp {
		t.Fatalf("temp_directory = %q, %v; want %s", got, err, tmp)
	}
	if fi, err := os.Stat(tmp); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("temp directory: %v %v", fi, err)
	}
}

// store.checkpoint_threshold reaches DuckDB, lipwatch's default when none
// is set, and decides whether a commit leaves its rows in the write-ahead
// log or checkpoints them into the store's file.
func TestCheckpointThreshold(t *testing.T) {
	ctx := context.Background()
	// walAfter opens a new store with threshold, commits about 7 MB of
	// rows (fewer than a row group, so that they go through the WAL) and
	// returns the setting and the WAL's size after the commit.
	walAfter := func(threshold string) (string, int64) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "lw.duckdb")
		st, err := Open(ctx, Options{Path: path, CheckpointThreshold: threshold})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.DB().ExecContext(ctx, `CREATE TABLE t (i BIGINT, s VARCHAR)`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, `CHECKPOINT`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO t SELECT i, md5(i::VARCHAR) || md5((i * 7)::VARCHAR)
			FROM range(100000) r(i)`); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := st.DB().QueryRowContext(ctx, `SELECT current_setting('checkpoint_threshold')`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		var size int64
		if fi, err := os.Stat(path + ".wal"); err == nil {
			size = fi.Size()
		}
		return got, size
	}
	got, wal := walAfter("")
	if got != "61.0 MiB" { // DuckDB shows 64MB (10^6 bytes) in MiB
		t.Errorf("default checkpoint_threshold = %q, want 64MB", got)
	}
	if wal < 1<<20 {
		t.Errorf("with the default threshold the commit's rows should wait in the WAL: %d bytes", wal)
	}
	got, wal = walAfter("1MB")
	if wal >= 1<<20 {
		t.Errorf("with checkpoint_threshold %s the commit should have checkpointed: WAL %d bytes", got, wal)
	}
}
