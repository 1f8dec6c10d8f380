package xlsx_test

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

// FuzzXLSXSheet wraps a fuzzed sheet part and a fuzzed shared strings table
// into an otherwise valid workbook and reads it as the file connector does
// (header on row 1, merged ranges filled to its width): it must never
// panic or hang, and every row it returns must hold together. Errors are
// fine: most inputs are damaged XML.
func FuzzXLSXSheet(f *testing.F) {
	const (
		ws  = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
		end = `</sheetData></worksheet>`
	)
	seeds := []struct {
		sheet, sst     string
		in1904, recalc bool
	}{
		{ws + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" s="1"><v>44853</v></c><c r="B2"><v>3.4079900100100002E+15</v></c></row>` + end,
			`<si><t>发证日期</t></si><si><r><t>户</t></r><r><t xml:space="preserve">号 </t></r><rPh><t>hù</t></rPh></si>`, true, false},
		{ws + `<row r="1"><c r="A1" t="inlineStr"><is><t>户号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></c></row><row r="4"><c r="B4" t="e"><v>#N/A</v></c></row></sheetData><mergeCells><mergeCell ref="A2:A4"/><mergeCell ref="A1:B1"/></mergeCells></worksheet>`,
			``, false, false},
		{ws + `<row><c><v>1</v></c><c><v>2</v></c><c><f>A1+B1</f></c><c t="str"><f>A1&amp;"x"</f><v>1x</v></c></row><row><c><f t="shared" ref="A2:A3" si="0">B1*2</f></c></row><row><c><f t="shared" si="0"/></c></row>` + end,
			``, false, true},
		{ws + `<row r="1" hidden="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="d"><v>2026-03-05T10:30:00Z</v></c><c r="C1" s="2"><v>1.5</v></c><c r="D1" s="3"><v>46086.25</v></c></row>` + end,
			`<si><t>_x000D_a_x005F_x000D_</t></si>`, false, false},
		{ws + `<row r="3"><c r="XFD3"><v>1</v></c></row><row r="9"/>` + end, ``, false, false},
	}
	for _, s := range seeds {
		f.Add([]byte(s.sheet), []byte(s.sst), s.in1904, s.recalc)
	}
	f.Fuzz(func(t *testing.T, sheet, sst []byte, in1904, recalc bool) {
		path := filepath.Join(t.TempDir(), "fuzz.xlsx")
		xlsxtest.Book{
			Sheets:         []xlsxtest.Sheet{{Name: "S"}},
			Date1904:       in1904,
			FullCalcOnLoad: recalc,
			StringsXML:     string(sst),
			Formats:        []any{14, `yyyy"年"m"月"d"日"`, 46, "0.00"},
			Parts:          map[string]string{"xl/worksheets/sheet1.xml": string(sheet)},
		}.Write(t, path)
		wb, err := xlsx.Open(path)
		if err != nil {
			t.Fatalf("a valid workbook fails to open: %v", err)
		}
		defer wb.Close()
		sh, err := wb.OpenSheet(0)
		if err != nil {
			return
		}
		defer sh.Close()
		sh.SetFill(true, 0)
		last := 0
		for {
			row, err := sh.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var re *xlsx.RowError
				if errors.As(err, &re) && (re.Row < 1 || re.Row > xlsx.MaxRows+1) {
					t.Fatalf("error at row %d: %v", re.Row, err)
				}
				return
			}
			if row.Num != last+1 {
				t.Fatalf("row %d after row %d", row.Num, last)
			}
			last = row.Num
			if row.Num == 1 {
				sh.SetFill(true, len(row.Values))
			}
			if len(row.Values) != len(row.Kinds) || len(row.Values) > xlsx.MaxCols {
				t.Fatalf("row %d: %d values, %d kinds", row.Num, len(row.Values), len(row.Kinds))
			}
			for i, v := range row.Values {
				if row.Kinds[i].Base() > connectors.KindNumber1904 {
					t.Fatalf("row %d: kind %d", row.Num, row.Kinds[i])
				}
				if len(v) > 4*xlsx.MaxCellChars {
					t.Fatalf("row %d: a value of %d bytes", row.Num, len(v))
				}
				if row.Kinds[i].Base() == connectors.KindUncomputed && v != "" {
					t.Fatalf("row %d: an uncomputed value %q", row.Num, v)
				}
			}
		}
	})
}
