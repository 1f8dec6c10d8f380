package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// TestMain lets the test binary act as a second process holding a store.
func TestMain(m *testing.M) {
	if path := os.Getenv("LIPWATCH_TEST_HOLD_STORE"); path != "" {
		s, err := Open(context.Background(), Options{Path: path, Holder: "lipwatch serve"})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n') // hold until the parent closes stdin
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "lipwatch.duckdb")
	s, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestMigrateOnceAndReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s2, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != SchemaVersion() || got[len(got)-1] != SchemaVersion() {
		t.Fatalf("applied %v, want 1..%d once each", got, SchemaVersion())
	}
}

func TestNewerSchemaIsAnError(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, Options{Path: path})
	if err == nil || !strings.Contains(err.Error(), "schema version 9999, newer than this lipwatch knows") {
		t.Fatalf("got %v", err)
	}
}

func TestSecondProcessGetsHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LIPWATCH_TEST_HOLD_STORE="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder said %q", line)
	}
	_, err := Open(context.Background(), Options{Path: path})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
	want := fmt.Sprintf(`held by "lipwatch serve" (pid %d`, cmd.Process.Pid)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the holder (%s)", err, want)
	}
}

// TestTablesMatchDatasets keeps the migrations and the dataset definitions
// from drifting apart.
func TestTablesMatchDatasets(t *testing.T) {
	s, _ := openTemp(t)
	sqlType := map[dataset.Type]string{
		dataset.String: "VARCHAR", dataset.ID: "VARCHAR", dataset.Code: "VARCHAR", dataset.Enum: "VARCHAR",
		dataset.Date: "DATE", dataset.Money: "DECIMAL(14,2)", dataset.Int: "BIGINT", dataset.Bool: "BOOLEAN",
		dataset.Decimal: "DECIMAL(14,2)", dataset.Month: "DATE",
	}
	for _, ds := range dataset.All() {
		rows, err := s.DB().Query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_name = ? ORDER BY ordinal_position`, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var n, ty, null string
			rows.Scan(&n, &ty, &null)
			got = append(got, n+" "+ty+" "+null)
		}
		rows.Close()
		var want []string
		for _, f := range ds.Fields {
			null := "YES"
			if f.Required {
				null = "NO"
			}
			want = append(want, f.Name+" "+sqlType[f.Type]+" "+null)
		}
		want = append(want, "_key VARCHAR NO", "_source VARCHAR NO", "_load_id BIGINT NO",
			"_loaded_at TIMESTAMP NO", "_stream VARCHAR NO", "_position BIGINT NO")
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("table %s:\n got %v\nwant %v", ds.Name, got, want)
		}
	}
}

func employmentRow(id, event string, day int) []any {
	return []any{id, event, time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC)}
}

func count(t *testing.T, s *Store, q string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadSkipsDuplicatesAndCommits(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	ds, _ := dataset.Lookup("employment")
	load := func(days ...int) Load {
		t.Helper()
		l, err := s.BeginLoad(ctx, "emp", 1, ds)
		if err != nil {
			t.Fatal(err)
		}
		sl, err := l.Stream(ctx, "employment.csv", "sha256:x")
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range days {
			r := employmentRow("11010519491231002X", "unemployed", d)
			if err := sl.Append(r, fmt.Sprintf("k%d", d), int64(i+2)); err != nil {
				t.Fatal(err)
			}
		}
		p := &dataset.Problem{Code: dataset.BlankRow, Reason: "blank row"}
		if err := sl.Quarantine(99, `{"a":""}`, p); err != nil {
			t.Fatal(err)
		}
		ld, err := sl.Finish(ctx, int64(len(days)+1))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return ld
	}
	first := load(1, 2, 2, 3) // day 2 repeated within the stream
	if first.Loaded != 3 || first.Duplicates != 1 || first.Quarantined != 1 || first.Read != 5 {
		t.Fatalf("first load %+v", first)
	}
	second := load(3, 4) // day 3 already loaded, the bad row already quarantined
	if second.Loaded != 1 || second.Duplicates != 2 || second.Quarantined != 0 || second.Read != 3 {
		t.Fatalf("second load %+v", second)
	}
	if n := count(t, s, `SELECT count(*) FROM employment`); n != 4 {
		t.Fatalf("employment rows %d, want 4", n)
	}
	// The same bad row at the same position is quarantined once.
	if n := count(t, s, `SELECT count(*) FROM quarantine`); n != 1 {
		t.Fatalf("quarantine rows %d, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM loads WHERE status = 'ok'`); n != 2 {
		t.Fatalf("ledger rows %d, want 2", n)
	}
	ok, err := s.Loaded(ctx, "emp", "employment.csv", "sha256:x")
	if err != nil || !ok {
		t.Fatalf("Loaded = %v, %v", ok, err)
	}
}

func TestRolledBackLoadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	ds, _ := dataset.Lookup("employment")
	l, err := s.BeginLoad(ctx, "emp", 1, ds)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := l.Stream(ctx, "a.csv", "sha256:a")
	if err != nil {
		t.Fatal(err)
	}
	for d := 1; d <= 28; d++ {
		if err := sl.Append(employmentRow("11010519491231002X", "employed", d), fmt.Sprint(d), int64(d)); err != nil {
			t.Fatal(err)
		}
	}
	sl.Quarantine(30, "{}", &dataset.Problem{Code: dataset.BlankRow, Reason: "blank row"})
	if _, err := sl.Finish(ctx, 29); err != nil {
		t.Fatal(err)
	}
	// A second stream fails half way: the whole source load is rolled back.
	sl2, err := l.Stream(ctx, "b.csv", "sha256:b")
	if err != nil {
		t.Fatal(err)
	}
	sl2.Append(employmentRow("11010519491231002X", "employed", 1), "b1", 2)
	sl2.Abort()
	if err := l.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s.RecordFailure(ctx, 1, "emp", "employment", "b.csv", time.Now(), errors.New("b.csv:3: broken"))
	for q, want := range map[string]int{
		`SELECT count(*) FROM employment`:                    0,
		`SELECT count(*) FROM quarantine`:                    0,
		`SELECT count(*) FROM loads WHERE status = 'ok'`:     0,
		`SELECT count(*) FROM loads WHERE status = 'failed'`: 1,
	} {
		if n := count(t, s, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	if ok, _ := s.Loaded(ctx, "emp", "a.csv", "sha256:a"); ok {
		t.Error("a rolled-back stream counts as loaded")
	}
}

func TestPruneQuarantine(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for _, age := range []string{"200 days", "10 days"} {
		if _, err := s.DB().Exec(`INSERT INTO quarantine VALUES (1, 's', 'employment', 'f.csv', 2, '{}', 'blank_row', NULL, NULL, 'blank row', now()::TIMESTAMP - INTERVAL ` + age + `)`); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneQuarantine(ctx, time.Now().Add(-180*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if c := count(t, s, `SELECT count(*) FROM quarantine`); c != 1 {
		t.Errorf("%d left, want 1", c)
	}
}

// TestValuesRoundTrip reads stored values back as text: money in fen must
// come out as yuan, dates as dates, booleans as booleans.
func TestValuesRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	day := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	loadMedical(t, s, "m.csv", false, []any{"C1", "11010519491231002X", day, "医院", int64(2178104), int64(1000050), nil, int64(0), int64(-5)})
	var got string
	err := s.DB().QueryRow(`SELECT concat_ws('|', settle_date, total_cost, fund_paid, coalesce(critical_illness_paid::VARCHAR, 'NULL'),
		assistance_paid, out_of_pocket) FROM medical`).Scan(&got)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2026-03-05|21781.04|10000.50|NULL|0.00|-0.05"; got != want {
		t.Errorf("stored %s, want %s", got, want)
	}
}

// TestKeyConflictIsQuarantined: a row whose key is loaded with other
// values is kept out of the table and quarantined with the place of the
// row it conflicts with; an identical one is a plain duplicate.
func TestKeyConflictIsQuarantined(t *testing.T) {
	s, _ := openTemp(t)
	load := func(stream string, oops ...int64) Load { return loadMedical(t, s, stream, false, claims(oops...)...) }
	// Within one stream: first kept, identical repeat dropped, different one quarantined.
	first := load("a.csv", 50000, 50000, 70000)
	if first.Loaded != 1 || first.Duplicates != 1 || first.Quarantined != 1 {
		t.Fatalf("first %+v", first)
	}
	// Against an earlier load.
	second := load("b.csv", 50000, 90000)
	if second.Loaded != 0 || second.Duplicates != 1 || second.Quarantined != 1 {
		t.Fatalf("second %+v", second)
	}
	if len(second.Reasons) != 1 || second.Reasons[0].Code != KeyConflict {
		t.Errorf("reasons %+v", second.Reasons)
	}
	var oop, reason string
	s.DB().QueryRow(`SELECT out_of_pocket::VARCHAR FROM medical`).Scan(&oop)
	s.DB().QueryRow(`SELECT reason FROM quarantine WHERE stream = 'b.csv'`).Scan(&reason)
	if oop != "500.00" || !strings.Contains(reason, "as the row loaded from a.csv:2") {
		t.Errorf("kept %s; reason %q", oop, reason)
	}
}

func TestSourceStatusIsTheLastSync(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	s.RecordFailure(ctx, 0, "med", "medical", "", time.Now(), errors.New("no file matches"))
	id, _ := s.NewSyncID(ctx)
	s.RecordUnchanged(ctx, id, "med", "medical", "a.csv", "sha256:a")
	s.RecordUnchanged(ctx, id, "med", "medical", "b.csv", "sha256:b")
	st, err := s.SourceStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st["med"]; got.Status != StatusUnchanged || got.Streams != 2 || got.Error != "" {
		t.Errorf("status %+v", got)
	}
}

func TestCasesRoundTripAndIdempotentPlan(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	hits := []cases.Hit{
		{RuleID: "MED", RuleVersion: 1, Level: "orange", Reason: "r1", IDNumber: "A", HouseholdID: "H1", TownshipCode: "340799001", Facts: "{}", Evidence: "[]", Severity: 25000},
		{RuleID: "FISH", RuleVersion: 1, Level: "yellow", Reason: "r2", IDNumber: "B", HouseholdID: "H2", TownshipCode: "340799002", Facts: "{}", Evidence: "[]"},
	}
	esc := cases.Escalation{MinRules: 2, Level: "red"}
	apply := func() cases.Plan {
		t.Helper()
		open, err := s.OpenCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := cases.MakePlan(day, hits, open, nil, esc)
		if err := s.ApplyPlan(ctx, p, day, "sha256:rules"); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := apply()
	if len(p.New) != 2 || p.New[0].ID != "YJ-20261128-0001" || p.New[1].ID != "YJ-20261128-0002" {
		t.Fatalf("new cases %+v", p.New)
	}
	p = apply()
	if len(p.New) != 0 || len(p.Updated) != 0 || len(p.Refreshed) != 2 {
		t.Fatalf("second evaluation: %d new %d updated", len(p.New), len(p.Updated))
	}
	open, err := s.OpenCases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || len(open[0].Hits) != 1 || open[0].Hits[0].Severity != 25000 || open[0].Level != "orange" {
		t.Fatalf("open cases %+v", open[0])
	}
	// A third hit on H1 joins and escalates it.
	hits = append(hits, cases.Hit{RuleID: "DIS", RuleVersion: 1, Level: "orange", Reason: "r3", IDNumber: "C", HouseholdID: "H1", TownshipCode: "340799001", Facts: "{}", Evidence: "[]"})
	p = apply()
	if len(p.Updated) != 1 || p.Updated[0].Level != "red" || p.Updated[0].Version != 2 {
		t.Fatalf("join: %+v", p.Updated)
	}
	if n := count(t, s, `SELECT count(*) FROM cases`); n != 2 {
		t.Errorf("%d cases", n)
	}
}

// TestReplaceConflicts: a source that sends corrections replaces the
// loaded row; within one stream the last version wins; nothing is
// quarantined.
func TestReplaceConflicts(t *testing.T) {
	s, _ := openTemp(t)
	load := func(stream string, oops ...int64) Load { return loadMedical(t, s, stream, true, claims(oops...)...) }
	if ld := load("a.csv", 50000, 70000); ld.Loaded != 1 || ld.Duplicates != 1 || ld.Quarantined != 0 {
		t.Fatalf("first %+v", ld)
	}
	if ld := load("b.csv", 90000); ld.Loaded != 1 || ld.Replaced != 1 || ld.Quarantined != 0 {
		t.Fatalf("correction %+v", ld)
	}
	if ld := load("c.csv", 90000); ld.Loaded != 0 || ld.Duplicates != 1 || ld.Replaced != 0 {
		t.Fatalf("same again %+v", ld)
	}
	var oop string
	s.DB().QueryRow(`SELECT string_agg(out_of_pocket::VARCHAR, ',') FROM medical`).Scan(&oop)
	if oop != "900.00" {
		t.Errorf("table holds %s, want the correction 900.00 only", oop)
	}
	if n := count(t, s, `SELECT count(*) FROM quarantine`); n != 0 {
		t.Errorf("%d quarantined", n)
	}
	if n := count(t, s, `SELECT sum(rows_replaced) FROM loads`); n != 1 {
		t.Errorf("ledger rows_replaced %d", n)
	}
}

// loadMedical loads medical rows (claim id first, as the natural key) as
// one stream of one committed source load.
func loadMedical(t *testing.T, s *Store, stream string, replace bool, rows ...[]any) Load {
	t.Helper()
	return loadMedicalSeen(t, s, stream, replace, nil, rows...)
}

// loadMedicalSeen is loadMedical with see called on the stream after its
// last row and before Finish (to look at what the load staged).
func loadMedicalSeen(t *testing.T, s *Store, stream string, replace bool, see func(*SourceLoad, *StreamLoad), rows ...[]any) Load {
	t.Helper()
	ctx := context.Background()
	med, _ := dataset.Lookup("medical")
	l, err := s.BeginLoad(ctx, "med", 1, med)
	if err != nil {
		t.Fatal(err)
	}
	if replace {
		l.ReplaceConflicts()
	}
	sl, err := l.Stream(ctx, stream, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := sl.Append(r, r[0].(string), int64(i+2)); err != nil {
			t.Fatal(err)
		}
	}
	if see != nil {
		see(l, sl)
	}
	ld, err := sl.Finish(ctx, int64(len(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return ld
}

// claim is a medical row of claim C1 with the given out-of-pocket fen.
func claim(oop int64) []any {
	return []any{"C1", "11010519491231002X", time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), "医院", int64(100000), nil, nil, nil, oop}
}

func claims(oops ...int64) [][]any {
	out := make([][]any, len(oops))
	for i, o := range oops {
		out[i] = claim(o)
	}
	return out
}

// A row's _loaded_at is when it was first known (rules backtest reads
// the data as known at past dates): a correction keeps the time of the
// row it corrects, and a row sent again unchanged (TouchRepeats, as the
// registry's loads do) keeps its first time while it becomes the newest
// load's.
func TestLoadedAtIsFirstKnown(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	loadedAt := func() (time.Time, int64) {
		t.Helper()
		var at time.Time
		var id int64
		if err := s.DB().QueryRow(`SELECT _loaded_at, _load_id FROM medical`).Scan(&at, &id); err != nil {
			t.Fatal(err)
		}
		return at, id
	}
	loadMedical(t, s, "a.csv", true, claim(50000))
	first, _ := loadedAt()
	time.Sleep(5 * time.Millisecond)
	if ld := loadMedical(t, s, "b.csv", true, claim(90000)); ld.Replaced != 1 {
		t.Fatalf("correction %+v", ld)
	}
	if at, _ := loadedAt(); !at.Equal(first) {
		t.Errorf("the correction is known since %v, the row it corrects since %v", at, first)
	}
	// Sent again unchanged, by a source whose newest load wins.
	time.Sleep(5 * time.Millisecond)
	med, _ := dataset.Lookup("medical")
	l, err := s.BeginLoad(ctx, "med", 2, med)
	if err != nil {
		t.Fatal(err)
	}
	l.TouchRepeats()
	sl, err := l.Stream(ctx, "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := sl.Append(claim(90000), "C1", 2); err != nil {
		t.Fatal(err)
	}
	ld, err := sl.Finish(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	at, id := loadedAt()
	if id != ld.ID {
		t.Errorf("the repeated row belongs to load %d, want the newest %d", id, ld.ID)
	}
	if !at.Equal(first) {
		t.Errorf("the repeated row is known since %v, want its first load %v", at, first)
	}
}

// TestCommitRunsToItsEnd: a load whose context ends between its last
// statement and COMMIT (an interrupt, the source's timeout) still commits
// and says so, so that the ledger, the summary and the store agree (before,
// an interrupt could stop DuckDB in the checkpoint after a durable commit:
// reported failed, its rows stayed).
func TestCommitRunsToItsEnd(t *testing.T) {
	s, _ := openTemp(t)
	med, _ := dataset.Lookup("medical")
	ctx, cancel := context.WithCancel(context.Background())
	l, err := s.BeginLoad(ctx, "med", 1, med)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := l.Stream(ctx, "a.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := sl.Append(claim(50000), "C1", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := sl.Finish(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Commit(ctx); err != nil {
		t.Fatalf("commit after the context ended: %v", err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM medical`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows after a commit that said ok (%v)", n, err)
	}
}
