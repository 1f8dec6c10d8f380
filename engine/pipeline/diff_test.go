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
// 15,000 yuan): the diff against the live rules shows exactly the
// county's planted near misses (truth.json decoys medical_below, 15,300 to
// 18,500 yuan) — each opens a case, or its open case gains the rule —
// and nothing else; the unchanged rules show no difference at all.
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
	var wantOpens, wantStarts []string
	for _, dc := range c.truth.Decoys {
		if dc.Kind != "medical_below" {
			continue
		}
		if hasCase[dc.HouseholdID] {
			wantStarts = append(wantStarts, dc.HouseholdID)
		} else {
			wantOpens = append(wantOpens, dc.HouseholdID)
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
	if len(wantOpens)+len(wantStarts) != 6 || !slices.Equal(opens, wantOpens) || !slices.Equal(starts, wantStarts) {
		t.Errorf("opens %q (want %q), starts %q (want %q)", opens, wantOpens, starts, wantStarts)
	}
	// Nothing was written: the store's cases are as they were.
	after, _ := c.p.Store.OpenCases(ctx)
	if len(after) != len(open) {
		t.Errorf("the diff wrote cases: %d open, was %d", len(after), len(open))
	}
}
