package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
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
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/engine/redact"
)

// The privacy test runs every command of the CLI as a user would, as a
// separate process of the built binary (so slog's stderr and main's last
// error line are what a user sees), on the synthetic county and on a county
// whose files are hostile, and scans everything printed for ID numbers and
// names of the registry. The only output allowed to show them is output a
// user asked for unmasked and that is audited: `cases show --unmasked`,
// and `quarantine export`'s file (its stdout is scanned).

// privacyBin is the lipwatch binary TestMain built (or
// LIPWATCH_PRIVACY_BIN, to scan another build, e.g. an older one).
var privacyBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		if !runsPrivacyTest() {
			return m.Run()
		}
		if privacyBin = os.Getenv("LIPWATCH_PRIVACY_BIN"); privacyBin != "" {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "lipwatch-privacy-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		privacyBin = filepath.Join(dir, "lipwatch")
		if out, err := exec.Command("go", "build", "-o", privacyBin, ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build lipwatch for the privacy test: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// environWithoutLipwatch is this process's environment without the
// caller's LIPWATCH_* settings: a test's lipwatch process gets only the
// ones the test gives it.
func environWithoutLipwatch() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIPWATCH_") {
			env = append(env, kv)
		}
	}
	return env
}

// runsPrivacyTest reports whether -run selects a test that runs the built
// binary (TestPrivacy, TestKillNine, TestHostileInputs), so that other tests of the package
// do not wait for the build.
func runsPrivacyTest() bool {
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	top, _, _ := strings.Cut(f.Value.String(), "/")
	re, err := regexp.Compile(top)
	return err != nil || re.MatchString("TestPrivacy") || re.MatchString("TestKillNine") || re.MatchString("TestHostileInputs") || re.MatchString("TestServePortal") || re.MatchString("TestServeAdmin") || re.MatchString("TestServeReload") || re.MatchString("TestKillNineNotify")
}

// secrets are what must never be printed: the registry's ID numbers and
// names.
type secrets struct {
	ids    map[string]bool // normalised (ASCII digits, X), 18 and 15 characters
	names3 map[string]bool // names of three characters: found anywhere in Chinese text
	names2 map[string]bool // names of two: found as a whole run of Chinese text
}

// loadSecrets reads the registry (GBK or GB18030 CSV) at path.
func loadSecrets(t *testing.T, path string) *secrets {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idCol, nameCol := slices.Index(rows[0], "公民身份号码"), slices.Index(rows[0], "姓名")
	if idCol < 0 || nameCol < 0 {
		t.Fatalf("registry header %v", rows[0])
	}
	s := &secrets{ids: map[string]bool{}, names2: map[string]bool{}, names3: map[string]bool{}}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		if len(row) <= max(idCol, nameCol) {
			continue
		}
		if id := normalise(strings.Join(strings.Fields(row[idCol]), "")); len(id) == 18 || len(id) == 15 {
			s.ids[id] = true
		}
		name := strings.TrimSpace(row[nameCol])
		if seen[name] || name == "姓名" || !allHan(name) {
			continue
		}
		seen[name] = true
		switch len([]rune(name)) {
		case 2:
			s.names2[name] = true
		case 3:
			s.names3[name] = true
		}
	}
	if len(s.ids) < 1000 || len(s.names3) < 1000 || len(s.names2) < 100 {
		t.Fatalf("registry read wrong: %d IDs, %d+%d names", len(s.ids), len(s.names3), len(s.names2))
	}
	return s
}

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

// normalise writes full-width digits and X as ASCII and x as X.
func normalise(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == 'x' || r == 'Ｘ' || r == 'ｘ':
			return 'X'
		}
		return r
	}, s)
}

var (
	longNumber = regexp.MustCompile(`[0-9]{15,}|[0-9]{17}X`)
	digitRun   = regexp.MustCompile(`[0-9]+X?`)
	hanRun     = regexp.MustCompile(`\p{Han}+`)
	joiners    = strings.NewReplacer(" ", "", "-", "", "\t", "", "\u3000", "")
)

// scan returns what text shows that it must not, each with where it is.
func (s *secrets) scan(text string) []string {
	var found []string
	norm := normalise(text)
	for _, loc := range longNumber.FindAllStringIndex(norm, -1) {
		found = append(found, "a number of 15+ digits (ID-number shape) "+excerpt(norm, loc[0], loc[1]))
	}
	// The registry's IDs, also written with spaces or hyphens inside.
	joined := joiners.Replace(norm)
	for _, loc := range digitRun.FindAllStringIndex(joined, -1) {
		run := joined[loc[0]:loc[1]]
		for _, n := range []int{18, 15} {
			for i := 0; i+n <= len(run); i++ {
				if s.ids[run[i:i+n]] {
					found = append(found, "an ID number of the registry "+excerpt(joined, loc[0], loc[1]))
					i = len(run)
				}
			}
		}
	}
	for _, loc := range hanRun.FindAllStringIndex(text, -1) {
		run := text[loc[0]:loc[1]]
		if s.names2[run] {
			found = append(found, "a name of the registry "+excerpt(text, loc[0], loc[1]))
			continue
		}
		rs := []rune(run)
		for i := 0; i+3 <= len(rs); i++ {
			if name := string(rs[i : i+3]); s.names3[name] {
				found = append(found, fmt.Sprintf("the registry name %s %s", name, excerpt(text, loc[0], loc[1])))
			}
		}
	}
	return found
}

// excerpt quotes text around [i, j), its numbers masked so that the
// failure message itself shows no ID.
func excerpt(text string, i, j int) string {
	from, to := max(0, i-40), min(len(text), j+40)
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	return fmt.Sprintf("in %q", redact.Mask(text[from:to]))
}

// privacyEnv runs commands on one store, at debug level in one log format.
type privacyEnv struct {
	t       *testing.T
	dir     string   // scratch directory: the working directory of commands
	env     []string // the process environment, without the caller's LIPWATCH_*
	secrets *secrets
	config  string // absolute path of the repository's config.yaml
}

// result is what one command printed.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("lipwatch %s (exit %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

func newPrivacyEnv(t *testing.T, s *secrets, format string, extra ...string) *privacyEnv {
	t.Helper()
	dir := t.TempDir()
	config, err := filepath.Abs("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := append(environWithoutLipwatch(),
		"LIPWATCH_STORE_PATH="+filepath.Join(dir, "lw.duckdb"),
		"LIPWATCH_DISPATCH_DIR="+filepath.Join(dir, "lists"),
		"LIPWATCH_LOG_LEVEL=debug",
		"LIPWATCH_LOG_FORMAT="+format,
	)
	return &privacyEnv{t: t, dir: dir, env: append(env, extra...), secrets: s, config: config}
}

// command builds the lipwatch process for args, with extra environment.
func (p *privacyEnv) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	full := append([]string{"--config", p.config, "--as-of", "2026-11-28"}, args...)
	cmd := exec.CommandContext(ctx, privacyBin, full...)
	cmd.Dir = p.dir
	cmd.Env = append(slices.Clone(p.env), env...)
	return cmd
}

// run runs lipwatch with args to its end and scans what it printed. A
// wantCode of -1 accepts any exit status.
func (p *privacyEnv) run(wantCode int, env []string, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.command(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		p.t.Fatalf("lipwatch %v: %v", args, err)
	}
	if wantCode >= 0 && r.code != wantCode {
		p.t.Errorf("want exit %d:\n%s", wantCode, r)
	}
	p.scan(r, true)
	return r
}

// scan reports what r printed that it must not; checkIDs false scans
// names only (output asked for unmasked).
func (p *privacyEnv) scan(r result, checkIDs bool) {
	p.t.Helper()
	for _, out := range []struct{ name, text string }{{"stdout", r.stdout}, {"stderr", r.stderr}} {
		for _, f := range p.secrets.scan(out.text) {
			if !checkIDs && !strings.HasPrefix(f, "the registry name") && !strings.HasPrefix(f, "a name") {
				continue
			}
			p.t.Errorf("lipwatch %s: %s shows %s", strings.Join(r.args, " "), out.name, f)
		}
	}
}

// background starts a long-running command, waits until ready(stdout,
// stderr) holds, stops it with SIGTERM and scans what it printed.
func (p *privacyEnv) background(env []string, ready func(stdout, stderr string) bool, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.command(ctx, env, args...)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(90 * time.Second) // a safety net, not a timing assertion
	for !ready(stdout.String(), stderr.String()) {
		select {
		case err := <-done:
			p.t.Fatalf("lipwatch %v stopped before it was ready: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.String(), stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			p.t.Fatalf("lipwatch %v not ready\nstdout:\n%s\nstderr:\n%s", args, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := <-done
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		p.t.Errorf("lipwatch %v did not stop cleanly on SIGTERM: %v\n%s", args, err, r)
	}
	p.scan(r, true)
	return r
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func mustContain(t *testing.T, r result, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("no %q in the output of\n%s", w, r)
		}
	}
}

// TestPrivacy runs every command on the synthetic county, and the commands
// that read department files on a hostile county, in both log formats.
func TestPrivacy(t *testing.T) {
	if privacyBin == "" {
		t.Fatal("TestMain did not build lipwatch")
	}
	s := loadSecrets(t, "../../testdata/county/registry.csv")
	t.Run("scanner", func(t *testing.T) { testScanner(t, s) })
	t.Run("county", func(t *testing.T) { privacyCounty(t, s) })
	for _, format := range []string{"text", "json"} {
		t.Run("hostile-"+format, func(t *testing.T) { privacyHostile(t, s, format) })
	}
}

// testScanner: the scan finds what it looks for, so a passing privacy test
// means something.
func testScanner(t *testing.T, s *secrets) {
	var id, name3, name2 string
	for k := range s.ids {
		if len(k) == 18 {
			id = k
			break
		}
	}
	for k := range s.names3 {
		name3 = k
		break
	}
	for k := range s.names2 {
		name2 = k
		break
	}
	for _, leak := range []string{
		"fishers ignored columns: 备注\r" + id + ", " + name3,
		"ID " + id[:6] + " " + id[6:14] + " " + id[14:],
		"３４０７９９１９８７０７２７３４７０",
		"13 rows; 6222021234567890123",
		"户主" + name3 + "（已死亡）",
		"姓名, " + name2 + ", 男",
	} {
		if len(s.scan(leak)) == 0 {
			t.Errorf("the scan misses the leak in %q", redact.Mask(leak))
		}
	}
	for _, clean := range []string{
		"fishers  fishers  1  0  196  191  0  5  ok",
		"340799001 城关镇 340799001001 育才社区 2026-11-28 1764288000000",
		"340799********3470 138****5678",
		redact.Mask(id),
	} {
		if f := s.scan(clean); len(f) > 0 {
			t.Errorf("the scan finds %v in clean text %q", f, clean)
		}
	}
}

// privacyCounty runs every command on the synthetic county.
func privacyCounty(t *testing.T, s *secrets) {
	p := newPrivacyEnv(t, s, "text")
	gen := filepath.Join(p.dir, "gen")
	mustContain(t, p.run(0, nil, "gen", "--seed", "2", "--households", "150", "--out", gen), "wrote county")
	p.run(0, nil, "gen", "--medical-rows", "30", "--out", filepath.Join(gen, "m.csv"))
	mustContain(t, p.run(0, nil, "sources"), "registry")
	mustContain(t, p.run(-1, nil, "sources", "check"), "would be quarantined")
	// sync and run exit non-zero when a source is degraded or failed; what
	// they print is what is checked here.
	mustContain(t, p.run(-1, nil, "sync", "medical"), "medical")
	mustContain(t, p.run(-1, nil, "run"), "SOURCE", "cases:")
	p.run(-1, nil, "sync")
	p.run(-1, nil, "sync", "--full", "fishers")
	p.run(0, nil, "sources")
	p.run(0, nil, "evaluate", "--dry-run")
	p.run(0, nil, "evaluate")
	p.run(0, nil, "dispatch")
	p.run(0, nil, "dispatch", "--all")

	list := p.run(0, nil, "cases", "list")
	caseID := regexp.MustCompile(`YJ-\d{8}-\d{4}`).FindString(list.stdout)
	if caseID == "" {
		t.Fatalf("no case in\n%s", list)
	}
	p.run(0, nil, "cases", "list", "--township", "county")
	p.run(0, nil, "cases", "list", "--overdue", "--level", "red")
	// Cases spread over the list, for the reason texts of several rules.
	ids := regexp.MustCompile(`YJ-\d{8}-\d{4}`).FindAllString(list.stdout, -1)
	for i := 0; i < len(ids); i += max(1, len(ids)/6) {
		p.run(0, nil, "cases", "show", ids[i])
	}
	// The audited exception: full ID numbers, asked for (names still
	// scanned: the flag is about ID numbers).
	unmasked := p.runUnscanned(0, "cases", "show", caseID, "--unmasked")
	if !regexp.MustCompile(`\d{17}[\dX]`).MatchString(normalise(unmasked.stdout)) {
		t.Errorf("cases show --unmasked does not show the ID numbers in full:\n%s", unmasked)
	}
	p.scan(unmasked, false)
	p.run(0, nil, "cases", "extend", caseID)

	returned := returnedList(t, p)
	mustContain(t, p.run(-1, nil, "feedback", "import", returned), "closed")

	p.run(0, nil, "rules", "check")
	p.run(0, nil, "rules", "test")
	fisher := plantedID(t, "fisher_unresettled")
	mustContain(t, p.run(0, nil, "rules", "explain", fisher), "FISHER-UNRESETTLED")
	p.run(-1, nil, "rules", "explain", "340799200001010015") // no such person

	// Identity resolution: the county's rows kept with an unusable ID are
	// linked by the night (none waits for review); the commands, their
	// waterfalls and their refusals print no ID number unmasked (explain's
	// argument is one).
	mustContain(t, p.run(0, nil, "links", "run"), "identity resolution")
	mustContain(t, p.run(0, nil, "links", "review"), "0 of 0 decided")
	p.run(0, nil, "links", "list")
	mustContain(t, p.run(0, nil, "links", "explain", "1"), "candidate #1")
	p.run(2, nil, "links", "explain", fisher)
	p.run(2, nil, "links", "confirm", "999999", "--person", fisher)

	mustContain(t, p.run(0, nil, "quarantine", "list"), "bad_check_digit")
	p.run(0, nil, "quarantine", "list", "--source", "registry", "--reason", "bad_shape")
	mustContain(t, p.run(0, nil, "quarantine", "export", "--out", filepath.Join(p.dir, "q.csv")), "wrote")
	p.run(0, nil, "quarantine", "retry", "fishers")

	p.background([]string{"LIPWATCH_SOURCES_FISHERS_SCHEDULE=@every 1s"}, func(_, stderr string) bool {
		return strings.Contains(stderr, "serving") && strings.Count(stderr, "source=fishers") >= 2
	}, "serve")
	employment, err := filepath.Abs("../../testdata/county/employment.csv")
	if err != nil {
		t.Fatal(err)
	}
	url := ""
	p.background(nil, func(stdout, _ string) bool {
		if url = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(stdout); url == "" {
			return false
		}
		if resp, err := http.Get(url + "/?page=1"); err == nil {
			resp.Body.Close()
		}
		return true
	}, "fakeapi", "--csv", employment, "--addr", "127.0.0.1:0")

	// Error paths: each quotes what the user wrote, here ID numbers.
	bad := filepath.Join(p.dir, "bad.yaml")
	os.WriteFile(bad, []byte("county:\n  code: \"340799198707273470\"\nstore:\n  paht: x.duckdb\n"), 0o644)
	mustContain(t, p.run(2, nil, "--config", bad, "sync"), "county.code")
	p.run(2, nil, "sync", "340799198707273470")
	p.run(-1, nil, "cases", "show", "340799198707273470")
	p.run(2, nil, "--as-of", "340799198707273470", "evaluate")
	p.run(-1, nil, "feedback", "import", filepath.Join(p.dir, "340799198707273470.csv"))
	// The same logs as JSON.
	jsonLogs := []string{"LIPWATCH_LOG_FORMAT=json"}
	mustContain(t, p.run(-1, jsonLogs, "sync", "medical"), `"level":"DEBUG"`, `"msg":"stream unchanged"`)
	p.run(-1, jsonLogs, "rules", "explain", fisher)
	p.run(2, jsonLogs, "--config", bad, "sync")

	missing := p.run(-1, []string{"LIPWATCH_SOURCES_FISHERS_OPTIONS_PATH=" + filepath.Join(p.dir, "340799198707273470", "渔民.csv")}, "sync", "fishers")
	mustContain(t, missing, "FAILED")
}

// runUnscanned runs a command whose output is allowed to show ID numbers.
func (p *privacyEnv) runUnscanned(wantCode int, args ...string) result {
	p.t.Helper()
	cmd := p.command(context.Background(), nil, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	if err != nil && wantCode == 0 {
		p.t.Errorf("%v\n%s", err, r)
	}
	return r
}

// plantedID returns the ID number of the first planted person with signal.
func plantedID(t *testing.T, signal string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/county/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Planted []struct {
			Signals []struct {
				Signal   string `json:"signal"`
				IDNumber string `json:"id_number"`
			} `json:"signals"`
		} `json:"planted"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	for _, pl := range truth.Planted {
		for _, sg := range pl.Signals {
			if sg.Signal == signal {
				return sg.IDNumber
			}
		}
	}
	t.Fatalf("no planted %s", signal)
	return ""
}

// returnedList writes a township's dispatched CSV list back as returned:
// the first case verified, the second with an outcome that is not one.
func returnedList(t *testing.T, p *privacyEnv) string {
	t.Helper()
	lists, _ := filepath.Glob(filepath.Join(p.dir, "lists", "*", "*.csv"))
	var src string
	for _, l := range lists {
		if strings.Contains(filepath.Base(l), "_") && !strings.Contains(l, "汇总") {
			src = l
			break
		}
	}
	if src == "" {
		t.Fatalf("dispatch wrote no township CSV: %v", lists)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := slices.IndexFunc(rows, func(row []string) bool { return slices.Contains(row, "核实结果") })
	if head < 0 || len(rows) < head+3 {
		t.Fatalf("no header or too few cases in %s", src)
	}
	outcome, date := slices.Index(rows[head], "核实结果"), slices.Index(rows[head], "核实日期")
	rows[head+1][outcome], rows[head+1][date] = "不符合条件", "2026-12-01"
	rows[head+2][outcome] = "已核实"
	out := filepath.Join(p.dir, "returned.csv")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(rows)
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// privacyHostile syncs, checks and runs a county whose department files
// are hostile, made from registry people: an old-Mac CSV (CR-only line
// endings) with an unmapped last column, so the whole file reads as its
// header; an employment CSV whose header row is a data row; an assistance
// CSV whose first rows are glued to its header; a medical CSV whose every
// row is bad (one with names in an amount column).
func privacyHostile(t *testing.T, s *secrets, format string) {
	dir := t.TempDir()
	people := registryPeople(t, 12)

	var mac strings.Builder
	mac.WriteString("身份证号,姓名,户号,渔船证号,退捕日期,安置去向,是否参加养老保险,备注")
	for i, pp := range people {
		fmt.Fprintf(&mac, "\r%s,%s,%s,皖示渔(2010)%04d号,2021-01-0%d,未安置,否,无", pp.id, pp.name, pp.household, i, i%9+1)
	}
	mac.WriteString("\r")

	var emp strings.Builder // no header: the first row is data
	for _, pp := range people {
		fmt.Fprintf(&emp, "%s,%s,失业登记,2026-10-01,城关镇劳动保障所\n", pp.id, pp.name)
	}

	var med strings.Builder
	med.WriteString("结算单号,身份证号,姓名,性别,出生日期,结算日期,医疗机构,医疗总费用,统筹基金支付,大病保险支付,医疗救助支付,个人自付\n")
	for i, pp := range people {
		bad := pp.id[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", pp.id[17])+1)%11]) // wrong check character
		switch i % 4 {
		case 0:
			fmt.Fprintf(&med, "YB%019d,%s,%s,,,2026-10-01,示例县人民医院,100,50,0,0,50\n", i, bad, pp.name)
		case 1:
			fmt.Fprintf(&med, "YB%019d,%s,%s,,,2026年2月30日,示例县人民医院,100,50,0,0,50\n", i, pp.id, pp.name)
		case 2:
			fmt.Fprintf(&med, "YB%019d,%s,%s,,,2026-10-01,示例县人民医院,%s,50,0,0,50\n", i, pp.id, pp.name, pp.name)
		default:
			fmt.Fprintf(&med, "YB%019d,%s %s,%s,,,2026-10-01,示例县人民医院,100,50,0,0\n", i, pp.id[:6], pp.id[6:], pp.name)
		}
	}
	// A lost line break: the first row is glued to the header, after an
	// unmapped 备注, so every mapped column is found.
	var glued strings.Builder
	glued.WriteString("身份证号,户号,救助类别,开始日期,结束日期,月救助金额,备注")
	for _, pp := range people[:3] {
		fmt.Fprintf(&glued, ",%s,%s,%s,低保,2025-01-01,,600", pp.name, pp.id, pp.household)
	}
	glued.WriteString("\n")
	for _, pp := range people[3:] {
		fmt.Fprintf(&glued, "%s,%s,低保,2025-01-01,,600,\n", pp.id, pp.household)
	}

	files := map[string]string{"fishers_mac.csv": mac.String(), "employment.csv": emp.String(), "medical_bad.csv": med.String(),
		"assistance_glued.csv": glued.String()}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := newPrivacyEnv(t, s, format,
		"LIPWATCH_SOURCES_FISHERS_OPTIONS_PATH="+filepath.Join(dir, "fishers_mac.csv"),
		"LIPWATCH_SOURCES_EMPLOYMENT_OPTIONS_PATH="+filepath.Join(dir, "employment.csv"),
		"LIPWATCH_SOURCES_MEDICAL_OPTIONS_PATH="+filepath.Join(dir, "medical_bad.csv"),
		"LIPWATCH_SOURCES_ASSISTANCE_OPTIONS_PATH="+filepath.Join(dir, "assistance_glued.csv"),
	)
	for _, src := range []string{"fishers", "employment", "medical", "assistance"} {
		p.run(-1, nil, "sources", "check", src)
	}
	mustContain(t, p.run(-1, nil, "sync"), "fishers", "employment", "medical")
	p.run(0, nil, "sources")
	p.run(-1, nil, "run")
	mustContain(t, p.run(0, nil, "quarantine", "list"), "medical")
	p.run(-1, nil, "quarantine", "retry", "medical")
	p.run(-1, nil, "rules", "explain", people[0].id)
	p.run(-1, nil, "cases", "list")
}

type person struct{ id, name, household string }

// registryPeople returns n people of the registry with valid 18-character
// IDs and three-character names.
func registryPeople(t *testing.T, n int) []person {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/county/registry.csv")
	if err != nil {
		t.Fatal(err)
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out []person
	for _, line := range strings.Split(string(text), "\n")[1:] {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) < 5 || !regexp.MustCompile(`^\d{17}[\dX]$`).MatchString(f[0]) || len([]rune(f[1])) != 3 {
			continue
		}
		out = append(out, person{id: f[0], name: f[1], household: f[4]})
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("only %d people", len(out))
	return nil
}
