package connectortest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// checkRows reads data sets back and compares them with what was written.
func checkRows(t *testing.T, f Fixture) {
	for _, ds := range []dataSet{awkward(), single(), many()} {
		t.Run(ds.name, func(t *testing.T) {
			c := build(t, f, ds)
			reads := mustRead(t, c, nil)
			if len(reads) == 0 {
				t.Fatalf("the source has no streams; want its %d rows", len(ds.rows))
			}
			checkSame(t, f, ds, reads)
		})
	}
}

// checkEmpty reads a source that holds no rows: no error, no rows, and an
// Incremental stream keeps the empty watermark it resumed from.
func checkEmpty(t *testing.T, f Fixture) {
	ds := empty()
	c := build(t, f, ds)
	reads := mustRead(t, c, nil)
	checkSame(t, f, ds, reads)
	for _, sr := range reads {
		if sr.incremental && sr.watermark != "" {
			t.Errorf("stream %q: Watermark is %q after reading nothing from the start; want \"\"", sr.name, sr.watermark)
		}
	}
}

// checkSame checks that reads hold exactly ds: each stream's header, the
// rows concatenated in stream order, positions increasing within a
// stream, and io.EOF repeated after the last row.
func checkSame(t *testing.T, f Fixture, ds dataSet, reads []streamRead) {
	t.Helper()
	got, ok := canonical(t, f, ds.header, reads)
	seen := map[string]bool{}
	for _, sr := range reads {
		// The name is the stream's key in the load ledger.
		if sr.name == "" || seen[sr.name] {
			t.Errorf("stream name %q is empty or not unique among %d streams", sr.name, len(reads))
		}
		seen[sr.name] = true
		checkPositions(t, sr)
		checkKeptStrings(t, sr)
		if !errors.Is(sr.afterEOF, io.EOF) {
			t.Errorf("stream %q: Next after io.EOF returned %v; want io.EOF again", sr.name, sr.afterEOF)
		}
	}
	if ok {
		compareRows(t, got, ds.rows)
	}
}

// canonical returns the rows of all streams with their values in the
// order of want (the header written), checking each stream's header. A
// stream without rows may have an empty header: a kind that learns its
// columns from the records (a JSON API) cannot know them.
func canonical(t *testing.T, f Fixture, want []string, reads []streamRead) ([][]string, bool) {
	t.Helper()
	var rows [][]string
	ok := true
	for _, sr := range reads {
		if len(sr.rows) == 0 && len(sr.header) == 0 {
			continue
		}
		perm, err := columnOrder(sr.header, want, f.AnyColumnOrder)
		if err != nil {
			t.Errorf("stream %q: %v", sr.name, err)
			ok = false
			continue
		}
		for _, r := range sr.rows {
			if len(r.Values) != len(sr.header) {
				t.Errorf("stream %q: row at %d has %d values for %d columns: %q", sr.name, r.Pos, len(r.Values), len(sr.header), r.Values)
				ok = false
				continue
			}
			out := make([]string, len(want))
			for i, j := range perm {
				out[i] = r.Values[j]
			}
			rows = append(rows, out)
		}
	}
	return rows, ok
}

// columnOrder maps each wanted column to its index in got.
func columnOrder(got, want []string, anyOrder bool) ([]int, error) {
	if !anyOrder {
		if !slices.Equal(got, want) {
			return nil, fmt.Errorf("header is %q; want %q", got, want)
		}
		perm := make([]int, len(want))
		for i := range perm {
			perm[i] = i
		}
		return perm, nil
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	if !slices.Equal(sorted(got), sorted(want)) {
		return nil, fmt.Errorf("header is %q; want the columns %q in any order", got, want)
	}
	perm := make([]int, len(want))
	for i, name := range want {
		perm[i] = slices.Index(got, name)
	}
	return perm, nil
}

// checkPositions checks that each row's position is 1 or more and after
// the last line of the row before it, and that End, when set, is not
// before Pos.
func checkPositions(t *testing.T, sr streamRead) {
	t.Helper()
	var last int64
	for i, r := range sr.rows {
		if r.Pos < 1 || r.Pos <= last {
			t.Errorf("stream %q: row %d is at position %d, after a row ending at %d; want positions from 1, strictly increasing", sr.name, i+1, r.Pos, last)
			return
		}
		if r.End != 0 && r.End < r.Pos {
			t.Errorf("stream %q: row %d ends at %d before it starts at %d", sr.name, i+1, r.End, r.Pos)
			return
		}
		last = max(r.Pos, r.End)
	}
}

// compareRows reports the first few rows that differ.
func compareRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("read %d rows; want %d", len(got), len(want))
	}
	const show = 5
	bad := 0
	for i := range min(len(got), len(want)) {
		if slices.Equal(got[i], want[i]) {
			continue
		}
		if bad++; bad <= show {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, fmtValues(got[i]), fmtValues(want[i]))
		}
	}
	if bad > show {
		t.Errorf("... and %d more rows differ", bad-show)
	}
}

func fmtValues(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// checkKeptStrings compares the strings kept from each row with the copies
// made when Next returned it: a reader that builds its strings over a
// reused buffer (unsafe.String) changes the rows a caller kept.
func checkKeptStrings(t *testing.T, sr streamRead) {
	t.Helper()
	for i, r := range sr.rows {
		if !slices.Equal(r.Values, sr.deep[i]) {
			t.Errorf("stream %q: the strings of the row at %d changed after Next returned them: %s, then %s; "+
				"Values may be reused, the strings must not be", sr.name, r.Pos, fmtValues(sr.deep[i]), fmtValues(r.Values))
			return
		}
	}
}
