package gen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// smallBlocks makes counties of more than 500 households be drawn in
// blocks of at most 400 for the rest of the test.
// A sheet holds 900 data rows below its title and header: a county of
// 1,200 households writes households.xlsx and households-2.xlsx.
func smallBlocks(t *testing.T) {
	threshold, size, rows := blockThreshold, blockSize, sheetRows
	blockThreshold, blockSize, sheetRows = 500, 400, 902
	t.Cleanup(func() { blockThreshold, blockSize, sheetRows = threshold, size, rows })
}

// readTruth reads a county's truth.json.
func readTruth(t *testing.T, dir string) *Truth {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	return &tr
}

func TestBlockSizes(t *testing.T) {
	smallBlocks(t)
	for n, want := range map[int][]int{400: {400}, 401: {201, 200}, 1200: {400, 400, 400}, 1201: {301, 300, 300, 300}} {
		if got := blockSizes(n); !slices.Equal(got, want) {
			t.Errorf("blockSizes(%d) = %v, want %v", n, got, want)
		}
	}
	if got := blockSizes(400 * (maxBlocks + 3)); len(got) != maxBlocks {
		t.Errorf("%d blocks, want at most %d", len(got), maxBlocks)
	}
}

// TestBlockedCounty draws a county in three blocks and checks it as a whole
// as the other tests check a county drawn at once: every row and defect
// truth.json lists, every planted situation raised and nothing else, the
// decoys, the background; and that the keys stay unique across blocks.
func TestBlockedCounty(t *testing.T) {
	smallBlocks(t)
	const households = 1200
	dir, returned := generate(t, 3, households)
	tr := readTruth(t, dir)
	if returned.Planted != nil || returned.BadRows != nil {
		t.Error("a county drawn in blocks returned its lists: they should be in truth.json only")
	}
	again, _ := json.Marshal(returned)
	tr.Planted, tr.Decoys, tr.BadRows, tr.Unresolved, tr.Duplicates = nil, nil, nil, nil, nil
	if want, _ := json.Marshal(tr); !bytes.Equal(want, again) {
		t.Errorf("truth.json's counts, county and files differ from the returned Truth:\n%s\n%s", want, again)
	}
	tr = readTruth(t, dir)
	if tr.Counts.Households != households || tr.Options.Households != households || tr.Options.Seed != 3 {
		t.Errorf("options %+v, %d households", tr.Options, tr.Counts.Households)
	}
	if len(tr.County.Townships) != 12 || tr.County.Villages != 3*210 {
		t.Errorf("county: %d townships, %d villages", len(tr.County.Townships), tr.County.Villages)
	}
	// What was planted is listed, as counted, in the documented order
	// (checkSituations: at least what a county of that size gets).
	perSignal := 0
	for _, pl := range tr.Planted {
		perSignal += len(pl.Signals)
	}
	if perSignal != sum(tr.Counts.Planted) || len(tr.Decoys) != sum(tr.Counts.Decoys) ||
		len(tr.BadRows) != sum(tr.Counts.BadRows) || len(tr.Unresolved) != sum(tr.Counts.Unresolved) {
		t.Errorf("lists and counts disagree: %d signals, %d decoys, %d bad rows, %d unresolved; counts %+v",
			perSignal, len(tr.Decoys), len(tr.BadRows), len(tr.Unresolved), tr.Counts)
	}
	if !slices.IsSortedFunc(tr.Planted, func(a, b Planted) int { return strings.Compare(a.HouseholdID, b.HouseholdID) }) ||
		!slices.IsSortedFunc(tr.BadRows, func(a, b BadRow) int {
			if a.File != b.File {
				return strings.Compare(a.File, b.File)
			}
			return a.Position - b.Position
		}) {
		t.Error("truth.json's lists are not in order")
	}
	checkRows(t, dir, tr)
	checkSituations(t, dir, tr)

	// Keys unique across blocks: ID numbers (each block's area code),
	// 户号, claim ids (checkRows), plates, credit codes, boat certificates.
	skip := map[string]bool{}
	for _, b := range tr.BadRows {
		skip[b.File+"#"+itoa(b.Position)] = true
	}
	for _, u := range tr.Unresolved {
		skip[u.File+"#"+itoa(u.Position)] = true
	}
	// A file's values across its parts (a sheet split at Excel's limit).
	unique := func(whole, field string) map[string]bool {
		l, _ := layoutOf(whole)
		col := slices.Index(l.fields, field)
		seen := map[string]bool{}
		for _, fi := range tr.Files {
			if wholeName(fi.File) != whole {
				continue
			}
			name := fi.File
			for _, rr := range readAny(t, dir, name, l).rows {
				if skip[name+"#"+itoa(rr.pos)] {
					continue
				}
				v := strings.TrimSpace(rr.cells[col])
				if field == "id_number" {
					id, err := idnum.Parse(v)
					if err != nil {
						t.Fatalf("%s row %d: %v", name, rr.pos, err)
					}
					v = string(id)
				}
				if seen[v] {
					t.Errorf("%s row %d: %s %s repeated", name, rr.pos, field, v)
				}
				seen[v] = true
			}
		}
		return seen
	}
	areas := map[string]int{}
	for id := range unique("registry.csv", "id_number") {
		areas[id[:6]]++
	}
	if len(areas) != 3 || areas[countyCode] == 0 || areas[otherCountyRef] != 0 {
		t.Errorf("registry ID area codes %v, want three blocks' and not %s", areas, otherCountyRef)
	}
	if hh := unique("households.xlsx", "household_id"); len(hh) != households {
		t.Errorf("%d distinct 户号 in households.xlsx, want %d", len(hh), households)
	}
	// Past a sheet's rows, the next block's went to the next part, whole.
	parts := map[string]int{}
	for _, fi := range tr.Files {
		if wholeName(fi.File) == "households.xlsx" {
			parts[fi.File] = fi.DataRows
		}
	}
	// (Two blocks fill the first part, the third goes to the second; each
	// block's sheet has a few bad rows beside its 400 households.)
	if len(parts) != 2 || parts["households.xlsx"] < 800 || parts["households-2.xlsx"] < 400 || parts["households.xlsx"] > 900 {
		t.Errorf("households.xlsx's parts %v, want households.xlsx with two blocks' rows and households-2.xlsx with one's", parts)
	}
	for _, fi := range tr.Files {
		if fi.Format != "xlsx" {
			continue
		}
		l, _ := layoutOf(fi.File)
		if n := len(readAny(t, dir, fi.File, l).rows); n != fi.DataRows || n+fi.HeaderRow > sheetRows {
			t.Errorf("%s: %d rows read, truth says %d, a sheet holds %d", fi.File, n, fi.DataRows, sheetRows-fi.HeaderRow)
		}
	}
	unique("vehicles.xlsx", "plate")
	unique("business.csv", "credit_code")
	unique("fishers.csv", "boat_cert")

	// Deterministic.
	dir2, _ := generate(t, 3, households)
	a, b := readTree(t, dir), readTree(t, dir2)
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	for name := range a {
		if strings.Contains(name, ".lipwatch-") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}

// TestTruthListsAreMarshalIndent: truth.json streamed from lists is the
// bytes writeTruth writes for the same Truth.
func TestTruthListsAreMarshalIndent(t *testing.T) {
	dir, tr := generate(t, 3, 300)
	want, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	lists := []truthList{
		{"planted", itemsOf(tr.Planted)}, {"decoys", itemsOf(tr.Decoys)}, {"bad_rows", itemsOf(tr.BadRows)},
		{"unresolved", itemsOf(tr.Unresolved)}, {"duplicates", itemsOf(tr.Duplicates)},
	}
	out := t.TempDir()
	bare := *tr
	bare.Planted, bare.Decoys, bare.BadRows, bare.Unresolved, bare.Duplicates = nil, nil, nil, nil, nil
	if err := writeTruthLists(out, &bare, lists); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("streamed truth.json differs (%d bytes, want %d)", len(got), len(want))
	}
	// And with empty lists.
	empty := bare
	if err := writeTruthLists(out, &empty, []truthList{{"planted", itemsOf([]Planted{})}, {"decoys", itemsOf([]Decoy{})},
		{"bad_rows", itemsOf([]BadRow{})}, {"unresolved", itemsOf([]Unresolved{})}, {"duplicates", itemsOf([]Duplicate{})}}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(filepath.Join(out, "truth.json"))
	empty.Planted, empty.Decoys, empty.BadRows, empty.Unresolved, empty.Duplicates = []Planted{}, []Decoy{}, []BadRow{}, []Unresolved{}, []Duplicate{}
	want, _ = json.MarshalIndent(&empty, "", "  ")
	if !bytes.Equal(got, append(want, '\n')) {
		t.Error("streamed truth.json with empty lists differs")
	}
}

func itemsOf[T any](items []T) func(emit func([]byte) error) error {
	return func(emit func([]byte) error) error {
		for _, it := range items {
			b, err := json.Marshal(it)
			if err != nil {
				return err
			}
			if err := emit(b); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestSheetPartsEven: a sheet split into parts has parts of as many
// blocks each, not full parts and a short last one (which the sources'
// row-drop guard would take for a partial export).
func TestSheetPartsEven(t *testing.T) {
	smallBlocks(t)
	sheetRows = 1302 // three blocks' rows would fit in a part; four do not
	dir, _ := generate(t, 5, 1600)
	tr := readTruth(t, dir)
	parts := map[string]int{}
	for _, fi := range tr.Files {
		if wholeName(fi.File) == "households.xlsx" {
			parts[fi.File] = fi.DataRows
			l, _ := layoutOf(fi.File)
			if n := len(readAny(t, dir, fi.File, l).rows); n != fi.DataRows {
				t.Errorf("%s: %d rows read, truth says %d", fi.File, n, fi.DataRows)
			}
		}
	}
	a, b := parts["households.xlsx"], parts["households-2.xlsx"]
	if len(parts) != 2 || a < 800 || b < 800 || a > 900 || b > 900 {
		t.Errorf("households.xlsx's parts %v, want two of two blocks' rows each", parts)
	}
}
