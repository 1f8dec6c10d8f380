package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/store"
)

// perCapitaRules is a copy of rules/ with an analyst's rule that divides
// by household.members, 0 for a person not in the registry (the field
// case of issue 7), and a test that makes it divide by zero.
func perCapitaRules(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	rule := `rules:
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
      - name: 不在户籍中
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}}
        expect: miss
`
	if err := os.WriteFile(filepath.Join(dir, "percapita.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIPWATCH_RULES_DIR", dir)
	return dir
}

// TestRulesCheckWarnsOfDivision: rules check shows an unguarded division
// with its place and a caret, and exits 0 unless --strict.
func TestRulesCheckWarnsOfDivision(t *testing.T) {
	tempStore(t)
	perCapitaRules(t)
	out, err := runCLI(t, "rules", "check")
	if err != nil {
		t.Fatalf("warnings alone must exit 0: %v\n%s", err, out)
	}
	want := `percapita.yaml:5:27: warning: rule MED-PERCAPITA: when: division by household.members, which may be 0: ` +
		`for such a person the rule cannot be evaluated (counted as an error, never a hit); guard it earlier in the same && chain, ` +
		`e.g. household.members > 0 && medical.oop_12m / household.members >= 10000
    5 |     when: medical.oop_12m / household.members >= 10000 && !household.covered
      |                           ^
`
	if !strings.Contains(out, want) || !strings.Contains(out, "percapita.yaml:6:47: warning: rule MED-PERCAPITA: reason: division by household.members") ||
		!regexp.MustCompile(`rules: \d+ files, \d+ fact groups, \d+ params, \d+ rules \(\d+ enabled\): ok with 2 warnings \(sha256:`).MatchString(out) {
		t.Errorf("rules check:\n%s", out)
	}
	_, err = runCLI(t, "rules", "check", "--strict")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 1 || ex.msg != "rules check --strict: 2 warnings" {
		t.Errorf("--strict: %v", err)
	}
}

// TestRulesTestReportsEvalErrors: a rule test whose facts make the rule
// divide by zero is an ERROR with the place, counted apart from failures.
func TestRulesTestReportsEvalErrors(t *testing.T) {
	tempStore(t)
	perCapitaRules(t)
	out, err := runCLI(t, "rules", "test", "--run", "PERCAPITA")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 1 {
		t.Errorf("exit: %v", err)
	}
	if !regexp.MustCompile(`(?m)^ERROR .*percapita\.yaml:12: MED-PERCAPITA / 不在户籍中: rule MED-PERCAPITA: when: division by zero at .*percapita\.yaml:5:27 \(a divisor was 0\): guard it, e\.g\. household\.members > 0 && \.\.\. \(medical\.oop_12m = 30000, household\.members = 0, household\.covered = false\)$`).MatchString(out) ||
		!strings.Contains(out, "\n1 passed, 0 failed, 1 error\n") {
		t.Errorf("rules test:\n%s", out)
	}
}

// TestEvaluateShowsEvalErrors: evaluate counts, per rule, the people a
// rule could not be evaluated for, beside the hits, and says where and
// what to do, with no personal data.
func TestEvaluateShowsEvalErrors(t *testing.T) {
	tempStore(t)
	perCapitaRules(t)
	if _, err := runCLI(t, "sync"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "evaluate", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^MED-PERCAPITA\s+yellow\s+(\d+)\s+(\d+)\s+家庭人均医疗自付较大`).FindStringSubmatch(out)
	if !strings.Contains(out, "RULE                          LEVEL   HITS  ERRORS  TITLE") || row == nil || row[1] == "0" || row[2] == "0" ||
		!regexp.MustCompile(`(?m)^MED-OOP-UNCOVERED\s+orange\s+\d+\s+0\s+`).MatchString(out) {
		t.Fatalf("evaluate:\n%s", out)
	}
	line := regexp.MustCompile(`(?m)^MED-PERCAPITA: ` + row[2] + ` (people|person) could not be evaluated: division by zero at .*percapita\.yaml:5:27 \(a divisor was 0\): guard it, e\.g\. household\.members > 0 && \.\.\.$`)
	if !line.MatchString(out) {
		t.Errorf("no error line in:\n%s", out)
	}
	if m := regexp.MustCompile(`\d{17}[\dX]`).FindString(out); m != "" {
		t.Errorf("an ID number in the output: %s", m)
	}

	// rules explain for one of them: the error, with its place, and the
	// part of the condition that cannot be evaluated.
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	err = st.DB().QueryRowContext(context.Background(), `SELECT min(id_number) FROM medical
		WHERE id_number NOT IN (SELECT id_number FROM registry)`).Scan(&id)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, "rules", "explain", id)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^  MED-PERCAPITA\s+yellow\s+ERROR: rule MED-PERCAPITA: when: division by zero at .*percapita\.yaml:5:27 \(a divisor was 0\)`).MatchString(out) ||
		!strings.Contains(out, "    ! medical.oop_12m / household.members >= 10000 (cannot be evaluated: division by zero)\n") {
		t.Errorf("explain:\n%s", out)
	}
}
