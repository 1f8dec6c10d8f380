package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rules check DIR and rules test DIR check the directory given (an
// analyst's working copy), not rules.dir: a broken copy is never "ok".
func TestRulesCheckDir(t *testing.T) {
	tempStore(t)
	dir := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "medical.yaml")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "medical.oop_12m >= params", "medcal.oop_12m >= params", 1)), 0o600)
	out, err := runCLI(t, "rules", "check", dir)
	if factsExit(err) != 1 || !strings.Contains(err.Error(), filepath.Join(dir, "medical.yaml")) || !strings.Contains(err.Error(), "did you mean medical?") {
		t.Errorf("rules check DIR: exit %d %v\n%s", factsExit(err), err, out)
	}
	if out, err := runCLI(t, "rules", "test", dir); factsExit(err) != 1 {
		t.Errorf("rules test DIR: exit %d %v\n%s", factsExit(err), err, out)
	}
	// Without DIR, rules.dir (the shipped rules) is checked: ok.
	if out, err := runCLI(t, "rules", "check"); err != nil || !strings.Contains(out, ": ok") {
		t.Errorf("rules check: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "rules", "check", dir, dir); err == nil {
		t.Error("two directories: accepted")
	}
}

// A fact group that fails on the county's data (here a GROUP BY left out:
// several rows per person) holds back the rules that read it and says why;
// the other rules' lists go out, and the night exits 3.
func TestRunHoldsRulesOfAFailedFactGroup(t *testing.T) {
	tempStore(t)
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "facts.yaml")
	b, _ := os.ReadFile(path)
	s := strings.Replace(string(b), "             sum(out_of_pocket)::DOUBLE AS oop_12m,\n             sum(total_cost)::DOUBLE AS total_12m,\n             count(*) AS claims_12m,\n             max(out_of_pocket)::DOUBLE AS max_oop_12m",
		"             out_of_pocket::DOUBLE AS oop_12m,\n             total_cost::DOUBLE AS total_12m,\n             1 AS claims_12m,\n             out_of_pocket::DOUBLE AS max_oop_12m", 1)
	s = strings.Replace(s, "        AND settle_date <= as_of()\n      GROUP BY id_number\n", "        AND settle_date <= as_of()\n", 1)
	if s == string(b) {
		t.Fatal("facts.yaml's medical group is not as this test knows it")
	}
	os.WriteFile(path, []byte(s), 0o600)
	t.Setenv("LIPWATCH_RULES_DIR", dir)
	out, err := runCLI(t, "run")
	if factsExit(err) != 3 || !strings.Contains(err.Error(), "facts group medical failed on tonight's data") {
		t.Fatalf("run: exit %d %v\n%s", factsExit(err), err, out)
	}
	if !regexp.MustCompile(`MED-OOP-UNCOVERED[^\n]*: facts group medical failed tonight`).MatchString(out) || !strings.Contains(out, "more than one row for") {
		t.Errorf("the summary does not say why MED-OOP-UNCOVERED was held:\n%s", out)
	}
	if !strings.Contains(out, "DIS-NEW-SEVERE-UNCOVERED") || !strings.Contains(out, "dispatched ") {
		t.Errorf("the other rules' lists did not go out:\n%s", out)
	}
	runs, err := runCLI(t, "runs", "--json")
	if err != nil || !regexp.MustCompile(`"FactFailures":\s*\[\s*"medical"\s*\]`).MatchString(runs) {
		t.Errorf("the run ledger: %v\n%s", err, runs)
	}
	// evaluate alone says so as run does: exit 3, not 0.
	for _, args := range [][]string{{"evaluate", "--full", "--dry-run"}, {"evaluate", "--full"}} {
		if out, err := runCLI(t, args...); factsExit(err) != 3 || !strings.Contains(err.Error(), "facts group medical failed on tonight's data") {
			t.Errorf("%v: exit %d %v\n%s", args, factsExit(err), err, out)
		}
	}
}

// rules test --run that selects no test, and a rules.dir that does not
// exist, are mistakes (exit 2), not "0 passed" or an error about ".".
func TestRulesCommandsRefuseNothing(t *testing.T) {
	tempStore(t)
	_, err := runCLI(t, "rules", "test", "--run", "^NO-SUCH-RULE/")
	if factsExit(err) != 2 || !strings.Contains(err.Error(), "no test matches --run") {
		t.Errorf("--run matching nothing: %v", err)
	}
	t.Setenv("LIPWATCH_RULES_DIR", filepath.Join(t.TempDir(), "nope"))
	for _, args := range [][]string{{"rules", "check"}, {"rules", "test"}} {
		_, err := runCLI(t, args...)
		if factsExit(err) != 2 || !strings.Contains(err.Error(), "rules.dir") || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%v with no rules directory: %v", args, err)
		}
	}
	if _, err := runCLI(t, "rules", "check", "/no/such/dir"); factsExit(err) != 2 {
		t.Errorf("rules check /no/such/dir: %v", err)
	}
}
