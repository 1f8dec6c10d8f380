// Package schedule runs jobs on cron schedules in the county's time zone for
// `lipwatch serve`: one run of a job at a time (a tick that finds the
// previous run still going is skipped, not queued), a run missed while the
// process was down is caught up at start, and a stop waits for running jobs
// within a grace period.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultShutdownGrace is how long Run waits for running jobs after its
// context is done, unless Scheduler.ShutdownGrace says otherwise.
const DefaultShutdownGrace = 30 * time.Second

// maxSleep caps one wait between ticks, so that a step of the wall clock or
// a suspended machine delays a tick by at most this much.
const maxSleep = time.Minute

var (
	// ErrStarted is returned by Add and Run once Run has been called.
	ErrStarted = errors.New("scheduler already started")
	// ErrShutdownTimeout is returned by Run when jobs were still running
	// at the end of the shutdown grace.
	ErrShutdownTimeout = errors.New("shutdown grace expired with jobs still running")
)

// Scheduler runs jobs on their schedules until its Run's context is done.
// Set the fields before Run; the zero value of each optional field is
// usable.
type Scheduler struct {
	// Location is the zone the specs are read in: the county's, from
	// config. Required: a server's local zone is too easy to get wrong.
	Location *time.Location
	// Logger receives the scheduler's logs; nil discards them.
	Logger *slog.Logger
	// Now is the wall clock that ticks and missed runs are reckoned
	// against; nil means time.Now. Tests set it.
	Now func() time.Time
	// ShutdownGrace bounds the wait for running jobs once Run's context is
	// done; zero means DefaultShutdownGrace.
	ShutdownGrace time.Duration

	mu      sync.Mutex
	entries []*entry
	started bool
	runs    sync.WaitGroup // runs in flight; Add only from loops
}

// Add registers a job. It is an error if the job has no name or Run func,
// if another job has its name, or if its Spec is invalid or never fires; the
// error names the job.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" {
		return errors.New("schedule: job has no name")
	}
	if j.Run == nil {
		return fmt.Errorf("schedule: job %q: no Run func", j.Name)
	}
	sched, err := parseAt(j.Spec, nil, s.now()) // never fires: judged on the scheduler's clock
	if err != nil {
		return fmt.Errorf("schedule: job %q: %w", j.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("schedule: add job %q: %w", j.Name, ErrStarted)
	}
	for _, e := range s.entries {
		if e.job.Name == j.Name {
			return fmt.Errorf("schedule: job %q added twice", j.Name)
		}
	}
	s.entries = append(s.entries, &entry{job: j, sched: sched})
	return nil
}

// Run catches up missed runs, then runs each job on its schedule until ctx
// is done. It then starts no more runs and waits for the running ones —
// whose ctx, derived from ctx, is done too — for at most the shutdown
// grace. It returns nil on a clean stop and an error wrapping
// ErrShutdownTimeout, naming the jobs, if some were still running. Run may
// be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.Location == nil {
		return errors.New("schedule: Scheduler.Location is nil; set the county's time zone")
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("schedule: run: %w", ErrStarted)
	}
	s.started = true
	entries := slices.Clone(s.entries)
	s.mu.Unlock()

	// One instant for every job's catch-up and first tick, so that no tick
	// falls between the two.
	start := s.now().In(s.Location)
	var loops sync.WaitGroup
	for _, e := range entries {
		loops.Go(func() { s.loop(ctx, e, start) })
	}
	<-ctx.Done()
	loops.Wait() // after this no run starts, so s.runs.Wait is safe
	return s.drain(entries)
}

// loop catches e up and then starts it at each tick until ctx is done.
func (s *Scheduler) loop(ctx context.Context, e *entry, start time.Time) {
	log := s.logger().With("job", e.job.Name)
	next := e.sched.Next(start)
	log.Info("job scheduled", "next_run", next)
	s.catchUp(ctx, e, start, log)

	timer := time.NewTimer(maxSleep)
	defer timer.Stop()
	for {
		if next.IsZero() {
			log.Warn("job has no further scheduled runs")
			return
		}
		// Re-read the clock after every wake rather than trusting one long
		// timer: the schedule is in wall time, timers are monotonic.
		if wait := next.Sub(s.now()); wait > 0 {
			timer.Reset(min(wait, maxSleep))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue
		}
		s.start(ctx, e, log, "schedule", next)
		// From now, not from next: ticks missed while asleep are not queued.
		next = e.sched.Next(s.now().In(s.Location))
		log.Debug("job scheduled", "next_run", next)
	}
}

// catchUp starts e once if its last success is older than its latest tick
// at or before start: the process was down then, or that run failed.
func (s *Scheduler) catchUp(ctx context.Context, e *entry, start time.Time, log *slog.Logger) {
	if e.job.LastSuccess == nil {
		return
	}
	prev := prevTick(e.sched, start)
	if prev.IsZero() {
		return
	}
	last, err := e.job.LastSuccess(ctx)
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		log.Warn("cannot read last success; running job anyway", "err", err)
		log.Info("running missed job", "missed_run", prev)
	case last.Before(prev):
		if last.IsZero() {
			log.Info("running missed job", "missed_run", prev, "last_success", "never")
		} else {
			log.Info("running missed job", "missed_run", prev, "last_success", last.In(s.Location))
		}
	default:
		return
	}
	s.start(ctx, e, log, "missed", prev)
}

// start runs e in its own goroutine unless a run of e is still going, in
// which case the run is skipped, not queued.
func (s *Scheduler) start(ctx context.Context, e *entry, log *slog.Logger, trigger string, due time.Time) {
	if ctx.Err() != nil {
		return
	}
	if !e.running.CompareAndSwap(false, true) {
		log.Warn("skipping run: previous run still in progress", "trigger", trigger, "due", due)
		return
	}
	s.runs.Go(func() {
		defer e.running.Store(false)
		s.execute(ctx, e, log, trigger)
	})
}

// execute runs e once and logs how it went. A failure or panic is logged
// and goes no further: the next tick runs the job again.
func (s *Scheduler) execute(ctx context.Context, e *entry, log *slog.Logger, trigger string) {
	log.Info("job started", "trigger", trigger)
	begin := time.Now()
	err := e.call(ctx)
	elapsed := time.Since(begin).Round(time.Millisecond)
	var pe *PanicError
	switch {
	case errors.As(err, &pe):
		log.Error("job panicked", "elapsed", elapsed, "err", err, "stack", string(pe.Stack))
	case err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		log.Warn("job stopped by shutdown", "elapsed", elapsed, "err", err)
	case err != nil:
		log.Error("job failed", "elapsed", elapsed, "err", err)
	default:
		log.Info("job finished", "elapsed", elapsed)
	}
}

// drain waits for running jobs for at most the shutdown grace.
func (s *Scheduler) drain(entries []*entry) error {
	log := s.logger()
	grace := s.ShutdownGrace
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	log.Info("scheduler stopping", "running", runningNames(entries), "grace", grace)
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
		log.Info("scheduler stopped")
		return nil
	case <-timer.C:
	}
	select {
	case <-done: // the last run ended as the grace did
		log.Info("scheduler stopped")
		return nil
	default:
	}
	still := runningNames(entries)
	log.Warn("shutdown grace expired; jobs still running", "running", still, "grace", grace)
	return fmt.Errorf("schedule: %w: %s", ErrShutdownTimeout, strings.Join(still, ", "))
}

func runningNames(entries []*entry) []string {
	var names []string
	for _, e := range entries {
		if e.running.Load() {
			names = append(names, e.job.Name)
		}
	}
	return names
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
