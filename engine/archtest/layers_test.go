package archtest

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/lipwatch/lipwatch/"

// layers reads the table of docs/ARCHITECTURE.md: package (as written,
// `engine/x`, or several after a first one: `connectors/file`, `httpapi`)
// -> layer.
func layers(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile("../../docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (\\d+) \\| (.+?) \\|")
	out := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		n, _ := strconv.Atoi(m[1])
		base := ""
		for _, name := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[2], -1) {
			p := name[1]
			if strings.Contains(p, "/") || base == "" {
				base = filepath.Dir(p)
			} else {
				p = base + "/" + p // httpapi after connectors/file
			}
			out[p] = n
		}
	}
	if len(out) < 20 {
		t.Fatalf("read %d packages from docs/ARCHITECTURE.md's table", len(out))
	}
	return out
}

// layerOf is a package's layer: its own row, or its parent's (engine/internal/x
// under engine/internal/*, connectors/file/internal/... under connectors/file).
func layerOf(l map[string]int, pkg string) (int, bool) {
	for p := pkg; p != "." && p != ""; p = filepath.Dir(p) {
		if n, ok := l[p]; ok {
			return n, true
		}
		if n, ok := l[p+"/*"]; ok {
			return n, true
		}
	}
	return 0, false
}

// Every engine package is in the table, imports only lower layers (its
// own internal packages aside), and only engine/store imports DuckDB.
func TestLayers(t *testing.T) {
	l := layers(t)
	root, _ := filepath.Abs("../..")
	var pkgs []string
	filepath.WalkDir(filepath.Join(root, "engine"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "testdata", "templates", "static", "migrations":
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		if _, err := build.ImportDir(path, 0); err == nil {
			pkgs = append(pkgs, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(pkgs)
	for _, pkg := range pkgs {
		if pkg == "engine/archtest" {
			continue
		}
		mine, ok := layerOf(l, pkg)
		if !ok {
			t.Errorf("%s is not in docs/ARCHITECTURE.md's table: give it a layer", pkg)
			continue
		}
		bp, err := build.ImportDir(filepath.Join(root, pkg), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range bp.Imports {
			if strings.Contains(imp, "duckdb") && pkg != "engine/store" {
				t.Errorf("%s imports %s: only engine/store links DuckDB", pkg, imp)
			}
			dep, ok := strings.CutPrefix(imp, module)
			if !ok || strings.HasPrefix(dep, pkg+"/") {
				continue // outside the module, or its own sub-package
			}
			theirs, ok := layerOf(l, dep)
			if !ok {
				t.Errorf("%s imports %s, which docs/ARCHITECTURE.md does not place", pkg, dep)
				continue
			}
			if theirs >= mine {
				t.Errorf("%s (layer %d) imports %s (layer %d): an engine package imports only lower layers", pkg, mine, dep, theirs)
			}
		}
	}
	if len(pkgs) < 20 {
		t.Errorf("found %d engine packages", len(pkgs))
	}
}
