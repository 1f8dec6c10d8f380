package dispatch

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// readOptions are the options of an import on 2026-12-10.
func readOptions() Options {
	o := testOptions()
	o.AsOf = day(2026, 12, 10)
	return o
}

// utcDay is a date as ReadFeedback returns it.
func utcDay(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

const allChoices = "（可选：纳入低保、纳入特困、纳入低边、纳入刚性支出困难、给予临时救助、其他救助、不符合条件、无法联系、已停发救助）"

// TestReadFeedbackXLSX fills a written list as a township would, in place,
// and reads it back.
func TestReadFeedbackXLSX(t *testing.T) {
	x, _, fx := writeList(t, testOptions())
	set := func(cell string, v any) {
		t.Helper()
		if err := x.SetCellValue(SheetName, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	// Rows 4-8 hold the cases in wantOrder: 0002, 0001, 0005, 0004, 0003.
	set("N4", "纳入低保")
	set("O4", "已入户核实，家庭人均收入低于低保标准")
	set("P4", "周敏")
	set("Q4", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) // a date cell
	set("N5", "已核实")                                        // not an outcome
	set("Q5", "2026-12-01")
	set("N6", "not_eligible") // a code instead of a label
	set("O6", "家庭有经营性收入")
	set("P6", "周敏")
	set("Q6", "2026/12/1")
	set("N7", "无法联系")
	set("Q7", "2026-13-01") // no such date
	set("O8", "尚未入户")       // no outcome yet: skipped
	// Rows the township added below the list.
	set("A9", "YJ-20261120-0002") // again, with another outcome
	set("N9", "纳入特困")
	set("Q9", "2026-12-02")
	set("A10", "YJ-20261101-0005") // again, with the same outcome
	set("N10", "不符合条件")
	set("Q10", "2026-12-02")
	set("A11", "YJ-2026-1") // malformed
	set("N11", "纳入低保")
	set("Q11", "2026-12-02")
	set("N12", "纳入低保") // no case id
	set("A13", " yj－20261128－0003 ")
	set("N13", "ｄｉｂｉａｎ")
	set("Q13", "2026年12月1日")
	set("A14", "YJ-20261128-0007")
	set("N14", "其他救助")
	set("Q14", "2026-12-30") // after the import date
	set("A15", "YJ-20261128-0008")
	set("N15", fx.ids[0]) // an ID number in the wrong column
	set("Q15", "2026-12-03")
	path := filepath.Join(t.TempDir(), "returned.xlsx")
	saveAs(t, x, path)

	fb, errs, err := readBack(path, readOptions())
	if err != nil {
		t.Fatal(err)
	}
	wantFB := []Feedback{
		{path, 4, "YJ-20261120-0002", "dibao", "已入户核实，家庭人均收入低于低保标准", "周敏", utcDay(2026, 12, 1), ""},
		{path, 6, "YJ-20261101-0005", "not_eligible", "家庭有经营性收入", "周敏", utcDay(2026, 12, 1), ""},
		{path, 13, "YJ-20261128-0003", "dibian", "", "", utcDay(2026, 12, 1), ""},
	}
	wantErrs := []RowError{
		{path, 5, "YJ-20261128-0001", "第5行 核实结果“已核实”不是允许的选项" + allChoices},
		{path, 7, "YJ-20261128-0004", "第7行 核实日期“2026-13-01”不是有效日期（请填写如 2026-12-01）"},
		{path, 9, "YJ-20261120-0002", "第9行 预警编号 YJ-20261120-0002 与第4行重复，且核实结果不一致（第4行为“纳入低保”，本行为“纳入特困”）"},
		{path, 11, "", "第11行 预警编号“YJ-2026-1”格式不正确（应形如 YJ-20261128-0001）"},
		{path, 12, "", "第12行 填写了核实结果“纳入低保”但没有预警编号"},
		{path, 14, "YJ-20261128-0007", "第14行 核实日期 2026-12-30 晚于 2026-12-10，不能填写将来的日期"},
		{path, 15, "YJ-20261128-0008", "第15行 核实结果“340799********1234”不是允许的选项" + allChoices},
	}
	assertFeedback(t, fb, wantFB)
	assertRowErrors(t, errs, wantErrs)
	for _, e := range errs {
		for _, id := range fx.ids {
			if strings.Contains(e.Reason, id) {
				t.Errorf("row %d: the reason carries a full ID number", e.Row)
			}
		}
	}
}

// TestReadFeedbackReordered reads a list a township rebuilt: title rows
// gone, columns moved and dropped, an extra column, a blank row, and the
// list on a sheet of another name behind an instructions sheet.
func TestReadFeedbackReordered(t *testing.T) {
	x := excelize.NewFile()
	defer x.Close()
	x.SetSheetName("Sheet1", "说明")
	x.SetCellValue("说明", "A1", "城关镇 11 月核查结果")
	x.NewSheet("结果")
	rows := [][]any{
		{"核实日期", "备注", "预警编号", " 核实结果 ", "核实人", "核实说明"},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), "x", "YJ-20261120-0002", "纳入低保", "周敏", "ok"},
		{"2026.12.3", nil, "YJ-20261128-0001", "rigid", nil, nil},
		nil, // a blank row
		{"2026-12-04", nil, "YJ-20261128-0004", "无法联系 ", nil, "三次上门无人"},
		{nil, nil, "YJ-20261128-0003", nil, nil, "下周入户"},
		{"2026-12-01", nil, "YJ-20261101-0005", "已办结", nil, nil},
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("结果", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "城关镇-回传.xlsx")
	saveAs(t, x, path)

	fb, errs, err := readBack(path, readOptions())
	if err != nil {
		t.Fatal(err)
	}
	assertFeedback(t, fb, []Feedback{
		{path, 2, "YJ-20261120-0002", "dibao", "ok", "周敏", utcDay(2026, 12, 2), ""},
		{path, 3, "YJ-20261128-0001", "rigid", "", "", utcDay(2026, 12, 3), ""},
		{path, 5, "YJ-20261128-0004", "unreachable", "三次上门无人", "", utcDay(2026, 12, 4), ""},
	})
	assertRowErrors(t, errs, []RowError{
		{path, 7, "YJ-20261101-0005", "第7行 核实结果“已办结”不是允许的选项" + allChoices},
	})
}

func TestReadFeedbackFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows ...[]any) string {
		x := excelize.NewFile()
		defer x.Close()
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			x.SetSheetRow("Sheet1", cell, &r)
		}
		path := filepath.Join(dir, name)
		saveAs(t, x, path)
		return path
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"no header", write("a.xlsx", []any{"编号", "结果"}), "找不到表头“预警编号”"},
		{"no outcome column", write("b.xlsx", []any{"预警编号", "核实说明"}), "找不到“核实结果”列"},
		{"outcome column twice", write("c.xlsx", []any{"预警编号", "核实结果", "核实结果"}), "表头“核实结果”出现了两次"},
		{"missing file", filepath.Join(dir, "none.xlsx"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readBack(tc.path, readOptions())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("old xls", func(t *testing.T) {
		path := filepath.Join(dir, "old.xls")
		writeBytes(t, path, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an old workbook"))
		_, _, err := readBack(path, readOptions())
		if err == nil || !strings.Contains(err.Error(), "另存为 .xlsx") {
			t.Errorf("err = %v, want a hint to save as .xlsx", err)
		}
	})
}

// assertFeedback compares rows but their 户号 (HouseholdID), which the
// lists of the fixtures carry and TestFeedbackHouseholdRead checks.
func assertFeedback(t *testing.T, got, want []Feedback) {
	t.Helper()
	got = slices.Clone(got)
	for i := range got {
		got[i].HouseholdID = ""
	}
	if !slices.EqualFunc(got, want, func(a, b Feedback) bool { return a == b }) {
		t.Errorf("feedback:\n%s\nwant:\n%s", fmtSlice(got), fmtSlice(want))
	}
}

func assertRowErrors(t *testing.T, got, want []RowError) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("row errors:\n%s\nwant:\n%s", fmtSlice(got), fmtSlice(want))
	}
}

// The 户号 of a returned row is read, for the caller to check against the
// case (rows pasted from another list).
func TestFeedbackHouseholdRead(t *testing.T) {
	fx := newFixture(t)
	path := filepath.Join(t.TempDir(), "list.xlsx")
	if err := WriteTownshipXLSX(path, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, path)
	if err := x.SetCellValue(SheetName, "N4", "纳入低保"); err != nil { // the first case: YJ-20261120-0002
		t.Fatal(err)
	}
	if err := x.SetCellValue(SheetName, "Q4", "2026-12-01"); err != nil {
		t.Fatal(err)
	}
	saveAs(t, x, path)
	fb, _, err := readBack(path, readOptions())
	if err != nil || len(fb) != 1 {
		t.Fatalf("%v %v", fb, err)
	}
	if fb[0].CaseID != "YJ-20261120-0002" || fb[0].HouseholdID != "340799001002000008" {
		t.Errorf("row: %+v", fb[0])
	}
}

// A verification's free text is bounded, by the same check for the
// portal's form and a returned list: a note of 1000 characters is taken,
// 1001 are not; a 核实人 of 51 characters is refused; both say the bound.
func TestCheckVerificationBounds(t *testing.T) {
	o := readOptions()
	if _, err := CheckVerification(o, "YJ-20261128-0001", "不符合条件", strings.Repeat("核", MaxNoteRunes), "张敏", "2026-12-01"); err != nil {
		t.Errorf("a note at the bound: %v", err)
	}
	_, err := CheckVerification(o, "YJ-20261128-0001", "不符合条件", strings.Repeat("核", MaxNoteRunes+1), strings.Repeat("张", MaxVerifierRunes+1), "2026-12-01")
	if err == nil || !strings.Contains(err.Error(), "核实说明有 1001 字，最多 1000 字") || !strings.Contains(err.Error(), "核实人有 51 字，最多 50 字") {
		t.Errorf("past the bounds: %v", err)
	}
}

// A row with an outcome but a blank 核实日期 is rejected with its row
// number and the reason, and the other rows of the list are read as
// before: a dated outcome is taken, a row with no outcome (a note, or a
// date alone) is not verified yet and skipped. A list without the
// 核实日期 column rejects its outcomes, naming the column.
func TestReadFeedbackBlankDate(t *testing.T) {
	x, _, _ := writeList(t, testOptions())
	// Rows 4-8 hold the cases in wantOrder: 0002, 0001, 0005, 0004, 0003.
	// Row 4 is dated, row 5 has no date, row 6 a date of spaces; row 7
	// a note and row 8 a date without an outcome: not verified yet.
	for cell, v := range map[string]string{
		"N4": "纳入低保", "Q4": "2026-12-01",
		"N5": "纳入特困",
		"N6": "不符合条件", "Q6": "  ", "P6": "周敏",
		"O7": "尚未入户",
		"Q8": "2026-12-02",
	} {
		if err := x.SetCellValue(SheetName, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "returned.xlsx")
	saveAs(t, x, path)
	fb, errs, err := readBack(path, readOptions())
	if err != nil {
		t.Fatal(err)
	}
	assertFeedback(t, fb, []Feedback{
		{path, 4, "YJ-20261120-0002", "dibao", "", "", utcDay(2026, 12, 1), ""},
	})
	blank := "未填写核实日期，请填写入户核实的日期，如 2026-12-01（核实日期 is blank）"
	assertRowErrors(t, errs, []RowError{
		{path, 5, "YJ-20261128-0001", "第5行 " + blank},
		{path, 6, "YJ-20261101-0005", "第6行 " + blank},
	})

	t.Run("no date column", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "typed.csv")
		writeBytes(t, p, []byte("预警编号,核实结果,核实说明\r\n"+
			"YJ-20261128-0001,纳入低保,\r\n"+
			"YJ-20261128-0002,,下周入户\r\n"))
		fb, errs, err := readBack(p, readOptions())
		if err != nil {
			t.Fatal(err)
		}
		assertFeedback(t, fb, nil)
		assertRowErrors(t, errs, []RowError{
			{p, 2, "YJ-20261128-0001", "第2行 未填写核实日期：本表没有“核实日期”列，请在下发的原表中填写（the list has no 核实日期 column）"},
		})
	})
}

// The portal's form follows the same rule: a blank 核实日期 is refused,
// in the township's words, with any other problem of the form.
func TestCheckVerificationBlankDate(t *testing.T) {
	o := readOptions()
	for _, on := range []string{"", " \t"} {
		if _, err := CheckVerification(o, "YJ-20261128-0001", "纳入低保", "", "张敏", on); err == nil || err.Error() != "请填写核实日期（入户核实的日期，如 2026-12-01）" {
			t.Errorf("date %q: %v, want a request for the 核实日期", on, err)
		}
	}
	_, err := CheckVerification(o, "YJ-20261128-0001", "已核实", "", "", "")
	if err == nil || !strings.Contains(err.Error(), "不是允许的选项") || !strings.Contains(err.Error(), "请填写核实日期") {
		t.Errorf("bad outcome, blank date: %v", err)
	}
	if fb, err := CheckVerification(o, "YJ-20261128-0001", "纳入低保", "", "", "2026-12-01"); err != nil || !fb.VerifiedOn.Equal(utcDay(2026, 12, 1)) {
		t.Errorf("dated: %+v %v", fb, err)
	}
}
