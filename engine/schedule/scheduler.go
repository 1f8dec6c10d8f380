// Package schedule runs jobs on cron schedules in the county's time zone for
// `lipwatch serve`: one run of a job at a time (a tick that finds the
// previous run still going is skipped, not queued), a run missed while the
// process was down is caught up at start, a run that finds what it needs
// held by another process waits for it (bounded, with backoff) and, given
// up, is run once it is free, and a stop waits for running jobs within a
// grace period.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultShutdownGrace is how long Run waits for running jobs after its
// context is done, unless Scheduler.ShutdownGrace says otherwise.
const DefaultShutdownGrace = 30 * time.Second

// DefaultBusyWait and DefaultBusyRetry are how long a run that finds its
// resource busy is tried again, and the first wait between tries, unless
// Scheduler.BusyWait and BusyRetry say otherwise.
const (
	DefaultBusyWait  = 30 * time.Minute
	DefaultBusyRetry = 30 * time.Second
)

// busyGrowth caps the doubling wait between busy tries, as a multiple of
// the first; it is also the interval of an owed run's probes.
const busyGrowth = 4

// maxSleep caps one wait between ticks, so that a step of the wall clock or
// a suspended machine delays a tick by at most this much.
const maxSleep = time.Minute

var (
	// ErrStarted is returned by Add and Run once Run has been called.
	ErrStarted = errors.New("scheduler already started")
	// ErrShutdownTimeout is returned by Run when jobs were still running
	// at the end of the shutdown grace.
	ErrShutdownTimeout = errors.New("shutdown grace expired with jobs still running")
	// ErrStopping is returned by Replace once Run's context is done.
	ErrStopping = errors.New("scheduler stopping")
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
	// BusyWait bounds how long a run whose Run returns a Job.Busy error is
	// tried again, from its first try; zero means DefaultBusyWait.
	BusyWait time.Duration
	// BusyRetry is the first wait between busy tries; it doubles up to
	// four times this, which is also the interval of an owed run's probes.
	// Each wait is jittered by up to a quarter either way, so that jobs
	// waiting together spread out. Zero means DefaultBusyRetry.
	BusyRetry time.Duration

	mu       sync.Mutex
	entries  []*entry // the jobs now
	all      []*entry // every job ever added, for the runs a stop waits for
	started  bool
	stopping bool            // Run's ctx is done: Replace starts no loop
	ctx      context.Context // Run's, for the loops Replace starts
	loops    sync.WaitGroup  // job loops; Add only under mu before stopping
	runs     sync.WaitGroup  // runs in flight; Add only from loops
}

// Add registers a job. It is an error if the job has no name or Run func,
// if another job has its name, or if its Spec is invalid or never fires; the
// error names the job.
func (s *Scheduler) Add(j Job) error {
	sched, err := s.check(j)
	if err != nil {
		return err
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
	e := newEntry(j, sched)
	s.entries = append(s.entries, e)
	s.all = append(s.all, e)
	return nil
}

// check validates j as Add does and parses its Spec.
func (s *Scheduler) check(j Job) (cron.Schedule, error) {
	if j.Name == "" {
		return nil, errors.New("schedule: job has no name")
	}
	if j.Run == nil {
		return nil, fmt.Errorf("schedule: job %q: no Run func", j.Name)
	}
	sched, err := parseAt(j.Spec, nil, s.now()) // never fires: judged on the scheduler's clock
	if err != nil {
		return nil, fmt.Errorf("schedule: job %q: %w", j.Name, err)
	}
	return sched, nil
}

// Replace makes jobs the scheduler's jobs, as a reloaded configuration
// says them: every job is checked first, as Add checks it, and on an error
// nothing changes. Before Run it sets the jobs Run starts with. While Run
// runs, a job whose name is already there keeps its place — its run in
// progress and a run it owes go on — and takes the new Job from its next
// run on, its next tick reckoned by the new Spec from now when the Spec
// changed; a new name is scheduled from now (no catch-up: that is for
// ticks missed while the process was down); a name no longer there gets
// no more ticks, and a run of it in progress finishes (a stop waits for
// it as for any run). It returns ErrStopping once Run's ctx is done.
func (s *Scheduler) Replace(jobs []Job) error {
	scheds := make([]cron.Schedule, len(jobs))
	seen := map[string]bool{}
	for i, j := range jobs {
		sched, err := s.check(j)
		if err != nil {
			return err
		}
		if seen[j.Name] {
			return fmt.Errorf("schedule: job %q added twice", j.Name)
		}
		seen[j.Name] = true
		scheds[i] = sched
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return fmt.Errorf("schedule: replace: %w", ErrStopping)
	}
	old := map[string]*entry{}
	for _, e := range s.entries {
		old[e.name] = e
	}
	entries := make([]*entry, 0, len(jobs))
	for i, j := range jobs {
		if e := old[j.Name]; e != nil {
			delete(old, j.Name)
			e.replace(j, scheds[i])
			entries = append(entries, e)
			continue
		}
		e := newEntry(j, scheds[i])
		entries = append(entries, e)
		s.all = append(s.all, e)
		if s.started {
			s.logger().Info("job added", "job", j.Name)
			s.loops.Go(func() { s.loop(s.ctx, e, s.now().In(s.Location), false) })
		}
	}
	for _, e := range s.entries {
		if old[e.name] == e {
			close(e.gone)
			if s.started {
				s.logger().Info("job removed", "job", e.name)
			}
		}
	}
	s.entries = entries
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
	s.ctx = ctx
	// One instant for every job's catch-up and first tick, so that no tick
	// falls between the two.
	start := s.now().In(s.Location)
	for _, e := range s.entries {
		s.loops.Go(func() { s.loop(ctx, e, start, true) })
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.stopping = true // no loop starts after this
	all := slices.Clone(s.all)
	s.mu.Unlock()
	s.loops.Wait() // after this no run starts, so s.runs.Wait is safe
	return s.drain(all)
}

// loop catches e up (catchUp: the jobs Run starts with) and then starts
// it at each tick until ctx is done or e is removed.
func (s *Scheduler) loop(ctx context.Context, e *entry, start time.Time, catchUp bool) {
	log := s.logger().With("job", e.name)
	_, sched := e.current()
	next := sched.Next(start)
	log.Info("job scheduled", "next_run", next)
	if catchUp {
		s.catchUp(ctx, e, start, log)
	}

	timer := time.NewTimer(maxSleep)
	defer timer.Stop()
	for {
		select {
		case <-e.gone:
			return
		default:
		}
		if sched, ok := e.rescheduled(); ok {
			next = sched.Next(s.now().In(s.Location))
			log.Info("job rescheduled", "next_run", next)
		}
		if next.IsZero() {
			log.Warn("job has no further scheduled runs")
			return
		}
		now := s.now()
		// A run given up on a busy resource is tried again on its own,
		// between ticks, until a try finds the resource free.
		owed, probe, owing := e.owing()
		if owing && !now.Before(probe) && !e.running.Load() {
			e.reprobe(now.Add(s.jitter(s.probeInterval())))
			s.start(ctx, e, log, "owed", owed)
			continue
		}
		// Re-read the clock after every wake rather than trusting one long
		// timer: the schedule is in wall time, timers are monotonic.
		if wait := next.Sub(now); wait > 0 {
			sleep := min(wait, maxSleep)
			if d := probe.Sub(now); owing && d > 0 {
				sleep = min(sleep, d)
			}
			timer.Reset(sleep)
			select {
			case <-ctx.Done():
				return
			case <-e.gone:
				return
			case <-timer.C:
			case <-e.wake: // a run gave up (its first probe is to be timed), or the job was replaced
				timer.Stop() // no stale tick after Stop (Go 1.23 timers)
			}
			continue
		}
		s.start(ctx, e, log, "schedule", next)
		// From now, not from next: ticks missed while asleep are not queued.
		_, sched := e.current()
		next = sched.Next(s.now().In(s.Location))
		log.Debug("job scheduled", "next_run", next)
	}
}

// catchUp starts e once if its last success is older than its latest tick
// at or before start: the process was down then, or that run failed.
func (s *Scheduler) catchUp(ctx context.Context, e *entry, start time.Time, log *slog.Logger) {
	job, sched := e.current()
	if job.LastSuccess == nil {
		return
	}
	prev := prevTick(sched, start)
	if prev.IsZero() {
		return
	}
	last, err := job.LastSuccess(ctx)
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
		log.Info("no missed run", "last_run", prev, "last_success", last.In(s.Location))
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
		s.execute(ctx, e, log, trigger, due)
	})
}

// execute runs e for the tick due and logs how it went. A try that finds
// the resource busy is tried again after a wait (see busyTry). Any other
// failure, or a panic, is logged and goes no further: the next tick runs
// the job again.
func (s *Scheduler) execute(ctx context.Context, e *entry, log *slog.Logger, trigger string, due time.Time) {
	job, _ := e.current() // the Job as it was when the run started, for all its tries
	a := Attempt{Due: due.In(s.Location), Trigger: trigger, Try: 1, First: s.now()}
	for ; ; a.Try++ {
		a.Started = s.now()
		if a.Try == 1 {
			log.Info("job started", "trigger", trigger, "due", a.Due)
		} else {
			log.Info("job started", "trigger", trigger, "due", a.Due, "try", a.Try)
		}
		begin := time.Now()
		err := call(withAttempt(ctx, a), job)
		elapsed := time.Since(begin).Round(time.Millisecond)
		if ctx.Err() == nil && busy(job, err) {
			wait, again := s.busyTry(e, job, log, a, err)
			if !again {
				return
			}
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				log.Warn("job stopped by shutdown while waiting for a busy resource", "trigger", trigger, "due", a.Due, "tries", a.Try)
				return
			case <-timer.C:
			}
			continue
		}
		s.finished(ctx, log, err, elapsed)
		e.settle(a.Due)
		return
	}
}

// busyTry handles a try that found the resource busy: it tells the job
// (OnBusy) and returns the wait before the next try, or again false when
// the run stops trying: it waited BusyWait (a job with LastSuccess then
// owes it), or it was a probe of an owed run (the loop probes again).
func (s *Scheduler) busyTry(e *entry, job Job, log *slog.Logger, a Attempt, err error) (wait time.Duration, again bool) {
	bt := BusyTry{Attempt: a, Err: err, Waited: s.now().Sub(a.First)}
	catchUp := job.LastSuccess != nil
	switch {
	case a.Trigger == "owed":
		bt.Retry = s.probeInterval()
		log.Info("owed job still busy; trying again later", "due", a.Due, "retry_in", bt.Retry, "err", err)
	case bt.Waited >= s.busyWait():
		bt.GaveUp = true
		if catchUp {
			bt.Retry = s.probeInterval()
			log.Error("job gave up waiting for a busy resource; it runs once the resource is free",
				"trigger", a.Trigger, "due", a.Due, "waited", bt.Waited.Round(time.Second), "tries", a.Try, "err", err)
		} else {
			log.Error("job gave up waiting for a busy resource; the next tick runs it",
				"trigger", a.Trigger, "due", a.Due, "waited", bt.Waited.Round(time.Second), "tries", a.Try, "err", err)
		}
	default:
		// The last wait ends at BusyWait, so that the last try is there.
		bt.Retry = min(s.jitter(s.busyBackoff(a.Try)), s.busyWait()-bt.Waited)
		log.Warn("job busy; trying again", "trigger", a.Trigger, "due", a.Due, "try", a.Try,
			"retry_in", bt.Retry.Round(time.Millisecond), "waited", bt.Waited.Round(time.Millisecond), "err", err)
	}
	if job.OnBusy != nil {
		job.OnBusy(bt)
	}
	if bt.GaveUp && catchUp {
		e.owe(a.Due, s.now().Add(s.jitter(s.probeInterval())))
	}
	if a.Trigger == "owed" || bt.GaveUp {
		return 0, false
	}
	return bt.Retry, true
}

// finished logs how a run ended.
func (s *Scheduler) finished(ctx context.Context, log *slog.Logger, err error, elapsed time.Duration) {
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

func (s *Scheduler) busyWait() time.Duration {
	if s.BusyWait > 0 {
		return s.BusyWait
	}
	return DefaultBusyWait
}

func (s *Scheduler) busyRetry() time.Duration {
	if s.BusyRetry > 0 {
		return s.BusyRetry
	}
	return DefaultBusyRetry
}

// busyBackoff is the wait after busy try n (1-based), before jitter:
// BusyRetry doubled n-1 times, capped at busyGrowth times BusyRetry.
func (s *Scheduler) busyBackoff(n int) time.Duration {
	d := s.busyRetry()
	for i := 1; i < n && d < busyGrowth*s.busyRetry(); i++ {
		d *= 2
	}
	return min(d, busyGrowth*s.busyRetry())
}

// probeInterval is how often an owed run is tried, before jitter.
func (s *Scheduler) probeInterval() time.Duration { return busyGrowth * s.busyRetry() }

// jitter spreads d by up to a quarter either way.
func (s *Scheduler) jitter(d time.Duration) time.Duration {
	q := int64(d / 4)
	if q <= 0 {
		return d
	}
	return d - time.Duration(q) + time.Duration(rand.Int64N(2*q+1))
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
			names = append(names, e.name)
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
