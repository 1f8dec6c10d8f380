package dispatch

import (
	"fmt"
	"math"
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
	top := excelize.Alignment{Vertical: "top"}
	wrapTop := excelize.Alignment{Vertical: "top", WrapText: true}
	centerTop := excelize.Alignment{Vertical: "top", Horizontal: "center"}
	dateFmt := ptr("yyyy-mm-dd")
	st := listStyles{
		title: w.style(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Size: 16},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
		}),
		note: w.style(&excelize.Style{
			Font:      &excelize.Font{Size: 10, Color: colourWarnText},
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
		key:    body(top, func(s *excelize.Style) { s.Font = &excelize.Font{Bold: true} }),
		text:   body(top, nil),
		wrap:   body(wrapTop, nil),
		center: body(centerTop, nil),
		date:   body(centerTop, func(s *excelize.Style) { s.CustomNumFmt = dateFmt }),
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

// bannerCols is how many columns the title and note rows span.
const bannerCols = colID + 1

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

	// The title and the note span the columns the first printed page
	// holds (预警编号 to 身份证号), not all seventeen: printed two pages
	// wide, a banner across all would be cut in the middle of a word.
	w.banner(titleRow, bannerCols, title, st.title, 32)
	w.banner(noteRow, bannerCols, noteFor(items), st.note, 64)
	for c, col := range listColumns {
		style := st.header
		if col.input {
			style = st.inputHeader
		}
		w.text(c, headerRow, col.header, style)
		w.do(w.x.SetColWidth(w.name, colName(c), colName(c), col.width))
	}
	w.do(w.x.SetRowHeight(w.name, headerRow, 30))
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

// lineHeight is the height in points of one line of 11-point CJK text.
const lineHeight = 15

// rowHeight fits a case's wrapped columns: spreadsheet programs do not all
// grow a row for wrapped text by themselves (LibreOffice shows one line),
// and a cut-off reason hides a hit from the township.
func rowHeight(r listRow) float64 {
	lines := 1
	for _, c := range []int{colAddress, colRules, colReasons} {
		lines = max(lines, wrappedLines(r.text[c], listColumns[c].width))
	}
	// Excel's rows are at most 409 points high; past that the row shows
	// what fits and its cell is still whole (a very long address).
	return min(float64(lines*lineHeight+3), maxRowHeight)
}

// maxRowHeight is the tallest row Excel allows, in points.
const maxRowHeight = 409

// wrappedLines estimates the lines text takes in a column of width
// characters: a CJK character is two character widths wide.
func wrappedLines(text string, width float64) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		w := 0.0
		for _, r := range line {
			if r >= 0x2E80 {
				w += 2
			} else {
				w++
			}
		}
		n += max(1, int(math.Ceil(w/(width-1))))
	}
	return n
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
		case colChange, colHead:
			w.text(c, n, v, st.center)
		case colCaseID:
			w.text(c, n, v, st.key) // the key feedback comes back on
		case colHousehold, colID, colVillage:
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
