package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/pipeline"
)

func newSourcesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List the configured sources and their last load",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch sources")
			if err != nil {
				return err
			}
			defer st.Close()
			statuses, err := st.SourceStatuses(cmd.Context())
			if err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "SOURCE\tKIND\tDATASET\tENABLED\tROWS\tQUARANTINED\tLAST SYNC\tFILES\tLOADED\tSTATUS")
			for _, n := range e.cfg.SourceNames() {
				sc := e.cfg.Sources[n]
				stt, ok := statuses[n]
				last, status := "never", "-"
				if ok {
					last = stt.LastSync.In(e.cfg.Location()).Format(time.DateTime)
					status = stt.Status
					if stt.Error != "" {
						status += ": " + stt.Error
					}
				}
				rows, err := st.CountRows(cmd.Context(), sc.Dataset, n)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%d\t%s\t%d\t%d\t%s\n", n, sc.Kind, sc.Dataset, sc.IsEnabled(),
					rows, stt.Quarantined, last, stt.Streams, stt.Loaded, status)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(newSourcesCheckCmd(g), newSourcesReportCmd(g))
	return cmd
}

func newSourcesReportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "report",
		Short: "Source health, rules held back, and the data-quality guards (exit 3 when something needs attention)",
		Long: `Judges every enabled source as its data stands now (failed, degraded: a file mostly
quarantined or without data rows, never loaded), lists the rules that would be held back
tonight because of it, and runs the cross-source data-quality guards: the share of each
source's ID numbers that match no registry person, of its 户号 that join no registry
household, registry households spread over several townships or villages, and files with far
fewer rows than their baseline. Thresholds are in config (quality:). Writes nothing.
Exit status 3 when a source is not ok or a guard is past its threshold.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch sources report")
			if err != nil {
				return err
			}
			defer st.Close()
			p := &pipeline.Pipeline{Cfg: e.cfg, Store: st, Logger: e.logger}
			w := cmd.OutOrStdout()
			if pack, _, err := pipeline.LoadRules(e.cfg); err == nil {
				p.Pack = pack
			} else {
				fmt.Fprintf(w, "rules not loaded, so held-back rules are not shown: %v\n\n", err)
			}
			h, err := p.CheckHealth(cmd.Context())
			if err != nil {
				return err
			}
			printReport(w, h, e.cfg.Quality)
			if len(h.Degraded()) > 0 || len(h.Warnings()) > 0 {
				return &exitError{code: exitDegraded}
			}
			return nil
		},
	}
}

// printReport writes the health report: sources, rules held back, guards.
func printReport(w io.Writer, h *pipeline.Health, q config.Quality) {
	tw := newTable(w)
	fmt.Fprintln(tw, "SOURCE\tDATASET\tHEALTH\tROWS\tWHY")
	for _, s := range h.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.Source, s.Dataset, s.Status, s.Rows, strings.Join(s.Reasons, "; "))
	}
	tw.Flush()
	if len(h.Held) > 0 {
		fmt.Fprintln(w, "\nrules held back tonight (no new warnings until their sources are ok):")
		printHolds(w, h.Held, nil)
	}
	for _, ds := range slices.Sorted(maps.Keys(h.Gaps)) {
		people, households := 0, 0
		for k := range h.Gaps[ds] {
			if strings.HasPrefix(k, "P:") {
				people++
			} else {
				households++
			}
		}
		fmt.Fprintf(w, "\nheld back from the rules reading %s: %d people, %d households (their own rows are in quarantine: lipwatch quarantine list)\n",
			ds, people, households)
	}
	fmt.Fprintf(w, "\ndata-quality guards (config quality: unmatched_ids_pct %d, unjoined_households_pct %d, split_households %d, row_drop_pct %d):\n",
		q.UnmatchedIDsPct, q.UnjoinedHouseholdsPct, q.SplitHouseholds, q.RowDropPct)
	tw = newTable(w)
	fmt.Fprintln(tw, "SOURCE\tGUARD\tSTATE\tMEASURE")
	for _, f := range h.Findings {
		src, state := f.Source, "ok"
		if src == "" {
			src = "(registry)"
		}
		if f.Warn {
			state = "WARN"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", src, f.Guard, state, f.Text)
	}
	tw.Flush()
}
