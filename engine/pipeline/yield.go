package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/route"
)

// Warning yield (预警核实成效): of the warnings the nights really raised,
// how many ended enrolled, given aid, stopped, not eligible or
// unreachable, and how many are still open — per rule, township and month.
//
//   - A warning is a case (one household's, or a person's without a
//     household) carrying a hit of a rule. A case with hits of two rules
//     is a warning of each: it counts under both rules (a rule's count is
//     the households it warned). Totals over rules (per township, the
//     period's total) count each case once. Reports from the ground
//     (evaluate.GroundRule) count as their own rule.
//   - A warning belongs to the month its case was opened (OpenedOn) and
//     to the township the case is routed to (route.CountyQueue: the
//     county's own queue). The period is whole months.
//   - Outcomes are as of AsOf: a case closed by then counts in the class
//     of its outcome (dispatch.OutcomeClass; an outcome no class knows as
//     unreachable, as the backtest counts it); any other is open, and
//     overdue when its deadline is before AsOf. Cases opened after AsOf
//     are left out.
//   - Yield = (enrolled + aid + stopped) / (those + not eligible), the
//     rules backtest's precision: unreachable is verified but says
//     nothing. With no warning verified yes or no there is no yield yet.

// YieldOptions says which warnings to count.
type YieldOptions struct {
	// AsOf is the day the outcomes stand at (required).
	AsOf time.Time
	// From and To are the first and last months of the period (any day
	// of each); zero means the twelve months up to AsOf's.
	From, To time.Time
	// OneTownship counts only the warnings routed to Township (a code,
	// or route.CountyQueue for the county's own queue).
	OneTownship bool
	Township    string
}

// YieldRow counts the warnings of one rule, township and month. In a
// total Month, Township or Rule is "" (Township "" is the county queue
// in a row that has a Month).
type YieldRow struct {
	Month, Township string
	Rule, Title     string
	dispatch.YieldCount
}

// Yield is what became of the warnings of a period.
type Yield struct {
	From, To    string // months, "2006-01"
	AsOf        time.Time
	OneTownship bool
	Township    string
	// Rows are per month × township × rule, by month, township (the
	// county queue last) and rule as in Rules; only those with warnings.
	Rows []YieldRow
	// Rules are per rule over the period: every enabled rule of the pack
	// in its order (with none too), then GRID-REPORT, then any other rule
	// a case carries (disabled or removed since), by id.
	Rules []YieldRow
	// Townships are per township over the period, each case once, by
	// code, the county queue last; only those with warnings.
	Townships []YieldRow
	// Total counts each case of the period once.
	Total dispatch.YieldCount
}

// ErrYieldOptions is wrapped by Yield's errors about its options.
var ErrYieldOptions = errors.New("yield")

// maxYieldMonths bounds a period (ten years).
const maxYieldMonths = 120

// Yield counts the warnings of a period (see YieldOptions) from the
// store's cases. It writes nothing.
func (p *Pipeline) Yield(ctx context.Context, o YieldOptions) (*Yield, error) {
	all, err := p.Store.CaseOutlines(ctx)
	if err != nil {
		return nil, err
	}
	return p.YieldOf(all, o)
}

// YieldOf is Yield over cases already loaded with their hits (the
// outlines of CaseOutlines are enough: their rules and marks).
func (p *Pipeline) YieldOf(all []*cases.Case, o YieldOptions) (*Yield, error) {
	if o.AsOf.IsZero() {
		return nil, fmt.Errorf("%w: no as-of date", ErrYieldOptions)
	}
	asOf := civil(o.AsOf)
	from, to := month(o.From), month(o.To)
	if o.From.IsZero() && o.To.IsZero() {
		to = month(asOf)
		from = to.AddDate(0, -11, 0)
	} else if o.From.IsZero() {
		from = to.AddDate(0, -11, 0)
	} else if o.To.IsZero() {
		to = month(asOf)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("%w: --to %s is before --from %s", ErrYieldOptions, to.Format("2006-01"), from.Format("2006-01"))
	}
	if n := monthsBetween(from, to); n > maxYieldMonths {
		return nil, fmt.Errorf("%w: %d months (at most %d): take a shorter period", ErrYieldOptions, n, maxYieldMonths)
	}
	end := to.AddDate(0, 1, 0) // the day after the period
	y := &Yield{From: from.Format("2006-01"), To: to.Format("2006-01"), AsOf: asOf, OneTownship: o.OneTownship, Township: o.Township}
	rows := map[[3]string]*dispatch.YieldCount{}
	perRule := map[string]*dispatch.YieldCount{}
	perTown := map[string]*dispatch.YieldCount{}
	add := func(m map[string]*dispatch.YieldCount, k, class string, open, overdue bool) {
		if m[k] == nil {
			m[k] = &dispatch.YieldCount{}
		}
		m[k].Count(class, open, overdue)
	}
	for _, c := range all {
		opened := civil(c.OpenedOn)
		if opened.Before(from) || !opened.Before(end) || opened.After(asOf) {
			continue
		}
		town := p.Router.Township(c.TownshipCode)
		if o.OneTownship && town != o.Township {
			continue
		}
		// Closed by AsOf, or still open then.
		open := c.State != cases.StateClosed || (!c.ClosedOn.IsZero() && civil(c.ClosedOn).After(asOf))
		class := ""
		if !open {
			class = dispatch.OutcomeClass(c.Outcome)
		}
		overdue := open && route.Overdue(c.Deadline, asOf)
		m := opened.Format("2006-01")
		seen := map[string]bool{}
		for _, h := range c.Hits {
			if h.Mark || seen[h.RuleID] { // a mark is not a warning
				continue
			}
			seen[h.RuleID] = true
			k := [3]string{m, town, h.RuleID}
			if rows[k] == nil {
				rows[k] = &dispatch.YieldCount{}
			}
			rows[k].Count(class, open, overdue)
			add(perRule, h.RuleID, class, open, overdue)
		}
		add(perTown, town, class, open, overdue)
		y.Total.Count(class, open, overdue)
	}

	// The rules' order: the pack's enabled rules (not the marks: a mark is
	// not a warning), the ground's, the rest.
	titles := map[string]string{evaluate.GroundRule: evaluate.GroundTitle}
	var order []string
	for _, r := range p.Pack.Rules {
		titles[r.ID] = r.Title
		if r.Enabled && !r.Mark {
			order = append(order, r.ID)
		}
	}
	if perRule[evaluate.GroundRule] != nil {
		order = append(order, evaluate.GroundRule)
	}
	for _, id := range slices.Sorted(maps.Keys(perRule)) {
		if !slices.Contains(order, id) {
			order = append(order, id)
		}
	}
	rank := map[string]int{}
	for i, id := range order {
		rank[id] = i
		row := YieldRow{Rule: id, Title: titles[id]}
		if c := perRule[id]; c != nil {
			row.YieldCount = *c
		}
		y.Rules = append(y.Rules, row)
	}
	for _, k := range slices.SortedFunc(maps.Keys(rows), func(a, b [3]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), compareTowns(a[1], b[1]), cmp.Compare(rank[a[2]], rank[b[2]]))
	}) {
		y.Rows = append(y.Rows, YieldRow{Month: k[0], Township: k[1], Rule: k[2], Title: titles[k[2]], YieldCount: *rows[k]})
	}
	for _, town := range slices.SortedFunc(maps.Keys(perTown), compareTowns) {
		y.Townships = append(y.Townships, YieldRow{Township: town, YieldCount: *perTown[town]})
	}
	return y, nil
}

// SummaryYield is the yield of the twelve months up to day as the county
// summary's sheet 预警核实成效 shows it.
func (y *Yield) SummaryYield() *dispatch.SummaryYield {
	out := &dispatch.SummaryYield{From: y.From, To: y.To, Total: y.Total}
	for _, r := range y.Rules {
		out.Rules = append(out.Rules, dispatch.YieldRuleRow{Rule: r.Rule, Title: r.Title, YieldCount: r.YieldCount})
	}
	return out
}

// compareTowns orders township codes, the county queue ("") last.
func compareTowns(a, b string) int {
	if (a == route.CountyQueue) != (b == route.CountyQueue) {
		if a == route.CountyQueue {
			return 1
		}
		return -1
	}
	return cmp.Compare(a, b)
}

// month is the first day of t's month (zero for the zero time).
func month(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// monthsBetween counts the months from … to, both included.
func monthsBetween(from, to time.Time) int {
	return (to.Year()-from.Year())*12 + int(to.Month()-from.Month()) + 1
}
