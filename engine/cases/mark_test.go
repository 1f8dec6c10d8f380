package cases

import "testing"

func mark(rule, id, hh, route string) Hit {
	h := hit(rule, id, hh, "", 0)
	h.Mark, h.Route = true, route
	return h
}

// A mark never opens a case, never sets its level nor counts for the
// escalation; it rides on the case another rule opens for the household.
func TestMarkRidesOnACase(t *testing.T) {
	p := MakePlan(day, []Hit{
		mark("NOTE", "A", "H1", ""),                                      // related, nothing else: no case
		hit("FISH", "B", "H2", "yellow", 0), mark("NOTE", "C", "H2", ""), // one warning and a mark: yellow, not escalated
	}, nil, nil, esc)
	if len(p.New) != 1 || p.New[0].Subject != "H2" {
		t.Fatalf("want one new case for H2, got %+v", p.New)
	}
	c := p.New[0]
	if c.Level != "yellow" || len(c.Hits) != 2 || !c.Hits[1].Mark || c.TownshipCode != "340799001" {
		t.Errorf("H2: level %s township %q hits %+v", c.Level, c.TownshipCode, c.Hits)
	}
}

// A route mark sends the case to the county's queue while it is active —
// also on a night its rule is held —, and the case goes back to the
// township (news for it) once the mark stops firing.
func TestRouteMarkSendsCaseToCounty(t *testing.T) {
	route := mark("ROUTE", "A", "H1", RouteCounty)
	p := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 25000), route}, nil, nil, esc)
	if len(p.New) != 1 || p.New[0].TownshipCode != "" || p.New[0].Level != "orange" {
		t.Fatalf("new case: %+v", p.New)
	}
	open := p.New
	open[0].State = StateDispatched

	held := func(rule, id, hh string) bool { return rule == "ROUTE" }
	p = MakePlanHeld(day.AddDate(0, 0, 1), []Hit{hit("MED", "A", "H1", "orange", 25000)}, open, nil, esc, held)
	if len(p.Updated) != 0 || len(p.Refreshed) != 1 || p.Refreshed[0].TownshipCode != "" {
		t.Fatalf("held route mark: updated %d refreshed %+v", len(p.Updated), p.Refreshed)
	}

	p = MakePlan(day.AddDate(0, 0, 2), []Hit{hit("MED", "A", "H1", "orange", 25000)}, open, nil, esc)
	if len(p.Updated) != 1 || p.Updated[0].TownshipCode != "340799001" {
		t.Fatalf("route mark stopped: updated %+v", p.Updated)
	}

	// A mark joining an open case is news: the township's list must say it.
	p = MakePlan(day.AddDate(0, 0, 3), []Hit{hit("MED", "A", "H1", "orange", 25000), route}, open, nil, esc)
	if len(p.Updated) != 1 || p.Updated[0].TownshipCode != "" || p.Updated[0].Level != "orange" {
		t.Fatalf("route mark again: updated %+v", p.Updated)
	}
}

// A case in the county's queue because the registry knows no township
// stays there when its hits still know none.
func TestUnknownTownshipStaysInCountyQueue(t *testing.T) {
	h := hit("MED", "A", "", "orange", 25000)
	h.TownshipCode = ""
	open := MakePlan(day, []Hit{h}, nil, nil, esc).New
	p := MakePlan(day.AddDate(0, 0, 1), []Hit{h}, open, nil, esc)
	if len(p.Updated) != 0 || p.Refreshed[0].TownshipCode != "" {
		t.Fatalf("plan: %+v", p)
	}
}

// The county may give a routed case to another township to check (交叉核查):
// the route keeps it from the household's own township only.
func TestRoutedCaseKeepsAnotherTownship(t *testing.T) {
	route := mark("ROUTE", "A", "H1", RouteCounty)
	open := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 25000), route}, nil, nil, esc).New
	open[0].State, open[0].TownshipCode, open[0].Assigned = StateDispatched, "340799002", true // assigned by the county
	p := MakePlan(day.AddDate(0, 0, 1), []Hit{hit("MED", "A", "H1", "orange", 25000), route}, open, nil, esc)
	if len(p.Updated) != 0 || p.Refreshed[0].TownshipCode != "340799002" {
		t.Fatalf("plan: updated %+v refreshed %+v", p.Updated, p.Refreshed)
	}
	open[0].TownshipCode = "340799001" // assigned back to its own township by mistake: the night takes it back
	p = MakePlan(day.AddDate(0, 0, 2), []Hit{hit("MED", "A", "H1", "orange", 25000), route}, open, nil, esc)
	if len(p.Updated) != 1 || p.Updated[0].TownshipCode != "" {
		t.Fatalf("plan: updated %+v", p.Updated)
	}
}

// A household that moves into the township where its relative handles
// assistance: its case, at the old township, goes to the county's queue —
// the old township was not a cross-check the county chose.
func TestMovedHouseholdRoutedToCounty(t *testing.T) {
	note := mark("NOTE", "A", "H1", "")
	open := MakePlan(day, []Hit{hit("MED", "A", "H1", "orange", 25000), note}, nil, nil, esc).New
	open[0].State = StateDispatched
	moved := hit("MED", "A", "H1", "orange", 25000)
	moved.TownshipCode = "340799002"
	route := mark("ROUTE", "A", "H1", RouteCounty)
	route.TownshipCode = "340799002"
	p := MakePlan(day.AddDate(0, 0, 1), []Hit{moved, route}, open, nil, esc)
	if len(p.Updated) != 1 || p.Updated[0].TownshipCode != "" {
		t.Fatalf("plan: updated %+v", p.Updated)
	}
}
