package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// TestKeyFilter: every key given before is seen, across the filter's
// growth into several parts, and keys never given are seen no more often
// than the bound its doc gives.
func TestKeyFilter(t *testing.T) {
	var f keyFilter
	const n = 300_000 // 64k + 128k + 256k: three parts
	for i := range n {
		f.seen("320102" + strconv.Itoa(i)) // a first sight may be a false positive
	}
	if len(f.parts) != 3 {
		t.Fatalf("%d keys: %d parts, want 3", n, len(f.parts))
	}
	for i := range n {
		if !f.seen("320102" + strconv.Itoa(i)) {
			t.Fatalf("key %d given before is not seen", i)
		}
	}
	fp := 0
	const m = 100_000
	for i := range m {
		if f.seen("other-" + strconv.Itoa(i)) {
			fp++
		}
	}
	if rate := float64(fp) / m; rate > 0.055 {
		t.Fatalf("false-positive rate %.4f above the bound %.4f", rate, 0.055)
	} else {
		t.Logf("false-positive rate %.4f over %d keys never given", rate, m)
	}
}

// TestHeldRows: into an empty table, a stream's rows go straight in
// except the few whose key the filter may have seen, which are held aside
// and checked exactly: a repeat stays out (a duplicate, or a conflict
// when its values differ), a false positive joins the table. Into a table
// that holds rows, every row is held and compared with it.
func TestHeldRows(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	row := func(i int, oop int64) []any {
		return []any{fmt.Sprintf("C%d", i), "11010519491231002X", time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), "医院", int64(100000), nil, nil, nil, oop}
	}
	stream := func(name string, rows [][]any) (Load, int64) {
		t.Helper()
		var held int64
		ld := loadMedicalSeen(t, s, name, false, func(l *SourceLoad, sl *StreamLoad) {
			if err := sl.held.Flush(); err != nil {
				t.Fatal(err)
			}
			var err error
			if held, err = l.queryInt(ctx, `SELECT count(*) FROM `+rstage); err != nil {
				t.Fatal(err)
			}
		}, rows...)
		return ld, held
	}
	const n = 100_000 // past the filter's first part, where false positives begin
	var rows [][]any
	for i := range n {
		rows = append(rows, row(i, 500))
	}
	rows = append(rows, row(7, 500), row(11, 900), row(7, 500)) // two copies, one conflict
	ld, held := stream("a.csv", rows)
	if ld.Loaded != n || ld.Duplicates != 2 || ld.Quarantined != 1 || ld.Bad != 1 {
		t.Fatalf("first load %+v", ld)
	}
	// The three repeats are held, and a few keys seen for the first time
	// (the filter's false positives): those must have joined the table.
	t.Logf("%d of %d rows held", held, n+3)
	if held <= 3 || held > n*5/100 {
		t.Fatalf("%d of %d rows held: want the 3 repeats and a few false positives", held, n+3)
	}
	if got := count(t, s, `SELECT count(DISTINCT _key) FROM medical`); got != n {
		t.Fatalf("%d claims in the table, want %d", got, n)
	}
	if got := count(t, s, `SELECT count(*) FROM medical WHERE _key = 'C11' AND out_of_pocket = 5.00`); got != 1 {
		t.Fatalf("C11: the first row must stay")
	}
	// A second file repeating 100 claims, with 100 new: all held.
	rows = rows[:0]
	for i := n - 100; i < n+100; i++ {
		rows = append(rows, row(i, 500))
	}
	ld, held = stream("b.csv", rows)
	if ld.Loaded != 100 || ld.Duplicates != 100 || held != 200 {
		t.Fatalf("second load %+v, %d held", ld, held)
	}
	if got := count(t, s, `SELECT count(*) FROM medical`); got != n+100 {
		t.Fatalf("%d rows, want %d", got, n+100)
	}
}

// BenchmarkKeyFilter: the filter's cost per row of a stream of distinct
// keys, from an empty filter, beside a Go map of the same keys (the
// exact set it stands in for).
func BenchmarkKeyFilter(b *testing.B) {
	const n = 1 << 22 // 4.2M keys: seven parts
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("340799%012d|2026-%02d", i, i%12+1)
	}
	b.Run("filter", func(b *testing.B) {
		for b.Loop() {
			var f keyFilter
			for _, k := range keys {
				f.seen(k)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
	b.Run("filter-sized", func(b *testing.B) {
		for b.Loop() {
			var f keyFilter
			f.expect(n)
			for _, k := range keys {
				f.seen(k)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := map[string]struct{}{}
			for _, k := range keys {
				m[k] = struct{}{}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
}
