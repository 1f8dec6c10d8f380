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
)

// signalRule is the default rule pack's rule for each planted signal.
var signalRule = map[string]string{
	gen.SignalMedicalOOP:          "MED-OOP-UNCOVERED",
	gen.SignalDisabilityNew:       "DIS-NEW-SEVERE-UNCOVERED",
	gen.SignalUnemployedLowIncome: "UNEMP-LOWINC-UNCOVERED",
	gen.SignalFisherUnresettled:   "FISHER-UNRESETTLED",
	gen.SignalDeceasedRecipient:   "INTEGRITY-DECEASED-RECIPIENT",
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

// expected is the ground truth as cases: subject -> "LEVEL RULE:id,RULE:id".
func (c *county) expected(t *testing.T) map[string]string {
	levels := map[string]string{}
	for _, r := range c.p.Pack.Rules {
		levels[r.ID] = r.Level
	}
	want := map[string]string{}
	for _, pl := range c.truth.Planted {
		var hits []cases.Hit
		rules := map[string]bool{}
		lv := ""
		for _, s := range pl.Signals {
			id, ok := signalRule[s.Signal]
			if !ok {
				t.Fatalf("no rule for planted signal %s", s.Signal)
			}
			hits = append(hits, cases.Hit{RuleID: id, IDNumber: s.IDNumber, HouseholdID: pl.HouseholdID})
			rules[id] = true
			lv = cases.MaxLevel(lv, levels[id])
		}
		if esc := c.p.Pack.Escalation; esc.MinRules > 0 && len(rules) >= esc.MinRules {
			lv = cases.MaxLevel(lv, esc.Level)
		}
		want[hits[0].Subject()] = lv + " " + hitList(hits)
	}
	return want
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
			if h.Active {
				hs = append(hs, cases.Hit{RuleID: h.RuleID, IDNumber: h.IDNumber})
			}
		}
		got[cs.Subject] = cs.Level + " " + hitList(hs)
	}
	return got
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
	if len(diff) > 0 {
		t.Fatalf("%d differences from the ground truth (%d planted, %d cases):\n%s", len(diff), len(want), len(got), strings.Join(diff, "\n"))
	}
	if sum.Dispatch == nil || sum.Dispatch.Cases != len(want) || sum.Dispatch.New != len(want) {
		t.Fatalf("dispatch %+v, want all %d cases new", sum.Dispatch, len(want))
	}
	if sum.Dispatch.Townships[""] != c.truth.Counts.OutOfCounty {
		t.Errorf("county queue has %d cases, want the %d out-of-county people", sum.Dispatch.Townships[""], c.truth.Counts.OutOfCounty)
	}

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
// close their cases, bad rows are rejected with reasons and change
// nothing, and importing again changes nothing.
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
	if header < 0 || len(rows) < header+4 {
		t.Fatalf("list has too few cases to test: %d rows", len(rows))
	}
	cell := func(row int, name string) string {
		n, _ := excelize.CoordinatesToCellName(col[name]+1, row+1)
		return n
	}
	var closedIDs, untouched []string
	for i := header + 1; i < len(rows); i++ {
		id := rows[i][0]
		switch i - header {
		case 1:
			f.SetCellValue(sheet, cell(i, "核实结果"), "不符合条件")
			f.SetCellValue(sheet, cell(i, "核实日期"), "2026-12-01")
			closedIDs = append(closedIDs, id)
		case 2:
			f.SetCellValue(sheet, cell(i, "核实结果"), "纳入低保")
			closedIDs = append(closedIDs, id)
		case 3:
			f.SetCellValue(sheet, cell(i, "核实结果"), "已核实") // not an allowed outcome
			untouched = append(untouched, id)
		case 4:
			f.SetCellValue(sheet, cell(i, "核实结果"), "纳入特困")
			f.SetCellValue(sheet, cell(i, "核实日期"), "2026年2月30日") // not a date
			untouched = append(untouched, id)
		default:
			untouched = append(untouched, id)
		}
	}
	returned := filepath.Join(t.TempDir(), "returned.xlsx")
	if err := f.SaveAs(returned); err != nil {
		t.Fatal(err)
	}
	day := c.day.AddDate(0, 0, 3)
	res, err := c.p.Feedback(ctx, day, []string{returned})
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed != 2 || len(res.Rejected) != 2 {
		t.Fatalf("closed %d, rejected %v", res.Closed, res.Rejected)
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
	again, err := c.p.Feedback(ctx, day, []string{returned})
	if err != nil {
		t.Fatal(err)
	}
	if again.Closed != 0 || again.Unchanged != 2 || len(again.Rejected) != 2 {
		t.Errorf("second import: %+v", again)
	}
	// The next night neither closed household is warned again: the
	// evidence has not worsened and the cooldown holds.
	ev, err := c.p.Evaluate(ctx, c.day.AddDate(0, 0, 4), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Plan.New) != 0 || len(ev.Plan.Suppressed) == 0 {
		t.Errorf("after closing: %d new cases, %d suppressed hits", len(ev.Plan.New), len(ev.Plan.Suppressed))
	}
}
