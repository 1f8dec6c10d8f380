package gen

import (
	"os"
	"time"

	"github.com/xuri/excelize/v2"
)

// excelEpoch is day 0 of Excel's 1900 date system (serial 1 = 1900-01-01,
// counting the phantom 1900-02-29).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelSerial is a date's serial number.
func excelSerial(d time.Time) float64 {
	return float64(d.Sub(excelEpoch) / (24 * time.Hour))
}

// writeXLSX writes one sheet. The document properties carry AsOf, not the
// clock, and excelize writes its zip entries in a fixed order with zero
// timestamps, so the same rows give the same bytes.
func (f *file) writeXLSX(path string, asOf time.Time) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", f.sheet); err != nil {
		return err
	}
	stamp := asOf.Format("2006-01-02") + "T00:00:00Z"
	if err := x.SetDocProps(&excelize.DocProperties{
		Creator: "lipwatch gen", LastModifiedBy: "lipwatch gen", Created: stamp, Modified: stamp,
		Title: f.sheet, Language: "zh-CN",
	}); err != nil {
		return err
	}
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	sheetRow := 1
	if f.title != "" {
		if err := x.SetCellStr(f.sheet, "A1", f.title); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(f.cols), 1)
		if err := x.MergeCell(f.sheet, "A1", last); err != nil {
			return err
		}
		sheetRow = 2
	}
	for i, h := range f.headers() {
		if err := setCell(x, f.sheet, i+1, sheetRow, txt(h), dateStyle); err != nil {
			return err
		}
	}
	for _, rw := range f.rows {
		sheetRow++
		for i, c := range rw.cells {
			if err := setCell(x, f.sheet, i+1, sheetRow, c, dateStyle); err != nil {
				return err
			}
		}
	}
	for i, c := range f.cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		width := 14.0
		if c.field == "id_number" || c.field == "cert_number" || c.field == "household_id" {
			width = 22
		}
		if err := x.SetColWidth(f.sheet, name, name, width); err != nil {
			return err
		}
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := x.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// setCell writes one cell; an empty text cell is left out altogether.
func setCell(x *excelize.File, sheet string, col, row int, c cell, dateStyle int) error {
	ref, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	switch c.kind {
	case numberCell:
		return x.SetCellFloat(sheet, ref, c.num, -1, 64)
	case dateCell:
		if err := x.SetCellFloat(sheet, ref, excelSerial(c.date), -1, 64); err != nil {
			return err
		}
		return x.SetCellStyle(sheet, ref, ref, dateStyle)
	default:
		if c.text == "" {
			return nil
		}
		return x.SetCellStr(sheet, ref, c.text)
	}
}

func ptr[T any](v T) *T { return &v }
