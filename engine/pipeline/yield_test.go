package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// yieldCounty is the synthetic county after one night with outcomes
// returned for some of its cases, and a report from the ground:
//
//   - five single-rule medical cases: 低保, 特困 (verified 2026-12-10,
//     after the night), 临时救助, 不符合条件, 无法联系 — yield 3/4 once
//     the 特困 counts, 2/3 before;
//   - two single-rule integrity cases: 已停发, 不符合条件 — yield 1/2;
//   - one single-rule case of a third rule X: 无法联系 — no yield yet;
//   - a case of two rules A and B (neither medical nor integrity nor X):
//     刚性支出困难 — enrolled under both rules, each yield 1/1;
//   - a ground report opening a case of its own: 临时救助;
//   - one more open single-rule medical case moved to October.
type yieldCounty struct {
	*county
	med, integrity, x, a, b string
	pair, ground, october   *cases.Case
	closed                  map[string]string // case id -> outcome
	closedOn                map[string]time.Time
}

func openYieldCounty(t *testing.T) *yieldCounty {
	t.Helper()
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Run(ctx, c.day); err != nil {
		t.Fatal(err)
	}
	y := &yieldCounty{county: c, med: "MED-OOP-UNCOVERED", integrity: "INTEGRITY-DECEASED-RECIPIENT",
		closed: map[string]string{}, closedOn: map[string]time.Time{}}
	all, err := c.p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	single := map[string][]*cases.Case{}
	for _, cs := range all {
		rs := caseRules(cs)
		switch len(rs) {
		case 1:
			single[rs[0]] = append(single[rs[0]], cs)
		case 2:
			if y.pair == nil && !slices.Contains(rs, y.med) && !slices.Contains(rs, y.integrity) {
				y.pair, y.a, y.b = cs, rs[0], rs[1]
			}
		}
	}
	if y.pair == nil {
		t.Fatal("no case of two rules other than the medical and integrity ones")
	}
	for _, r := range c.p.Pack.Rules {
		if r.Enabled && r.ID != y.med && r.ID != y.integrity && r.ID != y.a && r.ID != y.b && len(single[r.ID]) > 0 {
			y.x = r.ID
			break
		}
	}
	if y.x == "" || len(single[y.med]) < 6 || len(single[y.integrity]) < 2 {
		t.Fatalf("the county lacks the single-rule cases the test closes: x %q, %d medical, %d integrity", y.x, len(single[y.med]), len(single[y.integrity]))
	}
	late := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	closeCase := func(cs *cases.Case, outcome string, on time.Time) {
		t.Helper()
		if _, err := c.p.Store.CloseCase(ctx, store.Closing{CaseID: cs.ID, Outcome: outcome, VerifiedBy: "测试", On: on,
			Until: on.AddDate(0, 6, 0)}); err != nil {
			t.Fatal(err)
		}
		y.closed[cs.ID], y.closedOn[cs.ID] = outcome, on
	}
	m := single[y.med]
	closeCase(m[0], "dibao", c.day)
	closeCase(m[1], "tekun", late)
	closeCase(m[2], "temporary", c.day)
	closeCase(m[3], "not_eligible", c.day)
	closeCase(m[4], "unreachable", c.day)
	closeCase(single[y.integrity][0], "stopped", c.day)
	closeCase(single[y.integrity][1], "not_eligible", c.day)
	closeCase(single[y.x][0], "unreachable", c.day)
	closeCase(y.pair, "rigid", c.day)

	// A report from the ground about a person no case holds.
	var stranger string
	if err := c.p.Store.DB().QueryRow(`SELECT min(id_number) FROM registry_current r WHERE status = 'active' AND household_id <> ''
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.subject = r.household_id)`).Scan(&stranger); err != nil || stranger == "" {
		t.Fatalf("no person without a case: %v", err)
	}
	g, err := c.p.FileGroundReport(ctx, c.day, store.GroundReport{ReportedBy: "portal:test", ReportedAt: c.day, IDNumber: stranger,
		Kind: evaluate.GroundKinds[0].Code, Note: "测试"})
	if err != nil {
		t.Fatal(err)
	}
	if !g.New {
		t.Fatalf("the ground report joined case %s", g.CaseID)
	}
	if _, err := c.p.Dispatch(ctx, c.day, false); err != nil {
		t.Fatal(err)
	}
	if y.ground, err = c.p.Store.Case(ctx, g.CaseID); err != nil {
		t.Fatal(err)
	}
	closeCase(y.ground, "temporary", c.day)

	// An open medical case raised in October.
	y.october = m[5]
	if _, err := c.p.Store.DB().Exec(`UPDATE cases SET opened_on = DATE '2026-10-20' WHERE case_id = ?`, y.october.ID); err != nil {
		t.Fatal(err)
	}
	return y
}

// caseRules are the rules a case carries (its warnings, not its marks),
// sorted, each once.
func caseRules(cs *cases.Case) []string {
	var out []string
	for _, h := range cs.Hits {
		if !h.Mark && !slices.Contains(out, h.RuleID) { // a mark is not a warning
			out = append(out, h.RuleID)
		}
	}
	slices.Sort(out)
	return out
}

// planted counts truth's planted households per rule, and per routed
// township.
func (c *county) planted(t *testing.T) (perRule, perTown map[string]int) {
	t.Helper()
	perRule, perTown = map[string]int{}, map[string]int{}
	for _, pl := range c.truth.Planted {
		seen := map[string]bool{}
		for _, s := range pl.Signals {
			id, ok := signalRule[s.Signal]
			if !ok {
				t.Fatalf("no rule for planted signal %s", s.Signal)
			}
			if !seen[id] {
				seen[id] = true
				perRule[id]++
			}
		}
		perTown[c.p.Router.Township(pl.RoutedTo)]++
	}
	return perRule, perTown
}

func ruleRow(t *testing.T, y *Yield, id string) YieldRow {
	t.Helper()
	for _, r := range y.Rules {
		if r.Rule == id {
			return r
		}
	}
	t.Fatalf("no row for rule %s in %+v", id, y.Rules)
	return YieldRow{}
}

// The yield of the synthetic county's warnings, counted on the outcomes
// returned, per rule (a case of two rules under each), per township and
// month, as of a day before and after the deadlines.
func TestYieldCounty(t *testing.T) {
	y := openYieldCounty(t)
	ctx := context.Background()
	perRule, perTown := y.planted(t)
	later := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC) // past every deadline of the night's cases

	got, err := y.p.Yield(ctx, YieldOptions{AsOf: later})
	if err != nil {
		t.Fatal(err)
	}
	if got.From != "2026-02" || got.To != "2027-01" {
		t.Errorf("the period %s … %s, want the twelve months to 2027-01", got.From, got.To)
	}
	// Each rule's open cases were dispatched on the night: overdue now.
	type counts = dispatch.YieldCount
	want := map[string]counts{
		y.med: {Warnings: perRule[y.med], Enrolled: 2, Aid: 1, NotEligible: 1, Unreachable: 1,
			Open: perRule[y.med] - 5, Overdue: perRule[y.med] - 5},
		y.integrity: {Warnings: perRule[y.integrity], Stopped: 1, NotEligible: 1,
			Open: perRule[y.integrity] - 2, Overdue: perRule[y.integrity] - 2},
		y.x:                 {Warnings: perRule[y.x], Unreachable: 1, Open: perRule[y.x] - 1, Overdue: perRule[y.x] - 1},
		y.a:                 {Warnings: perRule[y.a], Enrolled: 1, Open: perRule[y.a] - 1, Overdue: perRule[y.a] - 1},
		y.b:                 {Warnings: perRule[y.b], Enrolled: 1, Open: perRule[y.b] - 1, Overdue: perRule[y.b] - 1},
		evaluate.GroundRule: {Warnings: 1, Aid: 1},
	}
	for id, w := range want {
		if r := ruleRow(t, got, id); r.YieldCount != w {
			t.Errorf("rule %s: %+v, want %+v", id, r.YieldCount, w)
		}
	}
	yields := map[string]float64{y.med: 0.75, y.integrity: 0.5, y.a: 1, y.b: 1, evaluate.GroundRule: 1}
	for id, w := range yields {
		if v, ok := ruleRow(t, got, id).Yield(); !ok || v != w {
			t.Errorf("rule %s yield %v %v, want %v", id, v, ok, w)
		}
	}
	if _, ok := ruleRow(t, got, y.x).Yield(); ok {
		t.Errorf("rule %s has a yield with only an unreachable household verified", y.x)
	}
	// The rules: the pack's enabled rules in order (not the marks), then the ground's.
	var order, wantOrder []string
	for _, r := range got.Rules {
		order = append(order, r.Rule)
	}
	for _, r := range y.p.Pack.Rules {
		if r.Enabled && !r.Mark {
			wantOrder = append(wantOrder, r.ID)
		}
	}
	if wantOrder = append(wantOrder, evaluate.GroundRule); !slices.Equal(order, wantOrder) {
		t.Errorf("rules %v, want %v", order, wantOrder)
	}
	if r := ruleRow(t, got, evaluate.GroundRule); r.Title != evaluate.GroundTitle {
		t.Errorf("the ground's title %q", r.Title)
	}
	// The total counts each household once: 150 planted, the ground's
	// case; 3 enrolled (the pair once), 2 given aid.
	n := len(y.truth.Planted) + 1
	wantTotal := counts{Warnings: n, Enrolled: 3, Aid: 2, Stopped: 1, NotEligible: 2, Unreachable: 2, Open: n - 10, Overdue: n - 10}
	if got.Total != wantTotal {
		t.Errorf("total %+v, want %+v", got.Total, wantTotal)
	}
	if v, _ := got.Total.Yield(); v != 6.0/8 {
		t.Errorf("total yield %v, want 6/8", v)
	}
	var sum int
	for _, r := range got.Rules {
		sum += r.Warnings
	}
	if pairs := sum - got.Total.Warnings; pairs <= 0 {
		t.Errorf("the rules count %d warnings for %d households: a household of two rules is not under both", sum, got.Total.Warnings)
	}
	// Per township: the planted households of each, the ground's case in
	// its own; closed ones by the class of their outcome.
	wantTown := map[string]counts{}
	all, _ := y.p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	for _, cs := range all {
		town := y.p.Router.Township(cs.TownshipCode)
		c := wantTown[town]
		if o, ok := y.closed[cs.ID]; ok {
			c.Count(dispatch.OutcomeClass(o), false, false)
		} else {
			c.Count("", true, true)
		}
		wantTown[town] = c
	}
	perTown[y.p.Router.Township(y.ground.TownshipCode)]++
	var towns []string
	for _, r := range got.Townships {
		towns = append(towns, r.Township)
		if r.YieldCount != wantTown[r.Township] || r.Warnings != perTown[r.Township] {
			t.Errorf("township %q: %+v, want %+v (%d planted)", r.Township, r.YieldCount, wantTown[r.Township], perTown[r.Township])
		}
	}
	if len(towns) != len(perTown) || towns[len(towns)-1] != route.CountyQueue || !slices.IsSorted(towns[:len(towns)-1]) {
		t.Errorf("townships %q: want each of %d by code, the county queue last", towns, len(perTown))
	}
	// Months: the October case alone in its month; the rows add up to
	// the rules.
	octTown := y.p.Router.Township(y.october.TownshipCode)
	byRule := map[string]int{}
	var october []YieldRow
	for _, r := range got.Rows {
		byRule[r.Rule] += r.Warnings
		if r.Month == "2026-10" {
			october = append(october, r)
		} else if r.Month != "2026-11" {
			t.Errorf("a row of month %s", r.Month)
		}
	}
	if len(october) != 1 || october[0].Township != octTown || october[0].Rule != y.med ||
		october[0].YieldCount != (counts{Warnings: 1, Open: 1, Overdue: 1}) {
		t.Errorf("October: %+v, want the one medical case of %s", october, octTown)
	}
	for _, r := range got.Rules {
		if byRule[r.Rule] != r.Warnings {
			t.Errorf("rule %s: the months count %d, the period %d", r.Rule, byRule[r.Rule], r.Warnings)
		}
	}

	// On the night's day: the 特困 verified on 12-10 is open still, no
	// deadline has passed, the period ends in November.
	then, err := y.p.Yield(ctx, YieldOptions{AsOf: y.day})
	if err != nil {
		t.Fatal(err)
	}
	if then.From != "2025-12" || then.To != "2026-11" {
		t.Errorf("the period %s … %s", then.From, then.To)
	}
	med := ruleRow(t, then, y.med)
	if w := (counts{Warnings: perRule[y.med], Enrolled: 1, Aid: 1, NotEligible: 1, Unreachable: 1, Open: perRule[y.med] - 4}); med.YieldCount != w {
		t.Errorf("medical on %s: %+v, want %+v", y.day.Format(time.DateOnly), med.YieldCount, w)
	}
	if v, _ := med.Yield(); v != 2.0/3 {
		t.Errorf("medical yield on the night %v, want 2/3", v)
	}
	if then.Total.Overdue != 0 {
		t.Errorf("%d overdue on the night", then.Total.Overdue)
	}

	// November alone leaves the October case out; one township alone.
	nov, err := y.p.Yield(ctx, YieldOptions{AsOf: later, From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if r := ruleRow(t, nov, y.med); r.Warnings != perRule[y.med]-1 || r.Open != perRule[y.med]-6 || nov.Total.Warnings != n-1 {
		t.Errorf("November: medical %+v, total %+v", r.YieldCount, nov.Total)
	}
	town := y.p.Router.Township(y.pair.TownshipCode)
	one, err := y.p.Yield(ctx, YieldOptions{AsOf: later, OneTownship: true, Township: town})
	if err != nil {
		t.Fatal(err)
	}
	if one.Total != wantTown[town] || len(one.Townships) != 1 || ruleRow(t, one, y.a).Enrolled != 1 {
		t.Errorf("township %s alone: total %+v, want %+v; %d townships", town, one.Total, wantTown[town], len(one.Townships))
	}
	for _, r := range one.Rows {
		if r.Township != town {
			t.Errorf("township %s alone: a row of %q", town, r.Township)
		}
	}

	// Options.
	for _, o := range []YieldOptions{
		{},
		{AsOf: later, From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
		{AsOf: later, From: time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := y.p.Yield(ctx, o); !errors.Is(err, ErrYieldOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// The county summary carries the sheet 预警核实成效 for the twelve months
// to the batch's day, and a rewrite of the batch writes it again as of
// that day.
func TestYieldSummarySheet(t *testing.T) {
	y := openYieldCounty(t)
	ctx := context.Background()
	perRule, _ := y.planted(t)
	day := y.day.AddDate(0, 0, 3) // 2026-12-01: the ground's case is new, the night's not overdue yet
	res, err := y.p.Dispatch(ctx, day, true)
	if err != nil {
		t.Fatal(err)
	}
	var path string
	for _, f := range res.Files {
		if strings.HasPrefix(filepath.Base(f), "汇总_") {
			path = f
		}
	}
	if path == "" {
		t.Fatalf("no summary in %v", res.Files)
	}
	check := func() {
		t.Helper()
		x, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if sheets := x.GetSheetList(); !slices.Equal(sheets, []string{dispatch.SummarySheetName, dispatch.YieldSheetName}) {
			t.Fatalf("sheets %q", sheets)
		}
		rows, _ := x.GetRows(dispatch.YieldSheetName)
		if !strings.Contains(rows[0][0], "2026-01 至 2026-12") {
			t.Errorf("title %q", rows[0][0])
		}
		byRule := map[string][]string{}
		for _, r := range rows[3:] {
			byRule[r[0]] = r
		}
		n := len(y.truth.Planted) + 1
		for id, want := range map[string][]string{
			// 规则, 名称, 预警户数, 纳入, 给予救助, 停发, 不符合条件, 无法联系, 核实中, 逾期, 核实成效
			y.med:               {strconv.Itoa(perRule[y.med]), "1", "1", "0", "1", "1", strconv.Itoa(perRule[y.med] - 4), "0", "66.7%"},
			y.integrity:         {strconv.Itoa(perRule[y.integrity]), "0", "0", "1", "1", "0", strconv.Itoa(perRule[y.integrity] - 2), "0", "50.0%"},
			y.x:                 {strconv.Itoa(perRule[y.x]), "0", "0", "0", "0", "1", strconv.Itoa(perRule[y.x] - 1), "0", dispatch.NoYieldText},
			y.a:                 {strconv.Itoa(perRule[y.a]), "1", "0", "0", "0", "0", strconv.Itoa(perRule[y.a] - 1), "0", "100.0%"},
			evaluate.GroundRule: {"1", "0", "1", "0", "0", "0", "0", "0", "100.0%"},
			"合计":                {strconv.Itoa(n), "2", "2", "1", "2", "2", strconv.Itoa(n - 9), "0", "71.4%"},
		} {
			if got := byRule[id]; len(got) != 11 || !slices.Equal(got[2:], want) {
				t.Errorf("%s: %q, want %q", id, got, want)
			}
		}
	}
	check()
	// The rewrite writes the same as of the batch's day.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := y.p.Rewrite(ctx, res.Batch); err != nil {
		t.Fatal(err)
	}
	check()
}
