package main

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// leaves are the commands that run something (not a group, not cobra's
// help and completion), by their path under lipwatch.
func leaves(t *testing.T) map[string]*cobra.Command {
	t.Helper()
	out := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.HasParent() && !c.HasSubCommands() && c.Name() != "help" && c.Name() != "completion" {
			out[commandKey(c)] = c
		}
	}
	walk(newRootCmd())
	if len(out) < 30 {
		t.Fatalf("only %d commands", len(out))
	}
	return out
}

func wantExit2(t *testing.T, args []string, err error, want string) {
	t.Helper()
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, want) {
		t.Errorf("lipwatch %s: %v, want exit 2 with %q", strings.Join(args, " "), err, want)
	}
}

// Every mistake on the command line exits 2, as README's table says
// ("nothing was done"), before anything runs: an unknown flag on every
// command, a wrong number of arguments with the usage line, an argument
// to a command that takes none (which cobra would ignore: `dispatch foo`
// dispatched), a misspelt command at the top or in any group with the
// closest one.
func TestCommandLineMistakesExit2(t *testing.T) {
	tempStore(t)
	// An unknown flag, on every command: exit 2, never 1 (which says "a
	// change" for rules diff).
	for key := range leaves(t) {
		args := append(strings.Fields(key), "--bogus")
		_, err := runCLI(t, args...)
		wantExit2(t, args, err, key+": unknown flag: --bogus (see lipwatch "+key+" --help)")
	}
	// Arguments a command does not take: exit 2 from the Args validator,
	// checked here without running anything.
	for key, c := range leaves(t) {
		if strings.Contains(c.Use, "...") { // SOURCE..., FILE..., EVENT...
			continue
		}
		err := c.ValidateArgs([]string{"x1", "x2", "x3"})
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, "usage: lipwatch "+key) {
			t.Errorf("lipwatch %s x1 x2 x3: %v, want exit 2 with the usage line", key, err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cases", "list", "--sate", "open"}, "cases list: unknown flag: --sate; did you mean --state?"},
		{[]string{"runs", "--limit", "x"}, `runs: invalid argument "x" for "--limit" flag`},
		{[]string{"cases", "show"}, "cases show: accepts 1 arg(s), received 0; usage: lipwatch cases show CASE_ID"},
		{[]string{"rules", "explain"}, "rules explain: accepts 1 arg(s), received 0; usage: lipwatch rules explain ID_NUMBER"},
		{[]string{"feedback", "import"}, "feedback import: requires at least 1 arg(s), only received 0; usage: lipwatch feedback import FILE..."},
		{[]string{"cases", "list", "extra"}, `cases list takes no arguments, got "extra"; usage: lipwatch cases list`},
		{[]string{"evaluate", "--dry-run", "foo"}, `evaluate takes no arguments, got "foo"`},
		{[]string{"dispatch", "foo"}, `dispatch takes no arguments, got "foo"`},
		{[]string{"rules", "diff", "/tmp/dir"}, `rules diff takes no arguments, got "/tmp/dir"; usage: lipwatch rules diff [--live DIR|REV]`},
		{[]string{"rules", "backtest", "/tmp/dir"}, `rules backtest takes no arguments, got "/tmp/dir"; usage: lipwatch rules backtest --from YYYY-MM-DD`},
		{[]string{"rule", "check"}, `unknown command "rule" for "lipwatch"; did you mean rules?`},
		{[]string{"rule", "check", "--strict"}, `unknown command "rule" for "lipwatch"; did you mean rules?`},
		{[]string{"disptach"}, `unknown command "disptach" for "lipwatch"; did you mean dispatch?`},
		{[]string{"bogus"}, `unknown command "bogus" for "lipwatch" (see lipwatch --help)`},
		{[]string{"runs", "shwo"}, `unknown command "shwo" for "lipwatch runs"; did you mean show?`},
		{[]string{"rules", "chek", "--strict"}, `unknown command "chek" for "lipwatch rules"; did you mean check?`},
		{[]string{"notify", "lst"}, `unknown command "lst" for "lipwatch notify"; did you mean list?`},
		{[]string{"feedback", "imprt", "x.xlsx"}, `unknown command "imprt" for "lipwatch feedback"; did you mean import?`},
		{[]string{"users", "zzz"}, `unknown command "zzz" for "lipwatch users"; its commands: add, `},
	} {
		out, err := runCLI(t, tc.args...)
		wantExit2(t, tc.args, err, tc.want)
		if out != "" {
			t.Errorf("lipwatch %s printed:\n%s", strings.Join(tc.args, " "), out)
		}
	}
	// `dispatch foo` refused, nothing dispatched, the store never opened.
	for _, p := range []string{os.Getenv("LIPWATCH_DISPATCH_DIR"), os.Getenv("LIPWATCH_STORE_PATH")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists: a refused command ran", p)
		}
	}
	// A group alone is its help; so is lipwatch alone.
	for _, args := range [][]string{{"rules"}, {}} {
		if out, err := runCLI(t, args...); err != nil || !strings.Contains(out, "Available Commands:") {
			t.Errorf("lipwatch %v: %v\n%s", args, err, out)
		}
	}
}

// fakeapi refuses a bad --pagination, --page-size, --addr or --csv with
// exit 2 before it listens.
func TestFakeAPIFlagsExit2(t *testing.T) {
	csv := []string{"fakeapi", "--csv", "../../testdata/county/employment.csv"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pagination", "bogus"}, `--pagination "bogus": want one of page, offset, cursor, next_link, none`},
		{[]string{"--pagination", "curser"}, `--pagination "curser": did you mean cursor?`},
		{[]string{"--page-size", "0"}, "--page-size 0: want 1 or more"},
		{[]string{"--addr", "garbage"}, `--addr "garbage": want HOST:PORT on loopback`},
		{[]string{"--addr", "127.0.0.1:99999"}, `the port "99999" is not a number`},
		{[]string{"--addr", "10.0.0.1:8089"}, "is not a loopback address"},
		{[]string{"--addr", "127.0.0.1:0", "--csv", "no-such.csv"}, "--csv: open no-such.csv"},
	} {
		args := append(slices.Clone(csv), tc.args...)
		_, err := runCLI(t, args...)
		wantExit2(t, args, err, tc.want)
	}
}

// Filters are checked against what can be, never read as "nothing
// matches": a reason code of the quarantine, an action of the audit log.
func TestFiltersRefuseUnknownValues(t *testing.T) {
	tempStore(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"quarantine", "list", "--reason", "bad_chek_digit"}, `--reason "bad_chek_digit": did you mean bad_check_digit?`},
		{[]string{"quarantine", "export", "--reason", "nonsense", "--out", filepath.Join(t.TempDir(), "q.csv")}, `--reason "nonsense": want one of bad_check_digit, `},
		{[]string{"audit", "--action", "bogus"}, `--action "bogus": want one of audit_read, `},
		{[]string{"audit", "--action", "cases_shw"}, `--action "cases_shw": did you mean cases_show?`},
		{[]string{"runs", "--status", "okay"}, `--status "okay": did you mean ok?`},
	} {
		_, err := runCLI(t, tc.args...)
		wantExit2(t, tc.args, err, tc.want)
	}
	// A known code with no rows is 0 rows.
	if out, err := runCLI(t, "quarantine", "list", "--reason", "excel_error"); err != nil || !strings.Contains(out, "0 rows") {
		t.Errorf("a known reason code: %v\n%s", err, out)
	}
}

// The CLI's reason codes are engine/dataset's problem codes, all of them.
func TestQuarantineCodesAreDatasets(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../engine/dataset/mapper.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || g.Doc == nil || !strings.Contains(g.Doc.Text(), "Problem codes") {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					c, _ := strconv.Unquote(lit.Value)
					codes = append(codes, c)
				}
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("found only %v in engine/dataset/mapper.go", codes)
	}
	slices.Sort(codes)
	have := slices.Sorted(slices.Values(quarantineCodes))
	if !slices.Equal(codes, have) {
		t.Errorf("quarantineCodes %v, engine/dataset's problem codes %v", have, codes)
	}
}

// After a night: the columns of cases list and of the summary's lines per
// township line up under Chinese names as a terminal draws them; a case
// without a household says so, with the person masked; an unknown case id
// is a mistake in the argument (exit 2).
func TestCLIAfterRun(t *testing.T) {
	tempStore(t)
	out, err := runCLI(t, "run")
	var ex *exitError
	if err != nil && (!errors.As(err, &ex) || ex.code != 3) {
		t.Fatal(err)
	}
	// The summary's per-township lines: "  城关镇   25 new    0 updated".
	town := regexp.MustCompile(`(?m)^  (\S+)( +)(\d+) new( +)\d+ updated$`)
	lines := town.FindAllStringSubmatch(out, -1)
	if len(lines) < 5 {
		t.Fatalf("no lines per township in:\n%s", out)
	}
	for _, m := range lines {
		if w := displayWidth(m[1]) + len(m[2]) + len(m[3]); w != displayWidth(lines[0][1])+len(lines[0][2])+len(lines[0][3]) {
			t.Errorf("township line %q does not line up with %q", m[0], lines[0][0])
		}
	}
	list, err := runCLI(t, "cases", "list")
	if err != nil {
		t.Fatal(err)
	}
	checkColumns(t, list, "HOUSEHOLD", "LEVEL", "OUTCOME")
	var person string
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[3] == "-" && strings.HasPrefix(f[0], "YJ-") {
			person = f[0]
			break
		}
	}
	if person == "" {
		t.Fatalf("no case without a household in:\n%s", list)
	}
	show, err := runCLI(t, "cases", "show", person)
	if err != nil || !regexp.MustCompile(`(?m)^household 无户籍户号 \(a person's case: \d{6}\*+\d{4}\)  township `).MatchString(show) {
		t.Errorf("cases show %s: %v\n%s", person, err, show)
	}
	for _, args := range [][]string{{"cases", "show", "YJ-20261128-9999"}, {"cases", "extend", "YJ-20261128-9999"},
		{"cases", "reopen", "YJ-20261128-9999", "--reason", "x"}} {
		_, err := runCLI(t, args...)
		wantExit2(t, args, err, "case YJ-20261128-9999: no such case")
	}
}

// checkColumns checks that each of the named header columns starts at the
// same terminal column on every line of a table (a Chinese character
// takes two).
func checkColumns(t *testing.T, table string, columns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	header := lines[0]
	for _, col := range columns {
		i := strings.Index(header, col)
		if i < 0 {
			t.Fatalf("no column %s in %q", col, header)
		}
		field := len(strings.Fields(header[:i])) // the column's index
		want := displayWidth(header[:i])
		for _, l := range lines[1:] {
			loc := regexp.MustCompile(`\S+`).FindAllStringIndex(l, -1)
			if len(loc) <= field || !strings.HasPrefix(l, "YJ-") {
				continue
			}
			if got := displayWidth(l[:loc[field][0]]); got != want {
				t.Errorf("column %s at %d, want %d: %q", col, got, want, l)
			}
		}
	}
}

// A rules directory that is not there is named, with the key that sets
// it, not "open .: no such file or directory"; nothing is done (exit 2).
func TestMissingRulesDirNamed(t *testing.T) {
	tempStore(t)
	dir := filepath.Join(t.TempDir(), "no-rules")
	t.Setenv("LIPWATCH_RULES_DIR", dir)
	for _, args := range [][]string{{"cases", "list"}, {"evaluate", "--dry-run"}} {
		_, err := runCLI(t, args...)
		wantExit2(t, args, err, "rules directory "+dir+" does not exist: rules.dir (\""+dir+"\" in ")
	}
}
