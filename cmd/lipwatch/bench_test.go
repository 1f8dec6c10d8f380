package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// benchChildEnv makes this test binary lipwatch itself: `lipwatch bench`
// runs its children (gen, run, evaluate) as os.Executable(), which in a
// test is the test binary.
const benchChildEnv = "LIPWATCH_TEST_BENCH_CHILD"

func init() {
	if os.Getenv(benchChildEnv) == "1" {
		os.Exit(run())
	}
}

// benchFigureIDs are the rows of issue 14's table the bench must fill,
// and the floor under the full night's sync.
// link_stage is issue 15's: identity resolution's share of the full night.
var benchFigureIDs = []string{"gen", "full_night", "link_stage", "unchanged_night", "one_pct_night", "evaluate_vs_sql", "xlsx_sync", "csv_sync", "sync_floor"}

// `lipwatch bench` end to end on a tiny county: every figure of the table
// has a number, those with a baseline a baseline and a ratio, every night
// its stages; evaluate and the hand-written SQL agree; the county and
// bench.json stay and the store goes. A second bench on the same --dir
// does not generate the county again and, with --keep, keeps the store.
// (The timings' values are not checked: they are the machine's.)
func TestBench(t *testing.T) {
	t.Setenv(benchChildEnv, "1")
	dir := t.TempDir()
	out, err := runCLI(t, "bench", "--households", "400", "--dir", dir, "--rules", "../../rules")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rep := readBenchJSON(t, dir)
	checkBenchReport(t, rep, out)
	if want := []string{"gen", "night-a-full", "sync-alone", "night-b-unchanged", "night-c-1pct", "evaluate-dry"}; !slices.Equal(childNames(rep), want) {
		t.Errorf("children %v, want %v", childNames(rep), want)
	}
	for _, id := range []string{"xlsx_sync", "csv_sync"} {
		if n := figure(t, rep, id).Note; !strings.Contains(n, "(in (a): ") {
			t.Errorf("%s does not give (a)'s time beside its own: %q", id, n)
		}
	}
	for _, c := range rep.Children {
		if c.Name == "sync-alone" && (!slices.Contains(c.Env, "LIPWATCH_SYNC_WORKERS=1") || !slices.Equal(c.Args[len(c.Args)-3:], []string{"sync", "households", "medical"})) {
			t.Errorf("the sources alone: %+v", c)
		}
	}
	if rep.SyncWorkers != config.DefaultSyncWorkers || !strings.Contains(out, fmt.Sprintf("sync.workers %d;", config.DefaultSyncWorkers)) {
		t.Errorf("sync.workers %d, want the default %d, and said in the header", rep.SyncWorkers, config.DefaultSyncWorkers)
	}
	if n := figure(t, rep, "link_stage").Note; !strings.Contains(n, " linked, ") {
		t.Errorf("the link stage does not say what it linked: %q", n)
	}
	if rep.People < 400 || rep.MedicalNew == 0 {
		t.Errorf("people %d, new medical rows %d", rep.People, rep.MedicalNew)
	}
	if e := rep.Stages["b_unchanged"]; e == nil || !strings.HasPrefix(figure(t, rep, "unchanged_night").Note, "incremental evaluation") {
		t.Errorf("the unchanged night was not incremental: %q", figure(t, rep, "unchanged_night").Note)
	}
	for _, p := range []string{"county/registry.csv", "gen.json", "bench.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"run", "county/medical/" + benchExtraFile, "county.tmp"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s is left after the bench (no --keep)", p)
		}
	}

	out, err = runCLI(t, "bench", "--households", "400", "--dir", dir, "--rules", "../../rules", "--keep")
	if err != nil {
		t.Fatalf("second bench: %v\n%s", err, out)
	}
	rep2 := readBenchJSON(t, dir)
	checkBenchReport(t, rep2, out)
	if slices.Contains(childNames(rep2), "gen") {
		t.Errorf("the county was generated again: %v", childNames(rep2))
	}
	if g := figure(t, rep2, "gen"); g.Measured != figure(t, rep, "gen").Measured || !strings.Contains(g.Note, "earlier bench") {
		t.Errorf("gen figure of the second bench: %+v, the first's %+v", g, figure(t, rep, "gen"))
	}
	for _, p := range []string{"run/lw.duckdb", "run/config.yaml", "run/night-a-full.log", "county/medical/" + benchExtraFile} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("--keep: %v", err)
		}
	}
	// The sync's floor wrote every row the store holds.
	if want := storedRows(t, filepath.Join(dir, "run/lw.duckdb")); !strings.HasPrefix(figure(t, rep2, "sync_floor").Note, fmt.Sprintf("%d rows,", want)) {
		t.Errorf("sync floor: %q, want %d rows", figure(t, rep2, "sync_floor").Note, want)
	}

	// Another size in the same directory is refused, not mixed.
	_, err = runCLI(t, "bench", "--households", "500", "--dir", dir, "--rules", "../../rules")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, "holds a county of 400 households") {
		t.Errorf("a bench of another size on the same --dir: %v", err)
	}
}

// storedRows counts the rows of every dataset table of the store at path.
func storedRows(t *testing.T, path string) int64 {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	for _, ds := range dataset.Names() {
		var k int64
		if err := db.QueryRow(`SELECT count(*) FROM main."` + ds + `"`).Scan(&k); err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

func readBenchJSON(t *testing.T, dir string) *benchReport {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func figure(t *testing.T, rep *benchReport, id string) benchFigure {
	t.Helper()
	for _, f := range rep.Figures {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no figure %s in %+v", id, rep.Figures)
	return benchFigure{}
}

func childNames(rep *benchReport) []string {
	var names []string
	for _, c := range rep.Children {
		names = append(names, c.Name)
	}
	return names
}

var number = regexp.MustCompile(`\d`)

// checkBenchReport holds the report and the printed table to every figure
// with its numbers.
func checkBenchReport(t *testing.T, rep *benchReport, out string) {
	t.Helper()
	var ids []string
	for _, f := range rep.Figures {
		ids = append(ids, f.ID)
	}
	if !slices.Equal(ids, benchFigureIDs) {
		t.Fatalf("figures %v, want %v", ids, benchFigureIDs)
	}
	linux := runtime.GOOS == "linux"
	for _, f := range rep.Figures {
		if f.Measured <= 0 || (linux && f.PeakRSSMB <= 0) {
			t.Errorf("%s: measured %v, peak RSS %v MB", f.ID, f.Measured, f.PeakRSSMB)
		}
		if f.ID != "gen" && f.ID != "full_night" {
			if f.Baseline == nil || *f.Baseline <= 0 || f.Ratio == nil || *f.Ratio <= 0 || f.Goal == "" {
				t.Errorf("%s: baseline %v, ratio %v, goal %q", f.ID, f.Baseline, f.Ratio, f.Goal)
			}
			if f.Met == nil && f.ID != "unchanged_night" && f.ID != "sync_floor" { // its goal is for 1m; the floor has none
				t.Errorf("%s: no verdict on the goal", f.ID)
			}
		}
		// Its row in the table, with the measured value.
		row := ""
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, f.Figure) {
				row = line
			}
		}
		if cells := strings.Fields(strings.TrimPrefix(row, f.Figure)); len(cells) == 0 || !number.MatchString(cells[0]) {
			t.Errorf("%s: no row with a number in the table:\n%s", f.ID, out)
		}
	}
	if rep.Disagree != "" {
		t.Errorf("evaluate and the hand-written SQL disagree: %s", rep.Disagree)
	}
	for _, n := range []string{"a_full", "b_unchanged", "c_1pct"} {
		s := rep.Stages[n]
		for _, k := range []string{"wall", "cpu", "sync", "evaluate", "dispatch"} {
			if s[k] <= 0 {
				t.Errorf("night %s: stage %s %v (%v)", n, k, s[k], s)
			}
		}
		if !strings.Contains(out, n) {
			t.Errorf("no stage row for %s:\n%s", n, out)
		}
	}
	for _, src := range []string{"households", "medical", "registry"} {
		if s := rep.Sources[src]; s.Read == 0 || s.ElapsedS <= 0 {
			t.Errorf("source %s on the full night: %+v", src, s)
		}
	}
	if rep.Machine.Cores == 0 || !strings.Contains(rep.Machine.Load, "→") {
		t.Errorf("machine %+v", rep.Machine)
	}
}

// TestBenchConfigReadsParts: a county gen split past Excel's row limit
// (households.xlsx, households-2.xlsx) is read by a glob of the parts; a
// file in one piece keeps its own name (the shipped config names single
// files, and a glob there would also load a stray copy beside them).
func TestBenchConfigReadsParts(t *testing.T) {
	county, run := t.TempDir(), t.TempDir()
	for _, f := range []string{"households.xlsx", "households-2.xlsx", "students.xlsx"} {
		if err := os.WriteFile(filepath.Join(county, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := writeBenchConfig(filepath.Join(run, "config.yaml"), county, run, "rules")
	if err != nil {
		t.Fatal(err)
	}
	path := func(src string) string { return cfg.Sources[src].Options["path"].(string) }
	if got, want := path("households"), filepath.Join(county, "households*.xlsx"); got != want {
		t.Errorf("households: path %q, want %q", got, want)
	}
	if got, want := path("students"), filepath.Join(county, "students.xlsx"); got != want {
		t.Errorf("students: path %q, want %q", got, want)
	}
}

// TestExcelizeBaselineReadsParts: the xlsx baseline reads every part of a
// split sheet, as the sync does, and counts the data rows of them all.
func TestExcelizeBaselineReadsParts(t *testing.T) {
	dir := t.TempDir()
	for i, rows := range []int{5, 3} {
		f := excelize.NewFile()
		f.SetSheetName("Sheet1", "家庭收入核定")
		f.SetCellStr("家庭收入核定", "A1", "示例县家庭收入核定表")
		f.SetCellStr("家庭收入核定", "A2", "户号")
		for r := 0; r < rows; r++ {
			f.SetCellStr("家庭收入核定", fmt.Sprintf("A%d", r+3), fmt.Sprintf("34079900100%d%04d", i, r))
		}
		name := []string{"households.xlsx", "households-2.xlsx"}[i]
		if err := f.SaveAs(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "households*.xlsx"))
	if err != nil || len(files) != 2 {
		t.Fatalf("glob: %v %v", files, err)
	}
	r, err := excelizeRead(files, "家庭收入核定", 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.rows != 8 {
		t.Errorf("%d rows, want 8 (5 + 3)", r.rows)
	}
}
