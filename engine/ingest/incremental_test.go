package ingest

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/store"
)

// memSource is a department system seen through an incremental stream:
// rows carry their date, and a read returns those after the watermark.
type memSource struct {
	rows    [][]string // id, event, date (YYYY-MM-DD)
	resumed []string   // watermarks the sync resumed from
	failAt  int        // fail the read at this row (0: never)
	// failFull fails every read from the start (a full read), as an API
	// may that times out on a large result.
	failFull bool
}

func (m *memSource) Streams(context.Context) ([]connectors.Stream, error) {
	return []connectors.Stream{&memStream{src: m}}, nil
}
func (m *memSource) Close(context.Context) error { return nil }

type memStream struct {
	src   *memSource
	since string
	mark  string
}

func (s *memStream) Name() string                                { return "api/employment" }
func (s *memStream) Fingerprint(context.Context) (string, error) { return "", nil }
func (s *memStream) Resume(w string) {
	s.since, s.mark = w, w
	s.src.resumed = append(s.src.resumed, w)
}
func (s *memStream) Watermark() string { return s.mark }
func (s *memStream) Open(context.Context) (connectors.RowReader, error) {
	return &memReader{s: s}, nil
}

type memReader struct {
	s *memStream
	i int
}

func (r *memReader) Header() []string {
	return []string{"身份证号", "业务类型", "业务日期"}
}
func (r *memReader) Close() error { return nil }
func (r *memReader) Next() (connectors.Row, error) {
	for r.i < len(r.s.src.rows) {
		row := r.s.src.rows[r.i]
		r.i++
		if r.s.src.failAt == r.i || (r.s.src.failFull && r.s.since == "") {
			return connectors.Row{}, errors.New("connection reset")
		}
		if row[2] <= r.s.since {
			continue
		}
		if row[2] > r.s.mark {
			r.s.mark = row[2]
		}
		return connectors.Row{Pos: int64(r.i), Values: row}, nil
	}
	return connectors.Row{}, io.EOF
}

func TestIncrementalWatermark(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ds, _ := dataset.Lookup("employment")
	api := &memSource{rows: [][]string{
		{"11010519491231002X", "失业登记", "2026-01-05"},
		{"11010519491231002X", "就业登记", "2026-03-01"},
	}}
	src := Source{Name: "emp_api", Dataset: ds, Connector: api, Mapping: dataset.Mapping{Columns: employmentColumns}}
	load := func() (int64, error) {
		r := f.sy.SyncSource(ctx, src)
		_, loaded, _, _ := r.Totals()
		return loaded, r.Err
	}
	if n, err := load(); err != nil || n != 2 {
		t.Fatalf("first sync loaded %d, %v", n, err)
	}
	api.rows = append(api.rows, []string{"11010519491231002X", "失业登记", "2026-06-01"})
	if n, err := load(); err != nil || n != 1 {
		t.Fatalf("second sync loaded %d, %v", n, err)
	}
	// A failed read keeps the old watermark: the next sync reads the range again.
	api.rows = append(api.rows, []string{"11010519491231002X", "就业登记", "2026-09-01"})
	api.failAt = 4
	if _, err := load(); err == nil {
		t.Fatal("the failing read did not fail the source")
	}
	api.failAt = 0
	if n, err := load(); err != nil || n != 1 {
		t.Fatalf("after the fault cleared loaded %d, %v", n, err)
	}
	want := []string{"", "2026-03-01", "2026-06-01", "2026-06-01"}
	if len(api.resumed) != len(want) {
		t.Fatalf("resumed from %v, want %v", api.resumed, want)
	}
	for i := range want {
		if api.resumed[i] != want[i] {
			t.Fatalf("resumed from %v, want %v", api.resumed, want)
		}
	}
	// sync --full reads everything again; nothing is loaded twice.
	f.sy.Full = map[string]bool{"emp_api": true}
	r := f.sy.SyncSource(ctx, src)
	read, loaded, dup, _ := r.Totals()
	if r.Err != nil || read != 4 || loaded != 0 || dup != 4 || api.resumed[len(api.resumed)-1] != "" {
		t.Fatalf("full: read %d loaded %d dup %d err %v resumed %v", read, loaded, dup, r.Err, api.resumed)
	}
}

func TestFullRereadsUnchangedFiles(t *testing.T) {
	f := newFixture(t)
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 5)
	src := f.source("emp", "employment", "emp.csv")
	f.sy.SyncSource(context.Background(), src)
	f.sy.Full = map[string]bool{"emp": true}
	r := f.sy.SyncSource(context.Background(), src)
	if read, loaded, dup, _ := r.Totals(); r.Err != nil || r.Unchanged != 0 || read != 5 || loaded != 0 || dup != 5 {
		t.Fatalf("full re-read: %+v", r)
	}
}

// Issue 8, item 10: a record that arrives with a watermark older than the
// saved one (a back-dated entry, past any lookback) is never read by an
// incremental read. The source's reconciliation reads it in full, right
// after the night's ordinary read, and the ledger says how many rows it
// found that incremental reads had missed.
func TestReconcileFindsWhatIncrementalReadsMissed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ds, _ := dataset.Lookup("employment")
	api := &memSource{rows: [][]string{
		{"11010519491231002X", "失业登记", "2026-03-01"},
		{"11010519491231002X", "就业登记", "2026-03-05"},
	}}
	src := Source{Name: "emp_api", Dataset: ds, Connector: api, Mapping: dataset.Mapping{Columns: employmentColumns},
		Reconcile: 7 * 24 * time.Hour}
	// The first load is a full read: it counts as the first reconciliation.
	if r := f.synced(src); len(r.Loads) != 1 || r.Loads[0].Loaded != 2 {
		t.Fatalf("first load: %+v", r.Loads)
	}
	// A late entry dated before the watermark, and an ordinary new one.
	api.rows = append(api.rows,
		[]string{"11010519491231002X", "失业登记", "2026-02-01"},
		[]string{"11010519491231002X", "就业登记", "2026-04-01"})
	if r := f.synced(src); len(r.Loads) != 1 || r.Loads[0].Loaded != 1 {
		t.Fatalf("incremental read (reconciliation not due): %+v", r.Loads)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE event_date = DATE '2026-02-01'`); n != 0 {
		t.Fatalf("the back-dated entry was read by an incremental read: %d", n)
	}
	// A week later the reconciliation is due: the ordinary read first,
	// then the full one, which finds the back-dated entry.
	f.ageLoads("emp_api", 8)
	r := f.synced(src)
	if len(r.Loads) != 2 || r.Loads[0].Loaded != 0 || r.Loads[1].Loaded != 1 {
		t.Fatalf("reconciliation night: %+v", r.Loads)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE event_date = DATE '2026-02-01'`); n != 1 {
		t.Fatalf("the reconciliation did not load the back-dated entry: %d", n)
	}
	if got := api.resumed[len(api.resumed)-2:]; got[0] != "2026-04-01" || got[1] != "" {
		t.Fatalf("resumed %v: want the saved watermark, then a full read", api.resumed)
	}
	states, err := f.store.IncrementalStates(ctx, "emp_api")
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Watermark != "2026-04-01" || states[0].FullRead.Count != 1 ||
		!strings.Contains(states[0].FullRead.Text, "(reconciliation every 7d)") || time.Since(states[0].LastFullRead) > time.Hour {
		t.Fatalf("states: %+v", states)
	}
	// Not due again the next night.
	if r := f.synced(src); len(r.Loads) != 1 {
		t.Fatalf("the night after: %d loads", len(r.Loads))
	}
}

// A reconciliation that fails does not fail the source: the night's
// incremental read stands, nothing is recorded as the stream's failure
// (which would hold the rules reading it back), and the next sync tries
// the reconciliation again.
func TestReconcileFailureKeepsTheNight(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ds, _ := dataset.Lookup("employment")
	api := &memSource{rows: [][]string{{"11010519491231002X", "失业登记", "2026-03-01"}}}
	src := Source{Name: "emp_api", Dataset: ds, Connector: api, Mapping: dataset.Mapping{Columns: employmentColumns},
		Reconcile: 7 * 24 * time.Hour}
	if r := f.sy.SyncSource(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.ageLoads("emp_api", 8)
	api.rows = append(api.rows, []string{"11010519491231002X", "就业登记", "2026-04-01"})
	api.failFull = true
	r := f.sy.SyncSource(ctx, src)
	if r.Err != nil || len(r.Failed) != 0 || len(r.Loads) != 1 || r.Loads[0].Loaded != 1 {
		t.Fatalf("the night's incremental read: err %v, failed %v, loads %+v", r.Err, r.Failed, r.Loads)
	}
	if r.Reconcile == nil || !strings.Contains(r.Reconcile.Error(), "reconciliation of api/employment") ||
		!strings.Contains(r.Reconcile.Error(), "connection reset") {
		t.Fatalf("reconciliation error: %v", r.Reconcile)
	}
	if n := f.count(`SELECT count(*) FROM loads WHERE status = 'failed' AND origin <> 'reconcile'`); n != 0 {
		t.Errorf("%d failed loads in the ledger: a reconciliation failure must not fail the stream", n)
	}
	statuses, err := f.store.SourceStatuses(ctx)
	if err != nil || statuses["emp_api"].Status != "ok" {
		t.Errorf("source status %+v, %v: want ok", statuses["emp_api"], err)
	}
	states, err := f.store.IncrementalStates(ctx, "emp_api")
	if err != nil || len(states) != 1 || !strings.Contains(states[0].ReconcileFailed, "connection reset") {
		t.Fatalf("sources check must see the failed reconciliation: %+v, %v", states, err)
	}
	api.failFull = false
	r = f.sy.SyncSource(ctx, src)
	if r.Err != nil || r.Reconcile != nil || len(r.Loads) != 2 {
		t.Fatalf("the next sync must reconcile: %+v", r)
	}
	if states, err = f.store.IncrementalStates(ctx, "emp_api"); err != nil || states[0].ReconcileFailed != "" {
		t.Fatalf("after a reconciliation that worked: %+v, %v", states, err)
	}
}

// A small incremental read after a full one is the rule, not a partial
// export: the row-drop guard leaves incremental streams out.
func TestRowDropGuardSkipsIncrementalStreams(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ds, _ := dataset.Lookup("employment")
	api := &memSource{}
	for d := 1; d <= 60; d++ {
		api.rows = append(api.rows, []string{"11010519491231002X", "失业登记", time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)})
	}
	src := Source{Name: "emp_api", Dataset: ds, Connector: api, Mapping: dataset.Mapping{Columns: employmentColumns}}
	for _, add := range []string{"", "2026-06-01"} {
		if add != "" {
			api.rows = append(api.rows, []string{"11010519491231002X", "就业登记", add})
		}
		if r := f.sy.SyncSource(ctx, src); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	findings, err := f.store.Quality(ctx, []store.SourceSpec{{Name: "emp_api", Dataset: "employment"}}, store.QualityLimits{RowDropPct: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range findings {
		if fd.Guard == store.GuardRowDrop {
			t.Errorf("row-drop finding on an incremental stream: %s", fd.Text)
		}
	}
}
