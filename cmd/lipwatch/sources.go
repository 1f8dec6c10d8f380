package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
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
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
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
	cmd.AddCommand(newSourcesCheckCmd(g))
	return cmd
}
