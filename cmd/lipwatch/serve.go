package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/schedule"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the nightly job and per-source syncs on their schedules in the county's time zone until SIGTERM",
		Long: `Runs the nightly job on schedule.nightly in the county's time zone, never two at once,
runs a missed night at start, and stops cleanly on SIGINT/SIGTERM. The store is opened only
while a run works, so township returns can be imported and cases read in between; rule files
are read again for every run, and a broken rule file fails that run (see the run ledger).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			// Fail fast on broken rules before waiting for the first night.
			if _, _, err := pipeline.LoadRules(e.cfg); err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			// One serve per store: a second would find the store busy at
			// every tick and never run a night.
			release, err := store.LockServe(e.cfg.Resolve(e.cfg.Store.Path))
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			defer release()
			loc := e.cfg.Location()
			s := &schedule.Scheduler{Location: loc, Logger: e.logger, ShutdownGrace: time.Duration(e.cfg.Schedule.ShutdownGrace)}
			// One job at a time holds the store: DuckDB has one writer, and a
			// source must never sync twice at once (its own schedule and the
			// nightly run would otherwise meet).
			storeMu := make(chan struct{}, 1) // held while a job uses the store
			lock := func(ctx context.Context) error {
				select {
				case storeMu <- struct{}{}:
					return nil
				case <-ctx.Done(): // a job queued behind a long run gives up on shutdown
					return ctx.Err()
				}
			}
			unlock := func() { <-storeMu }
			for _, name := range e.cfg.SourceNames() {
				sc := e.cfg.Sources[name]
				if sc.Schedule == "" || !sc.IsEnabled() {
					continue
				}
				name := name
				err := s.Add(schedule.Job{
					Name: "sync " + name,
					Spec: sc.Schedule,
					Run: func(ctx context.Context) error {
						if err := lock(ctx); err != nil {
							return err
						}
						defer unlock()
						st, err := e.openStore(ctx, "lipwatch serve: sync "+name)
						if err != nil {
							return err
						}
						defer st.Close()
						p := &pipeline.Pipeline{Cfg: e.cfg, Store: st, Logger: e.logger}
						now := time.Now().In(loc)
						day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
						// In the run ledger as "sync" (and per stream in the load
						// ledger); a failure is retried at the next tick.
						return p.Ledgered(ctx, "sync", day, func() (any, error) {
							results, err := p.Sync(ctx, []string{name}, false)
							if err != nil {
								return nil, err
							}
							read, loaded, dup, quar := results[0].Totals()
							return map[string]any{"source": name, "read": read, "loaded": loaded, "duplicates": dup,
								"quarantined": quar}, results[0].Err
						})
					},
				})
				if err != nil {
					return &exitError{code: 2, msg: err.Error()}
				}
			}
			err = s.Add(schedule.Job{
				Name: "nightly",
				Spec: e.cfg.Schedule.Nightly,
				Run: func(ctx context.Context) error {
					if err := lock(ctx); err != nil {
						return err
					}
					defer unlock()
					p, err := pipeline.Open(ctx, e.cfg, e.logger, "lipwatch serve")
					if err != nil {
						return err
					}
					defer p.Close()
					now := time.Now().In(loc)
					_, err = p.Run(ctx, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))
					return err
				},
				LastSuccess: func(ctx context.Context) (time.Time, error) {
					if err := lock(ctx); err != nil {
						return time.Time{}, err
					}
					defer unlock()
					st, err := e.openStore(ctx, "lipwatch serve")
					if err != nil {
						return time.Time{}, err
					}
					defer st.Close()
					r, ok, err := st.LastRun(ctx, "run", "ok")
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
