// Package cases turns the rule hits of one evaluation into warning cases:
// one open case per household (the unit a township visits), carrying every
// hit with its evidence. It is pure logic: the store loads the open cases
// and suppressions, Plan decides, the store applies the plan. Running Plan
// again on the same hits and cases changes nothing.
package cases

import (
	lvl "github.com/lipwatch/lipwatch/engine/level"
	"sort"
	"time"
)

// MaxLevel returns the more severe of two levels.
func MaxLevel(a, b string) string {
	if lvl.Rank(b) > lvl.Rank(a) {
		return b
	}
	return a
}

// Hit is one rule firing for one person on the evaluation date.
type Hit struct {
	RuleID       string
	RuleVersion  int
	Level        string
	Reason       string
	IDNumber     string
	HouseholdID  string // "" when the person has no household in the registry
	TownshipCode string // "" routes to the county's own queue
	Facts        string // JSON: the fact values the rule saw
	Evidence     string // JSON: the source rows behind the facts
	Severity     float64
	// Mark: the hit of a mark rule, which never opens a case by itself and
	// never sets its level (rule.Rule.Mark). Route "county" sends the case
	// carrying it to the county's own queue (rule.Rule.Route).
	Mark  bool
	Route string
}

// RouteCounty is the Route of a hit that sends its case to the county's
// own queue (rule.RouteCounty).
const RouteCounty = "county"

// Subject is what a case is about: the household, or the person when the
// registry knows no household for them.
func (h Hit) Subject() string {
	if h.HouseholdID != "" {
		return h.HouseholdID
	}
	return "P:" + h.IDNumber
}

// CaseHit is a hit as a case carries it.
type CaseHit struct {
	RuleID      string
	IDNumber    string
	RuleVersion int
	Level       string
	Reason      string
	Facts       string
	Evidence    string
	Severity    float64
	FirstSeen   time.Time
	LastSeen    time.Time
	Active      bool   // false once the rule stops firing; the case stays open
	Mark        bool   // a mark: attached to the case, never its level (Hit.Mark)
	Route       string // "county": the case goes to the county's own queue while it is active
}

// Case is a warning case.
type Case struct {
	ID           string
	Subject      string
	HouseholdID  string
	TownshipCode string
	Level        string
	State        State
	OpenedOn     time.Time
	DispatchedOn time.Time
	Deadline     time.Time
	ClosedOn     time.Time
	Outcome      string
	// Version grows when the case's hits or level change; dispatch compares
	// it with DispatchedVersion to list only new or changed cases.
	Version           int
	DispatchedVersion int
	// Assigned: the county gave the case to its township (分派) — to a
	// township it could not find, or to another township to cross-check a
	// recusal case (交叉核查).
	Assigned bool
	Hits     []CaseHit
}

// Suppression keeps a rule from warning the same person of a subject again
// until a date, after a case was closed, unless the evidence worsens.
type Suppression struct {
	Subject  string
	RuleID   string
	IDNumber string
	Until    time.Time
	Severity float64
}

// Escalation raises a case's level when it carries hits of several rules.
type Escalation struct {
	MinRules int
	Level    string
}

// Plan is what an evaluation changes.
type Plan struct {
	New        []*Case // to create; the store assigns their ids
	Updated    []*Case // open cases whose hits or level changed (Version bumped)
	Refreshed  []*Case // open cases whose hits were seen again or stopped firing; nothing a township must hear
	Suppressed []Hit   // hits held back by a suppression
}

// MakePlan merges today's hits into the open cases. open holds the cases in
// state new or dispatched, at most one per subject.
func MakePlan(asOf time.Time, hits []Hit, open []*Case, sup []Suppression, esc Escalation) Plan {
	return MakePlanHeld(asOf, hits, open, sup, esc, nil)
}

// Held says whether a rule's verdict on a person is unknown tonight: the
// whole rule was held back (a source it reads failed, is degraded or never
// loaded), or that person's own rows are in quarantine. nil holds nothing.
type Held func(ruleID, idNumber, householdID string) bool

// MakePlanHeld is MakePlan on a night when some rules, or some rules for
// some people, were held back: their verdict tonight is unknown, so their
// hits already on open cases neither stop firing nor refresh. The caller
// leaves held hits out of hits.
func MakePlanHeld(asOf time.Time, hits []Hit, open []*Case, sup []Suppression, esc Escalation, held Held) Plan {
	if held == nil {
		held = func(string, string, string) bool { return false }
	}
	byKey := map[[3]string]Suppression{}
	for _, s := range sup {
		if asOf.After(s.Until) {
			continue
		}
		// A key closed more than once: the longest quiet and the worst
		// evidence seen so far hold, whatever order they were read in.
		k := [3]string{s.Subject, s.RuleID, s.IDNumber}
		if old, ok := byKey[k]; ok {
			if old.Until.After(s.Until) {
				s.Until = old.Until
			}
			s.Severity = max(s.Severity, old.Severity)
		}
		byKey[k] = s
	}
	bySubject := map[string]*Case{}
	for _, c := range open {
		bySubject[c.Subject] = c
	}
	var plan Plan
	grouped := map[string][]Hit{}
	var subjects []string
	for _, h := range hits {
		if s, ok := byKey[[3]string{h.Subject(), h.RuleID, h.IDNumber}]; ok && h.Severity <= s.Severity {
			plan.Suppressed = append(plan.Suppressed, h)
			continue
		}
		if _, seen := grouped[h.Subject()]; !seen {
			subjects = append(subjects, h.Subject())
		}
		grouped[h.Subject()] = append(grouped[h.Subject()], h)
	}
	sort.Strings(subjects)
	for _, subj := range subjects {
		hs := grouped[subj]
		c, ok := bySubject[subj]
		if !ok {
			if onlyMarks(hs) {
				continue // a mark never opens a case by itself
			}
			c = &Case{Subject: subj, HouseholdID: hs[0].HouseholdID, TownshipCode: township(hs),
				State: StateNew, OpenedOn: asOf, Version: 1}
			for _, h := range hs {
				c.Hits = append(c.Hits, newCaseHit(h, asOf))
			}
			if routed(c) {
				c.TownshipCode = ""
			}
			c.Level = level(c, esc)
			plan.New = append(plan.New, c)
			continue
		}
		if merge(c, hs, asOf, esc, held) {
			c.Version++
			plan.Updated = append(plan.Updated, c)
		} else {
			plan.Refreshed = append(plan.Refreshed, c)
		}
	}
	// Open cases with no hit today: their hits stop firing (the case stays
	// open until the township reports; the hits stay as evidence).
	for _, c := range open {
		if _, ok := grouped[c.Subject]; ok {
			continue
		}
		stopped := false
		for i := range c.Hits {
			if c.Hits[i].Active && !held(c.Hits[i].RuleID, c.Hits[i].IDNumber, c.HouseholdID) {
				c.Hits[i].Active = false
				stopped = true
			}
		}
		if stopped {
			plan.Refreshed = append(plan.Refreshed, c)
		}
	}
	return plan
}

func newCaseHit(h Hit, asOf time.Time) CaseHit {
	return CaseHit{RuleID: h.RuleID, IDNumber: h.IDNumber, RuleVersion: h.RuleVersion, Level: h.Level,
		Reason: h.Reason, Facts: h.Facts, Evidence: h.Evidence, Severity: h.Severity,
		FirstSeen: asOf, LastSeen: asOf, Active: true, Mark: h.Mark, Route: h.Route}
}

// onlyMarks reports whether a subject's hits are all marks.
func onlyMarks(hs []Hit) bool {
	for _, h := range hs {
		if !h.Mark {
			return false
		}
	}
	return true
}

// township is the registry township of a subject's hits: the first one
// known ("" when none is).
func township(hs []Hit) string {
	for _, h := range hs {
		if h.TownshipCode != "" {
			return h.TownshipCode
		}
	}
	return ""
}

// routed reports whether an active hit of the case sends it to the
// county's own queue.
func routed(c *Case) bool {
	for _, h := range c.Hits {
		if h.Active && h.Route == RouteCounty {
			return true
		}
	}
	return false
}

// merge folds today's hits into an open case and reports whether the case
// changed in a way a township must hear about: a new hit or a new level.
// Hits seen again only refresh their facts and reasons.
func merge(c *Case, hs []Hit, asOf time.Time, esc Escalation, held Held) bool {
	changed := false
	idx := map[[2]string]int{}
	for i, ch := range c.Hits {
		idx[[2]string{ch.RuleID, ch.IDNumber}] = i
	}
	seen := map[int]bool{}
	for _, h := range hs {
		i, ok := idx[[2]string{h.RuleID, h.IDNumber}]
		if !ok {
			c.Hits = append(c.Hits, newCaseHit(h, asOf))
			seen[len(c.Hits)-1] = true
			changed = true
			continue
		}
		ch := &c.Hits[i]
		seen[i] = true
		if !ch.Active {
			changed = true // it fires again
		}
		ch.Active, ch.LastSeen = true, asOf
		ch.RuleVersion, ch.Level, ch.Reason = h.RuleVersion, h.Level, h.Reason
		ch.Facts, ch.Evidence, ch.Severity = h.Facts, h.Evidence, h.Severity
		ch.Mark, ch.Route = h.Mark, h.Route
	}
	for i := range c.Hits {
		if !seen[i] && c.Hits[i].Active && !held(c.Hits[i].RuleID, c.Hits[i].IDNumber, c.HouseholdID) {
			c.Hits[i].Active = false // no longer fires; kept as evidence
		}
	}
	// A case routed to the county's own queue (recusal) never goes to the
	// household's own township while the hit routing it is active (or held
	// tonight); a township the county gave it to (Assigned) to cross-check
	// keeps it, any other desk (the township of a household that moved)
	// gives it up. Otherwise a household that moved goes to its new
	// township. Either way the new desk must hear of it.
	home, desk := township(hs), c.TownshipCode
	switch {
	case routed(c):
		if !c.Assigned || desk == home {
			desk = ""
		}
	case home != "":
		desk = home
	}
	if desk != c.TownshipCode {
		c.TownshipCode = desk
		changed = true
	}
	if lv := level(c, esc); lv != c.Level {
		// Only a rise is news; a case never drops below what was sent.
		if lvl.Rank(lv) > lvl.Rank(c.Level) {
			changed = true
			c.Level = lv
		}
	}
	return changed
}

// level is the case's level: the most severe active hit, raised by the
// escalation when active hits come from enough distinct rules.
func level(c *Case, esc Escalation) string {
	lv := ""
	rules := map[string]bool{}
	for _, h := range c.Hits {
		if !h.Active || h.Mark {
			continue
		}
		lv = MaxLevel(lv, h.Level)
		rules[h.RuleID] = true
	}
	if esc.MinRules > 0 && len(rules) >= esc.MinRules {
		lv = MaxLevel(lv, esc.Level)
	}
	if lv == "" {
		lv = c.Level
	}
	return lv
}
