package rule

import (
	"fmt"
	"github.com/lipwatch/lipwatch/engine/level"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// The warning levels, most severe first (engine/level).
const (
	Red    = level.Red
	Orange = level.Orange
	Yellow = level.Yellow
)

// LevelRank orders levels: red 3, orange 2, yellow 1, anything else 0
// (level.Rank).
func LevelRank(l string) int { return level.Rank(l) }

// Rule is one warning rule: when its condition holds for a person, the
// person's household is warned at its level with its reason.
type Rule struct {
	ID    string
	Title string // Chinese, shown on township lists
	Level string // red, orange or yellow
	// Doc is optional free text: what the township should check at the
	// visit (the portal's case page shows it as 核查要点) and, for
	// analysts, the rule's policy basis.
	Doc string
	// When is the condition, as written; Reason the reason expression, as
	// written ("" means the title is the reason).
	When, Reason string
	// Severity, optional, is a number expression measuring how bad a hit
	// is (e.g. medical.oop_12m). After a case is closed, the same rule
	// warns again before its cooldown ends only if the severity grows.
	Severity string
	// Scope is what one hit stands for: ScopePerson (each person the
	// condition holds for) or ScopeHousehold (one hit per household, on
	// its head when the head is among those it holds for, else on the
	// member with the smallest ID number): for a rule about the household
	// (its income, its size), which would otherwise list a four-person
	// household four times. Default person.
	Scope string
	// Mark makes the rule a mark (提示): its hit never opens a case by
	// itself, never sets or raises a case's level and never counts for the
	// escalation; it is attached to the case another rule opens or keeps
	// open for the same household, and its reason is shown on the list
	// (e.g. the recusal of a relative's office). A mark has no level.
	Mark bool
	// Route, optional, is where a case carrying an active hit of the rule
	// goes instead of its township: RouteCounty, the county's own queue
	// (e.g. a household related to the township's own assistance staff).
	Route string
	// Enabled rules are evaluated at night; disabled ones are still
	// checked, tested and explained.
	Enabled bool
	// Version is bumped by analysts when the rule's meaning changes; it is
	// recorded with each hit.
	Version int
	Tests   []Test
	Pos     Pos

	pack     *Pack
	when     *expression
	reason   *expression // nil: the title is the reason
	severity *expression // nil: no severity
	parts    []part      // the top-level && conditions of When, for explaining
	inputs   []input     // of when and reason: the evidence of a hit
	params   []int       // indexes of the params it reads, to check they have values
}

// LevelText is the rule's level as the CLI prints it: red, orange or
// yellow, or "mark" for a mark (which has none).
func (r *Rule) LevelText() string {
	if r.Mark {
		return "mark"
	}
	return r.Level
}

// part is one top-level condition of a rule's When.
type part struct {
	text string
	x    *expression // placed at the start of When: its text is re-rendered
}

// Test is one case beside a rule: given these facts on this date, the
// rule hits or misses (and gives this reason).
type Test struct {
	Name string
	// AsOf is the evaluation date the test asserts at; params take their
	// values on it.
	AsOf time.Time
	// Given sets facts (group -> field -> value, converted to the field's
	// type); the others keep their defaults.
	Given map[string]map[string]any
	// Expect is hit, miss or error: error expects the rule not to be
	// evaluable on the given facts (an *EvalError, e.g. a division by
	// zero), which pins down how a guarded rule behaves.
	Expect string
	// Reason, when not empty, is the exact reason text expected of a hit.
	Reason string
	Pos    Pos

	sets []set // Given in file order, by field index
}

type set struct {
	index int
	value any
}

// Escalation raises a household's level when enough rules hit it: "two or
// more signals in one household raise the level to red". The zero value
// never escalates.
type Escalation struct {
	MinRules int
	Level    string
}

// Apply is the level of a household whose hits come from rules at these
// levels, one per distinct rule: the most severe of them, raised to the
// escalation level when there are at least MinRules.
func (e Escalation) Apply(levels ...string) string {
	best := ""
	for _, l := range levels {
		if LevelRank(l) > LevelRank(best) {
			best = l
		}
	}
	if e.MinRules > 0 && len(levels) >= e.MinRules && LevelRank(e.Level) > LevelRank(best) {
		best = e.Level
	}
	return best
}

// The expectations of a rule test.
const (
	// RouteCounty sends a case to the county's own queue (route: county).
	RouteCounty = "county"
)

// The expectations of a rule test.
const (
	ExpectHit   = "hit"
	ExpectMiss  = "miss"
	ExpectError = "error"
)

var ruleIDRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`)

// exprText is an expression as written, with the node it came from, so
// that errors inside it can be placed in the file.
type exprText struct {
	text string
	node *yaml.Node
	file *yfile
	ctx  string // "rule X: when"
}

// parsedRule is a rule as read, before its expressions are compiled.
type parsedRule struct {
	rule                   *Rule
	when, reason, severity *exprText
	tests                  []parsedTest
	file                   *yfile
	bad                    bool // reported; compiled for more errors but not kept
}

type parsedTest struct {
	test  *Test
	given *yaml.Node
	ctx   string
}

// parseRules reads a file's `rules:` list.
func parseRules(f *yfile, n *yaml.Node) []*parsedRule {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		f.errf(n, "rules", "want a list of rules (each starting with \"- id:\"), got %s", describe(n))
		return nil
	}
	var out []*parsedRule
	for i, item := range n.Content {
		if pr := parseRule(f, resolve(item), i+1); pr != nil {
			out = append(out, pr)
		}
	}
	return out
}

// parseRule reads one rule; nil if it is not even a mapping.
func parseRule(f *yfile, n *yaml.Node, nth int) *parsedRule {
	ctx := "rule #" + strconv.Itoa(nth)
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], resolve(n.Content[i+1]); k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
				ctx = "rule " + v.Value
				break
			}
		}
	}
	m, ok := f.keys(n, ctx, "a rule (a mapping with id, title, level, when, ...)",
		"id", "title", "level", "doc", "scope", "mark", "route", "enabled", "version", "when", "reason", "severity", "tests")
	if !ok {
		return nil
	}
	r := &Rule{Enabled: true, Version: 1, Scope: ScopePerson, Pos: f.pos(n)}
	pr := &parsedRule{rule: r, file: f}
	good := true
	required := func(key, what string) (pair, string, bool) {
		p, has := m[key]
		if !has {
			f.missing(n, ctx, key, "missing %s (%s)", key, what)
			return p, "", false
		}
		s, ok := f.text(p, ctx)
		return p, s, ok
	}
	if p, id, ok := required("id", "e.g. MED-OOP-UNCOVERED"); ok {
		if !ruleIDRE.MatchString(id) {
			f.errf(p.val, ctx, "id must be upper-case letters and digits joined by -, like MED-OOP-UNCOVERED")
			good = false
		}
		r.ID = id
		r.Pos = f.pos(p.val)
	} else {
		good = false
	}
	if _, title, ok := required("title", "Chinese, shown to townships"); ok {
		r.Title = title
	} else {
		good = false
	}
	boolKey := func(key string, dst *bool) {
		if p, has := m[key]; has {
			if p.val.Kind != yaml.ScalarNode || p.val.Tag != "!!bool" {
				f.errf(p.val, ctx, "%s must be true or false, not %s", key, describe(p.val))
				good = false
			} else {
				_ = p.val.Decode(dst)
			}
		}
	}
	boolKey("mark", &r.Mark)
	if p, has := m["route"]; has {
		if s, ok := f.text(p, ctx); ok {
			if s != RouteCounty {
				f.errf(p.val, ctx, "route must be county (the county's own queue), not %s%s", s, hint(s, []string{RouteCounty}))
				good = false
			}
			r.Route = s
		} else {
			good = false
		}
	}
	if r.Mark { // a mark has no level
		if p, has := m["level"]; has {
			f.errf(p.key, ctx, "a mark (mark: true) has no level: it never sets a case's level; remove level")
			good = false
		}
	} else if p, level, ok := required("level", "red, orange or yellow"); ok {
		if LevelRank(level) == 0 {
			f.errf(p.val, ctx, "level must be red, orange or yellow, not %s%s", level, hint(level, []string{Red, Orange, Yellow}))
			good = false
		}
		r.Level = level
	} else {
		good = false
	}
	if p, has := m["doc"]; has {
		r.Doc, _ = f.text(p, ctx)
	}
	if p, has := m["scope"]; has {
		if s, ok := f.text(p, ctx); ok {
			if s != ScopePerson && s != ScopeHousehold {
				f.errf(p.val, ctx, "scope must be person or household, not %s%s", s, hint(s, []string{ScopePerson, ScopeHousehold}))
				good = false
			}
			r.Scope = s
		} else {
			good = false
		}
	}
	boolKey("enabled", &r.Enabled)
	if p, has := m["version"]; has {
		v, err := strconv.Atoi(p.val.Value)
		if p.val.Kind != yaml.ScalarNode || p.val.Tag != "!!int" || err != nil || v < 1 {
			f.errf(p.val, ctx, "version must be a whole number from 1 up, not %s", describe(p.val))
			good = false
		}
		r.Version = v
	}
	if p, when, ok := required("when", "the condition"); ok {
		r.When = when
		pr.when = &exprText{text: when, node: p.val, file: f, ctx: ctx + ": when"}
	} else {
		good = false
	}
	// Optional expressions: the reason text and the severity number.
	for _, dst := range []struct {
		key  string
		text *string
		expr **exprText
	}{{"reason", &r.Reason, &pr.reason}, {"severity", &r.Severity, &pr.severity}} {
		key := dst.key
		p, has := m[key]
		if !has {
			continue
		}
		text, ok := f.text(p, ctx)
		if !ok {
			good = false
			continue
		}
		*dst.text = text
		*dst.expr = &exprText{text: text, node: p.val, file: f, ctx: ctx + ": " + key}
	}
	if p, has := m["tests"]; has {
		pr.tests = parseTests(f, p.val, ctx)
	}
	pr.bad = !good
	return pr
}

// parseTests reads a rule's `tests:` list; the givens are checked later,
// against the facts.
func parseTests(f *yfile, n *yaml.Node, ruleCtx string) []parsedTest {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		f.errf(n, ruleCtx, "tests: want a list of tests (each starting with \"- name:\"), got %s", describe(n))
		return nil
	}
	var out []parsedTest
	names := map[string]int{}
	for i, item := range n.Content {
		item = resolve(item)
		t := &Test{Name: fmt.Sprintf("#%d", i+1), Pos: f.pos(item)}
		if item.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(item.Content); j += 2 {
				if k, v := item.Content[j], resolve(item.Content[j+1]); k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" {
					t.Name = v.Value
				}
			}
		}
		ctx := fmt.Sprintf("%s: test %q", ruleCtx, t.Name)
		m, ok := f.keys(item, ctx, "a test (a mapping with name, as_of, given, expect)", "name", "as_of", "given", "expect", "reason")
		if !ok {
			continue
		}
		good := true
		if p, has := m["name"]; has {
			if _, ok := f.text(p, ctx); !ok {
				good = false
			} else if line, dup := names[t.Name]; dup {
				f.errf(p.val, ctx, "a test of this rule has this name already (line %d)", line)
				good = false
			} else {
				names[t.Name] = p.val.Line
			}
		}
		if p, has := m["as_of"]; !has {
			f.missing(item, ctx, "as_of", "missing as_of (the date the test asserts at, YYYY-MM-DD: params change on dates)")
			good = false
		} else if s, ok := f.text(p, ctx); ok {
			if t.AsOf, ok = parseDate(s); !ok {
				f.errf(p.val, ctx, "as_of: %s is not a date (write YYYY-MM-DD)", s)
				good = false
			}
		} else {
			good = false
		}
		if p, has := m["expect"]; !has {
			f.missing(item, ctx, "expect", "missing expect (hit, miss or error)")
			good = false
		} else if s, ok := f.text(p, ctx); ok {
			if s != ExpectHit && s != ExpectMiss && s != ExpectError {
				f.errf(p.val, ctx, "expect must be hit, miss or error, not %s%s", s, hint(s, []string{ExpectHit, ExpectMiss, ExpectError}))
				good = false
			}
			t.Expect = s
		} else {
			good = false
		}
		if p, has := m["reason"]; has {
			if s, ok := f.text(p, ctx); ok {
				t.Reason = s
				if t.Expect == ExpectMiss || t.Expect == ExpectError {
					f.errf(p.key, ctx, "reason is only checked on a hit; remove it or expect hit")
					good = false
				}
			} else {
				good = false
			}
		}
		var given *yaml.Node
		if p, has := m["given"]; has {
			given = p.val
		}
		if good {
			out = append(out, parsedTest{test: t, given: given, ctx: ctx})
		}
	}
	return out
}

// parseEscalation reads `escalation: {min_rules: 2, level: red}`.
func parseEscalation(f *yfile, n *yaml.Node) (Escalation, bool) {
	const ctx = "escalation"
	m, ok := f.keys(n, ctx, "a mapping {min_rules: 2, level: red}", "min_rules", "level")
	if !ok {
		return Escalation{}, false
	}
	var e Escalation
	good := true
	if p, has := m["min_rules"]; !has {
		f.missing(n, ctx, "min_rules", "missing min_rules (how many rules must hit one household)")
		good = false
	} else if v, err := strconv.Atoi(p.val.Value); p.val.Kind != yaml.ScalarNode || err != nil || v < 2 {
		f.errf(p.val, ctx, "min_rules must be a whole number from 2 up, not %s", describe(p.val))
		good = false
	} else {
		e.MinRules = v
	}
	if p, has := m["level"]; !has {
		f.missing(n, ctx, "level", "missing level (red, orange or yellow)")
		good = false
	} else if s, ok := f.text(p, ctx); !ok {
		good = false
	} else if LevelRank(s) == 0 {
		f.errf(p.val, ctx, "level must be red, orange or yellow, not %s%s", s, hint(s, []string{Red, Orange, Yellow}))
		good = false
	} else {
		e.Level = s
	}
	return e, good
}
