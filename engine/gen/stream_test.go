package gen

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// peakWhileWriting writes a lazy file of n rows (with its bad rows placed)
// and returns the most heap in use, above what was in use before, at the
// points where the file's rows are drawn (every 1,000 rows).
func peakWhileWriting(t *testing.T, format string, n int) uint64 {
	t.Helper()
	f := &file{name: "big." + format, dataset: "contributions", format: format, encoding: "gb18030", crlf: true,
		sheet: "缴费", cols: contributionCols}
	f.produced = n
	var base, peak uint64
	f.produce = func(yield func([]cell) bool) {
		r := rand.New(rand.NewPCG(7, 7))
		for i := range n {
			if i%1000 == 0 {
				if h := liveHeap(); h > base && h-base > peak {
					peak = h - base
				}
			}
			id := fmt.Sprintf("340799%012d", i) // a new string each row
			c := []cell{txt(id), txt("张三"), txt("职工养老"), txt("示例县某公司"), txt("2026-0" + fmt.Sprint(1+i%9)), number(float64(r.IntN(9000)))}
			if format == "xlsx" {
				// Repeated text: the shared string map stays small, the
				// sheet's rows are what would grow.
				c[0] = txt(fmt.Sprint(i % 500))
				c[4] = dateValue(time.Date(2026, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC))
			}
			if !yield(c) {
				return
			}
		}
	}
	w := &world{asOf: testAsOf, bgPeople: []*person{{id: "340799199001011237", name: "李四", birth: testAsOf.AddDate(-36, 0, 0),
		hh: &household{id: "3407990010010001", village: &village{Code: "340799001001", Town: &township{Code: "340799001"}}}}}}
	w.injectBad(rand.New(rand.NewPCG(1, 2)), f, false)
	base = liveHeap()
	if err := f.write(t.TempDir(), testAsOf); err != nil {
		t.Fatal(err)
	}
	if len(f.layers) == 0 {
		t.Fatal("no bad rows placed")
	}
	return peak
}

// TestLazyFilesAreStreamed: writing a file whose rows are drawn as it is
// written holds about as much heap at 4N rows as at N (rows held until the
// file is written would hold four times as much).
func TestLazyFilesAreStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400,000 rows")
	}
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			small, large := peakWhileWriting(t, format, 25000), peakWhileWriting(t, format, 100000)
			t.Logf("peak heap above the start: %d rows %d kB, %d rows %d kB", 25000, small>>10, 100000, large>>10)
			// 4× the rows at 48 bytes of row and 6 cells of 32 bytes each
			// would add 75,000 × 240 = 18 MB over the small file.
			if large > 2*small+4<<20 {
				t.Fatalf("heap while writing grows with the rows: %d kB at 25,000 rows, %d kB at 100,000", small>>10, large>>10)
			}
		})
	}
}
