package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/schedule"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the nightly job and per-source syncs on their schedules in the county's time zone until SIGTERM",
		Long: `Runs the nightly job on schedule.nightly in the county's time zone, never two at once,
runs a missed night at start, and stops cleanly on SIGINT/SIGTERM. Rule files are read again
for every run; a night that finds them broken runs on the last good rules and logs the error.

SIGHUP (or the county admin's button in the portal) reloads config.yaml and the rule files:
both are checked in full first, and a broken one is not applied (the last good stay, the
error is logged and counted in /metrics); settings that cannot change while serve runs
(store.*, portal.listen and TLS files, ops.listen, log.*, schedule.shutdown_grace, busy_wait,
busy_retry) are logged as needing a restart and kept.

With portal.listen set, serve runs the township portal (乡镇工作台) there, on the store it holds.
/healthz, /readyz and /metrics (Prometheus) are served on ops.listen, or on portal.listen when
ops.listen is empty (deny /metrics at the reverse proxy then).

serve holds the store from start to stop (DuckDB allows one process per file). The CLI keeps
working: a command that uses the store finds serve's admin socket beside it (<store>.sock,
owner-only, for serve's own user) and serve runs the command for it on its open store, with
serve's config; the output and the exit status are the command's. Commands that write wait
for serve's running job (the nightly run, a sync) and say so; those that read run at once.

A store another lipwatch command holds when serve starts is waited for: the first job tries
again every schedule.busy_retry at first and up to four times that (jittered), for
schedule.busy_wait; a night still busy then is given up and run as soon as the store is free.
Every busy try is in the run ledger (status busy, naming the holder), recorded when serve holds
the store. A night is the as-of date of its tick: missed nights are caught up by the as-of date
of the last successful one, whenever it ran.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// SIGHUP is held from here, not fatal, and reloads once serve is set up.
			hup := holdHUP()
			defer signal.Stop(hup)
			e, err := g.load()
			if err != nil {
				return err
			}
			// Fail fast on broken rules, calendar or divisions before waiting
			// for the first night; they are the last good ones until a reload.
			good, err := pipeline.New(e.cfg, nil, e.logger)
			if err != nil {
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
			grace := time.Duration(e.cfg.Schedule.ShutdownGrace)
			if grace <= 0 {
				grace = schedule.DefaultShutdownGrace
			}
			s := &schedule.Scheduler{
				Location:      loc,
				Logger:        e.logger,
				ShutdownGrace: grace,
				BusyWait:      time.Duration(e.cfg.Schedule.BusyWait),
				BusyRetry:     time.Duration(e.cfg.Schedule.BusyRetry),
			}
			// One job at a time: DuckDB has one writer, and a source must
			// never sync twice at once (its own schedule and the nightly run
			// would otherwise meet). Forwarded commands that write take it too.
			jobs := newJobLock()
			book := &busyBook{loc: loc, logger: e.logger}
			h := &holding{ctx: cmd.Context(), e: e, book: book, jobs: jobs, sched: s}
			h.cfg.Store(e.cfg)
			h.keepGood(good)
			// The ops and portal addresses are bound now: a wrong one stops
			// serve here, not at the first night.
			if h.ops, err = listenOps(h); err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			if h.portal, err = listenPortal(e.cfg, e.logger, jobs, h.ops.onPortal(e.cfg)); err != nil {
				h.ops.stop(grace)
				return &exitError{code: 1, msg: err.Error()}
			}
			if h.portal != nil {
				h.portal.reload = h.reload
			}
			// SIGHUP reloads from here (one held since the start too).
			hupCtx, stopHUP := context.WithCancel(cmd.Context())
			defer stopHUP()
			go h.reloadOnHUP(hupCtx, hup)
			if err := s.Replace(h.scheduled(e.cfg)); err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			next, _ := schedule.Next(e.cfg.Schedule.Nightly, loc, time.Now())
			e.logger.Info("serving", "nightly", e.cfg.Schedule.Nightly, "next_run", next.Format(time.RFC3339),
				"busy_wait", e.cfg.Schedule.BusyWait.String())
			err = s.Run(cmd.Context())
			return h.stop(err, grace)
		},
	}
}

// scheduled is serve's jobs for cfg: each source's own sync (those with a
// schedule) and the nightly run. A reload replaces them (schedule.Replace).
func (h *holding) scheduled(cfg *config.Config) []schedule.Job {
	e, jobs, book, loc := h.e, h.jobs, h.book, cfg.Location()
	busy := func(err error) bool { return errors.Is(err, store.ErrLocked) }
	var out []schedule.Job
	for _, name := range cfg.SourceNames() {
		sc := cfg.Sources[name]
		if sc.Schedule == "" || !sc.IsEnabled() {
			continue
		}
		out = append(out, schedule.Job{
			Name: "sync " + name,
			Spec: sc.Schedule,
			Run: func(ctx context.Context) error {
				if err := jobs.lock(ctx, "the sync of "+name, nil); err != nil {
					return err
				}
				defer jobs.unlock()
				st, err := h.store(ctx)
				if err != nil {
					return err
				}
				p := &pipeline.Pipeline{Cfg: cfg, Store: st, Logger: e.logger}
				// In the run ledger as "sync" (and per stream in the load
				// ledger); a failure is retried at the next tick.
				return p.Ledgered(ctx, "sync", tickDay(ctx, loc), func() (any, error) {
					results, err := p.Sync(ctx, []string{name}, false)
					if err != nil {
						return nil, err
					}
					read, loaded, dup, quar := results[0].Totals()
					return map[string]any{"source": name, "read": read, "loaded": loaded, "duplicates": dup,
						"quarantined": quar, "unresolved": results[0].UnresolvedRows()}, results[0].Err
				})
			},
			Busy:   busy,
			OnBusy: func(bt schedule.BusyTry) { book.heard("sync", map[string]any{"source": name}, bt) },
		})
	}
	return append(out, schedule.Job{
		Name: "nightly",
		Spec: cfg.Schedule.Nightly,
		Run: func(ctx context.Context) error {
			if err := jobs.lock(ctx, "the nightly run", nil); err != nil {
				return err
			}
			defer jobs.unlock()
			st, err := h.store(ctx)
			if err != nil {
				return err
			}
			// Rules read again for every night; broken ones give way to
			// the last good (see nightPipeline).
			p, err := h.nightPipeline(cfg, st)
			if err != nil {
				var rerr rule.Errors
				if errors.As(err, &rerr) {
					return &exitError{code: 2, msg: err.Error()}
				}
				return err
			}
			// The night of the tick, however late the run: one due at
			// 23:50 that waited for the store past midnight is still
			// that day's.
			_, err = p.Run(ctx, tickDay(ctx, loc))
			h.notify.kick()
			return err
		},
		// The newest as-of date of a successful nightly run, whenever
		// it ran, up to today (a run for a future date is a test).
		LastSuccess: func(ctx context.Context) (time.Time, error) {
			if err := jobs.lock(ctx, "the check for a missed night", nil); err != nil {
				return time.Time{}, err
			}
			defer jobs.unlock()
			st, err := h.store(ctx)
			if err != nil {
				return time.Time{}, err
			}
			asOf, ok, err := st.LastAsOf(ctx, "run", "ok", dayOf(time.Now(), loc))
			if err != nil || !ok {
				return time.Time{}, err
			}
			return schedule.EndOfDay(asOf, loc), nil
		},
		Busy:   busy,
		OnBusy: func(bt schedule.BusyTry) { book.heard("run", nil, bt) },
	})
}

// holding is the store serve holds: opened by the first job that needs it
// (the check for a missed night, at start), which waits and retries while
// another process holds it, and kept open until serve stops. Its admin
// socket starts with it.
type holding struct {
	ctx  context.Context // serve's
	e    *env
	book *busyBook
	jobs *jobLock

	portal *portalServer // nil without portal.listen
	notify *notifier     // sends notifications once the store is held
	ops    *opsServer    // health, readiness, metrics; reload counters
	sched  *schedule.Scheduler

	cfg      atomic.Pointer[config.Config] // the config in force: the start's, then the last good reload's
	good     atomic.Pointer[goodRules]     // the last rules, calendar and divisions that loaded
	reloadMu sync.Mutex                    // one reload at a time

	mu      sync.Mutex
	st      *store.Store
	openErr error // why the store is not open yet, for /readyz
	admin   *adminServer
	stopped bool
}

// store returns the store serve holds, opening it the first time, and
// records in its run ledger the busy tries kept since.
func (h *holding) store(ctx context.Context) (*store.Store, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st == nil {
		if h.stopped {
			return nil, errors.New("serve is stopping")
		}
		st, err := h.e.openStore(ctx, "lipwatch serve")
		if err != nil {
			h.openErr = err
			return nil, err
		}
		h.st, h.openErr = st, nil
		if a, err := startAdmin(h.ctx, h.e.cfg, st, h.e.logger, h.jobs); err != nil {
			h.e.logger.Error("admin socket: CLI commands cannot reach serve, and exit 75 while it holds the store", "err", err)
		} else {
			h.admin = a
			h.e.logger.Info("holding the store until serve stops; CLI commands go through the admin socket",
				"store", st.Path(), "socket", a.ln.Path())
		}
		if h.portal != nil {
			if err := h.portal.start(st, h.config()); err != nil {
				h.e.logger.Error("portal: cannot serve; it answers 503", "err", err)
			}
		}
		h.notify = startNotifier(h.ctx, h.config, st, h.e.logger)
	}
	h.book.flush(ctx, h.st)
	return h.st, nil
}

// stop ends serve once the scheduler has (err: jobs left running): the
// admin socket goes, forwarded commands are waited for (their ctx, serve's,
// is done) within grace, and the store is closed unless something may
// still use it. Busy tries never recorded are tried once more.
func (h *holding) stop(err error, grace time.Duration) error {
	h.mu.Lock()
	h.stopped = true
	st, admin := h.st, h.admin
	h.mu.Unlock()
	h.notify.stop()
	if h.portal != nil {
		if perr := h.portal.stop(grace); perr != nil {
			h.e.logger.Warn("stopping the portal", "err", perr)
		}
	}
	if oerr := h.ops.stop(grace); oerr != nil {
		h.e.logger.Warn("stopping the ops listener", "err", oerr)
	}
	if admin != nil {
		if aerr := admin.close(grace); aerr != nil {
			h.e.logger.Warn("stopping", "err", aerr)
			if err == nil {
				err = aerr
			}
		}
	}
	ctx := context.WithoutCancel(h.ctx)
	switch {
	case err != nil:
		// A job or command still runs in this process: leave the store to
		// it; the process ends anyway.
	case st != nil:
		h.book.flush(ctx, st)
		if cerr := st.Close(); cerr != nil {
			h.e.logger.Error("close store", "err", cerr)
		}
	case h.book.len() > 0:
		// Busy tries not yet recorded: try the store once more.
		if st, oerr := h.e.openStore(ctx, "lipwatch serve"); oerr == nil {
			h.book.flush(ctx, st)
			st.Close()
		}
	}
	h.book.dropped()
	return err
}

// tickDay is the as-of date of the run ctx is for: the date, in the
// county's zone, of the tick it is due at; today for a run the scheduler
// did not start.
func tickDay(ctx context.Context, loc *time.Location) time.Time {
	if a, ok := schedule.AttemptOf(ctx); ok && !a.Due.IsZero() {
		return dayOf(a.Due, loc)
	}
	return dayOf(time.Now(), loc)
}

// dayOf is t's calendar date in loc, at UTC midnight as the store keeps
// dates.
func dayOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// busyBook keeps the tries that found the store held by another process
// until serve holds it again and can write them to the run ledger (status
// busy, the holder in the error), before the run that then starts. The
// probes of an owed run, one every few minutes for as long as the store
// stays busy, are kept as one row per job, counted.
type busyBook struct {
	loc    *time.Location
	logger *slog.Logger

	mu      sync.Mutex
	pending []*store.Run
	probes  map[string]*probeRow // kind+summary -> the row counting an owed run's probes
}

// probeRow counts the busy probes of one owed run.
type probeRow struct {
	run   *store.Run
	tries int
	last  error
}

// heard keeps a busy try of a run of kind ("run", "sync"); extra goes
// into its summary (a sync's source).
func (b *busyBook) heard(kind string, extra map[string]any, bt schedule.BusyTry) {
	now := time.Now()
	summary := map[string]any{"trigger": bt.Trigger, "due": bt.Due.Format(time.RFC3339), "try": bt.Try}
	for k, v := range extra {
		summary[k] = v
	}
	var msg string
	switch {
	case bt.Trigger == "owed":
		delete(summary, "try")
		key := fmt.Sprint(kind, extra)
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.probes == nil {
			b.probes = map[string]*probeRow{}
		}
		p := b.probes[key]
		if p == nil {
			p = &probeRow{run: &store.Run{Kind: kind, AsOf: dayOf(bt.Due, b.loc), Started: bt.Started, Status: store.RunBusy}}
			b.probes[key] = p
			b.pending = append(b.pending, p.run)
		}
		p.tries++
		p.last = bt.Err
		p.run.Finished = now
		summary["tries"] = p.tries
		p.run.Summary = marshal(summary)
		p.run.Error = fmt.Sprintf("store busy: tried %d times since %s after giving up, every %s: %v",
			p.tries, p.run.Started.In(b.loc).Format(time.RFC3339), roundWait(bt.Retry), p.last)
		return
	case bt.GaveUp:
		then := "the next tick runs it"
		if kind == "run" {
			then = "the night runs as soon as the store is free"
		}
		msg = fmt.Sprintf("store busy: gave up after waiting %s (%d tries); %s: %v", roundWait(bt.Waited), bt.Try, then, bt.Err)
		summary["gave_up"] = true
	default:
		msg = fmt.Sprintf("store busy (try %d, next in %s): %v", bt.Try, roundWait(bt.Retry), bt.Err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, &store.Run{Kind: kind, AsOf: dayOf(bt.Due, b.loc), Started: bt.Started, Finished: now,
		Status: store.RunBusy, Summary: marshal(summary), Error: msg})
}

// flush records the kept tries in st's run ledger; on failure they are
// kept for the next time.
func (b *busyBook) flush(ctx context.Context, st *store.Store) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		return
	}
	runs := make([]store.Run, len(b.pending))
	for i, r := range b.pending {
		runs[i] = *r
	}
	slices.SortStableFunc(runs, func(x, y store.Run) int { return x.Started.Compare(y.Started) })
	if err := st.RecordRuns(ctx, runs); err != nil {
		b.logger.Error("run ledger: busy tries not recorded; kept for the next run", "tries", len(runs), "err", err)
		return
	}
	b.logger.Info("run ledger: recorded the tries that found the store busy", "tries", len(runs))
	b.pending, b.probes = nil, nil
}

func (b *busyBook) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// dropped logs the tries serve stops without having recorded.
func (b *busyBook) dropped() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.pending {
		b.logger.Warn("busy try not recorded in the run ledger: the store was not free before serve stopped",
			"kind", r.Kind, "as_of", r.AsOf.Format(time.DateOnly), "started", r.Started.Format(time.RFC3339), "err", r.Error)
	}
}

// roundWait rounds a wait for a message: to the second, or the
// millisecond below one.
func roundWait(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

func marshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
