package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/store"
)

// newSourcesCheckCmd is `lipwatch sources check [SOURCE...]`: connect,
// read a sample, show the mapping and what would be quarantined; write
// nothing.
func newSourcesCheckCmd(g *globals) *cobra.Command {
	var sample int
	cmd := &cobra.Command{
		Use:   "check [SOURCE...]",
		Short: "Connect to sources, read a sample, show the column mapping and what would be quarantined; writes nothing",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			srcs, failed, err := ingest.FromConfig(e.cfg, args)
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			w := cmd.OutOrStdout()
			// The saved state of incremental sources comes from the store;
			// the check itself needs none, so a busy or missing store only
			// leaves that part out.
			saved := savedState{}
			if _, err := os.Stat(e.cfg.Resolve(e.cfg.Store.Path)); err == nil { // never create one
				if saved.st, err = e.openStore(cmd.Context(), "lipwatch sources check"); err != nil {
					saved.err = err
				} else {
					defer saved.st.Close()
				}
			}
			bad := len(failed)
			for _, f := range failed {
				fmt.Fprintf(w, "%s: FAILED: %v\n", f.Source, f.Err)
			}
			partial := 0
			for _, src := range srcs {
				err := checkSource(cmd, w, src, sample, saved, e.cfg.Location())
				var some errStreamsFailed
				switch {
				case errors.As(err, &some):
					fmt.Fprintf(w, "%s: DEGRADED: %v\n\n", src.Name, err)
					partial++
				case err != nil:
					fmt.Fprintf(w, "%s: FAILED: %v\n\n", src.Name, err)
					bad++
				}
				src.Connector.Close(cmd.Context())
			}
			switch {
			case bad > 0:
				return &exitError{code: 1, msg: fmt.Sprintf("%d of %d sources failed the check", bad, len(srcs)+len(failed))}
			case partial > 0:
				return &exitError{code: 3, msg: fmt.Sprintf("%d of %d sources have streams that failed the check; the others would load", partial, len(srcs)+len(failed))}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&sample, "rows", 200, "rows to read from each stream")
	return cmd
}

// savedState is the store as sources check sees it: st nil with no err
// when there is no store yet (nothing synced), err when it cannot be read
// (another process holds it).
type savedState struct {
	st  *store.Store
	err error
}

func checkSource(cmd *cobra.Command, w io.Writer, src ingest.Source, sample int, saved savedState, loc *time.Location) error {
	ctx := cmd.Context()
	streams, err := src.Connector.Streams(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s → %s: %d stream(s)\n", src.Name, src.Dataset.Name, len(streams))
	if a, ok := src.Connector.(connectors.Adviser); ok {
		for _, advice := range a.Advice() {
			fmt.Fprintf(w, "  WARNING: %s\n", advice)
		}
	}
	if err := printIncremental(ctx, w, src, streams, saved, loc); err != nil {
		return err
	}
	failed := 0
	for i, st := range streams {
		if i == 3 {
			fmt.Fprintf(w, "  ... %d more streams not sampled\n", len(streams)-3)
			break
		}
		// A stream that fails fails alone, as in a sync: the others are
		// still sampled.
		if err := sampleStream(ctx, w, src, st, i, sample); err != nil {
			fmt.Fprintf(w, "  %s: FAILED: %v\n", st.Name(), err)
			failed++
		}
	}
	fmt.Fprintln(w)
	sampled := min(len(streams), 3)
	switch {
	case sampled > 0 && failed == sampled:
		return fmt.Errorf("every stream sampled failed")
	case failed > 0:
		return errStreamsFailed{failed, sampled}
	}
	return nil
}

// errStreamsFailed: some streams of a source failed the check, others
// passed (the sync would load those).
type errStreamsFailed struct{ failed, sampled int }

func (e errStreamsFailed) Error() string {
	return fmt.Sprintf("%d of %d streams sampled failed; a sync loads the others", e.failed, e.sampled)
}

// sampleStream reads a sample of one stream and shows how it maps.
func sampleStream(ctx context.Context, w io.Writer, src ingest.Source, st connectors.Stream, i, sample int) error {
	{
		rr, err := st.Open(ctx)
		if err != nil {
			return err
		}
		header := rr.Header()
		var m *dataset.Mapper
		if g, ok := rr.(connectors.GrowingHeader); ok && g.HeaderGrows() {
			// An API names a key once a record has it: columns not in the
			// first page may come later (the sync decides at the end).
			var absent *dataset.MissingColumnsError
			m, absent = dataset.NewPartialMapper(src.Dataset, header, src.Mapping)
			if err := m.HeaderErr(); err != nil {
				rr.Close()
				return fmt.Errorf("%s: %w", st.Name(), err)
			}
			if absent != nil {
				fmt.Fprintf(w, "    not in the first records (may come later): %s\n", strings.Join(absent.Missing, ", "))
			}
		} else if m, err = dataset.NewMapper(src.Dataset, header, src.Mapping); err != nil {
			rr.Close()
			return fmt.Errorf("%s: %w", st.Name(), err)
		}
		fmt.Fprintf(w, "  %s\n", st.Name())
		if i == 0 { // the mapping is the same for every stream of a source
			printMapping(w, src)
		}
		if u := m.Unmapped(); len(u) > 0 {
			fmt.Fprintf(w, "    ignored columns: %s\n", columnList(u))
		}
		out := make([]any, len(src.Dataset.Fields))
		read, good, unresolved := 0, 0, 0
		reasons := map[string]int{}
		drift := map[[2]string]int64{}
		for read < sample {
			row, err := rr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rr.Close()
				return err
			}
			read++
			if _, p := m.MapRow(row.Values, row.Kinds, out); p != nil {
				if ingest.IsTypeProblem(p.Code) {
					drift[[2]string{p.Code, p.Column}]++
				}
				what := p.Code
				if p.Column != "" {
					what += " in " + p.Column
				}
				reasons[what]++
			} else {
				good++
				if u := m.Unresolved(); u != nil {
					unresolved++
					if ingest.IsTypeProblem(u.Code) {
						drift[[2]string{u.Code, u.Column}]++
					}
				}
			}
		}
		rr.Close()
		fmt.Fprintf(w, "    sample: %d rows read, %d would load, %d would be quarantined\n", read, good, read-good)
		if unresolved > 0 {
			fmt.Fprintf(w, "    of those that would load, %d with an unusable ID number, kept for identity resolution (身份证号无法使用，待身份识别)\n", unresolved)
		}
		var rs []string
		for r, n := range reasons {
			rs = append(rs, fmt.Sprintf("%d %s", n, r))
		}
		sort.Strings(rs)
		for _, r := range rs {
			fmt.Fprintf(w, "      %s\n", r)
		}
		if err := ingest.SchemaDrift(st.Name(), int64(read), drift); err != nil {
			fmt.Fprintf(w, "    WARNING: the sync would fail this stream: %v\n", err)
		}
	}
	return nil
}

// printMapping shows which source column feeds each dataset field.
func printMapping(w io.Writer, src ingest.Source) {
	tw := newTable(w)
	for _, f := range src.Dataset.Fields {
		col, ok := src.Mapping.Columns[f.Name]
		req := ""
		if f.Required {
			req = "required"
		}
		if !ok {
			col = "(not mapped)"
		}
		fmt.Fprintf(tw, "    %s\t← %s\t%s\n", f.Name, col, req)
	}
	tw.Flush()
}

// printIncremental shows, for each incremental stream of src, what the
// store holds: the saved watermark, what the last load noted about
// watermark values (future, missing, unreadable; a re-read), and the last
// full read (first load, sync --full or reconciliation).
func printIncremental(ctx context.Context, w io.Writer, src ingest.Source, streams []connectors.Stream, saved savedState, loc *time.Location) error {
	incremental := false
	for _, s := range streams {
		if _, ok := s.(connectors.Incremental); ok {
			incremental = true
		}
	}
	if !incremental {
		return nil
	}
	if saved.err != nil {
		fmt.Fprintf(w, "  saved watermarks not shown: %v\n", saved.err)
		return nil
	}
	var states []store.IncrementalState
	if saved.st != nil {
		var err error
		if states, err = saved.st.IncrementalStates(ctx, src.Name); err != nil {
			return err
		}
	}
	byStream := map[string]store.IncrementalState{}
	for _, s := range states {
		byStream[s.Stream] = s
	}
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	for _, s := range streams {
		if _, ok := s.(connectors.Incremental); !ok {
			continue
		}
		state, ok := byStream[s.Name()]
		if !ok {
			fmt.Fprintf(w, "  %s: incremental, no watermark saved yet (the next sync reads everything)\n", s.Name())
			continue
		}
		fmt.Fprintf(w, "  %s: incremental, watermark %s (saved %s)\n", s.Name(), state.Watermark, at(state.SavedAt))
		if t, ok := watermarkTime(state.Watermark, loc); ok && t.After(time.Now()) {
			fmt.Fprintln(w, "    WARNING: the saved watermark is after now (a future-dated record, saved by an older version): the next sync discards it and reads from the start")
		}
		if len(state.Notes) == 0 {
			fmt.Fprintln(w, "    last load: every record had a usable watermark value")
		}
		for _, n := range state.Notes {
			fmt.Fprintf(w, "    last load: %s\n", n.Text)
		}
		switch {
		case state.LastFullRead.IsZero():
			fmt.Fprintln(w, "    last full read: never")
		default:
			fmt.Fprintf(w, "    last full read: %s, %s\n", at(state.LastFullRead), state.FullRead.Text)
		}
		if state.ReconcileFailed != "" {
			fmt.Fprintf(w, "    last reconciliation FAILED at %s (tried again at the next sync): %s\n", at(state.ReconcileFailedAt), state.ReconcileFailed)
		}
		if src.Reconcile > 0 {
			next := state.LastFullRead.Add(src.Reconcile)
			if state.LastFullRead.IsZero() || !next.After(time.Now()) {
				fmt.Fprintln(w, "    reconciliation: due at the next sync")
			} else {
				fmt.Fprintf(w, "    reconciliation: every %s, next at the first sync after %s\n", config.Duration(src.Reconcile), at(next))
			}
		} else {
			fmt.Fprintln(w, "    reconciliation: not set; records that arrive older than the lookback are never read (set reconcile: 7d on the source)")
		}
	}
	return nil
}

// watermarkTime reads a saved watermark that is a date or time, as the
// connectors write them; a time without a zone is in loc.
func watermarkTime(w string, loc *time.Location) (time.Time, bool) {
	w = strings.TrimSpace(w)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, w, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
