package rule

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The outcomes of a rule test.
const (
	StatusPass = "PASS"
	StatusFail = "FAIL" // the rule did not do what the test expects
	// StatusError: the rule could not be evaluated on the test's facts
	// (a division by zero, with its place; unless the test expects error)
	// or the test could not run at all (as_of before a param's first date).
	StatusError = "ERROR"
)

// TestResult is the outcome of one test beside a rule.
type TestResult struct {
	Rule, Test string
	Pos        Pos
	Status     string // PASS, FAIL or ERROR
	// Message says what went wrong, with the rule's explanation; empty on
	// PASS.
	Message string
}

// Name is "RULE/TEST", what --run matches.
func (t TestResult) Name() string { return t.Rule + "/" + t.Test }

// String formats the result as "PASS RULE/TEST (file:line:col)" and the
// message, if any, after a colon.
func (t TestResult) String() string {
	s := fmt.Sprintf("%s %s (%s)", t.Status, t.Name(), t.Pos)
	if t.Message != "" {
		s += ": " + t.Message
	}
	return s
}

// Test runs the tests of every rule (enabled or not) whose "RULE/TEST"
// name matches run (all when run is nil), in file order.
func (p *Pack) Test(run *regexp.Regexp) []TestResult {
	var out []TestResult
	envs := map[string]*Env{} // by as_of: tests share envs, as the night does
	for _, r := range p.Rules {
		for _, t := range r.Tests {
			res := TestResult{Rule: r.ID, Test: t.Name, Pos: t.Pos}
			if run != nil && !run.MatchString(res.Name()) {
				continue
			}
			day := t.AsOf.Format("2006-01-02")
			e, ok := envs[day]
			if !ok {
				e = p.newEnv(t.AsOf)
				envs[day] = e
			}
			res.Status, res.Message = runTest(r, &t, e)
			out = append(out, res)
		}
	}
	return out
}

// runTest runs one test on a reset env.
func runTest(r *Rule, t *Test, e *Env) (status, msg string) {
	e.Reset()
	for _, s := range t.sets {
		if err := e.SetIndex(s.index, s.value); err != nil {
			return StatusError, err.Error()
		}
	}
	x := r.Explain(e)
	if x.Err == nil && x.Hit {
		// The night computes a hit's severity too: a severity that cannot
		// be evaluated loses the hit there, so it fails the test here.
		if _, err := r.SeverityOf(e); err != nil {
			x.Err = err
		}
	}
	var ee *EvalError
	evalErr := errors.As(x.Err, &ee)
	switch {
	case evalErr && t.Expect == ExpectError:
		return StatusPass, ""
	case evalErr:
		return StatusError, strings.TrimPrefix(x.String(), "error: ") // with the facts and params it read
	case x.Err != nil:
		return StatusError, x.Err.Error()
	case t.Expect == ExpectError:
		return StatusFail, "expected an evaluation error, got " + x.String()
	case t.Expect == ExpectHit && !x.Hit:
		return StatusFail, "expected hit, got " + x.String()
	case t.Expect == ExpectMiss && x.Hit:
		return StatusFail, "expected miss, got " + x.String()
	case t.Expect == ExpectHit && t.Reason != "" && x.Reason != t.Reason:
		return StatusFail, fmt.Sprintf("reason: got %q, want %q", x.Reason, t.Reason)
	}
	return StatusPass, ""
}
