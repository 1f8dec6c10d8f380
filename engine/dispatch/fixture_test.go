package dispatch

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// day is a calendar date in the county's zone, as the store hands them out.
func day(y, m, d int) time.Time {
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, shanghai)
}

var shanghai = time.FixedZone("CST", 8*3600)

// asOf is the dispatch date of the fixtures.
var asOf = day(2026, 11, 28)

// testOptions are the options of the fixtures.
func testOptions() Options {
	return Options{County: "示例县", AsOf: asOf}
}

// mustID builds a valid ID in the fictional county 340799.
func mustID(t testing.TB, y, m, d, seq int) string {
	t.Helper()
	id, err := idnum.Build("340799", time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), seq)
	if err != nil {
		t.Fatal(err)
	}
	return string(id)
}

// fixture is a township's cases, in no particular order, and the IDs in them.
type fixture struct {
	items []Item
	ids   []string // every full ID number in items
}

// newFixture makes five cases of 城关镇 covering every level, a multi-hit
// case with a hit on a member other than the head, an overdue case, a new,
// an updated and an unchanged case.
func newFixture(t testing.TB) fixture {
	zhang := mustID(t, 1958, 3, 7, 123)  // head of 0001
	zhangW := mustID(t, 1960, 5, 1, 124) // his wife
	li := mustID(t, 1975, 1, 2, 35)
	wang := mustID(t, 1990, 12, 31, 777)
	zhao := mustID(t, 1949, 10, 1, 18)
	chen := mustID(t, 2012, 6, 15, 46)
	town := func(it Item) Item {
		it.TownshipCode, it.TownshipName = "340799001", "城关镇"
		return it
	}
	items := []Item{
		town(Item{
			CaseID: "YJ-20261128-0003", VillageCode: "340799001003", VillageName: "东门社区",
			HouseholdID: "340799001003000217", Address: "东门社区幸福路12号", HeadName: "王五", HeadID: wang, Members: 1,
			Level: LevelYellow, Dispatched: day(2026, 11, 28), Deadline: day(2026, 12, 19), State: cases.StateNew, Changed: true,
			Hits: []Hit{{RuleID: "EMP-UNEMPLOYED", RuleTitle: "登记失业超过6个月", Level: LevelYellow, Reason: "2026-03-02 登记失业", Person: "王五", IDNumber: wang}},
		}),
		town(Item{
			CaseID: "YJ-20261128-0001", VillageCode: "340799001001", VillageName: "城关社区",
			HouseholdID: "340799001001000042", Address: "城关社区解放路3号", HeadName: "张三", HeadID: zhang, Members: 3,
			Level: LevelRed, Dispatched: day(2026, 11, 28), Deadline: day(2026, 12, 19), State: cases.StateNew, Changed: true,
			Hits: []Hit{
				{RuleID: "MED-OOP-UNCOVERED", RuleTitle: "个人医疗自付费用较大，家庭未纳入社会救助", Level: LevelRed, Reason: "近12个月医疗自付 30000 元", Person: "张三", IDNumber: zhang},
				{RuleID: "DIS-SEVERE-NEW", RuleTitle: "新增一、二级残疾人", Level: LevelOrange, Reason: "2026-10-09 新办残疾证（肢体二级）", Person: "刘梅", IDNumber: zhangW},
			},
		}),
		town(Item{
			CaseID: "YJ-20261120-0002", VillageCode: "340799001002", VillageName: "西湖村",
			HouseholdID: "340799001002000008", Address: "西湖村三组", HeadName: "李四", HeadID: li, Members: 4,
			Level: LevelRed, Dispatched: day(2026, 11, 20), Deadline: day(2026, 12, 11), State: cases.StateDispatched,
			Hits: []Hit{{RuleID: "MED-OOP-UNCOVERED", RuleTitle: "个人医疗自付费用较大，家庭未纳入社会救助", Level: LevelRed, Reason: "近12个月医疗自付 26500 元", Person: "李四", IDNumber: li}},
		}),
		town(Item{
			CaseID: "YJ-20261128-0004", VillageCode: "340799001002", VillageName: "西湖村",
			HouseholdID: "", Address: "西湖村五组", HeadName: "陈小", HeadID: chen,
			Level: LevelOrange, Dispatched: day(2026, 11, 14), Deadline: day(2026, 12, 5), State: cases.StateDispatched, Changed: true,
			Hits: []Hit{{RuleID: "CHILD-LEFT", RuleTitle: "留守儿童无人监护", Level: LevelOrange, Reason: "父母均在外务工", Person: "陈小", IDNumber: chen}},
		}),
		town(Item{
			CaseID: "YJ-20261101-0005", VillageCode: "340799001001", VillageName: "城关社区",
			HouseholdID: "340799001001000100", Address: "城关社区南街8号", HeadName: "赵六", HeadID: zhao, Members: 2,
			Level: LevelOrange, Dispatched: day(2026, 11, 1), Deadline: day(2026, 11, 20), State: cases.StateDispatched,
			Hits: []Hit{{RuleID: "FISHER-NO-PENSION", RuleTitle: "退捕渔民未参加养老保险", Level: LevelOrange, Reason: "2020-12-31 退捕，未参保", Person: "赵六", IDNumber: zhao}},
		}),
	}
	return fixture{items: items, ids: []string{zhang, zhangW, li, wang, zhao, chen}}
}

// wantOrder is the fixture's cases in list order: red first, then by
// deadline, then by case id.
var wantOrder = []string{"YJ-20261120-0002", "YJ-20261128-0001", "YJ-20261101-0005", "YJ-20261128-0004", "YJ-20261128-0003"}

// openXLSX opens a written workbook and closes it at the end of the test.
func openXLSX(t testing.TB, path string) *excelize.File {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// saveAs saves a workbook the test edited, as a township's Excel would.
func saveAs(t testing.TB, x *excelize.File, path string) {
	t.Helper()
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// fileText is every part of a file as one string: for an xlsx the
// uncompressed XML of every zip entry, so that a test can look for text
// anywhere in it.
func fileText(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) != ".xlsx" {
		return string(data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&b, rc)
		rc.Close()
	}
	return b.String()
}
