package main

// The kill -9 test: the built binary is killed with SIGKILL at random
// moments of the nightly run (sync, evaluate, dispatch) and of a feedback
// import, and at the named points where a crash hurts most (between
// recording a dispatch batch and writing its files, after the first list
// file, before a returned list's outcomes are written); then the work is
// done again as an operator would, and the store and the list folders are
// compared with a run that was never killed: no row lost or doubled, no
// second set of lists, the same deadlines, every list and every closed
// case in the audit, no run left "running".
//
// LIPWATCH_KILL_TRIALS sets the number of random trials (default 20, on
// top of the named points); LIPWATCH_KILL_SEED fixes the random moments.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/store"
)

// killEnv is one county's scratch store and list folder.
type killEnv struct {
	t      *testing.T
	dir    string
	config string
	env    []string
}

func newKillEnv(t *testing.T) *killEnv {
	t.Helper()
	dir := t.TempDir()
	config, err := filepath.Abs("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := append(environWithoutLipwatch(), "LIPWATCH_STORE_PATH="+filepath.Join(dir, "lw.duckdb"), "LIPWATCH_DISPATCH_DIR="+filepath.Join(dir, "lists"))
	return &killEnv{t: t, dir: dir, config: config, env: env}
}

// start starts lipwatch with args at asOf; crashAt names a crash point.
func (k *killEnv) start(ctx context.Context, crashAt, asOf string, args ...string) (*exec.Cmd, *strings.Builder) {
	full := append([]string{"--config", k.config, "--as-of", asOf}, args...)
	cmd := exec.CommandContext(ctx, privacyBin, full...)
	cmd.Dir = k.dir
	cmd.Env = slices.Clone(k.env)
	if crashAt != "" {
		cmd.Env = append(cmd.Env, "LIPWATCH_CRASH_AT="+crashAt)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	return cmd, &out
}

// run runs lipwatch to its end and fails the test unless it exits with
// one of the codes allowed.
func (k *killEnv) run(asOf string, args ...string) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, out := k.start(ctx, "", asOf, args...)
	err := cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
		k.t.Fatalf("lipwatch %v: %v\n%s", args, err, out)
	}
}

// killed runs lipwatch and kills it: at the crash point if one is given
// (the process kills itself), else after delay. It reports whether the
// process died of SIGKILL (a fast command may finish first).
func (k *killEnv) killed(crashAt string, delay time.Duration, asOf string, args ...string) bool {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, out := k.start(ctx, crashAt, asOf, args...)
	if crashAt == "" {
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
		if exit.ExitCode() == 3 {
			return false
		}
	}
	if err != nil {
		k.t.Fatalf("lipwatch %v (crash at %q, delay %v): %v\n%s", args, crashAt, delay, err, out)
	}
	if crashAt != "" {
		k.t.Fatalf("lipwatch %v never reached crash point %s:\n%s", args, crashAt, out)
	}
	return false
}

// returnList fills every row of 城关镇's list of the day with 不符合条件,
// verified (核实日期) that day, and saves it as the township's returned
// file.
func (k *killEnv) returnList(day string) string {
	k.t.Helper()
	list := filepath.Join(k.dir, "lists", day, "340799001_城关镇.xlsx")
	x, err := excelize.OpenFile(list)
	if err != nil {
		k.t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet)
	if err != nil {
		k.t.Fatal(err)
	}
	header, col, dateCol := -1, 0, 0
	for i, r := range rows {
		if header < 0 && len(r) > 0 && r[0] == "预警编号" {
			header, col, dateCol = i, slices.Index(r, "核实结果")+1, slices.Index(r, "核实日期")+1
			continue
		}
		if header >= 0 && len(r) > 0 && r[0] != "" {
			cell, _ := excelize.CoordinatesToCellName(col, i+1)
			x.SetCellValue(sheet, cell, "不符合条件")
			cell, _ = excelize.CoordinatesToCellName(dateCol, i+1)
			x.SetCellValue(sheet, cell, day) // verified the day it was sent
		}
	}
	out := filepath.Join(k.dir, "城关镇交回.xlsx")
	if err := x.SaveAs(out); err != nil {
		k.t.Fatal(err)
	}
	return out
}

// killState is what must not differ from a run never killed.
type killState struct {
	Rows   map[string]int    // table -> rows, for the tables that hold data
	Cases  map[string]string // case id -> township, level, state, dispatched, deadline, outcome
	Files  []string          // list folder contents, relative
	Issues []string          // broken invariants found inside one store
}

// dataTables are the tables compared row for row; ledgers (runs, audit,
// loads, source_state) rightly grow with every attempt.
var dataTables = []string{"registry", "households", "assistance", "medical", "disability", "employment", "fishers",
	"quarantine", "cases", "case_hits", "suppressions", "dispatch_batches", "dispatch_batch_cases"}

// state reads the store and the list folder.
func (k *killEnv) state() killState {
	k.t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(k.dir, "lw.duckdb")})
	if err != nil {
		k.t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	s := killState{Rows: map[string]int{}, Cases: map[string]string{}}
	for _, tbl := range dataTables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + tbl).Scan(&n); err != nil {
			k.t.Fatal(err)
		}
		s.Rows[tbl] = n
	}
	rows, err := db.Query(`SELECT case_id, concat_ws('|', township_code, level, state, dispatched_on, deadline, outcome) FROM cases`)
	if err != nil {
		k.t.Fatal(err)
	}
	for rows.Next() {
		var id, v string
		rows.Scan(&id, &v)
		s.Cases[id] = v
	}
	rows.Close()

	// Every list is a file of a written batch and in a dispatch audit row;
	// no temporary file is left behind.
	audited := map[string]bool{}
	rows, err = db.Query(`SELECT detail FROM audit WHERE action = 'dispatch'`)
	if err != nil {
		k.t.Fatal(err)
	}
	for rows.Next() {
		var d string
		rows.Scan(&d)
		var v struct{ Files []string }
		json.Unmarshal([]byte(d), &v)
		for _, f := range v.Files {
			audited[f] = true
		}
	}
	rows.Close()
	lists := filepath.Join(k.dir, "lists")
	filepath.WalkDir(lists, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(lists, path)
		s.Files = append(s.Files, rel)
		if !audited[path] {
			s.Issues = append(s.Issues, "list not in the audit: "+rel)
		}
		return nil
	})
	var pending, running int
	db.QueryRow(`SELECT count(*) FROM dispatch_batches WHERE written_at IS NULL`).Scan(&pending)
	db.QueryRow(`SELECT count(*) FROM runs WHERE status = 'running'`).Scan(&running)
	if pending > 0 {
		s.Issues = append(s.Issues, fmt.Sprintf("%d dispatch batches left unwritten", pending))
	}
	if running > 0 {
		s.Issues = append(s.Issues, fmt.Sprintf("%d runs left running", running))
	}

	// Every closed case is in exactly one feedback audit row.
	closedIn := map[string]int{}
	rows, err = db.Query(`SELECT detail FROM audit WHERE action = 'feedback_import'`)
	if err != nil {
		k.t.Fatal(err)
	}
	for rows.Next() {
		var d string
		rows.Scan(&d)
		var v struct{ Closed []string }
		json.Unmarshal([]byte(d), &v)
		for _, id := range v.Closed {
			closedIn[id]++
		}
	}
	rows.Close()
	for id, v := range s.Cases {
		closed := strings.Contains(v, "|closed|")
		if closed && closedIn[id] != 1 {
			s.Issues = append(s.Issues, fmt.Sprintf("closed case %s is in %d feedback audit rows", id, closedIn[id]))
		}
		if !closed && closedIn[id] > 0 {
			s.Issues = append(s.Issues, fmt.Sprintf("open case %s is audited as closed", id))
		}
	}
	slices.Sort(s.Files)
	s.Issues = append(s.Issues, k.exposed()...)
	return s
}

// exposed names every file or folder the program left in the scratch
// directory — store, WAL, lists, exports, temporary files — that anyone
// but its owner may read. The scratch directory itself and the returned
// list are the test's own.
func (k *killEnv) exposed() []string {
	var out []string
	filepath.WalkDir(k.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == k.dir || filepath.Base(path) == "城关镇交回.xlsx" {
			return err
		}
		fi, err := d.Info()
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			rel, _ := filepath.Rel(k.dir, path)
			out = append(out, fmt.Sprintf("%s is %v: readable by others", rel, fi.Mode().Perm()))
		}
		return nil
	})
	return out
}

// diff lists how got differs from want.
func (want killState) diff(got killState) []string {
	out := slices.Clone(got.Issues)
	for _, tbl := range dataTables {
		if want.Rows[tbl] != got.Rows[tbl] {
			out = append(out, fmt.Sprintf("%s: %d rows, want %d", tbl, got.Rows[tbl], want.Rows[tbl]))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want.Cases)) {
		if got.Cases[id] != want.Cases[id] {
			out = append(out, fmt.Sprintf("case %s: %q, want %q", id, got.Cases[id], want.Cases[id]))
		}
	}
	for id := range got.Cases {
		if _, ok := want.Cases[id]; !ok {
			out = append(out, "extra case "+id)
		}
	}
	if !slices.Equal(want.Files, got.Files) {
		out = append(out, fmt.Sprintf("list files %v, want %v", got.Files, want.Files))
	}
	return out
}

// killScenario is one way a night and an import are interrupted.
type killScenario struct {
	name     string
	crashAt  string        // a crash point, or "" for a kill after delay
	delay    time.Duration // for a kill after delay
	feedback bool          // the kill hits the feedback import, not the run
	nextDay  bool          // the run is done again the next night, not at once
}

func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary some 50 times")
	}
	if privacyBin == "" {
		t.Skip("no binary built")
	}
	trials := 20
	if v := os.Getenv("LIPWATCH_KILL_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("LIPWATCH_KILL_TRIALS=%q", v)
		}
		trials = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("LIPWATCH_KILL_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("LIPWATCH_KILL_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))

	// The references: a night never killed, then the import; and the same
	// with a second night.
	reference := func(nextDay bool) killState {
		k := newKillEnv(t)
		start := time.Now()
		k.run("2026-11-28", "run")
		if nextDay {
			k.run("2026-11-29", "run")
		}
		k.run("2026-11-30", "feedback", "import", k.returnList("2026-11-28"))
		k.run("2026-11-30", "quarantine", "export", "--out", filepath.Join(k.dir, "exports", "quarantine.csv"))
		t.Logf("reference (next day %v): %v", nextDay, time.Since(start))
		return k.state()
	}
	refs := map[bool]killState{false: reference(false), true: reference(true)}
	for _, r := range refs {
		if len(r.Issues) > 0 {
			t.Fatalf("reference run: %v", r.Issues)
		}
	}

	scenarios := []killScenario{
		{name: "dispatch recorded, no file written", crashAt: "dispatch.recorded"},
		{name: "first list written", crashAt: "dispatch.list_written"},
		{name: "dispatch recorded, rerun next night", crashAt: "dispatch.recorded", nextDay: true},
		{name: "first list written, rerun next night", crashAt: "dispatch.list_written", nextDay: true},
		{name: "returned list read, outcomes not written", crashAt: "feedback.read", feedback: true},
	}
	for i := range trials {
		if i%4 == 3 {
			scenarios = append(scenarios, killScenario{name: fmt.Sprintf("random %d in feedback import", i),
				delay: time.Duration(rng.Int64N(int64(900 * time.Millisecond))), feedback: true})
			continue
		}
		scenarios = append(scenarios, killScenario{name: fmt.Sprintf("random %d in the night", i),
			delay: time.Duration(rng.Int64N(int64(3 * time.Second)))})
	}
	var mu sync.Mutex
	kills := 0
	t.Run("trials", func(t *testing.T) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				k := newKillEnv(t)
				night := "2026-11-28"
				hit := false
				var exposed []string
				if !sc.feedback {
					hit = k.killed(sc.crashAt, sc.delay, night, "run")
					exposed = k.exposed() // what a crash leaves: the WAL too
					if sc.nextDay {
						night = "2026-11-29"
					}
				}
				k.run(night, "run") // the operator (or serve's catch-up) runs the night again
				returned := k.returnList("2026-11-28")
				if sc.feedback {
					hit = k.killed(sc.crashAt, sc.delay, "2026-11-30", "feedback", "import", returned)
					exposed = k.exposed()
				}
				k.run("2026-11-30", "feedback", "import", returned)
				if hit {
					mu.Lock()
					kills++
					mu.Unlock()
				}
				if d := append(exposed, refs[sc.nextDay].diff(k.state())...); len(d) > 0 {
					t.Errorf("killed at %q after %v (killed: %v):\n  %s", sc.crashAt, sc.delay, hit, strings.Join(d, "\n  "))
				}
			})
		}
	})
	t.Logf("%d scenarios, %d processes killed by SIGKILL", len(scenarios), kills)
}
