package dispatch

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// genItems makes n cases of township town (340799001 城关镇, or "" for
// the county's queue) from seed, covering what a list can hold: every
// level and one no list knows, every state, zero and past dates, unknown
// household sizes, a village known only by its code, people missing from
// the registry, up to five hits with marks among them and members other
// than the head, and text that is hard for a writer: XML's special
// characters, a leading =, spaces and line breaks at the ends, a
// character XML cannot carry, characters outside the BMP, and a cell
// longer than Excel's 32,767 characters.
func genItems(t testing.TB, n int, seed uint64, town string) []Item {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	hard := []string{
		"<b>粗体</b> & \"引号\" 'apos'", "=SUM(A1:A9)", "+86 138", "  前后空格  ", "\n换行开头", "结尾换行\n",
		"制表\t符", "控制\x01字符", "𠀀𠀁 扩展B区", "①②③ “引号” ×", "0012345678901234567890", "a\r\nb",
		"很长的文字" + strings.Repeat("测试路", 40),
	}
	text := func(plain string) string {
		if rng.IntN(6) == 0 {
			return plain + hard[rng.IntN(len(hard))]
		}
		return plain
	}
	id := func() string {
		return mustID(t, 1930+rng.IntN(90), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(999))
	}
	name := func() string {
		return pick("张", "李", "王", "赵", "欧阳") + pick("三", "四", "小明", "秀英", "建国卫东")
	}
	townName := "城关镇"
	if town == "" {
		townName = ""
	}
	items := make([]Item, n)
	for i := range items {
		it := Item{
			CaseID:       fmt.Sprintf("YJ-202611%02d-%04d", 1+rng.IntN(28), i+1),
			TownshipCode: town, TownshipName: townName,
			VillageCode: fmt.Sprintf("340799001%03d", rng.IntN(30)),
			Level:       pick(LevelRed, LevelOrange, LevelYellow, LevelYellow, "purple"),
			State:       []cases.State{cases.StateNew, cases.StateDispatched, cases.StateClosed}[rng.IntN(3)],
			Changed:     rng.IntN(2) == 0,
			Members:     rng.IntN(7),
		}
		if rng.IntN(5) > 0 {
			it.VillageName = text(pick("城关社区", "西湖村", "东门社区", "城关镇解放路社区居民委员会第三网格"))
		}
		if rng.IntN(8) > 0 {
			it.HouseholdID = fmt.Sprintf("%s%06d", it.VillageCode, rng.IntN(1e6))
			it.HeadName, it.HeadID = text(name()), id()
			it.Address = text(pick("城关社区解放路3号", "西湖村三组", "示例县城关镇解放路社区幸福家园小区12栋3单元502室（租住）"))
		} else if rng.IntN(2) == 0 {
			it.HeadName, it.HeadID = name(), id() // known from a department only
		}
		if rng.IntN(6) > 0 {
			it.Dispatched = day(2026, 10+rng.IntN(2), 1+rng.IntN(28))
		}
		if rng.IntN(6) > 0 {
			it.Deadline = day(2026, 11+rng.IntN(2), 1+rng.IntN(28))
		}
		for range rng.IntN(6) {
			h := Hit{
				RuleID:    pick("MED-OOP-UNCOVERED", "DIS-SEVERE-NEW", "INTEGRITY-DECEASED-RECIPIENT", "RECUSAL-NOTE", ""),
				RuleTitle: text(pick("个人医疗自付费用较大，家庭未纳入社会救助", "新增一、二级残疾人", "")),
				Level:     pick(LevelRed, LevelOrange, LevelYellow),
				Reason:    text(pick("近12个月医疗自付 30000 元", "2026-10-09 新办残疾证（肢体二级）", "户籍状态为死亡，仍在享受低保，应停发并核查追回")),
				Person:    it.HeadName, IDNumber: it.HeadID,
				Mark: rng.IntN(5) == 0,
			}
			if rng.IntN(3) == 0 {
				h.Person, h.IDNumber = text(name()), id()
			}
			it.Hits = append(it.Hits, h)
		}
		items[i] = it
	}
	return items
}

// TestStreamedListLikeInMemory writes the same cases with the streamed
// writer and with the in-memory one it replaced, and compares the two
// workbooks: every sheet and its visibility, every cell of the used range
// and one beyond (value as shown and as stored, kind, and every attribute
// of its style), row heights, column widths, merged ranges, panes, the
// drop-down, print settings, header and footer, defined names, document
// and custom properties. Text cells are inline strings in the one and
// shared strings in the other: the same kind, a string.
func TestStreamedListLikeInMemory(t *testing.T) {
	unmasked := markedOptions()
	unmasked.Unmasked = true
	county := testOptions()
	county.Mark = testMark("PD-20261128-2", "")
	for _, tc := range []struct {
		name  string
		items []Item
		o     Options
	}{
		{"fixture", newFixture(t).items, testOptions()},
		{"long fixture marked", longFixture(t).items, markedOptions()},
		{"empty", nil, testOptions()},
		{"generated", genItems(t, 400, 1, "340799001"), markedOptions()},
		{"generated unmasked", genItems(t, 120, 2, "340799001"), unmasked},
		{"generated county queue", genItems(t, 120, 3, ""), county},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			old, streamed := filepath.Join(dir, "old.xlsx"), filepath.Join(dir, "new.xlsx")
			if err := writeTownshipXLSXInMemory(old, tc.items, tc.o); err != nil {
				t.Fatal(err)
			}
			if err := WriteTownshipXLSX(streamed, tc.items, tc.o); err != nil {
				t.Fatal(err)
			}
			diffs, cells := compareWorkbooks(t, old, streamed)
			for i, d := range diffs {
				if i == 20 {
					t.Errorf("... and %d more differences", len(diffs)-i)
					break
				}
				t.Error(d)
			}
			if want := (headerRow + len(tc.items)) * numCols; cells < want {
				t.Errorf("%d cells compared, want at least %d", cells, want)
			}
		})
	}
}

// TestCompareWorkbooksSeesDifferences makes sure the comparison above can
// fail: lists that differ in one value, one style, one row's height, one
// column's width or one print setting are told apart.
func TestCompareWorkbooksSeesDifferences(t *testing.T) {
	items := genItems(t, 30, 4, "340799001")
	dir := t.TempDir()
	base := filepath.Join(dir, "base.xlsx")
	if err := WriteTownshipXLSX(base, items, markedOptions()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(x *excelize.File) error
		want string
	}{
		{"value", func(x *excelize.File) error { return x.SetCellStr(SheetName, "E7", "别处") }, "E7: value"},
		{"style", func(x *excelize.File) error {
			id, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Family: fontFamily, Size: 11}})
			if err != nil {
				return err
			}
			return x.SetCellStyle(SheetName, "K9", "K9", id)
		}, "K9: style"},
		{"height", func(x *excelize.File) error { return x.SetRowHeight(SheetName, 12, 99) }, "row 12: height"},
		{"width", func(x *excelize.File) error { return x.SetColWidth(SheetName, "C", "C", 30) }, "column C: width"},
		{"print", func(x *excelize.File) error {
			portrait := "portrait"
			return x.SetPageLayout(SheetName, &excelize.PageLayoutOptions{Orientation: &portrait})
		}, "page layout"},
		{"mark", func(x *excelize.File) error { return x.SetCellStr(markSheet, "B1", "PD-20261128-9") }, "lipwatch!B1: value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := excelize.OpenFile(base)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if err := tc.edit(x); err != nil {
				t.Fatal(err)
			}
			edited := filepath.Join(dir, tc.name+".xlsx")
			if err := x.SaveAs(edited); err != nil {
				t.Fatal(err)
			}
			diffs, _ := compareWorkbooks(t, base, edited)
			if !strings.Contains(strings.Join(diffs, "\n"), tc.want) {
				t.Errorf("differences %q, want one about %q", diffs, tc.want)
			}
		})
	}
}

// compareWorkbooks lists how workbook b differs from a, and counts the
// cells it compared.
func compareWorkbooks(t *testing.T, a, b string) (diffs []string, cells int) {
	t.Helper()
	xa, xb := openXLSX(t, a), openXLSX(t, b)
	differ := func(what string, va, vb any) {
		if !reflect.DeepEqual(va, vb) {
			diffs = append(diffs, fmt.Sprintf("%s: %s", what, describeDiff(va, vb)))
		}
	}
	// Values are compared as JSON, which follows pointers: excelize's
	// option structs are mostly pointers.
	same := func(what string, get func(x *excelize.File) (any, error)) {
		show := func(v any, err error) string {
			j, jerr := json.Marshal(v)
			if jerr != nil {
				t.Fatalf("%s: %v", what, jerr)
			}
			return fmt.Sprintf("%s %v", j, err)
		}
		differ(what, show(get(xa)), show(get(xb)))
	}
	differ("sheets", xa.GetSheetList(), xb.GetSheetList())
	differ("active sheet", xa.GetActiveSheetIndex(), xb.GetActiveSheetIndex())
	same("defined names", func(x *excelize.File) (any, error) { return x.GetDefinedName(), nil })
	same("document properties", func(x *excelize.File) (any, error) { return x.GetDocProps() })
	same("custom properties", func(x *excelize.File) (any, error) { return x.GetCustomProps() })
	same("workbook properties", func(x *excelize.File) (any, error) { return x.GetWorkbookProps() })
	for _, sheet := range xa.GetSheetList() {
		in := func(what string) string { return sheet + " " + what }
		at := func(cell string) string {
			if sheet == SheetName {
				return cell
			}
			return sheet + "!" + cell
		}
		same(in("visible"), func(x *excelize.File) (any, error) { return x.GetSheetVisible(sheet) })
		same(in("merged cells"), func(x *excelize.File) (any, error) {
			m, err := x.GetMergeCells(sheet)
			var out []string
			for _, c := range m {
				out = append(out, c.GetStartAxis()+":"+c.GetEndAxis()+"="+c.GetCellValue())
			}
			return out, err
		})
		same(in("panes"), func(x *excelize.File) (any, error) { return x.GetPanes(sheet) })
		same(in("sheet view"), func(x *excelize.File) (any, error) { return x.GetSheetView(sheet, 0) })
		same(in("sheet properties"), func(x *excelize.File) (any, error) { return x.GetSheetProps(sheet) })
		same(in("protection"), func(x *excelize.File) (any, error) { return x.GetSheetProtection(sheet) })
		same(in("data validations"), func(x *excelize.File) (any, error) {
			dvs, err := x.GetDataValidations(sheet)
			var out []excelize.DataValidation
			for _, dv := range dvs {
				out = append(out, *dv)
			}
			return out, err
		})
		same(in("conditional formats"), func(x *excelize.File) (any, error) { return x.GetConditionalFormats(sheet) })
		same(in("page layout"), func(x *excelize.File) (any, error) { return x.GetPageLayout(sheet) })
		same(in("page margins"), func(x *excelize.File) (any, error) { return x.GetPageMargins(sheet) })
		same(in("header and footer"), func(x *excelize.File) (any, error) { return x.GetHeaderFooter(sheet) })

		ra, _ := xa.GetRows(sheet)
		rb, _ := xb.GetRows(sheet)
		differ(in("rows"), len(ra), len(rb))
		lastRow, lastCol := max(len(ra), len(rb), headerRow)+1, numCols+1
		for c := 1; c <= lastCol; c++ {
			name, _ := excelize.ColumnNumberToName(c)
			same(at("column "+name+": width"), func(x *excelize.File) (any, error) { return x.GetColWidth(sheet, name) })
		}
		for r := 1; r <= lastRow; r++ {
			same(at(fmt.Sprintf("row %d: height", r)), func(x *excelize.File) (any, error) { return x.GetRowHeight(sheet, r) })
			for c := 1; c <= lastCol; c++ {
				cell, _ := excelize.CoordinatesToCellName(c, r)
				cells++
				same(at(cell+": value"), func(x *excelize.File) (any, error) { return x.GetCellValue(sheet, cell) })
				same(at(cell+": stored value"), func(x *excelize.File) (any, error) {
					return x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
				})
				same(at(cell+": kind"), func(x *excelize.File) (any, error) {
					typ, err := x.GetCellType(sheet, cell)
					if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
						return "string", err
					}
					return typ, err
				})
				same(at(cell+": style"), func(x *excelize.File) (any, error) {
					id, err := x.GetCellStyle(sheet, cell)
					if err != nil {
						return nil, err
					}
					return x.GetStyle(id)
				})
			}
		}
	}
	return diffs, cells
}

// describeDiff shows two values that differ, shortened.
func describeDiff(a, b any) string {
	short := func(v any) string {
		s := fmt.Sprint(v)
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		return s
	}
	return fmt.Sprintf("in-memory %s, streamed %s", short(a), short(b))
}

// BenchmarkWriteTownshipXLSX writes a township list of 1,000 and 10,000
// cases with the streamed writer and, beside it, the in-memory one it
// replaced; B/op is the heap each allocates.
func BenchmarkWriteTownshipXLSX(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		items := genItems(b, n, 5, "340799001")
		for _, w := range []struct {
			name  string
			write func(string, []Item, Options) error
		}{
			{"inmemory", writeTownshipXLSXInMemory},
			{"streamed", WriteTownshipXLSX},
		} {
			b.Run(fmt.Sprintf("%d/%s", n, w.name), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "list.xlsx")
				b.ReportAllocs()
				start := time.Now()
				for b.Loop() {
					if err := w.write(path, items, markedOptions()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "cases/s")
			})
		}
	}
}
