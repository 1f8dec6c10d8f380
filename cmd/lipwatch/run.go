package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newRunCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "The nightly job: sync every source (rules, cases and lists follow in later stages)",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			results, err := e.sync(cmd.Context(), nil, "lipwatch run")
			if err != nil && err != errInterrupted {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "lipwatch run: store %s\n", e.cfg.Resolve(e.cfg.Store.Path))
			printSync(w, results)
			return err
		},
	}
}
