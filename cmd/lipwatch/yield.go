package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/pipeline"
)

func newRulesYieldCmd(g *globals) *cobra.Command {
	var from, to, township string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "yield [--from YYYY-MM] [--to YYYY-MM] [--township T] [--json]",
		Short: "Warning yield (预警核实成效): how the warnings each rule raised ended — enrolled, aid, stopped, not eligible — per township and month",
		Long: `Counts the warnings raised (cases opened) in the months --from … --to (default: the twelve
months to --as-of) and what became of them by --as-of: closed as enrolled (纳入低保/特困/低边/刚性支出),
aid (临时救助/其他救助), stopped (已停发, an integrity warning confirmed), not eligible (不符合条件) or
unreachable (无法联系); still open, and of those overdue (past the deadline).

yield = (enrolled + aid + stopped) / (those + not eligible), the rules backtest's precision for
the warnings the nights really raised; unreachable is verified but says nothing. With no warning
verified yes or no, there is no yield yet.

A warning is a case carrying a hit of the rule: a household warned by two rules counts under
each; the township and total lines count each household once. Reports from the ground count as
their own rule, GRID-REPORT. A warning belongs to the month its case was opened and the township
it is routed to. Tables: month × township × rule, per township, per rule. Counts only: no ID
number or 户号 is printed. Writes nothing.

--township (a code, a name such as 城关镇, or county for the county's own queue) counts only the
warnings routed there.

Exit status: 0 done, 2 a flag is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var o pipeline.YieldOptions
			var err error
			if from != "" {
				if o.From, err = time.Parse("2006-01", from); err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--from %q: want a month, YYYY-MM", from)}
				}
			}
			if to != "" {
				if o.To, err = time.Parse("2006-01", to); err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--to %q: want a month, YYYY-MM", to)}
				}
			}
			_, p, day, err := g.openPipeline(cmd, "lipwatch rules yield")
			if err != nil {
				return err
			}
			defer p.Close()
			o.AsOf = day
			if township != "" {
				if o.Township, err = p.ResolveTownship(township); err != nil {
					return &exitError{code: 2, msg: "--township: " + err.Error()}
				}
				o.OneTownship = true
			}
			y, err := p.Yield(cmd.Context(), o)
			if errors.Is(err, pipeline.ErrYieldOptions) {
				return &exitError{code: 2, msg: err.Error()}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeYieldJSON(cmd.OutOrStdout(), p, y)
			}
			printYield(cmd.OutOrStdout(), p, y)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first month YYYY-MM (default: eleven months before --to)")
	cmd.Flags().StringVar(&to, "to", "", "last month YYYY-MM (default: the month of --as-of)")
	cmd.Flags().StringVar(&township, "township", "", "only this township: code (9 digits), name (城关镇), or county for the county's own queue")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of tables")
	return cmd
}

// yieldText is a yield as the CLI prints it: the share and its fraction.
func yieldText(c dispatch.YieldCount) string {
	v, ok := c.Yield()
	if !ok {
		return "no verified warnings yet"
	}
	return fmt.Sprintf("%s (%d/%d)", dispatch.YieldPercent(v), c.Confirmed(), c.Decided())
}

// yieldCells are a count's columns, WARNINGS to YIELD, tab-separated.
func yieldCells(c dispatch.YieldCount) string {
	return fmt.Sprintf("%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s", c.Warnings, c.Enrolled, c.Aid, c.Stopped, c.NotEligible,
		c.Unreachable, c.Open, c.Overdue, yieldText(c))
}

const yieldHeader = "WARNINGS\tENROLLED\tAID\tSTOPPED\tNOT ELIGIBLE\tUNREACHABLE\tOPEN\tOVERDUE\tYIELD"

func printYield(w io.Writer, p *pipeline.Pipeline, y *pipeline.Yield) {
	period := y.From + " … " + y.To
	if y.From == y.To {
		period = y.From
	}
	where := "every township"
	if y.OneTownship {
		where = "township " + p.Router.Name(y.Township)
	}
	fmt.Fprintf(w, "warning yield (预警核实成效): warnings raised %s, outcomes as of %s, %s\n", period, y.AsOf.Format(time.DateOnly), where)
	fmt.Fprintln(w, "a household warned by two rules counts under each rule; township and total lines count each household once")
	fmt.Fprintln(w, "yield = (enrolled + aid + stopped) / (those + not eligible); unreachable is verified but left out")
	fmt.Fprintln(w)
	if y.Total.Warnings == 0 {
		fmt.Fprintln(w, "no warning was raised in the period")
	} else {
		tw := newTable(w)
		fmt.Fprintln(tw, "MONTH\tTOWNSHIP\tRULE\t"+yieldHeader)
		for _, r := range y.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Month, p.Router.Name(r.Township), r.Rule, yieldCells(r.YieldCount))
		}
		tw.Flush()
		fmt.Fprintln(w)
		tw = newTable(w)
		fmt.Fprintln(tw, "TOWNSHIP\t"+yieldHeader)
		for _, r := range y.Townships {
			fmt.Fprintf(tw, "%s\t%s\n", p.Router.Name(r.Township), yieldCells(r.YieldCount))
		}
		fmt.Fprintf(tw, "%s\t%s\n", "all (households)", yieldCells(y.Total))
		tw.Flush()
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "RULE\t"+yieldHeader)
	for _, r := range y.Rules {
		fmt.Fprintf(tw, "%s\t%s\n", r.Rule, yieldCells(r.YieldCount))
	}
	fmt.Fprintf(tw, "%s\t%s\n", "all rules (households)", yieldCells(y.Total))
	tw.Flush()
}

// yieldJSON is the --json shape: counts only, no ID number or 户号.
type yieldJSON struct {
	From     string `json:"from"`
	To       string `json:"to"`
	AsOf     string `json:"as_of"`
	Township *struct {
		Code string `json:"code"` // "" for the county's own queue
		Name string `json:"name"`
	} `json:"township,omitempty"`
	PerRule     []yieldRuleJSON  `json:"per_rule"`
	PerTownship []yieldTownJSON  `json:"per_township"`
	Total       yieldCounts      `json:"total"`
	Months      []yieldMonthJSON `json:"months"`
}

// yieldCounts are one line's counts; Yield (a share, four decimals) is
// null when Decided is 0.
type yieldCounts struct {
	Warnings    int      `json:"warnings"`
	Enrolled    int      `json:"enrolled"`
	Aid         int      `json:"aid"`
	Stopped     int      `json:"stopped"`
	NotEligible int      `json:"not_eligible"`
	Unreachable int      `json:"unreachable"`
	Open        int      `json:"open"`
	Overdue     int      `json:"overdue"`
	Decided     int      `json:"decided"` // the yield's denominator: enrolled + aid + stopped + not eligible
	Yield       *float64 `json:"yield"`
}

type yieldRuleJSON struct {
	Rule  string `json:"rule"`
	Title string `json:"title"`
	yieldCounts
}

type yieldTownJSON struct {
	Township     string `json:"township"` // "" for the county's own queue
	TownshipName string `json:"township_name"`
	yieldCounts
}

type yieldMonthJSON struct {
	Month        string `json:"month"`
	Township     string `json:"township"`
	TownshipName string `json:"township_name"`
	Rule         string `json:"rule"`
	yieldCounts
}

func toYieldCounts(c dispatch.YieldCount) yieldCounts {
	out := yieldCounts{Warnings: c.Warnings, Enrolled: c.Enrolled, Aid: c.Aid, Stopped: c.Stopped, NotEligible: c.NotEligible,
		Unreachable: c.Unreachable, Open: c.Open, Overdue: c.Overdue, Decided: c.Decided()}
	if v, ok := c.Yield(); ok {
		// Four decimals: a longer run of digits would be taken for an
		// ID or phone number and masked on the way out.
		v = math.Round(v*1e4) / 1e4
		out.Yield = &v
	}
	return out
}

func writeYieldJSON(w io.Writer, p *pipeline.Pipeline, y *pipeline.Yield) error {
	out := yieldJSON{From: y.From, To: y.To, AsOf: y.AsOf.Format(time.DateOnly), Total: toYieldCounts(y.Total),
		PerRule: []yieldRuleJSON{}, PerTownship: []yieldTownJSON{}, Months: []yieldMonthJSON{}}
	if y.OneTownship {
		out.Township = &struct {
			Code string `json:"code"`
			Name string `json:"name"`
		}{y.Township, p.Router.Name(y.Township)}
	}
	for _, r := range y.Rules {
		out.PerRule = append(out.PerRule, yieldRuleJSON{Rule: r.Rule, Title: r.Title, yieldCounts: toYieldCounts(r.YieldCount)})
	}
	for _, r := range y.Townships {
		out.PerTownship = append(out.PerTownship, yieldTownJSON{Township: r.Township, TownshipName: p.Router.Name(r.Township),
			yieldCounts: toYieldCounts(r.YieldCount)})
	}
	for _, r := range y.Rows {
		out.Months = append(out.Months, yieldMonthJSON{Month: r.Month, Township: r.Township, TownshipName: p.Router.Name(r.Township),
			Rule: r.Rule, yieldCounts: toYieldCounts(r.YieldCount)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
