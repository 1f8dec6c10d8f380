package file_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

// writeWorkbook writes a 残联-style workbook: a cover sheet first, then the
// data sheet with a title row, the header on row 2, a date cell, a blank
// row and a short row.
func writeWorkbook(t testing.TB, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "说明"))
	must(f.SetCellValue("说明", "A1", "本表由县残联导出"))
	_, err := f.NewSheet("残疾人证")
	must(err)
	const s = "残疾人证"
	must(f.SetCellValue(s, "A1", "2026年3月新办残疾人证名单"))
	must(f.SetSheetRow(s, "A2", &[]any{" 身份证号", "残疾人证号", "类别", "等级", "发证日期\u3000"}))
	must(f.SetSheetRow(s, "A3", &[]any{"11010519491231002X", "11010519491231002X41", 4, 1, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)}))
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yyyy
	must(err)
	must(f.SetCellStyle(s, "E3", "E3", dateStyle))
	// Row 4 is left blank.
	must(f.SetSheetRow(s, "A5", &[]any{"440524188001010014", "44052418800101001452", 5, 2.5}))
	must(f.SetCellValue(s, "A6", " 340799200001010011 "))
	must(f.SaveAs(path))
}

func TestXLSXChosenSheet(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "disability.xlsx"))
	rr := openOnly(t, newSource(t, dir, connectors.Options{
		"path": "*.xlsx", "sheet": "残疾人证", "header_row": 2,
	}))
	checkHeader(t, rr, "身份证号", "残疾人证号", "类别", "等级", "发证日期")
	checkCells(t, readCells(t, rr), []connectors.Row{
		cells(3, txt("11010519491231002X"), txt("11010519491231002X41"), num("4"), num("1"), date("2026-03-05")),
		cells(4),
		cells(5, txt("440524188001010014"), txt("44052418800101001452"), num("5"), num("2.5"), txt("")),
		cells(6, txt(" 340799200001010011 "), txt(""), txt(""), txt(""), txt("")),
	})
}

// Rows a sheet's XML omits (nothing was ever written there) still count.
func TestXLSXRowsAbsentFromTheFile(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "B3", &[]any{"身份证号", "姓名"})
	f.SetSheetRow("Sheet1", "C6", &[]any{"张三"})
	f.SetSheetRow("Sheet1", "A9", &[]any{"", "", ""})
	if err := f.SaveAs(filepath.Join(dir, "a.xlsx")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx", "header_row": 3}))
	checkHeader(t, rr, "", "身份证号", "姓名")
	checkRows(t, readAll(t, rr), []connectors.Row{row(4), row(5), row(6, "", "", "张三"), row(7), row(8), row(9)})

	err := openErr(t, newSource(t, dir, connectors.Options{"path": "a.xlsx", "header_row": 2}))
	if want := "a.xlsx:2: sheet Sheet1: row is blank where header_row 2 expects the column names"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// The workbook omits trailing empty cells; the reader pads a short row to
// the header's length and leaves a blank row without values. Cells right of
// the header are notes beside the table (a workbook's cells cannot shift as
// a CSV line's can): not read, counted in a note naming their columns.
func TestXLSXRowsPaddedToHeader(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"身份证号", "姓名", "类别", "等级"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"11010519491231002X", "张三", 4, 1})
	f.SetSheetRow("Sheet1", "A3", &[]any{"440524188001010014", "李四"})
	f.SetSheetRow("Sheet1", "A4", &[]any{"340799200001010011", "", "", ""})
	f.SetSheetRow("Sheet1", "A6", &[]any{"", "王五"})
	f.SetSheetRow("Sheet1", "A7", &[]any{"1", "赵六", 2, 3, "多余", "", "又一格"})
	f.SetSheetRow("Sheet1", "A8", &[]any{"1", "钱七", 2})
	if err := f.SaveAs(filepath.Join(dir, "a.xlsx")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx"}))
	got := readAll(t, rr)
	checkRows(t, got, []connectors.Row{
		row(2, "11010519491231002X", "张三", "4", "1"),
		row(3, "440524188001010014", "李四", "", ""),
		row(4, "340799200001010011", "", "", ""),
		row(5),
		row(6, "", "王五", "", ""),
		row(7, "1", "赵六", "2", "3"),
		row(8, "1", "钱七", "2", ""),
	})
	if len(got[3].Values) != 0 {
		t.Errorf("blank row 5 has values %q", got[3].Values)
	}
	n := bookNotes(t, rr)["cells_beyond_header"]
	if n.Count != 2 || !strings.Contains(n.Text, "columns E, G without a header") {
		t.Errorf("note %+v", n)
	}
}

func TestXLSXSheetNameIgnoresCase(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"姓名"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"张三"})
	if err := f.SaveAs(filepath.Join(dir, "a.xlsx")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx", "sheet": "SHEET1"}))
	checkRows(t, readAll(t, rr), []connectors.Row{row(2, "张三")})
}

func TestXLSXFirstSheetByDefault(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "disability.xlsx"))
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "disability.xlsx"}))
	checkHeader(t, rr, "本表由县残联导出")
	checkRows(t, readAll(t, rr), nil)
}

func TestXLSXUnknownSheet(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "disability.xlsx"))
	err := openErr(t, newSource(t, dir, connectors.Options{"path": "disability.xlsx", "sheet": "Sheet1"}))
	want := `disability.xlsx: no sheet "Sheet1"; the workbook has 2 sheets (not named here: a sheet may be named after a person); open it to see the tabs and set sheet to one of them`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestXLSXHeaderRowBeyondSheet(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "disability.xlsx"))
	err := openErr(t, newSource(t, dir, connectors.Options{"path": "disability.xlsx", "header_row": 3}))
	want := "disability.xlsx: header_row is 3 but sheet 说明 has 1 rows"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestXLSXBadFiles(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		opts       connectors.Options
		want       string
	}{
		{"not a zip", "bad.xlsx", []byte("this is not a workbook at all"), nil, "bad.xlsx: not an .xlsx workbook: the file is not a zip archive"},
		{"too short", "short.xlsx", []byte("PK"), nil, "short.xlsx: not an .xlsx workbook: the file is not a zip archive"},
		{"legacy xls", "old.xls", []byte{0xD0, 0xCF, 0x11, 0xE0}, nil, `old.xls: legacy .xls workbooks cannot be read; save the file as .xlsx (or CSV)`},
		{"xls renamed", "old.xlsx", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), nil, "old.xlsx: not an .xlsx workbook"},
		{"unknown extension", "a.dat", []byte("a,b\n"), nil, `a.dat: cannot tell the format from the extension ".dat"; set format to one of csv, xlsx, json, ndjson, parquet`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tt.file, tt.data)
			opts := connectors.Options{"path": tt.file}
			for k, v := range tt.opts {
				opts[k] = v
			}
			err := openErr(t, newSource(t, dir, opts))
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %q, want it to start with %q", err, tt.want)
			}
		})
	}
}

func TestFormatOverride(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "export.dat", []byte("姓名\n张三\n"))
	writeWorkbook(t, filepath.Join(dir, "book.xlsx"))
	if err := os.Rename(filepath.Join(dir, "book.xlsx"), filepath.Join(dir, "book.bin")); err != nil {
		t.Fatal(err)
	}
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "export.dat", "format": "csv"}))
	checkRows(t, readAll(t, rr), []connectors.Row{row(2, "张三")})
	rr = openOnly(t, newSource(t, dir, connectors.Options{"path": "book.bin", "format": "XLSX", "sheet": "残疾人证", "header_row": 2}))
	if got := len(readAll(t, rr)); got != 4 {
		t.Errorf("got %d rows, want 4", got)
	}
}

func TestXLSXCloseTwice(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "a.xlsx"))
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx"}))
	if err := rr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rr.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := rr.Next(); err == nil {
		t.Error("Next after Close returned no error")
	}
}

// Shorthands for expected typed cells.
var (
	txt        = xlsxtest.Text
	num        = xlsxtest.Number
	num1904    = xlsxtest.Number1904
	filled     = xlsxtest.Filled
	date       = xlsxtest.Date
	xerr       = xlsxtest.Error
	calc       = xlsxtest.Computed
	uncomputed = xlsxtest.Uncomputed
	cells      = xlsxtest.Cells
	readCells  = xlsxtest.ReadRows
	checkCells = xlsxtest.CheckRows
)

// readBook writes the workbook and reads it through the connector with
// the options, returning the reader (for its header and notes) and rows.
func readBook(t *testing.T, b xlsxtest.Book, opts connectors.Options) (connectors.RowReader, []connectors.Row) {
	t.Helper()
	dir := t.TempDir()
	b.Write(t, filepath.Join(dir, "book.xlsx"))
	o := connectors.Options{"path": "book.xlsx"}
	for k, v := range opts {
		o[k] = v
	}
	rr := openOnly(t, newSource(t, dir, o))
	return rr, readCells(t, rr)
}

// bookErr writes the workbook and returns the error of opening or reading
// it through the connector.
func bookErr(t *testing.T, b xlsxtest.Book, opts connectors.Options) error {
	t.Helper()
	dir := t.TempDir()
	b.Write(t, filepath.Join(dir, "book.xlsx"))
	o := connectors.Options{"path": "book.xlsx"}
	for k, v := range opts {
		o[k] = v
	}
	streams, err := newSource(t, dir, o).Streams(context.Background())
	if err != nil {
		return err
	}
	rr, err := streams[0].Open(context.Background())
	if err != nil {
		return err
	}
	defer rr.Close()
	for {
		if _, err := rr.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("read the whole book, want an error")
			}
			return err
		}
	}
}

// bookNotes returns the reader's notes by code.
func bookNotes(t *testing.T, rr connectors.RowReader) map[string]connectors.Note {
	t.Helper()
	n, ok := rr.(connectors.Noter)
	if !ok {
		t.Fatal("the xlsx reader reports no notes")
	}
	out := map[string]connectors.Note{}
	for _, nt := range n.Notes() {
		out[nt.Code] = nt
	}
	return out
}

// sheet1 is a workbook of one sheet named S.
func sheet1(rows string) xlsxtest.Book {
	return xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S", Rows: rows}}}
}

// A workbook in the 1904 date system (Excel for Mac) counts serials from
// 1904-01-01: 1,462 days fewer than the 1900 system for the same day.
func TestXLSXDateSystem(t *testing.T) {
	rows := xlsxtest.Row(1, xlsxtest.Str("A1", "发证日期"), xlsxtest.Str("B1", "等级")) +
		xlsxtest.Row(2, xlsxtest.Num("A2", "44853", 1), xlsxtest.Num("B2", "1", 0)) +
		xlsxtest.Row(3, xlsxtest.Num("A3", "42369.75", 1), xlsxtest.Num("B3", "44853", 0))
	tests := []struct {
		name     string
		attr     string
		d1, d2   string
		noteWant bool
	}{
		{"1900 (no attribute)", "", "2022-10-19", "2015-12-31 18:00:00", false},
		{`date1904="1"`, "1", "2026-10-20", "2020-01-01 18:00:00", true},
		{`date1904="true"`, "true", "2026-10-20", "2020-01-01 18:00:00", true},
		{`date1904="0"`, "0", "2022-10-19", "2015-12-31 18:00:00", false},
		{`date1904="false"`, "false", "2022-10-19", "2015-12-31 18:00:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sheet1(rows)
			b.Date1904Attr = tt.attr
			b.Formats = []any{14}
			rr, got := readBook(t, b, nil)
			// A plain number stays a number; in a 1904 workbook it says so,
			// so that a date field reading it as a serial counts from 1904.
			plain := num
			if tt.noteWant {
				plain = num1904
			}
			checkCells(t, got, []connectors.Row{
				cells(2, date(tt.d1), plain("1")),
				cells(3, date(tt.d2), plain("44853")),
			})
			if _, ok := bookNotes(t, rr)["date_system_1904"]; ok != tt.noteWant {
				t.Errorf("date_system_1904 note: %v, want %v", ok, tt.noteWant)
			}
		})
	}
	// The date system is known when the reader opens, before any row.
	dir := t.TempDir()
	b := sheet1(rows)
	b.Date1904 = true
	b.Write(t, filepath.Join(dir, "book.xlsx"))
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "book.xlsx"}))
	if _, ok := bookNotes(t, rr)["date_system_1904"]; !ok {
		t.Error("no date_system_1904 note before the first row")
	}
}

// A number cell is a date when its cell format's number format shows one:
// a built-in date id, or a custom code with date tokens outside quotes,
// brackets and escapes. Elapsed times and number formats are numbers.
func TestXLSXDateFormats(t *testing.T) {
	tests := []struct {
		format any
		date   bool
	}{
		{14, true}, {15, true}, {17, true}, {20, true}, {22, true},
		{27, true}, {28, true}, {30, true}, {31, true}, {32, true}, {36, true},
		{45, true}, {47, true}, {50, true}, {55, true}, {57, true}, {58, true},
		{0, false}, {1, false}, {2, false}, {4, false}, {9, false}, {10, false}, {11, false},
		{37, false}, {44, false}, {46, false}, {48, false}, {49, false},
		{"yyyy-mm-dd", true},
		{`yyyy"年"m"月"d"日"`, true},
		{`[DBNum1][$-804]yyyy"年"m"月"d"日"`, true},
		{"[$-804]yyyy/m/d;@", true},
		{"h:mm:ss", true},
		{"[h]:mm:ss", false},
		{"0.00", false},
		{"#,##0", false},
		{"@", false},
		{`0.00"元"`, false},
		{`"第"0"天"`, false},
		{"[Red]0.00", false},
		{"0.00E+00", false},
	}
	var rows strings.Builder
	rows.WriteString(xlsxtest.Row(1, xlsxtest.Str("A1", "值")))
	var formats []any
	var want []connectors.Row
	for i, tt := range tests {
		formats = append(formats, tt.format)
		r := i + 2
		rows.WriteString(xlsxtest.Row(r, xlsxtest.Num(fmt.Sprintf("A%d", r), "46086.5", i+1)))
		c := num("46086.5")
		if tt.date {
			c = date("2026-03-05 12:00:00")
		}
		want = append(want, cells(int64(r), c))
	}
	b := sheet1(rows.String())
	b.Formats = formats
	_, got := readBook(t, b, nil)
	for i, tt := range tests {
		if i < len(got) && !reflect.DeepEqual(got[i].Kinds, want[i].Kinds) {
			t.Errorf("format %v: got %q (%s), want date=%v", tt.format, got[i].Values, got[i].Kinds, tt.date)
		}
	}
	checkCells(t, got, want)
}

// A date cell of any serial is a date (a birth in 1924 is serial 9000);
// numbers that name no day Excel shows stay numbers.
func TestXLSXSerials(t *testing.T) {
	tests := []struct {
		v      string
		in1904 bool
		want   xlsxtest.Cell
	}{
		{"9000", false, date("1924-08-21")},
		{"1", false, date("1900-01-01")},
		{"59", false, date("1900-02-28")},
		{"60", false, date("1900-02-29")}, // Excel's phantom day: the dataset calls it impossible
		{"61", false, date("1900-03-01")},
		{"46086", false, date("2026-03-05")},
		{"46086.0", false, date("2026-03-05")},
		{"4.6086E4", false, date("2026-03-05")},
		{"46086.25", false, date("2026-03-05 06:00:00")},
		{"2958465", false, date("9999-12-31")},
		{"2958466", false, num("2958466")},
		{"0.5", false, num("0.5")}, // a bare time of day
		{"0", false, num("0")},
		{"-3", false, num("-3")},
		{"0", true, date("1904-01-01")},
		{"9000", true, date("1928-08-22")},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/1904=%v", tt.v, tt.in1904), func(t *testing.T) {
			b := sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "出生日期")) + xlsxtest.Row(2, xlsxtest.Num("A2", tt.v, 1)))
			b.Date1904, b.Formats = tt.in1904, []any{14}
			_, got := readBook(t, b, nil)
			checkCells(t, got, []connectors.Row{cells(2, tt.want)})
		})
	}
}

// Each cell type gives its value and kind: error values are errors, never
// text, while text that reads like an error stays text.
func TestXLSXCellTypes(t *testing.T) {
	tests := []struct {
		name string
		xml  string // the cell, at A2
		want xlsxtest.Cell
	}{
		{"shared string", `<c r="A2" t="s"><v>0</v></c>`, txt("张三")},
		{"shared string that reads #N/A", `<c r="A2" t="s"><v>1</v></c>`, txt("#N/A")},
		{"inline string that reads #N/A", `<c r="A2" t="inlineStr"><is><t>#N/A</t></is></c>`, txt("#N/A")},
		{"#N/A", `<c r="A2" t="e"><v>#N/A</v></c>`, xerr("#N/A")},
		{"#REF!", `<c r="A2" t="e"><v>#REF!</v></c>`, xerr("#REF!")},
		{"#VALUE!", `<c r="A2" t="e"><v>#VALUE!</v></c>`, xerr("#VALUE!")},
		{"#DIV/0!", `<c r="A2" t="e"><v>#DIV/0!</v></c>`, xerr("#DIV/0!")},
		{"#NAME?", `<c r="A2" t="e"><v>#NAME?</v></c>`, xerr("#NAME?")},
		{"#NULL!", `<c r="A2" t="e"><v>#NULL!</v></c>`, xerr("#NULL!")},
		{"#NUM!", `<c r="A2" t="e"><v>#NUM!</v></c>`, xerr("#NUM!")},
		{"#SPILL!", `<c r="A2" t="e"><v>#SPILL!</v></c>`, xerr("#SPILL!")},
		{"#CALC!", `<c r="A2" t="e"><v>#CALC!</v></c>`, xerr("#CALC!")},
		{"#GETTING_DATA", `<c r="A2" t="e"><v>#GETTING_DATA</v></c>`, xerr("#GETTING_DATA")},
		{"error from a formula", `<c r="A2" t="e"><f>VLOOKUP(B2,C:D,2,FALSE)</f><v>#N/A</v></c>`, xerr("#N/A")},
		{"TRUE", `<c r="A2" t="b"><v>1</v></c>`, txt("TRUE")},
		{"FALSE", `<c r="A2" t="b"><v>0</v></c>`, txt("FALSE")},
		{"formula text", `<c r="A2" t="str"><f>B2&amp;C2</f><v>3407990010010001</v></c>`, txt("3407990010010001")},
		{"formula text empty", `<c r="A2" t="str"><f>IF(B2="","",B2)</f><v></v></c>`, txt("")},
		{"ISO date", `<c r="A2" t="d"><v>2026-03-05T00:00:00Z</v></c>`, date("2026-03-05")},
		{"ISO date-time", `<c r="A2" t="d"><v>1925-02-01T08:30:00</v></c>`, date("1925-02-01 08:30:00")},
		{"ISO that is not a date", `<c r="A2" t="d"><v>08:30:00</v></c>`, txt("08:30:00")},
		{"number", `<c r="A2"><v>100001</v></c>`, num("100001")},
		{"number t=n", `<c r="A2" t="n"><v>12.5</v></c>`, num("12.5")},
		{"number as a writer stores it", `<c r="A2"><v>100001.0</v></c>`, num("100001.0")},
		{"16 digits (one past Excel's 15)", `<c r="A2"><v>3407990010010000</v></c>`, num("3407990010010000")},
		{"exponent expanded exactly", `<c r="A2"><v>3.4079900100100002E+15</v></c>`, num("3407990010010000.2")},
		{"small exponent", `<c r="A2"><v>1E-3</v></c>`, num("0.001")},
		{"negative", `<c r="A2"><v>-12.5</v></c>`, num("-12.5")},
		{"padded number", `<c r="A2"><v> 7 </v></c>`, num("7")},
		{"empty cell", `<c r="A2" s="1"/>`, txt("")},
		{"empty value", `<c r="A2"><v></v></c>`, txt("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "值"), xlsxtest.Str("B1", "备注")) + `<row r="2">` + tt.xml + `<c r="B2" t="s"><v>0</v></c></row>`)
			b.Strings = []string{"张三", "#N/A"}
			_, got := readBook(t, b, nil)
			checkCells(t, got, []connectors.Row{cells(2, tt.want, txt("张三"))})
		})
	}
}

// A cell whose value its type cannot hold is a damaged file: the error
// names the file, row, sheet and cell, and never quotes the value.
func TestXLSXDamagedCells(t *testing.T) {
	tests := []struct {
		name, xml, want string
	}{
		{"a number that is not one", `<c r="B2"><v>34079919491231002X</v></c>`, "book.xlsx:2: sheet S: cell B2: a number cell whose value is not a number"},
		{"a date that is not one", `<c r="B2" s="1"><v>2026-03-05</v></c>`, "book.xlsx:2: sheet S: cell B2: a number cell whose value is not a number"},
		{"a boolean that is not one", `<c r="B2" t="b"><v>yes</v></c>`, "book.xlsx:2: sheet S: cell B2: a boolean cell that holds neither TRUE nor FALSE"},
		{"a shared string that does not exist", `<c r="B2" t="s"><v>7</v></c>`, `book.xlsx:2: sheet S: cell B2: the cell names shared string "7", which the workbook does not have (it has 1)`},
		{"a shared string index that is not one", `<c r="B2" t="s"><v>x</v></c>`, `book.xlsx:2: sheet S: cell B2: the cell names shared string "x"`},
		{"an unknown type", `<c r="B2" t="q"><v>1</v></c>`, `book.xlsx:2: sheet S: cell B2: unknown cell type "q"`},
		{"a reference that is no cell", `<c r="22"><v>1</v></c>`, `book.xlsx:2: sheet S: cell reference "22" is not a cell`},
		{"damaged XML", `<c r="B2"><v>1</c>`, "book.xlsx:2: sheet S: the sheet's XML is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "身份证号"), xlsxtest.Str("B1", "值")) + `<row r="2"><c r="A2" t="s"><v>0</v></c>` + tt.xml + `</row>`)
			b.Strings, b.Formats = []string{"340799194912310025"}, []any{14}
			err := bookErr(t, b, nil)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %q, want it to start with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "34079919") {
				t.Errorf("the error quotes a value: %q", err)
			}
		})
	}
}

// A formula's saved value is its value; a formula saved without one is
// calculated (shared formulas too), and one that cannot be is uncomputed,
// never an empty value in silence.
func TestXLSXFormulas(t *testing.T) {
	head := xlsxtest.Row(1, xlsxtest.Str("A1", "成员1年收入"), xlsxtest.Str("B1", "成员2年收入"), xlsxtest.Str("C1", "家庭年收入"), xlsxtest.Str("D1", "说明"))
	tests := []struct {
		name     string
		rows     string
		in1904   bool
		recalc   bool
		want     []connectors.Row
		computed int64
		failed   int64
	}{
		{"saved values are used",
			`<row r="2"><c r="A2"><v>60000</v></c><c r="B2"><v>40000</v></c><c r="C2"><f>SUM(A2:B2)</f><v>100000</v></c><c r="D2" t="str"><f>"户"&amp;A2</f><v>户60000</v></c></row>`,
			false, false, []connectors.Row{cells(2, num("60000"), num("40000"), num("100000"), txt("户60000"))}, 0, 0},
		{"a saved value is trusted even when calculating would differ",
			`<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2"><f>SUM(A2:B2)</f><v>7</v></c></row>`,
			false, false, []connectors.Row{cells(2, num("1"), num("2"), num("7"), txt(""))}, 0, 0},
		{"no saved value: calculated",
			`<row r="2"><c r="A2"><v>60000</v></c><c r="B2"><v>40000</v></c><c r="C2"><f>SUM(A2:B2)</f></c><c r="D2" t="str"><f>"户"&amp;A2</f></c></row>`,
			false, false, []connectors.Row{cells(2, num("60000"), num("40000"), calc("100000"), calc("户60000"))}, 2, 0},
		{"an empty saved value (openpyxl): calculated",
			`<row r="2"><c r="A2"><v>60000</v></c><c r="B2"><v>40000</v></c><c r="C2"><f>SUM(A2:B2)</f><v></v></c><c r="D2" t="str"><f>IF(A2=0,"x","")</f><v></v></c></row>`,
			false, false, []connectors.Row{cells(2, num("60000"), num("40000"), calc("100000"), txt(""))}, 1, 0},
		{"shared formulas without saved values",
			`<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2"><f t="shared" ref="C2:C4" si="0">A2+B2</f></c></row>` +
				`<row r="3"><c r="A3"><v>10</v></c><c r="B3"><v>20</v></c><c r="C3"><f t="shared" si="0"/></c></row>` +
				`<row r="4"><c r="A4"><v>100</v></c><c r="B4"><v>200</v></c><c r="C4"><f t="shared" si="0"/></c></row>`,
			false, false, []connectors.Row{
				cells(2, num("1"), num("2"), calc("3"), txt("")),
				cells(3, num("10"), num("20"), calc("30"), txt("")),
				cells(4, num("100"), num("200"), calc("300"), txt("")),
			}, 3, 0},
		{"shared formulas with saved values",
			`<row r="2"><c r="A2"><v>1</v></c><c r="C2"><f t="shared" ref="C2:C3" si="0">A2*2</f><v>2</v></c></row>` +
				`<row r="3"><c r="A3"><v>5</v></c><c r="C3"><f t="shared" si="0"/><v>10</v></c></row>`,
			false, false, []connectors.Row{cells(2, num("1"), txt(""), num("2"), txt("")), cells(3, num("5"), txt(""), num("10"), txt(""))}, 0, 0},
		{"a formula of a date format gives a date",
			`<row r="2"><c r="A2" s="1"><f>DATE(1925,2,1)</f></c></row>`,
			false, false, []connectors.Row{cells(2, calc("1925-02-01"), txt(""), txt(""), txt(""))}, 1, 0},
		{"a computed date in a 1904 workbook is unknown (excelize counts in 1900)",
			`<row r="2"><c r="A2" s="1"><f>DATE(2026,3,5)</f></c><c r="B2"><f>2+3</f></c></row>`,
			true, false, []connectors.Row{cells(2, uncomputed, calc("5"), txt(""), txt(""))}, 1, 1},
		{"a function excelize lacks",
			`<row r="2"><c r="A2"><v>1</v></c><c r="C2"><f>NOSUCHFUNCTION(A2)</f></c></row>`,
			false, false, []connectors.Row{cells(2, num("1"), txt(""), uncomputed, txt(""))}, 0, 1},
		{"an error result",
			`<row r="2"><c r="A2"><v>1</v></c><c r="C2"><f>A2/0</f></c><c r="D2"><f>VLOOKUP(9,A:A,1,FALSE)</f></c></row>`,
			false, false, []connectors.Row{cells(2, num("1"), txt(""), uncomputed, uncomputed)}, 0, 2},
		{"recalculation on load: saved zeros are not trusted",
			`<row r="2"><c r="A2"><v>60000</v></c><c r="B2"><v>40000</v></c><c r="C2"><f>SUM(A2:B2)</f><v>0</v></c><c r="D2"><f>NOSUCHFUNCTION(1)</f><v>0</v></c></row>`,
			false, true, []connectors.Row{cells(2, num("60000"), num("40000"), calc("100000"), uncomputed)}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sheet1(head + tt.rows)
			b.Date1904, b.FullCalcOnLoad, b.Formats = tt.in1904, tt.recalc, []any{14}
			rr, got := readBook(t, b, nil)
			checkCells(t, got, tt.want)
			ns := bookNotes(t, rr)
			if n := ns["formulas_computed"].Count; n != tt.computed {
				t.Errorf("formulas_computed: %d, want %d (%v)", n, tt.computed, ns)
			}
			if n := ns["formulas_uncomputed"].Count; n != tt.failed {
				t.Errorf("formulas_uncomputed: %d, want %d (%v)", n, tt.failed, ns)
			}
			if _, ok := ns["formulas_recalculated"]; ok != tt.recalc {
				t.Errorf("formulas_recalculated: %v, want %v", ok, tt.recalc)
			}
		})
	}
}

// A merged range's top-left value and kind belong to every cell it covers:
// down a household's rows, across a header; never past the header's width,
// and not over the title rows.
func TestXLSXMergedRanges(t *testing.T) {
	tests := []struct {
		name   string
		rows   string
		merges string
		opts   connectors.Options
		header []string
		want   []connectors.Row
		ranges int64
	}{
		{"down a household's rows",
			xlsxtest.Row(1, xlsxtest.Str("A1", "姓名"), xlsxtest.Str("B1", "户号"), xlsxtest.Str("C1", "核定日期")) +
				xlsxtest.Row(2, xlsxtest.Str("A2", "王测一"), xlsxtest.Str("B2", "3407990010010001"), xlsxtest.Num("C2", "46086", 1)) +
				xlsxtest.Row(3, xlsxtest.Str("A3", "李测二")) +
				xlsxtest.Row(4, xlsxtest.Str("A4", "赵测三")) +
				xlsxtest.Row(5, xlsxtest.Str("A5", "钱测四"), xlsxtest.Str("B5", "3407990010010002")),
			`<mergeCells count="2"><mergeCell ref="B2:B4"/><mergeCell ref="C2:C4"/></mergeCells>`,
			nil, []string{"姓名", "户号", "核定日期"},
			[]connectors.Row{
				cells(2, txt("王测一"), txt("3407990010010001"), date("2026-03-05")),
				cells(3, txt("李测二"), filled(txt("3407990010010001")), filled(date("2026-03-05"))),
				cells(4, txt("赵测三"), filled(txt("3407990010010001")), filled(date("2026-03-05"))),
				cells(5, txt("钱测四"), txt("3407990010010002"), txt("")),
			}, 2},
		{"across the header",
			xlsxtest.Row(1, xlsxtest.Str("A1", "身份证号"), xlsxtest.Str("C1", "户号")) +
				xlsxtest.Row(2, xlsxtest.Str("A2", "户主"), xlsxtest.Str("B2", "成员"), xlsxtest.Str("C2", "1")),
			`<mergeCells><mergeCell ref="A1:B1"/></mergeCells>`,
			nil, []string{"身份证号", "身份证号", "户号"},
			[]connectors.Row{cells(2, txt("户主"), txt("成员"), txt("1"))}, 1},
		{"a value hidden under a merged range is not shown",
			xlsxtest.Row(1, xlsxtest.Str("A1", "户号"), xlsxtest.Str("B1", "姓名")) +
				xlsxtest.Row(2, xlsxtest.Str("A2", "1"), xlsxtest.Str("B2", "甲")) +
				xlsxtest.Row(3, xlsxtest.Str("A3", "旧值"), xlsxtest.Str("B3", "乙")),
			`<mergeCells><mergeCell ref="A2:A3"/></mergeCells>`,
			nil, []string{"户号", "姓名"},
			[]connectors.Row{cells(2, txt("1"), txt("甲")), cells(3, filled(txt("1")), txt("乙"))}, 1},
		{"not past the header's width",
			xlsxtest.Row(1, xlsxtest.Str("A1", "姓名"), xlsxtest.Str("B1", "备注")) +
				xlsxtest.Row(2, xlsxtest.Str("A2", "甲"), xlsxtest.Str("B2", "长备注")),
			`<mergeCells><mergeCell ref="B2:E2"/></mergeCells>`,
			nil, []string{"姓名", "备注"},
			[]connectors.Row{cells(2, txt("甲"), txt("长备注"))}, 0},
		{"over a row the file leaves out",
			xlsxtest.Row(1, xlsxtest.Str("A1", "户号"), xlsxtest.Str("B1", "姓名")) +
				xlsxtest.Row(2, xlsxtest.Str("A2", "1"), xlsxtest.Str("B2", "甲")) +
				xlsxtest.Row(4, xlsxtest.Str("B4", "丙")),
			`<mergeCells><mergeCell ref="A2:A4"/></mergeCells>`,
			nil, []string{"户号", "姓名"},
			[]connectors.Row{cells(2, txt("1"), txt("甲")), cells(3, filled(txt("1")), txt("")), cells(4, filled(txt("1")), txt("丙"))}, 1},
		{"a title merged across the columns is not read",
			xlsxtest.Row(1, xlsxtest.Str("A1", "2026年家庭收入核定表")) +
				xlsxtest.Row(2, xlsxtest.Str("A2", "户号"), xlsxtest.Str("B2", "收入")) +
				xlsxtest.Row(3, xlsxtest.Str("A3", "1"), xlsxtest.Num("B3", "500", 0)),
			`<mergeCells><mergeCell ref="A1:B1"/></mergeCells>`,
			connectors.Options{"header_row": 2}, []string{"户号", "收入"},
			[]connectors.Row{cells(3, txt("1"), num("500"))}, 0},
		{"an empty top-left cell empties the range",
			xlsxtest.Row(1, xlsxtest.Str("A1", "户号"), xlsxtest.Str("B1", "姓名")) +
				xlsxtest.Row(2, xlsxtest.Str("B2", "甲")) +
				xlsxtest.Row(3, xlsxtest.Str("A3", "残留"), xlsxtest.Str("B3", "乙")),
			`<mergeCells><mergeCell ref="A2:A3"/></mergeCells>`,
			nil, []string{"户号", "姓名"},
			[]connectors.Row{cells(2, txt(""), txt("甲")), cells(3, filled(txt("")), txt("乙"))}, 1},
		{"past the last row the file holds",
			xlsxtest.Row(1, xlsxtest.Str("A1", "户号")) + xlsxtest.Row(2, xlsxtest.Str("A2", "1")),
			`<mergeCells><mergeCell ref="A2:A100"/></mergeCells>`,
			nil, []string{"户号"},
			[]connectors.Row{cells(2, txt("1"))}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S", Rows: tt.rows, After: tt.merges}}, Formats: []any{14}}
			rr, got := readBook(t, b, tt.opts)
			checkHeader(t, rr, tt.header...)
			checkCells(t, got, tt.want)
			n := bookNotes(t, rr)["merged_cells"]
			if n.Count != tt.ranges {
				t.Errorf("merged_cells note counts %d ranges, want %d", n.Count, tt.ranges)
			}
			if tt.ranges == 2 && !strings.HasPrefix(n.Text, "2 merged ranges gave the value of their top-left cell to every cell they cover (") {
				t.Errorf("merged_cells note: %q", n.Text)
			}
		})
	}
}

func TestXLSXOverlappingMergedRanges(t *testing.T) {
	b := xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S",
		Rows:  xlsxtest.Row(1, xlsxtest.Str("A1", "户号")) + xlsxtest.Row(2, xlsxtest.Str("A2", "1")) + xlsxtest.Row(3) + xlsxtest.Row(4),
		After: `<mergeCells><mergeCell ref="A2:A4"/><mergeCell ref="A3:B3"/></mergeCells>`}}}
	err := bookErr(t, b, nil)
	want := "book.xlsx:3: sheet S: merged range A3:B3 overlaps another merged range"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to start with %q", err, want)
	}
}

// Hidden rows are data a clerk filtered away: loaded, and counted.
func TestXLSXHiddenRows(t *testing.T) {
	b := sheet1(xlsxtest.Row(1, xlsxtest.Str("A1", "姓名")) +
		`<row r="2" hidden="1"><c r="A2" t="inlineStr"><is><t>甲</t></is></c></row>` +
		xlsxtest.Row(3, xlsxtest.Str("A3", "乙")) +
		`<row r="4" hidden="true" customHeight="1" ht="0"><c r="A4" t="inlineStr"><is><t>丙</t></is></c></row>`)
	rr, got := readBook(t, b, nil)
	checkCells(t, got, []connectors.Row{cells(2, txt("甲")), cells(3, txt("乙")), cells(4, txt("丙"))})
	n := bookNotes(t, rr)["hidden_rows"]
	if n.Count != 2 || !strings.Contains(n.Text, "2 hidden rows") {
		t.Errorf("hidden_rows note: %+v", n)
	}
}

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
			ns := bookNotes(t, rr)
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
		if _, ok := bookNotes(t, rr)["date_system_1904"]; !ok {
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
	n := bookNotes(t, rr)["formulas_uncomputed"]
	if n.Count != 1 || !strings.Contains(n.Text, "too large to calculate") {
		t.Errorf("formulas_uncomputed note: %+v", n)
	}
}
