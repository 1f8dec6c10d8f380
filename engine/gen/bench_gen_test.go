package gen

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkGen writes whole counties: ns/household is the figure that
// shows whether gen's time is linear in the county's size (it is the same
// at every size when it is); out-bytes/household is what it writes.
// Sizes are small by default; LIPWATCH_GEN_BENCH_HOUSEHOLDS=N runs one
// county of N households instead (for profiles: -cpuprofile, -memprofile).
func BenchmarkGen(b *testing.B) {
	sizes := []int{2000, 8000}
	if v, err := strconv.Atoi(os.Getenv("LIPWATCH_GEN_BENCH_HOUSEHOLDS")); err == nil && v >= MinHouseholds {
		sizes = []int{v}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("households=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var written int64
			for b.Loop() {
				dir := b.TempDir()
				if _, err := Generate(context.Background(), Options{Seed: 11, Households: n, AsOf: testAsOf, Dir: dir}); err != nil {
					b.Fatal(err)
				}
				written = treeSize(b, dir)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/household")
			b.ReportMetric(float64(written)/float64(n), "out-bytes/household")
		})
	}
}

// treeSize is the total size of the files under dir.
func treeSize(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
