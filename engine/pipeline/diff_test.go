package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// A threshold lowered in a copy of rules/ (the medical line from 20,000 to
// 15,000 yuan): the diff against the live rules shows exactly the people
// the lowered line warns, the county's planted near misses among them
// (truth.json decoys medical_below, 15,300 to 18,500 yuan) — each opens
// a case, or its open case gains the rule and loses the rule that warned
// of the same costs below the old line — and nothing else; the unchanged
// rules show no difference at all.
func TestDiffRules(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Run(ctx, c.day); err != nil {
		t.Fatal(err)
	}
	live := c.p.Pack
	// The same rules: no difference.
	same, err := c.p.DiffRules(ctx, c.day, live)
	if err != nil {
		t.Fatal(err)
	}
	if len(same.Changes) != 0 {
		t.Errorf("the live rules against themselves: %+v", same.Changes)
	}
	// The working copy, with the line lowered.
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "params.yaml")
	b, _ := os.ReadFile(params)
	lowered := strings.Replace(string(b), "  medical_oop_threshold:\n    values:\n      2024-01-01: 20000", "  medical_oop_threshold:\n    values:\n      2024-01-01: 15000", 1)
	if lowered == string(b) {
		t.Fatal("params.yaml has no medical_oop_threshold of 20000 to lower")
	}
	os.WriteFile(params, []byte(lowered), 0o600)
	working, err := rule.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.p.Pack = working
	defer func() { c.p.Pack = live }()
	d, err := c.p.DiffRules(ctx, c.day, live)
	if err != nil {
		t.Fatal(err)
	}
	open, _ := c.p.Store.OpenCases(ctx)
	hasCase := map[string]bool{}
	for _, oc := range open {
		hasCase[oc.Subject] = true
	}
	// Who the lowered line warns: every person of an uncovered household
	// (or of none) with 12-month out-of-pocket costs from 15,000 up to the
	// old line — the planted near misses (truth.json decoys medical_below,
	// 15,300 to 18,500 yuan), and the people the relative and single-stay
	// lines and the rigid-spending rule warned, whose costs the absolute
	// line now takes (those rules stop for them: they never count the same
	// costs twice).
	rows, err := c.p.Store.DB().QueryContext(ctx, `
		WITH m AS (SELECT id_number, sum(out_of_pocket) AS oop FROM medical
		           WHERE settle_date > DATE '2026-11-28' - INTERVAL 12 MONTH AND settle_date <= DATE '2026-11-28' GROUP BY 1),
		a AS (SELECT * FROM assistance
		      QUALIFY row_number() OVER (PARTITION BY id_number, category, start_date ORDER BY _load_id DESC, _position DESC) = 1),
		covered AS (SELECT DISTINCT coalesce(r.household_id, a.household_id) AS household_id FROM a LEFT JOIN registry_current r USING (id_number)
		            WHERE a.start_date <= DATE '2026-11-28' AND (a.end_date IS NULL OR a.end_date >= DATE '2026-11-28'))
		SELECT DISTINCT coalesce(r.household_id, 'P:' || m.id_number) FROM m LEFT JOIN registry_current r USING (id_number)
		WHERE m.oop >= 15000 AND m.oop < 20000 AND coalesce(r.household_id, '') NOT IN (SELECT household_id FROM covered WHERE household_id IS NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	var wantOpens, wantStarts []string
	for rows.Next() {
		var subject string
		if err := rows.Scan(&subject); err != nil {
			t.Fatal(err)
		}
		if hasCase[subject] {
			wantStarts = append(wantStarts, subject)
		} else {
			wantOpens = append(wantOpens, subject)
		}
	}
	rows.Close()
	decoys := 0
	for _, dc := range c.truth.Decoys {
		if dc.Kind == "medical_below" {
			decoys++
			if !slices.Contains(wantOpens, dc.HouseholdID) && !slices.Contains(wantStarts, dc.HouseholdID) {
				t.Errorf("near miss %s is not among those the lowered line warns", dc.HouseholdID)
			}
		}
	}
	slices.Sort(wantOpens)
	slices.Sort(wantStarts)
	var opens, starts []string
	for _, ch := range d.Changes {
		switch {
		case ch.Kind == DiffOpens && slices.Equal(ch.Rules, []string{"MED-OOP-UNCOVERED"}):
			opens = append(opens, ch.Subject)
		case ch.Kind == DiffStarts && slices.Equal(ch.Rules, []string{"MED-OOP-UNCOVERED"}):
			starts = append(starts, ch.Subject)
		case ch.Kind == DiffStops && slices.Contains(wantStarts, ch.Subject) && len(ch.Rules) == 1 &&
			slices.Contains([]string{"MED-OOP-RELATIVE-UNCOVERED", "MED-SINGLE-STAY-UNCOVERED", "RIGID-SPENDING-UNCOVERED"}, ch.Rules[0]):
			// the absolute line takes these costs over
		case ch.Kind == DiffLevel:
			// a household that gains a second rule is escalated: allowed
			// for the starts only
			if !slices.Contains(wantStarts, ch.Subject) {
				t.Errorf("unexpected level change: %+v", ch)
			}
		default:
			t.Errorf("unexpected change: %+v", ch)
		}
	}
	slices.Sort(opens)
	slices.Sort(starts)
	if decoys != 6 || !slices.Equal(opens, wantOpens) || !slices.Equal(starts, wantStarts) {
		t.Errorf("opens %q (want %q), starts %q (want %q), %d near misses", opens, wantOpens, starts, wantStarts, decoys)
	}
	// Nothing was written: the store's cases are as they were.
	after, _ := c.p.Store.OpenCases(ctx)
	if len(after) != len(open) {
		t.Errorf("the diff wrote cases: %d open, was %d", len(after), len(open))
	}
}
