package dispatch

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/level"
)

// The township list's sheet name and its column headers. ReadFeedback
// finds columns by these headers, so they are the list's contract with the
// townships' returned files.
const (
	SheetName = "预警核查清单"

	HeaderCaseID     = "预警编号"
	HeaderChange     = "变化"
	HeaderLevel      = "预警等级"
	HeaderVillage    = "村（社区）"
	HeaderAddress    = "住址"
	HeaderHousehold  = "户号"
	HeaderHead       = "户主/当事人"
	HeaderID         = "身份证号"
	HeaderMembers    = "家庭人口"
	HeaderRules      = "预警规则"
	HeaderReasons    = "预警原因"
	HeaderDispatched = "下发日期"
	HeaderDeadline   = "办结期限"
	HeaderOutcome    = "核实结果"
	HeaderNote       = "核实说明"
	HeaderVerifiedBy = "核实人"
	HeaderVerifiedOn = "核实日期"
)

// Column positions in a written list (0-based). Returned lists are read by
// header, not by position.
const (
	colCaseID = iota
	colChange
	colLevel
	colVillage
	colAddress
	colHousehold
	colHead
	colID
	colMembers
	colRules
	colReasons
	colDispatched
	colDeadline
	colOutcome
	colNote
	colVerifiedBy
	colVerifiedOn
	numCols
)

// column is one column of the township list.
type column struct {
	header string
	width  float64 // in Excel character widths
	input  bool    // filled in by the township
	wrap   bool    // its text wraps, and the row grows to show it all
}

// listColumns are the list's columns in order, indexed by the col* constants.
var listColumns = [numCols]column{
	colCaseID:     {HeaderCaseID, 18, false, false},
	colChange:     {HeaderChange, 6, false, false},
	colLevel:      {HeaderLevel, 9, false, false},
	colVillage:    {HeaderVillage, 15, false, true},
	colAddress:    {HeaderAddress, 22, false, true},
	colHousehold:  {HeaderHousehold, 19, false, false},
	colHead:       {HeaderHead, 11, false, true}, // （户籍中无此人）, a long name
	colID:         {HeaderID, 21, false, false},
	colMembers:    {HeaderMembers, 9, false, false},
	colRules:      {HeaderRules, 26, false, true},
	colReasons:    {HeaderReasons, 40, false, true},
	colDispatched: {HeaderDispatched, 11, false, false},
	colDeadline:   {HeaderDeadline, 11, false, false},
	colOutcome:    {HeaderOutcome, 16, true, true},
	colNote:       {HeaderNote, 18, true, true},
	colVerifiedBy: {HeaderVerifiedBy, 10, true, true},
	colVerifiedOn: {HeaderVerifiedOn, 12, true, false},
}

// listRow is one case rendered for a list. Text fields are what the
// township sees; dates are kept as dates so that the xlsx writer can make
// real date cells.
type listRow struct {
	text       [numCols]string
	level      string // the raw level, for the cell fill
	members    int
	dispatched time.Time
	deadline   time.Time
	overdue    bool
}

// listTitle is the list's title line, e.g. 示例县城关镇低收入人口预警核查清单（2026-11-28）.
func listTitle(items []Item, o Options) string {
	town := ""
	if len(items) > 0 {
		town = items[0].TownshipName
	}
	return o.County + town + "低收入人口预警核查清单（" + o.AsOf.Format(time.DateOnly) + "）"
}

// noteFor is a list's second line: listNote for a township's, or, for
// the county's own queue (cases whose township the registry does not
// give), what they are and what the county does with them.
func noteFor(items []Item) string {
	if countyQueue(items) {
		return countyQueueNote
	}
	return listNote
}

// headerFor is the line printed at the top of each page of a list.
func headerFor(items []Item) string {
	if countyQueue(items) {
		return "仅限县民政局核查使用，严禁外传"
	}
	return privacyHeader
}

// countyQueue reports whether a list is the county's own queue's.
func countyQueue(items []Item) bool { return len(items) > 0 && items[0].TownshipCode == "" }

// countyQueueNote is the county queue's list's second line.
const countyQueueNote = "本表为县级队列的预警。一是未能确定所属乡镇的：户籍登记中没有乡镇，或乡镇代码不属于本县（多为外县户籍、户籍信息不全或身份证号有误），" +
	"请县民政局根据住址、村（社区）和预警原因核实当事人所属乡镇，在工作台“分派乡镇”后由该乡镇入户核实，或由县局直接核实，在“核实结果”列填写。" +
	"二是预警原因中标有“※ …户籍所在乡镇回避”的乡镇社会救助经办人员近亲属：须由县局直接核实或分派其他乡镇交叉核查，不得分派给该户所在乡镇。" +
	"本表含个人敏感信息，仅限县民政局使用，严禁外传、公开或转发。"

// listNote is the second line of a list: who may see it and how to fill it in.
const listNote = "本表含个人敏感信息，仅限本乡镇核查使用，严禁外传、公开或转发。" +
	"请逐户入户核实后在“核实结果”列选择结果，填写核实说明、核实人和核实日期（如 2026-12-01），" +
	"请勿修改“预警编号”；标题行和本说明行可以删除。请在办结期限前交回县民政局。" +
	"同一户有两项及以上预警时，预警等级升为红色。"

// prepareList checks a list's inputs and renders its rows in list order.
func prepareList(items []Item, o Options) ([]listRow, error) {
	sorted, err := checkList(items, o)
	if err != nil {
		return nil, err
	}
	rows := make([]listRow, len(sorted))
	for i, it := range sorted {
		rows[i] = renderItem(it, o)
	}
	return rows, nil
}

// checkList checks a list's inputs and returns its items in list order
// (a sorted copy; items is left as it is).
func checkList(items []Item, o Options) ([]Item, error) {
	if o.AsOf.IsZero() {
		return nil, errNoAsOf
	}
	if _, err := o.outcomes(); err != nil {
		return nil, err
	}
	for _, it := range items[min(1, len(items)):] {
		// A list goes to one township: each township sees only its own people.
		if it.TownshipCode != items[0].TownshipCode {
			return nil, fmt.Errorf("dispatch: list mixes townships %q and %q (case %s); a township may see only its own cases",
				items[0].TownshipCode, it.TownshipCode, it.CaseID)
		}
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, compareItems)
	return sorted, nil
}

// compareItems orders a list: red first, then the earliest deadline (no
// deadline last), then case id.
func compareItems(a, b Item) int {
	if c := level.MoreSevere(a.Level, b.Level); c != 0 {
		return c
	}
	if a.Deadline.IsZero() != b.Deadline.IsZero() {
		if a.Deadline.IsZero() {
			return 1
		}
		return -1
	}
	if c := a.Deadline.Compare(b.Deadline); c != 0 {
		return c
	}
	return cmp.Compare(a.CaseID, b.CaseID)
}

// renderItem turns a case into a list row.
func renderItem(it Item, o Options) listRow {
	r := listRow{level: it.Level, members: it.Members, dispatched: it.Dispatched, deadline: it.Deadline}
	r.overdue = it.State != cases.StateClosed && !it.Deadline.IsZero() && civil(it.Deadline).Before(civil(o.AsOf))
	t := &r.text
	t[colCaseID] = it.CaseID
	t[colChange] = changeMark(it)
	t[colLevel] = LevelLabel(it.Level)
	t[colVillage] = cmp.Or(it.VillageName, it.VillageCode)
	t[colAddress] = it.Address
	t[colHousehold] = it.HouseholdID
	t[colHead] = it.HeadName
	if it.HeadName == "" && it.HouseholdID == "" {
		// Known only from a department's record, not from the registry:
		// the list says so rather than leave the person blank.
		t[colHead] = "（户籍中无此人）"
	}
	t[colID] = showID(it.HeadID, o)
	if it.Members > 0 {
		t[colMembers] = strconv.Itoa(it.Members)
	}
	t[colRules], t[colReasons] = hitLines(it, o)
	t[colDispatched] = dateText(it.Dispatched)
	t[colDeadline] = dateText(it.Deadline)
	return r
}

// changeMark is the 变化 column: 新增 for a case the township has not seen,
// 更新 for one that changed (a new hit, a higher level) since it was sent.
func changeMark(it Item) string {
	switch {
	case !it.Changed:
		return ""
	case it.State == cases.StateNew:
		return "新增"
	default:
		return "更新"
	}
}

// hitLines renders a case's hits as two texts with one line per hit, so
// that line i of the rules is explained by line i of the reasons. With
// more than one hit the lines are numbered. A hit about someone other than
// the head names that person, with the ID masked like the head's.
//
// Marks (a rule's note, not a warning: 回避) come after the warnings,
// unnumbered, each line starting with ※; last, for a case resting on
// records matched by identity resolution, a ※ line with LinkNote.
func hitLines(it Item, o Options) (rules, reasons string) {
	var rb, eb strings.Builder
	hits := slices.Clone(it.Hits)
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Mark == b.Mark:
			return 0
		case b.Mark:
			return -1
		}
		return 1
	})
	warnings := 0
	for _, h := range hits {
		if !h.Mark {
			warnings++
		}
	}
	for i, h := range hits {
		if i > 0 {
			rb.WriteByte('\n')
			eb.WriteByte('\n')
		}
		if h.Mark {
			rb.WriteString("※ ")
			eb.WriteString("※ ")
		} else if warnings > 1 {
			n := strconv.Itoa(i+1) + ". "
			rb.WriteString(n)
			eb.WriteString(n)
		}
		rb.WriteString(cmp.Or(h.RuleTitle, h.RuleID))
		if h.RuleID != "" && h.RuleTitle != "" {
			rb.WriteString("（" + h.RuleID + "）")
		}
		if h.Person != "" && (h.Person != it.HeadName || h.IDNumber != it.HeadID) {
			eb.WriteString(h.Person)
			if id := showID(h.IDNumber, o); id != "" {
				eb.WriteString("（" + id + "）")
			}
			eb.WriteString("：")
		}
		eb.WriteString(h.Reason)
	}
	if note := LinkNote(it); note != "" {
		if len(hits) > 0 {
			rb.WriteByte('\n')
			eb.WriteByte('\n')
		}
		rb.WriteString("※ " + linkNoteTitle)
		eb.WriteString("※ " + note)
	}
	return rb.String(), eb.String()
}

// linkNoteTitle is the rules column's line beside LinkNote.
const linkNoteTitle = "身份匹配提示"

// LinkNote says, for a case whose evidence holds rows matched to their
// person by identity resolution (Item.Linked), which records those are and
// why they were matched, and asks the township to verify the person's
// identity, e.g. 含概率匹配记录：医保结算1条（姓名相同、身份证号相差一位，
// 匹配概率99.9%），请核实身份. It holds no name or ID number. "" when the
// case has none.
func LinkNote(it Item) string {
	if len(it.Linked) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("含概率匹配记录：")
	for i, l := range it.Linked {
		if i > 0 {
			b.WriteString("；")
		}
		b.WriteString(l.Dataset + strconv.Itoa(l.Rows) + "条")
		var why []string
		if len(l.Agreements) > 0 {
			why = append(why, strings.Join(l.Agreements, "、"))
		}
		if l.MaxProbability > 0 {
			lo, hi := Percent(l.MinProbability), Percent(l.MaxProbability)
			if lo != hi {
				why = append(why, "匹配概率"+lo+"–"+hi)
			} else {
				why = append(why, "匹配概率"+hi)
			}
		}
		if l.Confirmed {
			why = append(why, "县民政局已人工确认")
		}
		if len(why) > 0 {
			b.WriteString("（" + strings.Join(why, "，") + "）")
		}
	}
	b.WriteString("，请核实身份")
	return b.String()
}

// Percent is a match probability (0–1) as lists and the portal show it:
// a percentage with one decimal, rounded down — 0.99996 is 99.9%, never
// 100.0%, which no match is.
func Percent(p float64) string {
	return strconv.FormatFloat(math.Floor(p*1000+1e-9)/10, 'f', 1, 64) + "%"
}

// showID is an ID number as a list shows it: masked unless asked otherwise.
func showID(id string, o Options) string {
	if o.Unmasked {
		return strings.TrimSpace(id)
	}
	return idnum.Mask(id)
}

// civil is t's calendar date (in t's own location) at midnight UTC, so that
// dates from different locations compare by day.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dateText is a date as lists print it; the zero time prints empty.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
