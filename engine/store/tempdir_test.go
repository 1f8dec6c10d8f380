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
