package file_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Typed cells: kinds, dates, formulas, merged ranges, hidden rows and
// sheets, strings, positions, limits and the field cases, on workbooks
// written part by part (internal/xlsx/xlsxtest).

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
	rr := connectortest.OpenOnly(t, newSource(t, dir, o))
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
			if _, ok := notes(t, rr)["date_system_1904"]; ok != tt.noteWant {
				t.Errorf("date_system_1904 note: %v, want %v", ok, tt.noteWant)
			}
		})
	}
	// The date system is known when the reader opens, before any row.
	dir := t.TempDir()
	b := sheet1(rows)
	b.Date1904 = true
	b.Write(t, filepath.Join(dir, "book.xlsx"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "book.xlsx"}))
	if _, ok := notes(t, rr)["date_system_1904"]; !ok {
		t.Error("no date_system_1904 note before the first row")
	}
}

// Issue 9 (tester's finding C): a date cell holding 0, -0 or 0.5 in a
// workbook of the 1904 date system loaded as 1904-01-01, where the same
// cell of a 1900 workbook is refused as a number. An empty or zeroed date
// is no date in either system: both refuse it, in an event's date and in
// an end date (an assistance period ended in 1904 would leave a family
// uncovered), whether the cell is formatted as a date or not. Real dates
// load in both.
func TestXLSXZeroDateRefusedInBothSystems(t *testing.T) {
	const id = "11010519491231002X"
	for _, tc := range []struct {
		dataset string
		header  []string
		columns map[string]string
		lead    []string // the cells before the date
		field   string   // the date field
	}{
		{"employment", []string{"身份证号", "业务类型", "业务日期"},
			map[string]string{"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"},
			[]string{id, "就业登记"}, "event_date"},
		{"assistance", []string{"身份证号", "救助类别", "开始日期", "结束日期"},
			map[string]string{"id_number": "身份证号", "category": "救助类别", "start_date": "开始日期", "end_date": "结束日期"},
			[]string{id, "低保", "2020-01-01"}, "end_date"},
	} {
		for _, date1904 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s 1904=%v", tc.dataset, date1904), func(t *testing.T) {
				real := "46315" // 2026-10-20
				if date1904 {
					real = "44853"
				}
				cols := "ABCDEFG"
				header := ""
				for i, h := range tc.header {
					header += xlsxtest.Str(cols[i:i+1]+"1", h)
				}
				rows := xlsxtest.Row(1, header)
				// value, cell format (1: a date format, 0: General)
				cells := []struct {
					v     string
					style int
				}{{"0", 1}, {"-0", 1}, {"0.5", 1}, {"0", 0}, {real, 1}, {real, 0}}
				for i, c := range cells {
					r := i + 2
					var cs []string
					for j, v := range tc.lead {
						cs = append(cs, xlsxtest.Str(fmt.Sprintf("%c%d", cols[j], r), v))
					}
					cs = append(cs, xlsxtest.Num(fmt.Sprintf("%c%d", cols[len(tc.lead)], r), c.v, c.style))
					rows += xlsxtest.Row(r, cs...)
				}
				b := sheet1(rows)
				b.Date1904 = date1904
				b.Formats = []any{14}
				rr, got := readBook(t, b, nil)
				ds, _ := dataset.Lookup(tc.dataset)
				m, err := dataset.NewMapper(ds, rr.Header(), dataset.Mapping{Columns: tc.columns})
				if err != nil {
					t.Fatal(err)
				}
				field := slices.IndexFunc(ds.Fields, func(f dataset.Field) bool { return f.Name == tc.field })
				if len(got) != len(cells) {
					t.Fatalf("%d rows, want %d", len(got), len(cells))
				}
				for i, row := range got {
					out := make([]any, len(ds.Fields))
					_, p := m.MapRow(row.Values, row.Kinds, out)
					c := cells[i]
					if c.v == real {
						if p != nil {
							t.Errorf("%s (format %d): %v", c.v, c.style, p)
						} else if d, ok := out[field].(time.Time); !ok || d.Format(time.DateOnly) != "2026-10-20" {
							t.Errorf("%s (format %d): %s = %v, want 2026-10-20", c.v, c.style, tc.field, out[field])
						}
						continue
					}
					if p == nil {
						t.Errorf("%s (format %d): %s loaded as %v, want it refused", c.v, c.style, tc.field, out[field])
						continue
					}
					if p.Field != tc.field || p.Code != dataset.BadDate {
						t.Errorf("%s (format %d): %s %s: %s, want %s refused", c.v, c.style, p.Code, p.Field, p.Reason, tc.field)
					}
					// The reason quotes what the cell holds, not a 1900 serial.
					if strings.Contains(p.Reason, "1462") || strings.Contains(p.Reason, "1904") {
						t.Errorf("%s (format %d): %s", c.v, c.style, p.Reason)
					}
				}
			})
		}
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
		{"0", true, num1904("0")}, // issue 9: no date in 1904 either
		{"-0", true, num1904("-0")},
		{"0.5", true, num1904("0.5")},
		{"1", true, date("1904-01-02")},
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
			ns := notes(t, rr)
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
			n := notes(t, rr)["merged_cells"]
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
	n := notes(t, rr)["hidden_rows"]
	if n.Count != 2 || !strings.Contains(n.Text, "2 hidden rows") {
		t.Errorf("hidden_rows note: %+v", n)
	}
}
