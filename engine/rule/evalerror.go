package rule

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/expr-lang/expr/file"
	"go.yaml.in/yaml/v3"
)

// EvalKind says what went wrong when a rule could not be evaluated for one
// person.
type EvalKind string

// The kinds of evaluation error.
const (
	// DivisionByZero: the divisor of a / or % was 0 (or 0 was raised to a
	// negative power).
	DivisionByZero EvalKind = "division_by_zero"
	// NotFinite: a calculation gave NaN or ±Inf (an overflow, a negative
	// number to a fractional power, a built-in such as float("inf")).
	NotFinite EvalKind = "not_finite"
	// BadFact: a fact the expression reads is NaN or ±Inf: the facts query
	// gave it so for this person.
	BadFact EvalKind = "bad_fact"
	// Failed: any other failure of the expression on this person's facts
	// (e.g. int() of a text that is not a number).
	Failed EvalKind = "failed"
)

// EvalError is a rule that could not be evaluated for one person: a
// division by zero, a NaN or ±Inf, a fact the facts query gave as NaN. It
// is never a hit. Callers count it per rule and go on with the next
// person; any other error of Rule.Eval (a param with no value on the
// date, an env of another pack) concerns every person and stops the
// evaluation.
//
// Its text holds no value of the person's facts, ID number or name: only
// the rule, the place in the rule files, what happened and what to do, so
// it may be logged and shown in summaries.
type EvalError struct {
	Rule string // the rule's id
	Expr string // the expression that failed: when, reason or severity
	// Pos is where in the rule files: the operator that divided by zero,
	// the fact that was NaN, the call that failed.
	Pos  Pos
	Kind EvalKind
	// Problem says what happened ("division by zero"); Detail, in
	// parentheses, why ("a divisor was 0"); Hint what to do ("guard it,
	// e.g. household.members > 0 && ..."). Detail and Hint may be empty.
	Problem, Detail, Hint string
}

// Error formats e as "rule ID: when: " followed by Text.
func (e *EvalError) Error() string {
	return "rule " + e.Rule + ": " + e.Expr + ": " + e.Text()
}

// Text is the error without the rule: "division by zero at
// rules/x.yaml:6:27 (a divisor was 0): guard it, e.g.
// household.members > 0 && ...".
func (e *EvalError) Text() string {
	s := e.Problem + " at " + e.Pos.String()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// locator maps a place in an expression (a rune offset, as expr counts
// them) to its place in the rule file.
type locator struct {
	file  string
	lines []string
	node  *yaml.Node
	// fixed places everything at the expression's start: for text that
	// was re-rendered, whose offsets are not the file's.
	fixed bool
}

func (l locator) pos(offset int) Pos {
	if l.node == nil {
		return Pos{File: l.file}
	}
	if l.fixed {
		offset = 0
	}
	line, col := locate(l.lines, l.node, offset)
	return Pos{File: l.file, Line: line, Col: col}
}

// start is where the expression begins in its file.
func (l locator) start() Pos { return l.pos(0) }

// errNotFinite is returned by the helper functions given NaN or ±Inf.
var errNotFinite = errors.New("not a finite number")

// evalError turns an error of running expression x into an *EvalError for
// the rule: a checked operation's arithError names its site, any other
// runtime failure is placed by expr's location.
func (r *Rule) evalError(x *expression, err error) error {
	ee := &EvalError{Rule: r.ID, Expr: x.name}
	var ae *arithError
	if errors.As(err, &ae) && ae.site >= 0 && ae.site < len(r.pack.sites) {
		s := &r.pack.sites[ae.site]
		ee.Pos, ee.Kind, ee.Problem, ee.Detail = s.pos, ae.kind, ae.problem, ae.detail
		if ae.kind == DivisionByZero && s.guard != "" {
			where := ""
			if x.name != "when" {
				where = " in when"
			}
			ee.Hint = "guard it" + where + ", e.g. " + s.guard + " && ..."
		}
		return ee
	}
	var fe *file.Error
	if !errors.As(err, &fe) {
		return fmt.Errorf("rule %s: %s: %w", r.ID, x.name, err)
	}
	ee.Pos = x.loc.pos(fe.From)
	if errors.Is(err, errNotFinite) {
		ee.Kind, ee.Problem, ee.Detail = NotFinite, "not a finite number", "a helper function was given NaN or ±Inf"
		return ee
	}
	ee.Kind, ee.Problem, ee.Detail = Failed, "the expression failed", scrub(fe.Message)
	return ee
}

// badFact is the error of expression x reading fact in, which is NaN or
// ±Inf for this person.
func (r *Rule) badFact(e *Env, x *expression, in input) *EvalError {
	fd := &r.pack.fields[in.field]
	return &EvalError{Rule: r.ID, Expr: x.name, Pos: in.pos, Kind: BadFact,
		Problem: in.name + " is " + nonFiniteName(e.badVal[in.field]),
		Detail:  "the facts query gave no usable number for this person",
		Hint:    fmt.Sprintf("fix the query of group %s (%s), e.g. with nullif or coalesce", fd.Group, fd.Pos)}
}

// nonFiniteName names NaN, +Inf and -Inf for messages.
func nonFiniteName(x float64) string {
	switch {
	case x > 0:
		return "+Inf (infinite)"
	case x < 0:
		return "-Inf (infinite)"
	}
	return "NaN (not a number)"
}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	digitsRE = regexp.MustCompile(`[0-9Xx]{3,}`)
	hanRE    = regexp.MustCompile(`\p{Han}+`)
)

// scrub removes from a runtime message of expr what could be a person's
// data: quoted text, runs of digits (an ID number) and Chinese text (a
// name), so that the message may be logged.
func scrub(msg string) string {
	msg = quotedRE.ReplaceAllString(msg, `"…"`)
	msg = digitsRE.ReplaceAllString(msg, "…")
	return hanRE.ReplaceAllString(msg, "…")
}
