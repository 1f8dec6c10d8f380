package rule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Eval runs the rule on the env: whether its condition holds, and if so
// the reason text (its reason expression, or its title when it has none).
// It fails if the rule reads a param with no value on the env's date.
func (r *Rule) Eval(e *Env) (hit bool, reason string, err error) {
	if r.pack == nil || e.pack != r.pack {
		return false, "", fmt.Errorf("rule %s: the env was made by another pack", r.ID)
	}
	for _, i := range r.params {
		if err := e.missing[i]; err != nil {
			return false, "", fmt.Errorf("rule %s: %w", r.ID, err)
		}
	}
	out, err := e.vm.Run(r.when, e.env())
	if err != nil {
		return false, "", fmt.Errorf("rule %s: when: %w", r.ID, err)
	}
	if !out.(bool) {
		return false, "", nil
	}
	if r.reason == nil {
		return true, r.Title, nil
	}
	out, err = e.vm.Run(r.reason, e.env())
	if err != nil {
		return true, r.Title, fmt.Errorf("rule %s: reason: %w", r.ID, err)
	}
	return true, out.(string), nil
}

// SeverityOf evaluates the rule's severity expression on the env; 0 when
// the rule declares none (then a closed case's cooldown always holds).
func (r *Rule) SeverityOf(e *Env) (float64, error) {
	if r.severity == nil {
		return 0, nil
	}
	out, err := e.vm.Run(r.severity, e.env())
	if err != nil {
		return 0, fmt.Errorf("rule %s: severity: %w", r.ID, err)
	}
	return out.(float64), nil
}

// Hit is a rule whose condition held, with its reason.
type Hit struct {
	Rule   *Rule
	Reason string
}

// EvalAll runs every enabled rule on the env and appends the hits to dst
// (pass dst[:0] to reuse it). A rule that fails is left out and its error
// joined into err; the others still run.
func (e *Env) EvalAll(dst []Hit) ([]Hit, error) {
	var errs []error
	for _, r := range e.pack.Rules {
		if !r.Enabled {
			continue
		}
		hit, reason, err := r.Eval(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if hit {
			dst = append(dst, Hit{Rule: r, Reason: reason})
		}
	}
	return dst, errors.Join(errs...)
}

// Explanation is why a rule hit or missed on one env.
type Explanation struct {
	Rule   *Rule
	Hit    bool
	Reason string
	// Conditions are the top-level && parts of the rule's condition, each
	// with whether it held; one entry (the whole condition) if it has no
	// top-level &&.
	Conditions []Condition
	// Inputs are the facts and params the rule reads, with their values.
	Inputs []Input
	// Err is set when the rule could not be evaluated.
	Err error
}

// Condition is one part of a rule's condition.
type Condition struct {
	Text  string
	Holds bool
}

// Input is a fact (GROUP.FIELD) or param (params.NAME) and its value.
type Input struct {
	Name  string
	Value any
}

// Explain evaluates the rule on the env part by part, for `rules explain`
// and failing tests.
func (r *Rule) Explain(e *Env) Explanation {
	x := Explanation{Rule: r}
	x.Hit, x.Reason, x.Err = r.Eval(e)
	if x.Err != nil && !x.Hit {
		return x
	}
	for _, in := range r.inputs {
		group, name, _ := strings.Cut(in.name, ".")
		v, err := e.Get(group, name)
		if err != nil {
			v = nil
		}
		x.Inputs = append(x.Inputs, Input{Name: in.name, Value: v})
	}
	if len(r.parts) == 0 {
		x.Conditions = []Condition{{Text: r.When, Holds: x.Hit}}
		return x
	}
	for _, p := range r.parts {
		out, err := e.vm.Run(p.prog, e.env())
		holds, _ := out.(bool)
		if err != nil {
			holds = false
		}
		x.Conditions = append(x.Conditions, Condition{Text: p.text, Holds: holds})
	}
	return x
}

// String summarises the explanation on one line: the verdict, the parts
// of the condition that failed (or the reason of a hit) and the inputs.
func (x Explanation) String() string {
	var b strings.Builder
	switch {
	case x.Err != nil:
		fmt.Fprintf(&b, "error: %v", x.Err)
	case x.Hit:
		fmt.Fprintf(&b, "hit: %s", x.Reason)
	default:
		b.WriteString("miss:")
		sep := " "
		for _, c := range x.Conditions {
			if !c.Holds {
				fmt.Fprintf(&b, "%s%s is false", sep, c.Text)
				sep = "; "
			}
		}
	}
	if len(x.Inputs) > 0 {
		b.WriteString(" (")
		for i, in := range x.Inputs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(in.Name + " = " + FormatValue(in.Value))
		}
		b.WriteString(")")
	}
	return b.String()
}

// FormatValue writes a fact or param value as a condition would: numbers
// plainly (20000, 1170.5), text quoted.
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return strconv.Quote(x)
	case nil:
		return "(no value)"
	}
	return fmt.Sprint(v)
}
