package dispatch

import (
	"fmt"
	"strings"

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

// listBanner writes a banner of a list: text in row, across the banner
// columns, merged, as high as the text needs at size points.
func listBanner(w *sheetWriter, row int, text string, style int, size, minHeight float64) {
	w.text(bannerFirst, row, text, style)
	w.do(w.x.MergeCell(w.name, ref(bannerFirst, row), ref(bannerLast, row)))
	w.setStyle(bannerLast, row, style)
	w.do(w.x.SetRowHeight(w.name, row, max(minHeight, textHeight(text, bannerWidth(), size))))
}

// WriteTownshipXLSX writes a township's alert list to path: one sheet
// 预警核查清单 with a title, a privacy and instructions line, the header on
// row 3 and one row per case, red cases first, then by deadline and case
// id. The 核实结果 column has a drop-down of the outcome labels; the header
// and the 预警编号 column are frozen; it prints landscape with the header
// repeated on every page. All items must belong to one township.
func WriteTownshipXLSX(path string, items []Item, o Options) error {
	rows, err := prepareList(items, o)
	if err != nil {
		return err
	}
	outs, _ := o.outcomes() // checked by prepareList
	title := listTitle(items, o)
	w := newBook(SheetName, title, o.AsOf)
	st := newListStyles(w)

	listBanner(w, titleRow, title, st.title, titleSize*boldWidth, 32)
	listBanner(w, noteRow, noteFor(items), st.note, noteSize, 0)
	for c, col := range listColumns {
		style := st.header
		if col.input {
			style = st.inputHeader
		}
		w.text(c, headerRow, col.header, style)
		w.do(w.x.SetColWidth(w.name, colName(c), colName(c), col.width))
	}
	w.do(w.x.SetRowHeight(w.name, headerRow, headerHeight()))
	for i, r := range rows {
		writeListRow(w, firstData+i, r, st)
	}

	last := firstData + len(rows) - 1
	if len(rows) > 0 {
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
	if err := w.save(path); err != nil {
		return fmt.Errorf("dispatch: township list: %w", err)
	}
	return nil
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

// writeListRow writes one case at sheet row n.
func writeListRow(w *sheetWriter, n int, r listRow, st listStyles) {
	w.do(w.x.SetRowHeight(w.name, n, rowHeight(r)))
	for c := range numCols {
		v := r.text[c]
		switch c {
		case colLevel:
			style, ok := st.level[r.level]
			if !ok {
				style = st.center
			}
			w.text(c, n, v, style)
		case colChange:
			w.text(c, n, v, st.center)
		case colHead:
			w.text(c, n, v, st.wrapCenter)
		case colCaseID:
			w.text(c, n, v, st.key) // the key feedback comes back on
		case colHousehold, colID:
			w.text(c, n, v, st.text)
		case colMembers:
			if r.members > 0 {
				w.int(c, n, r.members, st.center)
			} else {
				w.text(c, n, "", st.center)
			}
		case colDispatched:
			w.date(c, n, r.dispatched, st.date)
		case colDeadline:
			style := st.date
			if r.overdue {
				style = st.overdue
			}
			w.date(c, n, r.deadline, style)
		case colVerifiedOn:
			w.text(c, n, "", st.inputDate)
		case colOutcome, colNote, colVerifiedBy:
			w.text(c, n, "", st.input)
		default:
			w.text(c, n, v, st.wrap)
		}
	}
}
