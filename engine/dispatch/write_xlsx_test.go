package dispatch

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/xuri/excelize/v2"
)

// writeList writes the fixture's list and opens it.
func writeList(t *testing.T, o Options) (*excelize.File, string, fixture) {
	t.Helper()
	fx := newFixture(t)
	path := filepath.Join(t.TempDir(), "城关镇.xlsx")
	if err := WriteTownshipXLSX(path, fx.items, o); err != nil {
		t.Fatal(err)
	}
	return openXLSX(t, path), path, fx
}

func TestWriteTownshipXLSXLayout(t *testing.T) {
	x, _, _ := writeList(t, testOptions())

	if got := x.GetSheetList(); !slices.Equal(got, []string{SheetName}) {
		t.Fatalf("sheets = %q", got)
	}
	title, _ := x.GetCellValue(SheetName, "A1")
	if want := "示例县城关镇低收入人口预警核查清单（2026-11-28）"; title != want {
		t.Errorf("title = %q, want %q", title, want)
	}
	note, _ := x.GetCellValue(SheetName, "A2")
	if !strings.Contains(note, "仅限本乡镇核查使用，严禁外传") {
		t.Errorf("note line lacks the privacy notice: %q", note)
	}
	merged, err := x.GetMergeCells(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	var areas []string
	for _, m := range merged {
		areas = append(areas, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	if want := []string{"A1:H1", "A2:H2"}; !slices.Equal(areas, want) { // the first printed page's columns
		t.Errorf("merged = %q, want %q", areas, want)
	}

	rows, err := x.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"预警编号", "变化", "预警等级", "村（社区）", "住址", "户号", "户主/当事人", "身份证号", "家庭人口",
		"预警规则", "预警原因", "下发日期", "办结期限", "核实结果", "核实说明", "核实人", "核实日期"}
	if !slices.Equal(rows[2], wantHeader) {
		t.Errorf("header =\n%q\nwant\n%q", rows[2], wantHeader)
	}

	panes, err := x.GetPanes(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.XSplit != 1 || panes.YSplit != 3 || panes.TopLeftCell != "B4" {
		t.Errorf("panes = %+v, want frozen at B4 (column A and rows 1-3)", panes)
	}

	dvs, err := x.GetDataValidations(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	if len(dvs) != 1 {
		t.Fatalf("%d data validations, want 1", len(dvs))
	}
	dv := dvs[0]
	wantList := `"纳入低保,纳入特困,纳入低边,纳入刚性支出困难,给予临时救助,其他救助,不符合条件,无法联系,已停发救助"`
	if dv.Sqref != "N4:N8" || dv.Type != "list" || dv.Formula1 != wantList || !dv.AllowBlank || !dv.ShowErrorMessage {
		t.Errorf("validation = sqref %q type %q list %q blank %v error %v; want N4:N8, a list of %s, blank allowed, errors shown",
			dv.Sqref, dv.Type, dv.Formula1, dv.AllowBlank, dv.ShowErrorMessage, wantList)
	}

	var ids []string
	for _, r := range rows[3:] {
		ids = append(ids, r[colCaseID])
	}
	if !slices.Equal(ids, wantOrder) {
		t.Errorf("order = %q, want %q", ids, wantOrder)
	}

	// The second row is the multi-hit case: numbered lines, the other
	// member named with a masked ID, wrapped.
	multi := rows[4]
	wantRules := "1. 个人医疗自付费用较大，家庭未纳入社会救助（MED-OOP-UNCOVERED）\n2. 新增一、二级残疾人（DIS-SEVERE-NEW）"
	wantReasons := "1. 近12个月医疗自付 30000 元\n2. 刘梅（340799********124X）：2026-10-09 新办残疾证（肢体二级）"
	if multi[colRules] != wantRules || multi[colReasons] != wantReasons {
		t.Errorf("multi-hit cells =\n%q\n%q\nwant\n%q\n%q", multi[colRules], multi[colReasons], wantRules, wantReasons)
	}
	for _, col := range []int{colRules, colReasons} {
		s := cellStyle(t, x, ref(col, 5))
		if s.Alignment == nil || !s.Alignment.WrapText {
			t.Errorf("%s is not wrapped", ref(col, 5))
		}
	}

	wantRow := []string{"YJ-20261128-0001", "新增", "红色", "城关社区", "城关社区解放路3号", "340799001001000042", "张三",
		"340799********1234", "3"}
	if !slices.Equal(multi[:len(wantRow)], wantRow) {
		t.Errorf("row 5 = %q, want %q", multi[:len(wantRow)], wantRow)
	}
	if got := multi[colDispatched : colDeadline+1]; !slices.Equal(got, []string{"2026-11-28", "2026-12-19"}) {
		t.Errorf("dates = %q", got)
	}
	if typ, _ := x.GetCellType(SheetName, ref(colDeadline, 5)); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("deadline cell type %v, want a date (number) cell", typ)
	}
	var changes []string
	for _, r := range rows[3:] {
		changes = append(changes, r[colChange])
	}
	if want := []string{"", "新增", "", "更新", "新增"}; !slices.Equal(changes, want) {
		t.Errorf("变化 = %q, want %q", changes, want)
	}

	fills := map[string]string{}
	for i, r := range rows[3:] {
		fills[r[colLevel]] = strings.Join(cellStyle(t, x, ref(colLevel, 4+i)).Fill.Color, ",")
	}
	if want := map[string]string{"红色": colourRed, "橙色": colourOrange, "黄色": colourYellow}; !mapsEqual(fills, want) {
		t.Errorf("level fills = %v, want %v", fills, want)
	}
	if f := cellStyle(t, x, ref(colDeadline, 6)).Font; f == nil || f.Color != colourWarnText {
		t.Errorf("the overdue deadline (row 6) is not marked red")
	}

	layout, err := x.GetPageLayout(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	if layout.Orientation == nil || *layout.Orientation != "landscape" {
		t.Errorf("orientation = %v, want landscape", layout.Orientation)
	}
	var printTitles string
	for _, dn := range x.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			printTitles = dn.RefersTo
		}
	}
	if printTitles != "'预警核查清单'!$A:$A,'预警核查清单'!$3:$3" {
		t.Errorf("print titles = %q, want 预警编号 and the header row", printTitles)
	}
	if layout.FitToWidth == nil || *layout.FitToWidth != 2 || layout.Size == nil || *layout.Size != 9 {
		t.Errorf("fit to width %v pages on paper size %v, want 2 pages of A4 (9)", layout.FitToWidth, layout.Size)
	}
	if w, _ := x.GetColWidth(SheetName, "K"); w < 30 {
		t.Errorf("预警原因 column width %v, want a wide column", w)
	}
}

func TestWriteTownshipXLSXMasking(t *testing.T) {
	t.Run("masked by default", func(t *testing.T) {
		x, path, fx := writeList(t, testOptions())
		rows, _ := x.GetRows(SheetName)
		for _, r := range rows[3:] {
			if !strings.Contains(r[colID], "********") {
				t.Errorf("%s: ID %q is not masked", r[colCaseID], r[colID])
			}
		}
		text := fileText(t, path)
		for _, id := range fx.ids {
			if strings.Contains(text, id) {
				t.Errorf("a full ID number (%s) is in the file", idnum.Mask(id))
			}
		}
	})
	t.Run("unmasked", func(t *testing.T) {
		o := testOptions()
		o.Unmasked = true
		x, _, fx := writeList(t, o)
		rows, _ := x.GetRows(SheetName)
		if got, want := rows[4][colID], fx.items[1].HeadID; got != want {
			t.Errorf("unmasked head ID = %q, want the full number", got)
		}
		if want := "刘梅（" + fx.ids[1] + "）"; !strings.Contains(rows[4][colReasons], want) {
			t.Errorf("unmasked member ID not in the reasons: %q", rows[4][colReasons])
		}
	})
}

func TestWriteTownshipXLSXReproducible(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.xlsx"), filepath.Join(dir, "b.xlsx")
	if err := WriteTownshipXLSX(a, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(fx.items)
	if err := WriteTownshipXLSX(b, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("the same cases in another order give different bytes")
	}
	if fi, _ := os.Stat(a); fi.Mode().Perm() != fileMode {
		t.Errorf("mode = %v, want %v", fi.Mode().Perm(), os.FileMode(fileMode))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
}

func TestWriteTownshipXLSXEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.xlsx")
	if err := WriteTownshipXLSX(path, nil, testOptions()); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, path)
	rows, _ := x.GetRows(SheetName)
	if len(rows) != 3 || rows[2][0] != HeaderCaseID {
		t.Errorf("empty list rows = %q, want title, note and header", rows)
	}
	fb, errs, err := readBack(path, testOptions())
	if err != nil || len(fb) != 0 || len(errs) != 0 {
		t.Errorf("ReadFeedback(empty list) = %v, %v, %v", fb, errs, err)
	}
}

func TestWriteTownshipRejects(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	mixed := slices.Clone(fx.items)
	mixed[3].TownshipCode = "340799002"
	comma := testOptions()
	comma.Outcomes = []Outcome{{"a", "甲,乙"}, {"b", "丙"}}
	dup := testOptions()
	dup.Outcomes = []Outcome{{"a", "甲"}, {"a", "乙"}}
	for _, tc := range []struct {
		name  string
		items []Item
		o     Options
		want  string
	}{
		{"mixed townships", mixed, testOptions(), `list mixes townships "340799001" and "340799002" (case YJ-20261128-0004)`},
		{"no as-of date", fx.items, Options{County: "示例县"}, "Options.AsOf is required"},
		{"comma in a label", fx.items, comma, "cannot contain a comma"},
		{"duplicate code", fx.items, dup, `"a" is used twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, write := range []func(string, []Item, Options) error{WriteTownshipXLSX, WriteTownshipCSV} {
				path := filepath.Join(dir, "x")
				err := write(path, tc.items, tc.o)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want %q", err, tc.want)
				}
				if _, err := os.Stat(path); err == nil {
					t.Error("a refused list was written")
				}
			}
		})
	}
}

func cellStyle(t *testing.T, x *excelize.File, cell string) *excelize.Style {
	t.Helper()
	id, err := x.GetCellStyle(SheetName, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := x.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A 1,000-character name or address (one registry cell) must not stop the
// lists: Excel's rows are at most 409 points high, and a taller one was an
// error that failed the whole dispatch.
func TestLongTextRowHeightCapped(t *testing.T) {
	var r listRow
	r.text[colAddress] = strings.Repeat("测试路", 400)
	if h := rowHeight(r); h != maxRowHeight {
		t.Errorf("height %v, want %v", h, maxRowHeight)
	}
	fx := newFixture(t)
	fx.items[0].Address = strings.Repeat("长地址", 500)
	fx.items[0].HeadName = strings.Repeat("名", 1000)
	if err := WriteTownshipXLSX(filepath.Join(t.TempDir(), "a.xlsx"), fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
}
