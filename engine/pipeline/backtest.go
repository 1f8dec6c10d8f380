package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/rule"
)

// A rules backtest replays the rules at past dates over the data as it
// was known then, and sets what they would have raised beside what the
// townships found when they verified those households.
//
//   - Dates: From, From+Every, … up to To (To itself always included).
//     Each is evaluated as a night would at that as_of (the params in
//     force that day), over the rows loaded by the end of that day in the
//     county's zone (evaluate.Evaluator.KnownBy). One more date, Every
//     before From, is evaluated first: what already fired then is
//     "standing" and not counted as raised in the period.
//   - A warning is raised on a date when a rule fires for a household (a
//     person without a household stands for herself) and did not on the
//     date before. A warning that goes on firing is raised once; one that
//     stops and fires again is raised again. Evaluation dates Every apart
//     miss a hit that came and went between two of them.
//   - No rule is held and no suppression applies: the backtest asks what
//     the rules say, not what the night would have let through. Reports
//     from the ground are not rules and are left out.
//   - A raised warning's outcome is that of the household's case the real
//     nights had open on that date, else the first one they opened after
//     it — whichever rule opened it: the township verified the household.
//     Without such a case the warning was never listed (a new or changed
//     rule's warnings usually are not: their yield is unknown).

// BacktestOptions says what to replay.
type BacktestOptions struct {
	// From and To are the first and last evaluation dates (To ≥ From).
	From, To time.Time
	// EveryDays is the number of days between evaluation dates (≥ 1).
	EveryDays int
	// Pack is the rules to replay; nil means the pipeline's own (the
	// working rule files).
	Pack *rule.Pack
	// AllData evaluates every date over all the rows the store holds now,
	// not only those loaded by then: for a store whose history was loaded
	// in one go (the facts' windows still only count records dated on or
	// before each date, but a record that arrived late counts early).
	AllData bool
	// Progress, when set, is told before each date is evaluated (i of n,
	// counting from 1; the warm-up date is 0).
	Progress func(day time.Time, i, n int)
}

// BacktestCount is what became of some raised warnings: the counts of
// the warning yield (dispatch.YieldCount: Warnings is the number raised,
// Closed the verified ones, Yield the precision; Overdue is not kept) and
// the warnings whose household the real nights never listed.
type BacktestCount struct {
	dispatch.YieldCount
	Unlisted int
}

func (c *BacktestCount) add(o BacktestCount) {
	c.YieldCount.Add(o.YieldCount)
	c.Unlisted += o.Unlisted
}

// BacktestRow counts the warnings of one rule raised in one month in one
// township (route.CountyQueue: the county's queue). Month is "2006-01";
// a total has Month or Township "".
type BacktestRow struct {
	Month, Township, Rule string
	BacktestCount
}

// BacktestDate is one evaluation date of a backtest.
type BacktestDate struct {
	Day    time.Time
	Warmup bool  // the date before From
	Rows   int64 // dataset rows known by the end of the day, all datasets
	People int   // people the rules were evaluated for
	Hits   int   // households (or persons) with a hit of some rule
	Raised int   // warnings raised that day (0 on the warm-up date)
}

// BacktestWarning is one raised warning.
type BacktestWarning struct {
	Day      time.Time
	Rule     string
	Subject  string // 户号, or "P:" + ID number
	Township string
	Class    string // dispatch.OutcomeClass of its case's outcome; "open"; or "" never listed
	CaseID   string // the real case it was matched to, "" when none
}

// Backtest is a replay's result.
type Backtest struct {
	From, To  time.Time
	EveryDays int
	AllData   bool
	// FirstLoad is when the store's oldest row was loaded (zero when it
	// holds none): dates before it know nothing.
	FirstLoad time.Time
	Dates     []BacktestDate // the warm-up date first
	// Standing counts, per rule, the households it already fired for on
	// the warm-up date.
	Standing map[string]int
	Rows     []BacktestRow // by month, township, rule; only rules that raised something
	Rules    []BacktestRow // per rule over the period, every enabled rule, in pack order
	Warnings []BacktestWarning
}

// ErrBacktestOptions is wrapped by Backtest's errors about its options.
var ErrBacktestOptions = errors.New("backtest")

// maxBacktestDates bounds a backtest (ten years of weekly dates).
const maxBacktestDates = 520

// Backtest replays the rules at past dates (see BacktestOptions). It
// writes nothing.
func (p *Pipeline) Backtest(ctx context.Context, o BacktestOptions) (*Backtest, error) {
	pack := cmp.Or(o.Pack, p.Pack)
	if o.EveryDays < 1 {
		return nil, fmt.Errorf("%w: the step between dates must be at least one day", ErrBacktestOptions)
	}
	from, to := civil(o.From), civil(o.To)
	if to.Before(from) {
		return nil, fmt.Errorf("%w: --to %s is before --from %s", ErrBacktestOptions, to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	var days []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, o.EveryDays) {
		days = append(days, d)
	}
	if !days[len(days)-1].Equal(to) {
		days = append(days, to)
	}
	if len(days) > maxBacktestDates {
		return nil, fmt.Errorf("%w: %d evaluation dates (at most %d): take a longer step", ErrBacktestOptions, len(days), maxBacktestDates)
	}
	warm := from.AddDate(0, 0, -o.EveryDays)
	heads, err := p.Store.CaseHeadsWhere(ctx, "", "", "")
	if err != nil {
		return nil, err
	}
	bySubject := map[string][]*cases.Case{}
	for _, c := range heads {
		bySubject[c.Subject] = append(bySubject[c.Subject], c)
	}
	for _, cs := range bySubject {
		slices.SortFunc(cs, func(a, b *cases.Case) int { return cmp.Or(a.OpenedOn.Compare(b.OpenedOn), cmp.Compare(a.ID, b.ID)) })
	}
	bt := &Backtest{From: from, To: to, EveryDays: o.EveryDays, AllData: o.AllData, Standing: map[string]int{}}
	if bt.FirstLoad, err = evaluate.FirstLoad(ctx, p.Store.DB()); err != nil {
		return nil, err
	}
	var prev map[[2]string]string // (rule, subject) -> township, on the date before
	rows := map[[3]string]*BacktestCount{}
	perRule := map[string]*BacktestCount{}
	for i, day := range append([]time.Time{warm}, days...) {
		if o.Progress != nil {
			o.Progress(day, i, len(days))
		}
		var known time.Time
		if !o.AllData {
			known = p.endOfDay(day)
		}
		n, err := evaluate.KnownRows(ctx, p.Store.DB(), known)
		if err != nil {
			return nil, err
		}
		ev := &evaluate.Evaluator{Store: p.Store, Pack: pack, Logger: p.logger(), KnownBy: known, RulesOnly: true}
		res, err := ev.Hits(ctx, day)
		if err != nil {
			return nil, fmt.Errorf("backtest at %s: %w", day.Format(time.DateOnly), err)
		}
		now := map[[2]string]string{}
		for _, h := range res.Hits {
			if h.Mark {
				continue // a mark is not a warning: it rides on one
			}
			now[[2]string{h.RuleID, h.Subject()}] = p.Router.Township(h.TownshipCode)
		}
		bd := BacktestDate{Day: day, Warmup: i == 0, People: res.People, Hits: len(subjects(now))}
		for _, c := range n {
			bd.Rows += c
		}
		if i == 0 {
			for k := range now {
				bt.Standing[k[0]]++
			}
		} else {
			for _, k := range slices.SortedFunc(maps.Keys(now), compareKeys) {
				if _, before := prev[k]; before {
					continue
				}
				w := BacktestWarning{Day: day, Rule: k[0], Subject: k[1], Township: now[k]}
				var cnt BacktestCount
				switch c := matchCase(bySubject[k[1]], day); {
				case c == nil:
					cnt.Warnings, cnt.Unlisted = 1, 1
				case c.State != cases.StateClosed:
					w.CaseID, w.Class = c.ID, "open"
					cnt.Count("", true, false)
				default:
					w.CaseID, w.Class = c.ID, dispatch.OutcomeClass(c.Outcome)
					cnt.Count(w.Class, false, false)
				}
				bt.Warnings = append(bt.Warnings, w)
				bd.Raised++
				rk := [3]string{day.Format("2006-01"), w.Township, w.Rule}
				if rows[rk] == nil {
					rows[rk] = &BacktestCount{}
				}
				rows[rk].add(cnt)
				if perRule[w.Rule] == nil {
					perRule[w.Rule] = &BacktestCount{}
				}
				perRule[w.Rule].add(cnt)
			}
		}
		bt.Dates = append(bt.Dates, bd)
		prev = now
	}
	for _, k := range slices.SortedFunc(maps.Keys(rows), func(a, b [3]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
	}) {
		bt.Rows = append(bt.Rows, BacktestRow{Month: k[0], Township: k[1], Rule: k[2], BacktestCount: *rows[k]})
	}
	for _, r := range pack.Rules {
		if !r.Enabled || r.Mark { // a mark is not a warning
			continue
		}
		row := BacktestRow{Rule: r.ID}
		if c := perRule[r.ID]; c != nil {
			row.BacktestCount = *c
		}
		bt.Rules = append(bt.Rules, row)
	}
	return bt, nil
}

// matchCase is the case of cs (one subject's, by opening date) open on
// day, else the first opened after it; nil when there is none.
func matchCase(cs []*cases.Case, day time.Time) *cases.Case {
	for _, c := range cs {
		if !c.OpenedOn.After(day) && (c.State != cases.StateClosed || !c.ClosedOn.Before(day)) {
			return c
		}
	}
	i := sort.Search(len(cs), func(i int) bool { return cs[i].OpenedOn.After(day) })
	if i < len(cs) {
		return cs[i]
	}
	return nil
}

// endOfDay is the first moment after day in the county's zone: the
// data of a past date are the rows loaded before it.
func (p *Pipeline) endOfDay(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, p.Cfg.Location())
}

// civil is t's calendar date at midnight UTC, as as_of dates are.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func subjects(m map[[2]string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k[1]] = true
	}
	return out
}

func compareKeys(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }
