package main

import (
	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/pipeline"
)

func newEvaluateCmd(g *globals) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Compute facts, run the rules and update warning cases",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, day, err := g.openPipeline(cmd, "lipwatch evaluate")
			if err != nil {
				return err
			}
			defer p.Close()
			var r *evaluate.Result
			err = p.Ledgered(cmd.Context(), "evaluate", day, func() (any, error) {
				var err error
				if r, err = p.Evaluate(cmd.Context(), day, dry); err != nil {
					return nil, err
				}
				return map[string]any{"dry_run": dry, "people": r.People, "hits": r.HitsByRule,
					"new": len(r.Plan.New), "updated": len(r.Plan.Updated), "suppressed": len(r.Plan.Suppressed)}, nil
			})
			if err != nil {
				return err
			}
			printEvaluate(cmd.OutOrStdout(), p, r)
			if dry {
				cmd.Println("dry run: nothing was written")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "report what would change without writing")
	return cmd
}

func newDispatchCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "dispatch",
		Short: "Write per-township alert lists (xlsx, csv) and the county summary",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, day, err := g.openPipeline(cmd, "lipwatch dispatch")
			if err != nil {
				return err
			}
			defer p.Close()
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
	return cmd
}
