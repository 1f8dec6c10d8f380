package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// factRules copies rules/ with facts.yaml edited (each from replaced by
// its to) and points LIPWATCH_RULES_DIR at the copy. The store path is a
// file that does not exist: rules check and rules test must not open it.
func factRules(t *testing.T, edits ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "facts.yaml")
	b, _ := os.ReadFile(path)
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("facts.yaml has no %q", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIPWATCH_RULES_DIR", dir)
	store := filepath.Join(t.TempDir(), "county", "lw.duckdb")
	t.Setenv("LIPWATCH_STORE_PATH", store)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Dir(store)); err == nil {
			t.Errorf("rules check/test created the county's store folder %s", filepath.Dir(store))
		}
	})
	return dir
}

// factLine is the 1-based line of facts.yaml in dir where text (which may
// span lines) begins: the tests name places without pinning the file's
// layout.
func factLine(t *testing.T, dir, text string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "facts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), text)
	if i < 0 {
		t.Fatalf("facts.yaml has no %q", text)
	}
	return strings.Count(string(b[:i]), "\n") + 1
}

func factsExit(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestRulesCheckFactQueries (issue 12): a misspelt column, a declared
// field the query does not return, a field whose type does not fit and a
// param that does not exist are errors at their place in facts.yaml, every
// bad group at once, exit 1 — before any night runs them.
func TestRulesCheckFactQueries(t *testing.T) {
	dir := factRules(t,
		"sum(out_of_pocket)::DOUBLE AS oop_12m", "sum(out_of_pockt)::DOUBLE AS oop_12m",
		"             hh.members,\n", "             hh.members AS member,\n",
		"coalesce(reg.village_code, '') AS village_code", "reg.birth_date AS village_code",
	)
	out, err := runCLI(t, "rules", "check")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", factsExit(err), err, out)
	}
	msg := err.Error()
	for _, want := range []string{
		// DuckDB's caret, mapped into the block scalar.
		fmt.Sprintf("facts.yaml:%d:7: group person: field village_code: declared string, but the query's column is DATE (cast it: ::VARCHAR)",
			factLine(t, dir, "village_code:  {type: string")),
		fmt.Sprintf("facts.yaml:%d:18: group medical: sql: Binder Error: Referenced column \"out_of_pockt\" not found in FROM clause!",
			factLine(t, dir, "sum(out_of_pockt)")),
		fmt.Sprintf("  %3d |              sum(out_of_pockt)::DOUBLE AS oop_12m,\n      |                  ^", factLine(t, dir, "sum(out_of_pockt)")),
		"group household: field members: the query returns no column members (it returns household_id, ",
		"member, income_known, income_per_capita_month) (did you mean member?: name the column with AS members)",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

// TestRulesCheckFactParams: a fact query reads params as param('NAME'); an
// unknown name is an error at its place (the rules do not load), and $1 is
// refused.
func TestRulesCheckFactParams(t *testing.T) {
	dir := factRules(t, "arg_max(level::INTEGER, issued_date) AS level,", "arg_max(level::INTEGER, issued_date) AS level, param('new_disability_dayz') AS d, $1 AS e,")
	out, err := runCLI(t, "rules", "check")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", factsExit(err), err, out)
	}
	for _, want := range []string{
		fmt.Sprintf("facts.yaml:%[1]d:61: group disability: sql: unknown param new_disability_dayz (did you mean new_disability_days?)\n  %[1]d |",
			factLine(t, dir, "new_disability_dayz")),
		fmt.Sprintf("facts.yaml:%d:96: group disability: sql: a fact query reads params as param('NAME'), not as $1", factLine(t, dir, "new_disability_dayz")),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}

// TestRulesCheckFactTestRows: the fact tests' rows are checked by rules
// check too, not only when rules test runs them: a misspelt column and an
// unknown dataset are errors at their place, with the closest name.
func TestRulesCheckFactTestRows(t *testing.T) {
	factRules(t,
		"- {id_number: p1, settle_date: 2025-11-28, out_of_pocket: 1000, total_cost: 2000}",
		"- {id_number: p1, settle_dat: 2025-11-28, out_of_pocket: 1000, total_cost: 2000}",
		"          medical:\n            - {id_number: p3,", "          medicl:\n            - {id_number: p3,")
	out, err := runCLI(t, "rules", "check")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", factsExit(err), err, out)
	}
	for _, want := range []string{
		`group medical: test "窗口两端：恰好12个月前不计入，评估日当天计入，评估日之后不计入": given: medical has no column settle_dat (did you mean settle_date?)`,
		`group person: test "评估日之后的死亡尚未发生；生日当天满周岁": given: medicl is not a dataset (did you mean medical?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}

// TestRulesCheckFactWarnings: a column no field declares is a warning
// (exit 0, --strict 1); the shipped facts check clean.
func TestRulesCheckFactWarnings(t *testing.T) {
	dir := factRules(t, "count(*) AS claims_12m", "count(*) AS claims_12m, max(hospital) AS hospital")
	out, err := runCLI(t, "rules", "check")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, fmt.Sprintf("facts.yaml:%d:5: warning: group medical: sql: the query returns column hospital, which no field declares",
		factLine(t, dir, "  medical:\n    scope: person")+6)) {
		t.Errorf("no warning:\n%s", out)
	}
	if _, err := runCLI(t, "rules", "check", "--strict"); factsExit(err) != 1 {
		t.Errorf("--strict: %v", err)
	}
	factRules(t)
	out, err = runCLI(t, "rules", "check")
	if err != nil || strings.Contains(out, "warning: group") {
		t.Errorf("shipped facts: %v\n%s", err, out)
	}
}

// TestRulesTestFacts: the tests beside facts.yaml's groups run with the
// rule tests, named facts.GROUP/TEST; a wrong expectation fails at its
// line, a row of an unknown column is an error, both exit 1.
func TestRulesTestFacts(t *testing.T) {
	factRules(t)
	out, err := runCLI(t, "rules", "test", "--run", `^facts\.medical/`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "PASS  ") || !strings.Contains(out, "facts.medical / 窗口两端") || !strings.Contains(out, "4 passed, 0 failed") {
		t.Errorf("medical fact tests:\n%s", out)
	}
	dir := factRules(t,
		"p1: {oop_12m: 110, total_12m: 220, claims_12m: 2}", "p1: {oop_12m: 1110, total_12m: 220, claims_12m: 2}",
		"- {id_number: p4, category: dibao, start_date: 2026-11-29}", "- {id_number: p4, categry: dibao, start_date: 2026-11-29}",
	)
	out, err = runCLI(t, "rules", "test")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d, want 1\n%s", factsExit(err), out)
	}
	for _, want := range []string{
		fmt.Sprintf("facts.yaml:%d: facts.medical / 窗口两端：恰好12个月前不计入，评估日当天计入，评估日之后不计入: p1: medical.oop_12m = 110, want 1110",
			factLine(t, dir, "p1: {oop_12m: 1110")),
		"ERROR ", "facts.assistance / 起止日两端都算在享受期内: given: assistance has no column categry",
		"1 failed, 1 error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// TestRulesCheckChangesOn (issue 14): a group's changes_on names a
// dataset's date column (or a dataset, daily) and int params; a misspelt
// dataset or column, a column that is not a date, an unknown param and a
// form that is none of the edges are errors at their place. A group that
// reads as_of() without changes_on is a warning: the incremental night
// evaluates everyone then.
func TestRulesCheckChangesOn(t *testing.T) {
	dir := factRules(t, "      - medical.settle_date\n", "      - medical.settle_date sometimes\n")
	out, err := runCLI(t, "rules", "check")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", factsExit(err), err, out)
	}
	if want := fmt.Sprintf(`facts.yaml:%d:9: group medical: changes_on: "medical.settle_date sometimes": want DATASET.COLUMN`,
		factLine(t, dir, "      - medical.settle_date sometimes")); !strings.Contains(err.Error(), want) {
		t.Errorf("missing %q in:\n%s", want, err)
	}
	dir = factRules(t,
		"      - medical.settle_date\n", "      - medicl.settle_date\n      - medical.out_of_pocket\n      - medical.settle_dat\n      - medical.settle_date + param(no_such) months\n",
	)
	out, err = runCLI(t, "rules", "check")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", factsExit(err), err, out)
	}
	line := factLine(t, dir, "      - medicl.settle_date")
	for _, want := range []string{
		fmt.Sprintf("facts.yaml:%d:9: group medical: changes_on medicl.settle_date: no dataset medicl (did you mean medical?)", line),
		fmt.Sprintf("facts.yaml:%d:9: group medical: changes_on medical.out_of_pocket: medical.out_of_pocket is not a date", line+1),
		fmt.Sprintf("facts.yaml:%d:9: group medical: changes_on medical.settle_dat: dataset medical has no column settle_dat (did you mean settle_date?)", line+2),
		fmt.Sprintf("facts.yaml:%d:9: group medical: changes_on medical.settle_date + param(no_such) months: no param no_such", line+3),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
	// No changes_on on a group that reads as_of(): a warning, not an error.
	factRules(t, "    changes_on:\n      - fishers.retired_date\n", "")
	out, err = runCLI(t, "rules", "check")
	if err != nil {
		t.Fatalf("rules check: %v\n%s", err, out)
	}
	if want := "group fisher reads as_of() but declares no changes_on"; !strings.Contains(out, want) {
		t.Errorf("missing %q in:\n%s", want, out)
	}
	factRules(t, "    changes_on:\n      - fishers.retired_date\n", "    changes_on: []\n")
	out, err = runCLI(t, "rules", "check")
	if err != nil {
		t.Fatalf("rules check: %v\n%s", err, out)
	}
	if want := "group fisher reads as_of() but its changes_on is empty"; !strings.Contains(out, want) {
		t.Errorf("missing %q in:\n%s", want, out)
	}
}
