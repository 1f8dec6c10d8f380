package dispatch

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Rows of the township list.
const (
	titleRow  = 1
	noteRow   = 2
	headerRow = 3
	firstData = 4
)

// privacyHeader is printed at the top of every page of a printed list.
const privacyHeader = "仅限本乡镇核查使用，严禁外传"

// listStyles are the cell styles of a township list.
type listStyles struct {
	title, note, header, inputHeader int
	key, text, wrap, center, date    int
	wrapCenter                       int
	overdue                          int
	input, inputDate                 int
	level                            map[string]int
}

func newListStyles(w *sheetWriter) listStyles {
	body := func(a excelize.Alignment, extra func(*excelize.Style)) int {
		s := &excelize.Style{Border: border(), Alignment: &a}
		if extra != nil {
			extra(s)
		}
		return w.style(s)
	}
	// A cell that does not wrap shrinks its text if it is too wide: a case
	// id, 户号 or date is cut off (a date shows ###) where the Latin
	// letters of 宋体 are drawn in a wider font (LibreOffice's DejaVu Sans).
	top := excelize.Alignment{Vertical: "top", ShrinkToFit: true}
	wrapTop := excelize.Alignment{Vertical: "top", WrapText: true}
	centerTop := excelize.Alignment{Vertical: "top", Horizontal: "center", ShrinkToFit: true}
	wrapCenterTop := excelize.Alignment{Vertical: "top", Horizontal: "center", WrapText: true}
	dateFmt := ptr("yyyy-mm-dd")
	st := listStyles{
		title: w.style(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Size: titleSize},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		}),
		note: w.style(&excelize.Style{
			Font:      &excelize.Font{Size: noteSize, Color: colourWarnText},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		}),
		header: w.style(&excelize.Style{
			Font: &excelize.Font{Bold: true}, Fill: fill(colourHeader), Border: border(),
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		}),
		inputHeader: w.style(&excelize.Style{
			Font: &excelize.Font{Bold: true}, Fill: fill(colourInput), Border: border(),
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		}),
		key:        body(top, func(s *excelize.Style) { s.Font = &excelize.Font{Bold: true} }),
		text:       body(top, nil),
		wrap:       body(wrapTop, nil),
		center:     body(centerTop, nil),
		wrapCenter: body(wrapCenterTop, nil),
		date:       body(centerTop, func(s *excelize.Style) { s.CustomNumFmt = dateFmt }),
		overdue: body(centerTop, func(s *excelize.Style) {
			s.CustomNumFmt = dateFmt
			s.Font = &excelize.Font{Bold: true, Color: colourWarnText}
		}),
		input:     body(wrapTop, func(s *excelize.Style) { s.Fill = fill(colourInput) }),
		inputDate: body(centerTop, func(s *excelize.Style) { s.Fill = fill(colourInput); s.CustomNumFmt = dateFmt }),
		level:     map[string]int{},
	}
	// A slice, not a map: styles are numbered in the order they are made,
	// and the same cases must give the same bytes.
	for _, lv := range []struct{ level, fill, font string }{
		{LevelRed, colourRed, colourWhiteText},
		{LevelOrange, colourOrange, ""},
		{LevelYellow, colourYellow, ""},
	} {
		st.level[lv.level] = body(centerTop, func(s *excelize.Style) {
			s.Fill = fill(lv.fill)
			s.Font = &excelize.Font{Bold: true, Color: lv.font}
		})
	}
	return st
}

// The title and the note rows are merged across the columns 变化 to 身份证号:
// within the first printed page, since printed two pages wide a banner
// across all seventeen columns would be cut in the middle of a word, and
// not over 预警编号, which is printed again at the left of every page
// across: a banner starting there printed the start of its text on
// those pages too.
const (
	bannerFirst = colChange
	bannerLast  = colID
)

// bannerWidth is the width of the banners' merged columns, in characters.
func bannerWidth() float64 {
	w := 0.0
	for c := bannerFirst; c <= bannerLast; c++ {
		w += listColumns[c].width
	}
	return w
}

// WriteTownshipXLSX writes a township's alert list to path: one sheet
// 预警核查清单 with a title, a privacy and instructions line, the header on
// row 3 and one row per case, red cases first, then by deadline and case
// id. The 核实结果 column has a drop-down of the outcome labels; the header
// and the 预警编号 column are frozen; it prints landscape with the header
// repeated on every page. All items must belong to one township.
//
// The sheet is streamed (excelize's StreamWriter): a row is rendered and
// written as XML as it comes, with no model of the sheet in memory, so
// time is linear in the cases. The XML is held in a buffer of at most
// 16 MiB (about 15,000 cases), past which it spills to a temporary file in
// path's folder, removed when the list is written; excelize then builds
// the zipped file in memory (about an eighth of the XML) before it is
// written out. Everything that is not a row — widths, panes, the
// drop-down, the filter, print settings, the mark — is set before the
// first row. Text cells are inline strings rather than shared ones: the
// same values, read the same way by Excel, WPS, LibreOffice and
// ReadFeedback, in a sheet some 70% larger (about 1.1 KB a case), so that
// a list of more than about 15,000 cases returned exactly as written is
// past ReadFeedback's 16 MiB for a sheet (maxListPart; saved again by
// Excel, WPS or LibreOffice, which share the strings, it is not).
func WriteTownshipXLSX(path string, items []Item, o Options) error {
	sorted, err := checkList(items, o)
	if err != nil {
		return err
	}
	outs, _ := o.outcomes() // checked by checkList
	title := listTitle(items, o)
	w := newBookIn(SheetName, title, o.AsOf, filepath.Dir(path))
	defer w.x.Close() // also when a step fails: it removes a spilled sheet
	st := newListStyles(w)

	last := firstData + len(sorted) - 1
	w.do(w.x.SetSheetDimension(w.name, ref(0, titleRow)+":"+ref(numCols-1, max(last, headerRow))))
	if len(sorted) > 0 {
		labels := make([]string, len(outs))
		for i, out := range outs {
			labels[i] = out.Label
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = ref(colOutcome, firstData) + ":" + ref(colOutcome, last)
		w.do(dv.SetDropList(labels))
		dv.SetError(excelize.DataValidationErrorStyleStop, HeaderOutcome, "请从下拉列表中选择核实结果："+strings.Join(labels, "、"))
		dv.SetInput(HeaderOutcome, "入户核实后从下拉列表中选择")
		w.do(w.x.AddDataValidation(w.name, dv))
	}
	w.do(w.x.AutoFilter(w.name, ref(0, headerRow)+":"+ref(numCols-1, max(last, headerRow)), nil))
	w.freeze(1, headerRow)
	// Two A4 pages wide, 预警编号 repeated on the second: one page wide
	// would print the seventeen columns at about 5 pt.
	w.printSetup(headerRow, headerFor(items), 2, 1)
	writeXLSXMark(w, o.Mark)
	// Right to left: excelize puts the column it is given before those it
	// has, and the stream writes them as they are, where the <col>
	// elements must ascend (the in-memory writer sorted them when saving).
	for c := numCols - 1; c >= 0; c-- {
		w.do(w.x.SetColWidth(w.name, colName(c), colName(c), listColumns[c].width))
	}
	if w.err != nil {
		return fmt.Errorf("dispatch: township list: %w", w.err)
	}

	sw, err := w.x.NewStreamWriter(w.name)
	if err != nil {
		return fmt.Errorf("dispatch: township list: %w", err)
	}
	lw := &listWriter{sw: sw, st: st}
	lw.banner(titleRow, title, st.title, titleSize*boldWidth, 32)
	lw.banner(noteRow, noteFor(items), st.note, noteSize, 0)
	header := make([]any, numCols)
	for c, col := range listColumns {
		style := st.header
		if col.input {
			style = st.inputHeader
		}
		header[c] = textCell(col.header, style)
	}
	lw.row(headerRow, header, headerHeight())
	for i, it := range sorted {
		lw.item(firstData+i, renderItem(it, o))
	}
	lw.merge(ref(bannerFirst, titleRow), ref(bannerLast, titleRow))
	lw.merge(ref(bannerFirst, noteRow), ref(bannerLast, noteRow))
	if lw.err == nil {
		lw.err = sw.Flush()
	}
	if lw.err != nil {
		return fmt.Errorf("dispatch: township list: %w", lw.err)
	}
	if err := w.save(path); err != nil {
		return fmt.Errorf("dispatch: township list: %w", err)
	}
	return nil
}

// listWriter streams a township list's rows and keeps the first error.
type listWriter struct {
	sw    *excelize.StreamWriter
	st    listStyles
	cells [numCols]any // a row's cells, reused from row to row
	err   error
}

// row writes the cells of sheet row n (1-based), height points high.
func (lw *listWriter) row(n int, cells []any, height float64) {
	if lw.err == nil {
		lw.err = lw.sw.SetRow(ref(0, n), cells, excelize.RowOpts{Height: height})
	}
}

// merge merges a range of cells.
func (lw *listWriter) merge(from, to string) {
	if lw.err == nil {
		lw.err = lw.sw.MergeCell(from, to)
	}
}

// banner writes a banner of a list: text in row, across the banner
// columns (merged by the caller), as high as the text needs at size
// points and at least minHeight. Column A stays empty: it is printed on
// every page.
func (lw *listWriter) banner(n int, text string, style int, size, minHeight float64) {
	cells := make([]any, bannerLast+1)
	cells[bannerFirst] = textCell(text, style)
	cells[bannerLast] = textCell("", style)
	lw.row(n, cells, max(minHeight, textHeight(text, bannerWidth(), size)))
}

// item writes one case at sheet row n.
func (lw *listWriter) item(n int, r listRow) {
	st, cells := lw.st, lw.cells[:]
	for c := range numCols {
		v := r.text[c]
		switch c {
		case colLevel:
			style, ok := st.level[r.level]
			if !ok {
				style = st.center
			}
			cells[c] = textCell(v, style)
		case colChange:
			cells[c] = textCell(v, st.center)
		case colHead:
			cells[c] = textCell(v, st.wrapCenter)
		case colCaseID:
			cells[c] = textCell(v, st.key) // the key feedback comes back on
		case colHousehold, colID:
			cells[c] = textCell(v, st.text)
		case colMembers:
			if r.members > 0 {
				cells[c] = excelize.Cell{StyleID: st.center, Value: r.members}
			} else {
				cells[c] = textCell("", st.center)
			}
		case colDispatched:
			cells[c] = dateCell(r.dispatched, st.date)
		case colDeadline:
			style := st.date
			if r.overdue {
				style = st.overdue
			}
			cells[c] = dateCell(r.deadline, style)
		case colVerifiedOn:
			cells[c] = textCell("", st.inputDate)
		case colOutcome, colNote, colVerifiedBy:
			cells[c] = textCell("", st.input)
		default:
			cells[c] = textCell(v, st.wrap)
		}
	}
	lw.row(n, cells, rowHeight(r))
}

// textCell is a streamed text cell: always a string, so that a name or a
// number starting with = is never taken for a formula and long digit
// strings keep every digit; "" is a cell with its style and no value.
func textCell(s string, style int) excelize.Cell {
	if s == "" {
		return excelize.Cell{StyleID: style}
	}
	return excelize.Cell{StyleID: style, Value: s}
}

// dateCell is a streamed date cell, a serial day number (empty for the
// zero time).
func dateCell(t time.Time, style int) excelize.Cell {
	if t.IsZero() {
		return excelize.Cell{StyleID: style}
	}
	return excelize.Cell{StyleID: style, Value: excelSerial(t)}
}

// rowHeight fits a case's wrapped cells (those of the columns that wrap):
// its height is that of the most lines any of them takes.
func rowHeight(r listRow) float64 {
	lines := 1
	for c, col := range listColumns {
		if col.wrap {
			lines = max(lines, textLines(r.text[c], col.width, bodySize))
		}
	}
	return linesHeight(lines, bodySize)
}

// headerHeight fits the header row's wrapped, bold headers, at least 30
// points.
func headerHeight() float64 {
	h := 30.0
	for _, col := range listColumns {
		h = max(h, textHeight(col.header, col.width, bodySize*boldWidth))
	}
	return h
}
