package store

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// TestApplyPlanRewritesOnlyWhatChanged: a night that sees an open case's
// hits again as they were moves their last_seen and keeps their rows; a
// hit whose facts changed, or one stored under other rule files, is
// written again; what the store holds afterwards is the plan, hit for hit,
// and a case's updated_at moves only when what it says changed.
func TestApplyPlanRewritesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	hit := func(rule, id, hh, facts string) cases.Hit {
		return cases.Hit{RuleID: rule, RuleVersion: 1, Level: "orange", Reason: "理由 " + facts, IDNumber: id, HouseholdID: hh,
			TownshipCode: "340799001", Facts: facts, Evidence: `{"employment":["e.csv:2"]}`, Severity: 1, Route: "r"}
	}
	hits := []cases.Hit{
		hit("UNEMP", "A1", "H1", `{"days":10}`),
		hit("MED", "A2", "H1", `{"oop":25000}`),
		hit("MED", "B1", "H2", `{"oop":30000}`),
	}
	esc := cases.Escalation{MinRules: 3, Level: "red"}
	night := func(d time.Time, hash string) cases.Plan {
		t.Helper()
		open, err := s.OpenCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := cases.MakePlan(d, hits, open, nil, esc)
		if err := s.ApplyPlan(ctx, p, d, hash); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type row struct {
		rowid             int64
		rulesHash         string
		lastSeen, updated time.Time
	}
	rows := func() map[string]row {
		t.Helper()
		r, err := s.DB().Query(`SELECT h.rowid, h.case_id || ' ' || h.rule_id || ' ' || h.id_number, h.rules_hash, h.last_seen, c.updated_at
			FROM case_hits h JOIN cases c USING (case_id)`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		m := map[string]row{}
		for r.Next() {
			var k string
			var x row
			if err := r.Scan(&x.rowid, &k, &x.rulesHash, &x.lastSeen, &x.updated); err != nil {
				t.Fatal(err)
			}
			m[k] = x
		}
		return m
	}
	// stored is what the store holds: the open cases as the plan left them.
	stored := func(p cases.Plan) {
		t.Helper()
		open, err := s.OpenCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]*cases.Case{}
		for _, group := range [][]*cases.Case{p.New, p.Updated, p.Refreshed} {
			for _, c := range group {
				want[c.ID] = c
			}
		}
		if len(open) != len(want) {
			t.Fatalf("%d open cases, the plan has %d", len(open), len(want))
		}
		for _, c := range open {
			w, ok := want[c.ID]
			if !ok {
				t.Fatalf("case %s is not in the plan", c.ID)
			}
			// The store reads a case's hits back in order of first sight,
			// rule and person.
			wh := slices.Clone(w.Hits)
			slices.SortFunc(wh, func(a, b cases.CaseHit) int {
				return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.IDNumber, b.IDNumber))
			})
			if !reflect.DeepEqual(c.Hits, wh) || c.Level != w.Level || c.Version != w.Version || c.TownshipCode != w.TownshipCode {
				t.Errorf("case %s stored as\n%+v\nthe plan has\n%+v", c.ID, c, w)
			}
		}
	}

	stored(night(day, "sha256:v1"))
	first := rows()
	const a1, a2, b1 = "YJ-20261128-0001 UNEMP A1", "YJ-20261128-0001 MED A2", "YJ-20261128-0002 MED B1"
	if len(first) != 3 {
		t.Fatalf("first night: %v", first)
	}

	// The next night: A1's day count moved; A2 and B1 are as they were.
	day2 := day.AddDate(0, 0, 1)
	hits[0] = hit("UNEMP", "A1", "H1", `{"days":11}`)
	p := night(day2, "sha256:v1")
	if len(p.Refreshed) != 2 {
		t.Fatalf("second night: %d refreshed, want both cases", len(p.Refreshed))
	}
	stored(p)
	second := rows()
	for k, r := range second {
		if !r.lastSeen.Equal(day2) {
			t.Errorf("%s: last_seen %s, want %s", k, r.lastSeen.Format(time.DateOnly), day2.Format(time.DateOnly))
		}
	}
	if second[a2].rowid != first[a2].rowid || second[b1].rowid != first[b1].rowid {
		t.Errorf("hits seen again as they were were written again: rows %d, %d became %d, %d",
			first[a2].rowid, first[b1].rowid, second[a2].rowid, second[b1].rowid)
	}
	if second[a1].rowid == first[a1].rowid {
		t.Errorf("A1's changed facts kept its old row %d", first[a1].rowid)
	}
	if !second[b1].updated.Equal(first[b1].updated) {
		t.Errorf("case 0002, seen again as it was, has updated_at moved")
	}
	if second[a1].updated.Equal(first[a1].updated) {
		t.Errorf("case 0001, whose hit says something new, kept its updated_at")
	}

	// A row written before fingerprints (migration 0029) is written again
	// once, with one.
	if _, err := s.DB().Exec(`UPDATE case_hits SET fingerprint = NULL WHERE id_number = 'B1'`); err != nil {
		t.Fatal(err)
	}
	if p := night(day2, "sha256:v1"); len(p.Refreshed) != 2 {
		t.Fatalf("the night again: %d refreshed", len(p.Refreshed))
	}
	again := rows()
	if again[b1].rowid == second[b1].rowid || again[a2].rowid != second[a2].rowid {
		t.Errorf("a row without a fingerprint: rows %v became %v", second, again)
	}
	if n := count(t, s, `SELECT count(*) FROM case_hits WHERE fingerprint IS NULL`); n != 0 {
		t.Errorf("%d hits without a fingerprint", n)
	}

	// New rule files: every hit is stored under them.
	day3 := day2.AddDate(0, 0, 1)
	stored(night(day3, "sha256:v2"))
	for k, r := range rows() {
		if r.rulesHash != "sha256:v2" || !r.lastSeen.Equal(day3) {
			t.Errorf("%s after new rule files: rules_hash %s, last_seen %s", k, r.rulesHash, r.lastSeen.Format(time.DateOnly))
		}
	}

	// A hit that stops firing is written again (inactive), the others stay.
	before := rows()
	hits = hits[:2]
	day4 := day3.AddDate(0, 0, 1)
	p = night(day4, "sha256:v2")
	stored(p)
	after := rows()
	if after[a1].rowid != before[a1].rowid || after[b1].rowid == before[b1].rowid {
		t.Errorf("stopping B1: rows %v became %v", before, after)
	}
	if !after[b1].lastSeen.Equal(day3) {
		t.Errorf("B1 stopped firing on %s and kept last_seen %s, want the day it was last seen", day4.Format(time.DateOnly), after[b1].lastSeen.Format(time.DateOnly))
	}
}

// TestHitFingerprint: every field a hit says changes its fingerprint,
// the rule files' hash too; last_seen and the hit's key do not.
func TestHitFingerprint(t *testing.T) {
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	base := cases.CaseHit{RuleID: "R", IDNumber: "A", RuleVersion: 1, Level: "orange", Reason: "r", Facts: "{}", Evidence: "{}",
		Severity: 1, FirstSeen: day, LastSeen: day, Active: true, Route: "x"}
	fp := func(h cases.CaseHit, hash string) string {
		s, _ := hitFingerprint(h, hash, nil)
		return s
	}
	want := fp(base, "v1")
	for name, edit := range map[string]func(*cases.CaseHit){
		"last_seen": func(h *cases.CaseHit) { h.LastSeen = day.AddDate(0, 0, 1) },
		"rule":      func(h *cases.CaseHit) { h.RuleID = "S" },
		"person":    func(h *cases.CaseHit) { h.IDNumber = "B" },
	} {
		h := base
		edit(&h)
		if got := fp(h, "v1"); got != want {
			t.Errorf("%s changed the fingerprint", name)
		}
	}
	seen := map[string]string{want: "base"}
	for name, edit := range map[string]func(*cases.CaseHit){
		"rule_version": func(h *cases.CaseHit) { h.RuleVersion = 2 },
		"level":        func(h *cases.CaseHit) { h.Level = "red" },
		"reason":       func(h *cases.CaseHit) { h.Reason = "r2" },
		"facts":        func(h *cases.CaseHit) { h.Facts = `{"a":1}` },
		"evidence":     func(h *cases.CaseHit) { h.Evidence = `{"m":[]}` },
		"severity":     func(h *cases.CaseHit) { h.Severity = 2 },
		"first_seen":   func(h *cases.CaseHit) { h.FirstSeen = day.AddDate(0, 0, -1) },
		"active":       func(h *cases.CaseHit) { h.Active = false },
		"mark":         func(h *cases.CaseHit) { h.Mark = true },
		"route":        func(h *cases.CaseHit) { h.Route = "" },
		// the bytes of two fields run together the same way
		"reason+facts": func(h *cases.CaseHit) { h.Reason, h.Facts = "r{", "}" },
	} {
		h := base
		edit(&h)
		got := fp(h, "v1")
		if other, ok := seen[got]; ok {
			t.Errorf("%s gives the fingerprint of %s", name, other)
		}
		seen[got] = name
	}
	if fp(base, "v2") == want {
		t.Error("other rule files give the same fingerprint")
	}
}
