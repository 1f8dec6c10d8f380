package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/store"
	"github.com/lipwatch/lipwatch/internal/adminsock"
)

// farNightly is a nightly schedule that does not fire during a test, and
// whose last tick (1 January) a run for 2026-11-28 covers: serve has no
// night to catch up at start.
const farNightly = "0 3 1 1 *"

// TestEveryCommandSaysHowItUsesTheStore: a command that uses the store
// goes through a running serve only if it says so (storeCommands, or the
// annotation), so a new command must say how it uses the store.
func TestEveryCommandSaysHowItUsesTheStore(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || !c.HasParent() || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		switch use := storeUse(c); use {
		case storeNone, storeRead, storeWrite:
		default:
			t.Errorf("%q does not say how it uses the store: add it to storeCommands (admin.go) or annotate it %s: read, write or none", commandKey(c), annStore)
		}
	}
	walk(newRootCmd())
}

// TestForwardArgs: the command line serve gets is the command, the flags
// given (not --config), file paths absolute, arguments after "--".
func TestForwardArgs(t *testing.T) {
	wd, _ := os.Getwd()
	t.Setenv("LIPWATCH_LOG_LEVEL", "debug")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		// "-d.csv" is a file name, after "--" as a user would give it.
		{[]string{"--config", "x.yaml", "--as-of", "2026-11-28", "feedback", "import", "--township", "county", "a.csv", "/b/c.csv", "--", "-d.csv"},
			[]string{"feedback", "import", "--as-of=2026-11-28", "--township=county", "--log-level=debug", "--",
				filepath.Join(wd, "a.csv"), "/b/c.csv", filepath.Join(wd, "-d.csv")}},
		{[]string{"quarantine", "export", "--out", "q.csv", "--reason", "bad_shape", "--log-level", "warn"},
			[]string{"quarantine", "export", "--log-level=warn", "--out=" + filepath.Join(wd, "q.csv"), "--reason=bad_shape"}},
		{[]string{"cases", "show", "YJ-20261128-0001", "--unmasked"},
			[]string{"cases", "show", "--unmasked=true", "--log-level=debug", "--", "YJ-20261128-0001"}},
	} {
		root := newRootCmd()
		var got []string
		root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
			var err error
			got, err = forwardArgs(cmd, args)
			return err
		}
		var stub func(c *cobra.Command)
		stub = func(c *cobra.Command) { // parse, do not run
			for _, sub := range c.Commands() {
				stub(sub)
			}
			if c.RunE != nil {
				c.RunE = func(*cobra.Command, []string) error { return nil }
			}
		}
		stub(root)
		root.SetArgs(tc.args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

// TestSharedStoreView: closing a view leaves the store open.
func TestSharedStoreView(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lw.duckdb")
	st, err := store.Open(context.Background(), store.Options{Path: path, Holder: "lipwatch serve"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	view := st.Shared()
	if err := view.Audit(context.Background(), "a@b via serve", "test", "x", nil); err != nil {
		t.Fatal(err)
	}
	if err := view.Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM audit WHERE actor = 'a@b via serve'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("store after its view closed: %d rows, %v", n, err)
	}
	if cmd, _, ok := store.HeldBy(path); !ok || cmd != "lipwatch serve" {
		t.Errorf("the view's Close removed the holder file: %q %v", cmd, ok)
	}
}

// TestServeAdminInProcess runs serve and forwarded commands side by side
// in one process, for the race detector: several commands at once, each on
// its own command tree, over serve's one store.
func TestServeAdminInProcess(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", farNightly)
	if _, err := runCLI(t, "run"); err != nil {
		t.Fatal(err)
	}
	direct, err := runCLI(t, "cases", "list")
	if err != nil {
		t.Fatal(err)
	}
	sv := startServe(t)
	sv.await(t, `msg="holding the store until serve stops`, 1)
	type call struct {
		args []string
		out  string
		err  error
	}
	calls := []*call{
		{args: []string{"cases", "list"}}, {args: []string{"cases", "list"}}, {args: []string{"cases", "list"}},
		{args: []string{"cases", "show", "YJ-20261128-0001"}}, {args: []string{"evaluate", "--dry-run"}},
		{args: []string{"cases", "extend", "YJ-20261128-0002"}}, {args: []string{"quarantine", "list"}},
		{args: []string{"sources"}},
	}
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() { c.out, c.err = runCLI(t, c.args...) })
	}
	wg.Wait()
	for _, c := range calls {
		if c.err != nil {
			t.Errorf("%v through serve: %v\n%s", c.args, c.err, c.out)
		}
	}
	// The one extended meanwhile aside.
	other := regexp.MustCompile(`(?m)^YJ-20261128-0002 .*\n`)
	if other.ReplaceAllString(calls[0].out, "") != other.ReplaceAllString(direct, "") || other.ReplaceAllString(calls[1].out, "") != other.ReplaceAllString(direct, "") {
		t.Errorf("cases list through serve differs from the direct one:\n%s\nwant\n%s", calls[0].out, direct)
	}
	if !strings.Contains(calls[5].out, "deadline extended to 2027-01-04") {
		t.Errorf("cases extend through serve:\n%s", calls[5].out)
	}
	if n := strings.Count(sv.logs.String(), `msg="forwarded command"`); n != len(calls) {
		t.Errorf("serve ran %d forwarded commands, want %d:\n%s", n, len(calls), sv.logs)
	}
	sv.stop(t)
	if _, err := os.Stat(adminsock.Path(os.Getenv("LIPWATCH_STORE_PATH"))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the admin socket is still there after serve stopped: %v", err)
	}
}

// adminEnv runs the built lipwatch: serve in one directory, the CLI in
// another, on a county whose config also has a disabled API source
// ("gate") that answers only when the test opens it, to hold serve's job
// lock as long as the test wants.
type adminEnv struct {
	t                      *testing.T
	dir, serveDir, cliDir  string
	config, storePath, bin string
	env                    []string
	gateMu                 sync.Mutex
	gate                   chan struct{}
	gateHit                chan struct{}
	servePID               int
	serveLog               *lockedBuffer
	serveDone              chan error
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	if privacyBin == "" {
		t.Fatal("TestMain did not build lipwatch")
	}
	a := &adminEnv{t: t, dir: t.TempDir(), gateHit: make(chan struct{}, 16), bin: privacyBin}
	a.serveDir, a.cliDir = filepath.Join(a.dir, "serve"), filepath.Join(a.dir, "cli")
	for _, d := range []string{a.serveDir, a.cliDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.gateMu.Lock()
		gate := a.gate
		a.gateMu.Unlock()
		if gate != nil {
			a.gateHit <- struct{}{}
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data":{"items":[]}}`)
	}))
	t.Cleanup(api.Close)
	// The repository's config, its relative paths kept by links, with the
	// gate source first among the sources.
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"testdata", "rules"} {
		if err := os.Symlink(filepath.Join(repo, d), filepath.Join(a.dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(repo, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	gate := fmt.Sprintf(`  gate:
    kind: http
    dataset: employment
    enabled: false
    options:
      url: %s
      records: data.items
      pagination: page
      page_size: 2
      retries: 0
    columns:
      id_number: 身份证号
      event: 业务类型
      event_date: 业务日期
`, api.URL)
	cfg, n := regexp.MustCompile(`(?m)^sources:[^\n]*\n`).ReplaceAllStringFunc(string(b), func(s string) string { return s + gate }), 0
	if n = strings.Count(cfg, "  gate:\n"); n != 1 {
		t.Fatalf("no sources: section to add the gate source to in config.yaml")
	}
	a.config = filepath.Join(a.dir, "config.yaml")
	if err := os.WriteFile(a.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a.storePath = filepath.Join(a.dir, "store", "lw.duckdb")
	a.env = append(environWithoutLipwatch(), "LIPWATCH_STORE_PATH="+a.storePath, "LIPWATCH_DISPATCH_DIR="+filepath.Join(a.dir, "lists"),
		"LIPWATCH_SCHEDULE_NIGHTLY="+farNightly, "LIPWATCH_LOG_LEVEL=warn")
	return a
}

// closeGate makes the gate source's API hang until openGate.
func (a *adminEnv) closeGate() {
	a.gateMu.Lock()
	a.gate = make(chan struct{})
	a.gateMu.Unlock()
}

func (a *adminEnv) openGate() {
	a.gateMu.Lock()
	if a.gate != nil {
		close(a.gate)
		a.gate = nil
	}
	a.gateMu.Unlock()
}

// command builds a lipwatch run in the CLI's directory.
func (a *adminEnv) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(a.bin, append([]string{"--config", a.config}, args...)...)
	cmd.Dir = a.cliDir
	cmd.Env = append(slices.Clone(a.env), env...)
	return cmd
}

// run runs the CLI to its end; wantCode -1 accepts any exit status.
func (a *adminEnv) run(wantCode int, env []string, args ...string) result {
	a.t.Helper()
	return a.wait(a.start(env, args...), wantCode)
}

type running struct {
	cmd            *exec.Cmd
	args           []string
	stdout, stderr *lockedBuffer
	done           chan error
}

func (a *adminEnv) start(env []string, args ...string) *running {
	a.t.Helper()
	r := &running{cmd: a.command(env, args...), args: args, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	return r
}

func (a *adminEnv) wait(r *running, wantCode int) result {
	a.t.Helper()
	var err error
	select {
	case err = <-r.done:
	case <-time.After(3 * time.Minute): // a safety net, not a timing assertion
		r.cmd.Process.Kill()
		a.t.Fatalf("lipwatch %v did not finish:\n%s\n%s", r.args, r.stdout.String(), r.stderr.String())
	}
	res := result{args: r.args, stdout: r.stdout.String(), stderr: r.stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		a.t.Fatalf("lipwatch %v: %v", r.args, err)
	}
	if wantCode >= 0 && res.code != wantCode {
		a.t.Errorf("want exit %d:\n%s", wantCode, res)
	}
	return res
}

// startServe starts `lipwatch serve` in its own directory and waits until
// it holds the store.
func (a *adminEnv) startServe() {
	a.t.Helper()
	cmd := exec.Command(a.bin, "--config", a.config, "--log-level", "info", "serve")
	cmd.Dir = a.serveDir
	cmd.Env = a.env
	a.serveLog = &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = a.serveLog, a.serveLog
	if err := cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.servePID = cmd.Process.Pid
	done := make(chan error, 1)
	a.serveDone = done
	go func() { done <- cmd.Wait() }()
	a.t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done: // or drained and refilled by the test
		case <-time.After(time.Minute):
		}
	})
	a.awaitLog(`msg="holding the store until serve stops`, 1)
}

// awaitLog waits until serve's log holds n lines matching re.
func (a *adminEnv) awaitLog(re string, n int) {
	a.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(2 * time.Minute) // a safety net, not a timing assertion
	for len(rx.FindAllString(a.serveLog.String(), -1)) < n {
		select {
		case err := <-a.serveDone:
			a.serveDone <- err
			a.t.Fatalf("serve stopped (%v) before its log had %s:\n%s", err, re, a.serveLog)
		case <-deadline:
			a.t.Fatalf("serve's log has no %d of %s:\n%s", n, re, a.serveLog)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// timed runs args n times and returns the median wall time.
func (a *adminEnv) timed(n int, args ...string) time.Duration {
	a.t.Helper()
	var ds []time.Duration
	for range n {
		begin := time.Now()
		a.run(0, nil, args...)
		ds = append(ds, time.Since(begin))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

var fullID = regexp.MustCompile(`\d{17}[\dX]`)

// TestServeAdmin runs the built binary: `lipwatch serve` holds the store,
// and the CLI, run from another directory, keeps working through it: the
// same output and exit statuses as without serve, file paths from the
// CLI's directory, the audit naming the user who asked, writing commands
// waiting for serve's running job (and saying so) while reading ones run at
// once, LIPWATCH_* settings serve cannot apply refused, a second serve
// refused, another user refused; then serve killed with -9 leaves a stale
// socket, and the CLI works directly, and a new serve replaces it.
func TestServeAdmin(t *testing.T) {
	a := newAdminEnv(t)
	asOf := []string{"--as-of", "2026-11-28"}
	a.run(0, nil, append(asOf, "run")...)
	direct := a.run(0, nil, append(asOf, "cases", "list")...)
	if !strings.Contains(direct.stdout, fmt.Sprintf("\n%d cases", plantedCases(t))) {
		t.Fatalf("cases list:\n%s", direct)
	}
	directTime := a.timed(5, append(asOf, "cases", "list")...)

	began := time.Now().UTC().Add(-time.Second)
	a.startServe()
	sock := adminsock.Path(a.storePath)
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket %s: %v %v, want a socket of mode 0600", sock, fi, err)
	}

	// Reading: the same output as without serve.
	list := a.run(0, nil, append(asOf, "cases", "list")...)
	if list.stdout != direct.stdout {
		t.Errorf("cases list through serve differs from the direct one:\n%s\nwant\n%s", list, direct.stdout)
	}
	fwdTime := a.timed(5, append(asOf, "cases", "list")...)
	t.Logf("cases list (%d cases), median of 5 processes: direct %s, through serve %s", plantedCases(t), directTime.Round(time.Millisecond), fwdTime.Round(time.Millisecond))
	if n := strings.Count(a.serveLog.String(), `msg="forwarded command" command="lipwatch cases list"`); n != 6 {
		t.Errorf("serve ran cases list %d times, want 6:\n%s", n, a.serveLog)
	}
	show := a.run(0, nil, append(asOf, "cases", "show", "YJ-20261128-0001")...)
	if !strings.Contains(show.stdout, "case YJ-20261128-0001") || fullID.MatchString(show.stdout) {
		t.Errorf("cases show through serve (masked):\n%s", show)
	}
	if un := a.run(0, nil, append(asOf, "cases", "show", "YJ-20261128-0001", "--unmasked")...); !fullID.MatchString(un.stdout) {
		t.Errorf("cases show --unmasked through serve does not show the ID numbers:\n%s", un)
	}
	a.run(2, nil, append(asOf, "cases", "show", "YJ-20261128-9999")...) // no such case (a wrong argument): the command's own status

	// Writing: the nightly job again, then a returned list given by a path
	// relative to the CLI's directory.
	run := a.run(0, nil, append(asOf, "run")...)
	if !strings.Contains(run.stdout, "lipwatch run 2026-11-28") || !strings.Contains(run.stdout, fmt.Sprintf("cases: 0 new, 0 updated, %d unchanged", plantedCases(t))) {
		t.Errorf("run through serve:\n%s", run)
	}
	returned := returnedList(t, &privacyEnv{t: t, dir: a.dir})
	if err := os.Rename(returned, filepath.Join(a.cliDir, "交回.csv")); err != nil {
		t.Fatal(err)
	}
	// Verified on 12-01; a row rejected: exit 3, as without serve.
	fb := a.run(3, nil, "--as-of", "2026-12-01", "feedback", "import", "交回.csv")
	if !strings.Contains(fb.stdout, "closed 1 cases") || !strings.Contains(fb.stdout, "cli/交回.csv: 第6行") || !strings.Contains(fb.stderr, "lipwatch: 1 rows rejected") {
		t.Errorf("feedback import through serve:\n%s", fb)
	}
	export := a.run(0, nil, "quarantine", "export", "--out", "q/quarantine.csv")
	if fi, err := os.Stat(filepath.Join(a.cliDir, "q", "quarantine.csv")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("quarantine export --out q/quarantine.csv through serve: %v %v\n%s", fi, err, export)
	}
	if _, err := os.Stat(filepath.Join(a.serveDir, "q")); err == nil {
		t.Error("quarantine export wrote into serve's directory")
	}

	// Settings: --log-level travels (LIPWATCH_LOG_LEVEL as well); other
	// LIPWATCH_* settings serve does not share are refused, naming them.
	if r := a.run(0, []string{"LIPWATCH_LOG_LEVEL=debug"}, "sync", "fishers"); !strings.Contains(r.stderr, "level=DEBUG") {
		t.Errorf("LIPWATCH_LOG_LEVEL=debug did not reach the command in serve:\n%s", r)
	}
	bad := a.run(2, []string{"LIPWATCH_SOURCES_MEDICAL_OPTIONS_PATH=/elsewhere/*.csv", "LIPWATCH_CASES_DEADLINE_DAYS=5"}, "cases", "list")
	if !strings.Contains(bad.stderr, "LIPWATCH_CASES_DEADLINE_DAYS, LIPWATCH_SOURCES_MEDICAL_OPTIONS_PATH") || bad.stdout != "" {
		t.Errorf("settings serve cannot apply:\n%s", bad)
	}
	// The same value as serve's is no difference.
	a.run(0, []string{"LIPWATCH_SCHEDULE_NIGHTLY=" + farNightly}, "cases", "list")

	// serve's job lock: a sync of the gate source holds it until the gate
	// opens. A writing command waits and says so; a reading one runs.
	a.closeGate()
	hold := a.start(nil, "sync", "gate")
	select {
	case <-a.gateHit:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the gate source was never asked:\n%s", a.serveLog)
	}
	extend := a.start(nil, append(asOf, "cases", "extend", "YJ-20261128-0003")...)
	for !strings.Contains(extend.stderr.String(), "waits for it to finish") {
		select {
		case err := <-extend.done:
			t.Fatalf("cases extend did not wait for the running sync (%v):\n%s\n%s", err, extend.stdout, extend.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if msg := extend.stderr.String(); !strings.Contains(msg, "lipwatch: serve is running lipwatch sync for ") || !strings.Contains(msg, "lipwatch cases extend waits") {
		t.Errorf("the waiting line: %q", msg)
	}
	a.run(0, nil, append(asOf, "cases", "list", "--level", "red")...) // reads run at once
	select {
	case err := <-extend.done:
		t.Fatalf("cases extend ran while the sync held the lock: %v", err)
	default:
	}
	a.openGate()
	a.wait(hold, -1)
	if r := a.wait(extend, 0); !strings.Contains(r.stdout, "deadline extended to 2027-01-04") {
		t.Errorf("cases extend after the wait:\n%s", r)
	}

	// One serve per store, still.
	if r := a.run(1, nil, "serve"); !strings.Contains(r.stderr, "another lipwatch serve runs for this store") ||
		!strings.Contains(r.stderr, fmt.Sprintf("pid %d", a.servePID)) {
		t.Errorf("second serve:\n%s", r)
	}
	if os.Geteuid() == 0 {
		a.otherUser()
	} else {
		t.Log("not root: a client of another uid is not tried")
	}

	// kill -9: the socket stays, stale; the CLI finds nobody behind it and
	// opens the store itself.
	if err := syscall.Kill(a.servePID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.serveDone
	a.serveDone <- nil
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("after kill -9 the socket is gone (%v): the stale case is not tested", err)
	}
	after := a.run(0, nil, append(asOf, "cases", "list")...)
	if !strings.Contains(after.stdout, fmt.Sprintf("\n%d cases", plantedCases(t))) || !strings.Contains(after.stdout, "closed") {
		t.Errorf("cases list after serve was killed:\n%s", after)
	}
	killed := time.Now().UTC().Add(time.Second)
	a.auditActors(began, killed)

	// A new serve replaces the stale socket; stopped, it removes it.
	a.startServe()
	a.run(0, nil, append(asOf, "cases", "show", "YJ-20261128-0001")...)
	syscall.Kill(a.servePID, syscall.SIGTERM)
	if err := <-a.serveDone; err != nil {
		t.Errorf("serve did not stop cleanly on SIGTERM: %v\n%s", err, a.serveLog)
	}
	a.serveDone <- nil
	if !strings.Contains(a.serveLog.String(), `msg="forwarded command" command="lipwatch cases show"`) {
		t.Errorf("the new serve did not run the command:\n%s", a.serveLog)
	}
	for _, f := range []string{sock, a.storePath + ".holder"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after serve stopped: %v", f, err)
		}
	}
}

// auditActors checks who the audit log names for what was done through
// serve between from and to: the user who asked (this process's, the only
// one serve serves), on this host, "via serve".
func (a *adminEnv) auditActors(from, to time.Time) {
	t := a.t
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: a.storePath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().Query(`SELECT action, actor FROM audit WHERE at_time BETWEEN ? AND ? ORDER BY at_time`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	me := store.Actor() // user@host
	var viaServe, actions []string
	for rows.Next() {
		var action, actor string
		if err := rows.Scan(&action, &actor); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, action)
		if actor == me+" via serve" {
			viaServe = append(viaServe, action)
		}
		if !strings.HasPrefix(actor, me) {
			t.Errorf("audit %s by %q, want %s (via serve)", action, actor, me)
		}
	}
	// What the pipeline records carries the actor serve gives it; the rows
	// the commands write themselves (cases_list, cases_show,
	// quarantine_export, cases_extend) follow once they name g.actor().
	if !slices.Contains(viaServe, "feedback_import") {
		t.Errorf("the returned list's import is not audited as %q: %v (via serve: %v)", me+" via serve", actions, viaServe)
	}
}

// otherUser: a client running as another user (nobody) is not let in:
// the socket's mode stops it, and if the mode let it, serve checks the
// peer's uid the kernel gives (SO_PEERCRED) and refuses.
func (a *adminEnv) otherUser() {
	t := a.t
	t.Helper()
	const nobody = 65534
	// nobody needs to run the binary and read the config; nothing else.
	binDir := filepath.Join(a.dir, "bin")
	os.Mkdir(binDir, 0o755)
	b, err := os.ReadFile(a.bin)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "lipwatch")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(bin, 0o755) // past the umask (077)
	os.Chmod(a.config, 0o644)
	for _, d := range []string{filepath.Dir(a.dir), a.dir, binDir, a.cliDir, filepath.Dir(a.storePath)} {
		os.Chmod(d, 0o711)
	}
	defer func() {
		for _, d := range []string{filepath.Dir(a.dir), a.dir, filepath.Dir(a.storePath)} {
			os.Chmod(d, 0o700)
		}
	}()
	asNobody := func() result {
		cmd := exec.Command(bin, "--config", a.config, "cases", "list")
		cmd.Dir = a.cliDir
		cmd.Env = a.env
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{args: []string{"(as nobody)", "cases", "list"}, stdout: stdout.String(), stderr: stderr.String()}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			r.code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("run as nobody: %v", err)
		}
		return r
	}
	r := asNobody()
	if r.code != 1 || !strings.Contains(r.stderr, "permission denied") || !strings.Contains(r.stderr, "does not let you in") || r.stdout != "" {
		t.Errorf("another user, socket mode 0600:\n%s", r)
	}
	sock := adminsock.Path(a.storePath)
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	r = asNobody()
	os.Chmod(sock, 0o600)
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("runs commands only for the user it runs as (uid 0); you are uid %d", nobody)) || r.stdout != "" {
		t.Errorf("another user, socket opened to all:\n%s", r)
	}
	a.awaitLog(`msg="admin socket: refused a peer of another user" uid=65534`, 1)
}
