package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/rule"
)

func newRulesBacktestCmd(g *globals) *cobra.Command {
	var from, to, every, rulesFrom, data string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "backtest --from YYYY-MM-DD [--to YYYY-MM-DD] [--every 7d] [--rules DIR|REV]",
		Short: "Replay the rules at past dates over the data as known then: warnings per month, township and rule, and how the verified ones ended; writes nothing",
		Long: `Evaluates the rules at --from, every --every after it, and --to (default --as-of, today),
each time over the rows the store had loaded by the end of that day (county time) and with the
params in force that day; writes nothing.

A warning is raised on a date when a rule fires for a household that it did not fire for on the
date before (the first date is compared with one more, --every before --from: what already fired
then is "standing", not raised in the period). No rule is held and no suppression applies: this
is what the rules say, not what the night would have let through.

Each raised warning is set beside what the townships found: the household's case that was open on
that date, else the first opened after it, and its outcome — enrolled (纳入低保/特困/低边/刚性支出),
aid (临时救助/其他救助), stopped (已停发), not eligible (不符合条件), unreachable (无法联系) —,
still open, or never listed. Precision = (enrolled + aid + stopped) / (those + not eligible).

--data now reads every row the store holds now at every date (the facts' windows still count only
records dated on or before it; a record that arrived late counts early): for a store whose history
was loaded in one go, where --data then (the default) finds nothing before that day.

--rules replays other rule files than the working ones (rules.dir): a directory, or a git
revision of the rules directory (HEAD: as last committed) — run it twice to compare a change.

Rows loaded before a date are what the store knew then. A row sent again unchanged counts from
its first load; a corrected row (on_conflict: replace) from the first load of the row it
corrects, with the corrected values. A store restored from a backup or filled by one full load
knows everything from that day only: replay dates before it find nothing (the table of dates
says how many rows were known; see --data now).

Exit status: 0 done, 2 a flag or rule file is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return &exitError{code: 2, msg: "--from YYYY-MM-DD is required"}
			}
			start, err := time.Parse(time.DateOnly, from)
			if err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("--from %q: want YYYY-MM-DD", from)}
			}
			step, err := connectors.ParseDuration(every)
			if err != nil || step <= 0 || step%(24*time.Hour) != 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--every %q: want a whole number of days, such as 7d, 2w or 30d", every)}
			}
			if data != "then" && data != "now" {
				return &exitError{code: 2, msg: fmt.Sprintf("--data %q: want then (the rows loaded by each date) or now (every row held now)", data)}
			}
			e, p, day, err := g.openPipeline(cmd, "lipwatch rules backtest")
			if err != nil {
				return err
			}
			defer p.Close()
			end := day
			if to != "" {
				if end, err = time.Parse(time.DateOnly, to); err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--to %q: want YYYY-MM-DD", to)}
				}
			}
			if end.Before(start) {
				return &exitError{code: 2, msg: fmt.Sprintf("--to %s is before --from %s", end.Format(time.DateOnly), from)}
			}
			var pack *rule.Pack
			source := e.cfg.Resolve(e.cfg.Rules.Dir)
			if rulesFrom != "" {
				if pack, source, err = loadLiveRules(source, rulesFrom, "--rules"); err != nil {
					return &exitError{code: 2, msg: err.Error()}
				}
			}
			errw := cmd.ErrOrStderr()
			bt, err := p.Backtest(cmd.Context(), pipeline.BacktestOptions{From: start, To: end, EveryDays: int(step / (24 * time.Hour)),
				Pack: pack, AllData: data == "now", Progress: func(d time.Time, i, n int) {
					if i > 0 {
						fmt.Fprintf(errw, "evaluating %s (%d of %d)\n", d.Format(time.DateOnly), i, n)
					}
				}})
			if errors.Is(err, pipeline.ErrBacktestOptions) {
				return &exitError{code: 2, msg: err.Error()}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeBacktestJSON(cmd.OutOrStdout(), p, bt, source)
			}
			printBacktest(cmd.OutOrStdout(), p, bt, source)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first evaluation date YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&to, "to", "", "last evaluation date YYYY-MM-DD (default --as-of: today)")
	cmd.Flags().StringVar(&every, "every", "7d", "days between evaluation dates (7d, 2w, 30d)")
	cmd.Flags().StringVar(&rulesFrom, "rules", "", "replay these rule files instead of the working ones: a directory or a git revision of the rules directory")
	cmd.Flags().StringVar(&data, "data", "then", "then: each date reads the rows loaded by its end; now: every row the store holds now")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of tables")
	return cmd
}

func printBacktest(w io.Writer, p *pipeline.Pipeline, bt *pipeline.Backtest, source string) {
	data := "data as loaded by the end of each date"
	if bt.AllData {
		data = "all the data held now (--data now)"
	}
	fmt.Fprintf(w, "rules backtest %s … %s every %d days (%d evaluation dates), rules %s, %s\n\n",
		bt.From.Format(time.DateOnly), bt.To.Format(time.DateOnly), bt.EveryDays, len(bt.Dates)-1, source, data)
	tw := newRightTable(w)
	fmt.Fprintln(tw, "DATE\tROWS KNOWN\tPEOPLE\tHOUSEHOLDS WITH HITS\tRAISED\t")
	for _, d := range bt.Dates {
		raised := fmt.Sprint(d.Raised)
		if d.Warmup {
			raised = "(standing)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", d.Day.Format(time.DateOnly), d.Rows, d.People, d.Hits, raised)
	}
	tw.Flush()
	if !bt.AllData && bt.Dates[len(bt.Dates)-1].Rows == 0 {
		fmt.Fprintf(w, "note: nothing had been loaded by %s: ", bt.To.Format(time.DateOnly))
		if bt.FirstLoad.IsZero() {
			fmt.Fprintln(w, "the store holds no data")
		} else {
			fmt.Fprintf(w, "the store's oldest row was loaded on %s; --data now replays the dates over every row held now\n",
				bt.FirstLoad.In(p.Cfg.Location()).Format(time.DateOnly))
		}
	} else if !bt.AllData && bt.Dates[0].Rows == 0 {
		fmt.Fprintf(w, "note: the store's oldest row was loaded on %s: the dates before it know nothing\n",
			bt.FirstLoad.In(p.Cfg.Location()).Format(time.DateOnly))
	}
	fmt.Fprintln(w)
	if len(bt.Rows) == 0 {
		fmt.Fprintln(w, "no warning would have been raised in the period")
	} else {
		tw = newTable(w)
		fmt.Fprintln(tw, "MONTH\tTOWNSHIP\tRULE\tRAISED\tENROLLED\tAID\tSTOPPED\tNOT ELIGIBLE\tUNREACHABLE\tOPEN\tNEVER LISTED")
		for _, r := range bt.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.Month, p.Router.Name(r.Township), r.Rule, r.Warnings,
				r.Enrolled, r.Aid, r.Stopped, r.NotEligible, r.Unreachable, r.Open, r.Unlisted)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "RULE\tSTANDING\tRAISED\tVERIFIED\tCONFIRMED\tNOT ELIGIBLE\tPRECISION\tOPEN\tNEVER LISTED")
	for _, r := range bt.Rules {
		prec := "-"
		if v, ok := r.Yield(); ok {
			prec = fmt.Sprintf("%.0f%% (%d/%d)", 100*v, r.Confirmed(), r.Decided())
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\n", r.Rule, bt.Standing[r.Rule], r.Warnings, r.Closed(), r.Confirmed(),
			r.NotEligible, prec, r.Open, r.Unlisted)
	}
	tw.Flush()
}

// backtestJSON is the --json shape: counts only, no ID number or 户号.
type backtestJSON struct {
	From      string           `json:"from"`
	To        string           `json:"to"`
	EveryDays int              `json:"every_days"`
	Data      string           `json:"data"`
	Rules     string           `json:"rules"`
	Dates     []backtestDate   `json:"dates"`
	Standing  map[string]int   `json:"standing"`
	Months    []backtestCounts `json:"months"`
	PerRule   []backtestCounts `json:"per_rule"`
}

type backtestDate struct {
	Day    string `json:"day"`
	Warmup bool   `json:"warmup,omitempty"`
	Rows   int64  `json:"rows_known"`
	People int    `json:"people"`
	Hits   int    `json:"households_with_hits"`
	Raised int    `json:"raised"`
}

type backtestCounts struct {
	Month        string   `json:"month,omitempty"`
	Township     string   `json:"township,omitempty"`
	TownshipName string   `json:"township_name,omitempty"`
	Rule         string   `json:"rule"`
	Raised       int      `json:"raised"`
	Enrolled     int      `json:"enrolled"`
	Aid          int      `json:"aid"`
	Stopped      int      `json:"stopped"`
	NotEligible  int      `json:"not_eligible"`
	Unreachable  int      `json:"unreachable"`
	Open         int      `json:"open"`
	NeverListed  int      `json:"never_listed"`
	Precision    *float64 `json:"precision,omitempty"`
}

func writeBacktestJSON(w io.Writer, p *pipeline.Pipeline, bt *pipeline.Backtest, source string) error {
	out := backtestJSON{From: bt.From.Format(time.DateOnly), To: bt.To.Format(time.DateOnly), EveryDays: bt.EveryDays, Data: "then",
		Rules: source, Standing: bt.Standing, Months: []backtestCounts{}, PerRule: []backtestCounts{}}
	if bt.AllData {
		out.Data = "now"
	}
	for _, d := range bt.Dates {
		out.Dates = append(out.Dates, backtestDate{Day: d.Day.Format(time.DateOnly), Warmup: d.Warmup, Rows: d.Rows, People: d.People,
			Hits: d.Hits, Raised: d.Raised})
	}
	counts := func(r pipeline.BacktestRow) backtestCounts {
		c := backtestCounts{Month: r.Month, Rule: r.Rule, Raised: r.Warnings, Enrolled: r.Enrolled, Aid: r.Aid,
			Stopped: r.Stopped, NotEligible: r.NotEligible, Unreachable: r.Unreachable, Open: r.Open, NeverListed: r.Unlisted}
		if r.Month != "" {
			c.Township, c.TownshipName = r.Township, p.Router.Name(r.Township)
		}
		if v, ok := r.Yield(); ok {
			c.Precision = &v
		}
		return c
	}
	for _, r := range bt.Rows {
		out.Months = append(out.Months, counts(r))
	}
	for _, r := range bt.Rules {
		out.PerRule = append(out.PerRule, counts(r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
