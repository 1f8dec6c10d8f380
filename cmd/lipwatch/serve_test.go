package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/schedule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// DuckDB's lock on a store is per process (a second open in the same
// process is not refused), so these tests hold the store in a second
// process: the test binary run again as TestHelperHoldStore.

// TestHelperHoldStore is not a test: run by holdStore in a child process
// (LIPWATCH_TEST_HOLD_STORE set), it opens the store, says "ready" and
// holds it until its stdin closes.
func TestHelperHoldStore(t *testing.T) {
	path := os.Getenv("LIPWATCH_TEST_HOLD_STORE")
	if path == "" {
		t.Skip("the store-holding child process of the serve tests")
	}
	st, err := store.Open(context.Background(), store.Options{Path: path, Holder: os.Getenv("LIPWATCH_TEST_HOLDER")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	st.Close()
	os.Exit(0)
}

// holdStore holds the store at path in another process, named holder in
// the lock error, until release (or the end of the test).
func holdStore(t *testing.T, path, holder string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldStore$")
	cmd.Env = append(os.Environ(), "LIPWATCH_TEST_HOLD_STORE="+path, "LIPWATCH_TEST_HOLDER="+holder)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() {
		stdin.Close()
		cmd.Wait()
	})
	t.Cleanup(release)
	// Lines before "ready" are the test framework's (-test.v and the like).
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if strings.TrimSpace(line) == "ready" {
			return cmd.Process.Pid, release
		}
		if err != nil || strings.HasPrefix(line, "error:") {
			t.Fatalf("store holder: %q %v", line, err)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the logs of a running serve.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serving is a `lipwatch serve` running in this process, its logs (level
// info, text) in logs.
type serving struct {
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan struct{} // closed when serve has returned err
	err    error
}

func startServe(t *testing.T) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sv := &serving{logs: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	root := newRootCmd()
	root.SetOut(new(bytes.Buffer))
	root.SetErr(sv.logs)
	root.SetArgs([]string{"--config", "../../config.yaml", "--log-level", "info", "serve"})
	go func() {
		sv.err = root.ExecuteContext(ctx)
		close(sv.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-sv.done:
		case <-time.After(2 * time.Minute):
		}
	})
	return sv
}

// await waits until the logs hold n lines matching re (a safety net of
// minutes, not a timing assertion), and fails if serve stops first.
func (sv *serving) await(t *testing.T, re string, n int) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(3 * time.Minute)
	for len(rx.FindAllString(sv.logs.String(), -1)) < n {
		select {
		case <-sv.done:
			t.Fatalf("serve stopped (%v) before %d log lines matched %s:\n%s", sv.err, n, re, sv.logs)
		case <-deadline:
			t.Fatalf("no %d log lines matched %s:\n%s", n, re, sv.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (sv *serving) stop(t *testing.T) {
	t.Helper()
	sv.cancel()
	<-sv.done
	if sv.err != nil {
		t.Fatalf("serve did not stop cleanly: %v\n%s", sv.err, sv.logs)
	}
}

// ledgerRow is a row of the run ledger.
type ledgerRow struct {
	kind, status, summary, msg string
	asOf, started              time.Time
}

func ledger(t *testing.T) []ledgerRow {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().Query(`SELECT kind, status, coalesce(summary, ''), coalesce(error, ''), as_of, started_at FROM runs ORDER BY run_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []ledgerRow
	for rows.Next() {
		var r ledgerRow
		if err := rows.Scan(&r.kind, &r.status, &r.summary, &r.msg, &r.asOf, &r.started); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// missedNight is the as-of date serve gives the catch-up of a store that
// has no night yet: the date of the nightly schedule's last tick.
func missedNight(t *testing.T) time.Time {
	t.Helper()
	sh := shanghai()
	prev, err := schedule.Prev(config.DefaultNightly, sh, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dayOf(prev, sh)
}

const nightlyBusy = `level=WARN msg="job busy; trying again" job=nightly`

// TestServeWaitsForBusyStore: another lipwatch command holds the store
// when the night is due (a fresh store: the catch-up at start). serve
// tries again and again, runs the night once the holder lets go, and the
// run ledger holds every busy try, naming the holder, before the ok run,
// all for the same night.
func TestServeWaitsForBusyStore(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_RETRY", "100ms")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_WAIT", "10m")
	pid, release := holdStore(t, os.Getenv("LIPWATCH_STORE_PATH"), "lipwatch feedback import")
	night := missedNight(t)
	sv := startServe(t)
	sv.await(t, nightlyBusy, 3)
	release()
	sv.await(t, `msg="job finished" job=nightly`, 1)
	sv.stop(t)

	runs := ledger(t)
	holder := fmt.Sprintf(`held by "lipwatch feedback import" (pid %d`, pid)
	var busy int
	for i, r := range runs {
		if i < len(runs)-1 {
			if r.kind != "run" || r.status != store.RunBusy || !strings.Contains(r.msg, holder) || !strings.Contains(r.msg, "store busy (try ") {
				t.Errorf("row %d: %+v, want a busy try naming the holder", i+1, r)
			}
			busy++
		} else if r.kind != "run" || r.status != "ok" {
			t.Errorf("last row: %+v, want the night's ok run", r)
		}
		if !r.asOf.Equal(night) {
			t.Errorf("row %d is for %s, want the night of %s", i+1, r.asOf.Format(time.DateOnly), night.Format(time.DateOnly))
		}
		if i > 0 && r.started.Before(runs[i-1].started) {
			t.Errorf("row %d started before row %d", i+1, i)
		}
	}
	if busy < 3 {
		t.Errorf("%d busy tries in the ledger, want at least the 3 logged:\n%+v", busy, runs)
	}
}

// TestServeGivesUpThenRunsWhenFree: a holder that keeps the store past
// schedule.busy_wait makes the night give up, recorded as busy (gave up,
// naming the holder); serve keeps probing and runs the night as soon as
// the store is free, without a restart or a new tick.
func TestServeGivesUpThenRunsWhenFree(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_RETRY", "100ms")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_WAIT", "500ms")
	pid, release := holdStore(t, os.Getenv("LIPWATCH_STORE_PATH"), "lipwatch cases list")
	night := missedNight(t)
	sv := startServe(t)
	sv.await(t, `level=ERROR msg="job gave up waiting for a busy resource; it runs once the resource is free" job=nightly`, 1)
	sv.await(t, `msg="owed job still busy; trying again later" job=nightly`, 2)
	release()
	sv.await(t, `msg="job finished" job=nightly`, 1)
	sv.stop(t)
	if !strings.Contains(sv.logs.String(), `msg="job started" job=nightly trigger=owed`) {
		t.Errorf("the night did not run as the owed one:\n%s", sv.logs)
	}

	runs := ledger(t)
	for _, r := range runs {
		t.Logf("%s %s %s %s %s %s", r.kind, r.asOf.Format(time.DateOnly), r.started.Format(time.TimeOnly), r.status, r.summary, r.msg)
	}
	holder := fmt.Sprintf(`held by "lipwatch cases list" (pid %d`, pid)
	var gaveUp, probes int
	for i, r := range runs[:len(runs)-1] {
		if r.kind != "run" || r.status != store.RunBusy || !strings.Contains(r.msg, holder) || !r.asOf.Equal(night) {
			t.Errorf("row %d: %+v, want a busy try of the night of %s naming the holder", i+1, r, night.Format(time.DateOnly))
		}
		if strings.Contains(r.msg, "store busy: gave up after waiting ") && strings.Contains(r.summary, `"gave_up":true`) {
			gaveUp++
		}
		if regexp.MustCompile(`store busy: tried \d+ times since .* after giving up`).MatchString(r.msg) {
			probes++
		}
	}
	if gaveUp != 1 || probes != 1 {
		t.Errorf("%d gave-up rows and %d probe rows, want one each:\n%+v", gaveUp, probes, runs)
	}
	if last := runs[len(runs)-1]; last.kind != "run" || last.status != "ok" || !last.asOf.Equal(night) {
		t.Errorf("last row %+v, want the ok run of the night of %s", last, night.Format(time.DateOnly))
	}
}

// TestServeCatchUpByAsOf: the last successful night is the as-of date of
// an ok run, not when it started: a night done long ago for the date of
// the last tick is that tick's (nothing to catch up).
func TestServeCatchUpByAsOf(t *testing.T) {
	tempStore(t)
	night := missedNight(t)
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().AddDate(0, 0, -3)
	err = st.RecordRuns(context.Background(), []store.Run{{Kind: "run", AsOf: night, Started: long, Finished: long, Status: "ok"}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	sv := startServe(t)
	sv.await(t, `msg="no missed run" job=nightly`, 1)
	sv.stop(t)
	if strings.Contains(sv.logs.String(), "running missed job") {
		t.Errorf("caught up a night already done:\n%s", sv.logs)
	}
}

// TestBusyStoreExitStatus: a command that finds the store held by another
// process exits 75 (EX_TEMPFAIL, "try again later"), naming the holder;
// other failures stay 1.
func TestBusyStoreExitStatus(t *testing.T) {
	tempStore(t)
	pid, _ := holdStore(t, os.Getenv("LIPWATCH_STORE_PATH"), "lipwatch serve")
	holder := fmt.Sprintf(`held by "lipwatch serve" (pid %d`, pid)
	for _, args := range [][]string{{"run"}, {"sync", "fishers"}, {"cases", "list"}, {"sources"}, {"quarantine", "list"}} {
		_, err := runCLI(t, args...)
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != exitBusy || !strings.Contains(ex.msg, holder) || !errors.Is(err, store.ErrLocked) {
			t.Errorf("%v on a held store: %v, want exit %d naming %s", args, err, exitBusy, holder)
		}
		var out bytes.Buffer
		if code := exitCode(err, &out); code != 75 || !strings.Contains(out.String(), holder) {
			t.Errorf("%v: exit status %d, printed %q", args, code, out.String())
		}
	}
	var out bytes.Buffer
	if code := exitCode(fmt.Errorf("nightly: %w", store.ErrLocked), &out); code != exitBusy {
		t.Errorf("a wrapped ErrLocked exits %d", code)
	}
	if code := exitCode(errors.New("evaluate: boom"), &out); code != 1 {
		t.Errorf("a failure exits %d", code)
	}
}
