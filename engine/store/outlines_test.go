package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestCaseOutlinesAreTheCases: every case's outline is the case as
// CasesWhere loads it, its hits without what they say (reason, facts,
// evidence), in the same order.
func TestCaseOutlinesAreTheCases(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "c.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	p := benchPlan(5, day)
	p.New[2].Hits[1].Mark = true
	if err := s.ApplyPlan(ctx, p, day, "sha256:x"); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyPlan(ctx, benchPlan(2, day.AddDate(0, 0, 1)), day.AddDate(0, 0, 1), "sha256:x"); err != nil {
		t.Fatal(err)
	}
	whole, err := s.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CaseOutlines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != 7 || len(out) != len(whole) {
		t.Fatalf("%d cases, %d outlines", len(whole), len(out))
	}
	for i, c := range whole {
		for j := range c.Hits {
			if c.Hits[j].Reason == "" || c.Hits[j].Facts == "" || c.Hits[j].Evidence == "" {
				t.Fatalf("case %s hit %d says nothing: %+v", c.ID, j, c.Hits[j])
			}
			c.Hits[j].Reason, c.Hits[j].Facts, c.Hits[j].Evidence = "", "", ""
		}
		if !reflect.DeepEqual(c, out[i]) {
			t.Errorf("case %d:\n%+v\noutline\n%+v", i, c, out[i])
		}
	}
}
