package gen

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCommittedCountyIsCurrent regenerates testdata/county with the
// options in its README and compares every file byte for byte, so the
// committed county, its ground truth and the generator cannot drift apart.
// After a deliberate change to the generator, regenerate it with
// `go run ./cmd/lipwatch gen --seed 1 --households 5000 --as-of 2026-11-28 --out testdata/county`.
func TestCommittedCountyIsCurrent(t *testing.T) {
	committed := filepath.Join("..", "..", "testdata", "county")
	dir := t.TempDir()
	_, err := Generate(context.Background(), Options{Seed: 1, Households: 5000,
		AsOf: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		want, _ := os.ReadFile(path)
		got, rerr := os.ReadFile(filepath.Join(committed, rel))
		if rerr != nil {
			t.Errorf("%s: not committed: %v", rel, rerr)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: committed file differs from what the generator writes now", rel)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("generator wrote only %d files", seen)
	}
}
