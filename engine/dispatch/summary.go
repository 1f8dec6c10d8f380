package dispatch

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// SummarySheetName is the name of the county summary's sheet.
const SummarySheetName = "汇总"

// countyQueueName names the row of cases with no known township (the
// county's own queue) when the caller gives no name for it.
const countyQueueName = "县本级（未落实乡镇）"

// SummaryRow is one township's line in the county summary.
type SummaryRow struct {
	TownshipCode string // empty for the county's own queue
	TownshipName string

	New     int // cases sent for the first time in this dispatch (新增)
	Updated int // open cases sent before that changed since (更新)
	Open    int // cases not closed
	Overdue int // open cases past their deadline
	Closed  int

	// Red, Orange and Yellow count the open cases by level.
	Red, Orange, Yellow int
}

// Summarize counts items per township as of a date, with the meanings
// documented on SummaryRow: New and Updated follow the lists' 变化 column,
// a case is overdue when it is open and its deadline is before asOf.
// Rows are ordered by township code, cases without a township last.
func Summarize(items []Item, asOf time.Time) []SummaryRow {
	byCode := map[string]*SummaryRow{}
	var rows []*SummaryRow
	for _, it := range items {
		r := byCode[it.TownshipCode]
		if r == nil {
			r = &SummaryRow{TownshipCode: it.TownshipCode, TownshipName: it.TownshipName}
			byCode[it.TownshipCode] = r
			rows = append(rows, r)
		}
		if it.State == cases.StateClosed {
			r.Closed++
			continue
		}
		r.Open++
		switch changeMark(it) {
		case "新增":
			r.New++
		case "更新":
			r.Updated++
		}
		if !it.Deadline.IsZero() && civil(it.Deadline).Before(civil(asOf)) {
			r.Overdue++
		}
		switch it.Level {
		case LevelRed:
			r.Red++
		case LevelOrange:
			r.Orange++
		case LevelYellow:
			r.Yellow++
		}
	}
	out := make([]SummaryRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	slices.SortFunc(out, compareTownships)
	return out
}

// compareTownships orders summary rows by code, the county queue (no
// code) last.
func compareTownships(a, b SummaryRow) int {
	if (a.TownshipCode == "") != (b.TownshipCode == "") {
		if a.TownshipCode == "" {
			return 1
		}
		return -1
	}
	return cmp.Compare(a.TownshipCode, b.TownshipCode)
}

// summaryHeaders are the summary's column headers, in SummaryRow order.
var summaryHeaders = []string{"乡镇编码", "乡镇（街道）", "新增", "更新", "在办", "逾期", "已办结", "红色", "橙色", "黄色"}

// Summary columns that get special treatment.
const (
	sumColOverdue = 5
	sumColRed     = 7
)

// counts are a row's numbers in header order, after code and name.
func (r SummaryRow) counts() []int {
	return []int{r.New, r.Updated, r.Open, r.Overdue, r.Closed, r.Red, r.Orange, r.Yellow}
}

// WriteSummaryXLSX writes the county's summary to path: a sheet 汇总 with
// a line per township (ordered by code, the county queue last) and a 合计
// line, overdue counts above zero in red; and, when yield is not nil, a
// sheet 预警核实成效 with a line per rule (see SummaryYield). It holds no
// personal data.
func WriteSummaryXLSX(path string, rows []SummaryRow, yield *SummaryYield, o Options) error {
	if o.AsOf.IsZero() {
		return errNoAsOf
	}
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, compareTownships)
	title := o.County + "低收入人口预警处置汇总（" + o.AsOf.Format(time.DateOnly) + "）"
	note := "截至 " + o.AsOf.Format(time.DateOnly) + "。新增：本次首次下发；更新：已下发后有变化；" +
		"逾期：超过办结期限仍未办结；红色、橙色、黄色：在办预警按等级计数。"
	cols := len(summaryHeaders)

	w := newBook(SummarySheetName, title, o.AsOf)
	centerAlign := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	styleTitle := w.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: centerAlign})
	styleNote := w.style(&excelize.Style{Font: &excelize.Font{Size: 10}, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	header := func(colour string, font *excelize.Font) int {
		return w.style(&excelize.Style{Font: font, Fill: fill(colour), Border: border(), Alignment: centerAlign})
	}
	styleHeader := header(colourHeader, &excelize.Font{Bold: true})
	levelHeader := []int{
		header(colourRed, &excelize.Font{Bold: true, Color: colourWhiteText}),
		header(colourOrange, &excelize.Font{Bold: true}),
		header(colourYellow, &excelize.Font{Bold: true}),
	}
	styleText := w.style(&excelize.Style{Border: border(), Alignment: &excelize.Alignment{Vertical: "center"}})
	styleNum := w.style(&excelize.Style{Border: border(), Alignment: centerAlign})
	styleOverdue := w.style(&excelize.Style{Border: border(), Alignment: centerAlign, Font: &excelize.Font{Bold: true, Color: colourWarnText}})
	styleTotal := w.style(&excelize.Style{Border: border(), Alignment: centerAlign, Font: &excelize.Font{Bold: true}, Fill: fill(colourHeader)})

	w.banner(titleRow, cols, title, styleTitle, 32)
	w.banner(noteRow, cols, note, styleNote, 30)
	for c, h := range summaryHeaders {
		style := styleHeader
		if c >= sumColRed {
			style = levelHeader[c-sumColRed]
		}
		w.text(c, headerRow, h, style)
		width := 9.0
		switch c {
		case 0:
			width = 13
		case 1:
			width = 22
		}
		w.do(w.x.SetColWidth(w.name, colName(c), colName(c), width))
	}
	var total SummaryRow
	towns := 0
	n := firstData
	for _, r := range rows {
		name := r.TownshipName
		if r.TownshipCode == "" && name == "" {
			name = countyQueueName
		}
		w.text(0, n, r.TownshipCode, styleText)
		w.text(1, n, name, styleText)
		for i, v := range r.counts() {
			style := styleNum
			if i+2 == sumColOverdue && v > 0 {
				style = styleOverdue
			}
			w.int(i+2, n, v, style)
		}
		total = total.add(r)
		if r.TownshipCode != "" {
			towns++
		}
		n++
	}
	w.text(0, n, "合计", styleTotal)
	w.text(1, n, totalLabel(rows, towns), styleTotal)
	for i, v := range total.counts() {
		w.int(i+2, n, v, styleTotal)
	}
	w.freeze(2, headerRow)
	w.printSetup(headerRow, title, 1, 0)
	if yield != nil && w.err == nil {
		w.do(writeYieldSheet(w, yield, o))
	}
	if err := w.save(path); err != nil {
		return fmt.Errorf("dispatch: summary: %w", err)
	}
	return nil
}

// add sums two rows' counts.
func (r SummaryRow) add(s SummaryRow) SummaryRow {
	r.New += s.New
	r.Updated += s.Updated
	r.Open += s.Open
	r.Overdue += s.Overdue
	r.Closed += s.Closed
	r.Red += s.Red
	r.Orange += s.Orange
	r.Yellow += s.Yellow
	return r
}

// totalLabel names what the totals row adds up: the townships, and the
// county queue when it has cases, so the total is not read as townships only.
func totalLabel(rows []SummaryRow, towns int) string {
	for _, r := range rows {
		if r.TownshipCode == "" {
			return fmt.Sprintf("%d 个乡镇＋县级队列", towns)
		}
	}
	return fmt.Sprintf("%d 个乡镇", towns)
}
