package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// paramRules copies rules/ with params.yaml edited (each from replaced by
// its to) and points LIPWATCH_RULES_DIR at the copy.
func paramRules(t *testing.T, edits ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "params.yaml")
	b, _ := os.ReadFile(path)
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if strings.Count(s, edits[i]) != 1 {
			t.Fatalf("params.yaml has %d times %q, want once", strings.Count(s, edits[i]), edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIPWATCH_RULES_DIR", dir)
	return dir
}

// lineOf is the 1-based number of the line of file that contains s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, s)
	return 0
}

// TestRulesCheckParamReview (issue 13 point 4): a param past its review
// date is a rules check warning at its review_by, a review date within 30
// days a note; exit 0, and 1 with --strict only for the warning (a note
// never changes the exit code). The date is --as-of's.
func TestRulesCheckParamReview(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(t.TempDir(), "lw.duckdb"))

	// The shipped params at the synthetic county's day: nothing to say.
	out, err := runCLI(t, "rules", "check")
	if err != nil || !strings.Contains(out, ": ok (sha256:") || strings.Contains(out, "review_by") {
		t.Fatalf("shipped rules at 2026-11-28: %v\n%s", err, out)
	}
	// … and after the yearly 低保标准 adjustment's review date.
	out, err = runCLI(t, "--as-of", "2027-02-01", "rules", "check")
	if err != nil || !strings.Contains(out, "param low_income_line: review_by 2027-01-31 has passed") || !strings.Contains(out, ": ok with 1 warning (sha256:") {
		t.Fatalf("shipped rules at 2027-02-01: %v\n%s", err, out)
	}

	dir := paramRules(t,
		"review_by: 2027-03-31 # 每年医保", "review_by: 2026-06-30 # 每年医保",
		"review_by: 2027-01-31 # 每年调整低保标准", "review_by: 2026-12-10 # 每年调整低保标准",
	)
	params := filepath.Join(dir, "params.yaml")
	overdue, soon := lineOf(t, params, "review_by: 2026-06-30"), lineOf(t, params, "review_by: 2026-12-10")
	out, err = runCLI(t, "rules", "check")
	if factsExit(err) != 0 {
		t.Fatalf("exit %d (%v), want 0: a review date never fails rules check without --strict\n%s", factsExit(err), err, out)
	}
	for _, want := range []string{
		params + ":" + strconv.Itoa(overdue) + ":16: warning: param medical_oop_threshold: review_by 2026-06-30 has passed (confirm the value and set a new review date)\n" +
			fmt.Sprintf("%5d", overdue) + " |     review_by: 2026-06-30 # 每年医保待遇政策调整后复核 (after the yearly medical insurance adjustment)\n" +
			"      |                ^\n",
		params + ":" + strconv.Itoa(soon) + ":16: note: param low_income_line: review_by 2026-12-10 is due in 12 days (confirm the value before then)\n",
		": ok with 1 warning and 1 note (sha256:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rules check: no\n%s\nin:\n%s", want, out)
		}
	}
	if _, err := runCLI(t, "rules", "check", "--strict"); factsExit(err) != 1 || !strings.Contains(err.Error(), "1 warnings") {
		t.Errorf("--strict with a param past its review date: exit %d (%v), want 1", factsExit(err), err)
	}
	// Before the first date has passed: a note only, never a failure.
	out, err = runCLI(t, "--as-of", "2026-06-15", "rules", "check", "--strict")
	if factsExit(err) != 0 || !strings.Contains(out, "param medical_oop_threshold: review_by 2026-06-30 is due in 15 days") || !strings.Contains(out, ": ok with 1 note (sha256:") {
		t.Errorf("--strict with a note only: exit %d (%v)\n%s", factsExit(err), err, out)
	}
	// A bad --as-of is the usage error it is everywhere.
	if _, err := runCLI(t, "--as-of", "2026-13-01", "rules", "check"); factsExit(err) != 2 {
		t.Errorf("--as-of 2026-13-01: exit %d (%v), want 2", factsExit(err), err)
	}
}

// TestRulesCheckParamForms: a mistake in the long form of a param is a
// rule error (exit 1) at its place, every one at once.
func TestRulesCheckParamForms(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(t.TempDir(), "lw.duckdb"))
	dir := paramRules(t,
		"review_by: 2027-03-31 # 每年医保", "review_by: 2027-02-30 # 每年医保",
		"    review_by: 2027-06-30\n    source: truth.json unemployed_window_days", "    reviewby: 2027-06-30\n    source: truth.json unemployed_window_days",
	)
	params := filepath.Join(dir, "params.yaml")
	out, err := runCLI(t, "rules", "check")
	if factsExit(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", factsExit(err), err, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(regexp.QuoteMeta(params + ":" + strconv.Itoa(lineOf(t, params, "2027-02-30")) + ":16: param medical_oop_threshold: review_by: 2027-02-30 is not a date (write YYYY-MM-DD: the day by which the values must be confirmed again)")),
		regexp.MustCompile(regexp.QuoteMeta(params + ":" + strconv.Itoa(lineOf(t, params, "reviewby:")) + ":5: param unemployed_window_days: unknown key reviewby (did you mean review_by?)")),
	} {
		if !want.MatchString(err.Error()) {
			t.Errorf("no %s in:\n%v", want, err)
		}
	}
}

// TestRunParamPastReview: a night with a param past its review date
// completes (exit 0), evaluates the param as always, and says so in one
// line of its summary; evaluate says the same.
func TestRunParamPastReview(t *testing.T) {
	tempStore(t)
	paramRules(t, "review_by: 2027-03-31 # 每年医保", "review_by: 2026-06-30 # 每年医保")
	out, err := runCLI(t, "run")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	line := "params past their review date (evaluated as always; confirm the values and set new review dates, see lipwatch rules check): medical_oop_threshold (review_by 2026-06-30)\n"
	if strings.Count(out, line) != 1 {
		t.Errorf("run summary: want once\n%s\nin:\n%s", line, out)
	}
	if !regexp.MustCompile(`(?m)^MED-OOP-UNCOVERED\s+orange\s+[1-9]`).MatchString(out) {
		t.Errorf("the rule reading the param past its review date has no hits:\n%s", out)
	}
	out, err = runCLI(t, "evaluate", "--dry-run")
	if err != nil || strings.Count(out, line) != 1 {
		t.Errorf("evaluate: %v: want once\n%s\nin:\n%s", err, line, out)
	}
}
