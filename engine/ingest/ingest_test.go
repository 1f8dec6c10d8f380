package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/file"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/store"
)

var employmentColumns = map[string]string{"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"}

// employmentCSV writes n valid rows (distinct natural keys) plus extra lines.
func employmentCSV(t *testing.T, path string, n int, extra ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("身份证号,业务类型,业务日期\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "11010519491231002x,失业登记,%s\n", day(i))
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// day returns distinct valid dates for i = 0..36000.
func day(i int) string {
	return fmt.Sprintf("%d年%d月%d日", 1950+i/336, 1+(i/28)%12, 1+i%28)
}

type fixture struct {
	t     *testing.T
	dir   string
	store *store.Store
	sy    *Syncer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(dir, "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{t: t, dir: dir, store: st, sy: &Syncer{Store: st}}
}

func (f *fixture) source(name, ds, path string) Source {
	f.t.Helper()
	c, err := connectors.New("file", connectors.Source{Name: name, BaseDir: f.dir, Options: connectors.Options{"path": path}})
	if err != nil {
		f.t.Fatal(err)
	}
	d, _ := dataset.Lookup(ds)
	return Source{Name: name, Dataset: d, Connector: c, Mapping: dataset.Mapping{Columns: employmentColumns}}
}

// synced syncs src and fails the test if the source failed.
func (f *fixture) synced(src Source) Result {
	f.t.Helper()
	r := f.sy.SyncSource(context.Background(), src)
	if r.Err != nil {
		f.t.Fatal(r.Err)
	}
	return r
}

// ageLoads moves a source's loads days back in the ledger, as if they were
// that old (to make a reconciliation due).
func (f *fixture) ageLoads(source string, days int) {
	f.t.Helper()
	if _, err := f.store.DB().Exec(fmt.Sprintf(`UPDATE loads SET finished_at = finished_at - INTERVAL %d DAY WHERE source = ?`, days), source); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) count(q string) int {
	f.t.Helper()
	var n int
	if err := f.store.DB().QueryRow(q).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestResyncLoadsOnlyWhatIsNew(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path := filepath.Join(f.dir, "emp.csv")
	employmentCSV(t, path, 100, ",,", "11010519491231002X,失业登记,2026年2月30日")
	src := f.source("emp", "employment", "emp.csv")

	r := f.sy.SyncSource(ctx, src)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if read, loaded, dup, quar := r.Totals(); read != 102 || loaded != 100 || dup != 0 || quar != 2 {
		t.Fatalf("first sync read=%d loaded=%d dup=%d quar=%d", read, loaded, dup, quar)
	}
	if len(r.Reasons) != 2 {
		t.Errorf("reasons %+v", r.Reasons)
	}

	r = f.sy.SyncSource(ctx, src)
	if read, loaded, _, _ := r.Totals(); r.Err != nil || r.Unchanged != 1 || read != 0 || loaded != 0 {
		t.Fatalf("unchanged file re-read: %+v", r)
	}

	employmentCSV(t, path, 130, ",,", "11010519491231002X,失业登记,2026年2月30日")
	r = f.sy.SyncSource(ctx, src)
	// The two bad rows moved down (the file grew) but are the same rows:
	// already quarantined, so they count as duplicates, not new entries.
	if read, loaded, dup, quar := r.Totals(); r.Err != nil || loaded != 30 || dup != 102 || read != 132 || quar != 0 {
		t.Fatalf("changed file: read=%d loaded=%d dup=%d quar=%d err=%v", read, loaded, dup, quar, r.Err)
	}
	if n := f.count(`SELECT count(*) FROM employment`); n != 130 {
		t.Errorf("employment rows %d, want 130", n)
	}
	if n := f.count(`SELECT count(*) FROM quarantine`); n != 2 {
		t.Errorf("quarantine rows %d, want 2", n)
	}
}

func TestFailingSourceDoesNotStopOthers(t *testing.T) {
	f := newFixture(t)
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 10)
	results := f.sy.Sync(context.Background(), []Source{
		f.source("missing", "employment", "nowhere/*.csv"),
		f.source("emp", "employment", "emp.csv"),
	})
	if results[0].Err == nil || !strings.Contains(results[0].Err.Error(), "source missing") {
		t.Errorf("missing source: %v", results[0].Err)
	}
	if results[1].Err != nil {
		t.Fatalf("good source failed: %v", results[1].Err)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE _source = 'emp'`); n != 10 {
		t.Errorf("rows %d", n)
	}
	if n := f.count(`SELECT count(*) FROM loads WHERE source = 'missing' AND status = 'failed'`); n != 1 {
		t.Errorf("failed source not in ledger")
	}
}

// TestOneBrokenFileKeepsNoGoodOneOut: one source, three files, the middle
// one broken. Each file loads in its own transaction: the good ones load,
// the broken one leaves nothing behind and is failed in the ledger, the
// source is degraded (not ok, not failed). Once the file is mended, the next
// sync loads it and reads the others no more.
func TestOneBrokenFileKeepsNoGoodOneOut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := filepath.Join(f.dir, "in")
	os.Mkdir(in, 0o755)
	employmentCSV(t, filepath.Join(in, "a.csv"), 50, ",,")
	if err := os.WriteFile(filepath.Join(in, "b.xlsx"), []byte("this is not a zip file"), 0o644); err != nil {
		t.Fatal(err)
	}
	var c strings.Builder
	c.WriteString("身份证号,业务类型,业务日期\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&c, "11010519491231002X,就业登记,%s\n", day(i))
	}
	os.WriteFile(filepath.Join(in, "c.csv"), []byte(c.String()), 0o644)
	src := f.source("emp", "employment", "in/*.*")
	r := f.sy.SyncSource(ctx, src)
	if r.Err != nil {
		t.Fatalf("the source failed as a whole: %v", r.Err)
	}
	if r.Status() != StatusDegraded || len(r.Failed) != 1 || r.Failed[0].Stream != "in/b.xlsx" ||
		!strings.Contains(r.Failed[0].Err.Error(), "b.xlsx") {
		t.Fatalf("status %s, failed %+v", r.Status(), r.Failed)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM employment`:                                             70,
		`SELECT count(*) FROM quarantine`:                                             1,
		`SELECT count(*) FROM loads WHERE status = 'ok'`:                              2,
		`SELECT count(*) FROM loads WHERE status = 'failed' AND stream = 'in/b.xlsx'`: 1,
	} {
		if n := f.count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	os.Remove(filepath.Join(in, "b.xlsx"))
	employmentCSV(t, filepath.Join(in, "b.csv"), 60)
	r = f.sy.SyncSource(ctx, src)
	if r.Err != nil || r.Status() != StatusOK {
		t.Fatal(r.Status(), r.Problems())
	}
	if _, loaded, dup, _ := r.Totals(); loaded != 10 || dup != 50 || r.Unchanged != 2 {
		// b.csv repeats a.csv's first 50 keys; a.csv and c.csv are unchanged
		t.Errorf("after the fix loaded=%d dup=%d unchanged=%d, want 10, 50 and 2", loaded, dup, r.Unchanged)
	}
}

// TestOrderedDatasetHoldsLaterFiles: in the registry a later file's state
// supersedes an earlier one's, so a file after a broken one must wait:
// loaded first, next week, an old "active" would win over its newer
// "deceased". The files before the broken one load; those after are held
// and load in order once it is mended.
func TestOrderedDatasetHoldsLaterFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := filepath.Join(f.dir, "reg")
	os.Mkdir(in, 0o755)
	const head = "公民身份号码,姓名,户号,乡镇街道代码,人员状态,状态变更日期\n"
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(in, name), []byte(head+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("2026-01.csv", "11010519491231002X,张测,1001,110105001,正常,\n")
	if err := os.WriteFile(filepath.Join(in, "2026-02.csv"), []byte{0xFF, 0xFE, 0xFF}, 0o644); err != nil { // no header at all
		t.Fatal(err)
	}
	write("2026-03.csv", "11010519491231002X,张测,1001,110105001,死亡,2026-03-02\n")
	src := f.source("reg", "registry", "reg/*.csv")
	src.Mapping = dataset.Mapping{Columns: map[string]string{"id_number": "公民身份号码", "name": "姓名", "household_id": "户号",
		"township_code": "乡镇街道代码", "status": "人员状态", "status_date": "状态变更日期"}}
	r := f.sy.SyncSource(ctx, src)
	if r.Err != nil || r.Status() != StatusDegraded || len(r.Failed) != 1 || !slices.Equal(r.Held, []string{"reg/2026-03.csv"}) {
		t.Fatalf("status %s err %v failed %+v held %v", r.Status(), r.Err, r.Failed, r.Held)
	}
	if n := f.count(`SELECT count(*) FROM registry`); n != 1 {
		t.Fatalf("%d registry rows, want the first file's 1", n)
	}
	write("2026-02.csv", "11010519491231002X,张测,1001,110105001,正常,2026-02-01\n")
	r = f.sy.SyncSource(ctx, src)
	if r.Status() != StatusOK || len(r.Loads) != 2 || r.Loads[0].Stream != "reg/2026-02.csv" {
		t.Fatalf("status %s loads %+v", r.Status(), r.Loads)
	}
	var status string
	if err := f.store.DB().QueryRow(`SELECT status FROM registry_current`).Scan(&status); err != nil || status != "deceased" {
		t.Errorf("registry_current says %q (%v): the newest file's state must win", status, err)
	}
}

// cancelAfter wraps a real stream and cancels the sync's context after n
// rows, as SIGTERM would in the middle of a large file.
type cancelAfter struct {
	connectors.Connector
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Streams(ctx context.Context) ([]connectors.Stream, error) {
	ss, err := c.Connector.Streams(ctx)
	for i := range ss {
		ss[i] = &cancelStream{Stream: ss[i], c: c}
	}
	return ss, err
}

type cancelStream struct {
	connectors.Stream
	c *cancelAfter
}

func (s *cancelStream) Open(ctx context.Context) (connectors.RowReader, error) {
	rr, err := s.Stream.Open(ctx)
	return &cancelReader{RowReader: rr, c: s.c}, err
}

type cancelReader struct {
	connectors.RowReader
	c    *cancelAfter
	seen int
}

func (r *cancelReader) Next() (connectors.Row, error) {
	r.seen++
	if r.seen == r.c.n {
		r.c.cancel()
	}
	return r.RowReader.Next()
}

func TestCancelledLoadLeavesNoRows(t *testing.T) {
	f := newFixture(t)
	employmentCSV(t, filepath.Join(f.dir, "big.csv"), 20000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := f.source("emp", "employment", "big.csv")
	src.Connector = &cancelAfter{Connector: src.Connector, n: 10000, cancel: cancel}
	r := f.sy.SyncSource(ctx, src)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "context canceled") {
		t.Fatalf("want cancellation, got %v", r.Err)
	}
	if n := f.count(`SELECT count(*) FROM employment`); n != 0 {
		t.Errorf("%d rows left behind by a cancelled load", n)
	}
	if n := f.count(`SELECT count(*) FROM loads WHERE status = 'failed'`); n != 1 {
		t.Errorf("cancelled load not in ledger as failed")
	}
}

func TestRawJSON(t *testing.T) {
	got := RawJSON([]string{"a", "名"}, []string{"x\"y", "值", "extra\n"}, nil)
	want := `{"a":"x\"y","名":"值","_extra_3":"extra\n"}`
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
	// Typed cells (xlsx) keep their kinds, so a retry judges the row as the
	// sync did: a 16-digit 户号 from a number cell stays damaged.
	kinds := []connectors.CellKind{connectors.KindText, connectors.KindNumber, connectors.KindError}
	got = RawJSON([]string{"a", "户号", "c"}, []string{"x", "3407990010010000", "#N/A"}, kinds)
	want = `{"a":"x","户号":"3407990010010000","c":"#N/A","_kinds":{"2":"number","3":"error"}}`
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	h, v, k, err := ParseRaw(got)
	if err != nil || strings.Join(h, ",") != "a,户号,c" || strings.Join(v, ",") != "x,3407990010010000,#N/A" ||
		!slices.Equal(k, kinds) {
		t.Errorf("ParseRaw(RawJSON) = %q %q %v %v", h, v, k, err)
	}
}

// TestSchemaDriftFailsTheSource: a department switches its date format;
// the source fails with the column named instead of quarantining the file
// row by row, and the other sources still load.
func TestSchemaDriftFailsTheSource(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("身份证号,业务类型,业务日期\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "11010519491231002X,失业登记,%02d-05-2026\n", i%28+1) // DD-MM-YYYY: not a format we read
	}
	os.WriteFile(filepath.Join(f.dir, "drift.csv"), []byte(b.String()), 0o644)
	employmentCSV(t, filepath.Join(f.dir, "ok.csv"), 10)
	results := f.sy.Sync(context.Background(), []Source{f.source("drift", "employment", "drift.csv"), f.source("ok", "employment", "ok.csv")})
	if err := results[0].Err; err == nil || !strings.Contains(err.Error(), "schema drift") || !strings.Contains(err.Error(), "业务日期 (30 of 30 rows: bad_date)") {
		t.Fatalf("drift: %v", err)
	}
	if results[1].Err != nil {
		t.Fatal(results[1].Err)
	}
	if n := f.count(`SELECT count(*) FROM quarantine`); n != 0 {
		t.Errorf("%d rows quarantined from a drifted file", n)
	}
}

// TestRetryAfterMappingFix: a department writes a value the config does not
// know; the rows go to quarantine; the analyst adds an alias; retry loads
// them and leaves the truly bad ones in quarantine.
func TestRetryAfterMappingFix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 3, "11010519491231002X,待业登记,2026-05-01", ",,", "11010519491231002X,失业登记,2026年2月30日")
	src := f.source("emp", "employment", "emp.csv")
	if r := f.sy.SyncSource(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	if n := f.count(`SELECT count(*) FROM quarantine`); n != 3 {
		t.Fatalf("%d quarantined, want 3", n)
	}
	src.Mapping.Values = map[string]map[string]string{"event": {"待业登记": "unemployed"}}
	r := f.sy.Retry(ctx, src)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if read, loaded, _, quar := r.Totals(); read != 3 || loaded != 1 || quar != 2 {
		t.Fatalf("retry read %d loaded %d quarantined %d", read, loaded, quar)
	}
	if n := f.count(`SELECT count(*) FROM quarantine`); n != 2 {
		t.Errorf("%d left in quarantine, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE event_date = DATE '2026-05-01' AND _position = 5`); n != 1 {
		t.Errorf("the fixed row is not loaded with its original position")
	}
	// Retrying again changes nothing.
	r = f.sy.Retry(ctx, src)
	if read, loaded, _, quar := r.Totals(); r.Err != nil || read != 2 || loaded != 0 || quar != 2 {
		t.Errorf("second retry: read %d loaded %d quarantined %d, %v", read, loaded, quar, r.Err)
	}
}

func TestRetryLeavesKeyConflictsAlone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 3, ",,")
	src := f.source("emp", "employment", "emp.csv")
	f.sy.SyncSource(ctx, src)
	// A key conflict as the store records it: canonical fields, numbers as JSON numbers.
	if _, err := f.store.DB().Exec(`INSERT INTO quarantine VALUES (1, 'emp', 'employment', 'emp.csv', 9,
		'{"id_number":"11010519491231002X","event":"unemployed","event_date":"2026-01-01","amount":12.5}', 'key_conflict',
		NULL, NULL, 'same natural key', now()::TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	r := f.sy.Retry(ctx, src)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if n := f.count(`SELECT count(*) FROM quarantine WHERE reason_code = 'key_conflict'`); n != 1 {
		t.Errorf("key conflict rows: %d, want 1 left alone", n)
	}
	if h, v, k, err := ParseRaw(`{"a":"x","n":12.5,"b":true,"z":null}`); err != nil || strings.Join(h, ",") != "a,n,b,z" || strings.Join(v, ",") != "x,12.5,true," || k != nil {
		t.Errorf("parseRaw: %v %v %v %v", h, v, k, err)
	}
}

// TestRetryKeepsLoadOrder: a row quarantined in January's registry file
// (性别 男士, before the alias was added) and retried after February's file
// recorded the person's death must not make them alive again: a retried
// row keeps the place of the file it came from.
func TestRetryKeepsLoadOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := filepath.Join(f.dir, "reg")
	os.Mkdir(in, 0o755)
	const head = "公民身份号码,姓名,性别,户号,乡镇街道代码,人员状态,状态变更日期\n"
	os.WriteFile(filepath.Join(in, "2026-01.csv"), []byte(head+"11010519491231002X,张测,男士,1001,110105001,正常,2026-01-05\n"), 0o644)
	src := f.source("reg", "registry", "reg/*.csv")
	src.Mapping = dataset.Mapping{Columns: map[string]string{"id_number": "公民身份号码", "name": "姓名", "gender": "性别",
		"household_id": "户号", "township_code": "乡镇街道代码", "status": "人员状态", "status_date": "状态变更日期"}}
	if r := f.sy.SyncSource(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	os.WriteFile(filepath.Join(in, "2026-02.csv"), []byte(head+"11010519491231002X,张测,男,1001,110105001,死亡,2026-02-01\n"), 0o644)
	if r := f.sy.SyncSource(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	src.Mapping.Values = map[string]map[string]string{"gender": {"男士": "male"}}
	r := f.sy.Retry(ctx, src)
	if _, loaded, _, _ := r.Totals(); r.Err != nil || loaded != 1 {
		t.Fatalf("retry: %v loaded %d", r.Err, loaded)
	}
	var status string
	if err := f.store.DB().QueryRow(`SELECT status FROM registry_current`).Scan(&status); err != nil || status != "deceased" {
		t.Errorf("registry_current says %q (%v): the retried January row overruled February's", status, err)
	}
}

// TestRetryTwoVersions: an overwritten roster's row was quarantined in two
// versions (the second ends the aid). After an alias and a retry, each row
// keeps its own file version's place, found by key and position: the
// newest version (ended) is the newest row.
func TestRetryTwoVersions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path := filepath.Join(f.dir, "asst.csv")
	const head = "身份证号,户号,救助类别,开始日期,结束日期\n"
	os.WriteFile(path, []byte(head+"11010519491231002X,1001,村保,2024-01-01,\n"), 0o644)
	src := f.source("asst", "assistance", "asst.csv")
	src.Mapping = dataset.Mapping{Columns: map[string]string{"id_number": "身份证号", "household_id": "户号", "category": "救助类别",
		"start_date": "开始日期", "end_date": "结束日期"}}
	f.sy.SyncSource(ctx, src)
	os.WriteFile(path, []byte(head+"11010519491231002X,1001,村保,2024-01-01,2026-06-30\n"), 0o644)
	f.sy.SyncSource(ctx, src)
	src.Mapping.Values = map[string]map[string]string{"category": {"村保": "dibao"}}
	r := f.sy.Retry(ctx, src)
	if _, loaded, _, _ := r.Totals(); r.Err != nil || loaded != 2 {
		t.Fatalf("retry: %v loaded %d", r.Err, loaded)
	}
	var end sql.NullString
	if err := f.store.DB().QueryRow(`SELECT end_date::VARCHAR FROM assistance ORDER BY _load_id DESC, _position DESC LIMIT 1`).Scan(&end); err != nil || end.String != "2026-06-30" {
		t.Errorf("newest version ends %v (%v), want 2026-06-30", end, err)
	}
	if n := f.count(`SELECT count(DISTINCT _load_id) FROM assistance`); n != 2 {
		t.Errorf("%d load ids among the two versions, want 2", n)
	}
}
