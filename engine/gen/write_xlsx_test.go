package gen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeXLSXExcelize is the writer the streaming one replaced: every cell
// set on an in-memory excelize workbook. The streaming writer must give the
// same bytes.
func (f *file) writeXLSXExcelize(path string, asOf time.Time) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", f.sheet); err != nil {
		return err
	}
	stamp := asOf.Format("2006-01-02") + "T00:00:00Z"
	if err := x.SetDocProps(&excelize.DocProperties{
		Creator: "lipwatch gen", LastModifiedBy: "lipwatch gen", Created: stamp, Modified: stamp,
		Title: f.sheet, Language: "zh-CN",
	}); err != nil {
		return err
	}
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	sheetRow := 1
	if f.title != "" {
		if err := x.SetCellStr(f.sheet, "A1", f.title); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(f.cols), 1)
		if err := x.MergeCell(f.sheet, "A1", last); err != nil {
			return err
		}
		sheetRow = 2
	}
	set := func(col, row int, c cell) error {
		ref, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		switch c.kind {
		case numberCell:
			return x.SetCellFloat(f.sheet, ref, c.num, -1, 64)
		case dateCell:
			if err := x.SetCellFloat(f.sheet, ref, c.num, -1, 64); err != nil {
				return err
			}
			return x.SetCellStyle(f.sheet, ref, ref, dateStyle)
		default:
			if c.text == "" {
				return nil
			}
			return x.SetCellStr(f.sheet, ref, c.text)
		}
	}
	for i, h := range f.headers() {
		if err := set(i+1, sheetRow, txt(h)); err != nil {
			return err
		}
	}
	for _, rw := range f.rows {
		sheetRow++
		for i, c := range rw.cells {
			if err := set(i+1, sheetRow, c); err != nil {
				return err
			}
		}
	}
	for i, c := range f.cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		width := 14.0
		if c.field == "id_number" || c.field == "cert_number" || c.field == "household_id" {
			width = 22
		}
		if err := x.SetColWidth(f.sheet, name, name, width); err != nil {
			return err
		}
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := x.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestStreamedXLSXIsExcelizes writes sheets with awkward content both
// ways: titles or none, more than 26 columns, blank rows and cells,
// repeated and special text, white space at either end, numbers past 15
// significant digits, dates.
func TestStreamedXLSXIsExcelizes(t *testing.T) {
	texts := []string{"3407990010010001", "83,200.00元", " leading", "trailing ", "\ttab", "line\nbreak", "cr\rhere",
		"a & b", "<tag>", `"quoted"`, "it's", "全角　空格", "ｘ", "", "示例县", "2026年11月28日", "x  y", "户号"}
	nums := []float64{0, 1, 1.5, 300, 83200.5, -12.25, 1234567890123456789, 0.1 + 0.2, 3.14159265358979323846, 1e-7}
	for _, tc := range []struct {
		name, title string
		cols        int
		rows        int
	}{{"plain", "", 6, 300}, {"titled", "示例县家庭收入核定表", 4, 500}, {"wide", "宽表", 30, 60}, {"empty", "", 3, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tc.cols)))
			f := &file{name: tc.name + ".xlsx", format: "xlsx", sheet: "表" + tc.name, title: tc.title}
			for i := range tc.cols {
				f.cols = append(f.cols, column{header: fmt.Sprintf("列%d", i+1), field: []string{"id_number", "x"}[i%2]})
			}
			for i := range tc.rows {
				var rw row
				switch {
				case i%37 == 5: // blank row
					rw.cells = make([]cell, tc.cols)
				case i%41 == 7: // the header again
					for _, h := range f.headers() {
						rw.cells = append(rw.cells, txt(h))
					}
				default:
					for range tc.cols {
						switch r.IntN(4) {
						case 0:
							rw.cells = append(rw.cells, number(nums[r.IntN(len(nums))]))
						case 1:
							rw.cells = append(rw.cells, dateValue(time.Date(1990+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)))
						default:
							s := texts[r.IntN(len(texts))]
							if r.IntN(3) == 0 {
								s += fmt.Sprint(r.IntN(1000))
							}
							rw.cells = append(rw.cells, txt(s))
						}
					}
				}
				f.rows = append(f.rows, rw)
			}
			dir := t.TempDir()
			want, got := filepath.Join(dir, "want.xlsx"), filepath.Join(dir, "got.xlsx")
			if err := f.writeXLSXExcelize(want, testAsOf); err != nil {
				t.Fatal(err)
			}
			if err := f.writeXLSX(got, testAsOf); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(want)
			b, _ := os.ReadFile(got)
			if !bytes.Equal(a, b) {
				t.Fatalf("streamed sheet differs from excelize's (%d bytes, want %d)", len(b), len(a))
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".lipwatch-sst-*")); len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

func TestStreamedXLSXRefusesUnsupportedText(t *testing.T) {
	f := &file{name: "x.xlsx", format: "xlsx", sheet: "x", cols: []column{{"a", "a"}},
		rows: []row{{cells: []cell{txt("_x0041_")}}}}
	err := f.writeXLSX(filepath.Join(t.TempDir(), "x.xlsx"), testAsOf)
	if err == nil || !strings.Contains(err.Error(), "does not support") {
		t.Fatalf("err = %v", err)
	}
}

// TestInserterIsSlicesInsert: apply places rows where one slices.Insert
// after another would.
func TestInserterIsSlicesInsert(t *testing.T) {
	for _, n := range []int{2, 3, 10, 1000} {
		for _, m := range []int{0, 1, 5, 200} {
			base := make([]row, n)
			for i := range base {
				base[i] = row{dup: fmt.Sprint("base", i)}
			}
			want := slices.Clone(base)
			r1 := rand.New(rand.NewPCG(uint64(n), uint64(m)))
			for k := range m {
				at := 1 + r1.IntN(len(want)-1)
				want = slices.Insert(want, at, row{dup: fmt.Sprint("ins", k)})
			}
			r2 := rand.New(rand.NewPCG(uint64(n), uint64(m)))
			in := &inserter{base: n}
			for k := range m {
				in.insert(r2, row{dup: fmt.Sprint("ins", k)})
			}
			got := in.apply(slices.Clone(base))
			if !slices.EqualFunc(got, want, func(a, b row) bool { return a.dup == b.dup }) {
				t.Fatalf("n=%d m=%d: rows in a different order", n, m)
			}
		}
	}
}
