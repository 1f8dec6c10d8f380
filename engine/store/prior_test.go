package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// TestSavePriorWritesWhatChanged: a prior evaluation saved after the one
// it continues keeps the rows of the hits both have, deletes those gone
// and appends those new; LoadPrior then gives exactly the new hits. A
// stale base (another evaluation recorded since) or none replaces every
// row, with the same result.
func TestSavePriorWritesWhatChanged(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "p.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// LoadPrior takes a record only with the facts kept beside it.
	keptFacts := func(day time.Time) {
		t.Helper()
		if _, err := st.DB().ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS eval_prior; CREATE TABLE IF NOT EXISTS eval_prior.person (id_number VARCHAR);
			DELETE FROM eval_prior_facts; INSERT INTO eval_prior_facts VALUES (?, 'v', 'd1')`, day); err != nil {
			t.Fatal(err)
		}
	}
	hit := func(rule, id string, severity float64) cases.Hit {
		return cases.Hit{RuleID: rule, RuleVersion: 1, Level: "yellow", Reason: "原因", IDNumber: id, HouseholdID: "H" + id[:2],
			TownshipCode: "340799001", Facts: `{"a":1}`, Evidence: `{"medical":["m.csv:2"]}`, Severity: severity}
	}
	var first []cases.Hit
	for i := range 6 {
		first = append(first, hit("R1", fmt.Sprintf("%02d", i), 1))
	}
	first = append(first, first[2]) // the same hit twice is kept twice
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if err := st.SavePrior(ctx, &Prior{AsOf: day, PackVersion: "v", Data: "d1", People: 6, Hits: first}); err != nil {
		t.Fatal(err)
	}
	seqOf := func(p *Prior) map[string][]int64 {
		out := map[string][]int64{}
		for i, h := range p.Hits {
			k := fmt.Sprintf("%s %s %v", h.RuleID, h.IDNumber, h.Severity)
			out[k] = append(out[k], p.seqs[i])
		}
		return out
	}
	sorted := func(hs []cases.Hit) []string {
		var out []string
		for _, h := range hs {
			out = append(out, fmt.Sprintf("%s %s %v %s", h.RuleID, h.IDNumber, h.Severity, h.Evidence))
		}
		slices.Sort(out)
		return out
	}
	keptFacts(day)
	base, err := st.LoadPrior(ctx)
	if err != nil || base == nil {
		t.Fatalf("load: %v, %v", base, err)
	}
	// The next night: 01 gone, 03's severity changed, one of the two 02
	// gone, 06 new.
	next := []cases.Hit{first[0], first[2], hit("R1", "03", 2), first[4], first[5], hit("R2", "06", 1)}
	if err := st.SavePrior(ctx, &Prior{AsOf: day.AddDate(0, 0, 1), PackVersion: "v", Data: "d1", People: 6, Hits: next, Since: base}); err != nil {
		t.Fatal(err)
	}
	keptFacts(day.AddDate(0, 0, 1))
	got, err := st.LoadPrior(ctx)
	if err != nil || got == nil {
		t.Fatalf("load after the delta: %v, %v", got, err)
	}
	if !slices.Equal(sorted(got.Hits), sorted(next)) {
		t.Errorf("after the delta:\n%q\nwant\n%q", sorted(got.Hits), sorted(next))
	}
	was, now := seqOf(base), seqOf(got)
	for _, k := range []string{"R1 00 1", "R1 04 1", "R1 05 1"} {
		if !slices.Equal(was[k], now[k]) {
			t.Errorf("%s: rows %v, then %v: a hit both nights have was written again", k, was[k], now[k])
		}
	}
	if len(now["R1 02 1"]) != 1 || !slices.Contains(was["R1 02 1"], now["R1 02 1"][0]) {
		t.Errorf("the hit twice, then once: rows %v, then %v", was["R1 02 1"], now["R1 02 1"])
	}
	for _, k := range []string{"R1 03 2", "R2 06 1"} {
		if len(now[k]) != 1 || now[k][0] <= slices.Max(slices.Concat(was["R1 00 1"], was["R1 05 1"], was["R1 02 1"])) {
			t.Errorf("%s: rows %v: a new hit is appended after the rows kept", k, now[k])
		}
	}
	// The same evaluation saved again since the night loaded its base (the
	// same date, rules and data: another process's evaluate --full): the
	// base's rows are not the store's, and every row is replaced.
	reversed := slices.Clone(next) // the same hits, in other rows
	slices.Reverse(reversed)
	if err := st.SavePrior(ctx, &Prior{AsOf: day.AddDate(0, 0, 1), PackVersion: "v", Data: "d1", People: 6, Hits: reversed}); err != nil {
		t.Fatal(err)
	}
	again := []cases.Hit{next[1], next[2], hit("R4", "08", 1)}
	if err := st.SavePrior(ctx, &Prior{AsOf: day.AddDate(0, 0, 1), PackVersion: "v", Data: "d1", People: 6, Hits: again, Since: got}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.LoadPrior(ctx); err != nil || got == nil || !slices.Equal(sorted(got.Hits), sorted(again)) {
		t.Errorf("after the same evaluation saved again: %v, %v; want %q", got, err, sorted(again))
	}
	// A base the store no longer holds (the first night's, after the
	// second was recorded): every row is replaced, and the hits are right.
	third := []cases.Hit{hit("R3", "07", 1), first[0]}
	if err := st.SavePrior(ctx, &Prior{AsOf: day.AddDate(0, 0, 2), PackVersion: "v", Data: "d1", People: 6, Hits: third, Since: base}); err != nil {
		t.Fatal(err)
	}
	keptFacts(day.AddDate(0, 0, 2))
	if got, err := st.LoadPrior(ctx); err != nil || got == nil || !slices.Equal(sorted(got.Hits), sorted(third)) {
		t.Errorf("after a stale base: %v, %v; want %q", got, err, sorted(third))
	}
}
