package main

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newRunCmd(g *globals) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The nightly job: sync every source, evaluate the rules into cases, dispatch township lists",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, p, day, err := g.openPipeline(cmd, "lipwatch run")
			if err != nil {
				return err
			}
			defer p.Close()
			p.Progress = newProgress(e.logger, e.stderr).report
			p.Full = full
			sum, err := p.Run(cmd.Context(), day)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "lipwatch run %s: store %s\n", day.Format(time.DateOnly), e.cfg.Resolve(e.cfg.Store.Path))
			printRun(w, p, sum)
			if err != nil && cmd.Context().Err() != nil {
				return errInterrupted
			}
			// Without serve, this command sends the night's notifications
			// itself, for at most notify.command_wait after its work is
			// recorded (serve sends them on its own; 0 leaves them to it).
			if g.server == nil && cmd.Context().Err() == nil && e.cfg.Notify.CommandWait > 0 {
				if _, derr := deliverNow(cmd.Context(), cmd, p, e.cfg.Notify.CommandWait.Std()); derr != nil {
					e.logger.Error("notify", "err", derr)
				}
			}
			if err != nil {
				return err
			}
			if err := degradedError(sum.Sync, sum.Health, true); err != nil {
				return err
			}
			return factFailuresError(sum.Evaluate)
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "evaluate everyone, even when no data changed since the last evaluation")
	return cmd
}

// printRun writes the nightly summary: per source loaded/quarantined, hits
// per rule, new and updated cases per township, the lists and overdue cases.
func printRun(w io.Writer, p *pipeline.Pipeline, sum *pipeline.RunSummary) {
	if sum == nil {
		return
	}
	if len(sum.Sync) > 0 {
		printSync(w, sum.Sync, sum.Health)
	}
	printLinkPass(w, sum.Link)
	if sum.Evaluate != nil {
		fmt.Fprintln(w)
		printEvaluate(w, p, sum.Evaluate)
	}
	printPastReview(w, sum.PastReview)
	if d := sum.Dispatch; d != nil {
		fmt.Fprintln(w)
		printDispatch(w, p, d)
	}
}

// printEvaluate writes the evaluation's summary and the rules held back.
func printEvaluate(w io.Writer, p *pipeline.Pipeline, r *evaluate.Result) {
	printEvaluation(w, p, r)
	printHeld(w, r)
}

// printPastReview names, in one line, the params past their review date:
// evaluated as always, for a date running out must never stop a night.
func printPastReview(w io.Writer, rs []rule.Review) {
	if len(rs) == 0 {
		return
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = fmt.Sprintf("%s (review_by %s)", r.Param.Name, r.Param.ReviewBy.Format(time.DateOnly))
	}
	fmt.Fprintf(w, "params past their review date (evaluated as always; confirm the values and set new review dates, see lipwatch rules check): %s\n",
		strings.Join(names, ", "))
}

// printMissing names the recent lists that are gone, per batch.
func printMissing(w io.Writer, d *pipeline.DispatchResult) {
	byBatch := map[string][]string{}
	var order []string
	for _, m := range d.Missing {
		if byBatch[m.Batch] == nil {
			order = append(order, m.Batch)
		}
		byBatch[m.Batch] = append(byBatch[m.Batch], filepath.Base(m.Path))
	}
	for _, b := range order {
		fmt.Fprintf(w, "  %d files of batch %s are gone (deleted or moved), e.g. %s: lipwatch dispatch --rewrite %s writes them again under the same names\n",
			len(byBatch[b]), b, byBatch[b][0], b)
	}
}

func printDispatch(w io.Writer, p *pipeline.Pipeline, d *pipeline.DispatchResult) {
	for _, b := range d.Resumed {
		if b.Relocated {
			fmt.Fprintf(w, "finished dispatch batch %s, which a crash had left unwritten: its folder could not be written, so its lists are in %s (same names, same deadlines)\n", b.ID, b.Dir)
		} else {
			fmt.Fprintf(w, "finished dispatch batch %s, which a crash had left unwritten (same files in %s, same deadlines)\n", b.ID, b.Dir)
		}
	}
	if d.Batch == "" {
		fmt.Fprintf(w, "nothing new to dispatch: the lists of %s in %s stand\n", strings.Join(d.Standing, ", "), d.Dir)
		printMissing(w, d)
		fmt.Fprintf(w, "overdue open cases: %d\n", d.Overdue)
		return
	}
	fmt.Fprintf(w, "dispatched %d cases (%d new, %d changed) to %d townships as batch %s: %s\n", d.Cases, d.New, d.Changed, len(d.Townships), d.Batch, d.Dir)
	var towns []string
	for t := range d.Townships {
		towns = append(towns, t)
	}
	sort.Strings(towns)
	var parts []string
	for _, t := range towns {
		parts = append(parts, fmt.Sprintf("%s %d", p.Router.Name(t), d.Townships[t]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(parts, "; "))
	}
	printMissing(w, d)
	fmt.Fprintf(w, "overdue open cases: %d\n", d.Overdue)
}

// printHeld names the rules held back tonight and why: their sources
// failed, are degraded or never loaded, so what they would say comes from a
// gap in the data.
func printHeld(w io.Writer, r *evaluate.Result) {
	var people []string
	for _, rl := range slices.Sorted(maps.Keys(r.HeldPeople)) {
		people = append(people, fmt.Sprintf("%s %d", rl, r.HeldPeople[rl]))
	}
	if len(people) > 0 {
		fmt.Fprintf(w, "held back for people whose own registry or assistance rows are in quarantine (no warning from the gap; lipwatch quarantine list): %s\n",
			strings.Join(people, ", "))
	}
	if len(r.Held) == 0 {
		return
	}
	fmt.Fprintln(w, "held back tonight (no new warnings from these rules; their open cases stay as they are):")
	printHolds(w, r.Held, r.HeldHits)
}

// printHolds writes the rules held back, one line per reason: a failed
// registry holds every rule, and its reason once is enough. left, when
// given, counts the hits each rule had that were left out.
func printHolds(w io.Writer, holds []evaluate.Hold, left map[string]int) {
	var reasons []string
	byReason := map[string][]string{}
	for _, h := range holds {
		rule := h.Rule
		if n := left[h.Rule]; n > 0 {
			rule += fmt.Sprintf(" [%d hits left out]", n)
		}
		if _, ok := byReason[h.Reason]; !ok {
			reasons = append(reasons, h.Reason)
		}
		byReason[h.Reason] = append(byReason[h.Reason], rule)
	}
	for _, why := range reasons {
		fmt.Fprintf(w, "  %s: %s\n", strings.Join(byReason[why], ", "), why)
	}
}

// factFailuresError is exit status 3 for a night on which a fact group
// failed on the data: the lists went out, without the rules reading it.
func factFailuresError(r *evaluate.Result) error {
	if r == nil || len(r.FactFailures) == 0 {
		return nil
	}
	var groups []string
	for _, f := range r.FactFailures {
		groups = append(groups, f.Group)
	}
	return &exitError{code: exitDegraded, msg: "finished, but facts group " + strings.Join(groups, ", ") +
		" failed on tonight's data and the rules reading it were held back (exit status 3; the summary says why)"}
}

// printLinkPass says, in one line, what identity resolution did with the
// rows whose ID matched nobody; nothing when there were none.
func printLinkPass(w io.Writer, l *store.LinkPass) {
	if l != nil && l.NoRegistry {
		fmt.Fprintln(w, "identity resolution (身份识别): skipped: the store holds no registry person yet (户籍 never loaded), nobody to link to")
		return
	}
	if l == nil || l.Records == 0 {
		return
	}
	unlinked := ""
	if l.Unlinked > 0 {
		unlinked = fmt.Sprintf("; %d linked before no longer automatically (the registry changed)", l.Unlinked)
	}
	if l.Renewed > 0 {
		unlinked += fmt.Sprintf("; %d rejected long ago back for review (link.refutation_expires)", l.Renewed)
	}
	if l.Disowned > 0 {
		unlinked += fmt.Sprintf("; %d carrying a registry person's ID under another name now name nobody until reviewed", l.Disowned)
	}
	fmt.Fprintf(w, "identity resolution (身份识别): %s whose ID number matched nobody: %d linked, %d to review (lipwatch links review), %d unmatched%s\n",
		plural(int(l.Records), "row", "rows"), l.Auto, l.Review, l.None, unlinked)
}
