package xlsx

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

func TestTrustedFormulas(t *testing.T) {
	for f, want := range map[string]bool{
		"SUM(B3:C3)":     true,
		"B3+C3":          true,
		"ROUND(B3/12,2)": true,
		"IFERROR(VLOOKUP(A2,户号对照!A:B,2,FALSE),\"\")": true,
		"DATE(2026,3,1)":                     true,
		"_xlfn.CONCAT(A1,B1)":                false, // not checked against Excel
		"SUMIF(成员收入!A:A,A2,成员收入!C:C)":        false,
		"COUNTIF(A:A,A2)":                    false,
		"SUMPRODUCT((成员!A2:A9=A2)*成员!B2:B9)": false,
		"SUM(IF(成员!A2:A9=A2,成员!B2:B9))":      false, // an array formula
		"SUM(B2:B9*C2:C9)":                   false,
		"SUM(-B2:B9)":                        false,
		"TODAY()-B2":                         false, // volatile
		"SUM({1,2,3})":                       false,
	} {
		if got := trusted(f); got != want {
			t.Errorf("trusted(%q) = %v, want %v", f, got, want)
		}
	}
}

// A formula excelize may answer wrongly (SUMIF over number-like text keys
// gives 0 where Excel gives the sum) is left uncomputed and counted as
// untrusted; a plain SUM beside it is computed.
func TestUntrustedFormulaNotComputed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.xlsx")
	xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S", Rows: `<row r="1"><c r="A1" t="inlineStr"><is><t>3407990010010001</t></is></c>` +
		`<c r="B1"><v>6000</v></c><c r="C1"><v>4000</v></c><c r="D1"><f>SUM(B1:C1)</f></c><c r="E1"><f>SUMIF(A1:A1,A1,B1:B1)</f></c></row>`}}}.Write(t, path)
	sh, row := firstRow(t, path)
	if row.Values[3] != "10000" || row.Kinds[3] != connectors.KindComputed || row.Kinds[4] != connectors.KindUncomputed {
		t.Errorf("got %q %v", row.Values, row.Kinds)
	}
	if st := sh.Stats(); st.Untrusted != 1 || st.Computed != 1 || st.Uncomputed != 1 {
		t.Errorf("stats %+v", st)
	}
}

// firstRow opens the workbook's first sheet and reads its first row; the
// sheet and workbook close when the test ends.
func firstRow(t *testing.T, path string) (*Sheet, Row) {
	t.Helper()
	wb, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wb.Close() })
	sh, err := wb.OpenSheet(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sh.Close() })
	row, err := sh.Next()
	if err != nil {
		t.Fatal(err)
	}
	return sh, row
}

// A trusted formula that reads a cell excelize would compute with an
// untrusted one (ROUND of a SUMPRODUCT on another sheet) is not computed;
// one whose cells hold no such formula is, in the same workbook.
func TestTaintedReferences(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.xlsx")
	xlsxtest.Book{Sheets: []xlsxtest.Sheet{
		{Name: "S", Rows: `<row r="1"><c r="A1"><v>6000</v></c><c r="B1"><v>4000</v></c>` +
			`<c r="C1"><f>ROUND(数据!C1,2)</f></c><c r="D1"><f>SUM(A1:B1)</f></c><c r="E1"><f>SUM(数据!A1:A3)</f></c></row>`},
		{Name: "数据", Rows: `<row r="1"><c r="A1"><v>12000</v></c><c r="C1"><f>SUMPRODUCT((A1:A3=1)*B1:B3)</f></c></row>`},
	}}.Write(t, path)
	_, row := firstRow(t, path)
	want := []connectors.CellKind{connectors.KindNumber, connectors.KindNumber, connectors.KindUncomputed, connectors.KindComputed, connectors.KindComputed}
	for i, k := range want {
		if row.Kinds[i] != k {
			t.Errorf("cell %d: %q %v, want %v", i, row.Values[i], row.Kinds[i], k)
		}
	}
	if row.Values[3] != "10000" || row.Values[4] != "12000" {
		t.Errorf("values %q", row.Values)
	}
}

func TestNumberFormatUnits(t *testing.T) {
	for code, want := range map[string]bool{
		`0.00"万元"`:           true,
		`0.00"萬元"`:           true,
		`#,##0.00"仟元"`:       true,
		`0.00"W"`:            true,
		`[<0]-0.00;0.00"万元"`: true, // the positive numbers' section
		`0.00\万\元`:           true,
		`#,##0,"千"`:          false, // Excel divides by 1,000 to show it: the value is yuan
		`0.0000,"万"`:         false,
		`#,##0.00"元"`:        false,
		`yyyy"年"m"月"d"日"`:    false,
		`[$-804]0.00`:        false,
		`0.00%`:              false,
	} {
		if got := hasUnit(code); got != want {
			t.Errorf("hasUnit(%s) = %v, want %v", code, got, want)
		}
	}
	for code, want := range map[string]string{
		`0000000000`:         "|10",
		`"340799"0000000000`: "340799|10",
		`\3\4000000`:         "34|6",
		`#,##0`:              "|0",
		`0.00`:               "|0",
	} {
		prefix, n := zeroPad(code)
		if got := fmt.Sprintf("%s|%d", prefix, n); got != want {
			t.Errorf("zeroPad(%s) = %s, want %s", code, got, want)
		}
	}
}
