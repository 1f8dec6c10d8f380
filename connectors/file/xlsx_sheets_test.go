package file_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

// Sheets, strings, positions, limits, damaged files and the field cases.

// The default sheet is the first visible sheet of cells; a sheet named in
// the options is read even when hidden; sheets go in the workbook's order.
func TestXLSXSheetChoice(t *testing.T) {
	data := func(name, v string) xlsxtest.Sheet {
		return xlsxtest.Sheet{Name: name, Rows: xlsxtest.Row(1, xlsxtest.Str("A1", "列")) + xlsxtest.Row(2, xlsxtest.Str("A2", v))}
	}
	hidden := func(s xlsxtest.Sheet, state string) xlsxtest.Sheet { s.State = state; return s }
	tests := []struct {
		name   string
		sheets []xlsxtest.Sheet
		sheet  string
		want   string
		notes  map[string]int64
	}{
		{"a hidden lookup sheet first", []xlsxtest.Sheet{hidden(data("户号对照", "lookup"), "hidden"), data("户籍人口", "data")}, "", "data",
			map[string]int64{"hidden_sheets": 1}},
		{"a very hidden sheet first", []xlsxtest.Sheet{hidden(data("vba", "lookup"), "veryHidden"), data("数据", "data")}, "", "data",
			map[string]int64{"hidden_sheets": 1}},
		{"a chart sheet first", []xlsxtest.Sheet{{Name: "图表", Chart: true}, data("数据", "data")}, "", "data", nil},
		{"a hidden sheet named", []xlsxtest.Sheet{hidden(data("户号对照", "lookup"), "hidden"), data("户籍人口", "data")}, "户号对照", "lookup",
			map[string]int64{"hidden_sheet_read": 1}},
		{"every sheet hidden", []xlsxtest.Sheet{hidden(data("甲", "first"), "hidden"), hidden(data("乙", "second"), "hidden")}, "", "first",
			map[string]int64{"hidden_sheet_read": 1, "hidden_sheets": 1}},
		{"visible sheets only", []xlsxtest.Sheet{data("甲", "first"), data("乙", "second")}, "", "first", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := connectors.Options{}
			if tt.sheet != "" {
				opts["sheet"] = tt.sheet
			}
			rr, got := readBook(t, xlsxtest.Book{Sheets: tt.sheets}, opts)
			checkCells(t, got, []connectors.Row{cells(2, txt(tt.want))})
			ns := notes(t, rr)
			for _, code := range []string{"hidden_sheets", "hidden_sheet_read"} {
				if ns[code].Count != tt.notes[code] {
					t.Errorf("note %s counts %d, want %d (%v)", code, ns[code].Count, tt.notes[code], ns)
				}
			}
		})
	}

	t.Run("a chart sheet named", func(t *testing.T) {
		err := bookErr(t, xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "图表", Chart: true}, data("数据", "data")}}, connectors.Options{"sheet": "图表"})
		if want := "book.xlsx: sheet 图表 is a chartsheet, which holds no rows of cells"; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
	})
	t.Run("the workbook's order, not the zip's", func(t *testing.T) {
		// The first sheet's part is the zip's second entry.
		b := xlsxtest.Book{Sheets: []xlsxtest.Sheet{data("甲", "first"), data("乙", "second")}}
		b.Parts = map[string]string{"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`</Relationships>`}
		_, got := readBook(t, b, nil)
		checkCells(t, got, []connectors.Row{cells(2, txt("second"))})
	})
}

// Text is what Excel shows: rich text runs joined, phonetic guides left
// out, white space kept only where the file says to, _xHHHH_ escapes
// decoded.
func TestXLSXStrings(t *testing.T) {
	sst := []struct {
		si   string
		want string
	}{
		{`<si><t>张三</t></si>`, "张三"},
		{`<si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space="preserve"> 三</t></r></si>`, "张 三"},
		{`<si><t>王小明</t><rPh sb="0" eb="3"><t>wáng xiǎo míng</t></rPh><phoneticPr fontId="1"/></si>`, "王小明"},
		{`<si><r><t>李</t></r><rPh sb="0" eb="1"><t>lǐ</t></rPh><r><t>四</t></r></si>`, "李四"},
		{`<si><t> 前后空格 </t></si>`, "前后空格"},
		{`<si><t xml:space="preserve"> 340799200001010011 </t></si>`, " 340799200001010011 "},
		{`<si><r><t>hello</t></r><r><t> </t></r><r><t>world</t></r></si>`, "hello world"},
		{`<si><t>第一行_x000D__x000A_第二行</t></si>`, "第一行\r\n第二行"},
		{`<si><t>_x005F_x000D_</t></si>`, "_x000D_"},
		{`<si><t>a&amp;b&lt;c&#x4E2D;</t></si>`, "a&b<c中"},
		{`<si><t/></si>`, ""},
		{`<si><t><![CDATA[<原样>]]></t></si>`, "<原样>"},
	}
	var sis strings.Builder
	rows := xlsxtest.Row(1, xlsxtest.Str("A1", "值"))
	var want []connectors.Row
	for i, s := range sst {
		sis.WriteString(s.si)
		rows += fmt.Sprintf(`<row r="%d"><c r="A%d" t="s"><v>%d</v></c></row>`, i+2, i+2, i)
		w := cells(int64(i+2), txt(s.want))
		if s.want == "" {
			w = cells(int64(i + 2)) // an empty string is a blank row
		}
		want = append(want, w)
	}
	n := len(sst) + 2
	rows += fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r><rPh><t>nèi</t></rPh></is></c></row>`, n, n)
	rows += fmt.Sprintf(`<row r="%d"><c r="A%d" t="str"><f>A2&amp;CHAR(13)</f><v>张三_x000D_</v></c></row>`, n+1, n+1)
	want = append(want, cells(int64(n), txt("内联")), cells(int64(n+1), txt("张三\r")))
	b := sheet1(rows)
	b.StringsXML = sis.String()
	_, got := readBook(t, b, nil)
	checkCells(t, got, want)
}

// Row and cell positions come from r= attributes; rows and cells without
// one follow the previous one, as Excel reads files from generators that
// leave them out.
func TestXLSXPositions(t *testing.T) {
	tests := []struct {
		name string
		rows string
		want []connectors.Row
	}{
		{"no references at all",
			`<row><c t="inlineStr"><is><t>甲</t></is></c><c><v>1</v></c></row><row><c t="inlineStr"><is><t>乙</t></is></c><c><v>2</v></c></row>`,
			[]connectors.Row{cells(2, txt("甲"), num("1")), cells(3, txt("乙"), num("2"))}},
		{"cells without references after one with",
			`<row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c></row>`,
			[]connectors.Row{cells(2), cells(3, txt(""), num("1"))}}, // C3 is right of the header
		{"a row without a reference after one with",
			`<row r="4"><c r="A4"><v>1</v></c></row><row><c r="A5"><v>2</v></c></row>`,
			[]connectors.Row{cells(2), cells(3), cells(4, num("1"), txt("")), cells(5, num("2"), txt(""))}},
		{"cells out of order within a row",
			`<row r="2"><c r="B2"><v>2</v></c><c r="A2"><v>1</v></c></row>`,
			[]connectors.Row{cells(2, num("1"), num("2"))}},
		{"a cell's row digits are its row's",
			`<row r="2"><c r="A7"><v>1</v></c></row>`,
			[]connectors.Row{cells(2, num("1"), txt(""))}},
		{"elements the reader does not need",
			`<row r="2" spans="1:2" ht="20" customHeight="1"><c r="A2" s="0" cm="1" vm="1"><v>1</v><extLst><ext uri="x"><y/></ext></extLst></c></row><extLst/>`,
			[]connectors.Row{cells(2, num("1"), txt(""))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := readBook(t, sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "名"), xlsxtest.Str("B1", "值"))+tt.rows), nil)
			checkCells(t, got, tt.want)
		})
	}
}

// A damaged or crafted sheet fails its stream with the file, sheet, row and
// cell named, before it can take the machine.
func TestXLSXLimits(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	tests := []struct {
		name, rows, want string
	}{
		{"a cell of 32,768 characters", xlsxtest.Row(2, xlsxtest.Str("B2", long("a", 32768))),
			"book.xlsx:2: sheet S: cell B2: 32768 characters, past Excel's limit of 32767 for a cell"},
		{"a cell of 16,384 characters outside the BMP (32,768 UTF-16 units)", xlsxtest.Row(2, xlsxtest.Str("B2", long("😀", 16384))),
			"book.xlsx:2: sheet S: cell B2: 32768 characters"},
		{"a column past XFD", `<row r="2"><c r="XFE2"><v>1</v></c></row>`,
			`book.xlsx:2: sheet S: cell reference "XFE2" is not a cell of Excel's 16384 columns`},
		{"a cell after XFD", `<row r="2"><c r="XFD2"><v>1</v></c><c><v>2</v></c></row>`,
			"book.xlsx:2: sheet S: a cell after column XFD, Excel's last"},
		{"a row past Excel's last", `<row r="1048577"><c r="A1048577"><v>1</v></c></row>`,
			"book.xlsx:1048577: sheet S: row 1048577 is past Excel's last row, 1048576"},
		{"rows out of order", xlsxtest.Row(5, xlsxtest.Num("A5", "1", 0)) + xlsxtest.Row(3, xlsxtest.Num("A3", "1", 0)),
			"book.xlsx:3: sheet S: row 3 comes after row 5: the rows are out of order"},
		{"a row number that is not one", `<row r="x"/>`, `book.xlsx:2: sheet S: row number "x" is not a number`},
		{"more than 4 MiB without markup", `<row r="2"><c r="A2" t="inlineStr"><is><t>` + long("a", 5<<20) + `</t></is></c></row>`,
			"book.xlsx: sheet S: xl/worksheets/sheet1.xml holds more than 4 MiB of text or markup in one stretch"},
		{"cut short", xlsxtest.Row(2, xlsxtest.Num("A2", "1", 0)) + `<row r="3"><c r="A3"><v>1`,
			"book.xlsx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bookErr(t, sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "名"), xlsxtest.Str("B1", "值"))+tt.rows), nil)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %.300q, want it to start with %q", err, tt.want)
			}
		})
	}
	t.Run("32,767 characters", func(t *testing.T) {
		_, got := readBook(t, sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "名"))+xlsxtest.Row(2, xlsxtest.Str("A2", long("中", 32767)))), nil)
		if len(got) != 1 || len(got[0].Values[0]) != 3*32767 {
			t.Errorf("got %d rows", len(got))
		}
	})
}

// Files that are not workbooks, or workbooks missing what a sheet needs.
func TestXLSXNotWorkbooks(t *testing.T) {
	sheet := xlsxtest.Sheet{Name: "S", Rows: xlsxtest.Row(1, xlsxtest.Str("A1", "名"))}
	tests := []struct {
		name  string
		parts map[string]string
		want  string
	}{
		{"no workbook part", map[string]string{"xl/workbook.xml": "", "_rels/.rels": ""}, "book.xlsx: not an .xlsx workbook: the zip file holds no workbook part (xl/workbook.xml)"},
		{"a binary workbook", map[string]string{"xl/workbook.xml": "", "_rels/.rels": "", "xl/workbook.bin": "x"}, "book.xlsx: not an .xlsx workbook: it is a binary workbook (.xlsb)"},
		{"no sheet part", map[string]string{"xl/worksheets/sheet1.xml": ""}, "book.xlsx: not an .xlsx workbook: the workbook lacks the part of sheet S"},
		{"damaged shared strings", map[string]string{"xl/sharedStrings.xml": "<sst><si><t>x</si>"}, "book.xlsx: read xl/sharedStrings.xml: XML syntax error"},
		{"damaged styles", map[string]string{"xl/styles.xml": "<styleSheet><cellXfs>"}, "book.xlsx: read xl/styles.xml:"},
		{"no sheets", map[string]string{"xl/workbook.xml": `<workbook><sheets/></workbook>`}, "book.xlsx: the workbook has no sheets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bookErr(t, xlsxtest.Book{Sheets: []xlsxtest.Sheet{sheet}, Parts: tt.parts}, nil)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %q, want it to start with %q", err, tt.want)
			}
		})
	}
	t.Run("no relationships and no shared strings or styles", func(t *testing.T) {
		b := xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S", Rows: xlsxtest.Row(1, xlsxtest.Str("A1", "名")) + xlsxtest.Row(2, xlsxtest.Num("A2", "46086", 1))}},
			Parts: map[string]string{"xl/_rels/workbook.xml.rels": "", "xl/sharedStrings.xml": "", "xl/styles.xml": ""}}
		_, got := readBook(t, b, nil)
		checkCells(t, got, []connectors.Row{cells(2, num("46086"))})
	})
}

// The field cases of issue 7 (../shared/cases/field-1), rebuilt the way
// those files are written: each reads right at this layer. What the
// dataset does with the kinds (quarantine an error, reject a 16-digit
// number as a 户号) is tested in engine/dataset.
func TestXLSXFieldCases(t *testing.T) {
	ss := func(ref string, i int) string { return fmt.Sprintf(`<c r="%s" t="s"><v>%d</v></c>`, ref, i) }
	t.Run("01 date1904", func(t *testing.T) {
		b := xlsxtest.Book{Date1904: true, Formats: []any{14},
			Strings: []string{"身份证号", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "证件状态", "340799196005010116", "34079919600501011641", "肢体残疾", "一级", "有效"},
			Sheets: []xlsxtest.Sheet{{Name: "持证残疾人", Rows: xlsxtest.Row(1, ss("A1", 0), ss("B1", 1), ss("C1", 2), ss("D1", 3), ss("E1", 4), ss("F1", 5)) +
				xlsxtest.Row(2, ss("A2", 6), ss("B2", 7), ss("C2", 8), ss("D2", 9), xlsxtest.Num("E2", "44853", 1), ss("F2", 10))}}}
		rr, got := readBook(t, b, nil)
		checkCells(t, got, []connectors.Row{cells(2, txt("340799196005010116"), txt("34079919600501011641"), txt("肢体残疾"), txt("一级"), date("2026-10-20"), txt("有效"))})
		if _, ok := notes(t, rr)["date_system_1904"]; !ok {
			t.Error("no date_system_1904 note")
		}
	})
	t.Run("02 merged household cells", func(t *testing.T) {
		b := xlsxtest.Book{
			Strings: []string{"公民身份号码", "姓名", "户号", "乡镇街道代码", "340799196005010116", "王测一", "3407990010010001", "340799001", "340799196203020227", "李测二"},
			Sheets: []xlsxtest.Sheet{{Name: "户籍人口",
				Rows: xlsxtest.Row(1, ss("A1", 0), ss("B1", 1), ss("C1", 2), ss("D1", 3)) +
					xlsxtest.Row(2, ss("A2", 4), ss("B2", 5), ss("C2", 6), ss("D2", 7)) +
					xlsxtest.Row(3, ss("A3", 8), ss("B3", 9)),
				After: `<mergeCells count="2"><mergeCell ref="C2:C3"/><mergeCell ref="D2:D3"/></mergeCells>`}}}
		_, got := readBook(t, b, nil)
		checkCells(t, got, []connectors.Row{
			cells(2, txt("340799196005010116"), txt("王测一"), txt("3407990010010001"), txt("340799001")),
			cells(3, txt("340799196203020227"), txt("李测二"), filled(txt("3407990010010001")), filled(txt("340799001"))),
		})
	})
	t.Run("03 formula without a cached value", func(t *testing.T) {
		b := xlsxtest.Book{
			Strings: []string{"家庭收入核定表", "户号", "成员1年收入", "成员2年收入", "家庭年收入", "家庭人口", "收入核定日期", "3407990010010002", "2026-03-01"},
			Sheets: []xlsxtest.Sheet{{Name: "家庭收入核定", Rows: xlsxtest.Row(1, ss("A1", 0)) +
				xlsxtest.Row(2, ss("A2", 1), ss("B2", 2), ss("C2", 3), ss("D2", 4), ss("E2", 5), ss("F2", 6)) +
				`<row r="3">` + ss("A3", 7) + `<c r="B3"><v>12000</v></c><c r="C3"><v>0</v></c><c r="D3"><f>SUM(B3:C3)</f></c><c r="E3"><v>2</v></c>` + ss("F3", 8) + `</row>`}}}
		_, got := readBook(t, b, connectors.Options{"header_row": 2})
		checkCells(t, got, []connectors.Row{cells(3, txt("3407990010010002"), num("12000"), num("0"), calc("12000"), num("2"), txt("2026-03-01"))})
	})
	t.Run("04 VLOOKUP #N/A household", func(t *testing.T) {
		b := xlsxtest.Book{
			Strings: []string{"公民身份号码", "户号", "34079919700909055X", "340799196005010116"},
			Sheets: []xlsxtest.Sheet{{Name: "户籍人口", Rows: xlsxtest.Row(1, ss("A1", 0), ss("B1", 1)) +
				xlsxtest.Row(2, ss("A2", 3), `<c r="B2" t="str"><f>VLOOKUP(A2,户号对照!A:B,2,FALSE)</f><v>3407990010010001</v></c>`) +
				xlsxtest.Row(3, ss("A3", 2), `<c r="B3" t="e"><f>VLOOKUP(A3,户号对照!A:B,2,FALSE)</f><v>#N/A</v></c>`)},
				{Name: "户号对照", Rows: xlsxtest.Row(1, ss("A1", 3), xlsxtest.Str("B1", "3407990010010001"))}}}
		_, got := readBook(t, b, nil)
		checkCells(t, got, []connectors.Row{
			cells(2, txt("340799196005010116"), txt("3407990010010001")),
			cells(3, txt("34079919700909055X"), xerr("#N/A")),
		})
	})
	t.Run("14b household id as a number", func(t *testing.T) {
		b := xlsxtest.Book{Formats: []any{14},
			Strings: []string{"家庭收入核定", "户号", "家庭年收入", "家庭人口", "收入核定日期"},
			Sheets: []xlsxtest.Sheet{{Name: "家庭收入核定", Rows: xlsxtest.Row(1, ss("A1", 0)) +
				xlsxtest.Row(2, ss("A2", 1), ss("B2", 2), ss("C2", 3), ss("D2", 4)) +
				xlsxtest.Row(3, xlsxtest.Num("A3", "3407990010010000", 0), xlsxtest.Num("B3", "12000", 0), xlsxtest.Num("C3", "2", 0), xlsxtest.Num("D3", "46082", 1))}}}
		_, got := readBook(t, b, connectors.Options{"header_row": 2})
		checkCells(t, got, []connectors.Row{cells(3, num("3407990010010000"), num("12000"), num("2"), date("2026-03-01"))})
	})
}

// excelize holds a whole workbook in memory to calculate: a workbook that
// inflates past 64 MiB is not calculated, and the note says why.
func TestXLSXFormulasInALargeWorkbook(t *testing.T) {
	b := sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "收入"), xlsxtest.Str("B1", "合计")) +
		`<row r="2"><c r="A2"><v>5</v></c><c r="B2"><f>A2*2</f></c></row>`)
	b.Parts = map[string]string{"xl/media/image1.bin": strings.Repeat("\x00", 65<<20)}
	rr, got := readBook(t, b, nil)
	checkCells(t, got, []connectors.Row{cells(2, num("5"), uncomputed)})
	n := notes(t, rr)["formulas_uncomputed"]
	if n.Count != 1 || !strings.Contains(n.Text, "too large to calculate") {
		t.Errorf("formulas_uncomputed note: %+v", n)
	}
}
