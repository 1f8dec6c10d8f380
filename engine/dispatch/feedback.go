package dispatch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// MaxListRows bounds the rows of a returned list: a township's list holds
// a few hundred cases, its biggest a few thousand. A file past it is a
// wrong file, or one made to hold the store for long.
const MaxListRows = 10000

// Feedback is one verified case from a township's returned list.
type Feedback struct {
	File       string    // the path ReadFeedback was given
	Row        int       // row number as Excel shows it
	CaseID     string    // canonical form, e.g. YJ-20261128-0001
	Outcome    string    // an Outcome code, e.g. dibao
	Note       string    // 核实说明, trimmed
	VerifiedBy string    // 核实人, trimmed
	VerifiedOn time.Time // 核实日期 as a calendar date at midnight UTC; never zero (a blank date is rejected)
	// HouseholdID is the row's 户号 as the list shows it, "" when the
	// list has no such column or the cell is empty: the caller checks it
	// against the case, so that rows pasted from another list under a
	// genuine mark do not close cases of other households.
	HouseholdID string
}

// Returned is a township's returned list as read.
type Returned struct {
	File string
	// Mark is what lipwatch wrote into the list when it sent it: the
	// township it belongs to and its batch. Zero when the file carries
	// none (a list typed up by hand, or a CSV whose mark row was deleted).
	Mark  Mark
	Sheet string // the list sheet of an xlsx; empty for CSV
	// Feedback are the rows that can be applied, Rejected the rows that
	// cannot, each with its reason.
	Feedback []Feedback
	Rejected []RowError
}

// RowError is a row of a returned list that could not be taken, with the
// reason in plain words for the township. Reasons quote what the township
// wrote, with any long run of digits masked, so they never carry an ID
// number.
type RowError struct {
	File   string
	Row    int
	CaseID string // canonical case id, empty when it is missing or malformed
	Reason string // e.g. 第12行 核实结果“已核实”不是允许的选项（…）
}

// Error makes a RowError usable as an error.
func (e RowError) Error() string { return e.File + ": " + e.Reason }

// ReadFeedback reads a returned township list (xlsx or CSV, as written by
// WriteTownshipXLSX or WriteTownshipCSV and edited in Excel or WPS). The
// header row is found by its 预警编号 cell, so deleted title rows do not
// matter, and columns are found by header, so they may be moved; other
// columns are ignored. Per row:
//
//   - no 预警编号 and no 核实结果: skipped (blank and note rows);
//   - a 核实结果 without a 预警编号: a RowError;
//   - an empty 核实结果: skipped, the case is not verified yet;
//   - otherwise the case id must be well formed (YJ-YYYYMMDD-NNNN), the
//     result an outcome's label or code, and 核实日期 filled in (a blank
//     one, or a list without the column, is a RowError) with a date (a
//     date cell, or text such as 2026-12-01, 2026/12/1, 2026年12月1日) no
//     later than Options.AsOf when that is set. A row that passes is a
//     Feedback; one that fails is one RowError listing all its problems.
//
// A case id that comes again with a different outcome is a RowError for
// the later row; with the same outcome the later row is dropped and the
// first one stands. The error is for a file that cannot be read at all or
// has no 预警编号 or 核实结果 column. Whether the cases exist, are open and
// belong to the sender is for the caller to check, with the list's Mark.
//
// An xlsx whose sheets hold two 预警编号 headers is an error naming them:
// which one is the township's answer cannot be known. So is a mark that
// was edited.
func ReadFeedback(path string, o Options) (*Returned, error) {
	outs, err := o.outcomes()
	if err != nil {
		return nil, err
	}
	t, err := readTable(path)
	if err != nil {
		return nil, fmt.Errorf("dispatch: read feedback %s: %w", path, err)
	}
	h := t.headerRow()
	if h < 0 {
		return nil, fmt.Errorf("dispatch: read feedback %s: 找不到表头“%s”（no %s header）", path, HeaderCaseID, HeaderCaseID)
	}
	cols, err := mapColumns(t.rows[h].cells)
	if err != nil {
		return nil, fmt.Errorf("dispatch: read feedback %s: %w", path, err)
	}
	if n := len(t.rows) - h - 1; n > MaxListRows {
		return nil, fmt.Errorf("dispatch: read feedback %s: 本表有 %d 行，超过核查清单的上限 %d 行，请确认是否交错了文件（%d rows; a returned list has at most %d）",
			path, n, MaxListRows, n, MaxListRows)
	}
	rd := newFeedbackReader(path, o, outs, cols, t.date1904)
	for _, r := range t.rows[h+1:] {
		rd.row(r)
	}
	return &Returned{File: path, Mark: t.mark, Sheet: t.sheet, Feedback: rd.feedback, Rejected: rd.errs}, nil
}

// feedbackColumns are the positions of the columns ReadFeedback uses;
// -1 for an optional column that is absent.
type feedbackColumns struct {
	caseID, outcome, note, verifiedBy, verifiedOn, household int
}

// mapColumns finds the columns by header. 预警编号 and 核实结果 are
// required; a header that occurs twice is an error only for the columns
// that are read.
func mapColumns(header []string) (feedbackColumns, error) {
	cols := feedbackColumns{-1, -1, -1, -1, -1, -1}
	targets := map[string]*int{
		normKey(HeaderHousehold):  &cols.household,
		normKey(HeaderCaseID):     &cols.caseID,
		normKey(HeaderOutcome):    &cols.outcome,
		normKey(HeaderNote):       &cols.note,
		normKey(HeaderVerifiedBy): &cols.verifiedBy,
		normKey(HeaderVerifiedOn): &cols.verifiedOn,
	}
	for i, c := range header {
		p, ok := targets[normKey(c)]
		if !ok {
			continue
		}
		if *p >= 0 {
			return cols, fmt.Errorf("表头“%s”出现了两次（column %s appears twice）", strings.TrimSpace(c), strings.TrimSpace(c))
		}
		*p = i
	}
	if cols.outcome < 0 {
		return cols, fmt.Errorf("找不到“%s”列（no %s column）", HeaderOutcome, HeaderOutcome)
	}
	return cols, nil
}

// feedbackReader turns data rows into Feedback and RowErrors.
type feedbackReader struct {
	path     string
	form     bool // the portal's outcome form, not a list
	asOf     time.Time
	cols     feedbackColumns
	date1904 bool
	codes    map[string]string // normKey of a label or code → code
	labels   map[string]string // code → label
	choices  string            // the labels, for messages
	seen     map[string]int    // case id → index in feedback
	feedback []Feedback
	errs     []RowError
}

func newFeedbackReader(path string, o Options, outs []Outcome, cols feedbackColumns, date1904 bool) *feedbackReader {
	rd := &feedbackReader{
		path: path, cols: cols, date1904: date1904,
		codes: map[string]string{}, labels: map[string]string{}, seen: map[string]int{},
	}
	if !o.AsOf.IsZero() {
		rd.asOf = civil(o.AsOf)
	}
	var names []string
	for _, out := range outs {
		rd.codes[normKey(out.Label)] = out.Code
		rd.codes[normKey(out.Code)] = out.Code
		rd.labels[out.Code] = out.Label
		names = append(names, out.Label)
	}
	rd.choices = strings.Join(names, "、")
	return rd
}

// row reads one data row.
func (rd *feedbackReader) row(r tableRow) {
	get := func(i int) string {
		if i < 0 || i >= len(r.cells) {
			return ""
		}
		return strings.TrimSpace(r.cells[i])
	}
	rawID, result := get(rd.cols.caseID), get(rd.cols.outcome)
	switch {
	case rawID == "" && result == "":
		return
	case rawID == "":
		rd.fail(r.num, "", fmt.Sprintf("填写了%s“%s”但没有%s", HeaderOutcome, safeValue(result), HeaderCaseID))
		return
	case normKey(rawID) == normKey(HeaderCaseID):
		return // a header row repeated where lists were pasted together
	case result == "":
		return // not verified yet
	}
	fb, problems := rd.parse(rawID, result, get(rd.cols.note), get(rd.cols.verifiedBy), get(rd.cols.verifiedOn))
	if len(problems) > 0 {
		rd.fail(r.num, fb.CaseID, strings.Join(problems, "；"))
		return
	}
	if i, dup := rd.seen[fb.CaseID]; dup {
		first := rd.feedback[i]
		if first.Outcome != fb.Outcome {
			rd.fail(r.num, fb.CaseID, fmt.Sprintf("%s %s 与第%d行重复，且%s不一致（第%d行为“%s”，本行为“%s”）",
				HeaderCaseID, fb.CaseID, first.Row, HeaderOutcome, first.Row, rd.labels[first.Outcome], rd.labels[fb.Outcome]))
		}
		return
	}
	fb.File, fb.Row, fb.HouseholdID = rd.path, r.num, get(rd.cols.household)
	rd.seen[fb.CaseID] = len(rd.feedback)
	rd.feedback = append(rd.feedback, fb)
}

// parse checks one verification — the case id, the outcome (a label or a
// code), and the date, which must be given — as a returned list's row and the portal's
// form both give it: one set of rules for both. Problems are in the
// township's words, quoting what was written with long digit runs masked.
func (rd *feedbackReader) parse(rawID, result, note, verifiedBy, verifiedOn string) (Feedback, []string) {
	var problems []string
	caseID, ok := parseCaseID(rawID)
	if !ok {
		problems = append(problems, fmt.Sprintf("%s“%s”格式不正确（应形如 YJ-20261128-0001）", HeaderCaseID, safeValue(rawID)))
	}
	code, ok := rd.codes[normKey(result)]
	if !ok {
		problems = append(problems, fmt.Sprintf("%s“%s”不是允许的选项（可选：%s）", HeaderOutcome, safeValue(result), rd.choices))
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(note)); n > MaxNoteRunes {
		problems = append(problems, fmt.Sprintf("%s有 %d 字，最多 %d 字", HeaderNote, n, MaxNoteRunes))
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(verifiedBy)); n > MaxVerifierRunes {
		problems = append(problems, fmt.Sprintf("%s有 %d 字，最多 %d 字（填写核实人姓名）", HeaderVerifiedBy, n, MaxVerifierRunes))
	}
	var on time.Time
	if s := strings.TrimSpace(verifiedOn); s == "" {
		// A case is closed on the day it was verified: a blank date
		// would be taken as the import's, which says nothing of when
		// the township went to the household.
		problems = append(problems, rd.blankDate())
	} else {
		d, err := rd.date(s)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s“%s”不是有效日期（请填写如 2026-12-01）", HeaderVerifiedOn, safeValue(s)))
		case !rd.asOf.IsZero() && d.After(rd.asOf):
			problems = append(problems, fmt.Sprintf("%s %s 晚于 %s，不能填写将来的日期", HeaderVerifiedOn, d.Format(time.DateOnly), rd.asOf.Format(time.DateOnly)))
		default:
			on = d
		}
	}
	return Feedback{CaseID: caseID, Outcome: code, Note: strings.TrimSpace(note), VerifiedBy: strings.TrimSpace(verifiedBy), VerifiedOn: on}, problems
}

// blankDate is the problem of a verification without a 核实日期, naming
// the missing column when a list has none, and asking for it when the
// portal's form left it empty.
func (rd *feedbackReader) blankDate() string {
	switch {
	case rd.form:
		return "请填写" + HeaderVerifiedOn + "（入户核实的日期，如 2026-12-01）"
	case rd.cols.verifiedOn < 0:
		return fmt.Sprintf("未填写%s：本表没有“%s”列，请在下发的原表中填写（the list has no %s column）", HeaderVerifiedOn, HeaderVerifiedOn, HeaderVerifiedOn)
	}
	return fmt.Sprintf("未填写%s，请填写入户核实的日期，如 2026-12-01（%s is blank）", HeaderVerifiedOn, HeaderVerifiedOn)
}

// Bounds of a verification's free text, for a returned list and the
// portal alike: a 核实说明 is a paragraph, a 核实人 one or two names.
const (
	MaxNoteRunes     = 1000
	MaxVerifierRunes = 50
)

// CheckVerification checks a verification entered outside a list (the
// portal's outcome form) by the rules a returned list's row follows:
// the case id well formed, the outcome one of o's (label or code), the
// date given and a date no later than o.AsOf. The error, in the
// township's words, lists every problem.
func CheckVerification(o Options, caseID, outcome, note, verifiedBy, verifiedOn string) (Feedback, error) {
	outs, err := o.outcomes()
	if err != nil {
		return Feedback{}, err
	}
	rd := newFeedbackReader("", o, outs, feedbackColumns{-1, -1, -1, -1, -1, -1}, false)
	rd.form = true
	if strings.TrimSpace(outcome) == "" {
		return Feedback{}, errors.New("请选择" + HeaderOutcome)
	}
	fb, problems := rd.parse(caseID, outcome, note, verifiedBy, verifiedOn)
	if len(problems) > 0 {
		return Feedback{}, errors.New(strings.Join(problems, "；"))
	}
	return fb, nil
}

// fail records a RowError for sheet row n.
func (rd *feedbackReader) fail(n int, caseID, reason string) {
	rd.errs = append(rd.errs, RowError{File: rd.path, Row: n, CaseID: caseID, Reason: "第" + strconv.Itoa(n) + "行 " + reason})
}

// date reads a 核实日期 cell: an Excel serial day number (a date cell read
// raw) or text in any of the shapes dataset.ParseDate knows.
func (rd *feedbackReader) date(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 10000 && f < 100000 {
		// Five digits, as every date cell from 1927 to 2173 is; shorter
		// numbers are more likely a year or a typo and go to ParseDate,
		// which rejects them, and eight digits are 20261201.
		epoch := excelEpoch
		if rd.date1904 {
			epoch = excelEpoch1904
		}
		return epoch.AddDate(0, 0, int(f)), nil
	}
	return dataset.ParseDate(s)
}
