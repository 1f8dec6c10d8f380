package rule

import (
	"regexp"
	"strings"
	"testing"
)

// TestDivisionWarnings: Load warns of a / or % whose divisor is not
// proved non-zero where it is computed, and of nothing else.
func TestDivisionWarnings(t *testing.T) {
	const unguarded = "division by household.members, which may be 0"
	cases := []struct {
		name, when, reason string
		want               string // a part of the one warning, "" for none
	}{
		{"unguarded", "medical.oop_12m / household.members >= 10000 && !household.covered", "", unguarded},
		{"guarded by > 0", "household.members > 0 && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by != 0", "household.members != 0 && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by >= 1", "household.members >= 1 && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by < 0", "household.members < 0 && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by 0 <", "0 < household.members and medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by not ==", "not (household.members == 0) && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by in a range", "household.members in 1..9 && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by in a list", "household.members in [2, 3] && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by a param", "household.members >= params.new_disability_days && medical.oop_12m / household.members > 1", "", ""},
		{"guarded far earlier in the chain", "household.members > 0 && !household.covered && medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded in a nested chain", "not household.covered && (household.members > 0 && medical.oop_12m / household.members >= 10000)", "", ""},
		{"guarded by a false left side of ||", "household.members == 0 || medical.oop_12m / household.members >= 10000", "", ""},
		{"guarded by a ternary", `"(household.members > 0 ? medical.oop_12m / household.members : 0) >= 10000"`, "", ""},
		{"guard after the division", "medical.oop_12m / household.members >= 10000 && household.members > 0", "", unguarded},
		{"guard on the other side of ||", "household.members > 0 || medical.oop_12m / household.members >= 10000", "", unguarded},
		{"in a ternary's else", `"(household.members > 0 ? 0 : medical.oop_12m / household.members) >= 10000"`, "", unguarded},
		{">= 0 is not enough", "household.members >= 0 && medical.oop_12m / household.members >= 10000", "", unguarded},
		{"in a range with 0", "household.members in 0..9 && medical.oop_12m / household.members >= 10000", "", unguarded},
		{"another fact", "medical.claims_12m > 0 && medical.oop_12m / household.members >= 10000", "", unguarded},
		{"remainder", "medical.claims_12m % household.members == 1", "", "division by household.members, which may be 0"},
		{"a number literal", "medical.oop_12m / 12 > 1000", "", ""},
		{"a negative literal", "medical.oop_12m / -2.5 < 0", "", ""},
		{"a param never 0", "medical.oop_12m / params.medical_oop_threshold > 1", "", ""},
		{"reason guarded by the condition", "household.members > 0 && medical.oop_12m > 1", `'yuan(medical.oop_12m / household.members)'`, ""},
		{"reason unguarded", "medical.oop_12m > 1", `'yuan(medical.oop_12m / household.members)'`,
			"reason: division by household.members, which may be 0 even when the condition holds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := oneRule(t, tc.when, tc.reason, "")
			switch {
			case tc.want == "" && len(p.Warnings) > 0:
				t.Errorf("unexpected warning:\n%s", p.Warnings[0])
			case tc.want != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Message, tc.want)):
				t.Errorf("want one warning with %q, got %v", tc.want, p.Warnings)
			}
		})
	}
}

// TestDivisionWarningText: the field case's rule, as rules check shows it.
func TestDivisionWarningText(t *testing.T) {
	p := oneRule(t, "medical.oop_12m / household.members >= 10000 && !household.covered",
		`'"家庭人均自付 " + yuan(medical.oop_12m / household.members) + " 元"'`, "")
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.String())
	}
	want := `rules/extra.yaml:5:27: warning: rule X: when: division by household.members, which may be 0: for such a person the rule cannot be evaluated (counted as an error, never a hit); guard it earlier in the same && chain, e.g. household.members > 0 && medical.oop_12m / household.members >= 10000
    5 |     when: medical.oop_12m / household.members >= 10000 && !household.covered
      |                           ^
rules/extra.yaml:6:47: warning: rule X: reason: division by household.members, which may be 0 even when the condition holds: for such a person the hit is lost (counted as an error); guard it in when, e.g. household.members > 0 && ...
    6 |     reason: '"家庭人均自付 " + yuan(medical.oop_12m / household.members) + " 元"'
      |                                                     ^`
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("got:\n%s\nwant:\n%s", g, want)
	}
	// The suggestion of a condition with || keeps its meaning.
	p = oneRule(t, "medical.claims_12m > 3 || medical.oop_12m / household.members >= 10000", "", "")
	if len(p.Warnings) != 1 || !strings.HasSuffix(p.Warnings[0].Message, "e.g. household.members > 0 && (medical.claims_12m > 3 || medical.oop_12m / household.members >= 10000)") {
		t.Errorf("got %v", p.Warnings)
	}
	// A number divisor is suggested != 0, a param that is 0 on some dates
	// is named with the dates.
	p = oneRule(t, "medical.total_12m / medical.oop_12m > 2", "", "")
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Message, "e.g. medical.oop_12m != 0 && medical.total_12m / medical.oop_12m > 2") {
		t.Errorf("got %v", p.Warnings)
	}
	copyRules(t)
	write(t, "extra.yaml", "params:\n  share:\n    2025-01-01: 2\n    2026-01-01: 0\nrules:\n  - id: X\n    title: t\n    level: yellow\n    when: medical.oop_12m / params.share > 2\n")
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Message, "division by params.share, which is 0 on some dates (from 2026-01-01)") {
		t.Errorf("got %v", p.Warnings)
	}
}

// TestDivisionByLiteralZero is an error: the rule could never be
// evaluated.
func TestDivisionByLiteralZero(t *testing.T) {
	for _, when := range []string{"medical.oop_12m / 0 > 1", "medical.claims_12m % 0 == 1", "medical.oop_12m / -0.0 > 1"} {
		copyRules(t)
		write(t, "extra.yaml", "rules:\n  - id: X\n    title: t\n    level: yellow\n    when: "+when+"\n")
		_, err := Load("rules")
		if err == nil || !regexp.MustCompile(`^rules/extra\.yaml:5:\d+: rule X: when: division by zero: the divisor -?0(\.0)? is 0\n`).MatchString(err.Error()) {
			t.Errorf("%s: got %v", when, err)
		}
	}
}

// TestShippedRulesHaveNoWarnings: the default pack guards its divisions.
func TestShippedRulesHaveNoWarnings(t *testing.T) {
	for _, w := range loadShipped(t).Warnings {
		t.Errorf("%s", w)
	}
}
