package dispatch

import (
	"cmp"
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// YieldSheetName is the county summary's sheet of each rule's warning
// yield (预警核实成效).
const YieldSheetName = "预警核实成效"

// NoYieldText stands for a yield with nothing to divide by: none of the
// warnings has been verified with a yes or a no yet.
const NoYieldText = "暂无核实结果"

// YieldCount is what became of some warnings: how many there were, how
// the verified ones ended (by OutcomeClass), and how many are still open.
type YieldCount struct {
	Warnings int
	// Closed, by class. An outcome no class knows counts as Unreachable:
	// verified, but saying nothing of the warning.
	Enrolled, Aid, Stopped, NotEligible, Unreachable int
	Open                                             int // not verified yet (核实中)
	Overdue                                          int // of the open, past their deadline (逾期)
}

// Closed is the number verified and reported on, in every class.
func (c YieldCount) Closed() int {
	return c.Enrolled + c.Aid + c.Stopped + c.NotEligible + c.Unreachable
}

// Confirmed is the number verified and found right: enrolled, given aid,
// or assistance stopped.
func (c YieldCount) Confirmed() int { return c.Enrolled + c.Aid + c.Stopped }

// Decided is the yield's denominator: the warnings whose verification
// said yes (Confirmed) or no (NotEligible). Unreachable ones say nothing.
func (c YieldCount) Decided() int { return c.Confirmed() + c.NotEligible }

// Yield is Confirmed over Decided — the rules backtest's precision, for
// the warnings the nights really raised — and false when Decided is 0
// (no verified warnings yet).
func (c YieldCount) Yield() (float64, bool) {
	if c.Decided() == 0 {
		return 0, false
	}
	return float64(c.Confirmed()) / float64(c.Decided()), true
}

// Count adds one warning whose case was closed with an outcome of class
// (open false), or is still open (open true; overdue when past its
// deadline).
func (c *YieldCount) Count(class string, open, overdue bool) {
	c.Warnings++
	if open {
		c.Open++
		if overdue {
			c.Overdue++
		}
		return
	}
	switch class {
	case ClassEnrolled:
		c.Enrolled++
	case ClassAid:
		c.Aid++
	case ClassStopped:
		c.Stopped++
	case ClassNotEligible:
		c.NotEligible++
	default: // unreachable, or an outcome no class knows
		c.Unreachable++
	}
}

// Add adds o's counts to c.
func (c *YieldCount) Add(o YieldCount) {
	c.Warnings += o.Warnings
	c.Enrolled += o.Enrolled
	c.Aid += o.Aid
	c.Stopped += o.Stopped
	c.NotEligible += o.NotEligible
	c.Unreachable += o.Unreachable
	c.Open += o.Open
	c.Overdue += o.Overdue
}

// YieldPercent is a yield as the lists and pages print it: one decimal,
// since yields as low as 0.3% are what a county must see.
func YieldPercent(v float64) string {
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

// YieldRuleRow is one rule's warnings in the summary.
type YieldRuleRow struct {
	Rule, Title string
	YieldCount
}

// SummaryYield is the summary's sheet 预警核实成效: the warnings raised
// (cases opened) in the months From … To ("2006-01"), per rule — a
// household warned by two rules counts under each — and in Total each
// household once.
type SummaryYield struct {
	From, To string
	Rules    []YieldRuleRow
	Total    YieldCount
}

// yieldHeaders are the sheet's column headers.
var yieldHeaders = []string{"规则", "规则名称", "预警户数", "纳入", "给予救助", "停发", "不符合条件", "无法联系", "核实中", "逾期", "核实成效"}

// Yield sheet columns that get special treatment.
const (
	yieldColOverdue = 9
	yieldColYield   = 10
)

// yieldTitleWidth is the width of the rule titles' column, in characters.
const yieldTitleWidth = 40

// counts are a row's numbers in header order, from 预警户数 to 逾期.
func (c YieldCount) counts() []int {
	return []int{c.Warnings, c.Enrolled, c.Aid, c.Stopped, c.NotEligible, c.Unreachable, c.Open, c.Overdue}
}

// writeYieldSheet adds the sheet 预警核实成效 to w's workbook.
func writeYieldSheet(w *sheetWriter, y *SummaryYield, o Options) error {
	if _, err := w.x.NewSheet(YieldSheetName); err != nil {
		return err
	}
	s := &sheetWriter{x: w.x, name: YieldSheetName}
	period := y.From + " 至 " + y.To
	if y.From == y.To {
		period = y.From
	}
	title := o.County + "预警核实成效（" + period + " 新增预警）"
	note := "统计 " + period + " 新增的预警（按预警生成月份），核实结果截至 " + o.AsOf.Format("2006-01-02") + "。" +
		"一户同时触发多条规则的，在每条规则下各计一次；合计按户计，每户一次。" +
		"纳入：纳入低保、特困、低边或刚性支出困难；给予救助：临时救助或其他救助；停发：已停发救助（应退尽退）；" +
		"核实中：尚未办结；逾期：核实中且超过办结期限。" +
		"核实成效 =（纳入＋给予救助＋停发）÷（纳入＋给予救助＋停发＋不符合条件），无法联系不计入；" +
		"尚无核实结论的显示“" + NoYieldText + "”。"
	cols := len(yieldHeaders)
	centerAlign := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	styleTitle := s.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: centerAlign})
	styleNote := s.style(&excelize.Style{Font: &excelize.Font{Size: 10}, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	styleHeader := s.style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill(colourHeader), Border: border(), Alignment: centerAlign})
	styleText := s.style(&excelize.Style{Border: border(), Alignment: &excelize.Alignment{Vertical: "center"}})
	styleWrap := s.style(&excelize.Style{Border: border(), Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	styleNum := s.style(&excelize.Style{Border: border(), Alignment: centerAlign})
	styleOverdue := s.style(&excelize.Style{Border: border(), Alignment: centerAlign, Font: &excelize.Font{Bold: true, Color: colourWarnText}})
	pct := "0.0%"
	stylePct := s.style(&excelize.Style{Border: border(), Alignment: centerAlign, CustomNumFmt: &pct})
	styleTotal := s.style(&excelize.Style{Border: border(), Alignment: centerAlign, Font: &excelize.Font{Bold: true}, Fill: fill(colourHeader)})
	styleTotalPct := s.style(&excelize.Style{Border: border(), Alignment: centerAlign, Font: &excelize.Font{Bold: true}, Fill: fill(colourHeader), CustomNumFmt: &pct})

	s.banner(titleRow, cols, title, styleTitle, 32)
	s.banner(noteRow, cols, note, styleNote, 58)
	for c, h := range yieldHeaders {
		s.text(c, headerRow, h, styleHeader)
		width := 10.0
		switch c {
		case 0:
			width = 31
		case 1:
			width = yieldTitleWidth
		case yieldColYield:
			width = 14
		}
		s.do(s.x.SetColWidth(s.name, colName(c), colName(c), width))
	}
	row := func(n int, cnt YieldCount, num, overdue, pctStyle, textStyle int) {
		for i, v := range cnt.counts() {
			style := num
			if i+2 == yieldColOverdue && v > 0 {
				style = overdue
			}
			s.int(i+2, n, v, style)
		}
		if v, ok := cnt.Yield(); ok {
			s.do(s.x.SetCellFloat(s.name, ref(yieldColYield, n), v, -1, 64))
			s.setStyle(yieldColYield, n, pctStyle)
		} else {
			s.text(yieldColYield, n, NoYieldText, textStyle)
		}
	}
	n := firstData
	for _, r := range y.Rules {
		s.text(0, n, r.Rule, styleText)
		title := cmp.Or(r.Title, r.Rule)
		s.text(1, n, title, styleWrap)
		// LibreOffice does not grow a row for wrapped text by itself.
		s.do(s.x.SetRowHeight(s.name, n, float64(wrappedLines(title, yieldTitleWidth)*lineHeight+3)))
		row(n, r.YieldCount, styleNum, styleOverdue, stylePct, styleNum)
		n++
	}
	s.text(0, n, "合计", styleTotal)
	s.text(1, n, "按户计（每户一次）", styleTotal)
	row(n, y.Total, styleTotal, styleTotal, styleTotalPct, styleTotal)
	s.freeze(2, headerRow)
	s.printSetup(headerRow, title, 1, 0)
	if s.err != nil {
		return fmt.Errorf("sheet %s: %w", YieldSheetName, s.err)
	}
	return nil
}
