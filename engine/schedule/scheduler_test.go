package schedule

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
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
