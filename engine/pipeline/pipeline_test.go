package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	_ "github.com/lipwatch/lipwatch/connectors/all"
	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/gen"
	"github.com/lipwatch/lipwatch/engine/store"
)

// signalRule is the default rule pack's rule for each planted signal.
var signalRule = map[string]string{
	gen.SignalMedicalOOP:          "MED-OOP-UNCOVERED",
	gen.SignalDisabilityNew:       "DIS-NEW-SEVERE-UNCOVERED",
	gen.SignalUnemployedLowIncome: "UNEMP-LOWINC-UNCOVERED",
	gen.SignalFisherUnresettled:   "FISHER-UNRESETTLED",
	gen.SignalDeceasedRecipient:   "INTEGRITY-DECEASED-RECIPIENT",
	// Issue 13: integrity from assets and employment.
	gen.SignalVehicleRecipient:        "INTEGRITY-VEHICLE",
	gen.SignalPropertyRecipient:       "INTEGRITY-PROPERTY",
	gen.SignalBusinessRecipient:       "INTEGRITY-BUSINESS",
	gen.SignalFamilyShopRecipient:     "INTEGRITY-FAMILY-SHOP",
	gen.SignalPublicEmployeeRecipient: "INTEGRITY-PUBLIC-EMPLOYEE",
	gen.SignalSteadyWageRecipient:     "INTEGRITY-STEADY-WAGE",
	// Issue 13: medical lines, rigid spending, recusal.
	gen.SignalMedicalOOPRelative: "MED-OOP-RELATIVE-UNCOVERED",
	gen.SignalMedicalSingleStay:  "MED-SINGLE-STAY-UNCOVERED",
	gen.SignalRigidSpending:      "RIGID-SPENDING-UNCOVERED",
	gen.SignalRigidReviewOverdue: "RIGID-REVIEW-OVERDUE",
	gen.SignalRecusalAided:       "RECUSAL-AIDED",
}

// markRule is the default rule pack's mark rule for each planted mark
// (issue 13, recusal): a mark never opens a case nor counts for its level
// or escalation; it rides on the case another rule opens for the household.
var markRule = map[string]string{
	gen.MarkRouteCounty: "RECUSAL-ROUTE-COUNTY",
	gen.MarkNote:        "RECUSAL-NOTE",
}

// isMarkRule reports a mark rule's id.
func isMarkRule(id string) bool {
	for _, m := range markRule {
		if m == id {
			return true
		}
	}
	return false
}

type county struct {
	p     *Pipeline
	truth gen.Truth
	day   time.Time
	out   string
}

func openCounty(t *testing.T) *county {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "county.duckdb"))
	t.Setenv("LIPWATCH_DISPATCH_DIR", filepath.Join(dir, "lists"))
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), cfg, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	b, err := os.ReadFile("../../testdata/county/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	c := &county{p: p, out: filepath.Join(dir, "lists")}
	if err := json.Unmarshal(b, &c.truth); err != nil {
		t.Fatal(err)
	}
	c.day, _ = time.Parse(time.DateOnly, c.truth.Options.AsOf)
	return c
}

// signalLevel is the level issue 3 asks for each signal; two or more
// signals in one household make a case red. Fixed here, not read from the
// rule pack under test, so a rule file that changes a level fails the test.
var signalLevel = map[string]string{
	"MED-OOP-UNCOVERED": "orange", "DIS-NEW-SEVERE-UNCOVERED": "orange",
	"UNEMP-LOWINC-UNCOVERED": "yellow", "FISHER-UNRESETTLED": "yellow", "INTEGRITY-DECEASED-RECIPIENT": "red",
	"INTEGRITY-VEHICLE": "orange", "INTEGRITY-PROPERTY": "orange", "INTEGRITY-BUSINESS": "orange",
	"INTEGRITY-FAMILY-SHOP": "yellow", "INTEGRITY-PUBLIC-EMPLOYEE": "orange", "INTEGRITY-STEADY-WAGE": "orange",
	"MED-OOP-RELATIVE-UNCOVERED": "orange", "MED-SINGLE-STAY-UNCOVERED": "orange",
	"RIGID-SPENDING-UNCOVERED": "orange", "RIGID-REVIEW-OVERDUE": "orange", "RECUSAL-AIDED": "yellow",
}

// householdRules are the rules of scope household: their one hit per
// household is on its head (户主), whoever of it holds what the rule saw
// (truth names the member).
var householdRules = map[string]bool{"INTEGRITY-PROPERTY": true, "RIGID-SPENDING-UNCOVERED": true, "RECUSAL-AIDED": true,
	"RIGID-REVIEW-OVERDUE": true}

// expected is the ground truth as cases: subject -> "LEVEL RULE:id,RULE:id".
func (c *county) expected(t *testing.T) map[string]string {
	levels := signalLevel
	want := map[string]string{}
	for _, pl := range c.truth.Planted {
		var hits []cases.Hit
		rules := map[string]bool{}
		lv := ""
		// A household rule hits once: on the head when the head is among the
		// people it holds for, else on the smallest ID number of them.
		onWhom := map[string]string{}
		for _, s := range pl.Signals {
			id := signalRule[s.Signal]
			if !householdRules[id] {
				continue
			}
			if head := c.head(t, pl.HouseholdID); s.IDNumber == head || id != "RIGID-REVIEW-OVERDUE" {
				onWhom[id] = head // the household's own facts: the head
			} else if w, ok := onWhom[id]; !ok || (w != head && s.IDNumber < w) {
				onWhom[id] = s.IDNumber
			}
		}
		for _, s := range pl.Signals {
			id, ok := signalRule[s.Signal]
			if !ok {
				t.Fatalf("no rule for planted signal %s", s.Signal)
			}
			person := s.IDNumber
			if householdRules[id] {
				if rules[id] {
					continue
				}
				person = onWhom[id]
			}
			hits = append(hits, cases.Hit{RuleID: id, IDNumber: person, HouseholdID: pl.HouseholdID})
			rules[id] = true
			lv = cases.MaxLevel(lv, levels[id])
		}
		if len(rules) >= 2 {
			lv = "red"
		}
		want[hits[0].Subject()] = lv + " " + hitList(hits)
	}
	return want
}

// head is the ID number of a household's head (户主) in the registry.
func (c *county) head(t *testing.T, household string) string {
	t.Helper()
	var id string
	if err := c.p.Store.DB().QueryRow(`SELECT min(id_number) FROM registry_current WHERE household_id = ? AND relation = '户主'`,
		household).Scan(&id); err != nil {
		t.Fatalf("head of %s: %v", household, err)
	}
	return id
}

// diffCases lists how the cases differ from the ground truth, sorted.
func diffCases(want, got map[string]string) []string {
	var diff []string
	for s, w := range want {
		if got[s] != w {
			diff = append(diff, fmt.Sprintf("%s: want %q, got %q", s, w, got[s]))
		}
	}
	for s, g := range got {
		if _, ok := want[s]; !ok {
			diff = append(diff, fmt.Sprintf("%s: warned but not planted: %q", s, g))
		}
	}
	sort.Strings(diff)
	return diff
}

func hitList(hs []cases.Hit) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.RuleID+":"+h.IDNumber)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (c *county) actual(t *testing.T) map[string]string {
	open, err := c.p.Store.OpenCases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cs := range open {
		var hs []cases.Hit
		for _, h := range cs.Hits {
			if h.Active && !isMarkRule(h.RuleID) { // marks are no warnings: checkMarks
				hs = append(hs, cases.Hit{RuleID: h.RuleID, IDNumber: h.IDNumber})
			}
		}
		got[cs.Subject] = cs.Level + " " + hitList(hs)
	}
	return got
}

// checkMarks compares the open cases' marks and routing with the ground
// truth: each planted case carries exactly its planted marks (as active
// hits of the mark rules) and is listed for truth's routed_to ("" the
// county's queue); no other case carries a mark.
func (c *county) checkMarks(t *testing.T) {
	t.Helper()
	open, err := c.p.Store.OpenCases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, pl := range c.truth.Planted {
		var marks []string
		for _, m := range pl.Marks {
			id, ok := markRule[m]
			if !ok {
				t.Fatalf("no rule for planted mark %s", m)
			}
			marks = append(marks, id)
		}
		sort.Strings(marks)
		subject := pl.HouseholdID
		if subject == "" {
			subject = "P:" + pl.Signals[0].IDNumber
		}
		want[subject] = strings.Join(marks, ",") + " @" + pl.RoutedTo
	}
	var diff []string
	for _, cs := range open {
		seen := map[string]bool{}
		var marks []string
		for _, h := range cs.Hits {
			if h.Active && isMarkRule(h.RuleID) && !seen[h.RuleID] {
				seen[h.RuleID] = true
				marks = append(marks, h.RuleID)
			}
		}
		sort.Strings(marks)
		got := strings.Join(marks, ",") + " @" + cs.TownshipCode
		if w, ok := want[cs.Subject]; !ok && len(marks) > 0 || ok && w != got {
			diff = append(diff, fmt.Sprintf("%s: want marks and township %q, got %q", cs.Subject, w, got))
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("%d cases differ from the ground truth's marks and routing:\n%s", len(diff), strings.Join(diff, "\n"))
	}
}

// countyQueue is how many planted cases go to the county's own queue: the
// out-of-county people and the cases routed there (recusal).
func (c *county) countyQueue() int {
	n := 0
	for _, pl := range c.truth.Planted {
		if pl.RoutedTo == "" {
			n++
		}
	}
	return n
}

// TestNightlyRunMatchesGroundTruth runs the whole pipeline on the committed
// county: every planted household is warned for the right rules at the
// right level, no other household is, and a second run creates nothing.
func TestNightlyRunMatchesGroundTruth(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	sum, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Sync {
		if r.Err != nil {
			t.Fatalf("source %s: %v", r.Source, r.Err)
		}
	}
	want, got := c.expected(t), c.actual(t)
	if diff := diffCases(want, got); len(diff) > 0 {
		t.Fatalf("%d differences from the ground truth (%d planted, %d cases):\n%s", len(diff), len(want), len(got), strings.Join(diff, "\n"))
	}
	if sum.Dispatch == nil || sum.Dispatch.Cases != len(want) || sum.Dispatch.New != len(want) {
		t.Fatalf("dispatch %+v, want all %d cases new", sum.Dispatch, len(want))
	}
	if want := c.countyQueue(); sum.Dispatch.Townships[""] != want {
		t.Errorf("county queue has %d cases, want %d (the out-of-county people, and the cases routed to the county)",
			sum.Dispatch.Townships[""], want)
	}
	c.checkMarks(t)

	again, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	if e := again.Evaluate; len(e.Plan.New) != 0 || len(e.Plan.Updated) != 0 {
		t.Errorf("second run: %d new, %d updated cases", len(e.Plan.New), len(e.Plan.Updated))
	}
	if again.Dispatch.Cases != 0 {
		t.Errorf("second run dispatched %d cases again", again.Dispatch.Cases)
	}
}

// TestFeedbackClosesCases: a township fills in its list; valid outcomes
// close their cases, bad rows (a blank 核实日期 among them) are rejected
// with reasons and change nothing, and importing again changes nothing.
func TestFeedbackClosesCases(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	sum, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	var list string
	for _, f := range sum.Dispatch.Files {
		if strings.HasPrefix(filepath.Base(f), "340799001_") && strings.HasSuffix(f, ".xlsx") {
			list = f
		}
	}
	if list == "" {
		t.Fatalf("no list for 340799001 in %v", sum.Dispatch.Files)
	}
	f, err := excelize.OpenFile(list)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	header := -1
	col := map[string]int{}
	for i, r := range rows {
		if len(r) > 0 && r[0] == "预警编号" {
			header = i
			for j, h := range r {
				col[h] = j
			}
			break
		}
	}
	if header < 0 || len(rows) < header+7 {
		t.Fatalf("list has too few cases to test: %d rows", len(rows))
	}
	cell := func(row int, name string) string {
		n, _ := excelize.CoordinatesToCellName(col[name]+1, row+1)
		return n
	}
	// Another township's case, typed into this list.
	var foreign string
	all, _ := c.p.Store.CasesWhere(ctx, "340799002", "", "", time.Time{})
	foreign = all[0].ID
	extra := len(rows)
	f.SetCellValue(sheet, cell(extra, "预警编号"), foreign)
	f.SetCellValue(sheet, cell(extra, "核实结果"), "不符合条件")
	f.SetCellValue(sheet, cell(extra, "核实日期"), "2026-11-30")
	var closedIDs, untouched []string
	var blankRow int
	untouched = append(untouched, foreign)
	for i := header + 1; i < len(rows); i++ {
		id := rows[i][0]
		switch i - header {
		case 1:
			f.SetCellValue(sheet, cell(i, "核实结果"), "不符合条件")
			f.SetCellValue(sheet, cell(i, "核实日期"), "2026-12-01")
			closedIDs = append(closedIDs, id)
		case 2:
			f.SetCellValue(sheet, cell(i, "核实结果"), "纳入低保")
			f.SetCellValue(sheet, cell(i, "核实日期"), "2026-11-30")
			closedIDs = append(closedIDs, id)
		case 3:
			f.SetCellValue(sheet, cell(i, "核实结果"), "已核实") // not an allowed outcome
			f.SetCellValue(sheet, cell(i, "核实日期"), "2026-11-30")
			untouched = append(untouched, id)
		case 4:
			f.SetCellValue(sheet, cell(i, "核实结果"), "纳入特困")
			f.SetCellValue(sheet, cell(i, "核实日期"), "2026年2月30日") // not a date
			untouched = append(untouched, id)
		case 5:
			f.SetCellValue(sheet, cell(i, "核实结果"), "不符合条件")
			f.SetCellValue(sheet, cell(i, "核实日期"), "2025-12-01") // a mistyped year: before the dispatch
			untouched = append(untouched, id)
		case 6:
			f.SetCellValue(sheet, cell(i, "核实结果"), "纳入低保") // no 核实日期
			untouched = append(untouched, id)
			blankRow = i + 1 // as Excel numbers it
		default:
			untouched = append(untouched, id)
		}
	}
	returned := filepath.Join(t.TempDir(), "returned.xlsx")
	if err := f.SaveAs(returned); err != nil {
		t.Fatal(err)
	}
	day := c.day.AddDate(0, 0, 3)
	res, err := c.p.Feedback(ctx, day, []string{returned}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed != 2 || len(res.Rejected) != 5 {
		t.Fatalf("closed %d, rejected %v", res.Closed, res.Rejected)
	}
	if len(res.Files) != 1 || res.Files[0].Closed != 2 || res.Files[0].Rejected != 5 {
		t.Errorf("per file: %+v", res.Files)
	}
	reasons := fmt.Sprint(res.Rejected)
	for _, want := range []string{"不属于本表的城关镇", "早于该预警的下发日期", "核实结果",
		fmt.Sprintf("第%d行 未填写核实日期", blankRow)} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no rejection mentioning %q in %s", want, reasons)
		}
	}
	for _, id := range closedIDs {
		cs, err := c.p.Store.Case(ctx, id)
		if err != nil || cs.State != cases.StateClosed {
			t.Errorf("%s not closed: %+v %v", id, cs, err)
		}
	}
	for _, id := range untouched {
		cs, _ := c.p.Store.Case(ctx, id)
		if cs.State != cases.StateDispatched {
			t.Errorf("%s changed to %s by a bad or empty row", id, cs.State)
		}
	}
	again, err := c.p.Feedback(ctx, day, []string{returned}, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Closed != 0 || again.Unchanged != 2 || len(again.Rejected) != 5 {
		t.Errorf("second import: %+v", again)
	}
	// The next night neither closed household is warned again: the
	// evidence has not worsened and the cooldown holds.
	ev, err := c.p.Evaluate(ctx, c.day.AddDate(0, 0, 4), false)
	if err != nil {
		t.Fatal(err)
	}
	// (Four days on, decoys planted a day short of an edge — a 刚性支出困难
	// period a day short of 12 months — may open cases of their own.)
	closedSubjects := map[string]bool{}
	for _, id := range closedIDs {
		cs, _ := c.p.Store.Case(ctx, id)
		closedSubjects[cs.Subject] = true
	}
	for _, n := range ev.Plan.New {
		if closedSubjects[n.Subject] {
			t.Errorf("after closing: %s warned again", n.Subject)
		}
	}
	if len(ev.Plan.Suppressed) == 0 {
		t.Errorf("after closing: no suppressed hits")
	}
}

// TestDryRunChangedCasesAndStaleOutcomes: a dry run writes nothing; a new
// hit joining a dispatched case re-lists it as changed with its first
// deadline; an outcome from the list sent before that hit joined settles
// only the hits that list showed.
func TestDryRunChangedCasesAndStaleOutcomes(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Run(ctx, c.day); err != nil {
		t.Fatal(err)
	}
	counts := func() string {
		var s string
		c.p.Store.DB().QueryRow(`SELECT concat_ws(' ', (SELECT count(*) FROM cases), (SELECT count(*) FROM case_hits),
			(SELECT max(updated_at) FROM cases), (SELECT count(*) FROM suppressions))`).Scan(&s)
		return s
	}
	before := counts()
	if _, err := c.p.Evaluate(ctx, c.day.AddDate(0, 0, 1), true); err != nil {
		t.Fatal(err)
	}
	if after := counts(); after != before {
		t.Fatalf("dry run wrote: %s -> %s", before, after)
	}

	// A new hit joins one dispatched case.
	open, _ := c.p.Store.OpenCases(ctx)
	target := open[0]
	seen := len(target.Hits)
	joined := cases.Hit{RuleID: "TEST-JOINED", RuleVersion: 1, Level: "yellow", Reason: "test", IDNumber: target.Hits[0].IDNumber,
		HouseholdID: target.HouseholdID, TownshipCode: target.TownshipCode, Facts: "{}", Evidence: "{}"}
	var hits []cases.Hit
	for _, h := range target.Hits {
		hits = append(hits, cases.Hit{RuleID: h.RuleID, RuleVersion: h.RuleVersion, Level: h.Level, Reason: h.Reason,
			IDNumber: h.IDNumber, HouseholdID: target.HouseholdID, TownshipCode: target.TownshipCode, Facts: h.Facts, Evidence: h.Evidence})
	}
	plan := cases.MakePlan(c.day.AddDate(0, 0, 1), append(hits, joined), []*cases.Case{target}, nil, cases.Escalation{MinRules: 2, Level: "red"})
	if len(plan.Updated) != 1 {
		t.Fatalf("join: %+v", plan)
	}
	if err := c.p.Store.ApplyPlan(ctx, plan, c.day.AddDate(0, 0, 1), "test"); err != nil {
		t.Fatal(err)
	}

	// The township returns the list it had (before the hit joined): not eligible.
	closed, err := c.p.Store.CloseCase(ctx, store.Closing{CaseID: target.ID, Outcome: "not_eligible", On: c.day.AddDate(0, 0, 2),
		Until: c.day.AddDate(0, 0, 180)})
	if err != nil || !closed {
		t.Fatalf("close: %v %v", closed, err)
	}
	var suppressed int
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM suppressions WHERE case_id = ?`, target.ID).Scan(&suppressed)
	if suppressed != seen {
		t.Errorf("%d hits suppressed; the township saw %d (the joined hit was never on its list)", suppressed, seen)
	}

	// Another case changes and is re-sent as changed, keeping its deadline.
	open, _ = c.p.Store.OpenCases(ctx)
	other := open[0]
	moved := cases.Hit{RuleID: "TEST-JOINED", RuleVersion: 1, Level: "yellow", Reason: "test", IDNumber: other.Hits[0].IDNumber,
		HouseholdID: other.HouseholdID, TownshipCode: other.TownshipCode, Facts: "{}", Evidence: "{}"}
	plan = cases.MakePlan(c.day.AddDate(0, 0, 3), []cases.Hit{moved}, []*cases.Case{other}, nil, cases.Escalation{})
	if err := c.p.Store.ApplyPlan(ctx, plan, c.day.AddDate(0, 0, 3), "test"); err != nil {
		t.Fatal(err)
	}
	d, err := c.p.Dispatch(ctx, c.day.AddDate(0, 0, 3), false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Cases != 1 || d.Changed != 1 || d.New != 0 {
		t.Fatalf("re-dispatch: %+v", d)
	}
	again, _ := c.p.Store.Case(ctx, other.ID)
	if !again.Deadline.Equal(other.Deadline) || !again.DispatchedOn.Equal(other.DispatchedOn) {
		t.Errorf("re-sent case got a new clock: %s/%s, was %s/%s", again.DispatchedOn, again.Deadline, other.DispatchedOn, other.Deadline)
	}
}
