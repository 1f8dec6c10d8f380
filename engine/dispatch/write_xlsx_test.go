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
	title, _ := x.GetCellValue(SheetName, "B1")
	if want := "示例县城关镇低收入人口预警核查清单（2026-11-28）"; title != want {
		t.Errorf("title = %q, want %q", title, want)
	}
	note, _ := x.GetCellValue(SheetName, "B2")
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
	// The first printed page's columns but 预警编号, which is printed on every page.
	if want := []string{"B1:H1", "B2:H2"}; !slices.Equal(areas, want) {
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

// longFixture is the fixture with long rule titles, reasons, villages and
// addresses: a case with four hits whose rule ids wrap as words, a reason
// with a long number no line break can split, and an address and a village
// two lines long.
func longFixture(t *testing.T) fixture {
	fx := newFixture(t)
	for i := range fx.items {
		it := &fx.items[i]
		switch it.CaseID {
		case "YJ-20261128-0001":
			it.Hits = append(it.Hits,
				Hit{RuleID: "UNEMP-LOWINC-UNCOVERED", RuleTitle: "登记失业且家庭人均收入低于低收入标准，家庭未纳入社会救助", Level: LevelYellow,
					Reason: "登记失业 287 天，家庭人均月收入 600.00 元，低于低收入标准 1,170.00 元", Person: it.HeadName, IDNumber: it.HeadID},
				Hit{RuleID: "INTEGRITY-DECEASED-RECIPIENT", RuleTitle: "救助对象已死亡或户籍注销，仍在享受救助（应退尽退）", Level: LevelRed,
					Reason: "户籍状态为死亡，仍在享受低保，应停发并核查追回（民政系统救助对象编号 MZJZ2026034079900100042）", Person: "刘梅", IDNumber: fx.ids[1]},
			)
		case "YJ-20261128-0003":
			it.Hits[0].RuleTitle = "救助家庭有两套以上住房或有商铺、车库、办公用房（应退尽退核查）"
			it.Hits[0].RuleID = "INTEGRITY-PROPERTY"
			it.Hits[0].Reason = "家庭享受低保，家庭成员名下有住宅 2 套、商铺（车库、办公用房）1 处；不动产权证号 皖(2026)示例县不动产权第0012345号"
		case "YJ-20261128-0004":
			it.VillageName = "城关镇解放路社区居民委员会第三网格"
			it.Address = "示例县城关镇解放路社区幸福家园小区12栋3单元502室（租住）"
		}
	}
	return fx
}

// minLines is a lower bound of the lines text takes wrapped in a column
// width characters wide at size points, reckoned apart from the writer's
// own estimate and on the generous side: a CJK character is two
// characters wide and any other one (at 11 points; 宋体's are 2.1 and
// 1.05 in Excel's Calibri-digit units), the whole width is usable (the
// margins are not), and a line breaks wherever Excel and LibreOffice may
// break one: after a space or a hyphen and beside a CJK character (they
// also keep ，and ）off the start of a line, which only adds lines).
func minLines(text string, width, size float64) int {
	cjk := func(r rune) bool { return r >= 0x2E80 }
	n := 0
	for _, line := range strings.Split(text, "\n") {
		// The pieces no line break splits, and their widths.
		var pieces []float64
		var prev rune
		for i, r := range []rune(line) {
			w := 1.0
			if cjk(r) {
				w = 2
			}
			w *= size / 11
			if i == 0 || !(prev == ' ' || prev == '-' || cjk(prev) || cjk(r)) {
				if i == 0 {
					pieces = append(pieces, 0)
				}
				pieces[len(pieces)-1] += w
			} else {
				pieces = append(pieces, w)
			}
			prev = r
		}
		lines, x := 1, 0.0
		for _, p := range pieces {
			switch {
			case x+p <= width:
				x += p
			case p > width: // split anywhere, at the least from where the line is
				x += p
				for x > width {
					lines++
					x -= width
				}
			default:
				lines++
				x = p
			}
		}
		n += lines
	}
	return n
}

// A list's rows are as high as their wrapped text: a printed list cut the
// last line of a rule (its id) off the bottom of the cell. Every wrapped
// cell with text, the merged title and note included, must fit in its
// row at lines 1.448 times its font size high (the ascent and descent of
// Noto Sans CJK, LibreOffice's substitute for 宋体; 宋体's own are 1.3 in
// Excel): the lines are counted from the column's width in the file, or
// the merged columns' together.
func TestListRowsFitTheirText(t *testing.T) {
	fx := longFixture(t)
	for _, tc := range []struct {
		name  string
		items []Item
	}{
		{"township", fx.items},
		{"county queue", countyQueueItems(fx.items)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "list.xlsx")
			if err := WriteTownshipXLSX(path, tc.items, testOptions()); err != nil {
				t.Fatal(err)
			}
			x := openXLSX(t, path)
			merged, err := x.GetMergeCells(SheetName)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := x.GetRows(SheetName)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != headerRow+len(tc.items) {
				t.Fatalf("%d rows, want %d", len(rows), headerRow+len(tc.items))
			}
			checked := 0
			for i, row := range rows {
				n := i + 1
				height, err := x.GetRowHeight(SheetName, n)
				if err != nil {
					t.Fatal(err)
				}
				for c, text := range row {
					if text == "" {
						continue
					}
					cell := ref(c, n)
					s := cellStyle(t, x, cell)
					if s.Alignment == nil || !s.Alignment.WrapText {
						continue
					}
					last := c
					for _, m := range merged {
						if m.GetStartAxis() == cell {
							col, _, _ := excelize.CellNameToCoordinates(m.GetEndAxis())
							last = col - 1
						}
					}
					width := 0.0
					for k := c; k <= last; k++ {
						w, err := x.GetColWidth(SheetName, colName(k))
						if err != nil {
							t.Fatal(err)
						}
						width += w
					}
					size := 11.0
					if s.Font != nil && s.Font.Size > 0 {
						size = s.Font.Size
					}
					lines := minLines(text, width, size)
					if need := float64(lines) * 1.448 * size; height < need {
						t.Errorf("row %d is %v pt high; %s (%s, %v characters wide, %v pt) takes at least %d lines, %.1f pt: %q",
							n, height, cell, rows[headerRow-1][min(c, len(rows[headerRow-1])-1)], width, size, lines, need, text)
					}
					checked++
				}
			}
			if checked < 3*len(tc.items) {
				t.Errorf("%d wrapped cells checked, want at least %d", checked, 3*len(tc.items))
			}
		})
	}
}

// countyQueueItems are items as the county's own queue has them: no
// township.
func countyQueueItems(items []Item) []Item {
	out := slices.Clone(items)
	for i := range out {
		out[i].TownshipCode, out[i].TownshipName = "", ""
	}
	return out
}

// 预警编号 is printed again at the left of every page across; a title or
// note starting in that column printed a piece of its text there on the
// pages of the right-hand columns. Above the header, column A is empty.
func TestListBannersClearOfRepeatedColumn(t *testing.T) {
	for _, items := range [][]Item{newFixture(t).items, countyQueueItems(newFixture(t).items)} {
		path := filepath.Join(t.TempDir(), "list.xlsx")
		if err := WriteTownshipXLSX(path, items, testOptions()); err != nil {
			t.Fatal(err)
		}
		x := openXLSX(t, path)
		for n := 1; n < headerRow; n++ {
			if v, _ := x.GetCellValue(SheetName, ref(0, n)); v != "" {
				t.Errorf("A%d = %q, want empty: column A is printed on every page", n, v)
			}
		}
		merged, _ := x.GetMergeCells(SheetName)
		for _, m := range merged {
			if col, _, _ := excelize.CellNameToCoordinates(m.GetStartAxis()); col == 1 {
				t.Errorf("merged %s:%s covers column A", m.GetStartAxis(), m.GetEndAxis())
			}
		}
	}
}
