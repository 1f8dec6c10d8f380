package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Links planted beside the store (lw.duckdb.holder, lw.duckdb.serve) are
// never written through: the file they point at keeps its content.
func TestNoWriteThroughPlantedLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lw.duckdb")
	for _, link := range []string{path + ".holder", path + ".serve"} {
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Open(context.Background(), Options{Path: path, Holder: "test"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := LockServe(path); err == nil {
		t.Error("serve lock taken through a link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
}
