package dispatch

import (
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// excelEpoch is day 0 of Excel's 1900 date system as used in practice
// (serial 1 is 1900-01-01, counting the phantom 1900-02-29).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelEpoch1904 is day 0 of the 1904 date system some workbooks use.
var excelEpoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

// excelSerial is a date's serial day number in the 1900 date system.
func excelSerial(t time.Time) float64 {
	return float64(civil(t).Sub(excelEpoch) / (24 * time.Hour))
}

// Colours used in the sheets (RGB hex, as excelize takes them).
const (
	colourRed       = "FF0000"
	colourOrange    = "FFC000"
	colourYellow    = "FFFF00"
	colourHeader    = "D9D9D9"
	colourInput     = "DDEBF7" // the columns the township fills in
	colourBorder    = "A6A6A6"
	colourWarnText  = "C00000"
	colourWhiteText = "FFFFFF"
)

// sheetWriter writes cells of one sheet and keeps the first error, so that
// a writer can lay out a sheet without checking every call.
type sheetWriter struct {
	x    *excelize.File
	name string
	err  error
}

// newBook starts a workbook whose only sheet is called sheet. The document
// properties carry asOf rather than the clock, so that the same input gives
// the same bytes.
func newBook(sheet, title string, asOf time.Time) *sheetWriter {
	return newBookIn(sheet, title, asOf, "")
}

// newBookIn is newBook for a workbook whose streamed sheet spills, past
// excelize's 16 MiB buffer, to a temporary file in tmpDir ("" is the
// system's): the folder the list goes to, which only lipwatch can read,
// rather than a shared one, since the sheet holds personal data.
func newBookIn(sheet, title string, asOf time.Time, tmpDir string) *sheetWriter {
	x := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
	w := &sheetWriter{x: x, name: sheet}
	w.do(x.SetSheetName("Sheet1", sheet))
	stamp := asOf.Format(time.DateOnly) + "T00:00:00Z"
	w.do(x.SetDocProps(&excelize.DocProperties{
		Creator: "lipwatch", LastModifiedBy: "lipwatch", Created: stamp, Modified: stamp,
		Title: title, Language: "zh-CN",
	}))
	return w
}

// do records err if it is the first.
func (w *sheetWriter) do(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

// ref is the cell name of a 0-based column and a 1-based row.
func ref(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col+1, row)
	return name
}

// colName is the letter name of a 0-based column.
func colName(col int) string {
	name, _ := excelize.ColumnNumberToName(col + 1)
	return name
}

// style registers a cell style and returns its id.
func (w *sheetWriter) style(s *excelize.Style) int {
	// Name the font: a style with a font but no family makes LibreOffice
	// fall back to a Latin serif, and Chinese text must look the same in
	// Excel, WPS and LibreOffice.
	if s.Font == nil {
		s.Font = &excelize.Font{}
	}
	if s.Font.Family == "" {
		s.Font.Family = fontFamily
	}
	if s.Font.Size == 0 {
		s.Font.Size = 11
	}
	id, err := w.x.NewStyle(s)
	w.do(err)
	return id
}

// fontFamily is the lists' typeface: 宋体 is on every Chinese Windows and
// WPS install; LibreOffice substitutes its CJK font for it.
const fontFamily = "宋体"

// text writes a text cell; text is always stored as a string, so that a
// name or a number starting with = is never taken for a formula, and long
// digit strings keep every digit.
func (w *sheetWriter) text(col, row int, s string, style int) {
	if s != "" {
		w.do(w.x.SetCellStr(w.name, ref(col, row), s))
	}
	w.setStyle(col, row, style)
}

// int writes a number cell.
func (w *sheetWriter) int(col, row, n int, style int) {
	w.do(w.x.SetCellInt(w.name, ref(col, row), int64(n)))
	w.setStyle(col, row, style)
}

// setStyle styles one cell; style 0 is the default and is left alone.
func (w *sheetWriter) setStyle(col, row, style int) {
	if style != 0 {
		w.do(w.x.SetCellStyle(w.name, ref(col, row), ref(col, row), style))
	}
}

// banner writes a text across columns 0..cols-1 of row, merged.
func (w *sheetWriter) banner(row, cols int, s string, style int, height float64) {
	w.text(0, row, s, style)
	w.do(w.x.MergeCell(w.name, ref(0, row), ref(cols-1, row)))
	w.setStyle(cols-1, row, style)
	w.do(w.x.SetRowHeight(w.name, row, height))
}

// freeze freezes the first cols columns and rows rows.
func (w *sheetWriter) freeze(cols, rows int) {
	top := ref(cols, rows+1)
	w.do(w.x.SetPanes(w.name, &excelize.Panes{
		Freeze: true, XSplit: cols, YSplit: rows, TopLeftCell: top, ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomRight"}},
	}))
}

// printSetup makes the sheet print landscape on A4, pagesWide pages wide
// and as many pages long as it takes, with headerRow repeated on every
// page (the title prints once), the first repeatCols columns repeated on
// every page across, and header printed at the top of each page.
func (w *sheetWriter) printSetup(headerRow int, header string, pagesWide, repeatCols int) {
	landscape, a4, long := "landscape", 9, 0
	fit := true
	w.do(w.x.SetPageLayout(w.name, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &pagesWide, FitToHeight: &long,
	}))
	w.do(w.x.SetSheetProps(w.name, &excelize.SheetPropsOptions{FitToPage: &fit}))
	titles := "'" + w.name + "'!$" + strconv.Itoa(headerRow) + ":$" + strconv.Itoa(headerRow)
	if repeatCols > 0 {
		titles = "'" + w.name + "'!$A:$" + colName(repeatCols-1) + "," + titles
	}
	w.do(w.x.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: titles,
		Scope:    w.name,
	}))
	w.do(w.x.SetHeaderFooter(w.name, &excelize.HeaderFooterOptions{
		OddHeader: "&C" + header,
		OddFooter: "&C第 &P 页，共 &N 页",
	}))
}

// save writes the workbook to path and closes it.
func (w *sheetWriter) save(path string) error {
	defer w.x.Close()
	if w.err != nil {
		return w.err
	}
	return writeFile(path, func(out io.Writer) error {
		_, err := w.x.WriteTo(out)
		return err
	})
}

// border is a thin border on all four sides.
func border() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "right", "top", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: colourBorder, Style: 1})
	}
	return b
}

// fill is a solid fill of one colour.
func fill(colour string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}
}

func ptr[T any](v T) *T { return &v }
