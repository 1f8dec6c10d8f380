package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/gen"
)

func newGenCmd() *cobra.Command {
	var (
		seed       int64
		households int
		asOf       string
		out        string
		medical    int
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a synthetic county (deterministic from --seed) or a large medical CSV for benchmarks",
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := time.Parse(time.DateOnly, asOf)
			if err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("--as-of %q: want YYYY-MM-DD", asOf)}
			}
			start := time.Now()
			if medical > 0 {
				if err := writeMedical(out, medical, seed, day); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %d medical rows to %s in %s\n", medical, out, time.Since(start).Round(time.Millisecond))
				return nil
			}
			truth, err := gen.Generate(cmd.Context(), gen.Options{Seed: seed, Households: households, AsOf: day, Dir: out})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote county to %s in %s: %d households, %d planted, %d bad rows, %d rows with an unusable ID kept for identity resolution\n",
				out, time.Since(start).Round(time.Millisecond), households, total(truth.Counts.Planted), total(truth.Counts.BadRows), total(truth.Counts.Unresolved))
			return nil
		},
	}
	f := cmd.Flags()
	f.Int64Var(&seed, "seed", 1, "random seed: the same seed writes the same bytes")
	f.IntVar(&households, "households", 5000, "number of households")
	f.StringVar(&asOf, "as-of", time.Now().In(shanghai()).Format(time.DateOnly), "date the county's situations are relative to (YYYY-MM-DD)")
	f.StringVar(&out, "out", "county", "output directory (or file, with --medical-rows)")
	f.IntVar(&medical, "medical-rows", 0, "instead of a county, write one medical CSV with this many rows to --out")
	return cmd
}
