package rule

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

// oneRule writes rules/extra.yaml with one rule X whose condition (and,
// when not empty, reason and severity) are given, beside the shipped
// files, and loads the pack. The condition starts at line 5, column 11,
// so an operator at rune offset i of it is at 5:11+i.
func oneRule(t *testing.T, when, reason, severity string) *Pack {
	t.Helper()
	copyRules(t)
	var b strings.Builder
	fmt.Fprintf(&b, "rules:\n  - id: X\n    title: t\n    level: yellow\n    when: %s\n", when)
	if reason != "" {
		fmt.Fprintf(&b, "    reason: %s\n", reason)
	}
	if severity != "" {
		fmt.Fprintf(&b, "    severity: %s\n", severity)
	}
	write(t, "extra.yaml", b.String())
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type factValue struct {
	group, field string
	v            any
}

func setFacts(t *testing.T, e *Env, facts []factValue) {
	t.Helper()
	e.Reset()
	for _, f := range facts {
		mustSet(t, e, f.group, f.field, f.v)
	}
}

// TestArithmeticErrors: a division by zero, a NaN or ±Inf anywhere in a
// condition is an evaluation error for that person, at the operator that
// made it, never a hit; the same condition on finite values evaluates as
// expr would.
func TestArithmeticErrors(t *testing.T) {
	oop := func(v float64) factValue { return factValue{"medical", "oop_12m", v} }
	members := func(v int64) factValue { return factValue{"household", "members", v} }
	claims := func(v int64) factValue { return factValue{"medical", "claims_12m", v} }
	status := func(v string) factValue { return factValue{"person", "status", v} }
	cases := []struct {
		name  string
		when  string
		facts []factValue
		hit   bool
		err   string // the EvalError's Text, "" for none
		kind  EvalKind
	}{
		{"per capita, no household", "medical.oop_12m / household.members >= 10000", []factValue{oop(30000)}, false,
			"division by zero at rules/extra.yaml:5:27 (a divisor was 0): guard it, e.g. household.members > 0 && ...", DivisionByZero},
		{"0 / 0 is not a quiet NaN", "medical.oop_12m / household.members < 10000", nil, false,
			"division by zero at rules/extra.yaml:5:27 (a divisor was 0): guard it, e.g. household.members > 0 && ...", DivisionByZero},
		{"per capita, two members", "medical.oop_12m / household.members >= 10000", []factValue{oop(30000), members(2)}, true, "", ""},
		{"per capita, under the line", "medical.oop_12m / household.members >= 10000", []factValue{oop(30000), members(4)}, false, "", ""},
		{"guarded", "household.members > 0 && medical.oop_12m / household.members >= 10000", []factValue{oop(30000)}, false, "", ""},
		{"divisor of a number fact", "medical.total_12m / medical.oop_12m > 2", []factValue{}, false,
			"division by zero at rules/extra.yaml:5:29 (a divisor was 0): guard it, e.g. medical.oop_12m != 0 && ...", DivisionByZero},
		{"divisor an expression", "medical.oop_12m / (household.members - 1) > 2", []factValue{members(1)}, false,
			"division by zero at rules/extra.yaml:5:27 (a divisor was 0): guard it, e.g. (household.members - 1) != 0 && ...", DivisionByZero},
		{"divisor a float expression", "medical.oop_12m / (medical.total_12m - medical.oop_12m) > 1", []factValue{oop(500), {"medical", "total_12m", 500.0}}, false,
			"division by zero at rules/extra.yaml:5:27 (a divisor was 0): guard it, e.g. (medical.total_12m - medical.oop_12m) != 0 && ...", DivisionByZero},
		{"int remainder by zero", "medical.claims_12m % household.members == 1", []factValue{claims(3)}, false,
			"division by zero at rules/extra.yaml:5:30 (the divisor of % was 0): guard it, e.g. household.members > 0 && ...", DivisionByZero},
		{"int remainder", "medical.claims_12m % household.members == 1", []factValue{claims(7), members(3)}, true, "", ""},
		{"0 to a negative power", "household.members ** -1 > 0", nil, false,
			"division by zero at rules/extra.yaml:5:29 (0 to a negative power)", DivisionByZero},
		{"root of a negative number", "(medical.oop_12m - 100) ** 0.5 > 1", nil, false,
			"not a number at rules/extra.yaml:5:35 (a negative number to a fractional power)", NotFinite},
		{"power", "household.members ** 2 == 9", []factValue{members(3)}, true, "", ""},
		{"overflow of *", "medical.oop_12m * 1e308 > 1", []factValue{oop(10)}, false,
			"not a finite number at rules/extra.yaml:5:27 (the calculation gave +Inf or -Inf)", NotFinite},
		{"overflow of -", "-1e308 - medical.oop_12m * 1e308 < 0", []factValue{oop(1)}, false,
			"not a finite number at rules/extra.yaml:5:18 (the calculation gave +Inf or -Inf)", NotFinite},
		{"overflow of /", "medical.oop_12m / 1e-300 > 1", []factValue{oop(1e10)}, false,
			"overflow at rules/extra.yaml:5:27 (the result of / is too large)", NotFinite},
		{"float(\"inf\") from a fact", "float(person.status) > 1", []factValue{status("inf")}, false,
			"not a finite number at rules/extra.yaml:5:11 (the calculation gave +Inf or -Inf)", NotFinite},
		{"a division inside a built-in", "abs(medical.oop_12m / household.members) > 1", nil, false,
			"division by zero at rules/extra.yaml:5:31 (a divisor was 0): guard it, e.g. household.members > 0 && ...", DivisionByZero},
		{"a division inside a helper", `yuan(medical.oop_12m / household.members) == "1.00"`, nil, false,
			"division by zero at rules/extra.yaml:5:32 (a divisor was 0): guard it, e.g. household.members > 0 && ...", DivisionByZero},
		{"a division in a let", "let m = household.members; medical.oop_12m / m > 1", nil, false,
			"division by zero at rules/extra.yaml:5:54 (a divisor was 0): guard it, e.g. m > 0 && ...", DivisionByZero},
		{"other failures: text that is not a number", "float(person.status) > 1", []factValue{status("周340799")}, false,
			`the expression failed at rules/extra.yaml:5:11 (invalid operation: float(……))`, Failed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := oneRule(t, tc.when, "", "")
			if len(p.Warnings) == 0 && strings.Contains(tc.when, "/") && !strings.Contains(tc.when, "&&") && !strings.Contains(tc.when, "1e-300") {
				t.Errorf("no warning of the unguarded division")
			}
			e, _ := p.NewEnv(countyDay)
			setFacts(t, e, tc.facts)
			hit, _, err := p.Rule("X").Eval(e)
			var ee *EvalError
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.err != "" && !errors.As(err, &ee):
				t.Fatalf("got (%v, %v), want an *EvalError", hit, err)
			case tc.err != "" && (ee.Text() != tc.err || ee.Kind != tc.kind || ee.Rule != "X" || ee.Expr != "when"):
				t.Fatalf("got  %s (%s %s %s)\nwant %s (%s)", ee.Text(), ee.Kind, ee.Rule, ee.Expr, tc.err, tc.kind)
			case hit != tc.hit:
				t.Fatalf("hit %v, want %v", hit, tc.hit)
			}
			if err != nil && err.Error() != "rule X: when: "+tc.err {
				t.Errorf("Error() = %s", err)
			}
		})
	}
}

// TestReasonAndSeverityErrors: a hit whose reason or severity divides by
// zero is an evaluation error, not a hit with a reason of "— 元".
func TestReasonAndSeverityErrors(t *testing.T) {
	p := oneRule(t, "medical.oop_12m >= 20000", `'"人均 " + yuan(medical.oop_12m / household.members) + " 元"'`,
		"medical.oop_12m / household.members")
	e, _ := p.NewEnv(countyDay)
	r := p.Rule("X")
	mustSet(t, e, "medical", "oop_12m", 30000.0)
	hit, reason, err := r.Eval(e)
	var ee *EvalError
	if hit || reason != "" || !errors.As(err, &ee) || ee.Expr != "reason" || ee.Kind != DivisionByZero ||
		ee.Text() != "division by zero at rules/extra.yaml:6:43 (a divisor was 0): guard it in when, e.g. household.members > 0 && ..." {
		t.Errorf("reason: got (%v, %q, %v)", hit, reason, err)
	}
	if _, err := r.SeverityOf(e); !errors.As(err, &ee) || ee.Expr != "severity" || ee.Pos.String() != "rules/extra.yaml:7:31" {
		t.Errorf("severity: got %v", err)
	}
	mustSet(t, e, "household", "members", int64(2))
	hit, reason, err = r.Eval(e)
	sev, err2 := r.SeverityOf(e)
	if !hit || reason != "人均 15,000.00 元" || err != nil || sev != 15000 || err2 != nil {
		t.Errorf("two members: got (%v, %q, %v), severity %v %v", hit, reason, err, sev, err2)
	}
	if hits, err := e.EvalAll(nil); err != nil || len(hits) != 2 { // X and MED-OOP-UNCOVERED
		t.Errorf("EvalAll: %v %v", hits, err)
	}
}

// TestBadFacts: a fact the facts query gave as NaN or ±Inf fails every
// rule that reads it, for that person, and no other rule; the next person
// is clean.
func TestBadFacts(t *testing.T) {
	p := loadShipped(t)
	e, _ := p.NewEnv(countyDay)
	med, dis := p.Rule("MED-OOP-UNCOVERED"), p.Rule("DIS-NEW-SEVERE-UNCOVERED")
	for _, tc := range []struct {
		name    string
		group   string
		field   string
		v       any
		problem string
	}{
		{"NaN", "medical", "oop_12m", math.NaN(), "medical.oop_12m is NaN (not a number)"},
		{"+Inf", "medical", "oop_12m", math.Inf(1), "medical.oop_12m is +Inf (infinite)"},
		{"float32 -Inf", "medical", "oop_12m", float32(math.Inf(-1)), "medical.oop_12m is -Inf (infinite)"},
		{"an int fact given NaN", "disability", "level", math.NaN(), "disability.level is NaN (not a number)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.Reset()
			mustSet(t, e, "disability", "days_since_issued", int64(5))
			if err := e.Set(tc.group, tc.field, tc.v); err != nil {
				t.Fatalf("Set: %v", err)
			}
			r, other := med, dis
			if tc.group == "disability" {
				r, other = dis, med
			}
			hit, _, err := r.Eval(e)
			var ee *EvalError
			if hit || !errors.As(err, &ee) || ee.Kind != BadFact || ee.Problem != tc.problem || !strings.HasSuffix(ee.Pos.File, tc.group+".yaml") {
				t.Fatalf("got (%v, %v)", hit, err)
			}
			if !regexp.MustCompile(`^fix the query of group ` + tc.group + ` \(.*facts\.yaml:\d+:\d+\), e\.g\. with nullif or coalesce$`).MatchString(ee.Hint) {
				t.Errorf("hint: %s", ee.Error())
			}
			if _, _, err := other.Eval(e); err != nil {
				t.Errorf("%s does not read %s.%s but failed: %v", other.ID, tc.group, tc.field, err)
			}
			if _, err := e.EvalAll(nil); err == nil {
				t.Errorf("EvalAll joins the rule's error")
			}
			// A finite value (or NULL) clears it; so does Reset.
			mustSet(t, e, tc.group, tc.field, nil)
			if _, _, err := r.Eval(e); err != nil {
				t.Errorf("after NULL: %v", err)
			}
			e.Set(tc.group, tc.field, tc.v)
			e.Reset()
			if _, _, err := r.Eval(e); err != nil {
				t.Errorf("after Reset: %v", err)
			}
		})
	}
	// Text that is not a number is still an error of the facts query's
	// type, for every person: it stops the evaluation.
	if err := e.Set("medical", "oop_12m", "NaN"); err == nil {
		t.Errorf(`Set("NaN" as text) must fail`)
	}
}

// TestNonFiniteConstants: params and fact defaults are never NaN or ±Inf,
// and the checked functions are not for rule files.
func TestNonFiniteConstants(t *testing.T) {
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"param .inf", "extra.yaml", "params:\n  cap:\n    2025-01-01: .inf\n",
			"rules/extra.yaml:3:17: param cap: 2025-01-01: .inf is not a finite number (a threshold cannot be NaN or infinite)"},
		{"param .nan", "extra.yaml", "params:\n  cap:\n    2025-01-01: 1.5\n    2026-01-01: .NaN\n",
			"rules/extra.yaml:4:17: param cap: 2026-01-01: .NaN is not a finite number (a threshold cannot be NaN or infinite)"},
		{"checked function", "extra.yaml", "rules:\n  - id: X\n    title: t\n    level: yellow\n    when: __lw_div(1, household.members, 0) > 1\n",
			"rules/extra.yaml:5:11: rule X: when: unknown name __lw_div"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copyRules(t)
			write(t, tc.file, tc.content)
			_, err := Load("rules")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want+"\n") {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	copyRules(t)
	edit(t, "facts.yaml", "\n  fisher:\n", "\n  __lw_div:\n")
	if _, err := Load("rules"); err == nil || !strings.Contains(err.Error(), `facts: group "__lw_div" cannot be used: names starting with __lw_ are lipwatch's own`) {
		t.Errorf("group __lw_div: %v", err)
	}
	copyRules(t)
	edit(t, "facts.yaml", "oop_12m:    {type: number, default: 0,", "oop_12m:    {type: number, default: -.inf,")
	if _, err := Load("rules"); err == nil || !strings.Contains(err.Error(), "group medical: field oop_12m: default: -.inf is not a finite number") {
		t.Errorf("default -.inf: %v", err)
	}
}

// TestCheckedArithmeticAgreesWithExpr compiles conditions with and without
// the checks and runs both on random finite facts: where the checked one
// does not fail, both give the same verdict.
func TestCheckedArithmeticAgreesWithExpr(t *testing.T) {
	conds := []string{
		"medical.oop_12m / household.members >= 10000",
		"medical.claims_12m % household.members == 1",
		"household.members ** 2 > medical.claims_12m * 3",
		"(medical.oop_12m - medical.total_12m) * 2 + 1.5 > household.income_per_capita_month / 3",
		"medical.claims_12m / 2 == 1.5",
		"household.members * 2 - 1 > 3 && abs(medical.oop_12m - 5000) / 7 < 900",
		"int(round(medical.oop_12m / (household.members + 1))) % 2 == 0 || max(medical.oop_12m, 3) > 20000",
		"-medical.oop_12m ** 0.5 < -50",
	}
	copyRules(t)
	var b strings.Builder
	b.WriteString("rules:\n")
	for i, c := range conds {
		fmt.Fprintf(&b, "  - id: X%d\n    title: t\n    level: yellow\n    when: %q\n", i, c)
	}
	write(t, "extra.yaml", b.String())
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := p.NewEnv(countyDay)
	rng := rand.New(rand.NewPCG(3, 4))
	evaluated, failed := 0, 0
	for i, c := range conds {
		plain, err := expr.Compile(c, append(p.opts[:len(p.opts):len(p.opts)], expr.AsBool())...)
		if err != nil {
			t.Fatal(err)
		}
		r := p.Rule(fmt.Sprintf("X%d", i))
		for range 500 {
			e.Reset()
			mustSet(t, e, "medical", "oop_12m", float64(rng.IntN(60000))-100+rng.Float64())
			mustSet(t, e, "medical", "total_12m", float64(rng.IntN(90000)))
			mustSet(t, e, "medical", "claims_12m", int64(rng.IntN(9)))
			mustSet(t, e, "household", "members", int64(rng.IntN(5)))
			mustSet(t, e, "household", "income_per_capita_month", float64(rng.IntN(3000)))
			hit, _, err := r.Eval(e)
			if err != nil {
				var ee *EvalError
				if !errors.As(err, &ee) {
					t.Fatalf("%s: %v", c, err)
				}
				failed++
				continue
			}
			want, perr := expr.Run(plain, e.env())
			if perr != nil || !reflect.DeepEqual(want, hit) {
				t.Fatalf("%s on %v: checked %v, expr %v %v", c, e.val.Interface(), hit, want, perr)
			}
			evaluated++
		}
	}
	if evaluated < 3000 || failed == 0 {
		t.Errorf("%d evaluated, %d evaluation errors: the test exercises too little", evaluated, failed)
	}
}

// TestHelpersRefuseNonFinite: the helpers fail on NaN or ±Inf rather than
// print "—" (they cannot get one from a rule, whose arithmetic is checked
// first, but a check that cannot fail would hide the day it can).
func TestHelpersRefuseNonFinite(t *testing.T) {
	for _, h := range helpers {
		if h.types[0] != numberTypes[0] {
			continue
		}
		if _, err := h.fn(math.Inf(1)); !errors.Is(err, errNotFinite) {
			t.Errorf("%s(+Inf): %v", h.name, err)
		}
		if _, err := h.fn(2.0); err != nil {
			t.Errorf("%s(2): %v", h.name, err)
		}
	}
}

// TestScrub: runtime messages lose what could be personal data.
func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		`strconv.ParseFloat: parsing "34079919700909055X": invalid syntax`: `strconv.ParseFloat: parsing "…": invalid syntax`,
		`cannot use 张三 with 340799197009090551 here`:                       `cannot use … with … here`,
		`invalid operation: int64 % float64`:                               `invalid operation: int64 % float64`,
	} {
		if got := scrub(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
