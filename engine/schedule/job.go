package schedule

import (
	"context"
	"fmt"
	"runtime/debug"
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
	// Run does the work. Its ctx is cancelled when the scheduler stops.
	Run func(ctx context.Context) error
	// LastSuccess reports when the job last completed successfully (zero if
	// never). At start the scheduler uses it to catch up a run missed while
	// the process was down or that failed. Nil turns catching up off.
	LastSuccess func(ctx context.Context) (time.Time, error)
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
	job     Job
	sched   cron.Schedule
	running atomic.Bool // a run, scheduled or caught up, is in progress
}

// call runs the job once, turning a panic into a *PanicError.
func (e *entry) call(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return e.job.Run(ctx)
}
