package dispatch

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const (
	testStore = "0123456789abcdef0123456789abcdef"
	testSig   = "fedcba9876543210fedcba9876543210"
)

func testMark(batch, town string) Mark {
	return Mark{Batch: batch, Township: town, Store: testStore, Sig: testSig}
}

func markedOptions() Options {
	o := testOptions()
	o.Mark = testMark("PD-20261128-1", "340799001")
	return o
}

// TestMarkTravelsWithTheList writes lists with a mark and reads it back
// from the file as a township returns it: after Excel-like editing (rows
// filled in, title rows deleted), in xlsx and CSV, and for the county's
// own queue.
func TestMarkTravelsWithTheList(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	for _, m := range []Mark{testMark("PD-20261128-1", "340799001"), testMark("PD-20261201-12", "")} {
		o := testOptions()
		o.Mark = m
		xl := filepath.Join(dir, "list.xlsx")
		if err := WriteTownshipXLSX(xl, fx.items, o); err != nil {
			t.Fatal(err)
		}
		// The township edits the list and saves it.
		x := openXLSX(t, xl)
		if err := x.RemoveRow(SheetName, 1); err != nil { // the title row
			t.Fatal(err)
		}
		if err := x.SetCellValue(SheetName, "N3", "纳入低保"); err != nil {
			t.Fatal(err)
		}
		if err := x.SetCellValue(SheetName, "Q3", "2026-12-01"); err != nil {
			t.Fatal(err)
		}
		back := filepath.Join(dir, "back.xlsx")
		saveAs(t, x, back)
		r, err := ReadFeedback(back, readOptions())
		if err != nil {
			t.Fatal(err)
		}
		if r.Mark != m || r.Sheet != SheetName || len(r.Feedback) != 1 {
			t.Errorf("xlsx: mark %+v sheet %q feedback %d; want %+v, %q, 1", r.Mark, r.Sheet, len(r.Feedback), m, SheetName)
		}
		// The list sheet is what opens, the mark sheet is very hidden.
		if v, err := x.GetSheetVisible(markSheet); err != nil || v {
			t.Errorf("mark sheet visible = %v, %v", v, err)
		}

		csvPath := filepath.Join(dir, "list.csv")
		if err := WriteTownshipCSV(csvPath, fx.items, o); err != nil {
			t.Fatal(err)
		}
		r, err = ReadFeedback(csvPath, readOptions())
		if err != nil {
			t.Fatal(err)
		}
		if r.Mark != m {
			t.Errorf("csv: mark %+v, want %+v", r.Mark, m)
		}
	}
}

// TestMarkAbsentOrAltered: a list without a mark reads with a zero mark
// (the caller decides); a sheet copied into a new workbook leaves the mark
// behind; an edited mark, or two copies that disagree, is an error.
func TestMarkAbsentOrAltered(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.xlsx")
	if err := WriteTownshipXLSX(plain, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadFeedback(plain, readOptions()); err != nil || !r.Mark.IsZero() {
		t.Fatalf("unmarked list: %+v, %v", r, err)
	}

	marked := filepath.Join(dir, "marked.xlsx")
	if err := WriteTownshipXLSX(marked, fx.items, markedOptions()); err != nil {
		t.Fatal(err)
	}
	// Copy the list's cells into a fresh workbook, as "move or copy sheet"
	// to a new book does: the hidden sheet and the properties stay behind.
	src := openXLSX(t, marked)
	rows, err := src.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	dst := excelize.NewFile()
	defer dst.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = v
		}
		if err := dst.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	copied := filepath.Join(dir, "copied.xlsx")
	saveAs(t, dst, copied)
	if r, err := ReadFeedback(copied, readOptions()); err != nil || !r.Mark.IsZero() {
		t.Errorf("copied sheet: mark %+v, %v; want none", r.Mark, err)
	}

	for name, edit := range map[string]func(x *excelize.File) error{
		"township edited in the hidden sheet": func(x *excelize.File) error {
			if err := x.UnprotectSheet(markSheet); err != nil {
				return err
			}
			return x.SetCellValue(markSheet, "B2", "340799002")
		},
		"property edited": func(x *excelize.File) error {
			return x.SetCustomProps(excelize.CustomProperty{Name: markPropTownship, Value: "340799002"})
		},
		"batch garbled": func(x *excelize.File) error {
			return x.SetCustomProps(excelize.CustomProperty{Name: markPropBatch, Value: "PD-2026"})
		},
		"a second township row in the hidden sheet": func(x *excelize.File) error {
			if err := x.UnprotectSheet(markSheet); err != nil {
				return err
			}
			return x.SetSheetRow(markSheet, "A5", &[]string{"township", "340799002"})
		},
		"signature cut": func(x *excelize.File) error {
			return x.SetCustomProps(excelize.CustomProperty{Name: markPropSig, Value: "fedcba98"})
		},
	} {
		x := openXLSX(t, marked)
		if err := edit(x); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "edited.xlsx")
		saveAs(t, x, p)
		if _, err := ReadFeedback(p, readOptions()); err == nil || !strings.Contains(err.Error(), "清单标识被修改过") {
			t.Errorf("%s: err = %v, want the altered-mark error", name, err)
		}
	}

	// A CSV whose mark row was edited.
	csvPath := filepath.Join(dir, "list.csv")
	if err := WriteTownshipCSV(csvPath, fx.items, markedOptions()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	writeBytes(t, csvPath, []byte(strings.Replace(string(b), ",340799001", ",34079900x", 1)))
	if _, err := ReadFeedback(csvPath, readOptions()); err == nil || !strings.Contains(err.Error(), "第3行 清单标识被修改过") {
		t.Errorf("edited csv mark: err = %v", err)
	}
	// Two mark rows that disagree: refused, not the last one winning.
	writeBytes(t, csvPath, []byte(strings.Replace(string(b), "清单标识（请勿修改）,PD-20261128-1,340799001,", "清单标识（请勿修改）,PD-20261128-1,340799002,"+testStore+","+testSig+"\r\n清单标识（请勿修改）,PD-20261128-1,340799001,", 1)))
	if _, err := ReadFeedback(csvPath, readOptions()); err == nil || !strings.Contains(err.Error(), "清单标识被修改过") {
		t.Errorf("two csv marks: err = %v", err)
	}
}

// TestAmbiguousSheetsRejected: a workbook with a second sheet holding a
// 预警编号 header — another township's list copied in — is refused, naming
// both sheets, instead of reading whichever comes first.
func TestAmbiguousSheetsRejected(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "list.xlsx")
	if err := WriteTownshipXLSX(p, fx.items, markedOptions()); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, p)
	if _, err := x.NewSheet("城东街道"); err != nil {
		t.Fatal(err)
	}
	if err := x.SetSheetRow("城东街道", "A1", &[]any{HeaderCaseID, HeaderOutcome}); err != nil {
		t.Fatal(err)
	}
	if err := x.SetSheetRow("城东街道", "A2", &[]any{"YJ-20261128-0099", "不符合条件"}); err != nil {
		t.Fatal(err)
	}
	saveAs(t, x, p)
	_, err := ReadFeedback(p, readOptions())
	if err == nil || !strings.Contains(err.Error(), "“预警核查清单”“城东街道”") {
		t.Fatalf("err = %v, want both sheets named", err)
	}
}

// TestReturnedListBombRefused: a small xlsx whose one cell unzips to
// 100 MiB, or a file far larger than any list, is refused before it is
// inflated, naming the part and the bound.
func TestReturnedListBombRefused(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "list.xlsx")
	if err := WriteTownshipXLSX(list, fx.items, markedOptions()); err != nil {
		t.Fatal(err)
	}
	// Copy the list's parts, with a shared-strings part of 100 MiB.
	src, err := zip.OpenReader(list)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bomb := filepath.Join(dir, "bomb.xlsx")
	f, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, part := range src.File {
		w, err := zw.Create(part.Name)
		if err != nil {
			t.Fatal(err)
		}
		if part.Name == "xl/sharedStrings.xml" {
			io.WriteString(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`)
			chunk := strings.Repeat("核", 1<<16)
			for range (100 << 20) / len(chunk) {
				io.WriteString(w, chunk)
			}
			io.WriteString(w, `</t></si></sst>`)
			continue
		}
		r, err := part.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, r)
		r.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(bomb)
	_, err = ReadFeedback(bomb, readOptions())
	if err == nil || !strings.Contains(err.Error(), "xl/sharedStrings.xml") || !strings.Contains(err.Error(), "at most 16 MiB") {
		t.Fatalf("bomb of %d KiB: err = %v", fi.Size()>>10, err)
	}
	t.Logf("%d KiB xlsx unzipping to 100 MiB: %v", fi.Size()>>10, err)

	big := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 40<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFeedback(big, readOptions()); err == nil || !strings.Contains(err.Error(), "a list is at most 32 MiB") {
		t.Fatalf("40 MiB file: err = %v", err)
	}
}

// A returned list of more rows than any township's list is refused before
// a row is read: one such file would hold the store for many minutes.
func TestReturnedListRowBound(t *testing.T) {
	var b strings.Builder
	b.WriteString(HeaderCaseID + "," + HeaderOutcome + "\n")
	for i := range MaxListRows + 1 {
		fmt.Fprintf(&b, "YJ-20261128-%04d,不符合条件\n", i%10000)
	}
	p := filepath.Join(t.TempDir(), "huge.csv")
	writeBytes(t, p, []byte(b.String()))
	if _, err := ReadFeedback(p, readOptions()); err == nil || !strings.Contains(err.Error(), "超过核查清单的上限 10000 行") {
		t.Fatalf("err = %v", err)
	}
}

// A returned file of millions of tiny lines, or of a row with hundreds of
// thousands of cells, is refused as soon as it passes the bounds, not
// after it is all held in memory (second tester: 2.3 GB, 623 MB).
func TestReturnedListRefusedWhileReading(t *testing.T) {
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny.csv")
	writeBytes(t, tiny, []byte(HeaderCaseID+","+HeaderOutcome+"\n"+strings.Repeat("a\n", 5_000_000)))
	if _, err := ReadFeedback(tiny, readOptions()); err == nil || !strings.Contains(err.Error(), "more than 10100 rows") {
		t.Errorf("tiny lines: %v", err)
	}
	wide := filepath.Join(dir, "wide.csv")
	writeBytes(t, wide, []byte(HeaderCaseID+","+HeaderOutcome+"\n"+strings.Repeat(",", 300_000)+"\n"))
	if _, err := ReadFeedback(wide, readOptions()); err == nil || !strings.Contains(err.Error(), "a row of 300001 cells") {
		t.Errorf("wide row: %v", err)
	}
}
