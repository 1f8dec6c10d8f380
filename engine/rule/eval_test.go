package rule

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

var countyDay = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func loadShipped(t testing.TB) *Pack {
	t.Helper()
	p, err := Load(rulesDir(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

func mustSet(t testing.TB, e *Env, group, field string, v any) {
	t.Helper()
	if err := e.Set(group, field, v); err != nil {
		t.Fatal(err)
	}
}

// TestEvalHandBuilt evaluates each default rule on envs set by hand, as
// the nightly job does from DuckDB rows (int32, int64, float64 values).
func TestEvalHandBuilt(t *testing.T) {
	p := loadShipped(t)
	e, err := p.NewEnv(countyDay)
	if err != nil {
		t.Fatal(err)
	}
	type fact struct {
		group, field string
		v            any
	}
	cases := []struct {
		rule   string
		facts  []fact
		hit    bool
		reason string
	}{
		{"MED-OOP-UNCOVERED", []fact{{"medical", "oop_12m", 25300.5}}, true, "近12个月医疗个人自付 25,300.50 元，达到预警线 20,000.00 元"},
		{"MED-OOP-UNCOVERED", []fact{{"medical", "oop_12m", 25300.5}, {"household", "covered", true}}, false, ""},
		{"MED-OOP-UNCOVERED", []fact{{"medical", "oop_12m", int64(19999)}}, false, ""},
		{"DIS-NEW-SEVERE-UNCOVERED", []fact{{"disability", "level", int32(2)}, {"disability", "category", int32(6)}, {"disability", "days_since_issued", int64(12)}}, true, "新办残疾人证：精神残疾二级，发证 12 天"},
		{"DIS-NEW-SEVERE-UNCOVERED", []fact{{"disability", "level", int32(4)}, {"disability", "days_since_issued", int64(12)}}, false, ""},
		{"UNEMP-LOWINC-UNCOVERED", []fact{{"employment", "unemployed", true}, {"employment", "days_since_registered", int64(30)}, {"household", "income_known", true}, {"household", "income_per_capita_month", 512.25}}, true, "登记失业 30 天，家庭人均月收入 512.25 元，低于低收入标准 1,170.00 元"},
		{"UNEMP-LOWINC-UNCOVERED", []fact{{"employment", "unemployed", true}, {"employment", "days_since_registered", int64(30)}, {"household", "income_per_capita_month", -1.0}}, false, ""},
		{"FISHER-UNRESETTLED", []fact{{"fisher", "retired", true}, {"fisher", "resettlement", "unemployed"}, {"fisher", "pension_insured", false}}, true, "退捕渔民，安置去向：未就业，未参加养老保险"},
		{"FISHER-UNRESETTLED", []fact{{"fisher", "retired", true}, {"fisher", "resettlement", "self_employed"}}, false, ""},
		{"INTEGRITY-DECEASED-RECIPIENT", []fact{{"person", "status", "deceased"}, {"assistance", "current", true}, {"assistance", "categories", "dibao,dibian"}}, true, "户籍状态为死亡，仍在享受低保、低保边缘，应停发并核查追回"},
		{"INTEGRITY-DECEASED-RECIPIENT", []fact{{"person", "status", "active"}, {"assistance", "current", true}}, false, ""},
	}
	for _, tc := range cases {
		e.Reset()
		for _, f := range tc.facts {
			mustSet(t, e, f.group, f.field, f.v)
		}
		r := p.Rule(tc.rule)
		hit, reason, err := r.Eval(e)
		if err != nil || hit != tc.hit || reason != tc.reason {
			t.Errorf("%s %v: got (%v, %q, %v), want (%v, %q)", tc.rule, tc.facts, hit, reason, err, tc.hit, tc.reason)
		}
	}
}

// TestEnvSet checks conversions to each type and the errors.
func TestEnvSet(t *testing.T) {
	p := loadShipped(t)
	e, _ := p.NewEnv(countyDay)
	ok := []struct {
		group, field string
		in, want     any
	}{
		{"medical", "oop_12m", int32(5), 5.0},
		{"medical", "oop_12m", "1234.5", 1234.5},
		{"medical", "oop_12m", big.NewInt(7), 7.0},
		{"medical", "oop_12m", decimal{"42.25"}, 42.25},
		{"medical", "claims_12m", 3.0, int64(3)},
		{"medical", "claims_12m", uint8(9), int64(9)},
		{"medical", "claims_12m", "12", int64(12)},
		{"medical", "claims_12m", big.NewInt(1 << 40), int64(1 << 40)},
		{"person", "status", "deceased", "deceased"},
		{"household", "covered", true, true},
		{"person", "age", nil, int64(-1)}, // NULL: the default
	}
	for _, tc := range ok {
		if err := e.Set(tc.group, tc.field, tc.in); err != nil {
			t.Errorf("Set(%s.%s, %#v): %v", tc.group, tc.field, tc.in, err)
			continue
		}
		if got, _ := e.Get(tc.group, tc.field); got != tc.want {
			t.Errorf("Set(%s.%s, %#v): got %#v, want %#v", tc.group, tc.field, tc.in, got, tc.want)
		}
	}
	bad := []struct {
		group, field string
		in           any
		want         string
	}{
		{"medical", "claims_12m", 1.5, "medical.claims_12m: want int, got 1.5 (not a whole number)"},
		{"medical", "oop_12m", "abc", `medical.oop_12m: want number, got text "abc"`},
		{"medical", "oop_12m", true, "medical.oop_12m: want number, got bool true"},
		{"household", "covered", 1, "household.covered: want bool, got int 1"},
		{"person", "status", 3, "person.status: want string, got int 3"},
		{"medcal", "oop_12m", 1, "unknown fact medcal.oop_12m"},
		{"params", "medical_oop_threshold", 1, "params cannot be set: they take their values on the env's date"},
	}
	for _, tc := range bad {
		err := e.Set(tc.group, tc.field, tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Set(%s.%s, %#v): got %v, want %s", tc.group, tc.field, tc.in, err, tc.want)
		}
	}
	if v, _ := e.Get("medical", "oop_12m"); v != 42.25 {
		t.Errorf("a failed Set changed the fact: %v", v)
	}
	if v, err := e.Get("params", "low_income_line"); err != nil || v != int64(1170) {
		t.Errorf("params.low_income_line = %v, %v; want 1170", v, err)
	}
}

// decimal stands for a DuckDB DECIMAL, which has a Float64 method.
type decimal struct{ s string }

func (d decimal) Float64() float64 {
	f, _ := new(big.Float).SetString(d.s)
	x, _ := f.Float64()
	return x
}

// TestEnvReuse evaluates random people on one env reused with Reset and on
// a fresh env each, and expects the same verdicts: nothing leaks from one
// person to the next.
func TestEnvReuse(t *testing.T) {
	p := loadShipped(t)
	reused, _ := p.NewEnv(countyDay)
	r := rand.New(rand.NewPCG(1, 2))
	fields := p.Fields()
	var hits int
	for range 2000 {
		fresh, _ := p.NewEnv(countyDay)
		reused.Reset()
		for _, f := range fields {
			if r.IntN(3) > 0 {
				continue // keep the default
			}
			v := randomValue(r, f)
			if err := fresh.SetIndex(f.Index, v); err != nil {
				t.Fatal(err)
			}
			if err := reused.SetIndex(f.Index, v); err != nil {
				t.Fatal(err)
			}
		}
		a, err1 := fresh.EvalAll(nil)
		b, err2 := reused.EvalAll(nil)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(a) != len(b) {
			t.Fatalf("fresh env: %v hits, reused env: %v", a, b)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("fresh env: %v, reused env: %v", a[i], b[i])
			}
		}
		hits += len(a)
	}
	if hits == 0 {
		t.Fatal("no random person hit any rule: the test exercises nothing")
	}
}

func randomValue(r *rand.Rand, f Field) any {
	switch f.Type {
	case Number:
		return float64(r.IntN(40000)) - 100
	case Int:
		return int64(r.IntN(5)) * int64(r.IntN(200))
	case Bool:
		return r.IntN(2) == 0
	}
	return []string{"", "active", "deceased", "cancelled", "unemployed", "employed", "dibao"}[r.IntN(7)]
}

// TestParamAt checks the value in force around its dates, in any zone.
func TestParamAt(t *testing.T) {
	p := loadShipped(t)
	prm := p.Params["low_income_line"]
	shanghai := time.FixedZone("CST", 8*3600)
	cases := []struct {
		day  time.Time
		want any
	}{
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), int64(1125)},
		{time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC), int64(1125)},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), int64(1170)},
		{time.Date(2026, 1, 1, 0, 30, 0, 0, shanghai), int64(1170)}, // still 2025-12-31 in UTC
		{time.Date(2025, 12, 31, 23, 30, 0, 0, shanghai), int64(1125)},
		{time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC), int64(1170)},
	}
	for _, tc := range cases {
		got, err := prm.At(tc.day)
		if err != nil || got != tc.want {
			t.Errorf("At(%s) = %v, %v; want %v", tc.day, got, err, tc.want)
		}
	}
	_, err := prm.At(time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC))
	if !errors.Is(err, ErrNoValue) || err.Error() != "param low_income_line: no value on 2023-12-31 (its first date is 2024-01-01)" {
		t.Errorf("At before the first date: %v", err)
	}
	if _, err := p.NewEnv(time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrNoValue) {
		t.Errorf("NewEnv before the params' first dates: %v, want ErrNoValue", err)
	}
}

// TestParamTypes checks the rule for a param's type: int when every value
// is whole and written without a point, number otherwise.
func TestParamTypes(t *testing.T) {
	copyRules(t)
	write(t, "extra.yaml", `
params:
  whole: {2025-01-01: 20000, 2026-07-01: 15000}
  mixed: {2025-01-01: 20000, 2026-07-01: 15000.5}
  pointed: {2025-01-01: 20000.0}
  flag: {2025-01-01: true}
  word: {2025-01-01: unemployed}
rules:
  - id: EXTRA
    title: 测试
    level: yellow
    when: medical.oop_12m >= params.whole && medical.oop_12m >= params.mixed && params.pointed > 1 && params.flag && params.word == "unemployed" && medical.claims_12m < params.mixed
    tests:
      - {name: after, as_of: 2026-07-01, given: {medical: {oop_12m: 15000.5}}, expect: hit}
      - {name: before, as_of: 2026-06-30, given: {medical: {oop_12m: 15000.5}}, expect: miss}
`)
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Type{"whole": Int, "mixed": Number, "pointed": Number, "flag": Bool, "word": String} {
		if got := p.Params[name].Type; got != want {
			t.Errorf("param %s: type %s, want %s", name, got, want)
		}
	}
	if v, _ := p.Params["mixed"].At(countyDay); v != 15000.5 {
		t.Errorf("mixed at %s = %v", countyDay, v)
	}
	if v, _ := p.Params["mixed"].At(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); v != 20000.0 {
		t.Errorf("mixed at 2025-01-01 = %#v, want float64 20000", v)
	}
	for _, r := range p.Test(regexp.MustCompile(`^EXTRA/`)) {
		if r.Status != StatusPass {
			t.Errorf("%s", r)
		}
	}
}

// TestRuleTests checks the runner: a wrong expectation FAILs with the
// explanation, a wrong reason FAILs, a date before a param's first value
// is an ERROR (not a pass), and --run filters.
func TestRuleTests(t *testing.T) {
	copyRules(t)
	edit(t, "medical.yaml", "        given: {medical: {oop_12m: 19999.99}}\n        expect: miss", "        given: {medical: {oop_12m: 19999.99}}\n        expect: hit")
	edit(t, "medical.yaml", "reason: 近12个月医疗个人自付 30,000.00 元", "reason: 近12个月医疗个人自付 30000 元")
	edit(t, "medical.yaml", "      - name: 家庭已纳入救助\n        as_of: 2026-11-28", "      - name: 家庭已纳入救助\n        as_of: 2023-11-28")
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TestResult{}
	for _, r := range p.Test(regexp.MustCompile(`^MED-OOP-UNCOVERED/`)) {
		got[r.Test] = r
	}
	want := map[string]string{
		"自付3万元，未纳入救助": `FAIL MED-OOP-UNCOVERED/自付3万元，未纳入救助 (rules/medical.yaml:{L medical.yaml|name: 自付3万元，未纳入救助}:9): reason: got "近12个月医疗个人自付 30,000.00 元，达到预警线 20,000.00 元", want "近12个月医疗个人自付 30000 元，达到预警线 20,000.00 元"`,
		"恰好达到预警线":     `PASS MED-OOP-UNCOVERED/恰好达到预警线 (rules/medical.yaml:{L medical.yaml|name: 恰好达到预警线}:9)`,
		"差一分未达预警线":    `FAIL MED-OOP-UNCOVERED/差一分未达预警线 (rules/medical.yaml:{L medical.yaml|name: 差一分未达预警线}:9): expected hit, got miss: medical.oop_12m >= params.medical_oop_threshold is false (medical.oop_12m = 19999.99, params.medical_oop_threshold = 20000, household.covered = false)`,
		"家庭已纳入救助":     `ERROR MED-OOP-UNCOVERED/家庭已纳入救助 (rules/medical.yaml:{L medical.yaml|name: 家庭已纳入救助}:9): rule MED-OOP-UNCOVERED: param medical_oop_threshold: no value on 2023-11-28 (its first date is 2024-01-01)`,
		"无医疗结算":       `PASS MED-OOP-UNCOVERED/无医疗结算 (rules/medical.yaml:{L medical.yaml|name: 无医疗结算}:9)`,
	}
	if len(got) != len(want) {
		t.Errorf("ran %d tests, want %d (only MED-OOP-UNCOVERED)", len(got), len(want))
	}
	for name, w := range want {
		if g, w := got[name].String(), expandLines(t, w); g != w {
			t.Errorf("got  %s\nwant %s", g, w)
		}
	}
}

// TestExplain shows which parts of a condition failed.
func TestExplain(t *testing.T) {
	p := loadShipped(t)
	e, _ := p.NewEnv(countyDay)
	mustSet(t, e, "employment", "unemployed", true)
	mustSet(t, e, "employment", "days_since_registered", int64(400))
	mustSet(t, e, "household", "income_known", true)
	mustSet(t, e, "household", "income_per_capita_month", 900.0)
	x := p.Rule("UNEMP-LOWINC-UNCOVERED").Explain(e)
	want := "miss: employment.days_since_registered <= params.unemployed_window_days is false (employment.unemployed = true, employment.days_since_registered = 400, params.unemployed_window_days = 365, household.income_known = true, household.income_per_capita_month = 900, params.low_income_line = 1170, household.covered = false, person.status = \"active\")"
	if got := x.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if len(x.Conditions) != 6 || !x.Conditions[0].Holds || x.Conditions[1].Holds {
		t.Errorf("conditions: %+v", x.Conditions)
	}
	if in := p.Rule("MED-OOP-UNCOVERED").Inputs(); strings.Join(in, " ") != "medical.oop_12m params.medical_oop_threshold household.covered" {
		t.Errorf("inputs: %v", in)
	}
}

func TestEscalation(t *testing.T) {
	p := loadShipped(t)
	esc := p.Escalation
	if esc != (Escalation{MinRules: 2, Level: Red}) {
		t.Fatalf("shipped escalation: %+v", esc)
	}
	cases := []struct {
		levels []string
		want   string
	}{
		{nil, ""},
		{[]string{Yellow}, Yellow},
		{[]string{Orange}, Orange},
		{[]string{Yellow, Yellow}, Red},
		{[]string{Yellow, Orange}, Red},
	}
	for _, tc := range cases {
		if got := esc.Apply(tc.levels...); got != tc.want {
			t.Errorf("Apply(%v) = %s, want %s", tc.levels, got, tc.want)
		}
	}
	if got := (Escalation{}).Apply(Yellow, Orange, Yellow); got != Orange {
		t.Errorf("no escalation: got %s, want orange", got)
	}
}

// TestVersion checks that the pack version follows the rule files'
// content, and ignores holidays.yaml, which Load skips.
func TestVersion(t *testing.T) {
	copyRules(t)
	load := func() *Pack {
		t.Helper()
		p, err := Load("rules")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := load().Version
	if !strings.HasPrefix(v1, "sha256:") || len(v1) != len("sha256:")+64 {
		t.Fatalf("version %q", v1)
	}
	if v := load().Version; v != v1 {
		t.Errorf("version not stable: %s then %s", v1, v)
	}
	write(t, "holidays.yaml", "anything: [not, a, rule, file\n")
	p := load()
	if p.Version != v1 {
		t.Errorf("holidays.yaml changed the version")
	}
	for _, f := range p.Files {
		if strings.HasSuffix(f, "holidays.yaml") {
			t.Errorf("holidays.yaml was read: %v", p.Files)
		}
	}
	if p.Files[0] != "rules/facts.yaml" {
		t.Errorf("files: %v, want facts.yaml first", p.Files)
	}
	edit(t, "medical.yaml", "level: orange", "level: red")
	if v := load().Version; v == v1 {
		t.Errorf("editing a rule did not change the version")
	}
}

// TestDisabledRule checks that a disabled rule is loaded and tested but
// left out of EvalAll and of Untested.
func TestDisabledRule(t *testing.T) {
	copyRules(t)
	edit(t, "fishers.yaml", "    level: yellow\n", "    level: yellow\n    enabled: false\n    version: 3\n")
	edit(t, "medical.yaml", "    tests:\n", "    tests: []\n    old_tests:\n")
	_, err := Load("rules")
	if err == nil || !strings.Contains(err.Error(), "unknown key old_tests") {
		t.Fatalf("want unknown key old_tests, got %v", err)
	}
	copyRules(t)
	edit(t, "fishers.yaml", "    level: yellow\n", "    level: yellow\n    enabled: false\n    version: 3\n")
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rule("FISHER-UNRESETTLED")
	if r.Enabled || r.Version != 3 || r.String() != "FISHER-UNRESETTLED@v3" {
		t.Errorf("rule: enabled %v version %d", r.Enabled, r.Version)
	}
	e, _ := p.NewEnv(countyDay)
	mustSet(t, e, "fisher", "retired", true)
	mustSet(t, e, "fisher", "resettlement", "unemployed")
	if hits, err := e.EvalAll(nil); err != nil || len(hits) != 0 {
		t.Errorf("EvalAll ran a disabled rule: %v %v", hits, err)
	}
	if hit, _, _ := r.Eval(e); !hit {
		t.Errorf("Eval of a disabled rule should still evaluate it")
	}
}

// TestIntIn checks the rewriting of `in` on int facts against the plain
// meaning, for ranges, lists and `not in`.
func TestIntIn(t *testing.T) {
	copyRules(t)
	write(t, "extra.yaml", `
rules:
  - id: RANGE
    title: t
    level: red
    when: disability.level in 1..2
  - id: LIST
    title: t
    level: red
    when: disability.level in [1, 2]
  - id: NOT-RANGE
    title: t
    level: red
    when: disability.level not in 1..2
  - id: NOT-LIST
    title: t
    level: red
    when: not (disability.level in [1, 2])
  - id: MIXED-LIST
    title: t
    level: red
    when: disability.level in [1, 2.0]
  - id: FLOAT-RANGE
    title: t
    level: red
    when: medical.oop_12m in 1..2
`)
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := p.NewEnv(countyDay)
	for level := int64(-1); level <= 4; level++ {
		mustSet(t, e, "disability", "level", level)
		mustSet(t, e, "medical", "oop_12m", float64(level))
		in := level == 1 || level == 2
		for id, want := range map[string]bool{"RANGE": in, "LIST": in, "NOT-RANGE": !in, "NOT-LIST": !in, "MIXED-LIST": in, "FLOAT-RANGE": in} {
			hit, _, err := p.Rule(id).Eval(e)
			if err != nil || hit != want {
				t.Errorf("%s at level %d: %v, %v; want %v", id, level, hit, err, want)
			}
		}
	}
	if got := p.Rule("DIS-NEW-SEVERE-UNCOVERED").parts[0].text; got != "disability.level in 1..2" {
		t.Errorf("explained part: %q", got)
	}
}
