package gen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

var testAsOf = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func generate(t *testing.T, seed int64, households int) (string, *Truth) {
	t.Helper()
	return generateAt(t, seed, households, testAsOf)
}

func generateAt(t *testing.T, seed int64, households int, asOf time.Time) (string, *Truth) {
	t.Helper()
	dir := t.TempDir()
	tr, err := Generate(context.Background(), Options{Seed: seed, Households: households, AsOf: asOf, Dir: dir})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return dir, tr
}

// readTree maps every file under dir (slash paths) to its bytes.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, _ := generate(t, 7, 400)
	b, _ := generate(t, 7, 400)
	c, _ := generate(t, 8, 400)
	fa, fb, fc := readTree(t, a), readTree(t, b), readTree(t, c)
	if len(fa) != 1+1+1+medicalMonths+1+1+1+5+3+2+1 { // + 5 asset files, 3 of rigid spending and recusal, truth.json, README.md, divisions.csv
		t.Errorf("%d files written", len(fa))
	}
	for name, want := range fa {
		if got, ok := fb[name]; !ok || !bytes.Equal(got, want) {
			t.Errorf("%s differs between two runs with the same options", name)
		}
	}
	if len(fb) != len(fa) {
		t.Errorf("second run wrote %d files, first %d", len(fb), len(fa))
	}
	same := 0
	for name, want := range fa {
		if bytes.Equal(fc[name], want) {
			same++
			t.Logf("%s is the same for seeds 7 and 8", name)
		}
	}
	if same > 0 {
		t.Errorf("%d files identical for a different seed", same)
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Seed: 1, Households: 10, AsOf: testAsOf, Dir: t.TempDir()},
		{Seed: 1, Households: 500, Dir: t.TempDir()},
		{Seed: 1, Households: 500, AsOf: testAsOf},
	} {
		if _, err := Generate(context.Background(), o); !errors.Is(err, ErrOptions) {
			t.Errorf("Generate(%+v) = %v, want ErrOptions", o, err)
		}
	}
}

func TestGenerateHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Options{Seed: 1, Households: 500, AsOf: testAsOf, Dir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a cancelled context = %v", err)
	}
}

func TestTruthFileMatchesReturnedTruth(t *testing.T) {
	dir, tr := generate(t, 3, 300)
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Truth
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(tr)
	again, _ := json.Marshal(&got)
	if !bytes.Equal(want, again) {
		t.Error("truth.json does not round-trip to the returned Truth")
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if cmd := "lipwatch gen --seed 3 --households 300 --as-of 2026-11-28 --out"; !strings.Contains(string(readme), cmd) {
		t.Errorf("README.md lacks %q", cmd)
	}
	if tr.Counts.Households != 300 || len(tr.County.Townships) != 12 || tr.County.Villages < 200 {
		t.Errorf("counts %+v, county %d townships %d villages", tr.Counts, len(tr.County.Townships), tr.County.Villages)
	}
}

// TestRowsAndDefects re-reads every file and checks that exactly the rows
// truth.json lists as bad have a defect, and the one it says.
func TestRowsAndDefects(t *testing.T) {
	for _, n := range []int{MinHouseholds, 5000} {
		dir, tr := generate(t, 1, n)
		checkRows(t, dir, tr)
	}
}

// checkRows is TestRowsAndDefects for one county.
func checkRows(t *testing.T, dir string, tr *Truth) {
	t.Helper()
	bad := map[string]BadRow{}
	for _, b := range tr.BadRows {
		bad[b.File+"#"+itoa(b.Position)] = b
		if l, ok := layoutOf(b.File); ok && linkable(l) && b.Column == l.headers[slices.Index(l.fields, "id_number")] {
			t.Errorf("%s row %d: its ID number is its defect (%s) and its file carries names: truth must list it as unresolved, not quarantined", b.File, b.Position, b.Reason)
		}
	}
	// Rows kept unresolved have their one defect too: their ID number,
	// in a file whose rows carry the person's name.
	// Rows with identity resolution's damage (linkage.go) are checked by
	// checkDamaged: a valid ID of someone else or of nobody is no defect
	// a reader of one row can see.
	damaged := map[string]bool{}
	bads := 0
	for _, u := range tr.Unresolved {
		if u.Reason != ReasonBadCheckDigit && u.Reason != ReasonMissingRequired {
			damaged[u.File+"#"+itoa(u.Position)] = true
			continue
		}
		bads++
		bad[u.File+"#"+itoa(u.Position)] = BadRow{File: u.File, Position: u.Position, Reason: u.Reason, Column: u.Column}
		l, ok := layoutOf(u.File)
		if !ok || !linkable(l) || (u.Reason != ReasonBadCheckDigit && u.Reason != ReasonMissingRequired) {
			t.Errorf("%s row %d: kept unresolved (%s), but its file has no name column or the defect is not the ID's", u.File, u.Position, u.Reason)
		}
		if _, err := idnum.Parse(u.IDNumber); err != nil || len(u.IDNumber) != 18 {
			t.Errorf("%s row %d: unresolved row's true ID number is not canonical: %v", u.File, u.Position, err)
		}
	}
	dups := map[string]Duplicate{}
	for _, d := range tr.Duplicates {
		dups[d.File+"#"+itoa(d.Position)] = d
	}
	emptyLines := 0
	perFile := map[string]int{}
	for _, fi := range tr.Files {
		l, ok := layoutOf(fi.File)
		if !ok {
			t.Fatalf("unexpected file %s", fi.File)
		}
		if fi.Dataset != l.dataset || fi.Encoding != l.encoding || fi.HeaderRow != l.headerRow || fi.Sheet != l.sheet {
			t.Errorf("%s: truth says %+v", fi.File, fi)
		}
		rf := readAny(t, dir, fi.File, l)
		if !slices.Equal(rf.header, l.headers) {
			t.Errorf("%s: header %q", fi.File, rf.header)
		}
		if rf.bom != fi.BOM {
			t.Errorf("%s: BOM %v, truth says %v", fi.File, rf.bom, fi.BOM)
		}
		if len(rf.rows) != fi.DataRows {
			t.Errorf("%s: %d data rows, truth says %d", fi.File, len(rf.rows), fi.DataRows)
		}
		for i, rr := range rf.rows {
			key := fi.File + "#" + itoa(rr.pos)
			got := checkRow(t, l, rr)
			want, isBad := bad[key]
			if damaged[key] {
				if len(got) > 1 || len(got) == 1 && got[0].column != l.headers[slices.Index(l.fields, "id_number")] {
					t.Errorf("%s row %d: a row with a damaged ID has other defects %v: %q", fi.File, rr.pos, got, rr.cells)
				}
				if i == 0 || i == len(rf.rows)-1 {
					t.Errorf("%s row %d: damaged row at the edge of the data", fi.File, rr.pos)
				}
				continue
			}
			switch {
			case !isBad && len(got) > 0:
				t.Errorf("%s row %d: unlisted defects %v: %q", fi.File, rr.pos, got, rr.cells)
			case isBad && (len(got) != 1 || got[0] != defect{want.Reason, want.Column}):
				t.Errorf("%s row %d: defects %v, truth says %s %q: %q", fi.File, rr.pos, got, want.Reason, want.Column, rr.cells)
			case isBad:
				perFile[fi.File]++
				if i == 0 || i == len(rf.rows)-1 {
					t.Errorf("%s row %d: bad row at the edge of the data", fi.File, rr.pos)
				}
			}
			if _, ok := dups[key]; ok && isBad {
				t.Errorf("%s row %d: both duplicate and bad", fi.File, rr.pos)
			}
		}
		if l.encoding != "xlsx" {
			emptyLines += countEmptyLines(t, dir, fi.File)
		}
	}
	for _, fi := range tr.Files {
		if perFile[fi.File] < 2 {
			t.Errorf("%s: %d bad rows, want at least 2", fi.File, perFile[fi.File])
		}
	}
	if len(tr.BadRows)+bads != sum(perFile) {
		t.Errorf("truth lists %d bad rows and %d unresolved, %d found", len(tr.BadRows), bads, sum(perFile))
	}
	checkDamaged(t, dir, tr)
	if emptyLines == 0 {
		t.Error("no CSV file has a truly empty line")
	}
	checkDuplicates(t, dir, tr)
}

// linkable reports a file of a dataset whose rows are kept unresolved when
// their ID number is unusable, with a column the loader maps to name.
func linkable(l layout) bool {
	ds, ok := dataset.Lookup(l.dataset)
	return ok && ds.Linkable() && slices.Contains(l.fields, "name")
}

// countEmptyLines counts lines with nothing on them in a CSV file.
func countEmptyLines(t *testing.T, dir, name string) int {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.TrimSuffix(line, "\r") == "" {
			n++
		}
	}
	return n
}

// checkDuplicates asserts that each re-sent claim repeats, cell for cell, a
// row of the previous month's file, and that claim ids are otherwise unique.
func checkDuplicates(t *testing.T, dir string, tr *Truth) {
	t.Helper()
	byID := map[string][]string{}
	seen := map[string]string{}
	dupAt := map[string]bool{}
	for _, d := range tr.Duplicates {
		dupAt[d.File+"#"+itoa(d.Position)] = true
	}
	l := layouts["medical"]
	var files []string
	for _, fi := range tr.Files {
		if fi.Dataset == "medical" {
			files = append(files, fi.File)
		}
	}
	for i, name := range files {
		for _, rr := range readAny(t, dir, name, l).rows {
			id := rr.cells[0]
			if len(checkRow(t, l, rr)) > 0 {
				continue
			}
			key := name + "#" + itoa(rr.pos)
			if dupAt[key] {
				prev, ok := byID[id]
				if !ok || seen[id] != files[i-1] || !slices.Equal(prev, rr.cells) {
					t.Errorf("%s: duplicate %s does not repeat a row of %s", key, id, files[max(i-1, 0)])
				}
				continue
			}
			if _, ok := byID[id]; ok {
				t.Errorf("%s: claim id %s repeated but not listed as duplicate", key, id)
			}
			byID[id], seen[id] = rr.cells, name
		}
	}
	if len(tr.Duplicates) < 3 {
		t.Errorf("%d duplicates", len(tr.Duplicates))
	}
}

func TestRegistryIDsMatchRows(t *testing.T) {
	dir, _ := generate(t, 5, 800)
	l := layouts["registry.csv"]
	rf := readAny(t, dir, "registry.csv", l)
	var legacy, lower, wide, spaced, good int
	for _, rr := range rf.rows {
		if len(checkRow(t, l, rr)) > 0 {
			continue
		}
		good++
		raw := rr.cells[0]
		id, err := idnum.Parse(raw)
		if err != nil {
			t.Fatalf("row %d: %v", rr.pos, err)
		}
		birth, _ := parseDate(rr.cells[3])
		if !id.BirthDate().Equal(birth) {
			t.Errorf("row %d: ID born %s, row says %s", rr.pos, id.BirthDate().Format(time.DateOnly), rr.cells[3])
		}
		if g := map[string]idnum.Gender{"男": idnum.Male, "女": idnum.Female}[rr.cells[2]]; g != id.Gender() {
			t.Errorf("row %d: ID gender %s, row says %s", rr.pos, id.Gender(), rr.cells[2])
		}
		if id.AreaCode() != "340799" || !strings.HasPrefix(rr.cells[7], rr.cells[6]) || !strings.HasPrefix(rr.cells[4], rr.cells[7]) {
			t.Errorf("row %d: codes do not nest: %q", rr.pos, rr.cells)
		}
		switch {
		case len(raw) == 15:
			legacy++
		case strings.HasSuffix(raw, "x"):
			lower++
		case strings.ContainsRune(raw, '０') || strings.ContainsAny(raw, "１２３４５６７８９"):
			wide++
		case strings.Contains(raw, " "):
			spaced++
		}
	}
	if legacy == 0 || lower == 0 || wide == 0 || spaced == 0 {
		t.Errorf("dirt in %d IDs: %d legacy, %d lowercase x, %d full-width, %d spaced", good, legacy, lower, wide, spaced)
	}
}

func TestWriteMedicalCSV(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := WriteMedicalCSV(&a, 5000, 1, testAsOf); err != nil {
		t.Fatal(err)
	}
	if err := WriteMedicalCSV(&b, 5000, 1, testAsOf); err != nil {
		t.Fatal(err)
	}
	if err := WriteMedicalCSV(&c, 5000, 2, testAsOf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same arguments, different bytes")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds, same bytes")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.csv"), a.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	l := layouts["medical"]
	rf := readCSV(t, filepath.Join(dir, "m.csv"), l)
	if rf.bom || !slices.Equal(rf.header, l.headers) || len(rf.rows) != 5000 {
		t.Fatalf("bom %v, header %q, %d rows", rf.bom, rf.header, len(rf.rows))
	}
	ids := map[string]bool{}
	for _, rr := range rf.rows {
		if d := checkRow(t, l, rr); len(d) > 0 {
			t.Fatalf("row %d: %v", rr.pos, d)
		}
		if ids[rr.cells[0]] {
			t.Fatalf("row %d: claim id repeated", rr.pos)
		}
		ids[rr.cells[0]] = true
		checkClaimArithmetic(t, "m.csv", rr)
	}
}

// checkClaimArithmetic asserts 个人自付 = total - fund - critical - assistance.
func checkClaimArithmetic(t *testing.T, name string, rr readRow) {
	t.Helper()
	var v [5]int64
	first := slices.Index(layouts["medical"].fields, "total_cost")
	for i := range v {
		v[i], _ = parseMoney(rr.cells[first+i])
	}
	if v[4] != v[0]-v[1]-v[2]-v[3] || v[4] < 0 {
		t.Errorf("%s row %d: amounts do not add up: %q", name, rr.pos, rr.cells[first:])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func BenchmarkGenerate5000(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(context.Background(), Options{Seed: 1, Households: 5000, AsOf: testAsOf, Dir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteMedicalCSV(b *testing.B) {
	for b.Loop() {
		if err := WriteMedicalCSV(discard{}, 100000, 1, testAsOf); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
