package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/calendar"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/rule"
)

func newRulesCmd(g *globals) *cobra.Command {
	rc := &cobra.Command{Use: "rules", Short: "Analysts' tools: check, test and explain the rule files"}
	var strict bool
	check := &cobra.Command{
		Use:   "check [DIR]",
		Args:  cobra.MaximumNArgs(1),
		Short: "Load and type-check every rule file; report all errors with file:line:col, and warnings (e.g. unguarded division)",
		Long: `Load and type-check every rule file. Errors (exit 1) and warnings are listed with
file:line:col and a caret. A warning does not stop the rules from running: e.g. a division
whose divisor may be 0 (the rule cannot be evaluated for such a person: counted as an
evaluation error in the run summary, never a hit), or a param past its review date
(review_by before --as-of: the night evaluates it as always and lists it in its summary).
A review date within 30 days is a note. Warnings alone exit 0, unless --strict; notes
never change the exit code. DIR is a directory of rule files to check instead of rules.dir
(a working copy).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			dir, err := rulesDirArg(e, args)
			if err != nil {
				return err
			}
			pack, err := rule.Load(dir)
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			factWarns, err := checkFactQueries(cmd.Context(), pack)
			if err != nil {
				return err
			}
			pack.Warnings = append(pack.Warnings, factWarns...)
			day, err := e.day()
			if err != nil {
				return err
			}
			reviewWarns, notes := pack.ReviewWarnings(day)
			pack.Warnings = append(pack.Warnings, reviewWarns...)
			enabled := 0
			for _, r := range pack.Rules {
				if r.Enabled {
					enabled++
				}
			}
			w := cmd.OutOrStdout()
			for _, wn := range pack.Warnings {
				fmt.Fprintln(w, wn)
			}
			for _, n := range notes {
				fmt.Fprintln(w, n)
			}
			verdict := "ok"
			switch n := len(pack.Warnings); {
			case n == 1:
				verdict = "ok with 1 warning"
			case n > 1:
				verdict = fmt.Sprintf("ok with %d warnings", n)
			}
			if n := len(notes); n > 0 {
				sep, plural := " with ", "s"
				if len(pack.Warnings) > 0 {
					sep = " and "
				}
				if n == 1 {
					plural = ""
				}
				verdict += fmt.Sprintf("%s%d note%s", sep, n, plural)
			}
			fmt.Fprintf(w, "%s: %d files, %d fact groups, %d params, %d rules (%d enabled): %s (%s)\n",
				dir, len(pack.Files), len(pack.Groups), len(pack.Params), len(pack.Rules), enabled, verdict, pack.Version)
			if err := checkCalendar(cmd, e); err != nil {
				return err
			}
			if strict && len(pack.Warnings) > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("rules check --strict: %d warnings", len(pack.Warnings))}
			}
			return nil
		},
	}
	check.Flags().BoolVar(&strict, "strict", false, "exit 1 on warnings too")
	rc.AddCommand(check)
	var run string
	test := &cobra.Command{
		Use:   "test [DIR]",
		Args:  cobra.MaximumNArgs(1),
		Short: "Run the tests beside each rule (of DIR, default rules.dir): PASS/FAIL/ERROR with location",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			dir, err := rulesDirArg(e, args)
			if err != nil {
				return err
			}
			pack, err := rule.Load(dir)
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			var re *regexp.Regexp
			if run != "" {
				if re, err = regexp.Compile(run); err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--run: %v", err)}
				}
			}
			w := cmd.OutOrStdout()
			factResults, err := testFacts(cmd.Context(), pack, re)
			if err != nil {
				return err
			}
			failed, passed, errored := 0, 0, 0
			for _, r := range append(factResults, pack.Test(re)...) {
				fmt.Fprintf(w, "%-5s %s:%d: %s / %s", r.Status, r.Pos.File, r.Pos.Line, r.Rule, r.Test)
				if r.Message != "" {
					fmt.Fprintf(w, ": %s", r.Message)
				}
				fmt.Fprintln(w)
				switch r.Status {
				case rule.StatusPass:
					passed++
				case rule.StatusError:
					errored++
				default:
					failed++
				}
			}
			untested := pack.Untested()
			summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
			switch {
			case errored == 1:
				summary += ", 1 error"
			case errored > 1:
				summary += fmt.Sprintf(", %d errors", errored)
			}
			fmt.Fprintln(w, summary)
			fmt.Fprintf(w, "%d rules without tests %v\n", len(untested), untested)
			if re != nil && passed+failed+errored == 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("no test matches --run %q (tests are named RULE-ID/test name, facts.GROUP/test name)", run)}
			}
			if failed+errored > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	test.Flags().StringVar(&run, "run", "", "only tests whose \"RULE-ID/test name\" (a fact test: \"facts.GROUP/test name\") matches this regular expression")
	explain := &cobra.Command{
		Use:   "explain ID_NUMBER",
		Short: "Every fact of a person and their household at --as-of, and each rule's verdict",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, p, day, err := g.openPipeline(cmd, "lipwatch rules explain")
			if err != nil {
				return err
			}
			defer p.Close()
			ev := &evaluate.Evaluator{Store: p.Store, Pack: p.Pack, Logger: e.logger}
			ex, err := ev.Explain(cmd.Context(), day, args[0])
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "rules_explain", ex.IDNumber, map[string]string{"as_of": date(day)}); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !ex.Found {
				fmt.Fprintf(w, "%s: not in any dataset\n", idnum.Mask(ex.IDNumber))
				return nil
			}
			fmt.Fprintf(w, "facts at %s (rule files %s)\n", date(ex.AsOf), p.Pack.Version)
			tw := newTable(w)
			for _, f := range ex.Facts {
				def := ""
				if f.Default {
					def = "(default: no data)"
				}
				fmt.Fprintf(tw, "  %s\t%v\t%s\t%s\n", f.Name, f.Value, def, f.Doc)
			}
			tw.Flush()
			fmt.Fprintln(w, "rules:")
			for _, v := range ex.Verdicts {
				verdict := "miss"
				switch {
				case v.Err != nil:
					verdict = "ERROR: " + v.Err.Error()
				case v.Hit:
					verdict = "HIT  " + v.Reason
				}
				off := ""
				if !v.Rule.Enabled {
					off = " (disabled)"
				}
				fmt.Fprintf(w, "  %-30s %-6s %s%s\n", v.Rule.ID, v.Rule.LevelText(), verdict, off)
				for _, c := range v.Conditions {
					mark, note := "✓", ""
					var ee *rule.EvalError
					switch {
					case errors.As(c.Err, &ee):
						mark, note = "!", " (cannot be evaluated: "+ee.Problem+")"
					case c.Err != nil:
						mark, note = "!", " (cannot be evaluated)"
					case !c.Holds:
						mark = "✗"
					}
					fmt.Fprintf(w, "    %s %s%s\n", mark, c.Text, note)
				}
			}
			return nil
		},
	}
	rc.AddCommand(test, explain, newRulesDiffCmd(g), newRulesBacktestCmd(g), newRulesYieldCmd(g))
	return rc
}

// checkCalendar loads the holiday calendar and says which years it covers;
// deadlines counted in a provisional year, or past the last year, need the
// State Council's notice entered before dispatches reach them.
func checkCalendar(cmd *cobra.Command, e *env) error {
	path := e.cfg.Resolve(e.cfg.Cases.Calendar)
	cal, err := calendar.Load(path)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	day, err := e.day()
	if err != nil {
		return err
	}
	years := cal.Years()
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s: working days for %d-%d\n", path, years[0], years[len(years)-1])
	// A case dispatched today may be extended to about five weeks.
	horizon := day.AddDate(0, 0, 60)
	for y := day.Year(); y <= horizon.Year(); y++ {
		switch {
		case !cal.Covers(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)):
			fmt.Fprintf(w, "warning: %d is not in the calendar: deadlines reaching it will fail; enter the State Council's notice\n", y)
		case cal.Provisional(y):
			fmt.Fprintf(w, "warning: %d is provisional (fixed-date holidays only): enter the State Council's notice\n", y)
		}
	}
	return nil
}

// checkFactQueries checks every fact query as the night runs it, on an
// empty store with the schema (never the county's store, which rules
// check does not open): the sandbox, then the query run read-only, its
// columns against the declared fields. Problems are rule errors (exit 1)
// at their place in facts.yaml; the warnings are returned.
func checkFactQueries(ctx context.Context, pack *rule.Pack) ([]*rule.Warning, error) {
	st, done, err := evaluate.OpenEmptyStore(ctx, "lipwatch rules check")
	if err != nil {
		return nil, err
	}
	defer done()
	errs, warns, err := evaluate.CheckFactQueries(ctx, st, pack)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, &exitError{code: 1, msg: errs.Error()}
	}
	return warns, nil
}

// testFacts runs the tests beside the fact groups on an empty store.
func testFacts(ctx context.Context, pack *rule.Pack, run *regexp.Regexp) ([]rule.TestResult, error) {
	n := 0
	for _, g := range pack.Groups {
		n += len(g.Tests)
	}
	if n == 0 {
		return nil, nil
	}
	st, done, err := evaluate.OpenEmptyStore(ctx, "lipwatch rules test")
	if err != nil {
		return nil, err
	}
	defer done()
	return evaluate.TestFacts(ctx, st, pack, run)
}

// rulesDirArg is the rules directory a command is given (its one
// argument), else the config's rules.dir (exit 2 naming it when it is
// missing).
func rulesDirArg(e *env, args []string) (string, error) {
	if len(args) == 1 {
		if fi, err := os.Stat(args[0]); err != nil || !fi.IsDir() {
			return "", &exitError{code: 2, msg: fmt.Sprintf("%s: not a directory of rule files", args[0])}
		}
		return args[0], nil
	}
	return e.rulesDir()
}
