package rule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Eval runs the rule on the env: whether its condition holds, and if so
// the reason text (its reason expression, or its title when it has none).
//
// When the rule cannot be evaluated for this person (a division by zero,
// a NaN or ±Inf, a fact that is NaN, in the condition or the reason) the
// error is an *EvalError and hit is false: never a hit. Any other error
// concerns every person: a param with no value on the env's date, an env
// made by another pack.
func (r *Rule) Eval(e *Env) (hit bool, reason string, err error) {
	if r.pack == nil || e.pack != r.pack {
		return false, "", fmt.Errorf("rule %s: the env was made by another pack", r.ID)
	}
	for _, i := range r.params {
		if err := e.missing[i]; err != nil {
			return false, "", fmt.Errorf("rule %s: %w", r.ID, err)
		}
	}
	out, err := r.run(e, r.when)
	if err != nil {
		return false, "", err
	}
	if !out.(bool) {
		return false, "", nil
	}
	if r.reason == nil {
		return true, r.Title, nil
	}
	if out, err = r.run(e, r.reason); err != nil {
		return false, "", err
	}
	return true, out.(string), nil
}

// run runs one of the rule's expressions on the env. A fact it reads that
// is NaN or ±Inf, and a failure of the expression, are *EvalErrors.
func (r *Rule) run(e *Env, x *expression) (any, error) {
	if e.nbad > 0 {
		for _, in := range x.facts {
			if e.bad[in.field] {
				return nil, r.badFact(e, x, in)
			}
		}
	}
	out, err := e.vm.Run(x.prog, e.env())
	if err != nil {
		return nil, r.evalError(x, err)
	}
	return out, nil
}

// SeverityOf evaluates the rule's severity expression on the env; 0 when
// the rule declares none (then a closed case's cooldown always holds).
// Its errors are those of Eval: an *EvalError when it cannot be evaluated
// for this person.
func (r *Rule) SeverityOf(e *Env) (float64, error) {
	if r.severity == nil {
		return 0, nil
	}
	if r.pack == nil || e.pack != r.pack {
		return 0, fmt.Errorf("rule %s: the env was made by another pack", r.ID)
	}
	out, err := r.run(e, r.severity)
	if err != nil {
		return 0, err
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
	// Err is why the part could not be evaluated on its own (it then does
	// not hold): an *EvalError such as a division by zero.
	Err error
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
	var ee *EvalError
	if x.Err != nil && !errors.As(x.Err, &ee) {
		return x // not about this person's facts: nothing more to show
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
		c := Condition{Text: r.When, Holds: x.Hit || ee != nil && ee.Expr != "when"}
		if ee != nil && ee.Expr == "when" {
			c.Err = ee
		}
		x.Conditions = []Condition{c}
		return x
	}
	for _, p := range r.parts {
		out, err := r.run(e, p.x)
		holds, _ := out.(bool)
		x.Conditions = append(x.Conditions, Condition{Text: p.text, Holds: holds && err == nil, Err: err})
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
			var ee *EvalError
			switch {
			case errors.As(c.Err, &ee):
				fmt.Fprintf(&b, "%s%s cannot be evaluated (%s)", sep, c.Text, ee.Problem)
			case c.Err != nil:
				fmt.Fprintf(&b, "%s%s cannot be evaluated", sep, c.Text)
			case !c.Holds:
				fmt.Fprintf(&b, "%s%s is false", sep, c.Text)
			default:
				continue
			}
			sep = "; "
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
