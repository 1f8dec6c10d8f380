package rule

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// The SQL the pre-filter writes, checked as text; engine/evaluate runs it
// in DuckDB against expr on random facts (this package does not link
// DuckDB).

var prefilterDay = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func prefilterColumn(group, field string) string { return `"g_` + group + `"."` + field + `"` }

// TestPrefilterShippedPackIsExact: every enabled rule of the shipped pack
// translates exactly, its params written as literals of their values on
// the day.
func TestPrefilterShippedPackIsExact(t *testing.T) {
	p := loadShipped(t)
	for _, r := range p.Rules {
		if !r.Enabled {
			continue
		}
		sql, exact := r.Prefilter(prefilterDay, prefilterColumn)
		if !exact || sql == "TRUE" || strings.Contains(sql, "params.") {
			t.Errorf("%s: exact %v:\n%s", r.ID, exact, sql)
		}
	}
	sql, _ := p.Rule("UNEMP-LOWINC-UNCOVERED").Prefilter(prefilterDay, prefilterColumn)
	if !strings.Contains(sql, `< CAST('1170' AS DOUBLE)`) {
		t.Errorf("low_income_line on 2026-11-28 is 1170: %s", sql)
	}
	sql, _ = p.Rule("UNEMP-LOWINC-UNCOVERED").Prefilter(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), prefilterColumn)
	if !strings.Contains(sql, `< CAST('1125' AS DOUBLE)`) {
		t.Errorf("low_income_line on 2025-12-31 is 1125: %s", sql)
	}
}

// prefilterPack loads the shipped facts with rules of the given conditions
// (R0, R1, ...) and params pi (int 90), pz (int 0), pf (0.45), ps (text).
func prefilterPack(t *testing.T, whens ...string) *Pack {
	t.Helper()
	var b strings.Builder
	b.WriteString("params:\n  pi: {values: {2024-01-01: 90}}\n  pz: {values: {2024-01-01: 0}}\n  pf: {values: {2024-01-01: 0.45}}\n" +
		"  ps: {values: {2024-01-01: \"it's\"}}\nrules:\n")
	for i, w := range whens {
		fmt.Fprintf(&b, "  - id: R%d\n    title: t\n    level: red\n    when: %q\n", i, w)
	}
	fsys := fstest.MapFS{FactsFile: {Data: shippedFiles(t)[FactsFile]}, "x.yaml": {Data: []byte(b.String())}}
	p, err := load(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPrefilterTranslation: what each kind of condition becomes.
func TestPrefilterTranslation(t *testing.T) {
	cases := []struct {
		when  string
		exact bool
		want  []string // in the SQL
		not   []string // not in it
	}{
		// Facts read as expr reads them: NULL is the default.
		{"vehicle.cars > 0", true, []string{`(coalesce("g_vehicle"."cars", 0) > 0)`}, nil},
		// A number fact: NaN and ±Inf make the rule fail, so they pass.
		{"medical.oop_12m >= params.pi", true, []string{`(coalesce("g_medical"."oop_12m", CAST('0' AS DOUBLE)) >= CAST('90' AS DOUBLE))`,
			`OR (NOT isfinite(coalesce("g_medical"."oop_12m", CAST(0 AS DOUBLE))))`}, nil},
		// Params are literals, texts quoted.
		{"person.status == params.ps", true, []string{`= 'it''s'`}, nil},
		// A division fails on a zero divisor: those rows pass.
		{"medical.oop_12m / household.members >= 10000", false, []string{`<> 0`, "isfinite("}, nil},
		// Unknown AND known is the known part when the unknown cannot fail.
		{`category_name(disability.category) == "肢体残疾" && household.aided`, false, []string{`coalesce("g_household"."aided", FALSE)`}, []string{"category"}},
		// An unknown OR anything is TRUE.
		{`category_name(disability.category) == "肢体残疾" || household.aided`, false, []string{"TRUE"}, []string{"aided"}},
		// ** is unknown and may fail: TRUE whatever follows.
		{`medical.oop_12m ** 2 > 4 && household.aided`, false, []string{"TRUE"}, []string{"aided"}},
		// NOT of an exact condition stays exact.
		{"!(household.covered || vehicle.cars >= 2)", true, []string{"NOT"}, nil},
		// Int arithmetic wraps as Go does, without a cast that could fail.
		{"vehicle.cars + params.pi > 100", true, []string{"HUGEINT", "% CAST('18446744073709551616' AS HUGEINT)"}, nil},
		// Number arithmetic that could overflow fails there.
		{"medical.oop_12m + medical.total_12m > 100", false, []string{"isfinite((coalesce"}, nil},
		{"medical.oop_12m * params.pf > 100", true, nil, []string{"isfinite((CAST"}},
		// in: lists, ranges; int division by a zero param.
		{`person.status in ["deceased", "cancelled"]`, true, []string{`= 'deceased') OR`}, nil},
		{"disability.level in params.pz..params.pi", true, []string{`>= 0) AND`, `<= 90)`}, nil},
		{"vehicle.cars % params.pz == 1", false, []string{"TRUE"}, nil},
		// Constants fold: params.pf * 100 is 45.
		{"medical.oop_12m < params.pf * 100 && min(params.pi, 3) == 3", true, []string{`< CAST('45' AS DOUBLE)`}, []string{"least"}},
		// max of an int literal and an int64 fact, compared with an int:
		// expr fails when the fact is the larger (OpEqualInt).
		{"max(1, vehicle.cars) == 2", false, []string{"TRUE"}, nil},
		{"max(0, vehicle.cars) in [1, 2] && vehicle.cars in [1, 2]", false, []string{"TRUE"}, nil},
		// expr stops at a false left operand of &&: the right one fails
		// only where the left holds.
		{"vehicle.cars in [1, 2] && max(0, vehicle.cars) in [1, 2]", false, []string{`(coalesce("g_vehicle"."cars", 0) = 1) OR`}, []string{"TRUE"}},
		{"true", true, []string{"TRUE"}, nil},
		{"false", true, []string{"FALSE"}, nil},
	}
	var whens []string
	for _, c := range cases {
		whens = append(whens, c.when)
	}
	p := prefilterPack(t, whens...)
	for i, c := range cases {
		sql, exact := p.Rules[i].Prefilter(prefilterDay, prefilterColumn)
		if exact != c.exact {
			t.Errorf("%s: exact %v, want %v:\n%s", c.when, exact, c.exact, sql)
		}
		for _, w := range c.want {
			if !strings.Contains(sql, w) {
				t.Errorf("%s: no %q in\n%s", c.when, w, sql)
			}
		}
		for _, w := range c.not {
			if strings.Contains(sql, w) {
				t.Errorf("%s: %q in\n%s", c.when, w, sql)
			}
		}
	}
}

// TestPrefilterUnknownColumns: a fact without a column is unknown (the
// rule's predicate TRUE), a param without a value on the day too.
func TestPrefilterUnknownColumns(t *testing.T) {
	p := prefilterPack(t, "vehicle.cars > 0 && household.aided", "medical.oop_12m > params.pi")
	noVehicle := func(group, field string) string {
		if group == "vehicle" {
			return ""
		}
		return prefilterColumn(group, field)
	}
	if sql, exact := p.Rules[0].Prefilter(prefilterDay, noVehicle); exact || sql != `coalesce("g_household"."aided", FALSE)` {
		t.Errorf("without the vehicle column: %v %s", exact, sql)
	}
	if sql, exact := p.Rules[1].Prefilter(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), prefilterColumn); exact || sql != "TRUE" {
		t.Errorf("before the param's first date: %v %s", exact, sql)
	}
}
