package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/schedule"
)

func idMasked(s string) string { return idnum.Mask(s) }

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the nightly job on schedule.nightly in the county's time zone until SIGTERM",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			// Fail fast on broken rules before waiting for the first night.
			p, err := e.open(cmd.Context(), "lipwatch serve")
			if err != nil {
				return err
			}
			defer p.Close()
			loc := e.cfg.Location()
			s := &schedule.Scheduler{Location: loc, Logger: e.logger, ShutdownGrace: time.Duration(e.cfg.Schedule.ShutdownGrace)}
			err = s.Add(schedule.Job{
				Name: "nightly",
				Spec: e.cfg.Schedule.Nightly,
				Run: func(ctx context.Context) error {
					now := time.Now().In(loc)
					day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
					_, err := p.Run(ctx, day)
					return err
				},
				LastSuccess: func(ctx context.Context) (time.Time, error) {
					r, ok, err := p.Store.LastRun(ctx, "run", "ok")
					if err != nil || !ok {
						return time.Time{}, err
					}
					return r.Started, nil
				},
			})
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			next, _ := schedule.Next(e.cfg.Schedule.Nightly, loc, time.Now())
			e.logger.Info("serving", "nightly", e.cfg.Schedule.Nightly, "next_run", next.Format(time.RFC3339))
			return s.Run(cmd.Context())
		},
	}
}
