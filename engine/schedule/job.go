package schedule

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is a named piece of work run on a cron schedule.
type Job struct {
	// Name identifies the job in logs and errors; unique per Scheduler.
	Name string
	// Spec is a standard 5-field cron expression ("30 2 * * *") read in the
	// Scheduler's Location, or a descriptor cron.ParseStandard accepts
	// ("@daily", "@every 1h").
	Spec string
	// Run does the work. Its ctx is cancelled when the scheduler stops;
	// AttemptOf(ctx) tells which tick the run is for and which try this is.
	Run func(ctx context.Context) error
	// LastSuccess reports up to when the job's successful runs cover its
	// ticks (zero if never): a tick at or before that instant needs no
	// catch-up. At start the scheduler uses it to catch up the latest tick
	// missed while the process was down or whose run failed. Nil turns
	// catching up off, and with it the owed runs below.
	//
	// A job whose runs are for a calendar date (the nightly job, for the
	// date of its due tick) returns EndOfDay of the newest date it has
	// done, not when that run started: a run due at 23:50 on the 28th that
	// started at 00:10 on the 29th (it waited for a busy store) did the
	// 28th's tick, and a re-run of an old date started today did not do
	// today's.
	LastSuccess func(ctx context.Context) (time.Time, error)
	// Busy reports whether an error of Run means the run could not start
	// because another process holds what it needs (lipwatch: the store).
	// Such a run is tried again with backoff (Scheduler.BusyRetry) for up
	// to Scheduler.BusyWait from its first try, instead of waiting for the
	// next tick. A run that gives up is, for a job with LastSuccess, owed:
	// it is tried once every probe interval (four times BusyRetry) until a
	// try finds the resource free, or a later tick's run ends. Nil: no
	// error is busy.
	Busy func(err error) bool
	// OnBusy, if set, hears of every try that found the resource busy
	// (Busy said so), e.g. to record it once the resource is free again.
	// It is called from the run's goroutine, before the wait.
	OnBusy func(BusyTry)
}

// Attempt describes one try of a run; AttemptOf reads it from the ctx the
// scheduler gives Run.
type Attempt struct {
	// Due is the tick the run is for, in the Scheduler's Location: the
	// scheduled time, the missed tick of a catch-up, or the tick of an
	// owed run, however late the try itself is.
	Due time.Time
	// Trigger says why the run started: "schedule" (its tick), "missed"
	// (the catch-up at start) or "owed" (a run that gave up waiting for a
	// busy resource, tried again).
	Trigger string
	// Try is 1 for a run's first try, 2, 3, ... for the tries after busy
	// ones.
	Try int
	// First is when the run's first try began, Started when this one did
	// (the Scheduler's clock).
	First, Started time.Time
}

// BusyTry is a try that found the resource busy, as Job.OnBusy hears of it.
type BusyTry struct {
	Attempt
	// Err is Run's error, which Job.Busy called busy; it names the holder.
	Err error
	// Waited is how long the run has been trying: from its first try to
	// the end of this one.
	Waited time.Duration
	// Retry is the wait before the next try; zero when GaveUp.
	Retry time.Duration
	// GaveUp: the run waited Scheduler.BusyWait and is given up. A job with
	// LastSuccess now owes it and probes for it (Retry is then the probe
	// interval): the tries of an owed run have Trigger "owed".
	GaveUp bool
}

type attemptKey struct{}

// AttemptOf returns the attempt the scheduler runs a job's Run for; false
// for a ctx that does not come from a Scheduler.
func AttemptOf(ctx context.Context) (Attempt, bool) {
	a, ok := ctx.Value(attemptKey{}).(Attempt)
	return a, ok
}

func withAttempt(ctx context.Context, a Attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

// EndOfDay returns the last instant, in loc, of date's calendar day (its
// year, month and day as written, in whatever zone date is): what a job's
// LastSuccess returns for a run done for that date.
func EndOfDay(date time.Time, loc *time.Location) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
}

// PanicError is the error of a run that panicked.
type PanicError struct {
	Value any    // what the job panicked with
	Stack []byte // the goroutine's stack at the panic
}

// Error reports the panic value; the stack is logged, not in the message.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// entry is an added job with its parsed schedule and in-flight guard.
type entry struct {
	name    string        // job.Name, which Replace never changes
	gone    chan struct{} // closed when Replace removes the job
	running atomic.Bool   // a run, scheduled, caught up or owed, is in progress

	mu      sync.Mutex
	job     Job
	sched   cron.Schedule
	resched bool          // Replace changed the spec: the loop reckons its next tick anew
	owed    time.Time     // due tick of a run given up on a busy resource; zero if none
	probeAt time.Time     // when to try the owed run next
	wake    chan struct{} // tells the loop that owed or the spec changed
}

func newEntry(j Job, sched cron.Schedule) *entry {
	return &entry{name: j.Name, gone: make(chan struct{}), job: j, sched: sched, wake: make(chan struct{}, 1)}
}

// current returns the job and its schedule as they are now.
func (e *entry) current() (Job, cron.Schedule) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.job, e.sched
}

// replace gives the entry a new Job (same name); a changed spec wakes the
// loop to reckon its next tick by it.
func (e *entry) replace(j Job, sched cron.Schedule) {
	e.mu.Lock()
	changed := j.Spec != e.job.Spec
	e.job = j
	if changed {
		e.sched, e.resched = sched, true
	}
	e.mu.Unlock()
	if changed {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

// rescheduled returns the new schedule once after replace changed it.
func (e *entry) rescheduled() (cron.Schedule, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.resched {
		return nil, false
	}
	e.resched = false
	return e.sched, true
}

// call runs the job once, turning a panic into a *PanicError.
func call(ctx context.Context, job Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return job.Run(ctx)
}

// busy reports whether err is one that job.Busy calls busy.
func busy(job Job, err error) bool {
	return err != nil && job.Busy != nil && job.Busy(err)
}

// owe records that the run due at due gave up and is to be tried at probe.
func (e *entry) owe(due, probe time.Time) {
	e.mu.Lock()
	if e.owed.IsZero() || !due.Before(e.owed) {
		e.owed = due
	}
	e.probeAt = probe
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// reprobe sets when the owed run is tried next.
func (e *entry) reprobe(at time.Time) {
	e.mu.Lock()
	e.probeAt = at
	e.mu.Unlock()
}

// owing returns the owed run's tick and when to try it next.
func (e *entry) owing() (due, probe time.Time, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.owed, e.probeAt, !e.owed.IsZero()
}

// settle forgets the owed run once a run for its tick or a later one has
// ended other than busy (done, or failed for a reason of its own: a
// failure is retried at the next tick, as any failure is).
func (e *entry) settle(due time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.owed.IsZero() && !due.Before(e.owed) {
		e.owed, e.probeAt = time.Time{}, time.Time{}
	}
}
