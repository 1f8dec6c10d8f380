package dataset

import (
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

const (
	kText     = connectors.KindText
	kNumber   = connectors.KindNumber
	kDate     = connectors.KindDate
	kError    = connectors.KindError
	kComputed = connectors.KindComputed
	kUncomp   = connectors.KindUncomputed
)

// cell is one input cell: its value as the reader gives it, and its kind.
type cell struct {
	v string
	k connectors.CellKind
}

func txt(v string) cell { return cell{v, kText} }

// source is a small source of one dataset: a header (the mapped names of
// cols, in order, and an unmapped 备注 column) and a mapping.
type source struct {
	dataset string
	fields  []string // mapped fields, in column order
	names   []string // their column names
	formats map[string]string
}

func (s source) mapper(t *testing.T) *Mapper {
	t.Helper()
	ds, ok := Lookup(s.dataset)
	if !ok {
		t.Fatalf("no dataset %s", s.dataset)
	}
	cols := map[string]string{}
	for i, f := range s.fields {
		cols[f] = s.names[i]
	}
	m, err := NewMapper(ds, append(append([]string(nil), s.names...), "备注"), Mapping{Columns: cols, Formats: s.formats})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mapCells maps one row of cells plus an unmapped 备注 cell.
func mapCells(m *Mapper, row []cell, note cell) (map[string]any, string, *Problem) {
	values := make([]string, 0, len(row)+1)
	kinds := make([]connectors.CellKind, 0, len(row)+1)
	for _, c := range append(row, note) {
		values = append(values, c.v)
		kinds = append(kinds, c.k)
	}
	out := make([]any, len(m.Dataset().Fields))
	key, p := m.MapRow(values, kinds, out)
	got := map[string]any{}
	for i, f := range m.Dataset().Fields {
		got[f.Name] = out[i]
	}
	return got, key, p
}

var (
	householdsSrc = source{dataset: "households", fields: []string{"household_id", "annual_income", "members", "income_assessed_date"},
		names: []string{"户号", "家庭年收入", "家庭人口", "收入核定日期"}}
	assistanceSrc = source{dataset: "assistance", fields: []string{"id_number", "household_id", "category", "start_date", "end_date", "amount_monthly"},
		names: []string{"身份证号", "户号", "救助类别", "开始日期", "结束日期", "月救助金额"}}
	registrySrc = source{dataset: "registry", fields: []string{"id_number", "name", "household_id", "township_code", "village_code", "address", "birth_date"},
		names: []string{"公民身份号码", "姓名", "户号", "乡镇街道代码", "村社区代码", "住址", "出生日期"}}
	disabilitySrc = source{dataset: "disability", fields: []string{"id_number", "cert_number", "category", "level", "issued_date", "status"},
		names: []string{"sfzh", "czbh", "cjlb", "cjdj", "fzrq", "zjzt"}}
	fishersSrc = source{dataset: "fishers", fields: []string{"id_number", "household_id", "boat_cert", "retired_date", "resettlement", "pension_insured"},
		names: []string{"身份证号", "户号", "渔船证号", "退捕日期", "安置去向", "是否参保"}}
)

const idA = "340799196005010116" // valid, fictional area 340799

// TestCellKinds: what a typed cell was decides how its value reads.
func TestCellKinds(t *testing.T) {
	cases := []struct {
		name string
		src  source
		row  []cell
		note cell
		want []want // when the row loads
		code string // when it is quarantined
		col  string
		has  string // part of the reason
	}{
		// 1. Excel error values are never data.
		{name: "#N/A cell in 户号", src: householdsSrc, row: []cell{{"#N/A", kError}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "户号", has: "column 户号 (household_id): Excel error #N/A (a formula such as VLOOKUP found nothing): fix the formula in the workbook, then sync again"},
		{name: "#REF! cell in an amount", src: householdsSrc, row: []cell{txt("3407990010010001"), {"#REF!", kError}, txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "家庭年收入", has: "#REF! (a formula refers to cells that were deleted or moved)"},
		{name: "#DIV/0! cell in an optional field", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), {"#DIV/0!", kError}, txt("2026-03-01")},
			code: ExcelError, col: "家庭人口", has: "#DIV/0!"},
		{name: "error cell of an unknown code", src: householdsSrc, row: []cell{{"#WHAT?", kError}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "户号", has: "Excel error #WHAT? (a formula failed)"},
		{name: "error cell with no code", src: householdsSrc, row: []cell{{"", kError}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "户号", has: "Excel error an error value"},
		{name: "error cell whose value is not text", src: householdsSrc, row: []cell{{"#\x89", kError}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "户号", has: "Excel error an error value (a formula failed)"},
		{name: "#N/A as text (CSV export)", src: householdsSrc, row: []cell{txt("#N/A"), txt("12000"), txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "户号", has: "#N/A"},
		{name: "full-width #N/A as text", src: householdsSrc, row: []cell{txt("＃Ｎ／Ａ"), txt("12000"), txt("2"), txt("2026-03-01")},
			code: ExcelError, col: "户号", has: "#N/A"},
		{name: "#VALUE! as text in an ID column", src: assistanceSrc, row: []cell{txt("#VALUE!"), txt(""), txt("低保"), txt("2024-01-01"), txt(""), txt("600")},
			code: ExcelError, col: "身份证号", has: "#VALUE!"},
		{name: "LibreOffice error as text in a date", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), txt("Err:502")},
			code: ExcelError, col: "收入核定日期", has: "Err:502"},
		{name: "#### of a narrow date column", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), txt("########")},
			code: ExcelError, col: "收入核定日期", has: "too narrow"},
		{name: "#NAME? in free text", src: registrySrc, row: []cell{txt(idA), txt("#NAME?"), txt("3407990010010001"), txt("340799001"), txt(""), txt(""), txt("")},
			code: ExcelError, col: "姓名", has: "#NAME?"},
		{name: "an error in an unmapped column does not matter", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), txt("2026-03-01")},
			note: cell{"#N/A", kError}, want: []want{{"household_id", "3407990010010001"}}},
		// 2. Formulas without a value.
		{name: "uncomputed formula in an optional amount", src: householdsSrc, row: []cell{txt("3407990010010001"), {"", kUncomp}, txt("2"), txt("2026-03-01")},
			code: FormulaNotComputed, col: "家庭年收入", has: "formula without a computed value: open and save the file in Excel/WPS, then sync again"},
		{name: "uncomputed formula in 户号", src: householdsSrc, row: []cell{{"", kUncomp}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: FormulaNotComputed, col: "户号"},
		{name: "uncomputed formula in an unmapped column", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), txt("2026-03-01")},
			note: cell{"", kUncomp}, want: []want{{"annual_income", int64(1200000)}}},
		{name: "a formula the reader computed", src: householdsSrc, row: []cell{txt("3407990010010001"), {"12000", kComputed}, txt("2"), txt("2026-03-01")},
			want: []want{{"annual_income", int64(1200000)}}},
		// 3. Identifiers that went through a number.
		{name: "户号 from a number cell with a zero fraction", src: householdsSrc, row: []cell{{"100001.0", kNumber}, txt("12000"), txt("2"), txt("2026-03-01")},
			want: []want{{"household_id", "100001"}}},
		{name: "户号 as text with zero fractions", src: householdsSrc, row: []cell{txt("100001.00"), txt("12000"), txt("2"), txt("2026-03-01")},
			want: []want{{"household_id", "100001"}}},
		{name: "户号 number cell in exponent form", src: householdsSrc, row: []cell{{"1.00001E+5", kNumber}, txt("12000"), txt("2"), txt("2026-03-01")},
			want: []want{{"household_id", "100001"}}},
		{name: "16-digit 户号 in a number cell", src: householdsSrc, row: []cell{{"3407990010010000", kNumber}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: DamagedNumber, col: "户号", has: "more"},
		{name: "16-digit 户号 as text is exact", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), txt("2026-03-01")},
			want: []want{{"household_id", "3407990010010001"}}},
		{name: "户号 in scientific notation", src: householdsSrc, row: []cell{txt("3.40799E+15"), txt("12000"), txt("2"), txt("2026-03-01")},
			code: DamagedNumber, col: "户号", has: "scientific notation"},
		{name: "户号 in full-width scientific notation", src: householdsSrc, row: []cell{txt("３.４０７９９Ｅ＋１５"), txt("12000"), txt("2"), txt("2026-03-01")},
			code: DamagedNumber, col: "户号", has: "设置单元格格式→文本"},
		{name: "户号 with a fraction", src: householdsSrc, row: []cell{{"100001.5", kNumber}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: DamagedNumber, col: "户号", has: "fraction"},
		{name: "户号 grouped in digits", src: householdsSrc, row: []cell{txt("3407 9900 1001 0001"), txt("12000"), txt("2"), txt("2026-03-01")},
			want: []want{{"household_id", "3407990010010001"}}},
		{name: "18-digit ID in a number cell", src: assistanceSrc, row: []cell{{"340799196005010000", kNumber}, txt(""), txt("低保"), txt("2024-01-01"), txt(""), txt("600")},
			code: DamagedNumber, col: "身份证号", has: "15 significant digits"},
		{name: "ID in scientific notation", src: assistanceSrc, row: []cell{txt("3.40799E+17"), txt(""), txt("低保"), txt("2024-01-01"), txt(""), txt("600")},
			code: DamagedNumber, col: "身份证号"},
		{name: "15-digit legacy ID in a number cell is exact", src: assistanceSrc, row: []cell{{"340799600501011", kNumber}, txt(""), txt("低保"), txt("2024-01-01"), txt(""), txt("600")},
			want: []want{{"id_number", "340799196005010116"}}},
		{name: "claim number from a number cell", src: source{dataset: "medical", fields: []string{"claim_id", "id_number", "settle_date", "total_cost", "out_of_pocket"}, names: []string{"结算单号", "身份证号", "结算日期", "医疗总费用", "个人自付"}},
			row: []cell{{"20260301.0", kNumber}, txt(idA), txt("2026-03-01"), txt("100"), txt("50")}, want: []want{{"claim_id", "20260301"}}},
		{name: "certificate number from a number cell", src: disabilitySrc, row: []cell{txt(idA), {"34079919600501011642", kNumber}, txt("4"), txt("2"), txt("2026-03-01"), txt("有效")},
			code: DamagedNumber, col: "czbh"},
		{name: "township code from a number cell", src: registrySrc, row: []cell{txt(idA), txt("王测一"), txt("3407990010010001"), {"340799001.0", kNumber}, {"340799001001", kNumber}, txt(""), txt("")},
			want: []want{{"township_code", "340799001"}, {"village_code", "340799001001"}}},
		{name: "a date cell in 户号", src: householdsSrc, row: []cell{{"2026-03-05", kDate}, txt("12000"), txt("2"), txt("2026-03-01")},
			code: BadValue, col: "户号", has: "formatted as a date"},
		{name: "a date cell in an amount", src: householdsSrc, row: []cell{txt("3407990010010001"), {"1900-01-05", kDate}, txt("2"), txt("2026-03-01")},
			code: BadNumber, col: "家庭年收入", has: "formatted as a date"},
		// 9. Dates from typed cells.
		{name: "a date cell", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), {"2026-03-01", kDate}},
			want: []want{{"income_assessed_date", day(2026, 3, 1)}}},
		{name: "a date-time cell", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), {"2026-03-01 13:45:00", kDate}},
			want: []want{{"income_assessed_date", day(2026, 3, 1)}}},
		{name: "a birth date cell before 1927", src: registrySrc, row: []cell{txt(idA), txt("王测一"), txt("3407990010010001"), txt("340799001"), txt(""), txt(""), {"1905-02-01", kDate}},
			want: []want{{"birth_date", day(1905, 2, 1)}}},
		{name: "an Excel serial in a number cell", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), {"46082", kNumber}},
			want: []want{{"income_assessed_date", day(2026, 3, 1)}}},
		{name: "yyyymmdd in a number cell", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), {"20260301", kNumber}},
			want: []want{{"income_assessed_date", day(2026, 3, 1)}}},
		{name: "a year in a number cell", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), {"2026", kNumber}},
			code: BadDate, col: "收入核定日期", has: `"2026" is a number, not a date: format the column as dates`},
		{name: "a short number as text", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), txt("2"), txt("4608")},
			code: BadDate, col: "收入核定日期", has: "is a number, not a date"},
		// 10. Amounts and counts.
		{name: "float noise in an amount", src: householdsSrc, row: []cell{txt("3407990010010001"), {"1234.5000000000002", kNumber}, txt("2"), txt("2026-03-01")},
			want: []want{{"annual_income", int64(123450)}}},
		{name: "float noise below", src: householdsSrc, row: []cell{txt("3407990010010001"), {"1234.4999999999998", kNumber}, txt("2"), txt("2026-03-01")},
			want: []want{{"annual_income", int64(123450)}}},
		{name: "an amount in exponent form from a number cell", src: householdsSrc, row: []cell{txt("3407990010010001"), {"1.2E+4", kNumber}, txt("2"), txt("2026-03-01")},
			want: []want{{"annual_income", int64(1200000)}}},
		{name: "grouped amount as text", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12,000.00"), txt("2"), txt("2026-03-01")},
			want: []want{{"annual_income", int64(1200000)}}},
		{name: "a count from a number cell", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), {"2.0", kNumber}, txt("2026-03-01")},
			want: []want{{"members", int64(2)}}},
		{name: "a count with a double's noise", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), {"2.9999999999999996", kNumber}, txt("2026-03-01")},
			want: []want{{"members", int64(3)}}},
		{name: "a count with a fraction", src: householdsSrc, row: []cell{txt("3407990010010001"), txt("12000"), {"2.5", kNumber}, txt("2026-03-01")},
			code: BadNumber, col: "家庭人口", has: `"2.5" is not a whole number`},
		{name: "enum values from number cells", src: disabilitySrc, row: []cell{txt(idA), txt(""), {"4.0", kNumber}, {"1", kNumber}, txt("2026-03-01"), txt("有效")},
			want: []want{{"category", "4"}, {"level", "1"}}},
		{name: "a yes/no from a number cell", src: fishersSrc, row: []cell{txt(idA), txt(""), txt(""), txt("2021-01-01"), txt("就业"), {"1.0", kNumber}},
			want: []want{{"pension_insured", true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := c.src.mapper(t)
			wantMapped(t, m, c.row, c.note, c.want, c.code, c.col, c.has)
		})
	}
}

// want is a field's value when a row loads.
type want struct {
	field string
	value any
}

// wantMapped maps row (and note, the unmapped 备注 cell) and checks it
// loads with the wanted values when code is "", or else is quarantined as
// code in column col, the reason containing has and no identifier.
func wantMapped(t *testing.T, m *Mapper, row []cell, note cell, values []want, code, col, has string) {
	t.Helper()
	got, _, p := mapCells(m, row, note)
	if code == "" {
		if p != nil {
			t.Fatalf("quarantined: %s: %s", p.Code, p.Reason)
		}
		for _, w := range values {
			if g := got[w.field]; g != w.value {
				if gt, ok := g.(time.Time); !ok || !gt.Equal(w.value.(time.Time)) {
					t.Errorf("%s = %#v, want %#v", w.field, g, w.value)
				}
			}
		}
		return
	}
	if p == nil {
		t.Fatalf("loaded %v, want %s", got, code)
	}
	if p.Code != code || p.Column != col || !strings.Contains(p.Reason, has) {
		t.Errorf("got %s in %q: %s\nwant %s in %q with %q", p.Code, p.Column, p.Reason, code, col, has)
	}
	assertNoIdentifier(t, p.Reason, row)
}

// assertNoIdentifier fails when a reason quotes a run of six or more digits
// of the row's cells: IDs, 户号 and certificate numbers are personal data.
func assertNoIdentifier(t *testing.T, reason string, row []cell) {
	t.Helper()
	for _, c := range row {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, c.v)
		if len(digits) >= 9 && strings.Contains(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, reason), digits[:9]) {
			t.Errorf("reason quotes a cell's digits: %s", reason)
		}
	}
}
