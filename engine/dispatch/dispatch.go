// Package dispatch writes the alert lists (预警核查清单) that townships verify
// door to door, the county's summary sheet, and reads the returned lists
// back into outcomes.
//
// A township list is one xlsx sheet (or a CSV with the same columns) with a
// row per case, keyed by the case id in the 预警编号 column. The township
// fills in 核实结果 from a drop-down of outcome labels, plus 核实说明, 核实人
// and 核实日期, and sends it back; ReadFeedback turns the filled rows into
// Feedback and everything it cannot accept into RowErrors that name the row
// and say what is wrong in plain words.
//
// The package is pure: it gets plain structs from the caller and touches no
// store. ID numbers are masked in every list unless Options.Unmasked is set,
// and never appear in an error. Whether a case exists, is still open, or
// belongs to the township that returned it is for the caller to check.
package dispatch

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/level"
)

// Hit is one rule that fired for someone in the case's household.
type Hit struct {
	RuleID    string // e.g. MED-OOP-UNCOVERED
	RuleTitle string // the rule's title in the analysts' words
	Level     string // red | orange | yellow
	Reason    string // the rule's reason text, e.g. "近12个月医疗自付 30000 元"
	Person    string // name of the person the hit is about
	IDNumber  string // full 18-character ID; masked on output unless Options.Unmasked
	// Mark: a rule's note on the case, not a warning (rule.Rule.Mark):
	// listed after the warnings, with ※, e.g. who must stay out of the
	// verification (回避).
	Mark bool
}

// Item is one warning case (one per household) as it appears on a list.
type Item struct {
	CaseID       string // e.g. YJ-20261128-0001; the key the township's feedback comes back on
	TownshipCode string
	TownshipName string
	VillageCode  string
	VillageName  string
	HouseholdID  string
	Address      string
	HeadName     string // household head, or the warned person if there is no household
	HeadID       string // full 18-character ID of HeadName; masked on output unless Options.Unmasked
	Members      int    // household size; 0 when unknown (shown empty)
	Level        string // red | orange | yellow; anything else is shown as given, uncoloured, sorted last
	Hits         []Hit
	Dispatched   time.Time // date the case was first sent to the township
	Deadline     time.Time // date by which the township must report an outcome
	State        cases.State
	Changed      bool // new or changed since the last dispatch (the 变化 column)
	// Linked are the case's evidence rows whose person was found by
	// identity resolution rather than by the ID number the department
	// sent, grouped; the list notes them (LinkNote). Empty for most cases.
	Linked []Linked `json:",omitempty"`
}

// Linked is a group of a case's evidence rows whose person was found by
// identity resolution (身份识别: the department's ID number was missing,
// mistyped or damaged, and the person was matched on name, birth date,
// ID digits, …), automatically by probability or by a county analyst.
// The township verifies who the person is before deciding.
type Linked struct {
	Dataset    string   // the records as townships name them, e.g. 医保结算
	Rows       int      // how many of the case's evidence rows
	Agreements []string // what agreed with the person, e.g. 姓名相同, 身份证号相差一位
	// MinProbability and MaxProbability bound the rows' match
	// probabilities (0–1); both 0 when unknown (an analyst chose a person
	// the linker had not proposed).
	MinProbability, MaxProbability float64
	// Confirmed: a county analyst confirmed the rows' person.
	Confirmed bool
}

// Warning levels, most severe first (engine/level).
const (
	LevelRed    = level.Red
	LevelOrange = level.Orange
	LevelYellow = level.Yellow
)

// LevelLabel is a level as townships read it (level.Label).
func LevelLabel(l string) string { return level.Label(l) }

// Options control how lists are written and read.
type Options struct {
	// Unmasked shows ID numbers in full. Lists are masked by default
	// (340799********123X): a township verifies a household by name and
	// address, and a list that leaks must not leak whole ID numbers.
	Unmasked bool
	// County is the county's name for titles, e.g. 示例县.
	County string
	// AsOf is the dispatch date: it is printed in titles, decides which
	// cases are overdue, and is required by the writers. ReadFeedback uses
	// it, when set, to reject 核实日期 later than AsOf.
	AsOf time.Time
	// Outcomes are the allowed 核实结果; nil means DefaultOutcomes().
	Outcomes []Outcome
	// Mark, when set, is written into a township list (see Mark) so that
	// the returned list is bound to its township and batch.
	Mark Mark
}

// Outcome is one allowed verification outcome: Code is what the store
// keeps, Label what townships pick from the drop-down. ReadFeedback
// accepts either.
type Outcome struct {
	Code, Label string
}

// DefaultOutcomes returns the outcomes of the county's workflow, in the
// order the drop-down shows them.
func DefaultOutcomes() []Outcome {
	return []Outcome{
		{"dibao", "纳入低保"},
		{"tekun", "纳入特困"},
		{"dibian", "纳入低边"},
		{"rigid", "纳入刚性支出困难"},
		{"temporary", "给予临时救助"},
		{"other_aid", "其他救助"},
		{"not_eligible", "不符合条件"},
		{"unreachable", "无法联系"},
		{"stopped", "已停发救助"}, // 应退尽退: an integrity case settled by stopping payments
	}
}

// maxDropList is Excel's limit on an inline drop-down list, separators
// included.
const maxDropList = 255

// outcomes returns the options' outcomes, checked: codes and labels must
// be non-empty and unique (a code may not be another outcome's label), and
// labels must fit an inline Excel drop-down, which splits on commas.
func (o Options) outcomes() ([]Outcome, error) {
	outs := o.Outcomes
	if outs == nil {
		outs = DefaultOutcomes()
	}
	if len(outs) == 0 {
		return nil, errors.New("dispatch: no outcomes configured")
	}
	seen := map[string]bool{}
	var errs []error
	n := 0
	for i, out := range outs {
		code, label := normKey(out.Code), normKey(out.Label)
		switch {
		case code == "" || label == "":
			errs = append(errs, fmt.Errorf("outcome %d: code and label are both required", i+1))
			continue
		case strings.ContainsAny(out.Label, `,，"`):
			errs = append(errs, fmt.Errorf("outcome %q: a label cannot contain a comma or a quote (Excel's drop-down splits on commas)", out.Code))
		}
		for _, k := range []string{code, label} {
			if seen[k] {
				errs = append(errs, fmt.Errorf("outcome %q: %q is used twice", out.Code, k))
			}
			seen[k] = true
		}
		n += len([]rune(out.Label)) + 1
	}
	if n-1 > maxDropList {
		errs = append(errs, fmt.Errorf("outcome labels are %d characters together; an Excel drop-down holds at most %d", n-1, maxDropList))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("dispatch: bad outcomes: %w", err)
	}
	return outs, nil
}

// errNoAsOf is returned by the writers when Options.AsOf is not set: the
// title and the overdue marks depend on it, and lists must be a function
// of the store and that date alone.
var errNoAsOf = errors.New("dispatch: Options.AsOf is required")
