package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newEvaluateCmd(g *globals) *cobra.Command {
	var dry, full bool
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Compute facts, run the rules and update warning cases",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, day, err := g.openPipeline(cmd, "lipwatch evaluate")
			if err != nil {
				return err
			}
			defer p.Close()
			p.Full = full
			var r *evaluate.Result
			err = p.Ledgered(cmd.Context(), "evaluate", day, func() (any, error) {
				var err error
				if r, err = p.Evaluate(cmd.Context(), day, dry); err != nil {
					return nil, err
				}
				return map[string]any{"dry_run": dry, "people": r.People, "hits": r.HitsByRule, "eval_errors": r.EvalErrors,
					"new": len(r.Plan.New), "updated": len(r.Plan.Updated), "suppressed": len(r.Plan.Suppressed)}, nil
			})
			if err != nil {
				return err
			}
			printEvaluate(cmd.OutOrStdout(), p, r) // with the rules held back, as the nightly summary
			printPastReview(cmd.OutOrStdout(), p.ParamsPastReview(day))
			if dry {
				cmd.Println("dry run: nothing was written")
			}
			// As run does: a fact group that failed on the data held its
			// rules back, which a cron wrapper must be able to see.
			return factFailuresError(r)
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "report what would change without writing")
	cmd.Flags().BoolVar(&full, "full", false, "evaluate everyone, even when no data changed since the last evaluation")
	return cmd
}

func newDispatchCmd(g *globals) *cobra.Command {
	var all bool
	var rewrite string
	cmd := &cobra.Command{
		Use:   "dispatch",
		Short: "Write per-township alert lists (xlsx, csv) and the county summary",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, day, err := g.openPipeline(cmd, "lipwatch dispatch")
			if err != nil {
				return err
			}
			defer p.Close()
			if rewrite != "" {
				if all {
					return &exitError{code: 2, msg: "--rewrite writes a batch's files again; --all makes a new batch: give one of them"}
				}
				d, err := p.Rewrite(cmd.Context(), rewrite)
				if errors.Is(err, store.ErrNoBatch) {
					return &exitError{code: 2, msg: err.Error()}
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rewrote dispatch batch %s: %d files in %s (%d open cases, deadlines as given)\n",
					d.Batch, len(d.Files), d.Dir, d.Cases)
				return nil
			}
			var d *pipeline.DispatchResult
			err = p.Ledgered(cmd.Context(), "dispatch", day, func() (any, error) {
				var err error
				if d, err = p.Dispatch(cmd.Context(), day, all); err != nil {
					return nil, err
				}
				return map[string]any{"all": all, "cases": d.Cases, "new": d.New, "changed": d.Changed,
					"townships": d.Townships, "overdue": d.Overdue}, nil
			})
			if err != nil {
				return err
			}
			printDispatch(cmd.OutOrStdout(), p, d)
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list every open case, not only new or changed ones")
	cmd.Flags().StringVar(&rewrite, "rewrite", "", "write a written batch's files again under the same names (a lost or deleted list), e.g. PD-20261128-1")
	return cmd
}

// printEvaluation writes an evaluation's summary: people evaluated, hits
// and evaluation errors per enabled rule, a line per rule that could not
// be evaluated for some people (with the place and a fix, no personal
// data), and new and updated cases per township.
func printEvaluation(w io.Writer, p *pipeline.Pipeline, r *evaluate.Result) {
	fmt.Fprintf(w, "evaluated %d people at %s in %s (facts %s, rules %s)\n", r.People, r.AsOf.Format(time.DateOnly),
		r.Total.Round(time.Millisecond), r.Facts.Round(time.Millisecond), r.Rules.Round(time.Millisecond))
	switch {
	case r.Incremental && len(r.Appended) > 0:
		fmt.Fprintf(w, "only rows added since the evaluation of %s (%s): evaluated again the %d people they and the date reached (with their households), the others' hits kept (--full evaluates everyone)\n",
			r.Since.Format(time.DateOnly), strings.Join(slices.Sorted(maps.Keys(r.Appended)), ", "), r.Reached)
	case r.Incremental:
		fmt.Fprintf(w, "no data changed since the evaluation of %s: evaluated again the %d people the date reached (with their households), the others' hits kept (--full evaluates everyone)\n",
			r.Since.Format(time.DateOnly), r.Reached)
	case r.FullWhy != "" && r.FullWhy != evaluate.WhyFull:
		fmt.Fprintf(w, "evaluated everyone: %s\n", r.FullWhy)
	}
	if r.NotKept != "" {
		fmt.Fprintf(w, "not kept for an incremental night: %s; the next night evaluates everyone\n", r.NotKept)
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "RULE\tLEVEL\tHITS\tERRORS\tTITLE")
	for _, rl := range p.Pack.Rules {
		if rl.Enabled {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", rl.ID, rl.LevelText(), r.HitsByRule[rl.ID], r.EvalErrors[rl.ID], rl.Title)
		}
	}
	tw.Flush()
	for _, rl := range p.Pack.Rules {
		if n := r.EvalErrors[rl.ID]; n > 0 {
			people := "people"
			if n == 1 {
				people = "person"
			}
			fmt.Fprintf(w, "%s: %d %s could not be evaluated: %s\n", rl.ID, n, people, r.EvalErrorSample[rl.ID].Text())
		}
	}
	perTown := map[string][2]int{}
	for _, c := range r.Plan.New {
		n := perTown[p.Router.Township(c.TownshipCode)]
		n[0]++
		perTown[p.Router.Township(c.TownshipCode)] = n
	}
	for _, c := range r.Plan.Updated {
		n := perTown[p.Router.Township(c.TownshipCode)]
		n[1]++
		perTown[p.Router.Township(c.TownshipCode)] = n
	}
	fmt.Fprintf(w, "cases: %d new, %d updated, %d unchanged, %d hits suppressed after closing\n",
		len(r.Plan.New), len(r.Plan.Updated), len(r.Plan.Refreshed), len(r.Plan.Suppressed))
	var towns []string
	for t := range perTown {
		towns = append(towns, t)
	}
	sort.Strings(towns)
	// Aligned as the terminal draws the townships' Chinese names.
	tw = newTable(w)
	for _, t := range towns {
		fmt.Fprintf(tw, "  %s\t%3d new\t%3d updated\n", p.Router.Name(t), perTown[t][0], perTown[t][1])
	}
	tw.Flush()
}
