package dispatch

import (
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// The township list's writer before it streamed: the reference the
// streamed lists are compared with, cell by cell.

// listBannerInMemory writes a banner of a list: text in row, across the banner
// columns, merged, as high as the text needs at size points.
func listBannerInMemory(w *sheetWriter, row int, text string, style int, size, minHeight float64) {
	w.text(bannerFirst, row, text, style)
	w.do(w.x.MergeCell(w.name, ref(bannerFirst, row), ref(bannerLast, row)))
	w.setStyle(bannerLast, row, style)
	w.do(w.x.SetRowHeight(w.name, row, max(minHeight, textHeight(text, bannerWidth(), size))))
}

// writeTownshipXLSXInMemory is WriteTownshipXLSX as it was before the
// lists were streamed (excelize's in-memory sheet, a cell at a time), kept
// for the tests that compare the two writers' output and for the
// benchmark that compares their speed. It writes a township's alert list
// to path: one sheet
// 预警核查清单 with a title, a privacy and instructions line, the header on
// row 3 and one row per case, red cases first, then by deadline and case
// id. The 核实结果 column has a drop-down of the outcome labels; the header
// and the 预警编号 column are frozen; it prints landscape with the header
// repeated on every page. All items must belong to one township.
func writeTownshipXLSXInMemory(path string, items []Item, o Options) error {
	rows, err := prepareList(items, o)
	if err != nil {
		return err
	}
	outs, _ := o.outcomes() // checked by prepareList
	title := listTitle(items, o)
	w := newBook(SheetName, title, o.AsOf)
	st := newListStyles(w)

	listBannerInMemory(w, titleRow, title, st.title, titleSize*boldWidth, 32)
	listBannerInMemory(w, noteRow, noteFor(items), st.note, noteSize, 0)
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
		writeListRowInMemory(w, firstData+i, r, st)
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

// writeListRowInMemory writes one case at sheet row n.
func writeListRowInMemory(w *sheetWriter, n int, r listRow, st listStyles) {
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

// date writes a real date cell (empty for the zero time).
func (w *sheetWriter) date(col, row int, t time.Time, style int) {
	if !t.IsZero() {
		w.do(w.x.SetCellFloat(w.name, ref(col, row), excelSerial(t), -1, 64))
	}
	w.setStyle(col, row, style)
}
