package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/pipeline"
)

func newSyncCmd(g *globals) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "sync [--full] [SOURCE...]",
		Short: "Pull sources into the store (all enabled sources when none is named)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if full && len(args) == 0 {
				return &exitError{code: 2, msg: "--full re-reads the sources you name: give at least one (lipwatch sources lists them)"}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			results, health, err := e.sync(cmd.Context(), args, full, "lipwatch sync")
			if err != nil && err != errInterrupted && results == nil {
				return err
			}
			printSync(cmd.OutOrStdout(), results, health)
			if err != nil {
				return err
			}
			return degradedError(results, health, len(args) == 0)
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "read the named sources from the start: unchanged files and saved watermarks are ignored; rows already loaded are still skipped")
	return cmd
}

// sync runs the named sources (or all) and returns their results and the
// health of the store's data afterwards. Failed sources are results, not
// errors; the caller turns them into exit status 3 once the summary is
// printed. An interrupted sync (SIGINT, SIGTERM) is an error once the
// summary of what was done has been printed by the caller.
func (e *env) sync(ctx context.Context, names []string, full bool, holder string) ([]ingest.Result, *pipeline.Health, error) {
	st, err := e.openStore(ctx, holder)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	p := &pipeline.Pipeline{Cfg: e.cfg, Store: st, Logger: e.logger, Progress: newProgress(e.logger, e.stderr).report}
	results, err := p.Sync(ctx, names, full)
	if err != nil {
		return nil, nil, &exitError{code: 2, msg: err.Error()}
	}
	if ctx.Err() != nil {
		return results, nil, errInterrupted
	}
	health, err := p.CheckHealth(ctx)
	if err != nil {
		return results, nil, err
	}
	return results, health, nil
}

// errInterrupted ends a command stopped by a signal, with the shell's
// conventional status for SIGINT.
var errInterrupted = &exitError{code: 130, msg: "interrupted: sources not yet synced are marked failed in the ledger; run again to finish"}

// exitDegraded is the status of a sync or run that finished with a source
// failed or degraded: the job did its work, the data is incomplete, and the
// summary says which sources and which rules were held back.
const exitDegraded = 3

// degradedError returns the exit error when a source is not ok, tonight
// (results) or as its data stands (health: a file mostly quarantined on an
// earlier night and unchanged since), or nil. Unless all, only the sources
// in results count.
func degradedError(results []ingest.Result, health *pipeline.Health, all bool) error {
	seen := map[string]bool{}
	var bad []string
	for _, r := range results {
		if st := r.Status(); st != ingest.StatusOK {
			seen[r.Source] = true
			bad = append(bad, r.Source+" "+st)
		}
	}
	synced := map[string]bool{}
	for _, r := range results {
		synced[r.Source] = true
	}
	if health != nil {
		for _, s := range health.Degraded() {
			// A sync of named sources answers for those alone.
			if !seen[s.Source] && (synced[s.Source] || all) {
				bad = append(bad, s.Source+" "+s.Status)
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &exitError{code: exitDegraded, msg: "finished, but not every source is ok: " + strings.Join(bad, ", ") +
		" (exit status 3; the summary says why)"}
}

// printSync writes the per-source summary a person reads after a sync:
// counts, status, why a source is not ok, quarantine reasons, what the
// readers noticed, and the data-quality warnings.
func printSync(w io.Writer, results []ingest.Result, health *pipeline.Health) {
	tw := newTable(w)
	fmt.Fprintln(tw, "SOURCE\tDATASET\tFILES\tUNCHANGED\tREAD\tLOADED\tDUPLICATES\tQUARANTINED\tSTATUS")
	var failed, degraded int
	for _, r := range results {
		read, loaded, dup, quar := r.Totals()
		status := "ok"
		switch r.Status() {
		case ingest.StatusFailed:
			status = "FAILED"
			failed++
		case ingest.StatusDegraded:
			status = "DEGRADED"
			degraded++
		}
		files := len(r.Loads) + len(r.Failed)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Source, r.Dataset, files, r.Unchanged, read, loaded, dup, quar, status)
	}
	tw.Flush()
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(w, "  %v\n", r.Err) // names its source
			continue
		}
		for _, p := range r.Problems() {
			fmt.Fprintf(w, "  %s degraded: %s\n", r.Source, p)
		}
		if len(r.Reasons) > 0 {
			fmt.Fprintf(w, "  %s quarantined: %s\n", r.Source, reasonList(r.Reasons))
		}
		if n := r.UnresolvedRows(); n > 0 {
			fmt.Fprintf(w, "  %s kept %s with an unusable ID number for identity resolution (身份证号无法使用，待身份识别; loaded, joining no person until linked): %s\n",
				r.Source, plural(int(n), "row", "rows"), reasonList(r.Unresolved))
		}
		if len(r.Unmapped) > 0 {
			fmt.Fprintf(w, "  %s ignored columns: %s\n", r.Source, columnList(r.Unmapped))
		}
		if r.Reconcile != nil {
			fmt.Fprintf(w, "  %s: %v\n", r.Source, r.Reconcile)
		}
		var replaced int64
		for _, l := range r.Loads {
			replaced += l.Replaced
			for _, n := range l.Notes {
				fmt.Fprintf(w, "  %s note: %s: %s\n", r.Source, l.Stream, n.Text)
			}
		}
		if ingest.IsOrdered(r.Dataset) && len(r.Loads) > 1 {
			var names []string
			for _, l := range r.Loads {
				names = append(names, l.Stream)
			}
			fmt.Fprintf(w, "  %s: %d files loaded in this order, the last one's states winning (check it when names do not sort by date): %s\n",
				r.Source, len(names), strings.Join(names, ", "))
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
	if degraded > 0 {
		fmt.Fprintf(w, "%d of %d sources degraded: part of their data did not load.\n", degraded, len(results))
	}
	if health != nil {
		printHealthWarnings(w, health)
	}
}

// reasonList writes reason counts for a summary line: the first three,
// "12 bad_date in 结算日期", and how many more.
func reasonList(rs []ingest.ReasonCount) string {
	var parts []string
	for i, rc := range rs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("... %d more reasons", len(rs)-3))
			break
		}
		what := rc.Code
		if rc.Column != "" {
			what += " in " + rc.Column
		}
		parts = append(parts, fmt.Sprintf("%d %s", rc.Count, what))
	}
	return strings.Join(parts, "; ")
}

// printHealthWarnings writes the sources that are not ok (as their data
// stands now, earlier nights included) and the guards past their
// thresholds; `lipwatch sources report` shows every measure.
func printHealthWarnings(w io.Writer, h *pipeline.Health) {
	warns := h.Warnings()
	bad := h.Degraded()
	if len(warns) == 0 && len(bad) == 0 {
		return
	}
	fmt.Fprintln(w, "data quality (lipwatch sources report for every measure):")
	for _, s := range bad {
		fmt.Fprintf(w, "  %s: %s: %s\n", s.Source, s.Status, strings.Join(s.Reasons, "; "))
	}
	for _, f := range warns {
		src := f.Source
		if src == "" {
			src = "registry households"
		}
		fmt.Fprintf(w, "  %s: %s\n", src, f.Text)
	}
}

// maxListedColumns bounds the ignored-columns line.
const maxListedColumns = 12

// columnList names columns for a summary line. A header cell that looks
// like data (a header row that is really a data row holds ID numbers,
// phone numbers, names) is never printed: it is counted instead.
func columnList(cols []string) string {
	var shown []string
	hidden := 0
	for _, c := range cols {
		if looksLikeData(c) || len(shown) == maxListedColumns {
			hidden++
			continue
		}
		shown = append(shown, c)
	}
	if hidden > 0 {
		shown = append(shown, fmt.Sprintf("and %d more not shown (cells that look like data are never printed: is header_row right?)", hidden))
	}
	return strings.Join(shown, ", ")
}

// looksLikeData reports a header cell that may hold personal data rather
// than a column's name: six or more digits, a line break, or more than 40
// characters.
func looksLikeData(s string) bool {
	return dataset.LooksPersonal(s) || strings.ContainsAny(s, "\r\n") || utf8.RuneCountInString(s) > 40
}
