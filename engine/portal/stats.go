package portal

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/route"
)

// statTable is one statistic as a table: the chart beside it draws the
// same numbers, and /stats.csv exports it.
type statTable struct {
	Key, Title string
	Header     []string
	Rows       [][]string
	// Chart is the ECharts option drawing the table, as JSON for the
	// page's script (static/stats.js) to hand to echarts.setOption.
	Chart template.JS
	// Wide puts the table under the chart at the page's width (many
	// columns), not beside it.
	Wide bool
}

// stats computes the county's statistics over the twelve months up to
// day: warnings per month by level, cases per rule, the yield of each
// rule's warnings, per township, the outcomes, and the working days to
// verify with the on-time share.
func (s *Server) stats(all []*cases.Case, day time.Time) ([]statTable, error) {
	first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	var months []string
	for m := first; !m.After(day); m = m.AddDate(0, 1, 0) {
		months = append(months, m.Format("2006-01"))
	}
	levels := []string{dispatch.LevelRed, dispatch.LevelOrange, dispatch.LevelYellow}
	byMonth := map[string]map[string]int{}
	rules := map[string]int{}
	type town struct {
		opened, closed, onTime, withDeadline int
		days                                 []int
	}
	towns := map[string]*town{}
	outcomes := map[string]int{}
	ground, data := map[string]int{}, map[string]int{} // month -> cases with a ground report, cases from the data alone
	titles := map[string]string{evaluate.GroundRule: evaluate.GroundTitle}
	for _, r := range s.p.Pack.Rules {
		titles[r.ID] = r.Title
	}
	for _, c := range all {
		if c.OpenedOn.Before(first) || c.OpenedOn.After(day) {
			continue
		}
		m := c.OpenedOn.Format("2006-01")
		if byMonth[m] == nil {
			byMonth[m] = map[string]int{}
		}
		byMonth[m][c.Level]++
		fromGround := false
		for _, h := range c.Hits {
			if h.RuleID == evaluate.GroundRule {
				fromGround = true
			}
		}
		if fromGround {
			ground[m]++
		} else {
			data[m]++
		}
		seen := map[string]bool{}
		for _, h := range c.Hits {
			if !h.Mark && !seen[h.RuleID] { // a mark is not a warning
				seen[h.RuleID] = true
				rules[h.RuleID]++
			}
		}
		code := s.p.Router.Township(c.TownshipCode)
		t := towns[code]
		if t == nil {
			t = &town{}
			towns[code] = t
		}
		t.opened++
		if c.State == cases.StateClosed {
			t.closed++
			outcomes[c.Outcome]++
			if !c.Deadline.IsZero() {
				t.withDeadline++
				if !c.ClosedOn.After(c.Deadline) {
					t.onTime++
				}
			}
			if !c.DispatchedOn.IsZero() && s.p.Router.Calendar != nil {
				if n, err := s.p.Router.Calendar.WorkdaysBetween(c.DispatchedOn, c.ClosedOn); err == nil {
					t.days = append(t.days, n)
				}
			}
		}
	}
	var out []statTable

	// Warnings per month by level.
	mt := statTable{Key: "monthly", Title: "每月新增预警（按等级）", Header: []string{"月份", "红色", "橙色", "黄色", "合计"}}
	series := make([][]int, len(levels))
	for _, m := range months {
		row := []string{m}
		total := 0
		for i, l := range levels {
			n := byMonth[m][l]
			series[i] = append(series[i], n)
			row = append(row, strconv.Itoa(n))
			total += n
		}
		mt.Rows = append(mt.Rows, append(row, strconv.Itoa(total)))
	}
	colors := []string{"#c00000", "#ed7d31", "#ffc000"}
	names := []string{"红色", "橙色", "黄色"}
	var ser []map[string]any
	for i := range levels {
		ser = append(ser, map[string]any{"name": names[i], "type": "bar", "stack": "level", "data": series[i], "itemStyle": map[string]any{"color": colors[i]}})
	}
	mt.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{},
		"xAxis": map[string]any{"type": "category", "data": months}, "yAxis": map[string]any{"type": "value", "minInterval": 1},
		"series": ser,
	})
	out = append(out, mt)

	// Ground reports against the data's warnings.
	gt := statTable{Key: "sources", Title: "主动发现与数据比对预警（按月）", Header: []string{"月份", "主动发现", "数据比对", "合计"}}
	var gs, ds []int
	for _, m := range months {
		gt.Rows = append(gt.Rows, []string{m, strconv.Itoa(ground[m]), strconv.Itoa(data[m]), strconv.Itoa(ground[m] + data[m])})
		gs, ds = append(gs, ground[m]), append(ds, data[m])
	}
	gt.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{},
		"xAxis": map[string]any{"type": "category", "data": months}, "yAxis": map[string]any{"type": "value", "minInterval": 1},
		"series": []any{
			map[string]any{"name": "主动发现", "type": "bar", "stack": "src", "data": gs, "itemStyle": map[string]any{"color": "#70ad47"}},
			map[string]any{"name": "数据比对", "type": "bar", "stack": "src", "data": ds, "itemStyle": map[string]any{"color": "#1f4e79"}},
		},
	})
	out = append(out, gt)

	// Cases per rule.
	rt := statTable{Key: "rules", Title: "各预警规则的预警户数", Header: []string{"规则", "名称", "户数"}}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(rules[b], rules[a]), cmp.Compare(a, b)) })
	var ruleNames []string
	var ruleCounts []int
	for _, id := range ids {
		rt.Rows = append(rt.Rows, []string{id, titles[id], strconv.Itoa(rules[id])})
		ruleNames = append(ruleNames, cmp.Or(titles[id], id))
		ruleCounts = append(ruleCounts, rules[id])
	}
	slices.Reverse(ruleNames)
	slices.Reverse(ruleCounts)
	rt.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{}, "grid": map[string]any{"left": 8, "right": 24, "containLabel": true},
		"xAxis": map[string]any{"type": "value", "minInterval": 1}, "yAxis": map[string]any{"type": "category", "data": ruleNames, "axisLabel": map[string]any{"width": 220, "overflow": "truncate"}},
		"series": []any{map[string]any{"type": "bar", "data": ruleCounts, "itemStyle": map[string]any{"color": "#1f4e79"}}},
	})
	out = append(out, rt)

	// What became of each rule's warnings: the yield.
	yt, err := s.yieldTable(all, day)
	if err != nil {
		return nil, err
	}
	out = append(out, yt)

	// Per township: warnings, closed, median working days to verify,
	// on-time share.
	tt := statTable{Key: "townships", Title: "各乡镇预警与核实时效", Header: []string{"乡镇", "预警户数", "已办结", "核实用时中位数（工作日）", "按期办结率"}}
	codes := make([]string, 0, len(towns))
	for code := range towns {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var townNames []string
	var opened, medians []any
	for _, code := range codes {
		t := towns[code]
		med, onTime := "—", "—"
		var medV any = nil
		if len(t.days) > 0 {
			slices.Sort(t.days)
			m := median(t.days)
			med, medV = strconv.FormatFloat(m, 'f', -1, 64), m
		}
		if t.withDeadline > 0 {
			onTime = strconv.Itoa(t.onTime*100/t.withDeadline) + "%"
		}
		name := s.p.Router.Name(code)
		if code == route.CountyQueue {
			name = "县级队列"
		}
		tt.Rows = append(tt.Rows, []string{name, strconv.Itoa(t.opened), strconv.Itoa(t.closed), med, onTime})
		townNames = append(townNames, name)
		opened = append(opened, t.opened)
		medians = append(medians, medV)
	}
	tt.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{},
		"xAxis": map[string]any{"type": "category", "data": townNames, "axisLabel": map[string]any{"interval": 0, "rotate": 30}},
		"yAxis": []any{map[string]any{"type": "value", "name": "户数", "minInterval": 1}, map[string]any{"type": "value", "name": "工作日"}},
		"series": []any{
			map[string]any{"name": "预警户数", "type": "bar", "data": opened, "itemStyle": map[string]any{"color": "#1f4e79"}},
			map[string]any{"name": "核实用时中位数", "type": "line", "yAxisIndex": 1, "data": medians, "connectNulls": true},
		},
	})
	out = append(out, tt)

	// Outcomes.
	ot := statTable{Key: "outcomes", Title: "核实结果", Header: []string{"结果", "户数"}}
	var pie []any
	for _, o := range dispatch.DefaultOutcomes() {
		if n := outcomes[o.Code]; n > 0 {
			ot.Rows = append(ot.Rows, []string{o.Label, strconv.Itoa(n)})
			pie = append(pie, map[string]any{"name": o.Label, "value": n})
		}
	}
	ot.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "item"}, "legend": map[string]any{"bottom": 0},
		"series": []any{map[string]any{"type": "pie", "radius": []string{"35%", "65%"}, "data": pie}},
	})
	out = append(out, ot)
	return out, nil
}

// yieldTable is 预警核实成效（按规则）: the pipeline's yield of the warnings
// raised in the twelve months up to day, a line per rule (a household
// warned by two rules under each) and the households' total; the chart
// stacks each rule's warnings by how they ended, its yield a point on a
// scale of its own.
func (s *Server) yieldTable(all []*cases.Case, day time.Time) (statTable, error) {
	y, err := s.p.YieldOf(all, pipeline.YieldOptions{AsOf: day})
	if err != nil {
		return statTable{}, err
	}
	t := statTable{Key: "yield", Title: "预警核实成效（按规则）", Wide: true,
		Header: []string{"规则", "名称", "预警户数", "纳入", "给予救助", "停发", "不符合条件", "无法联系", "核实中", "逾期", "核实成效"}}
	row := func(id, title string, c dispatch.YieldCount) []string {
		yield := dispatch.NoYieldText
		if v, ok := c.Yield(); ok {
			yield = dispatch.YieldPercent(v)
		}
		r := []string{id, title}
		for _, n := range []int{c.Warnings, c.Enrolled, c.Aid, c.Stopped, c.NotEligible, c.Unreachable, c.Open, c.Overdue} {
			r = append(r, strconv.Itoa(n))
		}
		return append(r, yield)
	}
	type bar struct{ name, color string }
	bars := []bar{{"纳入", "#2e7d32"}, {"给予救助", "#70ad47"}, {"停发", "#7030a0"}, {"不符合条件", "#c00000"}, {"无法联系", "#a6a6a6"}, {"核实中", "#ffc000"}}
	data := make([][]int, len(bars))
	var names []string
	var yields []any
	for _, r := range y.Rules {
		t.Rows = append(t.Rows, row(r.Rule, r.Title, r.YieldCount))
		if r.Warnings == 0 {
			continue // a rule that raised nothing has nothing to draw
		}
		names = append(names, cmp.Or(r.Title, r.Rule))
		for i, n := range []int{r.Enrolled, r.Aid, r.Stopped, r.NotEligible, r.Unreachable, r.Open} {
			data[i] = append(data[i], n)
		}
		if v, ok := r.Yield(); ok {
			yields = append(yields, math.Round(1000*v)/10)
		} else {
			yields = append(yields, nil)
		}
	}
	t.Rows = append(t.Rows, row("合计", "按户计（每户一次）", y.Total))
	// The first rule at the top.
	slices.Reverse(names)
	slices.Reverse(yields)
	var series []any
	for i, b := range bars {
		slices.Reverse(data[i])
		series = append(series, map[string]any{"name": b.name, "type": "bar", "stack": "outcome", "data": data[i], "itemStyle": map[string]any{"color": b.color}})
	}
	series = append(series, map[string]any{"name": "核实成效（%）", "type": "scatter", "xAxisIndex": 1, "data": yields, "symbol": "diamond",
		"symbolSize": 14, "itemStyle": map[string]any{"color": "#1f4e79"}})
	t.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis", "axisPointer": map[string]any{"type": "shadow"}}, "legend": map[string]any{"bottom": 0},
		"grid": map[string]any{"left": 8, "right": 32, "top": 48, "bottom": 64, "containLabel": true},
		"xAxis": []any{
			map[string]any{"type": "value", "name": "户数", "nameLocation": "middle", "nameGap": 24, "minInterval": 1, "position": "bottom"},
			map[string]any{"type": "value", "name": "核实成效（%）", "nameLocation": "middle", "nameGap": 24, "min": 0, "max": 100,
				"position": "top", "splitLine": map[string]any{"show": false}},
		},
		"yAxis":  map[string]any{"type": "category", "data": names, "axisLabel": map[string]any{"width": 220, "overflow": "truncate"}},
		"series": series,
	})
	return t, nil
}

// median of sorted ns.
func median(ns []int) float64 {
	n := len(ns)
	if n%2 == 1 {
		return float64(ns[n/2])
	}
	return float64(ns[n/2-1]+ns[n/2]) / 2
}

func chartJSON(v any) template.JS {
	b, _ := json.Marshal(v)
	return template.JS(b)
}

// statsPage is the statistics dashboard: each chart with its table, each
// table downloadable as CSV.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, q *request) {
	all, err := s.p.Store.CasesWhere(r.Context(), "", "", "", time.Time{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tables, err := s.stats(all, q.day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, q, "stats", map[string]any{"Tables": tables, "Day": q.day.Format(time.DateOnly)})
}

// statsCSV exports one statistic (?t=monthly|sources|rules|yield|townships|outcomes)
// as CSV (UTF-8 with BOM, for Excel).
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request, q *request) {
	all, err := s.p.Store.CasesWhere(r.Context(), "", "", "", time.Time{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tables, err := s.stats(all, q.day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key := r.URL.Query().Get("t")
	for _, t := range tables {
		if t.Key != key {
			continue
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="stats_`+key+`_`+q.day.Format("20060102")+`.csv"`)
		_, _ = w.Write([]byte("\ufeff"))
		cw := csv.NewWriter(w)
		cw.Write(t.Header)
		cw.WriteAll(t.Rows)
		return
	}
	http.Error(w, "没有这项统计", http.StatusNotFound)
}

// statsXLSX exports every statistic of the dashboard as one workbook, a
// sheet per table in the page's order, counts as numbers (so that Excel
// sums them) and shares as percentages. Audited (stats_export).
func (s *Server) statsXLSX(w http.ResponseWriter, r *http.Request, q *request) {
	all, err := s.p.Store.CasesWhere(r.Context(), "", "", "", time.Time{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tables, err := s.stats(all, q.day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	pct, _ := f.NewStyle(&excelize.Style{NumFmt: 9}) // 0%
	tenths := "0.0%"
	pct1, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &tenths}) // a yield: 0.3%
	for i, t := range tables {
		sheet := statSheetName(t.Title)
		if i == 0 {
			_ = f.SetSheetName("Sheet1", sheet)
		} else if _, err := f.NewSheet(sheet); err != nil {
			s.fail(w, r, err)
			return
		}
		for c, h := range t.Header {
			cell, _ := excelize.CoordinatesToCellName(c+1, 1)
			_ = f.SetCellStr(sheet, cell, h)
			_ = f.SetCellStyle(sheet, cell, cell, bold)
			_ = f.SetColWidth(sheet, colName(c+1), colName(c+1), float64(max(10, 2*len([]rune(h))+2)))
		}
		for ri, row := range t.Rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, ri+2)
				// The first column names the row (a month, a rule, a
				// township): always text, never a number or a date.
				if c > 0 {
					if n, err := strconv.ParseFloat(v, 64); err == nil {
						_ = f.SetCellFloat(sheet, cell, n, -1, 64)
						continue
					}
					if p, ok := strings.CutSuffix(v, "%"); ok {
						if n, err := strconv.ParseFloat(p, 64); err == nil {
							_ = f.SetCellFloat(sheet, cell, n/100, -1, 64)
							if strings.Contains(p, ".") {
								_ = f.SetCellStyle(sheet, cell, cell, pct1)
							} else {
								_ = f.SetCellStyle(sheet, cell, cell, pct)
							}
							continue
						}
					}
				}
				_ = f.SetCellStr(sheet, cell, v)
			}
		}
		_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if err := s.p.Store.Audit(r.Context(), actor(q.user), "stats_export", "", map[string]any{"tables": len(tables)}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="stats_`+q.day.Format("20060102")+`.xlsx"`)
	_ = f.Write(w)
}

// statSheetName makes a table's title a sheet name: at most 31
// characters, none of Excel's forbidden ones.
func statSheetName(title string) string {
	title = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, title)
	if rs := []rune(title); len(rs) > 31 {
		title = string(rs[:31])
	}
	return title
}

func colName(c int) string {
	n, _ := excelize.ColumnNumberToName(c)
	return n
}
