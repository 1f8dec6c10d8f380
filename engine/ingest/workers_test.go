package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

var fisherColumns = map[string]string{"id_number": "身份证号", "retired_date": "退捕日期", "resettlement": "安置去向"}

// fishersCSV writes n fishers, people from..from+n-1, with resettlement
// how ("务工", "未安置" ...).
func fishersCSV(t *testing.T, path string, from, n int, how string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("身份证号,退捕日期,安置去向\n")
	for i := from; i < from+n; i++ {
		id, err := idnum.Build("340799", time.Date(1960+i%40, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), 100+i/480)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s,2020-12-31,%s\n", id, how)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) fishers(name, path string) Source {
	f.t.Helper()
	src := f.source(name, "fishers", path)
	src.Mapping = dataset.Mapping{Columns: fisherColumns}
	return src
}

// beforeOpen wraps a source's connector: each of its streams calls before
// as it is opened, and fails with before's error.
type beforeOpen struct {
	connectors.Connector
	before func() error
}

func (b *beforeOpen) Streams(ctx context.Context) ([]connectors.Stream, error) {
	ss, err := b.Connector.Streams(ctx)
	for i := range ss {
		ss[i] = &beforeOpenStream{Stream: ss[i], before: b.before}
	}
	return ss, err
}

type beforeOpenStream struct {
	connectors.Stream
	before func() error
}

func (s *beforeOpenStream) Open(ctx context.Context) (connectors.RowReader, error) {
	if err := s.before(); err != nil {
		return nil, err
	}
	return s.Stream.Open(ctx)
}

// TestWorkersLoadDatasetsSideBySide: with two workers, the first fishers
// source's load waits inside its stream until the employment source's,
// given last, is opening its file (one load at a time would wait in vain
// and fail); the
// two fishers sources, one dataset whose newest load wins, load one after
// the other in the order given; Synced is called once per source and
// never twice at once; the results keep the order given; and what the
// store holds is what one load at a time leaves.
func TestWorkersLoadDatasetsSideBySide(t *testing.T) {
	stores := map[int]string{}
	for _, workers := range []int{2, 1} {
		f := newFixture(t)
		f.sy.Workers = workers
		employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 3000)
		fishersCSV(t, filepath.Join(f.dir, "fish_a.csv"), 0, 2000, "未安置")
		// fish_b repeats half of fish_a's fishers unchanged and brings
		// 1000 more: the repeats become fish_b's (its load is later).
		fishersCSV(t, filepath.Join(f.dir, "fish_b.csv"), 1000, 2000, "未安置")
		opened := make(chan struct{})
		emp := f.source("emp", "employment", "emp.csv")
		fishA, fishB := f.fishers("fish_a", "fish_a.csv"), f.fishers("fish_b", "fish_b.csv")
		if workers > 1 {
			fishA.Connector = &beforeOpen{Connector: fishA.Connector, before: func() error {
				select {
				case <-opened:
					return nil
				case <-time.After(30 * time.Second):
					return errors.New("the other source's load never started beside this one")
				}
			}}
			var once sync.Once
			emp.Connector = &beforeOpen{Connector: emp.Connector, before: func() error {
				once.Do(func() { close(opened) })
				return nil
			}}
		}
		var inside, calls atomic.Int32
		var order []string
		f.sy.Synced = func(r Result) {
			if inside.Add(1) != 1 {
				t.Error("Synced called while another call was running")
			}
			calls.Add(1)
			order = append(order, r.Source)
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
		}
		// fish_b second: two workers that took sources rather than
		// datasets would load it beside fish_a.
		results := f.sy.Sync(context.Background(), []Source{fishA, fishB, emp})
		for i, want := range []string{"fish_a", "fish_b", "emp"} {
			if results[i].Source != want || results[i].Err != nil {
				t.Fatalf("workers %d: result %d: %s, %v; want %s without error", workers, i, results[i].Source, results[i].Err, want)
			}
		}
		if calls.Load() != 3 {
			t.Errorf("workers %d: Synced called %d times, want 3", workers, calls.Load())
		}
		if ia, ib := slices.Index(order, "fish_a"), slices.Index(order, "fish_b"); ia > ib {
			t.Errorf("workers %d: fish_b finished before fish_a: %v", workers, order)
		}
		var aEnd, bStart time.Time
		if err := f.store.DB().QueryRow(`SELECT (SELECT max(finished_at) FROM loads WHERE source = 'fish_a'),
			(SELECT min(started_at) FROM loads WHERE source = 'fish_b')`).Scan(&aEnd, &bStart); err != nil {
			t.Fatal(err)
		}
		if bStart.Before(aEnd) {
			t.Errorf("workers %d: fish_b started loading (%s) before fish_a was done (%s)", workers, bStart, aEnd)
		}
		if n := f.count(`SELECT count(*) FROM fishers WHERE _load_id IN (SELECT load_id FROM loads WHERE source = 'fish_b')`); n != 2000 {
			t.Errorf("workers %d: %d fishers rows are fish_b's, want 2000 (its 1000 repeats and 1000 new)", workers, n)
		}
		// The repeats' lineage names fish_b with its file, not fish_a.
		if n := f.count(`SELECT count(*) FROM fishers WHERE _source = 'fish_b'`); n != 2000 {
			t.Errorf("workers %d: %d fishers rows name fish_b as their source, want 2000", workers, n)
		}
		var dump strings.Builder
		for _, q := range []string{
			`SELECT id_number, event, event_date, _source, _position FROM employment ORDER BY ALL`,
			`SELECT id_number, retired_date, resettlement, _source, _stream, _position FROM fishers ORDER BY ALL`,
			`SELECT source, stream, status, rows_read, rows_loaded, rows_duplicate, rows_quarantined FROM loads ORDER BY ALL`,
		} {
			rows, err := f.store.DB().Query(q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&dump, vals...)
			}
			rows.Close()
		}
		stores[workers] = dump.String()
	}
	if stores[1] != stores[2] {
		t.Errorf("two workers left another store than one:\n%s\nagainst\n%s", stores[2], stores[1])
	}
}

// TestWorkersStopTogether: a sync with two workers interrupted in the
// middle of one large file leaves no row of the loads in flight, and the
// sources not yet started are failed as not synced, in the ledger too.
func TestWorkersStopTogether(t *testing.T) {
	f := newFixture(t)
	f.sy.Workers = 2
	employmentCSV(t, filepath.Join(f.dir, "big.csv"), 30000)
	fishersCSV(t, filepath.Join(f.dir, "fish.csv"), 0, 20000, "务工")
	fishersCSV(t, filepath.Join(f.dir, "fish2.csv"), 20000, 10, "务工")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emp := f.source("emp", "employment", "big.csv")
	emp.Connector = &cancelAfter{Connector: emp.Connector, n: 10000, cancel: cancel}
	results := f.sy.Sync(ctx, []Source{emp, f.fishers("fish", "fish.csv"), f.fishers("fish2", "fish2.csv")})
	for _, r := range results {
		if r.Err == nil {
			// fish may have committed before the cancel: then whole.
			if n := f.count(`SELECT count(*) FROM fishers WHERE _source = '` + r.Source + `'`); r.Source == "emp" || n == 0 {
				t.Errorf("%s: no error, %d rows", r.Source, n)
			}
			continue
		}
		if !strings.Contains(r.Err.Error(), "context canceled") {
			t.Errorf("%s: %v", r.Source, r.Err)
		}
		if n := f.count(`SELECT count(*) FROM loads WHERE source = '` + r.Source + `' AND status = 'failed'`); n == 0 {
			t.Errorf("%s failed, not in the ledger", r.Source)
		}
	}
	if n := f.count(`SELECT count(*) FROM employment`); n != 0 {
		t.Errorf("%d rows left behind by the interrupted load", n)
	}
	if results[2].Err == nil {
		t.Errorf("fish2, after fish in one dataset, loaded after the interruption")
	}
}

// TestLargestFirst: datasets ordered by the bytes their sources' files
// hold, unknown sizes first; a dataset's sources keep their order.
func TestLargestFirst(t *testing.T) {
	f := newFixture(t)
	employmentCSV(t, filepath.Join(f.dir, "small.csv"), 10)
	employmentCSV(t, filepath.Join(f.dir, "big.csv"), 5000)
	fishersCSV(t, filepath.Join(f.dir, "fish_a.csv"), 0, 10, "务工")
	fishersCSV(t, filepath.Join(f.dir, "fish_b.csv"), 0, 3000, "务工")
	api := f.source("api", "registry", "small.csv")
	api.Connector = struct{ connectors.Connector }{api.Connector} // no Sizer: unknown
	got := LargestFirst(context.Background(), []Source{
		f.fishers("fish_a", "fish_a.csv"),
		f.source("emp_small", "employment", "small.csv"),
		api,
		f.fishers("fish_b", "fish_b.csv"),
		f.source("emp_big", "employment", "big.csv"),
		f.source("gone", "disability", "nowhere.csv"),
	})
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	// employment: 10 + 5000 rows; fishers 10 + 3000 rows of longer lines;
	// disability matches no file: unknown, like the API.
	if emp, fish := fileSize(t, f.dir, "small.csv", "big.csv"), fileSize(t, f.dir, "fish_a.csv", "fish_b.csv"); fish >= emp {
		t.Fatalf("the fishers' files (%d bytes) were meant to be smaller than employment's (%d)", fish, emp)
	}
	want := []string{"api", "gone", "emp_small", "emp_big", "fish_a", "fish_b"}
	if !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}

func fileSize(t *testing.T, dir string, names ...string) int64 {
	t.Helper()
	var n int64
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}
