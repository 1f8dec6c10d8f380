package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/ingest"
)

// newSourcesCheckCmd is `lipwatch sources check [SOURCE...]`: connect,
// read a sample, show the mapping and what would be quarantined; write
// nothing.
func newSourcesCheckCmd(g *globals) *cobra.Command {
	var sample int
	cmd := &cobra.Command{
		Use:   "check [SOURCE...]",
		Short: "Connect to sources, read a sample, show the column mapping and what would be quarantined; writes nothing",
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
			bad := len(failed)
			for _, f := range failed {
				fmt.Fprintf(w, "%s: FAILED: %v\n", f.Source, f.Err)
			}
			for _, src := range srcs {
				if err := checkSource(cmd, w, src, sample); err != nil {
					fmt.Fprintf(w, "%s: FAILED: %v\n\n", src.Name, err)
					bad++
				}
				src.Connector.Close(cmd.Context())
			}
			if bad > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d of %d sources failed the check", bad, len(srcs)+len(failed))}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&sample, "rows", 200, "rows to read from each stream")
	return cmd
}

func checkSource(cmd *cobra.Command, w io.Writer, src ingest.Source, sample int) error {
	ctx := cmd.Context()
	streams, err := src.Connector.Streams(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s → %s: %d stream(s)\n", src.Name, src.Dataset.Name, len(streams))
	for i, st := range streams {
		if i == 3 {
			fmt.Fprintf(w, "  ... %d more streams not sampled\n", len(streams)-3)
			break
		}
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
		read, good := 0, 0
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
			}
		}
		rr.Close()
		fmt.Fprintf(w, "    sample: %d rows read, %d would load, %d would be quarantined\n", read, good, read-good)
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
	fmt.Fprintln(w)
	return nil
}

// printMapping shows which source column feeds each dataset field.
func printMapping(w io.Writer, src ingest.Source) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
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
