package gen

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// BenchmarkRigidRoles writes one county (LIPWATCH_GEN_BENCH_HOUSEHOLDS
// households, 20,000 by default) and reports rigidRoles alone, the
// hand-out of the rest of issue 13's roles (issue 14: it grew about with
// the square of the county): its wall time, the process's CPU time while
// it ran (garbage collection included; Linux only, from /proc/self/stat),
// and how many times it called a take.
func BenchmarkRigidRoles(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("LIPWATCH_GEN_BENCH_HOUSEHOLDS")); err == nil && v >= MinHouseholds {
		n = v
	}
	b.Run(fmt.Sprintf("households=%d", n), func(b *testing.B) {
		var wall, cpu time.Duration
		takes, cpuKnown := 0, true
		run := runRigidRoles
		defer func() { runRigidRoles = run }()
		runRigidRoles = func(w *world, r *rand.Rand) int {
			start := time.Now()
			cpu0, ok0 := processCPU()
			takes = run(w, r)
			cpu1, ok1 := processCPU()
			wall += time.Since(start)
			cpu += cpu1 - cpu0
			cpuKnown = cpuKnown && ok0 && ok1
			return takes
		}
		for b.Loop() {
			if _, err := Generate(context.Background(), Options{Seed: 11, Households: n, AsOf: testAsOf, Dir: b.TempDir()}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(wall.Seconds()/float64(b.N), "rigidRoles-s")
		if cpuKnown {
			b.ReportMetric(cpu.Seconds()/float64(b.N), "rigidRoles-cpu-s")
		}
		b.ReportMetric(float64(takes), "takes")
	})
}

// processCPU is the user and system time the process has used, from
// /proc/self/stat (utime and stime, in ticks of 1/100 s); false where
// there is no such file.
func processCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command's name, which ends with the last ')':
	// state is the first, utime and stime the 12th and 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}
