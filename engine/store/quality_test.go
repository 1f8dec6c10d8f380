package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// registryStore opens a store of its own whose registry holds p0..p5 in
// households h0..h2, and returns it with an exec that fails the test on
// an error.
func registryStore(t *testing.T) (*Store, func(q string, args ...any)) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "q.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i := range 6 {
		exec(`INSERT INTO registry (id_number, name, household_id, township_code, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, '某', ?, '340799001', ?, 'registry', 1, now(), 'registry.csv', ?)`, fmt.Sprintf("p%d", i), fmt.Sprintf("h%d", i/2), fmt.Sprintf("r%d", i), i+1)
	}
	return s, exec
}

// TestSharesAreEachSourcesShare: the matching guards computed for several
// sources in one query give each source what its own query gives: its
// distinct values (an unusable ID counted once per name, as its row's key
// does), and how many of them the registry lacks.
func TestSharesAreEachSourcesShare(t *testing.T) {
	ctx := context.Background()
	s, exec := registryStore(t)
	// medical: p0 twice, p1, x (not in the registry), and two unusable IDs
	// with the same text under two names and one of them twice.
	for i, r := range [][2]string{{"p0", "甲"}, {"p0", "甲"}, {"p1", "乙"}, {"x", "丙"}, {"?12", "丁"}, {"?12", "戊"}, {"?12", "丁"}} {
		exec(`INSERT INTO medical (claim_id, id_number, name, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, ?, ?, DATE '2026-10-01', 1, 1, ?, 'medical', 2, now(), 'medical.csv', ?)`, fmt.Sprintf("c%d", i), r[0], r[1], fmt.Sprintf("m%d", i), i+1)
	}
	// A second medical source, which shares the dataset and is measured
	// alone: p2 and y.
	for i, id := range []string{"p2", "y"} {
		exec(`INSERT INTO medical (claim_id, id_number, name, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, ?, '某', DATE '2026-10-01', 1, 1, ?, 'medical_city', 3, now(), 'city.csv', ?)`, fmt.Sprintf("d%d", i), id, fmt.Sprintf("n%d", i), i+1)
	}
	// households: h0, h1 and h9 (no such registry household), and one with no 户号.
	for i, h := range []string{"h0", "h1", "h9", ""} {
		exec(`INSERT INTO households (household_id, annual_income, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, 1, ?, 'households', 4, now(), 'households.xlsx', ?)`, h, fmt.Sprintf("k%d", i), i+1)
	}
	srcs := []SourceSpec{{"medical", "medical"}, {"medical_city", "medical"}, {"disability", "disability"}}
	got, err := s.shares(ctx, srcs, "id_number")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{"medical": {5, 3}, "medical_city": {2, 1}, "disability": {0, 0}}
	for _, src := range srcs {
		// The source's own query, as the guard read it before it was
		// computed for all sources at once.
		one := Finding{Source: src.Name}
		if err := s.DB().QueryRowContext(ctx, `WITH v AS (SELECT DISTINCT CASE WHEN starts_with(id_number, '?') THEN id_number || chr(30) || coalesce(name, '') ELSE id_number END AS v
			FROM `+src.Dataset+` WHERE _source = $1 AND coalesce(id_number, '') <> '')
			SELECT count(*), count(*) FILTER (WHERE v NOT IN (SELECT id_number FROM registry)) FROM v`, src.Name).Scan(&one.Of, &one.Count); err != nil {
			t.Fatal(err)
		}
		if got[src.Name] != one || [2]int64{one.Of, one.Count} != want[src.Name] {
			t.Errorf("%s: together %+v, alone %+v, want %d of %d unmatched", src.Name, got[src.Name], one, want[src.Name][1], want[src.Name][0])
		}
	}
	hh, err := s.shares(ctx, []SourceSpec{{"households", "households"}}, "household_id")
	if err != nil {
		t.Fatal(err)
	}
	if f := hh["households"]; f.Of != 3 || f.Count != 1 {
		t.Errorf("households: %+v, want 1 of 3 unjoined", f)
	}
}

// TestAppendedSharesEqualWhole: after rows are only added to a source's
// dataset, its matching guards come from the cached finding plus the
// values only the new rows have — the same findings as computing them
// whole — and a row removed since sends the guard back to the whole
// computation.
func TestAppendedSharesEqualWhole(t *testing.T) {
	ctx := context.Background()
	s, exec := registryStore(t)
	pos := 0
	claims := func(load int, source string, rows ...[2]string) {
		t.Helper()
		for _, r := range rows {
			pos++
			exec(`INSERT INTO medical (claim_id, id_number, name, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
				VALUES (?, ?, ?, DATE '2026-10-01', 1, 1, ?, ?, ?, now(), 'medical.csv', ?)`, fmt.Sprintf("c%d", pos), r[0], r[1], fmt.Sprintf("m%d", pos), source, load, pos)
		}
	}
	claims(2, "medical", [2]string{"p0", "甲"}, [2]string{"p1", "乙"}, [2]string{"x", "丙"}, [2]string{"?12", "丁"})
	claims(3, "medical_city", [2]string{"p2", "某"}, [2]string{"y", "某"})
	srcs := []SourceSpec{{"registry", "registry"}, {"medical", "medical"}, {"medical_city", "medical"}}
	lim := QualityLimits{UnmatchedIDsPct: 20, UnjoinedHouseholdsPct: 10, RowDropPct: 50}
	whole := func() string {
		t.Helper()
		exec(`DELETE FROM quality_cache`)
		fs, err := s.Quality(ctx, srcs, lim)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(fs)
	}
	cached := func() string {
		t.Helper()
		fs, err := s.Quality(ctx, srcs, lim)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(fs)
	}
	appended := func() bool {
		t.Helper()
		_, ok, err := s.appendedShare(ctx, &qualityCache{s: s, sigs: map[string]string{}, used: map[string]bool{}},
			GuardUnmatchedIDs+"|medical|id_number", SourceSpec{"medical", "medical"}, "id_number")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	first := whole()
	if !strings.Contains(first, "2 of 4 ID numbers") {
		t.Fatalf("the first night: %s", first)
	}
	// New claims: an old value (p0), an old unusable ID under its old
	// name, new people in and out of the registry (one twice), a new
	// unusable ID; and one of the other source.
	claims(5, "medical", [2]string{"p0", "甲"}, [2]string{"?12", "丁"}, [2]string{"p3", "某"}, [2]string{"z", "某"}, [2]string{"z", "某"}, [2]string{"?34", "庚"})
	claims(6, "medical_city", [2]string{"w", "某"})
	if !appended() {
		t.Fatal("rows only added: the cached finding is not used")
	}
	got := cached()
	if want := whole(); got != want || !strings.Contains(got, "4 of 7 ID numbers") {
		t.Errorf("rows added: from the cache %s, whole %s", got, want)
	}
	// A claim removed: the finding is computed whole.
	cached()
	exec(`DELETE FROM medical WHERE claim_id = 'c3'`)
	if appended() {
		t.Error("a row removed since: the cached finding is still extended")
	}
	if got, want := cached(), whole(); got != want || !strings.Contains(got, "3 of 6 ID numbers") {
		t.Errorf("a row removed: from the cache %s, whole %s", got, want)
	}
}

// TestOpenGapsInOneQuery: of 1,200 gaps (more than one query took before
// they came as one parameter), those a later load of the person or the
// household closed are dropped, a row with an unusable ID number closes
// none, and a key with a quote is read as itself.
func TestOpenGapsInOneQuery(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "g.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var gaps []Gap
	want := map[string]bool{}
	for i := range 1200 {
		id := fmt.Sprintf("p%04d", i)
		if i == 7 {
			id = "p'7"
		}
		load := int64(5)
		switch i % 4 {
		case 0: // loaded after the quarantined row: closed
			load = 9
		case 1: // loaded before it: open
			load = 2
		case 3: // loaded with it: open
		case 2: // loaded after it with an unusable ID: open
			id2 := "?" + id
			if _, err := s.DB().ExecContext(ctx, `INSERT INTO assistance (id_number, household_id, category, start_date, _key, _source, _load_id, _loaded_at, _stream, _position)
				VALUES (?, ?, 'dibao', DATE '2025-01-01', ?, 'assistance', 9, now(), 'a.xlsx', ?)`, id2, "h"+id, "u"+id, i+1); err != nil {
				t.Fatal(err)
			}
			load = 0
		}
		if load > 0 {
			if _, err := s.DB().ExecContext(ctx, `INSERT INTO assistance (id_number, household_id, category, start_date, _key, _source, _load_id, _loaded_at, _stream, _position)
				VALUES (?, ?, 'dibao', DATE '2025-01-01', ?, 'assistance', ?, now(), 'a.xlsx', ?)`, id, "h"+id, "k"+id, load, i+1); err != nil {
				t.Fatal(err)
			}
		}
		gaps = append(gaps, Gap{Dataset: "assistance", Key: "P:" + id, LoadID: 5}, Gap{Dataset: "assistance", Key: "H:h" + id, LoadID: 5})
		if i%4 != 0 {
			want["P:"+id], want["H:h"+id] = true, true
		}
	}
	open, err := s.OpenGaps(ctx, gaps)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, g := range open {
		got[g.Key] = true
	}
	if len(got) != len(want) {
		t.Errorf("%d gaps open, want %d", len(got), len(want))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("gap %s closed, want open", k)
		}
	}
	if !got["P:p'7"] {
		t.Error("the key with a quote")
	}
}
