package dispatch

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A warning counts in its outcome's class; the yield leaves out the
// unreachable and has no value before a yes or a no.
func TestYieldCount(t *testing.T) {
	var c YieldCount
	if _, ok := c.Yield(); ok {
		t.Error("a yield with no warnings")
	}
	for _, code := range []string{"dibao", "tekun", "temporary", "stopped", "not_eligible", "unreachable", "unreachable", "no_such_code"} {
		c.Count(OutcomeClass(code), false, false)
	}
	c.Count("", true, true)
	c.Count("", true, false)
	want := YieldCount{Warnings: 10, Enrolled: 2, Aid: 1, Stopped: 1, NotEligible: 1, Unreachable: 3, Open: 2, Overdue: 1}
	if c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
	if v, ok := c.Yield(); !ok || v != 0.8 || c.Closed() != 8 || c.Decided() != 5 {
		t.Errorf("yield %v %v, closed %d, decided %d; want 0.8 (4/5), 8 closed", v, ok, c.Closed(), c.Decided())
	}
	var only YieldCount
	only.Count(ClassUnreachable, false, false)
	only.Count("", true, false)
	if _, ok := only.Yield(); ok {
		t.Error("unreachable alone gives a yield")
	}
	var sum YieldCount
	sum.Add(c)
	sum.Add(only)
	if sum.Warnings != 12 || sum.Unreachable != 4 || sum.Open != 3 || sum.Overdue != 1 {
		t.Errorf("sum %+v", sum)
	}
	for v, want := range map[float64]string{0: "0.0%", 14.0 / 4881: "0.3%", 0.75: "75.0%", 1: "100.0%", 2.0 / 3: "66.7%"} {
		if got := YieldPercent(v); got != want {
			t.Errorf("YieldPercent(%v) = %s, want %s", v, got, want)
		}
	}
}

// The summary's sheet 预警核实成效: a line per rule and the households'
// total, counts as numbers, the yield a percentage cell or 暂无核实结果.
func TestWriteSummaryYieldSheet(t *testing.T) {
	rows := []SummaryRow{{TownshipCode: "340799001", TownshipName: "城关镇", New: 2, Open: 2, Red: 2}}
	y := &SummaryYield{From: "2025-12", To: "2026-11", Rules: []YieldRuleRow{
		{Rule: "MED-OOP-UNCOVERED", Title: "大额医疗自付未纳入保障", YieldCount: YieldCount{Warnings: 4881, Enrolled: 10, Aid: 4, NotEligible: 4000, Unreachable: 67, Open: 800, Overdue: 12}},
		{Rule: "INTEGRITY-DECEASED-RECIPIENT", Title: "死亡人员仍在享受救助", YieldCount: YieldCount{Warnings: 3, Stopped: 2, NotEligible: 1}},
		{Rule: "FISHER-UNRESETTLED", Title: "退捕渔民未安置", YieldCount: YieldCount{Warnings: 2, Unreachable: 1, Open: 1}},
		{Rule: "GRID-REPORT", Title: "网格员、协理员主动发现的困难群众"},
	}, Total: YieldCount{Warnings: 4884, Enrolled: 10, Aid: 4, Stopped: 2, NotEligible: 4001, Unreachable: 68, Open: 799, Overdue: 12}}
	path := filepath.Join(t.TempDir(), "汇总.xlsx")
	if err := WriteSummaryXLSX(path, rows, y, testOptions()); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, path)
	if sheets := x.GetSheetList(); !slices.Equal(sheets, []string{SummarySheetName, YieldSheetName}) {
		t.Fatalf("sheets %q", sheets)
	}
	if x.GetActiveSheetIndex() != 0 {
		t.Errorf("the workbook opens on sheet %d, want 汇总", x.GetActiveSheetIndex())
	}
	got, err := x.GetRows(YieldSheetName)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"示例县预警核实成效（2025-12 至 2026-11 新增预警）"},
		{got[1][0]},
		{"规则", "规则名称", "预警户数", "纳入", "给予救助", "停发", "不符合条件", "无法联系", "核实中", "逾期", "核实成效"},
		// 14 / 4014 = 0.349%
		{"MED-OOP-UNCOVERED", "大额医疗自付未纳入保障", "4881", "10", "4", "0", "4000", "67", "800", "12", "0.3%"},
		{"INTEGRITY-DECEASED-RECIPIENT", "死亡人员仍在享受救助", "3", "0", "0", "2", "1", "0", "0", "0", "66.7%"},
		{"FISHER-UNRESETTLED", "退捕渔民未安置", "2", "0", "0", "0", "0", "1", "1", "0", NoYieldText},
		{"GRID-REPORT", "网格员、协理员主动发现的困难群众", "0", "0", "0", "0", "0", "0", "0", "0", NoYieldText},
		{"合计", "按户计（每户一次）", "4884", "10", "4", "2", "4001", "68", "799", "12", "0.4%"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("yield sheet =\n%s\nwant\n%s", fmtSlice(got), fmtSlice(want))
	}
	for _, want := range []string{"一户同时触发多条规则的，在每条规则下各计一次", "无法联系不计入", "截至 2026-11-28"} {
		if !strings.Contains(got[1][0], want) {
			t.Errorf("the note lacks %q: %s", want, got[1][0])
		}
	}
	// The yield is a number (a percentage format), the counts too.
	raw, _ := x.GetCellValue(YieldSheetName, "K4", excelize.Options{RawCellValue: true})
	if v, err := strconv.ParseFloat(raw, 64); err != nil || math.Abs(v-14.0/4014) > 1e-12 {
		t.Errorf("K4 raw %q, want 14/4014", raw)
	}
	for _, cell := range []string{"C4", "K5", "J4"} {
		if typ, _ := x.GetCellType(YieldSheetName, cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s is text", cell)
		}
	}
	panes, _ := x.GetPanes(YieldSheetName)
	if !panes.Freeze || panes.TopLeftCell != "C4" {
		t.Errorf("panes = %+v, want frozen at C4", panes)
	}
}
