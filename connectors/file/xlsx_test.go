package file_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
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
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{
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
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx", "header_row": 3}))
	checkHeader(t, rr, "", "身份证号", "姓名")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(4), row(5), row(6, "", "", "张三"), row(7), row(8), row(9)})

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
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx"}))
	got := connectortest.ReadAll(t, rr)
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
	n := notes(t, rr)["cells_beyond_header"]
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
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx", "sheet": "SHEET1"}))
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(2, "张三")})
}

func TestXLSXFirstSheetByDefault(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "disability.xlsx"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "disability.xlsx"}))
	checkHeader(t, rr, "本表由县残联导出")
	checkRows(t, connectortest.ReadAll(t, rr), nil)
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
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "export.dat", "format": "csv"}))
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(2, "张三")})
	rr = connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "book.bin", "format": "XLSX", "sheet": "残疾人证", "header_row": 2}))
	if got := len(connectortest.ReadAll(t, rr)); got != 4 {
		t.Errorf("got %d rows, want 4", got)
	}
}

func TestXLSXCloseTwice(t *testing.T) {
	dir := t.TempDir()
	writeWorkbook(t, filepath.Join(dir, "a.xlsx"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.xlsx"}))
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
