package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/evaluate"
)

// Attempts to make an incremental night differ from a full evaluation of
// the same store on the same day (issue 14). Each test here builds the
// smallest mini county that shows one difference; each night is evaluated
// twice, --full (dry) and incremental (written, so the next night builds
// on it), and the two are compared as TestIncrementalEqualsFull does.

// bothNights syncs the mini county's files as they are now and evaluates
// day twice: a full dry evaluation and an incremental written one.
func bothNights(t *testing.T, m *mini, d string) (full, inc *evaluate.Result) {
	t.Helper()
	ctx := context.Background()
	m.writeFiles()
	if _, err := m.p.Sync(ctx, nil, false); err != nil {
		t.Fatal(err)
	}
	day, _ := time.Parse(time.DateOnly, d)
	m.p.Full = true
	full, err := m.p.Evaluate(ctx, day, true)
	if err != nil {
		t.Fatal(err)
	}
	m.p.Full = false
	inc, err = m.p.Evaluate(ctx, day, false)
	if err != nil {
		t.Fatal(err)
	}
	return full, inc
}

// mustBeIncrementalAndEqual fails when the night was not incremental (the
// test would prove nothing) or when it differs from the full evaluation.
func mustBeIncrementalAndEqual(t *testing.T, what string, full, inc *evaluate.Result) {
	t.Helper()
	if !inc.Incremental {
		t.Fatalf("%s: the night was not incremental (%s): the test cannot show anything", what, inc.FullWhy)
	}
	if diff := diffResults(full, inc); diff != "" {
		t.Errorf("%s: the incremental night (%d people evaluated again) differs from a full evaluation:\n%s", what, inc.Reached, diff)
	}
}

// appendLine adds one CSV line to a mini source's file.
func (m *mini) appendLine(source, line string) {
	s := m.sources[source]
	s.body = append([]byte(strings.Clone(string(s.body))), []byte(line+"\n")...)
	m.set(source, s)
}

// TestBreakAssistanceRowOfAnotherHousehold: the assistance roster names
// 孙测五 (registered in household 3407990020010001, on 农村低保) under the
// 户号 of 赵测三's household 3407990010010002 — a stale 户号 in a roster is
// ordinary. The household group counts an assistance row under the
// person's registry household (coalesce(reg.household_id, v.household_id)),
// so a full evaluation finds 赵测三's household uncovered and keeps its
// UNEMP-LOWINC-UNCOVERED hit. When the date reaches that household (here a
// new income assessment dated 2026-11-29), the incremental night computes
// its household facts over shadow views holding the rows of its own
// members and of rows naming its 户号: 孙测五's assistance row is there, his
// registry row is not, so the coalesce falls back to the roster's 户号 and
// the household reads as covered — the hit disappears on the incremental
// night only.
func TestBreakAssistanceRowOfAnotherHousehold(t *testing.T) {
	m := newMini(t)
	asst := m.sources["assistance"]
	asst.body = []byte(strings.Replace(string(asst.body), "34079919700909055X,3407990020010001,", "34079919700909055X,3407990010010002,", 1))
	m.set("assistance", asst)
	// A new assessment of the same income, dated the next day: only the
	// date reaches the household.
	m.appendLine("households", "3407990010010002,\"12,000.00\",2,2026-11-29")
	m.run()
	full, inc := bothNights(t, m, "2026-11-29")
	if full.HitsByRule["UNEMP-LOWINC-UNCOVERED"] != 1 {
		t.Fatalf("the full evaluation lost the baseline hit: %v", full.HitsByRule)
	}
	mustBeIncrementalAndEqual(t, "the household's income assessment date", full, inc)
}

// TestBreakMoverCountsInOldHousehold: 吴测七 lives in 赵测三's household
// 3407990010010002; a registry change file (a second registry source, as
// 公安 sends changes) moves him to a household of his own. That night only
// added rows, so it is incremental, and it is right. The store keeps his
// old registry row (registry_current takes the newest). Later, when the
// date reaches his old household (a new income assessment dated
// 2026-12-05), the incremental night shadows the registry by "a current
// member's rows or a row of this 户号": his old row names the household,
// his new row neither names a member of it nor its 户号 — so
// registry_current over the shadow puts him back in his old household. Its
// members count is 3 instead of 2; with the assessment not giving the
// household size, the per-capita income (333.33 instead of 500.00) and the
// hit's reason and facts differ from the full evaluation — and are kept in
// eval_prior for the nights after. With other figures a household is
// warned, or not warned, by a member who left it.
func TestBreakMoverCountsInOldHousehold(t *testing.T) {
	m := newMini(t)
	const header = "公民身份号码,姓名,性别,出生日期,户号,与户主关系,乡镇街道代码,村社区代码,住址,人员状态,状态变更日期\n"
	changes := miniSource{dataset: "registry", file: "registry_changes.csv", columns: m.sources["registry"].columns,
		body: []byte(header + "340799200001010759,吴测七,男,2000-01-01,3407990010010002,孙子,340799001,340799001001,示例县测试路3号,正常,\n")}
	m.sources["registry_changes"] = changes
	hh := m.sources["households"]
	// The household size left blank: the registry's count is used. A new
	// assessment of the same income on 2026-12-05.
	hh.body = []byte(strings.Replace(string(hh.body), "3407990010010002,\"12,000.00\",2,2026-03-01", "3407990010010002,\"12,000.00\",,2026-03-01", 1) +
		"3407990010010002,\"12,000.00\",,2026-12-05\n")
	m.set("households", hh)
	m.run()
	// He moves out: the next change file holds his new row alone.
	changes.body = []byte(header + "340799200001010759,吴测七,男,2000-01-01,3407990010010009,户主,340799001,340799001001,示例县测试路9号,正常,\n")
	m.set("registry_changes", changes)
	full, inc := bothNights(t, m, "2026-11-29")
	mustBeIncrementalAndEqual(t, "the night of the move", full, inc)
	if _, ok := inc.Appended["registry"]; !ok {
		t.Fatalf("the move was not an appended registry row: %v", inc.Appended)
	}
	full, inc = bothNights(t, m, "2026-12-05")
	if full.HitsByRule["UNEMP-LOWINC-UNCOVERED"] != 1 {
		t.Fatalf("the full evaluation lost the baseline hit: %v", full.HitsByRule)
	}
	mustBeIncrementalAndEqual(t, "the old household's assessment date, after a member moved out", full, inc)
}

// TestBreakAsOfSpelledOtherwise: the safety net for a group that reads the
// date without saying how it changes (README: "a group reads as_of()
// without changes_on" makes a full evaluation; `rules check` warns) is a
// substring test for "as_of()". DuckDB's function names are
// case-insensitive and allow a space before the parenthesis, so a group
// written with AS_OF() or as_of () and no changes_on reads the date all
// the same, passes the check, and is never computed again on an
// incremental night: a claim settled on the next day does not reach
// medical.oop_12m, and the medical warning a full evaluation raises is
// missing.
func TestBreakAsOfSpelledOtherwise(t *testing.T) {
	for _, spelling := range []string{"AS_OF()", "as_of ()"} {
		t.Run(spelling, func(t *testing.T) {
			m := newMini(t)
			// 王测一's household is not covered; his large claim is settled on
			// the next night's date.
			m.appendLine("medical", "YB0002,340799196005010116,2026-11-29,示例县人民医院,60000.00,20000.00,5000.00,0,35000.00")
			m.run()
			g := m.p.Pack.Group("medical")
			g.SQL = strings.ReplaceAll(g.SQL, "as_of()", spelling)
			g.ChangesOn = nil
			if ok, _ := m.p.Pack.DateEdgesComplete(); !ok {
				return // the check saw the date: nights are full evaluations
			}
			full, inc := bothNights(t, m, "2026-11-29")
			if full.HitsByRule["MED-OOP-UNCOVERED"] != 1 {
				t.Fatalf("the full evaluation does not see the claim: %v", full.HitsByRule)
			}
			mustBeIncrementalAndEqual(t, "a group reading "+spelling+" without changes_on", full, inc)
		})
	}
}

// TestBreakWindowParamOtherThanTwelve: rigid's education fees count the
// school years begun within param(medical_window_months) months, and its
// changes_on names the enrolment's anniversary (yearly) and the enrolment
// date + the window — right only while the window is 12 months. A county
// that sets the window to 6 months (a param, meant to be set per province)
// loses a school year begun on an anniversary (2026-10-15 of an enrolment
// of 2024-10-15) from the window on 2027-04-15, a date no edge names: the
// full evaluation drops the household's RIGID-SPENDING-UNCOVERED warning,
// the incremental night keeps it.
func TestBreakWindowParamOtherThanTwelve(t *testing.T) {
	m := newMini(t)
	m.extraRules = "rules: []\n"
	// 赵测三's household: income 12,000 a year; a school year's fees of
	// 8,000 are more than 60% of it.
	m.appendLine("students", "340799198507150337,示例县职业技术学校,中职,2024-10-15,,8000")
	cfg := m.config()
	facts := filepath.Join(m.dir, "rules", "facts.yaml")
	b, err := os.ReadFile(facts)
	if err != nil {
		t.Fatal(err)
	}
	six := strings.Replace(string(b), "  medical_window_months:\n    values:\n      2024-01-01: 12\n", "  medical_window_months:\n    values:\n      2024-01-01: 6\n", 1)
	if six == string(b) {
		t.Fatal("facts.yaml's medical_window_months not found")
	}
	if err := os.WriteFile(facts, []byte(six), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), cfg, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	m.p = p
	m.run()
	full, inc := bothNights(t, m, "2027-04-14")
	if full.HitsByRule["RIGID-SPENDING-UNCOVERED"] != 1 {
		t.Fatalf("no rigid spending warning on 2027-04-14: %v", full.HitsByRule)
	}
	mustBeIncrementalAndEqual(t, "2027-04-14", full, inc)
	full, inc = bothNights(t, m, "2027-04-15")
	mustBeIncrementalAndEqual(t, "2027-04-15, a school year begun 2026-10-15 leaves a 6-month window", full, inc)
}
