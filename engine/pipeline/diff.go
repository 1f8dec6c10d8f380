package pipeline

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/rule"
)

// Kinds of change a rules diff reports, for one household (or person).
const (
	DiffOpens    = "opens"     // the working rules open a case the live ones do not
	DiffNotOpens = "not_opens" // the live rules open a case the working ones do not
	DiffLevel    = "level"     // its case's level differs
	DiffStops    = "stops"     // a live rule's hit on it would stop firing (its case stays open, the hit inactive)
	DiffStarts   = "starts"    // a working rule's hit on its open case would start firing
)

// DiffChange is one household's (or person's) difference between what
// the live and the working rules would do tonight.
type DiffChange struct {
	Kind     string
	Subject  string // 户号, or the ID number of a person without a household
	Township string // the township it is routed to (route.CountyQueue: the county's queue)
	CaseID   string // its open case, "" for a case that would be new
	Rules    []string
	// From and To are the levels under the live and the working rules
	// ("" where there would be no case).
	From, To string
}

// RulesDiff is what a change of rule files would do tonight.
type RulesDiff struct {
	AsOf    time.Time
	Changes []DiffChange // by township, kind, subject
}

// outlook is what a pack's evaluation would leave: per subject, the open
// case's level, township and active rules.
type outlook struct {
	level, township, caseID string
	rules                   map[string]bool
}

// DiffRules evaluates the store at day with the live pack and with the
// pipeline's own (the working rule files), both as the night would (the
// same held rules and data gaps, suppressions, escalation), writing
// nothing, and returns every household whose case would differ.
func (p *Pipeline) DiffRules(ctx context.Context, day time.Time, live *rule.Pack) (*RulesDiff, error) {
	return p.DiffPacks(ctx, day, live, p.Pack)
}

// DiffPacks is DiffRules with working rule files other than the
// pipeline's own (a candidate copy), leaving the pipeline's untouched.
func (p *Pipeline) DiffPacks(ctx context.Context, day time.Time, live, working *rule.Pack) (*RulesDiff, error) {
	h, err := p.CheckHealth(ctx)
	if err != nil {
		return nil, err
	}
	before, err := p.outlook(ctx, day, live, h)
	if err != nil {
		return nil, err
	}
	after, err := p.outlook(ctx, day, working, h)
	if err != nil {
		return nil, err
	}
	d := &RulesDiff{AsOf: day}
	for _, s := range slices.Sorted(maps.Keys(mergeKeys(before, after))) {
		b, inB := before[s]
		a, inA := after[s]
		town := cmp.Or(a.township, b.township)
		add := func(kind, from, to string, rules []string) {
			d.Changes = append(d.Changes, DiffChange{Kind: kind, Subject: s, Township: town, CaseID: cmp.Or(a.caseID, b.caseID),
				Rules: rules, From: from, To: to})
		}
		switch {
		case inA && !inB:
			add(DiffOpens, "", a.level, sortedRules(a.rules))
			continue
		case inB && !inA:
			add(DiffNotOpens, b.level, "", sortedRules(b.rules))
			continue
		}
		if a.level != b.level {
			add(DiffLevel, b.level, a.level, nil)
		}
		if gone := minus(b.rules, a.rules); len(gone) > 0 {
			add(DiffStops, b.level, a.level, gone)
		}
		if came := minus(a.rules, b.rules); len(came) > 0 {
			add(DiffStarts, b.level, a.level, came)
		}
	}
	slices.SortStableFunc(d.Changes, func(x, y DiffChange) int {
		return cmp.Or(cmp.Compare(x.Township, y.Township), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Subject, y.Subject))
	})
	return d, nil
}

// outlook evaluates pack at day (dry) and returns the open cases the
// night would leave, by subject.
func (p *Pipeline) outlook(ctx context.Context, day time.Time, pack *rule.Pack, h *Health) (map[string]outlook, error) {
	deps, err := evaluate.RuleDatasets(ctx, p.Store.DB(), pack)
	if err != nil {
		return nil, err
	}
	ev := &evaluate.Evaluator{Store: p.Store, Pack: pack, Logger: p.logger(), Held: evaluate.HeldRules(pack, deps, h.Datasets),
		Gaps: h.Gaps, Deps: deps}
	res, err := ev.Evaluate(ctx, day, true)
	if err != nil {
		return nil, err
	}
	open, err := p.Store.OpenCases(ctx)
	if err != nil {
		return nil, err
	}
	bySubject := map[string]*cases.Case{}
	for _, c := range open {
		bySubject[c.Subject] = c
	}
	for _, list := range [][]*cases.Case{res.Plan.Updated, res.Plan.Refreshed, res.Plan.New} {
		for _, c := range list {
			bySubject[c.Subject] = c
		}
	}
	out := map[string]outlook{}
	for s, c := range bySubject {
		o := outlook{level: c.Level, township: p.Router.Township(c.TownshipCode), caseID: c.ID, rules: map[string]bool{}}
		for _, ch := range c.Hits {
			if ch.Active {
				o.rules[ch.RuleID] = true
			}
		}
		out[s] = o
	}
	return out, nil
}

func mergeKeys(a, b map[string]outlook) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func sortedRules(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// minus is the rules of a not in b, sorted.
func minus(a, b map[string]bool) []string {
	var out []string
	for r := range a {
		if !b[r] {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}
