package cases

import (
	"testing"
	"time"
)

var day = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func hit(rule, id, hh, level string, sev float64) Hit {
	return Hit{RuleID: rule, RuleVersion: 1, Level: level, Reason: rule + " reason", IDNumber: id,
		HouseholdID: hh, TownshipCode: "340799001", Severity: sev}
}

var esc = Escalation{MinRules: 2, Level: "red"}

func TestNewCasesGroupPerHousehold(t *testing.T) {
	p := MakePlan(day, []Hit{
		hit("MED", "A", "H1", "orange", 25000),
		hit("DIS", "B", "H1", "orange", 0), // another member, another rule: same case, escalated
		hit("FISH", "C", "H2", "yellow", 0),
		hit("MED", "D", "", "orange", 30000), // no household: a case of its own
	}, nil, nil, esc)
	if len(p.New) != 3 {
		t.Fatalf("want 3 new cases, got %d", len(p.New))
	}
	got := map[string]*Case{}
	for _, c := range p.New {
		got[c.Subject] = c
	}
	if c := got["H1"]; c == nil || len(c.Hits) != 2 || c.Level != "red" {
		t.Errorf("H1: %+v", c)
	}
	if c := got["H2"]; c == nil || c.Level != "yellow" || c.State != StateNew || c.Version != 1 {
		t.Errorf("H2: %+v", c)
	}
	if c := got["P:D"]; c == nil || c.HouseholdID != "" {
		t.Errorf("person without household: %+v", c)
	}
}

func TestSecondEvaluationChangesNothing(t *testing.T) {
	hits := []Hit{hit("MED", "A", "H1", "orange", 25000)}
	first := MakePlan(day, hits, nil, nil, esc)
	open := first.New
	second := MakePlan(day.AddDate(0, 0, 1), hits, open, nil, esc)
	if len(second.New) != 0 || len(second.Updated) != 0 || len(second.Refreshed) != 1 {
		t.Fatalf("second plan: new %d updated %d refreshed %d", len(second.New), len(second.Updated), len(second.Refreshed))
	}
	if c := second.Refreshed[0]; c.Version != 1 || !c.Hits[0].LastSeen.Equal(day.AddDate(0, 0, 1)) || !c.Hits[0].FirstSeen.Equal(day) {
		t.Errorf("refreshed case %+v", c)
	}
}

func TestNewHitJoinsOpenCaseAndRaisesLevel(t *testing.T) {
	open := MakePlan(day, []Hit{hit("FISH", "A", "H1", "yellow", 0)}, nil, nil, esc).New
	open[0].State = StateDispatched
	p := MakePlan(day.AddDate(0, 0, 1), []Hit{
		hit("FISH", "A", "H1", "yellow", 0),
		hit("MED", "B", "H1", "orange", 21000),
	}, open, nil, esc)
	if len(p.New) != 0 || len(p.Updated) != 1 {
		t.Fatalf("new %d updated %d", len(p.New), len(p.Updated))
	}
	c := p.Updated[0]
	if len(c.Hits) != 2 || c.Level != "red" || c.Version != 2 || c.State != StateDispatched {
		t.Errorf("joined case %+v", c)
	}
}

func TestStoppedHitStaysAsEvidenceWithoutChange(t *testing.T) {
	open := MakePlan(day, []Hit{hit("FISH", "A", "H1", "yellow", 0), hit("MED", "B", "H1", "orange", 1)}, nil, nil, esc).New
	p := MakePlan(day.AddDate(0, 0, 1), []Hit{hit("MED", "B", "H1", "orange", 1)}, open, nil, esc)
	if len(p.Updated) != 0 || len(p.Refreshed) != 1 {
		t.Fatalf("updated %d refreshed %d", len(p.Updated), len(p.Refreshed))
	}
	c := p.Refreshed[0]
	if c.Level != "red" || c.Hits[0].Active || !c.Hits[1].Active {
		t.Errorf("case %+v", c)
	}
}

func TestSuppressionUnlessWorse(t *testing.T) {
	sup := []Suppression{{Subject: "H1", RuleID: "MED", IDNumber: "A", Until: day.AddDate(0, 0, 10), Severity: 25000}}
	p := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 25000)}, nil, sup, esc)
	if len(p.New) != 0 || len(p.Suppressed) != 1 {
		t.Fatalf("same evidence: new %d suppressed %d", len(p.New), len(p.Suppressed))
	}
	p = MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 31000)}, nil, sup, esc)
	if len(p.New) != 1 {
		t.Fatalf("worse evidence must warn again: new %d", len(p.New))
	}
	p = MakePlan(day.AddDate(0, 0, 11), []Hit{hit("MED", "A", "H1", "orange", 25000)}, nil, sup, esc)
	if len(p.New) != 1 {
		t.Fatalf("after the cooldown: new %d", len(p.New))
	}
	// Another rule on the same household is not suppressed.
	p = MakePlan(day, []Hit{hit("DIS", "A", "H1", "orange", 0)}, nil, sup, esc)
	if len(p.New) != 1 {
		t.Fatalf("other rule: new %d", len(p.New))
	}
}

func TestOpenCaseWithoutHitsTodayStopsFiring(t *testing.T) {
	open := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 1)}, nil, nil, esc).New
	p := MakePlan(day.AddDate(0, 0, 1), nil, open, nil, esc)
	if len(p.Refreshed) != 1 || p.Refreshed[0].Hits[0].Active {
		t.Fatalf("refreshed %+v", p.Refreshed)
	}
	if p = MakePlan(day.AddDate(0, 0, 2), nil, open, nil, esc); len(p.Refreshed) != 0 {
		t.Errorf("nothing changed, yet %d refreshed", len(p.Refreshed))
	}
}

func TestMovedHouseholdFollowsItsTownship(t *testing.T) {
	open := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 1)}, nil, nil, esc).New
	moved := hit("MED", "A", "H1", "orange", 1)
	moved.TownshipCode = "340799009"
	p := MakePlan(day.AddDate(0, 0, 1), []Hit{moved}, open, nil, esc)
	if len(p.Updated) != 1 || p.Updated[0].TownshipCode != "340799009" {
		t.Fatalf("updated %+v", p.Updated)
	}
}

func TestRepeatedSuppressionsTakeTheLongestAndWorst(t *testing.T) {
	sup := []Suppression{
		{Subject: "H1", RuleID: "MED", IDNumber: "A", Until: day.AddDate(0, 0, 100), Severity: 10},
		{Subject: "H1", RuleID: "MED", IDNumber: "A", Until: day.AddDate(0, 0, 5), Severity: 30},
	}
	for _, s := range [][]Suppression{sup, {sup[1], sup[0]}} {
		// Both in force: the worst evidence (30) holds back a hit of 20.
		if p := MakePlan(day.AddDate(0, 0, 3), []Hit{hit("MED", "A", "H1", "orange", 20)}, nil, s, esc); len(p.Suppressed) != 1 {
			t.Errorf("order %v: %d suppressed", s, len(p.Suppressed))
		}
		// Later only the long one is in force, and 20 is worse than its 10.
		if p := MakePlan(day.AddDate(0, 0, 50), []Hit{hit("MED", "A", "H1", "orange", 20)}, nil, s, esc); len(p.New) != 1 {
			t.Errorf("order %v: %d new", s, len(p.New))
		}
	}
}

// TestHeldRuleKeepsItsHits: on a night a rule is held back (its source
// failed), its hit on an open case neither stops firing nor is refreshed;
// the other rules' hits go on as usual.
func TestHeldRuleKeepsItsHits(t *testing.T) {
	esc := Escalation{MinRules: 2, Level: "red"}
	open := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 1), hit("FISH", "B", "H1", "yellow", 0)}, nil, nil, esc).New
	// Tonight MED is held (its hits are left out by the caller) and FISH no
	// longer fires.
	p := MakePlanHeld(day.AddDate(0, 0, 1), nil, open, nil, esc, func(rule, _, _ string) bool { return rule == "MED" })
	if len(p.Refreshed) != 1 {
		t.Fatalf("plan %+v", p)
	}
	for _, h := range p.Refreshed[0].Hits {
		if want := h.RuleID == "MED"; h.Active != want {
			t.Errorf("%s active=%v, want %v", h.RuleID, h.Active, want)
		}
	}
	// Without the hold, MED would have stopped too.
	open = MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 1)}, nil, nil, esc).New
	p = MakePlan(day.AddDate(0, 0, 1), nil, open, nil, esc)
	if len(p.Refreshed) != 1 || p.Refreshed[0].Hits[0].Active {
		t.Errorf("an unheld rule that stops firing must stop: %+v", p)
	}
}
