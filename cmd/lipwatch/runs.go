package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/store"
)

// The run ledger (table runs) as an operator reads it: what ran, when, how
// long, what failed. It holds counts, source and rule names, township
// codes and error messages (which may quote a file's path); the output
// goes through the masking path like every command's.

func newRunsCmd(g *globals) *cobra.Command {
	var kinds, statuses []string
	var since string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Read the run ledger: what ran, when, how long, what failed (filters: --kind, --status, --since)",
		Long: `Reads the run ledger (table runs), newest first: every nightly run, sync of a source on its
own schedule, evaluate, dispatch and feedback import, with its as-of date, when it started (in the
county's time zone), how long it took, its status (running, ok, failed, partial: done but partly, as
exit status 3 says — a feedback import that rejected rows —, busy: the store was held by another
process, interrupted: the process ended before the run did) and the first line of its error.
'lipwatch runs show ID' prints one run in full: its summary and the whole error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--limit %d: want 0 (all) or more", limit)}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			// Filters are checked, never read as "nothing matches".
			for _, k := range kinds {
				if !slices.Contains(runKinds, k) {
					return choiceError("--kind", k, runKinds)
				}
			}
			for _, s := range statuses {
				if !slices.Contains(runStatuses, s) {
					return choiceError("--status", s, runStatuses)
				}
			}
			f := store.RunFilter{Kinds: kinds, Statuses: statuses, Limit: limit}
			if since != "" {
				d, err := time.ParseInLocation(time.DateOnly, since, e.cfg.Location())
				if err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--since %q: want YYYY-MM-DD", since)}
				}
				f.Since = d
			}
			st, err := e.openStore(cmd.Context(), "lipwatch runs")
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs(cmd.Context(), f)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeRunsJSON(w, runs, e.cfg.Location())
			}
			printRuns(w, runs, e.cfg.Location())
			if len(runs) == 0 && (len(kinds) > 0 || len(statuses) > 0) {
				// A kind or status the ledger has none of yet: say what there is.
				k, s, err := st.RunValues(cmd.Context())
				if err == nil {
					fmt.Fprintf(w, "kinds in the ledger: %s; statuses: %s\n", orNone(k), orNone(s))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only these kinds: "+strings.Join(runKinds, ", ")+" (comma-separated or repeated)")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only these statuses: "+strings.Join(runStatuses, ", "))
	cmd.Flags().StringVar(&since, "since", "", "only runs started on or after this day (YYYY-MM-DD, county's time zone)")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many runs, newest first (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (one array of runs) instead of a table")

	var showJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print one run of the ledger in full: its summary and its whole error",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("run id %q: want the number in the ID column of lipwatch runs", args[0])}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch runs show")
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := st.RunByID(cmd.Context(), id)
			if errors.Is(err, store.ErrNoRun) { // the argument names no run: nothing was done
				return &exitError{code: 2, msg: err.Error() + " (run ids are as lipwatch runs shows them)", err: err}
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if showJSON {
				b, err := json.MarshalIndent(runJSON(r, e.cfg.Location()), "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\n", b)
				return nil
			}
			printLedgerRun(w, r, e.cfg.Location())
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	cmd.AddCommand(show)
	return cmd
}

// The kinds of run the ledger records (pipeline.Ledgered, pipeline.Run,
// serve's syncs of a source) and their statuses (store.BeginRun,
// FinishRun, RecordRuns; interrupted when the store is next opened).
var (
	runKinds    = []string{"run", "sync", "evaluate", "dispatch", "feedback", "link"}
	runStatuses = []string{"running", "ok", store.RunPartial, "failed", store.RunBusy, "interrupted"}
)

func orNone(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}

// printRuns writes the runs as a table, one line each.
func printRuns(w io.Writer, runs []store.Run, loc *time.Location) {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tKIND\tAS-OF\tSTARTED\tDURATION\tSTATUS\tSUMMARY\tERROR")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.AsOf.Format(time.DateOnly),
			r.Started.In(loc).Format(time.DateTime), runDuration(r), r.Status, clip(summaryLine(r), 96), clip(firstLine(r.Error), 100))
	}
	tw.Flush()
	n := fmt.Sprintf("%d runs", len(runs))
	if len(runs) == 1 {
		n = "1 run"
	}
	fmt.Fprintln(w, n)
}

// printLedgerRun writes one run of the ledger in full.
func printLedgerRun(w io.Writer, r store.Run, loc *time.Location) {
	fmt.Fprintf(w, "run %d\n", r.ID)
	fmt.Fprintf(w, "kind:      %s\n", r.Kind)
	fmt.Fprintf(w, "as of:     %s\n", r.AsOf.Format(time.DateOnly))
	fmt.Fprintf(w, "started:   %s\n", r.Started.In(loc).Format(time.RFC3339))
	if !r.Finished.IsZero() {
		fmt.Fprintf(w, "finished:  %s\n", r.Finished.In(loc).Format(time.RFC3339))
	}
	fmt.Fprintf(w, "duration:  %s\n", runDuration(r))
	fmt.Fprintf(w, "status:    %s\n", r.Status)
	if s := summaryLine(r); s != "" {
		fmt.Fprintf(w, "in short:  %s\n", s)
	}
	if r.Summary != "" {
		var v any
		if json.Unmarshal([]byte(r.Summary), &v) == nil {
			b, _ := json.MarshalIndent(v, "", "  ")
			fmt.Fprintf(w, "summary:\n%s\n", b)
		} else {
			fmt.Fprintf(w, "summary:   %s\n", r.Summary)
		}
	}
	if r.Error != "" {
		fmt.Fprintf(w, "error:\n%s\n", strings.TrimRight(r.Error, "\n"))
	}
}

// runRecord is a run as --json prints it.
type runRecord struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	AsOf      string          `json:"as_of"`
	Started   time.Time       `json:"started_at"`
	Finished  *time.Time      `json:"finished_at"`
	DurationS *float64        `json:"duration_s"`
	Status    string          `json:"status"`
	Summary   json.RawMessage `json:"summary"`
	Error     string          `json:"error,omitempty"`
}

func runJSON(r store.Run, loc *time.Location) runRecord {
	rec := runRecord{ID: r.ID, Kind: r.Kind, AsOf: r.AsOf.Format(time.DateOnly), Started: r.Started.In(loc), Status: r.Status, Error: r.Error,
		Summary: json.RawMessage("null")}
	if !r.Finished.IsZero() {
		fin := r.Finished.In(loc)
		// Milliseconds: a float's long tail of digits (1.9096760000000002)
		// would look like an ID number to the output's masking.
		d := math.Round(r.Finished.Sub(r.Started).Seconds()*1000) / 1000
		rec.Finished, rec.DurationS = &fin, &d
	}
	if r.Summary != "" {
		if json.Valid([]byte(r.Summary)) {
			rec.Summary = json.RawMessage(r.Summary)
		} else {
			b, _ := json.Marshal(r.Summary)
			rec.Summary = b
		}
	}
	return rec
}

func writeRunsJSON(w io.Writer, runs []store.Run, loc *time.Location) error {
	recs := make([]runRecord, 0, len(runs))
	for _, r := range runs {
		recs = append(recs, runJSON(r, loc))
	}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// runDuration is how long r took; for one still running, how long so far.
func runDuration(r store.Run) string {
	if r.Finished.IsZero() {
		if r.Status == "running" {
			return "running " + roundDuration(time.Since(r.Started))
		}
		return "-"
	}
	return roundDuration(r.Finished.Sub(r.Started))
}

func roundDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// summaryLine is a run's summary (JSON, counts only) in a few words, by
// kind; an unknown shape lists its top-level numbers and words.
func summaryLine(r store.Run) string {
	if r.Summary == "" {
		return ""
	}
	var m map[string]any
	if json.Unmarshal([]byte(r.Summary), &m) != nil {
		return firstLine(r.Summary)
	}
	num := func(k string) int64 {
		f, _ := m[k].(float64)
		return int64(f)
	}
	sumOf := func(k string) (n int64) {
		obj, _ := m[k].(map[string]any)
		for _, v := range obj {
			f, _ := v.(float64)
			n += int64(f)
		}
		return n
	}
	var parts []string
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	switch {
	case r.Status == store.RunBusy:
		if t, ok := m["trigger"].(string); ok {
			add("%s", t)
		}
		if src, ok := m["source"].(string); ok {
			add("source %s", src)
		}
		if n := num("tries"); n > 0 {
			add("%d tries", n)
		} else if n := num("try"); n > 0 {
			add("try %d", n)
		}
		if m["gave_up"] == true {
			add("gave up")
		}
	case r.Kind == "run" && m["Sources"] != nil:
		srcs, _ := m["Sources"].([]any)
		bad := 0
		for _, s := range srcs {
			if sm, ok := s.(map[string]any); ok && sm["Status"] != "ok" {
				bad++
			}
		}
		src := fmt.Sprintf("%d sources", len(srcs))
		if bad > 0 {
			src += fmt.Sprintf(" (%d not ok)", bad)
		}
		add("%s", src)
		add("%d hits", sumOf("HitsBy"))
		add("%d new, %d updated cases", num("NewCases"), num("Updated"))
		add("%d dispatched", sumOf("Dispatch"))
		if n := len(mapOf(m["Held"])); n > 0 {
			add("%d rules held", n)
		}
		add("%d overdue", num("Overdue"))
	case r.Kind == "sync" && m["source"] != nil:
		add("%v: read %d, loaded %d, %d quarantined", m["source"], num("read"), num("loaded"), num("quarantined"))
		if n := num("unresolved"); n > 0 {
			add("%d kept with an unusable ID number (待身份识别)", n)
		}
	case r.Kind == "evaluate" && m["hits"] != nil:
		if m["dry_run"] == true {
			add("dry run")
		}
		add("%d people", num("people"))
		add("%d hits", sumOf("hits"))
		add("%d new, %d updated cases", num("new"), num("updated"))
	case r.Kind == "dispatch" && m["cases"] != nil:
		add("%d cases (%d new, %d changed)", num("cases"), num("new"), num("changed"))
		add("%d lists", len(mapOf(m["townships"])))
		if m["all"] == true {
			add("--all")
		}
	case r.Kind == "feedback" && m["files"] != nil:
		add("%d files: %d closed, %d already applied, %d rejected", num("files"), num("closed"), num("unchanged"), num("rejected"))
		if n := num("refused"); n > 0 {
			add("%d refused whole", n)
		}
	case r.Kind == "link" && m["records"] != nil:
		add("%d rows: %d linked, %d to review, %d unmatched", num("records"), num("auto"), num("review"), num("none"))
	default:
		for _, k := range slices.Sorted(maps.Keys(m)) {
			switch v := m[k].(type) {
			case float64:
				add("%s %s", k, strconv.FormatFloat(v, 'f', -1, 64))
			case string:
				add("%s %s", k, v)
			case bool:
				add("%s %t", k, v)
			}
		}
	}
	return strings.Join(parts, ", ")
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
