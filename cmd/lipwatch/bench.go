package main

// lipwatch bench: every figure of issue 14's goals table, each beside its
// baseline, measured in one command on a generated county. The work is
// done by lipwatch itself, each step a child process (gen, run, evaluate)
// whose wall time and peak RSS are recorded; the baselines that are not
// lipwatch (the hand-written SQL of the rules, excelize's streaming read,
// DuckDB's read_csv) run in this process.

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"
	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/gen"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/store"
)

// benchScales are the sizes `lipwatch bench --scale` builds: people, as
// households (about 2.85 people each in the generated county).
var benchScales = []benchScale{{"100k", 35_000}, {"1m", 350_000}, {"10m", 3_500_000}}

type benchScale struct {
	name       string
	households int
}

// benchDay is the first night's evaluation date (the county is generated
// for it); the second night is the day after, the third the day after that.
var benchDay = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// benchExtraFile is the medical file of the third night's new rows, in the
// county's medical folder (the source's glob reads it); removed when the
// bench ends unless --keep, and before it starts.
const benchExtraFile = "medical_bench-new-rows.csv"

// benchOptions are `lipwatch bench`'s flags.
type benchOptions struct {
	scale      string // 100k, 1m, 10m; "custom" with households
	households int
	seed       int64
	dir        string // holds county/ (kept), run/ (store, lists, logs, config), bench.json
	rules      string // the rules directory the config names
	keep       bool   // keep run/ and the new rows' file
	bin        string // the lipwatch binary the children run
}

func newBenchCmd() *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench --scale 100k|1m|10m --dir DIR",
		Short: "Measure issue 14's figures (full, unchanged and 1% nights, evaluate vs SQL, xlsx and CSV sync) beside their baselines",
		Long: `Builds a synthetic county of --scale people (100k: 35,000 households; 1m: 350,000; 10m:
3,500,000) in DIR/county with lipwatch gen, unless DIR already holds it, writes DIR/run/config.yaml
for it (the rules of --rules; a sheet gen split into parts is read by a glob of them) and measures,
each a lipwatch child process with its wall time, CPU time (user + system) and peak RSS:
  (a) a full night (run --full, as of 2026-11-28) on a fresh store;
  (b) the next night with nothing changed (an incremental night);
  (c) a night with 1% new medical rows (a new monthly file), against (a): goal <= 10%;
  (d) evaluate --full --dry-run against the hand-written SQL of the same rules on the same store
      (engine/pipeline/oracle.go, in this process): goal <= 1.3x, and the hits per rule must agree;
  (e) the households.xlsx sync (all its parts) against excelize's streaming read of them;
  (f) the medical CSV sync against DuckDB's read_csv of the same files into the same typed
      table (dates and amounts converted in SQL; it validates far less: a floor).
      (e) and (f) sync the two sources again, alone, one after the other, into a store of their own:
      in (a) they load beside other sources (sync.workers) and share the cores with them.
It prints one table (figure, measured, baseline, ratio, goal, peak RSS), the wall and CPU time and
stage split of each night and the full night's sync time per source, and writes them to
DIR/bench.json. The county is kept for the next bench; DIR/run goes unless
--keep. LIPWATCH_* environment settings apply to every step alike. Exit status 1 when a step fails
or evaluate and the SQL disagree.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.households == 0 {
				i := slices.IndexFunc(benchScales, func(s benchScale) bool { return s.name == o.scale })
				if i < 0 {
					names := make([]string, len(benchScales))
					for j, s := range benchScales {
						names[j] = s.name
					}
					return choiceError("--scale", o.scale, names)
				}
				o.households = benchScales[i].households
			} else {
				o.scale = "custom"
			}
			if o.dir == "" {
				return &exitError{code: 2, msg: "bench: --dir is required (where the county, the store and bench.json go)"}
			}
			if fi, err := os.Stat(o.rules); err != nil || !fi.IsDir() {
				return &exitError{code: 2, msg: fmt.Sprintf("bench: --rules %s is not a directory: give the repository's rules directory", o.rules)}
			}
			bin, err := os.Executable()
			if err != nil {
				return fmt.Errorf("bench: this program's path: %w", err)
			}
			o.bin = bin
			rep, err := runBench(cmd.Context(), o, cmd.ErrOrStderr())
			if rep != nil {
				printBench(cmd.OutOrStdout(), rep)
			}
			if err != nil {
				if cmd.Context().Err() != nil {
					return errInterrupted
				}
				return err
			}
			if rep.Disagree != "" {
				return &exitError{code: 1, msg: "bench: evaluate and the hand-written SQL disagree: " + rep.Disagree}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scale, "scale", "100k", "people: 100k, 1m or 10m")
	f.StringVar(&o.dir, "dir", "", "working directory: the county (kept), the store, logs and bench.json")
	f.BoolVar(&o.keep, "keep", false, "keep the store, lists, logs and config of DIR/run (and the new rows' medical file)")
	f.StringVar(&o.rules, "rules", "rules", "the rule files' directory the config names")
	f.IntVar(&o.households, "households", 0, "a county of this many households instead of --scale (tests)")
	f.Int64Var(&o.seed, "seed", 11, "gen's seed")
	f.MarkHidden("households")
	f.MarkHidden("seed")
	return cmd
}

// benchReport is what bench measured, as DIR/bench.json holds it.
type benchReport struct {
	Scale      string       `json:"scale"`
	Households int          `json:"households"`
	People     int          `json:"people"`      // evaluated on the full night
	MedicalNew int          `json:"medical_new"` // rows of the third night's new file
	Started    string       `json:"started"`     // RFC 3339, UTC
	Machine    benchMachine `json:"machine"`
	// SyncWorkers is sync.workers of the nights (the config's, or
	// LIPWATCH_SYNC_WORKERS): how many sources loaded at once.
	SyncWorkers int           `json:"sync_workers"`
	Figures     []benchFigure `json:"figures"`
	// Stages: per night (a_full, b_unchanged, c_1pct), the run process's
	// wall time ("wall") and CPU time, user and system ("cpu"), each stage
	// of the run ledger (sync, health, evaluate, dispatch, notify) and the
	// evaluation's facts and rules ("evaluate.facts", "evaluate.rules",
	// from its log line), in seconds.
	Stages map[string]map[string]float64 `json:"stages"`
	// Sources: per source, the rows the full night's sync read and the
	// seconds it took (its "source synced" log line).
	Sources  map[string]benchSync `json:"sources"`
	Children []*benchChild        `json:"children"`
	// Disagree names the rules on which evaluate and the hand-written SQL
	// found different numbers of hits ("" when they agree).
	Disagree string `json:"disagree,omitempty"`
}

// benchSync is one source's sync on the full night.
type benchSync struct {
	Read     int64   `json:"read"`
	ElapsedS float64 `json:"elapsed_s"`
}

// benchMachine says where the figures were measured.
type benchMachine struct {
	OS       string  `json:"os"`
	CPU      string  `json:"cpu"`
	Cores    int     `json:"cores"`
	MemoryGB float64 `json:"memory_gb"`
	Load     string  `json:"load"` // 1-minute load average at the start and the end
	Revision string  `json:"revision,omitempty"`
}

// benchFigure is one row of the table. Measured and Baseline are in Unit
// (s or rows/s); Ratio is measured time / baseline time (for rows/s, the
// baseline's rate / the measured rate); Met is nil when the goal is not
// for this scale or there is nothing to compare.
type benchFigure struct {
	ID           string   `json:"id"`
	Figure       string   `json:"figure"`
	Measured     float64  `json:"measured"`
	Unit         string   `json:"unit"`
	Baseline     *float64 `json:"baseline,omitempty"`
	BaselineWhat string   `json:"baseline_what"`
	Ratio        *float64 `json:"ratio,omitempty"`
	Goal         string   `json:"goal"`
	Met          *bool    `json:"met,omitempty"`
	PeakRSSMB    float64  `json:"peak_rss_mb"`
	BaselineMB   float64  `json:"baseline_rss_mb,omitempty"`
	Note         string   `json:"note,omitempty"`
}

// benchChild is one lipwatch child process.
type benchChild struct {
	Name      string   `json:"name"`
	Args      []string `json:"args"`
	Env       []string `json:"env,omitempty"` // set for this child beside the bench's own environment
	WallS     float64  `json:"wall_s"`
	CPUS      float64  `json:"cpu_s"` // user + system time of the process, every thread (DuckDB's too)
	PeakRSSMB float64  `json:"peak_rss_mb"`
	Exit      int      `json:"exit"`
	Stdout    string   `json:"stdout"` // file
	Log       string   `json:"log"`    // file (stderr)
}

// benchGenMark is DIR/gen.json: which county DIR/county is, and what
// generating it took (reported again by a bench that finds it there).
type benchGenMark struct {
	Seed       int64   `json:"seed"`
	Households int     `json:"households"`
	WallS      float64 `json:"wall_s"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	When       string  `json:"when"`
}

// runBench does the measurements and returns the report, nil when it could
// not start; a step that fails ends it with an error and the report of
// what was measured until then.
func runBench(ctx context.Context, o benchOptions, progress io.Writer) (*benchReport, error) {
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return nil, err
	}
	rules, err := filepath.Abs(o.rules)
	if err != nil {
		return nil, err
	}
	countyDir, runDir := filepath.Join(dir, "county"), filepath.Join(dir, "run")
	extra := filepath.Join(countyDir, "medical", benchExtraFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// A fresh store and no new rows from an earlier bench.
	if err := errors.Join(os.RemoveAll(runDir), removeIfThere(extra)); err != nil {
		return nil, fmt.Errorf("bench: clean up an earlier bench: %w", err)
	}
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if !o.keep {
		defer os.RemoveAll(runDir)
		defer os.Remove(extra)
	}
	b := &bencher{ctx: ctx, o: o, runDir: runDir, progress: progress}
	rep := &benchReport{Scale: o.scale, Households: o.households, Started: time.Now().UTC().Format(time.RFC3339),
		Machine: machine(), Stages: map[string]map[string]float64{}}
	b.rep = rep
	start := rep.Machine.Load
	writeJSON := func() error {
		rep.Machine.Load = start + " → " + loadAverage()
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "bench.json"), append(data, '\n'), 0o644)
	}
	fail := func(err error) (*benchReport, error) {
		writeJSON()
		return rep, err
	}

	// 1. The county.
	gen, err := b.county(dir, countyDir)
	if err != nil {
		return fail(err)
	}
	// 2. Its config.
	cfgPath := filepath.Join(runDir, "config.yaml")
	cfg, err := writeBenchConfig(cfgPath, countyDir, runDir, rules)
	if err != nil {
		return fail(err)
	}
	storePath := cfg.Resolve(cfg.Store.Path)
	rep.SyncWorkers = cfg.Sync.Workers
	night := func(name string, day time.Time, full bool) (*benchChild, map[string]logLine, error) {
		args := []string{"--config", cfgPath, "--as-of", day.Format(time.DateOnly), "--log-level", "info", "--log-format", "text", "run"}
		if full {
			args = append(args, "--full")
		}
		c, err := b.child(name, args, 0, exitDegraded)
		if err != nil {
			return nil, nil, err
		}
		lines, err := readLog(c.Log, "evaluated")
		return c, lines, err
	}

	// 3a. A full night on a fresh store.
	a, aLog, err := night("night-a-full", benchDay, true)
	if err != nil {
		return fail(err)
	}
	rep.People, _ = strconv.Atoi(aLog["evaluated"].kv["people"])
	rep.Sources = map[string]benchSync{}
	for k, l := range aLog {
		if name, ok := strings.CutPrefix(k, "source synced "); ok {
			read, _ := strconv.ParseInt(l.kv["read"], 10, 64)
			rep.Sources[name] = benchSync{Read: read, ElapsedS: seconds(l.kv["elapsed"])}
		}
	}
	// 3e/f. The households and medical sources again, on a store of their
	// own, one after the other: (e) and (f) time a source's own reading
	// and storing, which (a) does not show when sources load side by side
	// (sync.workers). Before (c) adds its file to the medical folder.
	alone, aloneLog, err := b.syncAlone(cfgPath, "households", "medical")
	if err != nil {
		return fail(err)
	}
	// 3b. The next night, nothing changed.
	bn, bLog, err := night("night-b-unchanged", benchDay.AddDate(0, 0, 1), false)
	if err != nil {
		return fail(err)
	}
	// 3c. 1% new medical rows.
	if rep.MedicalNew, err = writeNewClaims(countyDir, extra, benchDay.AddDate(0, 0, 1)); err != nil {
		return fail(err)
	}
	cDay := benchDay.AddDate(0, 0, 2)
	cn, cLog, err := night("night-c-1pct", cDay, false)
	if err != nil {
		return fail(err)
	}
	// 3d. evaluate against the hand-written SQL, on the store of (c).
	ev, err := b.child("evaluate-dry", []string{"--config", cfgPath, "--as-of", cDay.Format(time.DateOnly),
		"--log-level", "info", "evaluate", "--full", "--dry-run"}, 0, exitDegraded)
	if err != nil {
		return fail(err)
	}
	evalTime, err := evaluatedIn(ev.Stdout)
	if err != nil {
		return fail(err)
	}
	// The baselines in this process: excelize (no DuckDB yet in it), then
	// read_csv, then the SQL oracle.
	hh := cfg.Sources["households"]
	xlsxPath, _ := hh.Options["path"].(string)
	sheet, _ := hh.Options["sheet"].(string)
	headerRow := 1
	switch v := hh.Options["header_row"].(type) {
	case int:
		headerRow = v
	case int64:
		headerRow = int(v)
	case float64:
		headerRow = int(v)
	}
	// Every file the path names, one after another as the sync reads
	// them: the parts of a county gen split past Excel's row limit.
	xlsxFiles, err := filepath.Glob(cfg.Resolve(xlsxPath))
	if err == nil && len(xlsxFiles) == 0 {
		err = fmt.Errorf("bench: no file matches %s", cfg.Resolve(xlsxPath))
	}
	if err != nil {
		return fail(err)
	}
	b.say("baseline: excelize streaming read of %s (%d file(s))", filepath.Base(xlsxPath), len(xlsxFiles))
	xl, err := excelizeRead(xlsxFiles, sheet, headerRow)
	if err != nil {
		return fail(err)
	}
	b.say("baseline: DuckDB read_csv of the medical files")
	rc, err := readCSVMedical(ctx, filepath.Join(runDir, "read_csv.duckdb"), medicalFiles(countyDir))
	if err != nil {
		return fail(err)
	}
	b.say("baseline: DuckDB's own write of the rows the sync stored")
	fl, err := syncFloor(ctx, storePath, filepath.Join(runDir, "floor.duckdb"), cfg.Store.Threads, cfg.Store.MemoryLimit)
	if err != nil {
		return fail(err)
	}
	b.say("baseline: the hand-written SQL of the rules")
	or, err := oracle(ctx, cfg, storePath, cDay)
	if err != nil {
		return fail(err)
	}

	// The stage split from the run ledger and the evaluations' log lines.
	for _, n := range []struct {
		name string
		log  map[string]logLine
		c    *benchChild
	}{{"a_full", aLog, a}, {"b_unchanged", bLog, bn}, {"c_1pct", cLog, cn}} {
		st := map[string]float64{"wall": n.c.WallS, "cpu": n.c.CPUS}
		for k, v := range or.stages[n.name] {
			st[k] = v
		}
		e := n.log["evaluated"].kv
		st["evaluate.facts"] = seconds(e["facts_elapsed"])
		st["evaluate.rules"] = seconds(e["rules_elapsed"])
		rep.Stages[n.name] = st
	}

	// The figures.
	scaled := func(s string) bool { return o.scale == s }
	fig := func(f benchFigure) { rep.Figures = append(rep.Figures, f) }
	ptr := func(v float64) *float64 { return &v }
	met := func(ok bool) *bool { return &ok }
	genFig := benchFigure{ID: "gen", Figure: fmt.Sprintf("gen (%d households)", o.households), Measured: gen.WallS, Unit: "s",
		BaselineWhat: "none", Goal: "streams: RSS flat, < 1 GB at 10m", PeakRSSMB: gen.PeakRSSMB}
	if gen.When != "" {
		genFig.Note = "generated by an earlier bench, " + gen.When
	}
	if scaled("10m") {
		genFig.Met = met(gen.PeakRSSMB < 1024)
	}
	fig(genFig)

	full := benchFigure{ID: "full_night", Figure: "full night (a)", Measured: a.WallS, Unit: "s", BaselineWhat: "none",
		Goal: "≤ 25 s at 1m; < 10 min and RSS < 8 GB at 10m", PeakRSSMB: a.PeakRSSMB}
	switch {
	case scaled("1m"):
		full.Baseline, full.BaselineWhat = ptr(83), "issue 14 before (83 s)"
		full.Ratio, full.Met = ptr(a.WallS/83), met(a.WallS <= 25)
	case scaled("10m"):
		full.Met = met(a.WallS < 600 && a.PeakRSSMB < 8192)
	}
	fig(full)

	// Identity resolution (issue 15): the link stage of the full night,
	// beside the whole night, on a county whose files carry about 1%
	// rows with a damaged ID (gen's ground truth).
	if link, ok := rep.Stages["a_full"]["link"]; ok {
		lf := benchFigure{ID: "link_stage", Figure: "identity resolution: link stage of (a)", Measured: link, Unit: "s",
			Baseline: ptr(a.WallS), BaselineWhat: "full night (a)", Ratio: ptr(link / a.WallS), Goal: "≤ 10% of a full night",
			Met: met(link <= 0.1*a.WallS), PeakRSSMB: a.PeakRSSMB}
		if l := or.linked["a_full"]; l != nil {
			lf.Note = fmt.Sprintf("%d rows: %d linked, %d to review, %d unmatched", l["auto"]+l["review"]+l["none"], l["auto"], l["review"], l["none"])
		}
		// The registry's blocking keys are computed beside the sync, as
		// soon as the registry has loaded: their time is in the sync's.
		if k, ok := aLog["link keys"]; ok {
			if lf.Note != "" {
				lf.Note += "; "
			}
			lf.Note += fmt.Sprintf("the registry's blocking keys: %.1f s beside the sync", seconds(k.kv["people.elapsed"]))
		}
		fig(lf)
	}

	unchanged := benchFigure{ID: "unchanged_night", Figure: "night with nothing changed (b)", Measured: bn.WallS, Unit: "s",
		Baseline: ptr(a.WallS), BaselineWhat: "full night (a)", Ratio: ptr(bn.WallS / a.WallS), Goal: "≤ 2 s at 1m",
		PeakRSSMB: bn.PeakRSSMB, BaselineMB: a.PeakRSSMB}
	if e := bLog["evaluated"].kv; e["incremental"] == "true" {
		unchanged.Note = "incremental evaluation, " + e["reached"] + " people reached"
	} else {
		unchanged.Note = "evaluated everyone: " + e["full_why"]
	}
	if scaled("1m") {
		unchanged.Met = met(bn.WallS <= 2)
	}
	fig(unchanged)

	onePct := benchFigure{ID: "one_pct_night", Figure: fmt.Sprintf("night with 1%% new rows (c): %d medical", rep.MedicalNew),
		Measured: cn.WallS, Unit: "s", Baseline: ptr(a.WallS), BaselineWhat: "full night (a)", Ratio: ptr(cn.WallS / a.WallS),
		Goal: "≤ 10% of (a)", Met: met(cn.WallS <= 0.1*a.WallS), PeakRSSMB: cn.PeakRSSMB, BaselineMB: a.PeakRSSMB}
	if e := cLog["evaluated"].kv; e["incremental"] == "true" {
		onePct.Note = "incremental evaluation"
	} else {
		onePct.Note = "evaluated everyone: " + e["full_why"]
	}
	fig(onePct)

	rep.Disagree = compareCounts(or.evaluateHits, or.hits)
	vs := benchFigure{ID: "evaluate_vs_sql", Figure: "evaluate --full --dry-run (d)", Measured: evalTime.Seconds(), Unit: "s",
		Baseline: ptr(or.elapsed.Seconds()), BaselineWhat: "hand-written SQL of the rules", Ratio: ptr(evalTime.Seconds() / or.elapsed.Seconds()),
		Goal: "≤ 1.3×", Met: met(evalTime.Seconds() <= 1.3*or.elapsed.Seconds()), PeakRSSMB: ev.PeakRSSMB, BaselineMB: or.rssMB,
		Note: fmt.Sprintf("evaluate's own time (the process: %.2f s); %d hits", ev.WallS, total(or.hits))}
	if rep.Disagree != "" {
		vs.Met = nil
		vs.Note += "; HITS DISAGREE: " + rep.Disagree
	}
	fig(vs)

	hs := aloneLog["source synced households"].kv
	xRead, xSync := atof(hs["read"]), seconds(hs["elapsed"])
	xlsx := benchFigure{ID: "xlsx_sync", Figure: "xlsx sync: households, alone", Unit: "rows/s", BaselineWhat: "excelize Rows(), raw values",
		Goal: "≥ 150k rows/s or ≤ 2× excelize", PeakRSSMB: alone.PeakRSSMB, BaselineMB: xl.rssMB,
		Note: fmt.Sprintf("%.0f rows in %.2f s (in (a): %s); excelize %d rows in %.2f s", xRead, xSync, aLog["source synced households"].kv["elapsed"], xl.rows, xl.elapsed.Seconds())}
	if xSync > 0 && xl.elapsed > 0 {
		xlsx.Measured = xRead / xSync
		xlsx.Baseline = ptr(float64(xl.rows) / xl.elapsed.Seconds())
		xlsx.Ratio = ptr(xSync / xl.elapsed.Seconds())
		xlsx.Met = met(xlsx.Measured >= 150_000 || *xlsx.Ratio <= 2)
	}
	fig(xlsx)

	ms := aloneLog["source synced medical"].kv
	mRead, mSync := atof(ms["read"]), seconds(ms["elapsed"])
	csvFig := benchFigure{ID: "csv_sync", Figure: "CSV sync: medical files, alone", Measured: mSync, Unit: "s",
		Baseline: ptr(rc.elapsed.Seconds()), BaselineWhat: "DuckDB read_csv into the typed table",
		Goal: "≤ 1.4×", PeakRSSMB: alone.PeakRSSMB, BaselineMB: rc.rssMB,
		Note: fmt.Sprintf("%.0f rows, %.0f rows/s (in (a): %s); read_csv %d rows", mRead, mRead/mSync, aLog["source synced medical"].kv["elapsed"], rc.rows)}
	if rc.elapsed > 0 {
		csvFig.Ratio = ptr(mSync / rc.elapsed.Seconds())
		csvFig.Met = met(*csvFig.Ratio <= 1.4)
	}
	fig(csvFig)

	// What bounds the full night's sync: the same rows written by DuckDB
	// alone. Not a goal of the issue; the floor under any insert path.
	if sync, ok := rep.Stages["a_full"]["sync"]; ok && fl.elapsed > 0 {
		fig(benchFigure{ID: "sync_floor", Figure: "sync of (a), every source", Measured: sync, Unit: "s",
			Baseline: ptr(fl.elapsed.Seconds()), BaselineWhat: "DuckDB writing the stored rows from memory", Ratio: ptr(sync / fl.elapsed.Seconds()),
			Goal: "none: the floor under (a)'s sync", PeakRSSMB: a.PeakRSSMB, BaselineMB: fl.rssMB,
			Note: fmt.Sprintf("%d rows, the store's after (c); DuckDB's write: CPU %.1f s", fl.rows, fl.cpuS)})
	}

	if err := writeJSON(); err != nil {
		return rep, fmt.Errorf("bench: write bench.json: %w", err)
	}
	return rep, nil
}

// bencher runs the children.
type bencher struct {
	ctx      context.Context
	o        benchOptions
	runDir   string
	progress io.Writer
	rep      *benchReport
}

func (b *bencher) say(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

// child runs lipwatch with args, its stdout to runDir/NAME.out and its
// stderr to runDir/NAME.log, and records its wall time and peak RSS. An
// exit status other than ok's is an error that quotes the end of its log.
func (b *bencher) child(name string, args []string, ok ...int) (*benchChild, error) {
	return b.childEnv(name, nil, args, ok...)
}

// childEnv is child with env (KEY=value) set for the child over the
// bench's own environment.
func (b *bencher) childEnv(name string, env, args []string, ok ...int) (*benchChild, error) {
	c := &benchChild{Name: name, Args: args, Env: env, Stdout: filepath.Join(b.runDir, name+".out"), Log: filepath.Join(b.runDir, name+".log")}
	out, err := os.Create(c.Stdout)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	errf, err := os.Create(c.Log)
	if err != nil {
		return nil, err
	}
	defer errf.Close()
	b.say("%s: %s", name, strings.Join(slices.Concat(env, []string{"lipwatch"}, args), " "))
	cmd := exec.CommandContext(b.ctx, b.o.bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = out, errf
	// Interrupted: the child stops as lipwatch does on ^C, then is killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	t0 := time.Now()
	err = cmd.Run()
	c.WallS = time.Since(t0).Seconds()
	if cmd.ProcessState != nil {
		c.PeakRSSMB = maxRSSMB(cmd.ProcessState)
		c.CPUS = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
		c.Exit = cmd.ProcessState.ExitCode()
	}
	b.rep.Children = append(b.rep.Children, c)
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && slices.Contains(ok, c.Exit)) {
		return c, fmt.Errorf("bench: %s (lipwatch %s): %v; the end of its log:\n%s", name, strings.Join(args, " "), err, tail(c.Log, 15))
	}
	b.say("%s: %.2f s, CPU %.2f s, peak RSS %.0f MB, exit status %d", name, c.WallS, c.CPUS, c.PeakRSSMB, c.Exit)
	return c, nil
}

// syncAlone syncs sources (names of the config's) into a store of their
// own beside the night's (DIR/run/alone.duckdb; DIR/run starts empty), one at a time
// (LIPWATCH_SYNC_WORKERS=1), and returns the child and its log lines: each
// source's "source synced" line is then its own time, not shared with
// loads beside it.
func (b *bencher) syncAlone(cfgPath string, sources ...string) (*benchChild, map[string]logLine, error) {
	storePath := filepath.Join(b.runDir, "alone.duckdb")
	args := append([]string{"--config", cfgPath, "--as-of", benchDay.Format(time.DateOnly), "--log-level", "info", "--log-format", "text", "sync"}, sources...)
	c, err := b.childEnv("sync-alone", []string{"LIPWATCH_STORE_PATH=" + storePath, "LIPWATCH_SYNC_WORKERS=1"}, args, 0, exitDegraded)
	if err != nil {
		return nil, nil, err
	}
	want := make([]string, len(sources))
	for i, src := range sources {
		want[i] = "source synced " + src
	}
	lines, err := readLog(c.Log, want...)
	return c, lines, err
}

// county makes sure DIR/county holds the county of the options, generating
// it when DIR holds none, and returns what generating it took.
func (b *bencher) county(dir, countyDir string) (*benchGenMark, error) {
	markPath := filepath.Join(dir, "gen.json")
	var mark benchGenMark
	data, err := os.ReadFile(markPath)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &mark); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", markPath, err)
		}
		if mark.Households != b.o.households || mark.Seed != b.o.seed {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("bench: %s holds a county of %d households (seed %d), not %d (seed %d): give another --dir",
				countyDir, mark.Households, mark.Seed, b.o.households, b.o.seed)}
		}
		if _, err := os.Stat(filepath.Join(countyDir, "registry.csv")); err == nil {
			b.say("the county in %s is there (%d households): not generated again", countyDir, mark.Households)
			return &mark, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("bench: %w", err)
	}
	if _, err := os.Stat(countyDir); err == nil {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("bench: %s exists but was not made by lipwatch bench (no %s): give another --dir", countyDir, markPath)}
	}
	tmp := countyDir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	c, err := b.child("gen", []string{"gen", "--seed", strconv.FormatInt(b.o.seed, 10), "--households", strconv.Itoa(b.o.households),
		"--as-of", benchDay.Format(time.DateOnly), "--out", tmp})
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, countyDir); err != nil {
		return nil, err
	}
	mark = benchGenMark{Seed: b.o.seed, Households: b.o.households, WallS: c.WallS, PeakRSSMB: c.PeakRSSMB,
		When: time.Now().UTC().Format(time.RFC3339)}
	data, _ = json.MarshalIndent(mark, "", "  ")
	if err := os.WriteFile(markPath, append(data, '\n'), 0o644); err != nil {
		return nil, err
	}
	mark.When = "" // measured now
	return &mark, nil
}

// writeBenchConfig writes the embedded default config with its paths moved
// to the bench's: the sources' files and the divisions under countyDir,
// the store and the lists under runDir, the rules and the holiday calendar
// of rulesDir. A file gen split into parts past Excel's row limit
// (households.xlsx, households-2.xlsx ...) is read by a glob of its parts
// (households*.xlsx). Everything else is as shipped. It returns the config
// as lipwatch loads it.
func writeBenchConfig(path, countyDir, runDir, rulesDir string) (*config.Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(lipwatch.DefaultConfig, &doc); err != nil {
		return nil, fmt.Errorf("bench: the default config: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("bench: the default config is not one YAML document")
	}
	root := doc.Content[0]
	set := func(v string, keys ...string) error {
		n := yamlValue(root, keys...)
		if n == nil || n.Kind != yaml.ScalarNode {
			return fmt.Errorf("bench: the default config has no %s", strings.Join(keys, "."))
		}
		n.Value, n.Tag, n.Style = v, "!!str", 0
		return nil
	}
	const shipped = "testdata/county/"
	moved := func(p string) string { return filepath.Join(countyDir, strings.TrimPrefix(p, shipped)) }
	if err := errors.Join(
		set(filepath.Join(runDir, "lw.duckdb"), "store", "path"),
		set(filepath.Join(runDir, "lists"), "dispatch", "dir"),
		set(rulesDir, "rules", "dir"),
		set(filepath.Join(rulesDir, "holidays.yaml"), "cases", "calendar"),
	); err != nil {
		return nil, err
	}
	if n := yamlValue(root, "county", "divisions"); n != nil && strings.HasPrefix(n.Value, shipped) {
		n.Value = moved(n.Value)
	}
	sources := yamlValue(root, "sources")
	if sources == nil || sources.Kind != yaml.MappingNode {
		return nil, errors.New("bench: the default config has no sources")
	}
	for i := 1; i < len(sources.Content); i += 2 {
		p := yamlValue(sources.Content[i], "options", "path")
		if p == nil || !strings.HasPrefix(p.Value, shipped) {
			return nil, fmt.Errorf("bench: source %s of the default config does not read %s", sources.Content[i-1].Value, shipped)
		}
		p.Value = moved(p.Value)
		if !strings.ContainsAny(p.Value, "*?[") {
			if _, err := os.Stat(gen.PartName(p.Value, 2)); err == nil {
				ext := filepath.Ext(p.Value)
				p.Value = strings.TrimSuffix(p.Value, ext) + "*" + ext
			}
		}
	}
	data, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	data = append([]byte("# Written by lipwatch bench: the embedded default config with the bench's paths.\n"), data...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("bench: the config it wrote: %w", err)
	}
	return cfg, nil
}

// yamlValue is the value node under keys in mapping n, nil when missing.
func yamlValue(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// medicalFiles are the county's monthly medical files (without the bench's
// new rows), in name order.
func medicalFiles(countyDir string) []string {
	files, _ := filepath.Glob(filepath.Join(countyDir, "medical", "medical_*.csv"))
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == benchExtraFile })
	slices.Sort(files)
	return files
}

// writeNewClaims writes to out 1% of the county's medical rows as new
// claims: every 100th data row of its monthly files that gen did not make
// bad (truth.json's bad_rows and unresolved), with a new claim number (the old one with
// prefix N) and settled on day. The people are the county's, the amounts
// and formats as sent. It returns the number of rows written.
func writeNewClaims(countyDir, out string, day time.Time) (int, error) {
	bad := map[string]bool{} // file:line
	if data, err := os.ReadFile(filepath.Join(countyDir, "truth.json")); err == nil {
		var t struct {
			BadRows []struct {
				File     string `json:"file"`
				Position int    `json:"position"`
			} `json:"bad_rows"`
			Unresolved []struct {
				File     string `json:"file"`
				Position int    `json:"position"`
			} `json:"unresolved"`
		}
		if json.Unmarshal(data, &t) == nil {
			for _, r := range t.BadRows {
				bad[fmt.Sprintf("%s:%d", filepath.ToSlash(r.File), r.Position)] = true
			}
			for _, r := range t.Unresolved { // an unusable ID: no good row to copy either
				bad[fmt.Sprintf("%s:%d", filepath.ToSlash(r.File), r.Position)] = true
			}
		}
	}
	files := medicalFiles(countyDir)
	if len(files) == 0 {
		return 0, fmt.Errorf("bench: no medical files in %s", filepath.Join(countyDir, "medical"))
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	var header []string
	n, seen, dateCol := 0, 0, 0
	for _, name := range files {
		in, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		r.ReuseRecord = true
		rel := "medical/" + filepath.Base(name)
		first := true
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				in.Close()
				return 0, fmt.Errorf("bench: %s: %w", name, err)
			}
			if first {
				first = false
				if header == nil {
					header = slices.Clone(rec)
					header[0] = strings.TrimPrefix(header[0], "\uFEFF")
					dateCol = slices.Index(header, "结算日期")
					if header[0] != "结算单号" || dateCol < 0 {
						in.Close()
						return 0, fmt.Errorf("bench: %s: header %q: want 结算单号 first and a 结算日期", name, header)
					}
					if err := w.Write(header); err != nil {
						in.Close()
						return 0, err
					}
				}
				continue
			}
			line, _ := r.FieldPos(0)
			if bad[fmt.Sprintf("%s:%d", rel, line)] || len(rec) != len(header) || rec[0] == header[0] {
				continue
			}
			seen++
			if seen%100 != 0 {
				continue
			}
			rec[0] = "N" + rec[0]
			rec[dateCol] = day.Format(time.DateOnly)
			if err := w.Write(rec); err != nil {
				in.Close()
				return 0, err
			}
			n++
		}
		in.Close()
	}
	w.Flush()
	if err := errors.Join(w.Error(), bw.Flush(), f.Close()); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errors.New("bench: the county's medical files have fewer than 100 good rows: no new rows to add")
	}
	return n, os.Rename(tmp, out)
}

// logLine is one line of a child's text log: its key=value pairs.
type logLine struct{ kv map[string]string }

var logPair = regexp.MustCompile(`([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|\S*)`)

// readLog reads a child's log: the last "evaluated" line, and each
// source's last "source synced" line as "source synced NAME". A key of
// want missing is an error naming the log.
func readLog(path string, want ...string) (map[string]logLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]logLine{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		kv := map[string]string{}
		for _, m := range logPair.FindAllStringSubmatch(sc.Text(), -1) {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
				v = u
			}
			kv[m[1]] = v
		}
		switch kv["msg"] {
		case "evaluated":
			out["evaluated"] = logLine{kv}
		case "source synced":
			out["source synced "+kv["source"]] = logLine{kv}
		case "registry blocking keys refreshed":
			out["link keys"] = logLine{kv}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range want {
		if _, ok := out[k]; !ok {
			return out, fmt.Errorf("bench: %s has no %s line:\n%s", path, k, tail(path, 15))
		}
	}
	return out, nil
}

var evaluatedLine = regexp.MustCompile(`(?m)^evaluated \d+ people at \S+ in (\S+) \(`)

// evaluatedIn reads the evaluation's own time from evaluate's summary
// ("evaluated N people at D in 1.234s (facts …, rules …)").
func evaluatedIn(stdout string) (time.Duration, error) {
	data, err := os.ReadFile(stdout)
	if err != nil {
		return 0, err
	}
	m := evaluatedLine.FindSubmatch(data)
	if m == nil {
		return 0, fmt.Errorf("bench: %s has no \"evaluated … in …\" line", stdout)
	}
	return time.ParseDuration(string(m[1]))
}

// benchRead is a baseline's reading: rows, time and the process's peak RSS
// while it ran (Linux; 0 elsewhere).
type benchRead struct {
	rows    int64
	elapsed time.Duration
	rssMB   float64
}

// excelizeRead reads sheet of each workbook, one after another, with
// excelize's streaming Rows and raw values, and returns the data rows
// (after headerRow, not empty), the time and the process's peak RSS.
func excelizeRead(paths []string, sheet string, headerRow int) (benchRead, error) {
	var r benchRead
	debug.FreeOSMemory()
	peak := peakRSS()
	t0 := time.Now()
	for _, path := range paths {
		n, err := excelizeRows(path, sheet, headerRow)
		if err != nil {
			return r, fmt.Errorf("bench: excelize %s: %w", path, err)
		}
		r.rows += int64(n)
	}
	r.elapsed = time.Since(t0)
	r.rssMB = peak()
	return r, nil
}

// excelizeRows counts the data rows of one workbook's sheet, streaming.
func excelizeRows(path, sheet string, headerRow int) (int, error) {
	raw := excelize.Options{RawCellValue: true}
	f, err := excelize.OpenFile(path, raw)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := f.Rows(sheet)
	if err != nil {
		return 0, err
	}
	count := 0
	for n := 1; rows.Next(); n++ {
		cols, err := rows.Columns(raw)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if n > headerRow && len(cols) > 0 {
			count++
		}
	}
	return count, rows.Close()
}

// readCSVSQL is DuckDB's own CSV reader filling the medical table (as
// engine/ingest's BenchmarkSyncMedical), here over the county's monthly
// files with their dirt: conversions that fail give NULL (TRY_CAST) and a
// row without a required value is left out, where the sync quarantines
// it. It fills the same columns the sync does, the person's 姓名, 性别 and
// 出生日期 (identity resolution's fields, migration 0022) included. It
// validates far less than the sync (no ID check digits, no 15-digit
// upgrade, no full-width digits, no duplicate check): a floor, not an
// equal. %s is the list of files.
const readCSVSQL = `
INSERT INTO medical (claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket,
  name, gender, birth_date, _key, _source, _load_id, _loaded_at, _stream, _position)
SELECT * FROM (
  SELECT 结算单号 AS c, upper(replace(身份证号, ' ', '')) AS id,
    coalesce(try_strptime(结算日期, '%%Y-%%m-%%d'), try_strptime(结算日期, '%%Y/%%m/%%d'),
             try_strptime(结算日期, '%%Y年%%m月%%d日'), try_strptime(结算日期, '%%Y%%m%%d'))::DATE AS d,
    医疗机构, m(医疗总费用) AS total, m(统筹基金支付), m(大病保险支付), m(医疗救助支付), m(个人自付) AS oop,
    nullif(trim(姓名), ''), CASE trim(性别) WHEN '男' THEN 'male' WHEN '女' THEN 'female' END,
    coalesce(try_strptime(出生日期, '%%Y-%%m-%%d'), try_strptime(出生日期, '%%Y/%%m/%%d'), try_strptime(出生日期, '%%Y%%m%%d'))::DATE,
    结算单号, 'bench', 1, now()::TIMESTAMP, 'medical.csv', row_number() OVER ()
  FROM read_csv(%s, all_varchar = true, header = true))
WHERE c IS NOT NULL AND id IS NOT NULL AND d IS NOT NULL AND total IS NOT NULL AND oop IS NOT NULL`

// readCSVMedical loads files with DuckDB's read_csv into the medical table
// of a new store at path (made by store.Open for its tables, then opened
// as a plain DuckDB: the store refuses file access) and returns the rows
// stored and the time the INSERT took.
func readCSVMedical(ctx context.Context, path string, files []string) (benchRead, error) {
	var r benchRead
	st, err := store.Open(ctx, store.Options{Path: path, Holder: "lipwatch bench"})
	if err != nil {
		return r, err
	}
	st.Close()
	defer os.Remove(path)
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return r, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE MACRO m(x) AS TRY_CAST(replace(replace(replace(replace(x, ',', ''), '元', ''), '￥', ''), '¥', '') AS DECIMAL(14,2))`); err != nil {
		return r, err
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	q := fmt.Sprintf(readCSVSQL, "["+strings.Join(quoted, ", ")+"]")
	debug.FreeOSMemory()
	peak := peakRSS()
	t0 := time.Now()
	res, err := db.ExecContext(ctx, q)
	r.elapsed = time.Since(t0)
	r.rssMB = peak()
	if err != nil {
		return r, fmt.Errorf("bench: read_csv: %w", err)
	}
	r.rows, _ = res.RowsAffected()
	return r, nil
}

// benchFloor is syncFloor's measure.
type benchFloor struct {
	rows    int64
	elapsed time.Duration // the CREATE TABLE AS and CHECKPOINT of every table
	cpuS    float64       // this process's CPU time over the same statements (DuckDB's threads)
	rssMB   float64
}

// syncFloor measures what storing the rows of the store at storePath costs
// DuckDB alone: each dataset table is copied into memory (untimed), then
// written into a new database file at path with CREATE TABLE AS and a
// CHECKPOINT (timed), with the store's threads and memory_limit. No file
// is read, no value parsed or checked, no Appender used: no insert path
// into a DuckDB store of these rows can cost less. path is removed after.
func syncFloor(ctx context.Context, storePath, path string, threads int, memoryLimit string) (benchFloor, error) {
	var r benchFloor
	os.Remove(path)
	defer os.Remove(path)
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return r, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return r, err
	}
	defer conn.Close()
	setup := []string{`ATTACH '` + strings.ReplaceAll(storePath, "'", "''") + `' AS s (READ_ONLY)`}
	if threads > 0 {
		setup = append(setup, fmt.Sprintf(`SET threads = %d`, threads))
	}
	if memoryLimit != "" {
		setup = append(setup, `SET memory_limit = '`+strings.ReplaceAll(memoryLimit, "'", "''")+`'`)
	}
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return r, fmt.Errorf("bench: floor: %w", err)
		}
	}
	debug.FreeOSMemory()
	peak := peakRSS()
	for _, n := range dataset.Names() {
		t := `"` + n + `"`
		var k int64
		_, err := conn.ExecContext(ctx, `CREATE TEMP TABLE m AS SELECT * FROM s.main.`+t)
		if err == nil {
			err = conn.QueryRowContext(ctx, `SELECT count(*) FROM temp.main.m`).Scan(&k)
		}
		if err != nil {
			return r, fmt.Errorf("bench: floor: %s: %w", n, err)
		}
		r.rows += k
		c0, t0 := cpuSelf(), time.Now()
		_, err = conn.ExecContext(ctx, `CREATE TABLE `+t+` AS SELECT * FROM temp.main.m`)
		if err == nil {
			_, err = conn.ExecContext(ctx, `CHECKPOINT`)
		}
		r.elapsed += time.Since(t0)
		r.cpuS += cpuSelf() - c0
		if err != nil {
			return r, fmt.Errorf("bench: floor: %s: %w", n, err)
		}
		if _, err := conn.ExecContext(ctx, `DROP TABLE temp.main.m`); err != nil {
			return r, fmt.Errorf("bench: floor: %s: %w", n, err)
		}
	}
	r.rssMB = peak()
	return r, nil
}

// oracleResult is the hand-written SQL's run on the store, and what the
// run ledger says of the nights and of evaluate's hits.
type oracleResult struct {
	elapsed      time.Duration
	rssMB        float64
	hits         map[string]int // rule → hits of the SQL
	evaluateHits map[string]int // rule → hits of the newest evaluate (the ledger)
	stages       map[string]map[string]float64
	linked       map[string]map[string]int64 // night → identity resolution's outcomes (auto, review, none, applied)
}

// oracle opens the store as the config says and runs the hand-written SQL
// of the rules at day on it (timed: the query and reading its rows); it
// reads the run ledger's stage timings of the three nights and the hits
// per rule of the newest evaluate.
func oracle(ctx context.Context, cfg *config.Config, storePath string, day time.Time) (*oracleResult, error) {
	o := pipeline.StoreOptions(cfg, "lipwatch bench")
	o.Path = storePath
	st, err := store.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	res := &oracleResult{hits: map[string]int{}, evaluateHits: map[string]int{}, stages: map[string]map[string]float64{},
		linked: map[string]map[string]int64{}}
	runs, err := st.Runs(ctx, store.RunFilter{Kinds: []string{"run", "evaluate"}})
	if err != nil {
		return nil, err
	}
	names := map[string]string{benchDay.Format(time.DateOnly): "a_full", benchDay.AddDate(0, 0, 1).Format(time.DateOnly): "b_unchanged",
		benchDay.AddDate(0, 0, 2).Format(time.DateOnly): "c_1pct"}
	seenEval := false
	for _, r := range runs { // newest first
		switch {
		case r.Kind == "evaluate" && !seenEval:
			seenEval = true
			var s struct{ Hits map[string]int }
			if err := json.Unmarshal([]byte(r.Summary), &s); err != nil {
				return nil, fmt.Errorf("bench: the ledger's evaluate %d: %w", r.ID, err)
			}
			for k, v := range s.Hits {
				if k != evaluate.GroundRule {
					res.evaluateHits[k] = v
				}
			}
		case r.Kind == "run":
			var s struct {
				StageSeconds map[string]float64
				Linked       map[string]int64
			}
			if err := json.Unmarshal([]byte(r.Summary), &s); err != nil {
				return nil, fmt.Errorf("bench: the ledger's run %d: %w", r.ID, err)
			}
			if n := names[r.AsOf.Format(time.DateOnly)]; n != "" && res.stages[n] == nil {
				res.stages[n], res.linked[n] = s.StageSeconds, s.Linked
			}
		}
	}
	debug.FreeOSMemory()
	peak := peakRSS()
	t0 := time.Now()
	hits, err := pipeline.HandHits(ctx, st.DB(), day)
	res.elapsed = time.Since(t0)
	res.rssMB = peak()
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		res.hits[h.Rule]++
	}
	return res, nil
}

// compareCounts names the rules on which evaluate and the SQL found
// different numbers of hits, "" when none.
func compareCounts(eval, sql map[string]int) string {
	var diff []string
	rules := maps.Clone(eval)
	maps.Copy(rules, sql)
	for _, r := range slices.Sorted(maps.Keys(rules)) {
		if eval[r] != sql[r] {
			diff = append(diff, fmt.Sprintf("%s %d/%d", r, eval[r], sql[r]))
		}
	}
	if len(diff) == 0 {
		return ""
	}
	return strings.Join(diff, ", ") + " (evaluate/SQL)"
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// printBench writes the table of figures and the stage split.
func printBench(w io.Writer, rep *benchReport) {
	if len(rep.Figures) == 0 { // a step failed: its error says which
		return
	}
	m := rep.Machine
	fmt.Fprintf(w, "lipwatch bench, scale %s: %d households, %d people, sync.workers %d; %s\n", rep.Scale, rep.Households, rep.People, rep.SyncWorkers, rep.Started)
	fmt.Fprintf(w, "machine: %s, %s, %d cores, %.0f GB; load %s", m.OS, m.CPU, m.Cores, m.MemoryGB, m.Load)
	if m.Revision != "" {
		fmt.Fprintf(w, "; lipwatch %s", m.Revision)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "FIGURE\tMEASURED\tBASELINE\tRATIO\tGOAL\tMET\tPEAK RSS (MB)\tNOTE")
	for _, f := range rep.Figures {
		base := "—"
		if f.Baseline != nil {
			base = benchValue(*f.Baseline, f.Unit) + " (" + f.BaselineWhat + ")"
		}
		ratio := "—"
		if f.Ratio != nil {
			ratio = fmt.Sprintf("%.2f", *f.Ratio)
		}
		met := "—"
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "no"}[*f.Met]
		}
		rss := fmt.Sprintf("%.0f", f.PeakRSSMB)
		if f.BaselineMB > 0 {
			rss += fmt.Sprintf(" / %.0f", f.BaselineMB)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Figure, benchValue(f.Measured, f.Unit), base, ratio, f.Goal, met, rss, f.Note)
	}
	tw.Flush()
	fmt.Fprintln(w, "RATIO: measured time / baseline time. PEAK RSS: measured / baseline: lipwatch's process (for the syncs, the whole night (a)) / the bench process while the baseline ran.")
	if len(rep.Stages) > 0 {
		fmt.Fprintln(w)
		tw = newRightTable(w)
		fmt.Fprintln(tw, "NIGHT (s)\tWALL\tCPU\tSYNC\tLINK\tHEALTH\tEVALUATE\tFACTS\tRULES\tDISPATCH\tNOTIFY")
		for _, n := range []string{"a_full", "b_unchanged", "c_1pct"} {
			s, ok := rep.Stages[n]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", n, s["wall"], s["cpu"], s["sync"], s["link"], s["health"], s["evaluate"],
				s["evaluate.facts"], s["evaluate.rules"], s["dispatch"], s["notify"])
		}
		tw.Flush()
		fmt.Fprintln(w, "WALL: the lipwatch run process; CPU: its user + system time on every thread (2 cores give at most 2 s a second); SYNC … NOTIFY: its stages (run ledger; LINK: identity resolution); FACTS, RULES: inside EVALUATE (its log line).")
	}
	if len(rep.Sources) > 0 {
		names := slices.SortedFunc(maps.Keys(rep.Sources), func(a, b string) int {
			return cmp.Compare(rep.Sources[b].ElapsedS, rep.Sources[a].ElapsedS)
		})
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s %.2f (%d rows)", n, rep.Sources[n].ElapsedS, rep.Sources[n].Read)
		}
		fmt.Fprintf(w, "sync of (a) per source (s): %s\n", strings.Join(parts, ", "))
	}
}

// benchValue formats a figure's value in its unit.
func benchValue(v float64, unit string) string {
	switch {
	case unit == "rows/s" && v >= 10_000:
		return fmt.Sprintf("%.0fk rows/s", v/1000)
	case unit == "rows/s":
		return fmt.Sprintf("%.0f rows/s", v)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

// seconds reads a Go duration ("1.5s", "350ms") as seconds; 0 when it is
// none.
func seconds(s string) float64 {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0
	}
	return d.Seconds()
}

func atof(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// peakRSS resets this process's peak resident set (Linux: clear_refs 5)
// and returns a func giving the peak since, in MB; 0 where the kernel does
// not say.
func peakRSS() func() float64 {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return func() float64 {
		return procFieldMB("/proc/self/status", "VmHWM:")
	}
}

// procFieldMB is a "kB" field of a /proc file in MB, 0 without one.
func procFieldMB(path, field string) float64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// machine describes this machine as far as it says (Linux /proc).
func machine() benchMachine {
	m := benchMachine{OS: runtime.GOOS + "/" + runtime.GOARCH, Cores: runtime.NumCPU(), CPU: "unknown", Load: loadAverage()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.MemoryGB = math.Round(procFieldMB("/proc/meminfo", "MemTotal:")/1024*10) / 10
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				m.Revision = s.Value[:12]
			}
		}
	}
	return m
}

// loadAverage is the 1-minute load average, "?" where the system does not
// say.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
