package portal

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// 预警核实成效（按规则） on the dashboard: the table, its CSV and its sheet
// are the pipeline's yield; the total counts the households, its classes
// the closed cases' outcomes; a case closed here counts under each of its
// rules; township accounts are refused.
func TestStatsYield(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	// Close a case of two rules as 低保, in a township the other tests
	// leave alone.
	all, err := c.p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var pair *cases.Case
	for _, cs := range all {
		town := c.p.Router.Township(cs.TownshipCode)
		if cs.State != cases.StateDispatched || town == townA || town == townB || town == route.CountyQueue {
			continue
		}
		rules := map[string]bool{}
		for _, h := range cs.Hits {
			if !h.Mark { // a mark is not a warning
				rules[h.RuleID] = true
			}
		}
		if len(rules) == 2 {
			pair = cs
			break
		}
	}
	if pair == nil {
		t.Fatal("no dispatched case of two rules outside townships A and B")
	}
	if _, err := c.p.Store.CloseCase(ctx, store.Closing{CaseID: pair.ID, Outcome: "dibao", VerifiedBy: "测试", On: c.day,
		Until: c.day.AddDate(0, 6, 0)}); err != nil {
		t.Fatal(err)
	}

	cl := c.client(t).login("analyst")
	code, body, h := cl.get("/stats.csv?t=yield")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", code, h.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"规则", "名称", "预警户数", "纳入", "给予救助", "停发", "不符合条件", "无法联系", "核实中", "逾期", "核实成效"}; !slices.Equal(rows[0], want) {
		t.Errorf("header %q", rows[0])
	}
	// The pipeline's computation, now, on the portal's day (the night's
	// plus two: other tests run nights on it).
	day := c.s.today()
	all, _ = c.p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	y, err := c.p.YieldOf(all, pipeline.YieldOptions{AsOf: day})
	if err != nil {
		t.Fatal(err)
	}
	cells := func(id, title string, n dispatch.YieldCount) []string {
		yield := "暂无核实结果"
		if v, ok := n.Yield(); ok {
			yield = strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
		}
		out := []string{id, title}
		for _, v := range []int{n.Warnings, n.Enrolled, n.Aid, n.Stopped, n.NotEligible, n.Unreachable, n.Open, n.Overdue} {
			out = append(out, strconv.Itoa(v))
		}
		return append(out, yield)
	}
	want := [][]string{}
	for _, r := range y.Rules {
		want = append(want, cells(r.Rule, r.Title, r.YieldCount))
	}
	want = append(want, cells("合计", "按户计（每户一次）", y.Total))
	if !slices.EqualFunc(rows[1:], want, slices.Equal) {
		t.Errorf("yield table:\n%q\nwant\n%q", rows[1:], want)
	}
	// The total, counted here from the cases: every household once, the
	// closed by the class of their outcome.
	var total dispatch.YieldCount
	for _, cs := range all {
		if cs.OpenedOn.After(day) || cs.OpenedOn.Before(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) {
			continue
		}
		if cs.State == cases.StateClosed && !cs.ClosedOn.After(day) {
			total.Count(dispatch.OutcomeClass(cs.Outcome), false, false)
		} else {
			total.Count("", true, route.Overdue(cs.Deadline, day))
		}
	}
	if last := rows[len(rows)-1]; !slices.Equal(last, cells("合计", "按户计（每户一次）", total)) {
		t.Errorf("total %q, the cases say %+v", last, total)
	}
	if total.Enrolled < 1 {
		t.Error("the case closed here is not enrolled")
	}
	// The closed case counts as enrolled under both its rules.
	byRule := map[string][]string{}
	for _, r := range rows[1:] {
		byRule[r[0]] = r
	}
	seen := map[string]bool{}
	for _, hit := range pair.Hits {
		if hit.Mark || seen[hit.RuleID] {
			continue
		}
		seen[hit.RuleID] = true
		r := byRule[hit.RuleID]
		if len(r) != 11 || r[3] == "0" || r[10] == "暂无核实结果" {
			t.Errorf("rule %s of the case closed as 低保: %q", hit.RuleID, r)
		}
	}

	// The page draws it; the workbook has it as a sheet, the yield a
	// percentage cell.
	_, page, _ := cl.get("/stats")
	if !strings.Contains(page, `id="chart-yield"`) || !strings.Contains(page, "/stats.csv?t=yield") || !strings.Contains(page, "预警核实成效（按规则）") {
		t.Error("the stats page lacks the yield")
	}
	_, book, _ := cl.get("/stats.xlsx")
	f, err := excelize.OpenReader(strings.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := "预警核实成效（按规则）"
	got, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if i > 0 && r[0] == hitRule(pair) {
			cell := "K" + strconv.Itoa(i+1)
			if typ, _ := f.GetCellType(sheet, cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("the yield %s is text", cell)
			}
			if r[10] != byRule[r[0]][10] {
				t.Errorf("the sheet shows the yield %q, the table %q", r[10], byRule[r[0]][10])
			}
		}
	}
	if len(got) != len(rows) {
		t.Errorf("the sheet has %d rows, the CSV %d", len(got), len(rows))
	}

	// County roles only.
	for _, acct := range []string{"officer_a", "village_a"} {
		if code, _, _ := c.client(t).login(acct).get("/stats.csv?t=yield"); code != http.StatusForbidden {
			t.Errorf("%s: /stats.csv?t=yield %d", acct, code)
		}
	}
}

// hitRule is the first rule of a case.
func hitRule(cs *cases.Case) string { return cs.Hits[0].RuleID }
