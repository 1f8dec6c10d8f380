package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/pipeline"
)

func newSyncCmd(g *globals) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "sync [--full] [SOURCE...]",
		Short: "Pull sources into the store (all enabled sources when none is named)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if full && len(args) == 0 {
				return &exitError{code: 2, msg: "--full re-reads the sources you name: give at least one (lipwatch sources lists them)"}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			results, err := e.sync(cmd.Context(), args, full, "lipwatch sync")
			if err != nil && err != errInterrupted {
				return err
			}
			printSync(cmd.OutOrStdout(), results)
			return err
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "read the named sources from the start: unchanged files and saved watermarks are ignored; rows already loaded are still skipped")
	return cmd
}

// sync runs the named sources (or all) and returns their results. Failed
// sources are results, not errors: the command still exits 0 and the
// summary says which failed. An interrupted sync (SIGINT, SIGTERM) is an
// error once the summary of what was done has been printed by the caller.
func (e *env) sync(ctx context.Context, names []string, full bool, holder string) ([]ingest.Result, error) {
	st, err := e.openStore(ctx, holder)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	p := &pipeline.Pipeline{Cfg: e.cfg, Store: st, Logger: e.logger, Progress: newProgress(e.logger).report}
	results, err := p.Sync(ctx, names, full)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	if ctx.Err() != nil {
		return results, errInterrupted
	}
	return results, nil
}

// errInterrupted ends a command stopped by a signal, with the shell's
// conventional status for SIGINT.
var errInterrupted = &exitError{code: 130, msg: "interrupted: sources not yet synced are marked failed in the ledger; run again to finish"}

// printSync writes the per-source summary a person reads after a sync.
func printSync(w io.Writer, results []ingest.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tDATASET\tFILES\tUNCHANGED\tREAD\tLOADED\tDUPLICATES\tQUARANTINED\tSTATUS")
	var failed int
	for _, r := range results {
		read, loaded, dup, quar := r.Totals()
		status := "ok"
		if r.Err != nil {
			status = "FAILED"
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Source, r.Dataset, len(r.Loads), r.Unchanged, read, loaded, dup, quar, status)
	}
	tw.Flush()
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(w, "  %v\n", r.Err) // names its source
			continue
		}
		if len(r.Reasons) > 0 {
			var parts []string
			for i, rc := range r.Reasons {
				if i == 3 {
					parts = append(parts, fmt.Sprintf("... %d more reasons", len(r.Reasons)-3))
					break
				}
				what := rc.Code
				if rc.Column != "" {
					what += " in " + rc.Column
				}
				parts = append(parts, fmt.Sprintf("%d %s", rc.Count, what))
			}
			fmt.Fprintf(w, "  %s quarantined: %s\n", r.Source, strings.Join(parts, "; "))
		}
		if len(r.Unmapped) > 0 {
			fmt.Fprintf(w, "  %s ignored columns: %s\n", r.Source, strings.Join(r.Unmapped, ", "))
		}
		var replaced int64
		for _, l := range r.Loads {
			replaced += l.Replaced
		}
		if replaced > 0 {
			fmt.Fprintf(w, "  %s replaced %d loaded rows with corrected versions (on_conflict: replace)\n", r.Source, replaced)
		}
	}
	switch {
	case failed > 0 && failed < len(results):
		fmt.Fprintf(w, "%d of %d sources failed; the others were synced.\n", failed, len(results))
	case failed > 0:
		fmt.Fprintf(w, "%d of %d sources failed.\n", failed, len(results))
	}
}
