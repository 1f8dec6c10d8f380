package dispatch

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/lipwatch/lipwatch/engine/cases"
)

func TestSummarize(t *testing.T) {
	fx := newFixture(t)
	items := slices.Clone(fx.items)
	// Another township, and a closed case and an unrouted one.
	items = append(items,
		Item{CaseID: "YJ-20261010-0009", TownshipCode: "340799002", TownshipName: "河口镇", Level: LevelRed,
			Deadline: day(2026, 10, 31), State: cases.StateClosed},
		Item{CaseID: "YJ-20261128-0010", TownshipCode: "340799002", TownshipName: "河口镇", Level: LevelYellow,
			Deadline: day(2026, 11, 28), State: cases.StateNew, Changed: true},
		Item{CaseID: "YJ-20261128-0011", Level: LevelOrange, Deadline: day(2026, 12, 19), State: cases.StateNew, Changed: true},
	)
	got := Summarize(items, asOf)
	want := []SummaryRow{
		{TownshipCode: "340799001", TownshipName: "城关镇", New: 2, Updated: 1, Open: 5, Overdue: 1, Closed: 0, Red: 2, Orange: 2, Yellow: 1},
		// Due today is not overdue yet.
		{TownshipCode: "340799002", TownshipName: "河口镇", New: 1, Open: 1, Closed: 1, Yellow: 1},
		{New: 1, Open: 1, Orange: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Summarize =\n%s\nwant\n%s", fmtSlice(got), fmtSlice(want))
	}
}

func TestWriteSummaryXLSX(t *testing.T) {
	rows := []SummaryRow{
		{New: 1, Open: 1, Orange: 1}, // the county queue, given first: written last
		{TownshipCode: "340799002", TownshipName: "河口镇", New: 1, Open: 1, Closed: 1, Yellow: 1},
		{TownshipCode: "340799001", TownshipName: "城关镇", New: 2, Updated: 1, Open: 5, Overdue: 1, Red: 2, Orange: 2, Yellow: 1},
	}
	path := filepath.Join(t.TempDir(), "汇总.xlsx")
	if err := WriteSummaryXLSX(path, rows, nil, testOptions()); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, path)
	got, err := x.GetRows(SummarySheetName)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"示例县低收入人口预警处置汇总（2026-11-28）"},
		{got[1][0]},
		{"乡镇编码", "乡镇（街道）", "新增", "更新", "在办", "逾期", "已办结", "红色", "橙色", "黄色"},
		{"340799001", "城关镇", "2", "1", "5", "1", "0", "2", "2", "1"},
		{"340799002", "河口镇", "1", "0", "1", "0", "1", "0", "0", "1"},
		{"", "县本级（未落实乡镇）", "1", "0", "1", "0", "0", "0", "1", "0"},
		{"合计", "2 个乡镇＋县级队列", "4", "1", "7", "1", "1", "2", "3", "2"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("summary =\n%s\nwant\n%s", fmtSlice(got), fmtSlice(want))
	}
	panes, _ := x.GetPanes(SummarySheetName)
	if !panes.Freeze || panes.TopLeftCell != "C4" {
		t.Errorf("panes = %+v, want frozen at C4", panes)
	}
	if err := WriteSummaryXLSX(path, rows, nil, Options{}); err == nil {
		t.Error("a summary without an as-of date was written")
	}
}
