package schedule

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Most tests run in a synctest bubble: real goroutines, timers and cron
// specs, on a virtual clock that starts at 2000-01-01 00:00 UTC (08:00 in
// Shanghai) and only moves when every goroutine is blocked, so "the job is
// still running at the third tick" is a fact, not a race.

// logSink collects JSON log lines.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records returns the log records with message msg ("" for all).
func (l *logSink) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if msg == "" || r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkKeys asserts that every log key is snake_case and every record
// about a job names it.
func (l *logSink) checkKeys(t *testing.T) {
	t.Helper()
	for _, r := range l.records(t, "") {
		for k := range r {
			if !snakeCase.MatchString(k) {
				t.Errorf("log key %q in %v is not snake_case", k, r)
			}
		}
		if strings.HasPrefix(r["msg"].(string), "job ") && r["job"] == nil {
			t.Errorf("log record %v does not name its job", r)
		}
	}
}

// start runs s in a goroutine and returns a func that cancels it and
// returns Run's error.
func start(t *testing.T, s *Scheduler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	return func() error {
		cancel()
		return <-errc
	}
}

func mustAdd(t *testing.T, s *Scheduler, j Job) {
	t.Helper()
	if err := s.Add(j); err != nil {
		t.Fatal(err)
	}
}

func TestMissedRunAtStart(t *testing.T) {
	// The clock is frozen just after 03:00 in Shanghai, so "* * * * *" never
	// ticks by itself: only a catch-up can run the job.
	now := sh(2026, 3, 10, 3, 0, 30)
	prev := sh(2026, 3, 10, 3, 0, 0)
	tests := []struct {
		name     string
		last     time.Time
		lastErr  error
		want     int
		wantWarn bool
	}{
		{name: "never succeeded", want: 1},
		{name: "last success before the previous tick", last: prev.Add(-time.Second), want: 1},
		{name: "last success at the previous tick", last: prev, want: 0},
		{name: "last success after the previous tick", last: prev.Add(10 * time.Second), want: 0},
		{name: "last success unknown", lastErr: errors.New("store busy"), want: 1, wantWarn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs logSink
				var runs atomic.Int32
				s := &Scheduler{Location: shanghai, Logger: logs.logger(), Now: func() time.Time { return now }}
				mustAdd(t, s, Job{
					Name: "nightly",
					Spec: "* * * * *",
					Run:  func(context.Context) error { runs.Add(1); return nil },
					LastSuccess: func(context.Context) (time.Time, error) {
						return tt.last, tt.lastErr
					},
				})
				stop := start(t, s)
				time.Sleep(10 * time.Minute) // of the virtual clock; the frozen one stays at 03:00:30
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got := int(runs.Load()); got != tt.want {
					t.Errorf("runs = %d, want %d", got, tt.want)
				}
				missed := logs.records(t, "running missed job")
				if len(missed) != tt.want {
					t.Errorf("%d %q logs, want %d", len(missed), "running missed job", tt.want)
				}
				for _, r := range missed {
					if r["job"] != "nightly" || r["missed_run"] != "2026-03-10T03:00:00+08:00" {
						t.Errorf("missed-run log = %v", r)
					}
				}
				if got := len(logs.records(t, "cannot read last success; running job anyway")) == 1; got != tt.wantWarn {
					t.Errorf("warned about LastSuccess error: %v, want %v", got, tt.wantWarn)
				}
				logs.checkKeys(t)
			})
		})
	}
}

// TestMissedRunThenSchedule crosses a day boundary in Shanghai on the
// running clock: the catch-up at 08:00, then the next night's tick.
func TestMissedRunThenSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var runs atomic.Int32
		s := &Scheduler{Location: shanghai, Logger: logs.logger()}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "30 2 * * *",
			Run:  func(context.Context) error { runs.Add(1); return nil },
			LastSuccess: func(context.Context) (time.Time, error) {
				return sh(1999, 12, 31, 2, 40, 0), nil // missed 2000-01-01 02:30
			},
		})
		if now := time.Now().In(shanghai); !now.Equal(sh(2000, 1, 1, 8, 0, 0)) {
			t.Fatalf("bubble starts at %s", now)
		}
		stop := start(t, s)

		time.Sleep(18*time.Hour + 29*time.Minute) // 2000-01-02 02:29
		synctest.Wait()
		if got := runs.Load(); got != 1 {
			t.Fatalf("runs before the next tick = %d, want 1 (the catch-up)", got)
		}
		time.Sleep(2 * time.Minute) // 02:31
		synctest.Wait()
		if got := runs.Load(); got != 2 {
			t.Fatalf("runs after the next tick = %d, want 2", got)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		var triggers []any
		for _, r := range logs.records(t, "job started") {
			triggers = append(triggers, r["trigger"])
		}
		if len(triggers) != 2 || triggers[0] != "missed" || triggers[1] != "schedule" {
			t.Errorf("triggers = %v, want [missed schedule]", triggers)
		}
		sched := logs.records(t, "job scheduled")
		if len(sched) == 0 || sched[0]["next_run"] != "2000-01-02T02:30:00+08:00" {
			t.Errorf("first %q log = %v", "job scheduled", sched)
		}
		logs.checkKeys(t)
	})
}

func TestOverlappingTickSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var runs atomic.Int32
		release := make(chan struct{})
		s := &Scheduler{Location: shanghai, Logger: logs.logger()}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "* * * * *",
			Run: func(context.Context) error {
				if runs.Add(1) == 1 {
					<-release
				}
				return nil
			},
		})
		stop := start(t, s)

		time.Sleep(90 * time.Second) // the 08:01 tick starts run 1, which blocks
		synctest.Wait()
		if got := runs.Load(); got != 1 {
			t.Fatalf("runs = %d, want 1", got)
		}
		time.Sleep(3 * time.Minute) // ticks at 08:02, 08:03, 08:04 find it still going
		synctest.Wait()
		if got := runs.Load(); got != 1 {
			t.Fatalf("runs while blocked = %d, want 1", got)
		}
		skipped := logs.records(t, "skipping run: previous run still in progress")
		if len(skipped) != 3 {
			t.Fatalf("%d skip logs, want 3", len(skipped))
		}
		for _, r := range skipped {
			if r["level"] != "WARN" || r["job"] != "nightly" || r["trigger"] != "schedule" {
				t.Errorf("skip log = %v", r)
			}
		}

		close(release)
		time.Sleep(time.Minute) // 08:05: runs again; the skipped ticks were not queued
		synctest.Wait()
		if got := runs.Load(); got != 2 {
			t.Fatalf("runs after release = %d, want 2", got)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		logs.checkKeys(t)
	})
}

func TestMissedRunAndTickDoNotOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var runs atomic.Int32
		release := make(chan struct{})
		s := &Scheduler{Location: shanghai, Logger: logs.logger()}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "* * * * *",
			Run: func(context.Context) error {
				runs.Add(1)
				<-release
				return nil
			},
			LastSuccess: func(context.Context) (time.Time, error) { return time.Time{}, nil },
		})
		stop := start(t, s)
		time.Sleep(90 * time.Second) // catch-up at 08:00 still running at the 08:01 tick
		synctest.Wait()
		if got := runs.Load(); got != 1 {
			t.Fatalf("runs = %d, want 1", got)
		}
		if got := len(logs.records(t, "skipping run: previous run still in progress")); got != 1 {
			t.Errorf("%d skip logs, want 1", got)
		}
		close(release)
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

func TestStopWaitsForRunningJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		started := make(chan struct{})
		var finished atomic.Bool
		s := &Scheduler{Location: shanghai, Logger: logs.logger()}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "30 2 * * *",
			Run: func(ctx context.Context) error {
				close(started)
				<-ctx.Done()
				time.Sleep(5 * time.Second) // roll back, close files
				finished.Store(true)
				return ctx.Err()
			},
			LastSuccess: func(context.Context) (time.Time, error) { return time.Time{}, nil },
		})
		stop := start(t, s)
		<-started
		if err := stop(); err != nil {
			t.Fatalf("Run: %v, want nil", err)
		}
		if !finished.Load() {
			t.Error("Run returned before the running job did")
		}
		if got := logs.records(t, "job stopped by shutdown"); len(got) != 1 || got[0]["level"] != "WARN" {
			t.Errorf("shutdown logs = %v", got)
		}
		if got := logs.records(t, "job failed"); len(got) != 0 {
			t.Errorf("a job cancelled by shutdown was logged as failed: %v", got)
		}
		logs.checkKeys(t)
	})
}

func TestStopGraceExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		started := make(chan struct{})
		sawCancel := make(chan struct{})
		release := make(chan struct{})
		var returned atomic.Bool
		s := &Scheduler{Location: shanghai, Logger: logs.logger(), ShutdownGrace: 2 * time.Second}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "30 2 * * *",
			Run: func(ctx context.Context) error {
				defer returned.Store(true)
				close(started)
				<-ctx.Done()
				close(sawCancel)
				<-release // stuck, e.g. in a call that ignores ctx
				return nil
			},
			LastSuccess: func(context.Context) (time.Time, error) { return time.Time{}, nil },
		})
		stop := start(t, s)
		<-started
		begin := time.Now()
		err := stop()
		if !errors.Is(err, ErrShutdownTimeout) || !strings.Contains(err.Error(), "nightly") {
			t.Errorf("Run: %v, want ErrShutdownTimeout naming the job", err)
		}
		if waited := time.Since(begin); waited < 2*time.Second {
			t.Errorf("Run returned after %s, before the grace", waited)
		}
		select {
		case <-sawCancel:
		default:
			t.Error("the job's ctx was not cancelled")
		}
		if returned.Load() {
			t.Error("the job returned; the test meant it to be stuck")
		}
		if got := logs.records(t, "shutdown grace expired; jobs still running"); len(got) != 1 {
			t.Errorf("grace logs = %v", got)
		}
		close(release)
		synctest.Wait()
		if !returned.Load() {
			t.Error("the job did not return after release")
		}
	})
}

func TestFailedRunRetriedAtNextTick(t *testing.T) {
	tests := []struct {
		name    string
		fail    func() error
		wantMsg string
		wantErr string
	}{
		{"error", func() error { return errors.New("source medical: connection refused") }, "job failed", "source medical: connection refused"},
		{"panic", func() error { panic("boom") }, "job panicked", "panic: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs logSink
				var runs atomic.Int32
				s := &Scheduler{Location: shanghai, Logger: logs.logger()}
				mustAdd(t, s, Job{
					Name: "nightly",
					Spec: "* * * * *",
					Run: func(context.Context) error {
						if runs.Add(1) == 1 {
							return tt.fail()
						}
						return nil
					},
				})
				stop := start(t, s)
				time.Sleep(150 * time.Second) // ticks at 08:01 (fails) and 08:02
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got := runs.Load(); got != 2 {
					t.Errorf("runs = %d, want 2", got)
				}
				failed := logs.records(t, tt.wantMsg)
				if len(failed) != 1 {
					t.Fatalf("%d %q logs, want 1", len(failed), tt.wantMsg)
				}
				if r := failed[0]; r["level"] != "ERROR" || r["job"] != "nightly" || r["err"] != tt.wantErr || r["elapsed"] == nil {
					t.Errorf("failure log = %v", r)
				}
				if got := len(logs.records(t, "job finished")); got != 1 {
					t.Errorf("%d %q logs, want 1", got, "job finished")
				}
				logs.checkKeys(t)
			})
		})
	}
}

func TestPanicStackLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		s := &Scheduler{Location: shanghai, Logger: logs.logger()}
		mustAdd(t, s, Job{
			Name:        "nightly",
			Spec:        "30 2 * * *",
			Run:         func(context.Context) error { var m map[string]int; m["x"]++; return nil },
			LastSuccess: func(context.Context) (time.Time, error) { return time.Time{}, nil },
		})
		stop := start(t, s)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		got := logs.records(t, "job panicked")
		if len(got) != 1 {
			t.Fatalf("panic logs = %v", got)
		}
		if stack, _ := got[0]["stack"].(string); !strings.Contains(stack, "TestPanicStackLogged") {
			t.Errorf("stack does not show the panicking func:\n%s", stack)
		}
	})
}

func TestStopBeforeAnyRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Scheduler{Location: shanghai}
		mustAdd(t, s, Job{Name: "nightly", Spec: "30 2 * * *", Run: func(context.Context) error {
			t.Error("job ran")
			return nil
		}})
		stop := start(t, s)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// TestRealClock runs one tick on the process's own clock, outside any
// bubble. "@every 1s" is the fastest spec cron accepts.
func TestRealClock(t *testing.T) {
	ran := make(chan struct{}, 1)
	s := &Scheduler{Location: shanghai}
	mustAdd(t, s, Job{Name: "tick", Spec: "@every 1s", Run: func(context.Context) error {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	}})
	stop := start(t, s)
	select {
	case <-ran:
	case <-time.After(10 * time.Second): // safety net only
		t.Error("no run within 10s")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestAddErrors(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"four fields", Job{Name: "nightly", Spec: "0 2 * *", Run: ok},
			`schedule: job "nightly": invalid cron schedule "0 2 * *": expected exactly 5 fields, found 4: [0 2 * *]`},
		{"six fields", Job{Name: "nightly", Spec: "0 30 2 * * *", Run: ok},
			`schedule: job "nightly": invalid cron schedule "0 30 2 * * *": expected exactly 5 fields, found 6: [0 30 2 * * *]`},
		{"bad minute", Job{Name: "nightly", Spec: "61 2 * * *", Run: ok},
			`schedule: job "nightly": invalid cron schedule "61 2 * * *": end of range (61) above maximum (59): 61`},
		{"empty spec", Job{Name: "nightly", Run: ok}, `schedule: job "nightly": empty cron schedule`},
		{"never fires", Job{Name: "nightly", Spec: "0 0 30 2 *", Run: ok},
			`schedule: job "nightly": cron schedule "0 0 30 2 *" never fires`},
		{"no run func", Job{Name: "nightly", Spec: "30 2 * * *"}, `schedule: job "nightly": no Run func`},
		{"no name", Job{Spec: "30 2 * * *", Run: ok}, "schedule: job has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Scheduler
			err := s.Add(tt.job)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Add error =\n  %v\nwant\n  %s", err, tt.want)
			}
		})
	}
}

func TestAddTwice(t *testing.T) {
	var s Scheduler
	j := Job{Name: "nightly", Spec: "30 2 * * *", Run: func(context.Context) error { return nil }}
	mustAdd(t, &s, j)
	if err := s.Add(j); err == nil || err.Error() != `schedule: job "nightly" added twice` {
		t.Errorf("second Add error = %v", err)
	}
}

func TestRunMisuse(t *testing.T) {
	t.Run("no location", func(t *testing.T) {
		var s Scheduler
		if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "Location is nil") {
			t.Errorf("Run error = %v", err)
		}
	})
	t.Run("started", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := &Scheduler{Location: shanghai}
			stop := start(t, s)
			synctest.Wait()
			if err := s.Run(t.Context()); !errors.Is(err, ErrStarted) {
				t.Errorf("second Run error = %v, want ErrStarted", err)
			}
			err := s.Add(Job{Name: "late", Spec: "30 2 * * *", Run: func(context.Context) error { return nil }})
			if !errors.Is(err, ErrStarted) || !strings.Contains(err.Error(), `"late"`) {
				t.Errorf("Add after Run error = %v, want ErrStarted naming the job", err)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	})
}

// TestClockJumpRunsOnce: after a suspend or a step of the wall clock past
// several ticks, the job runs once, late, and the ticks are not replayed.
func TestClockJumpRunsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var runs atomic.Int32
		var offset atomic.Int64
		s := &Scheduler{
			Location: shanghai,
			Logger:   logs.logger(),
			Now:      func() time.Time { return time.Now().Add(time.Duration(offset.Load())) },
		}
		mustAdd(t, s, Job{Name: "hourly", Spec: "0 * * * *", Run: func(context.Context) error { runs.Add(1); return nil }})
		stop := start(t, s)
		time.Sleep(30 * time.Minute) // 08:30
		synctest.Wait()
		offset.Store(int64(5 * time.Hour)) // 13:30: the 09:00 to 13:00 ticks went by unseen
		time.Sleep(2 * time.Minute)        // the loop wakes within maxSleep
		synctest.Wait()
		if got := runs.Load(); got != 1 {
			t.Errorf("runs after the jump = %d, want 1", got)
		}
		if got := logs.records(t, "skipping run: previous run still in progress"); len(got) != 0 {
			t.Errorf("missed ticks were replayed: %v", got)
		}
		time.Sleep(30 * time.Minute) // past 14:00
		synctest.Wait()
		if got := runs.Load(); got != 2 {
			t.Errorf("runs after the next tick = %d, want 2", got)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// errBusy stands for the store another process holds.
var errBusy = errors.New("open store: store is in use by another process: held by \"lipwatch cases list\" (pid 42)")

func isBusy(err error) bool { return errors.Is(err, errBusy) }

// busyRecorder collects what a job hears through OnBusy and the attempts
// its Run is given.
type busyRecorder struct {
	mu       sync.Mutex
	tries    []BusyTry
	attempts []Attempt
}

func (b *busyRecorder) onBusy(bt BusyTry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tries = append(b.tries, bt)
}

func (b *busyRecorder) attempt(ctx context.Context) Attempt {
	a, ok := AttemptOf(ctx)
	if !ok {
		panic("Run's ctx carries no Attempt")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts = append(b.attempts, a)
	return a
}

func (b *busyRecorder) snapshot() ([]BusyTry, []Attempt) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.tries), slices.Clone(b.attempts)
}

// TestBusyTickRetriedWithBackoff: a tick that finds the store busy is
// tried again after waits that double from BusyRetry (jittered by a
// quarter), and runs once the store is free; every try is heard of and
// every try is for the same tick.
func TestBusyTickRetriedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var rec busyRecorder
		s := &Scheduler{Location: shanghai, Logger: logs.logger(), BusyRetry: 30 * time.Second, BusyWait: 30 * time.Minute}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "0 9 * * *",
			Run: func(ctx context.Context) error {
				if a := rec.attempt(ctx); a.Try <= 3 {
					return fmt.Errorf("try %d: %w", a.Try, errBusy)
				}
				return nil
			},
			LastSuccess: func(context.Context) (time.Time, error) { return EndOfDay(sh(1999, 12, 31, 0, 0, 0), shanghai), nil },
			Busy:        isBusy,
			OnBusy:      rec.onBusy,
		})
		stop := start(t, s)
		time.Sleep(90 * time.Minute) // 09:30: the 09:00 tick has had its tries
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		tries, attempts := rec.snapshot()
		if len(attempts) != 4 || len(tries) != 3 {
			t.Fatalf("%d tries, %d busy; want 4 tries, 3 of them busy", len(attempts), len(tries))
		}
		tick := sh(2000, 1, 1, 9, 0, 0)
		for i, a := range attempts {
			if !a.Due.Equal(tick) || a.Trigger != "schedule" || a.Try != i+1 || !a.First.Equal(tick) {
				t.Errorf("attempt %d = %+v, want try %d of the 09:00 tick", i, a, i+1)
			}
		}
		for i, bt := range tries {
			base := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}[i]
			if bt.Retry < base*3/4 || bt.Retry > base*5/4 || bt.GaveUp || !isBusy(bt.Err) {
				t.Errorf("busy try %d: retry in %s (want %s ± a quarter), gave up %v, err %v", i+1, bt.Retry, base, bt.GaveUp, bt.Err)
			}
			if next := attempts[i+1].Started; !next.Equal(bt.Started.Add(bt.Retry)) {
				t.Errorf("try %d started at %s, want %s after try %d", i+2, next, bt.Retry, i+1)
			}
		}
		if got := logs.records(t, "job busy; trying again"); len(got) != 3 || got[0]["level"] != "WARN" || got[0]["err"] == nil {
			t.Errorf("busy logs = %v", got)
		}
		if got := logs.records(t, "job finished"); len(got) != 1 {
			t.Errorf("finished logs = %v", got)
		}
		logs.checkKeys(t)
	})
}

// TestBusyGivesUpThenOwedRunsWhenFree: a store held past BusyWait makes
// the run give up (heard of once, GaveUp); the night is owed and probed,
// one try at a time, until the store is free, then run for its own tick;
// once it has run nothing more is probed.
func TestBusyGivesUpThenOwedRunsWhenFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var rec busyRecorder
		var free atomic.Bool
		var done atomic.Int32
		s := &Scheduler{Location: shanghai, Logger: logs.logger(), BusyRetry: time.Minute, BusyWait: 10 * time.Minute}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "0 9 * * *",
			Run: func(ctx context.Context) error {
				rec.attempt(ctx)
				if !free.Load() {
					return errBusy
				}
				done.Add(1)
				return nil
			},
			LastSuccess: func(context.Context) (time.Time, error) { return EndOfDay(sh(1999, 12, 31, 0, 0, 0), shanghai), nil },
			Busy:        isBusy,
			OnBusy:      rec.onBusy,
		})
		stop := start(t, s)
		time.Sleep(130 * time.Minute) // 09:00 tick, given up at 09:10, probed until 10:10
		synctest.Wait()
		tries, _ := rec.snapshot()
		var gaveUp, probes int
		for _, bt := range tries {
			switch {
			case bt.GaveUp:
				gaveUp++
				if bt.Waited < 10*time.Minute || bt.Trigger != "schedule" || bt.Retry != 4*time.Minute {
					t.Errorf("gave up: %+v", bt)
				}
			case bt.Trigger == "owed":
				probes++
				if !bt.Due.Equal(sh(2000, 1, 1, 9, 0, 0)) || bt.Try != 1 {
					t.Errorf("probe: %+v", bt)
				}
			}
		}
		if gaveUp != 1 || probes < 10 || probes > 20 { // an hour of probes every 4m ± 1m
			t.Fatalf("gave up %d times, %d probes: %+v", gaveUp, probes, tries)
		}
		if done.Load() != 0 {
			t.Fatal("ran while busy")
		}
		free.Store(true)
		time.Sleep(6 * time.Minute) // the next probe finds the store free
		synctest.Wait()
		if done.Load() != 1 {
			t.Fatalf("owed run did not run once the store was free (%d runs)", done.Load())
		}
		_, attempts := rec.snapshot()
		if last := attempts[len(attempts)-1]; last.Trigger != "owed" || !last.Due.Equal(sh(2000, 1, 1, 9, 0, 0)) {
			t.Errorf("the run that ran: %+v, want the owed 09:00 tick", last)
		}
		n := len(attempts)
		time.Sleep(time.Hour) // no more probes: nothing is owed
		synctest.Wait()
		if _, attempts = rec.snapshot(); len(attempts) != n {
			t.Errorf("%d tries after the owed run ran: %+v", len(attempts)-n, attempts[n:])
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := logs.records(t, "job gave up waiting for a busy resource; it runs once the resource is free"); len(got) != 1 || got[0]["level"] != "ERROR" {
			t.Errorf("gave-up logs = %v", got)
		}
		logs.checkKeys(t)
	})
}

// TestBusyWithoutCatchUpWaitsForNextTick: a job that does not catch up
// (a source's own sync) gives up and owes nothing: its next tick runs it.
func TestBusyWithoutCatchUpWaitsForNextTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec busyRecorder
		var free atomic.Bool
		s := &Scheduler{Location: shanghai, BusyRetry: time.Minute, BusyWait: 5 * time.Minute}
		mustAdd(t, s, Job{
			Name: "sync medical",
			Spec: "0 * * * *",
			Run: func(ctx context.Context) error {
				rec.attempt(ctx)
				if !free.Load() {
					return errBusy
				}
				return nil
			},
			Busy:   isBusy,
			OnBusy: rec.onBusy,
		})
		stop := start(t, s)
		time.Sleep(30 * time.Minute) // 08:30: the 09:00 tick has not come
		synctest.Wait()
		if _, attempts := rec.snapshot(); len(attempts) != 0 {
			t.Fatalf("ran before its tick: %+v", attempts)
		}
		time.Sleep(40 * time.Minute) // 09:10: the 09:00 run gave up at 09:05
		synctest.Wait()
		tries, attempts := rec.snapshot()
		if n := len(tries); n == 0 || !tries[n-1].GaveUp || tries[n-1].Retry != 0 || len(attempts) != n {
			t.Fatalf("tries %+v", tries)
		}
		free.Store(true)
		time.Sleep(40 * time.Minute) // 09:50: nothing owed, nothing probed
		synctest.Wait()
		if _, a := rec.snapshot(); len(a) != len(attempts) {
			t.Fatalf("tried between ticks: %+v", a[len(attempts):])
		}
		time.Sleep(15 * time.Minute) // 10:05: the 10:00 tick ran it
		synctest.Wait()
		if _, a := rec.snapshot(); len(a) != len(attempts)+1 || !a[len(a)-1].Due.Equal(sh(2000, 1, 1, 10, 0, 0)) {
			t.Fatalf("after the next tick: %+v", a[len(attempts):])
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// TestShutdownStopsBusyWait: a stop while a run waits for a busy store
// ends the wait at once, not at the next try.
func TestShutdownStopsBusyWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		tried := make(chan struct{}, 1)
		s := &Scheduler{Location: shanghai, Logger: logs.logger(), BusyRetry: 10 * time.Minute}
		mustAdd(t, s, Job{
			Name: "nightly",
			Spec: "30 2 * * *",
			Run: func(context.Context) error {
				select {
				case tried <- struct{}{}:
				default:
				}
				return errBusy
			},
			LastSuccess: func(context.Context) (time.Time, error) { return time.Time{}, nil },
			Busy:        isBusy,
		})
		stop := start(t, s)
		<-tried
		synctest.Wait() // waiting before the second try
		begin := time.Now()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if waited := time.Since(begin); waited != 0 {
			t.Errorf("stop took %s of the virtual clock, want none", waited)
		}
		if got := logs.records(t, "job stopped by shutdown while waiting for a busy resource"); len(got) != 1 {
			t.Errorf("logs = %v", got)
		}
	})
}

// TestCatchUpByDay: a job whose runs are for a date reports EndOfDay of
// the last date it did, and the catch-up goes by that date, not by when
// the run started; the catch-up's Attempt is for the missed tick.
func TestCatchUpByDay(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		spec    string
		now     time.Time
		lastDay time.Time // as-of of the last successful run
		wantDue time.Time // zero: nothing missed
	}{
		// The 28th's 23:50 run waited for the store and started at 00:10 on the 29th.
		{"late run is its own night", "50 23 * * *", sh(2026, 11, 29, 0, 20, 0), day(2026, 11, 28), time.Time{}},
		{"night before missed", "50 23 * * *", sh(2026, 11, 29, 0, 20, 0), day(2026, 11, 27), sh(2026, 11, 28, 23, 50, 0)},
		{"tonight done", "30 2 * * *", sh(2026, 11, 29, 3, 0, 0), day(2026, 11, 29), time.Time{}},
		// A re-run for an old date, started just now, is not tonight's.
		{"old date re-run", "30 2 * * *", sh(2026, 11, 29, 3, 0, 0), day(2026, 11, 20), sh(2026, 11, 29, 2, 30, 0)},
		{"yesterday, before tonight's tick", "30 2 * * *", sh(2026, 11, 29, 1, 0, 0), day(2026, 11, 28), time.Time{}},
		{"yesterday, after tonight's tick", "30 2 * * *", sh(2026, 11, 29, 2, 31, 0), day(2026, 11, 28), sh(2026, 11, 29, 2, 30, 0)},
		// Weekdays only: Saturday's manual run does not do Monday's night.
		{"weekday schedule", "0 3 * * 1-5", sh(2026, 11, 30, 4, 0, 0), day(2026, 11, 28), sh(2026, 11, 30, 3, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rec busyRecorder
				s := &Scheduler{Location: shanghai, Now: func() time.Time { return tt.now }}
				mustAdd(t, s, Job{
					Name: "nightly",
					Spec: tt.spec,
					Run:  func(ctx context.Context) error { rec.attempt(ctx); return nil },
					LastSuccess: func(context.Context) (time.Time, error) {
						return EndOfDay(tt.lastDay, shanghai), nil
					},
				})
				stop := start(t, s)
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				_, attempts := rec.snapshot()
				switch {
				case tt.wantDue.IsZero() && len(attempts) != 0:
					t.Errorf("caught up %+v; nothing was missed", attempts)
				case !tt.wantDue.IsZero() && (len(attempts) != 1 || !attempts[0].Due.Equal(tt.wantDue) || attempts[0].Trigger != "missed"):
					t.Errorf("attempts %+v, want one catch-up due %s", attempts, tt.wantDue)
				}
			})
		})
	}
}

func TestEndOfDay(t *testing.T) {
	asOf := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) // a date as the store keeps it
	got := EndOfDay(asOf, shanghai)
	if want := sh(2026, 11, 29, 0, 0, 0).Add(-time.Nanosecond); !got.Equal(want) || got.Location() != shanghai {
		t.Errorf("EndOfDay = %s, want %s", got, want)
	}
}

func TestPrev(t *testing.T) {
	got, err := Prev("30 2 * * *", shanghai, sh(2026, 11, 29, 1, 0, 0))
	if err != nil || !got.Equal(sh(2026, 11, 28, 2, 30, 0)) {
		t.Errorf("Prev = %s, %v", got, err)
	}
	if _, err := Prev("30 2 * *", shanghai, time.Now()); err == nil {
		t.Error("Prev of a bad spec: no error")
	}
}

// TestReplace: a reloaded config's jobs take over while Run runs — a
// changed spec is followed from its next tick, a new job is scheduled, a
// removed one ticks no more — and an invalid job set changes nothing.
func TestReplace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logSink
		var nightly, oldSync, newSync atomic.Int32
		count := func(n *atomic.Int32) func(context.Context) error {
			return func(context.Context) error { n.Add(1); return nil }
		}
		s := &Scheduler{Location: shanghai, Logger: logs.logger()}
		mustAdd(t, s, Job{Name: "nightly", Spec: "30 2 * * *", Run: count(&nightly)})
		mustAdd(t, s, Job{Name: "sync old", Spec: "@every 1h", Run: count(&oldSync)})
		stop := start(t, s) // 2000-01-01 08:00 in Shanghai
		time.Sleep(90 * time.Minute)
		synctest.Wait()
		if got := oldSync.Load(); got != 1 {
			t.Fatalf("sync old ran %d times before the replace, want 1", got)
		}

		bad := []Job{{Name: "nightly", Spec: "0 4 * * *", Run: count(&nightly)}, {Name: "broken", Spec: "0 0 30 2 *", Run: count(&newSync)}}
		if err := s.Replace(bad); err == nil || !strings.Contains(err.Error(), `"broken"`) {
			t.Fatalf("Replace with a job that never fires: %v", err)
		}
		err := s.Replace([]Job{
			{Name: "nightly", Spec: "0 4 * * *", Run: count(&nightly)},
			{Name: "sync new", Spec: "@every 1h", Run: count(&newSync)},
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(19 * time.Hour) // 2000-01-02 04:30
		synctest.Wait()
		if got := oldSync.Load(); got != 1 {
			t.Errorf("the removed job ran %d times, want 1 (before the replace)", got)
		}
		if got := newSync.Load(); got < 18 {
			t.Errorf("the added job ran %d times in 19 hours", got)
		}
		if got := nightly.Load(); got != 1 {
			t.Errorf("nightly ran %d times, want 1 (at 04:00, not 02:30)", got)
		}
		started := logs.records(t, "job started")
		var nightlyDue []any
		for _, r := range started {
			if r["job"] == "nightly" {
				nightlyDue = append(nightlyDue, r["due"])
			}
		}
		if len(nightlyDue) != 1 || nightlyDue[0] != "2000-01-02T04:00:00+08:00" {
			t.Errorf("nightly runs due %v, want [2000-01-02T04:00:00+08:00]", nightlyDue)
		}
		if r := logs.records(t, "job rescheduled"); len(r) != 1 || r[0]["next_run"] != "2000-01-02T04:00:00+08:00" {
			t.Errorf("rescheduled logs %v", r)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if err := s.Replace(nil); !errors.Is(err, ErrStopping) {
			t.Errorf("Replace after stop: %v, want ErrStopping", err)
		}
		logs.checkKeys(t)
	})
}
