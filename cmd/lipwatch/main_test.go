package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/store"
)

// runCLI runs the CLI in-process on the repository's config.yaml with the
// store in a temp dir, returning stdout and the command's error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--config", "../../config.yaml", "--log-level", "error", "--as-of", "2026-11-28"}, args...))
	err := root.Execute()
	return out.String(), err
}

// countySources is the number of sources the project's config.yaml has:
// the synthetic county's files.
func countySources(t *testing.T) int {
	t.Helper()
	cfg, err := config.Load(repoFile("config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return len(cfg.Sources)
}

// plantedCases is the number of cases the synthetic county's night opens:
// one per planted household (testdata/county/truth.json).
func plantedCases(t *testing.T) int {
	t.Helper()
	var truth struct{ Planted []json.RawMessage }
	b, err := os.ReadFile(repoFile("testdata/county/truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	return len(truth.Planted)
}

// countyQueueCases is the number of the night's cases that go to the
// county's own queue: truth's planted households routed to "" (the
// out-of-county people, and the recusal cases of a township's own staff).
func countyQueueCases(t *testing.T) int {
	t.Helper()
	var truth struct {
		Planted []struct {
			RoutedTo string `json:"routed_to"`
		}
	}
	b, err := os.ReadFile(repoFile("testdata/county/truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range truth.Planted {
		if p.RoutedTo == "" {
			n++
		}
	}
	return n
}

// repoRoot is the repository's root, taken when the test binary starts
// (in this package's directory): tests that change directory still find it.
var repoRoot, _ = filepath.Abs("../..")

// repoFile is a path under the repository's root.
func repoFile(rel string) string { return filepath.Join(repoRoot, rel) }

// runCounty runs the night on the synthetic county in a temporary store
// (exit 0, or 3 when a source is degraded, which is still a night).
func runCounty(t *testing.T) {
	t.Helper()
	tempStore(t)
	if _, err := runCLI(t, "run"); err != nil {
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != 3 {
			t.Fatal(err)
		}
	}
}

func tempStore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "lw.duckdb"))
	t.Setenv("LIPWATCH_DISPATCH_DIR", filepath.Join(dir, "lists"))
}

var summaryRow = regexp.MustCompile(`(?m)^(\w+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(ok|FAILED|DEGRADED)$`)

// summary parses the sync table: source -> [files unchanged read loaded dup quarantined], status.
func summary(t *testing.T, out string) (map[string][6]int, map[string]string) {
	t.Helper()
	nums, status := map[string][6]int{}, map[string]string{}
	for _, m := range summaryRow.FindAllStringSubmatch(out, -1) {
		var n [6]int
		for i := range n {
			n[i], _ = strconv.Atoi(m[3+i])
		}
		nums[m[1]], status[m[1]] = n, m[9]
	}
	return nums, status
}

func TestRunTwiceLoadsOnce(t *testing.T) {
	tempStore(t)
	out, err := runCLI(t, "run")
	if err != nil {
		t.Fatal(err)
	}
	nums, status := summary(t, out)
	if len(nums) != countySources(t) {
		t.Fatalf("want %d sources in the summary, got:\n%s", countySources(t), out)
	}
	for src, n := range nums {
		if status[src] != "ok" || n[3] == 0 || n[5] == 0 {
			t.Errorf("%s: status %s loaded %d quarantined %d", src, status[src], n[3], n[5])
		}
	}
	if !strings.Contains(out, "medical quarantined: ") || !strings.Contains(out, "employment ignored columns: 经办机构") ||
		!strings.Contains(out, "contributions kept 47 rows with an unusable ID number for identity resolution (身份证号无法使用，待身份识别") {
		t.Errorf("no reasons, ignored columns or rows kept unresolved in:\n%s", out)
	}
	out, err = runCLI(t, "run")
	if err != nil {
		t.Fatal(err)
	}
	nums, _ = summary(t, out)
	for src, n := range nums {
		if n[0] != 0 || n[1] == 0 || n[2] != 0 || n[3] != 0 {
			t.Errorf("second run, %s: files %d unchanged %d read %d loaded %d", src, n[0], n[1], n[2], n[3])
		}
	}
}

func TestSyncOneSourceThenSources(t *testing.T) {
	tempStore(t)
	out, err := runCLI(t, "sync", "medical")
	if err != nil {
		t.Fatal(err)
	}
	nums, _ := summary(t, out)
	if len(nums) != 1 || nums["medical"][0] != 14 {
		t.Fatalf("sync medical:\n%s", out)
	}
	out, err = runCLI(t, "sources")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	if !strings.Contains(lines["medical"], " ok") || !strings.Contains(lines["registry"], "never") {
		t.Errorf("sources:\n%s", out)
	}
}

func TestFailingSourceIsReportedOthersLoad(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SOURCES_REGISTRY_OPTIONS_PATH", "testdata/county/no-such-registry.csv")
	out, err := runCLI(t, "sync")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != exitDegraded {
		t.Fatalf("a failing source must finish the sync with exit status 3, got %v", err)
	}
	_, status := summary(t, out)
	if status["registry"] != "FAILED" || status["medical"] != "ok" || status["households"] != "ok" {
		t.Errorf("statuses %v\n%s", status, out)
	}
	if !strings.Contains(out, "no-such-registry.csv") || !strings.Contains(out, fmt.Sprintf("1 of %d sources failed", countySources(t))) {
		t.Errorf("failure not explained:\n%s", out)
	}
}

func TestBadInvocationsExit2(t *testing.T) {
	tempStore(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("county:\n  code: \"340799\"\nstore:\n  paht: x.duckdb\n"), 0o644)
	for name, args := range map[string][]string{
		"unknown source": {"sync", "nosuch"},
		"bad config":     {"--config", bad, "sync"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runCLI(t, args...)
			var ex *exitError
			if !errors.As(err, &ex) || ex.code != 2 {
				t.Fatalf("want exit 2, got %v", err)
			}
			if name == "bad config" && !strings.Contains(ex.msg, "bad.yaml:4:3: store.paht") {
				t.Errorf("message does not name file:line:col and key: %s", ex.msg)
			}
		})
	}
}

func TestGenMedicalRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv")
	if _, err := runCLI(t, "gen", "--medical-rows", "25", "--as-of", "2026-11-28", "--out", path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 26 {
		t.Errorf("%d lines, want header + 25", n)
	}
}

// TestEmbeddedDefault: with no config.yaml in the working directory the
// embedded default is used, so a county generated here is synced.
func TestEmbeddedDefault(t *testing.T) {
	rules, err := filepath.Abs("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.CopyFS("rules", os.DirFS(rules)); err != nil {
		t.Fatal(err)
	}
	root := newRootCmd()
	root.SetArgs([]string{"gen", "--households", "300", "--as-of", "2026-11-28", "--out", "testdata/county"})
	root.SetOut(new(bytes.Buffer))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	root = newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"run", "--log-level", "error", "--as-of", "2026-11-28"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	_, status := summary(t, out.String())
	if len(status) != countySources(t) || status["registry"] != "ok" {
		t.Fatalf("run on the embedded default:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join("var", "lipwatch.duckdb")); err != nil {
		t.Errorf("store not where the embedded default puts it: %v", err)
	}
}

// TestServeRunsMissedNightAndStops: a fresh store has never run, so serve
// runs the nightly job at once, then stops cleanly when its context ends.
func TestServeRunsMissedNightAndStops(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SOURCES_FISHERS_SCHEDULE", "@every 1s")
	lists := os.Getenv("LIPWATCH_DISPATCH_DIR")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := newRootCmd()
	root.SetOut(new(bytes.Buffer))
	root.SetArgs([]string{"--config", "../../config.yaml", "--log-level", "error", "serve"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.After(2 * time.Minute) // a safety net, not a timing assertion
	for {
		if entries, _ := os.ReadDir(lists); len(entries) > 0 {
			day := filepath.Join(lists, entries[0].Name())
			if files, _ := os.ReadDir(day); len(files) > 2 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before the missed run finished: %v", err)
		case <-deadline:
			t.Fatal("serve did not run the missed night")
		case <-time.After(50 * time.Millisecond):
		}
	}
	// A second serve for the same store refuses to start, naming the first.
	second := newRootCmd()
	var secondOut bytes.Buffer
	second.SetOut(&secondOut)
	second.SetErr(&secondOut)
	second.SetArgs([]string{"--config", "../../config.yaml", "--log-level", "error", "serve"})
	err2 := second.ExecuteContext(ctx)
	var ex *exitError
	if !errors.As(err2, &ex) || ex.code != 1 || !strings.Contains(ex.msg, "another lipwatch serve runs for this store") ||
		!strings.Contains(ex.msg, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second serve: %v", err2)
	}
	// fishers also syncs on its own schedule, every second here: let it tick.
	time.Sleep(2500 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve did not stop cleanly: %v", err)
	}
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var syncs int
	st.DB().QueryRow(`SELECT count(DISTINCT sync_id) FROM loads WHERE source = 'fishers'`).Scan(&syncs)
	if syncs < 2 {
		t.Errorf("fishers synced %d times: its own schedule did not run besides the nightly job", syncs)
	}
	var ledger int
	st.DB().QueryRow(`SELECT count(*) FROM runs WHERE kind = 'sync' AND summary LIKE '%"source":"fishers"%'`).Scan(&ledger)
	if ledger == 0 {
		t.Error("the scheduled syncs are not in the run ledger")
	}
}

// TestCasesCommands runs the pipeline, then lists, shows and extends cases
// as an analyst would.
func TestCasesCommands(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "run"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "cases", "list", "--township", "340799001")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "YJ-20261128-") || !strings.Contains(out, "城关镇") || strings.Contains(out, "城东街道") {
		t.Fatalf("cases list --township:\n%s", out)
	}
	id := regexp.MustCompile(`YJ-20261128-\d{4}`).FindString(out)
	out, err = runCLI(t, "cases", "show", id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "********") || regexp.MustCompile(`\d{17}[\dX]`).MatchString(out) {
		t.Errorf("cases show must mask ID numbers:\n%s", out)
	}
	out, err = runCLI(t, "cases", "extend", id)
	if err != nil || !strings.Contains(out, "deadline extended to 2027-01-04") {
		// dispatched 2026-11-28 (Sat): 25 working days later (11/30 is the first, 2027-01-01 is off) is 2027-01-04
		t.Errorf("extend: %v\n%s", err, out)
	}
	// The extension is in the audit: who, when, which case, the new deadline.
	if st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")}); err != nil {
		t.Fatal(err)
	} else {
		var detail string
		err := st.DB().QueryRow(`SELECT detail FROM audit WHERE action = 'cases_extend' AND subject = ?`, id).Scan(&detail)
		st.Close()
		if err != nil || !strings.Contains(detail, `"deadline":"2027-01-04"`) {
			t.Errorf("cases extend not audited: %q, %v", detail, err)
		}
	}
	out, err = runCLI(t, "cases", "list", "--township", "county")
	if err != nil || !strings.Contains(out, fmt.Sprintf("\n%d cases", countyQueueCases(t))) || !strings.Contains(out, "县级队列") {
		t.Errorf("county queue: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--as-of", "2026-12-18", "cases", "list", "--overdue")
	if err != nil || !strings.Contains(out, "\n0 cases") {
		t.Errorf("nothing is overdue on the deadline day itself: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--as-of", "2027-03-01", "cases", "list", "--overdue")
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d cases", plantedCases(t))) {
		t.Errorf("overdue list: %v\n%s", err, out)
	}
}

func TestRulesCommands(t *testing.T) {
	tempStore(t)
	out, err := runCLI(t, "rules", "check")
	if err != nil || !strings.Contains(out, ": ok (sha256:") {
		t.Fatalf("rules check: %v\n%s", err, out)
	}
	out, err = runCLI(t, "rules", "test")
	if err != nil || !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) || !strings.Contains(out, "0 rules without tests") {
		t.Fatalf("rules test: %v\n%s", err, out)
	}
	out, err = runCLI(t, "rules", "test", "--run", "^MED-OOP")
	if err != nil || strings.Contains(out, "FISHER") || !strings.Contains(out, "PASS") {
		t.Fatalf("rules test --run: %v\n%s", err, out)
	}

	// A broken copy: a misspelt fact is reported with file:line:col and a caret.
	broken := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(broken, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(broken, "medical.yaml")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "when: medical.oop_12m", "when: medical.oop_12n", 1)), 0o644)
	t.Setenv("LIPWATCH_RULES_DIR", broken)
	_, err = runCLI(t, "rules", "check")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 1 || !regexp.MustCompile(`medical\.yaml:\d+:\d+: rule MED-OOP-UNCOVERED: when: unknown fact medical\.oop_12n`).MatchString(ex.msg) || !strings.Contains(ex.msg, "^") {
		t.Fatalf("broken rules: %v", err)
	}
	// The nightly job refuses broken rules before it uses them.
	if _, err := runCLI(t, "evaluate"); !errors.As(err, &ex) || ex.code != 2 {
		t.Fatalf("evaluate with broken rules: %v", err)
	}
}

func TestRulesExplain(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "sync"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("../../testdata/county/truth.json")
	var truth struct {
		Planted []struct {
			Signals []struct {
				Signal   string `json:"signal"`
				IDNumber string `json:"id_number"`
			} `json:"signals"`
		} `json:"planted"`
	}
	json.Unmarshal(b, &truth)
	id := ""
	for _, p := range truth.Planted {
		for _, s := range p.Signals {
			if s.Signal == "fisher_unresettled" && id == "" {
				id = s.IDNumber
			}
		}
	}
	out, err := runCLI(t, "rules", "explain", id)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`FISHER-UNRESETTLED\s+yellow\s+HIT`).MatchString(out) || !strings.Contains(out, "fisher.resettlement") ||
		!regexp.MustCompile(`MED-OOP-UNCOVERED\s+orange\s+miss`).MatchString(out) {
		t.Fatalf("explain:\n%s", out)
	}
}

// TestAuditLog: exporting lists and viewing a case are recorded.
func TestAuditLog(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "run"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "cases", "show", "YJ-20261128-0001", "--unmasked"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var actions string
	if err := st.DB().QueryRow(`SELECT string_agg(action || ':' || coalesce(detail, ''), ' | ' ORDER BY at_time) FROM audit`).Scan(&actions); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(actions, fmt.Sprintf(`dispatch:{"cases":%d`, plantedCases(t))) || !strings.Contains(actions, `cases_show:{"unmasked":true}`) {
		t.Errorf("audit log: %s", actions)
	}
	if _, err := runCLI(t, "evaluate", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	var kinds string
	st.DB().QueryRow(`SELECT string_agg(kind || ':' || status, ' ' ORDER BY run_id) FROM runs`).Scan(&kinds)
	if kinds != "run:ok evaluate:ok" {
		t.Errorf("run ledger: %s", kinds)
	}
}

func TestSyncFull(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "sync"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "sync", "--full", "fishers")
	if err != nil {
		t.Fatal(err)
	}
	nums, _ := summary(t, out)
	// Every row read again is a duplicate of itself (the county's file
	// has 199 rows a loader reads: its blank and header rows are not).
	if n := nums["fishers"]; len(nums) != 1 || n[0] != 1 || n[2] != 199 || n[3] != 0 || n[4] != 199 {
		t.Fatalf("sync --full fishers:\n%s", out)
	}
	var ex *exitError
	if _, err := runCLI(t, "sync", "--full"); !errors.As(err, &ex) || ex.code != 2 {
		t.Errorf("--full without a source: %v", err)
	}
}

func TestQuarantineCommands(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "sync", "fishers"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "quarantine", "list", "--source", "fishers")
	// fishers.csv has 5 bad rows; one of them, whose only defect is its
	// ID number, has a name and is kept unresolved instead.
	if err != nil || !strings.Contains(out, "\n4 rows") || !strings.Contains(out, "testdata/county/fishers.csv:") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	csvPath := filepath.Join(t.TempDir(), "q.csv")
	os.WriteFile(csvPath, nil, 0o644) // an existing, world-readable file
	if out, err = runCLI(t, "quarantine", "export", "--source", "fishers", "--out", csvPath); err != nil || !strings.Contains(out, "wrote 4 rows") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if fi, err := os.Stat(csvPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file: %v %v", fi, err)
	}
	out, err = runCLI(t, "quarantine", "retry", "fishers")
	if err != nil || !strings.Contains(out, "4 quarantined rows retried: 0 loaded, 0 already loaded, 4 still bad") {
		t.Fatalf("retry: %v\n%s", err, out)
	}
}

func TestSourcesCheckWritesNothing(t *testing.T) {
	tempStore(t)
	out, err := runCLI(t, "sources", "check", "employment")
	if err != nil || !regexp.MustCompile(`event_date +← 业务日期`).MatchString(out) || !strings.Contains(out, "would be quarantined") ||
		!strings.Contains(out, "ignored columns: 经办机构") || !regexp.MustCompile(`name +← 姓名`).MatchString(out) {
		t.Fatalf("check: %v\n%s", err, out)
	}
	if _, err := os.Stat(os.Getenv("LIPWATCH_STORE_PATH")); !os.IsNotExist(err) {
		t.Errorf("sources check created the store: %v", err)
	}
	t.Setenv("LIPWATCH_SOURCES_EMPLOYMENT_COLUMNS_EVENT_DATE", "办理日期")
	out, err = runCLI(t, "sources", "check", "employment")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 1 || !strings.Contains(out, "办理日期 (event_date)") {
		t.Fatalf("a renamed column must fail the check naming it: %v\n%s", err, out)
	}
}

func TestSourcesCheckWarnsOfDrift(t *testing.T) {
	tempStore(t)
	var b strings.Builder
	b.WriteString("身份证号,姓名,业务类型,业务日期\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "11010519491231002X,张三,失业登记,%02d-05-2026\n", i%28+1)
	}
	path := filepath.Join(t.TempDir(), "emp.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	t.Setenv("LIPWATCH_SOURCES_EMPLOYMENT_OPTIONS_PATH", path)
	out, err := runCLI(t, "sources", "check", "employment")
	if err != nil || !strings.Contains(out, "WARNING: the sync would fail this stream") || !strings.Contains(out, "业务日期 (30 of 30 rows: bad_date)") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestSourcesReport: on the synthetic county every source is ok and no
// guard warns (exit 0); with the assistance roster replaced by a file whose
// every row is bad, sync and run finish with exit status 3, the rules that
// read the roster are held back, and the report says why.
func TestSourcesReport(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "sync"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "sources", "report")
	if err != nil || !strings.Contains(out, "unmatched_ids") || strings.Contains(out, "WARN") {
		t.Fatalf("report on the county: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "assistance.csv")
	os.WriteFile(bad, []byte("身份证号,户号,救助类别,开始日期,结束日期,月救助金额\n340799196005010116,3407990010010001,低保,二〇二四年,,600\n"), 0o644)
	t.Setenv("LIPWATCH_SOURCES_ASSISTANCE_OPTIONS_PATH", bad)
	t.Setenv("LIPWATCH_SOURCES_ASSISTANCE_OPTIONS_FORMAT", "csv")
	out, err = runCLI(t, "run")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != exitDegraded {
		t.Fatalf("run with a degraded roster: %v\n%s", err, out)
	}
	if !strings.Contains(out, "held back tonight") || !strings.Contains(out, "MED-OOP-UNCOVERED") || !strings.Contains(out, "DEGRADED") {
		t.Errorf("run summary:\n%s", out)
	}
	out, err = runCLI(t, "sources", "report")
	if !errors.As(err, &ex) || ex.code != exitDegraded || !strings.Contains(out, "1 of 1 rows are in quarantine") ||
		!strings.Contains(out, "rules held back tonight") {
		t.Errorf("report: %v\n%s", err, out)
	}
}
