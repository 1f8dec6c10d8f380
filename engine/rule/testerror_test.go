package rule

import (
	"errors"
	"strings"
	"testing"
)

// fieldCaseRule is the analyst's rule of the field case: a per-capita
// cost that divides by household.members, 0 for a person not in the
// registry; with tests that pin down each outcome.
const fieldCaseRule = `rules:
  - id: MED-PERCAPITA
    title: 家庭人均医疗自付较大，未纳入社会救助
    level: yellow
    when: medical.oop_12m / household.members >= 10000 && !household.covered
    reason: '"家庭人均自付 " + yuan(medical.oop_12m / household.members) + " 元"'
    tests:
      - name: 人均1.5万
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}, household: {members: 2}}
        expect: hit
        reason: 家庭人均自付 15,000.00 元
      - name: 不在户籍中
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}}
        expect: hit
      - name: 不在户籍中（固定行为）
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}}
        expect: error
      - name: 能算出来却写了 error
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}, household: {members: 2}}
        expect: error
      - name: 事实为 NaN
        as_of: 2026-11-28
        given: {medical: {oop_12m: .nan}, household: {members: 2}}
        expect: error
`

// TestRuleTestsOfEvalErrors: a test whose facts make the rule divide by
// zero is an ERROR with the place, unless it expects error; expecting an
// error of a rule that evaluates is a FAIL.
func TestRuleTestsOfEvalErrors(t *testing.T) {
	copyRules(t)
	write(t, "extra.yaml", fieldCaseRule)
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range p.Test(nil) {
		if r.Rule == "MED-PERCAPITA" {
			got[r.Test] = r.String()
		}
	}
	want := map[string]string{
		"人均1.5万":        "PASS MED-PERCAPITA/人均1.5万 (rules/extra.yaml:8:9)",
		"不在户籍中":         "ERROR MED-PERCAPITA/不在户籍中 (rules/extra.yaml:13:9): rule MED-PERCAPITA: when: division by zero at rules/extra.yaml:5:27 (a divisor was 0): guard it, e.g. household.members > 0 && ... (medical.oop_12m = 30000, household.members = 0, household.covered = false)",
		"不在户籍中（固定行为）":   "PASS MED-PERCAPITA/不在户籍中（固定行为） (rules/extra.yaml:17:9)",
		"能算出来却写了 error": "FAIL MED-PERCAPITA/能算出来却写了 error (rules/extra.yaml:21:9): expected an evaluation error, got hit: 家庭人均自付 15,000.00 元 (medical.oop_12m = 30000, household.members = 2, household.covered = false)",
		"事实为 NaN":       "PASS MED-PERCAPITA/事实为 NaN (rules/extra.yaml:25:9)",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("got  %s\nwant %s", got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("ran %d tests, want %d", len(got), len(want))
	}
}

// TestExplainEvalError: explaining a rule that cannot be evaluated shows
// the error, the inputs and which part of the condition failed.
func TestExplainEvalError(t *testing.T) {
	p := oneRule(t, "household.members > 0 && medical.oop_12m / household.members >= 10000 && medical.oop_12m / medical.total_12m > 1", "", "")
	e, _ := p.NewEnv(countyDay)
	mustSet(t, e, "medical", "oop_12m", 30000.0)
	x := p.Rule("X").Explain(e)
	if x.Err != nil || x.Hit {
		t.Fatalf("guarded: %v", x)
	}
	want := "miss: household.members > 0 is false; medical.oop_12m / household.members >= 10000 cannot be evaluated (division by zero); medical.oop_12m / medical.total_12m > 1 cannot be evaluated (division by zero) (household.members = 0, medical.oop_12m = 30000, medical.total_12m = 0)"
	if got := x.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var ee *EvalError
	if c := x.Conditions[1]; c.Holds || !errors.As(c.Err, &ee) || ee.Pos.String() != "rules/extra.yaml:5:11" {
		t.Errorf("part: %+v", c)
	}
	mustSet(t, e, "household", "members", int64(2))
	x = p.Rule("X").Explain(e)
	if !errors.As(x.Err, &ee) || ee.Pos.String() != "rules/extra.yaml:5:100" || len(x.Conditions) != 3 || !x.Conditions[1].Holds || x.Conditions[2].Err == nil {
		t.Errorf("unguarded: %v %+v", x, x.Conditions)
	}
	if !strings.HasPrefix(x.String(), "error: rule X: when: division by zero at rules/extra.yaml:5:100 (a divisor was 0): guard it, e.g. medical.total_12m != 0 && ... (") {
		t.Errorf("got %s", x)
	}
}

// TestExpectValues: expect is hit, miss or error, and a reason goes with
// hit only.
func TestExpectValues(t *testing.T) {
	copyRules(t)
	write(t, "extra.yaml", strings.Replace(fieldCaseRule, "        expect: error\n", "        expect: error\n        reason: x\n", 1))
	_, err := Load("rules")
	if err == nil || !strings.Contains(err.Error(), "rules/extra.yaml:21:9: rule MED-PERCAPITA: test \"不在户籍中（固定行为）\": reason is only checked on a hit; remove it or expect hit") {
		t.Errorf("got %v", err)
	}
	copyRules(t)
	write(t, "extra.yaml", strings.Replace(fieldCaseRule, "        expect: error\n", "        expect: eror\n", 1))
	_, err = Load("rules")
	if err == nil || !strings.Contains(err.Error(), "expect must be hit, miss or error, not eror (did you mean error?)") {
		t.Errorf("got %v", err)
	}
}

// TestRuleTestsEvaluateSeverity: the night evaluates a hit's severity, and
// a severity that divides by zero loses the hit there; `rules test` says
// so rather than passing the test.
func TestRuleTestsEvaluateSeverity(t *testing.T) {
	copyRules(t)
	write(t, "extra.yaml", `rules:
  - id: MED-SEV
    title: 医疗自付较大
    level: yellow
    when: medical.oop_12m >= 10000
    severity: medical.oop_12m / household.members
    tests:
      - name: 有人口
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}, household: {members: 2}}
        expect: hit
      - name: 无人口
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}}
        expect: hit
`)
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range p.Test(nil) {
		if r.Rule == "MED-SEV" {
			got[r.Test] = r.Status
		}
	}
	if got["有人口"] != StatusPass || got["无人口"] != StatusError {
		t.Errorf("statuses %v", got)
	}
}
