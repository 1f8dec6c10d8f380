package pipeline

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
)

// BenchmarkDispatchCounty times the dispatch stage (Dispatch with all: every
// open case listed, as many lists as the county has townships with cases,
// the CSVs and the county summary) on a store a night has already run on,
// given by the environment: LIPWATCH_BENCH_DISPATCH_CONFIG is that night's
// config.yaml, LIPWATCH_BENCH_DISPATCH_STORE the store after it (copied
// for every iteration, never written) and LIPWATCH_BENCH_DISPATCH_DAY the
// night's date (default 2026-11-28). Without them it is skipped: a county
// big enough to matter (350,000 households, 14,000 cases) takes minutes to
// generate and sync. Reported: cases and files written per iteration, and
// the heap allocated by the stage (B/op).
func BenchmarkDispatchCounty(b *testing.B) {
	cfgPath, pristine := os.Getenv("LIPWATCH_BENCH_DISPATCH_CONFIG"), os.Getenv("LIPWATCH_BENCH_DISPATCH_STORE")
	if cfgPath == "" || pristine == "" {
		b.Skip("LIPWATCH_BENCH_DISPATCH_CONFIG and LIPWATCH_BENCH_DISPATCH_STORE name a night's config and store")
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if s := os.Getenv("LIPWATCH_BENCH_DISPATCH_DAY"); s != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		copyFile(b, pristine, filepath.Join(dir, "lw.duckdb"))
		b.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "lw.duckdb"))
		b.Setenv("LIPWATCH_DISPATCH_DIR", filepath.Join(dir, "lists"))
		cfg, err := config.Load(cfgPath)
		if err != nil {
			b.Fatal(err)
		}
		p, err := Open(ctx, cfg, nil, "bench")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		res, err := p.Dispatch(ctx, day, true)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Cases), "cases")
		b.ReportMetric(float64(len(res.Files)), "files")
		p.Close()
		b.StartTimer()
	}
}

// copyFile copies the file at from to to.
func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// TestRemoveSpills: what a killed list writer spilled is removed from a
// day folder before its lists are written again, and nothing else is.
func TestRemoveSpills(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lists [1]", "2026-11-28")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"excelize-123456", "excelize-9", "340799001_城关镇.xlsx", "汇总_20261128.xlsx", "my-excelize-1"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removeSpills(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"340799001_城关镇.xlsx", "my-excelize-1", "汇总_20261128.xlsx"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
}
