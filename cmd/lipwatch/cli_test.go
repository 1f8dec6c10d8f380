package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/xuri/excelize/v2"
)

// The CLI never reads a mistake as "nothing matches" or as another
// command: unknown filter values and misspelt subcommands exit 2 with the
// valid choices or a suggestion; a township may be given by name.
func TestCLINeverMisleads(t *testing.T) {
	runCounty(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rules", "chek"}, `unknown command "chek" for "lipwatch rules"; did you mean check?`},
		{[]string{"sources", "chek"}, `unknown command "chek" for "lipwatch sources"; did you mean check?`},
		{[]string{"cases", "lst"}, `unknown command "lst" for "lipwatch cases"; did you mean list?`},
		{[]string{"cases", "list", "--state", "opn"}, `--state "opn": want one of new, dispatched, closed, open`},
		{[]string{"cases", "list", "--level", "purple"}, `--level "purple": want red, orange or yellow`},
		{[]string{"cases", "list", "--township", "城管镇"}, `is not a township of the county: give a code or a name`},
		{[]string{"quarantine", "list", "--source", "medicl"}, `--source "medicl": no such source (did you mean medical?)`},
		{[]string{"notify", "list", "--state", "bogus"}, `--state "bogus": want one of pending, sending, sent, failed`},
	} {
		out, err := runCLI(t, tc.args...)
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, tc.want) {
			t.Errorf("%v: %v (%q)\n%s", tc.args, err, tc.want, out)
		}
	}
	// A township by name is the township; open is new or dispatched.
	byName, err := runCLI(t, "cases", "list", "--township", "城关镇", "--state", "open")
	byCode, err2 := runCLI(t, "cases", "list", "--township", "340799001", "--state", "open")
	if err != nil || err2 != nil || byName != byCode || !strings.Contains(byName, "VILLAGE") || strings.Count(byName, "\n") < 3 {
		t.Errorf("by name:\n%s\nby code:\n%s", byName, byCode)
	}
}

// A LIPWATCH_ variable no key takes is named with the closest one.
func TestUnknownEnvWarned(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_PATHH", "/tmp/x")
	t.Setenv("LIPWATCH_TEST_ANYTHING", "1") // test hooks are not settings
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.EnvWarnings) != 1 || !strings.Contains(cfg.EnvWarnings[0], "LIPWATCH_STORE_PATHH is set but is no setting lipwatch knows: it is ignored (did you mean LIPWATCH_STORE_PATH?)") {
		t.Errorf("warnings: %q", cfg.EnvWarnings)
	}
}

// fakeapi refuses an address in use or off loopback with an error, never
// a panic.
func TestFakeAPIRefuses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for addr, want := range map[string]string{
		ln.Addr().String(): "address already in use",
		"0.0.0.0:0":        "is not a loopback address",
	} {
		_, err := runCLI(t, "fakeapi", "--csv", "../../testdata/county/employment.csv", "--addr", addr)
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("--addr %s: %v, want exit 2 with %q", addr, err, want)
		}
	}
}

// feedback import says what each list gave: its township and batch, how
// many cases it closed and rows it rejected, and a list refused whole.
// In 城关镇's list one case is verified with its date, one has an
// outcome but a blank 核实日期 (rejected, with its row number, and still
// open) and one only a note (not verified yet): the dated one closes.
func TestFeedbackPerList(t *testing.T) {
	runCounty(t)
	lists, _ := filepath.Glob(filepath.Join(os.Getenv("LIPWATCH_DISPATCH_DIR"), "2026-11-28", "*城关镇*.xlsx"))
	if len(lists) == 0 {
		t.Fatal("no list of 城关镇")
	}
	x, err := excelize.OpenFile(lists[0])
	if err != nil {
		t.Fatal(err)
	}
	sheet := x.GetSheetName(0)
	rows, _ := x.GetRows(sheet)
	head := slices.IndexFunc(rows, func(r []string) bool { return len(r) > 0 && r[0] == "预警编号" })
	if head < 0 || len(rows) < head+4 {
		t.Fatalf("no header or too few cases in %s", lists[0])
	}
	set := func(row int, column, v string) { // row as Excel numbers it
		name, _ := excelize.CoordinatesToCellName(slices.Index(rows[head], column)+1, row)
		if err := x.SetCellValue(sheet, name, v); err != nil {
			t.Fatal(err)
		}
	}
	set(head+2, "核实结果", "不符合条件")
	set(head+2, "核实日期", "2026-11-29")
	set(head+3, "核实结果", "纳入低保") // no 核实日期
	set(head+4, "核实说明", "下周入户")
	blank := rows[head+2][0] // the case on Excel row head+3
	returned := filepath.Join(t.TempDir(), "城关镇交回.xlsx")
	if err := x.SaveAs(returned); err != nil {
		t.Fatal(err)
	}
	x.Close()
	junk := filepath.Join(t.TempDir(), "notes.xlsx")
	os.WriteFile(junk, []byte("not a workbook"), 0o600)
	out, err := runCLI(t, "--as-of", "2026-11-30", "feedback", "import", returned, junk)
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 3 {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^LIST\s+TOWNSHIP\s+BATCH\s+CLOSED\s+ALREADY\s+REJECTED$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^城关镇交回\.xlsx\s+城关镇\s+PD-20261128-1\s+1\s+0\s+1$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^notes\.xlsx\s+REFUSED\s+-\s+0\s+0\s+1$`).MatchString(out) {
		t.Errorf("per-list table:\n%s", out)
	}
	if want := returned + ": 第" + strconv.Itoa(head+3) + "行 未填写核实日期"; !strings.Contains(out, want) {
		t.Errorf("no %q in:\n%s", want, out)
	}
	if show, err := runCLI(t, "cases", "show", blank); err != nil || !strings.Contains(show, "state dispatched") {
		t.Errorf("the case with a blank date: %v\n%s", err, show)
	}
	// Done but partly, in the run ledger as the exit status says it.
	if runs, err := runCLI(t, "runs", "--kind", "feedback"); err != nil ||
		!regexp.MustCompile(`(?m)^\d+\s+feedback\s+2026-11-30\s.*\spartial\s+2 files: 1 closed, 0 already applied, 2 rejected, 1 refused whole\s+1 of 2 lists refused whole`).MatchString(runs) {
		t.Errorf("the import in the ledger: %v\n%s", err, runs)
	}
	// Nothing imported is exit 2: no list could be read (the store is not
	// even opened: no ledger row), or every list was refused whole.
	_, err = runCLI(t, "feedback", "import", filepath.Join(t.TempDir(), "no-such.xlsx"))
	if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, "nothing imported: no list could be read: open ") {
		t.Errorf("a missing list: %v", err)
	}
	out, err = runCLI(t, "feedback", "import", junk)
	if !errors.As(err, &ex) || ex.code != 2 || ex.msg != "nothing imported: 1 list refused whole: see above" || !strings.Contains(out, "REFUSED") {
		t.Errorf("a list refused whole: %v\n%s", err, out)
	}
	if runs, _ := runCLI(t, "runs", "--kind", "feedback"); !strings.Contains(runs, "2 runs") || !strings.Contains(runs, "failed") {
		t.Errorf("the ledger after the imports that did nothing:\n%s", runs)
	}
}

// rules diff: a lowered threshold in a working copy of rules/ shows the
// households it would open, per township and rule, and exits 1; the live
// rules against themselves (a directory, or git's HEAD) exit 0.
func TestRulesDiffCLI(t *testing.T) {
	runCounty(t)
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "params.yaml")
	b, _ := os.ReadFile(params)
	os.WriteFile(params, []byte(strings.Replace(string(b), "    2024-01-01: 20000", "    2024-01-01: 15000", 1)), 0o600)
	t.Setenv("LIPWATCH_RULES_DIR", dir)
	out, err := runCLI(t, "rules", "diff", "--live", "../../rules")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 1 || !strings.Contains(out, "would open") ||
		!loweredLineOpens(out) {
		t.Errorf("lowered threshold: %v\n%s", err, out)
	}
	os.Unsetenv("LIPWATCH_RULES_DIR")
	if out, err := runCLI(t, "rules", "diff", "--live", "../../rules"); err != nil || !strings.Contains(out, "no household's case would change") {
		t.Errorf("the same rules: %v\n%s", err, out)
	}
	if exec.Command("git", "-C", "../../rules", "rev-parse", "HEAD").Run() == nil {
		// (Uncommitted rule edits make a difference: the exit status may be 1.)
		if out, err := runCLI(t, "rules", "diff"); (err != nil && !errors.As(err, &ex)) || !strings.Contains(out, "live git HEAD:rules") {
			t.Errorf("against HEAD: %v\n%s", err, out)
		}
	}
}
