package dispatch

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestWriteTownshipCSVGolden compares the CSV list with
// testdata/township.golden.csv (go test -run CSVGolden -update rewrites it).
func TestWriteTownshipCSVGolden(t *testing.T) {
	fx := newFixture(t)
	path := filepath.Join(t.TempDir(), "城关镇.csv")
	if err := WriteTownshipCSV(path, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	golden := filepath.Join("testdata", "township.golden.csv")
	if *update {
		writeBytes(t, golden, got)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("CSV differs from %s (run with -update to accept):\n%s", golden, got)
	}
	if !bytes.HasPrefix(got, []byte(utf8BOM)) {
		t.Error("no UTF-8 byte-order mark")
	}
	for _, id := range fx.ids {
		if bytes.Contains(got, []byte(id)) {
			t.Error("a full ID number is in the masked CSV")
		}
	}
}

func TestWriteTownshipCSVUnmasked(t *testing.T) {
	fx := newFixture(t)
	o := testOptions()
	o.Unmasked = true
	path := filepath.Join(t.TempDir(), "城关镇.csv")
	if err := WriteTownshipCSV(path, fx.items, o); err != nil {
		t.Fatal(err)
	}
	recs := readCSVFile(t, path)
	// Record 4 is the multi-hit case; Excel must keep all 18 digits.
	if got, want := recs[4][colID], `="`+fx.items[1].HeadID+`"`; got != want {
		t.Errorf("unmasked ID cell = %q, want %q", got, want)
	}
}

// TestReadFeedbackCSV fills the CSV list as a township would and sends it
// back as UTF-8 (Excel's "CSV UTF-8"), as GBK (Excel's plain "CSV" on
// Chinese Windows) and with the title lines removed.
func TestReadFeedbackCSV(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "城关镇.csv")
	if err := WriteTownshipCSV(path, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	recs := readCSVFile(t, path)
	// Records 0-2 are title, note and header; 3-7 the cases in wantOrder.
	fill := func(rec int, outcome, note, by, on string) {
		r := recs[rec]
		r[colOutcome], r[colNote], r[colVerifiedBy], r[colVerifiedOn] = outcome, note, by, on
	}
	fill(3, "纳入低保", "收入低于标准", "周敏", "2026/12/1")
	fill(4, "纳入特困", "", "周敏", "2026-12-02")
	fill(5, "不符合条件", "", "", "46357") // a date cell Excel saved as its serial
	fill(6, "已核实", "", "", "2026-12-03")
	fill(7, "", "尚未入户", "", "")
	wantFB := func(path string, shift int) []Feedback {
		return []Feedback{
			{path, 4 - shift, "YJ-20261120-0002", "dibao", "收入低于标准", "周敏", utcDay(2026, 12, 1), ""},
			{path, 5 - shift, "YJ-20261128-0001", "tekun", "", "周敏", utcDay(2026, 12, 2), ""},
			{path, 6 - shift, "YJ-20261101-0005", "not_eligible", "", "", utcDay(2026, 12, 1), ""},
		}
	}
	wantErrs := func(path string, shift int) []RowError {
		n := 7 - shift
		return []RowError{{path, n, "YJ-20261128-0004", "第" + strconv.Itoa(n) + "行 核实结果“已核实”不是允许的选项" + allChoices}}
	}

	t.Run("utf-8", func(t *testing.T) {
		p := filepath.Join(dir, "utf8.csv")
		writeBytes(t, p, append([]byte(utf8BOM), encodeCSV(t, recs)...))
		fb, errs, err := readBack(p, readOptions())
		if err != nil {
			t.Fatal(err)
		}
		assertFeedback(t, fb, wantFB(p, 0))
		assertRowErrors(t, errs, wantErrs(p, 0))
	})
	t.Run("gbk", func(t *testing.T) {
		p := filepath.Join(dir, "gbk.csv")
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(encodeCSV(t, recs))
		if err != nil {
			t.Fatal(err)
		}
		writeBytes(t, p, gbk)
		fb, errs, err := readBack(p, readOptions())
		if err != nil {
			t.Fatal(err)
		}
		assertFeedback(t, fb, wantFB(p, 0))
		assertRowErrors(t, errs, wantErrs(p, 0))
	})
	t.Run("title lines removed", func(t *testing.T) {
		p := filepath.Join(dir, "bare.csv")
		writeBytes(t, p, encodeCSV(t, recs[2:]))
		fb, errs, err := readBack(p, readOptions())
		if err != nil {
			t.Fatal(err)
		}
		assertFeedback(t, fb, wantFB(p, 2))
		assertRowErrors(t, errs, wantErrs(p, 2))
	})
}

// TestReadCSVRowNumbers checks that rows are numbered as Excel shows
// them: a quoted line break stays in its row, a blank line is a row.
func TestReadCSVRowNumbers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rows.csv")
	writeBytes(t, p, []byte("预警编号,预警原因,核实结果,核实日期\r\n"+
		"YJ-20261128-0001,\"1. a\r\n2. b\r\n3. c\",纳入低保,2026-12-01\r\n"+
		"\r\n"+
		"YJ-20261128-0002,x,bad,2026-12-01\r\n"))
	fb, errs, err := readBack(p, readOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 1 || fb[0].Row != 2 || len(errs) != 1 || errs[0].Row != 4 {
		t.Errorf("rows = %v / %v, want feedback on row 2 and an error on row 4", fb, errs)
	}
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func encodeCSV(t *testing.T, recs [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCSVText(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"", ""},
		{"张三", "张三"},
		{"340799195803071234", `="340799195803071234"`},
		{"34079919580307123X", "34079919580307123X"},
		{"0042", `="0042"`},
		{"42", "42"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+86 138", "'+86 138"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"2026-11-28", "2026-11-28"},
	} {
		if got := csvText(tc.in); got != tc.out {
			t.Errorf("csvText(%q) = %q, want %q", tc.in, got, tc.out)
		}
		if got := uncsvText(tc.out); got != tc.in {
			t.Errorf("uncsvText(%q) = %q, want %q", tc.out, got, tc.in)
		}
	}
}
