package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/store"
)

// freeAddr is a loopback address no one listens on (as TestServePortal
// finds one).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape reads /metrics at addr: each sample by its name and labels as
// exposed (`lipwatch_runs_total{kind="run",status="ok"}`), and the text.
func scrape(t *testing.T, addr string) (map[string]float64, string) {
	t.Helper()
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	samples := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples, body
}

// sample returns a sample that must be there.
func sample(t *testing.T, m map[string]float64, key string) float64 {
	t.Helper()
	v, ok := m[key]
	if !ok {
		t.Fatalf("no %s in the scrape", key)
	}
	return v
}

// TestServeOpsMetrics: serve on a county that ran answers /healthz,
// /readyz and /metrics on ops.listen, and every figure is there with the
// store's values: runs by kind and status, the last night's stages, rows
// per source as the run's sync printed them, each source's last good
// sync, open and overdue cases per township as `cases list` counts them,
// the reload figures, Go's and the process's.
func TestServeOpsMetrics(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", farNightly)
	began := time.Now()
	out, err := runCLI(t, "run")
	if err != nil {
		t.Fatal(err)
	}
	read, _ := summary(t, out)
	if len(read) < 5 {
		t.Fatalf("run summary:\n%s", out)
	}
	// Three cases past their deadline today, to count.
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE cases SET deadline = DATE '2026-11-20' WHERE case_id IN
		(SELECT case_id FROM cases WHERE state = 'dispatched' AND township_code <> '' ORDER BY case_id LIMIT 3)`); err != nil {
		t.Fatal(err)
	}
	st.Close()

	addr := freeAddr(t)
	t.Setenv("LIPWATCH_OPS_LISTEN", addr)
	t.Setenv("LIPWATCH_SOURCES_FISHERS_SCHEDULE", "@every 1s") // a sync of its own, in the ledger as kind sync
	sv := startServe(t)
	sv.await(t, `msg="holding the store until serve stops`, 1)
	sv.await(t, `msg="job finished" job="sync fishers"`, 1)

	if code, body := httpGet(t, "http://"+addr+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	m, text := scrape(t, addr)
	now := float64(time.Now().Unix())
	inWindow := func(key string) {
		t.Helper()
		if v := sample(t, m, key); v < float64(began.Unix())-1 || v > now+1 {
			t.Errorf("%s = %v, not between the test's start and now", key, v)
		}
	}

	if sample(t, m, "lipwatch_store_open") != 1 {
		t.Error("lipwatch_store_open is not 1 while serve holds the store")
	}
	// The run ledger: the night run before serve, the syncs of fishers.
	if v := sample(t, m, `lipwatch_runs_total{kind="run",status="ok"}`); v != 1 {
		t.Errorf("ok runs = %v, want 1", v)
	}
	if v := sample(t, m, `lipwatch_runs_total{kind="sync",status="ok"}`); v < 1 {
		t.Errorf("ok syncs = %v", v)
	}
	run := sample(t, m, `lipwatch_last_run_duration_seconds{kind="run"}`)
	if run <= 0 || run > 600 {
		t.Errorf("last run took %v s", run)
	}
	inWindow(`lipwatch_last_run_success_timestamp_seconds{kind="run"}`)
	var stages float64
	for _, stage := range []string{"sync", "health", "evaluate", "dispatch"} {
		v := sample(t, m, `lipwatch_last_run_stage_duration_seconds{stage="`+stage+`"}`)
		if v < 0 || v > run {
			t.Errorf("stage %s took %v s of a %v s run", stage, v, run)
		}
		stages += v
	}
	if stages > run+0.01 || stages < run/2 {
		t.Errorf("stages add up to %v s of a %v s run", stages, run)
	}
	// Rows per source: what the run's sync printed (fishers' own syncs
	// since found its files unchanged and read nothing).
	for source, n := range read {
		if v := sample(t, m, `lipwatch_source_rows_read_total{source="`+source+`"}`); v != float64(n[2]) {
			t.Errorf("%s: %v rows read, the run printed %d", source, v, n[2])
		}
		if v := sample(t, m, `lipwatch_source_rows_loaded_total{source="`+source+`"}`); v != float64(n[3]) {
			t.Errorf("%s: %v rows loaded, the run printed %d", source, v, n[3])
		}
		if v := sample(t, m, `lipwatch_source_rows_quarantined_total{source="`+source+`"}`); v != float64(n[5]) {
			t.Errorf("%s: %v rows quarantined, the run printed %d", source, v, n[5])
		}
		inWindow(`lipwatch_source_last_success_timestamp_seconds{source="` + source + `"}`)
	}
	// Cases per township, against `cases list` through serve, today.
	var open, overdue float64
	var towns int
	for key, v := range m {
		switch {
		case strings.HasPrefix(key, "lipwatch_cases_open{"):
			open += v
			towns++
		case strings.HasPrefix(key, "lipwatch_cases_overdue{"):
			overdue += v
		}
	}
	list, err := runCLI(t, "--as-of", time.Now().In(shanghai()).Format(time.DateOnly), "cases", "list")
	if err != nil {
		t.Fatal(err)
	}
	late, err := runCLI(t, "--as-of", time.Now().In(shanghai()).Format(time.DateOnly), "cases", "list", "--overdue")
	if err != nil {
		t.Fatal(err)
	}
	caseRow := regexp.MustCompile(`(?m)^YJ-`)
	if want := len(caseRow.FindAllString(list, -1)); open != float64(want) || want == 0 {
		t.Errorf("open cases: %v in the metrics, %d listed", open, want)
	}
	if want := len(caseRow.FindAllString(late, -1)); overdue != float64(want) || want != 3 {
		t.Errorf("overdue cases: %v in the metrics, %d listed, want 3", overdue, want)
	}
	if towns < 3 || !strings.Contains(text, `lipwatch_cases_open{township="county",township_name="示例县"}`) ||
		!regexp.MustCompile(`lipwatch_cases_open\{township="34079900\d",township_name="[^"]+镇"\}`).MatchString(text) {
		t.Errorf("cases per township: %d townships\n%s", towns, grepLines(text, "lipwatch_cases_open"))
	}
	// Reloads: none asked for; the config in force loaded at start.
	if sample(t, m, `lipwatch_config_reloads_total{result="success"}`) != 0 || sample(t, m, `lipwatch_config_reloads_total{result="failure"}`) != 0 ||
		sample(t, m, "lipwatch_config_last_reload_successful") != 1 || sample(t, m, "lipwatch_rules_fallback_runs_total") != 0 {
		t.Errorf("reload figures:\n%s", grepLines(text, "lipwatch_config"))
	}
	inWindow("lipwatch_config_last_reload_success_timestamp_seconds")
	for _, key := range []string{"go_goroutines", "process_resident_memory_bytes", "process_start_time_seconds"} {
		sample(t, m, key)
	}
	// Every figure of ours says its unit and where it comes from.
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# HELP lipwatch_") && !strings.Contains(line, "; source: ") {
			t.Errorf("HELP without unit and source: %s", line)
		}
	}

	// What a scrape costs on the synthetic county (a figure, not an assertion).
	var took []time.Duration
	for range 10 {
		begin := time.Now()
		scrape(t, addr)
		took = append(took, time.Since(begin))
	}
	slices.Sort(took)
	t.Logf("scrape of /metrics: median %s, max %s (%d bytes)", took[len(took)/2], took[len(took)-1], len(text))

	sv.stop(t)
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("ops.listen still answers after serve stopped")
	}
}

// grepLines returns text's lines that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestServeOpsReadyz: while another lipwatch process holds the store,
// serve is up (/healthz) but not ready (/readyz 503, naming the holder),
// and /metrics has only what serve's process knows; once serve holds the
// store it is ready. The portal's listener, with ops.listen set, does not
// serve /metrics.
func TestServeOpsReadyz(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_RETRY", "100ms")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_WAIT", "10m")
	addr, portal := freeAddr(t), freeAddr(t)
	t.Setenv("LIPWATCH_OPS_LISTEN", addr)
	t.Setenv("LIPWATCH_PORTAL_LISTEN", portal)
	_, release := holdStore(t, os.Getenv("LIPWATCH_STORE_PATH"), "lipwatch feedback import")
	sv := startServe(t)
	sv.await(t, nightlyBusy, 1)

	if code, body := httpGet(t, "http://"+addr+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz while the store is held elsewhere: %d %q", code, body)
	}
	code, body := httpGet(t, "http://"+addr+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: the store is not open yet: ") ||
		!strings.Contains(body, `held by "lipwatch feedback import"`) {
		t.Errorf("/readyz while the store is held elsewhere: %d %q", code, body)
	}
	m, _ := scrape(t, addr)
	if sample(t, m, "lipwatch_store_open") != 0 {
		t.Error("lipwatch_store_open is not 0 before serve holds the store")
	}
	if _, ok := m[`lipwatch_runs_total{kind="run",status="ok"}`]; ok {
		t.Error("figures of the store before serve holds it")
	}

	release()
	sv.await(t, `msg="portal serving"`, 1)
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz once serve holds the store: %d %q", code, body)
	}
	if code, body := httpGet(t, "http://"+portal+"/metrics"); code == 200 || strings.Contains(body, "lipwatch_") {
		t.Errorf("the portal's address serves /metrics though ops.listen is set: %d", code)
	}
	sv.stop(t)
}

// TestServeOpsOnPortal: without ops.listen, the portal's address answers
// /healthz, /readyz and /metrics.
func TestServeOpsOnPortal(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", farNightly)
	if _, err := runCLI(t, "run"); err != nil {
		t.Fatal(err)
	}
	portal := freeAddr(t)
	t.Setenv("LIPWATCH_PORTAL_LISTEN", portal)
	sv := startServe(t)
	sv.await(t, `msg="portal serving"`, 1)
	if code, body := httpGet(t, "http://"+portal+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz on the portal: %d %q", code, body)
	}
	if code, body := httpGet(t, "http://"+portal+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz on the portal: %d %q", code, body)
	}
	if m, _ := scrape(t, portal); sample(t, m, `lipwatch_runs_total{kind="run",status="ok"}`) != 1 {
		t.Error("/metrics on the portal: no ok run")
	}
	sv.stop(t)
}

// TestOpsListenConfig: ops.listen is checked when the config loads.
func TestOpsListenConfig(t *testing.T) {
	for _, tc := range []struct{ ops, portal, want string }{
		{"127.0.0.1:9464", "", ""},
		{":0", "", ""},
		{"9464", "", `LIPWATCH_OPS_LISTEN: ops.listen: want host:port, e.g. 127.0.0.1:9464, got "9464"`},
		{"127.0.0.1:99999", "", `ops.listen: port "99999" is not a number from 0 to 65535`},
		{"127.0.0.1:8080", "127.0.0.1:8080", "ops.listen: 127.0.0.1:8080 is portal.listen too: leave ops.listen empty"},
	} {
		t.Setenv("LIPWATCH_OPS_LISTEN", tc.ops)
		t.Setenv("LIPWATCH_PORTAL_LISTEN", tc.portal)
		_, err := config.Load("../../config.yaml")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ops.listen %q: %v", tc.ops, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ops.listen %q: %v, want %q", tc.ops, err, tc.want)
		}
	}
}

// TestServeReload sends SIGHUP to a running serve (the built binary): a
// config with a changed nightly schedule is applied (the night runs on
// it); a broken rule file is not — the failure is logged naming the file
// and counted, and the next night runs on the last good rules; the fixed
// file is applied; a changed store.path is logged as needing a restart
// and the running store kept.
func TestServeReload(t *testing.T) {
	a := newAdminEnv(t)
	rules := filepath.Join(a.dir, "rules")
	if err := os.Remove(rules); err != nil { // the repository's, linked: copy them to break one
		t.Fatal(err)
	}
	if err := os.CopyFS(rules, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range a.env { // store.path and schedule.nightly from the file, to change them there
		if !strings.HasPrefix(kv, "LIPWATCH_STORE_PATH=") && !strings.HasPrefix(kv, "LIPWATCH_SCHEDULE_NIGHTLY=") {
			env = append(env, kv)
		}
	}
	addr := freeAddr(t)
	a.env = append(env, "LIPWATCH_OPS_LISTEN="+addr)
	base, err := os.ReadFile(a.config)
	if err != nil {
		t.Fatal(err)
	}
	writeConfig := func(nightly, storePath string) {
		t.Helper()
		cfg := regexp.MustCompile(`(?m)^  nightly: .*$`).ReplaceAllLiteralString(string(base), `  nightly: "`+nightly+`"`)
		cfg = regexp.MustCompile(`(?m)^  path: var/lipwatch.duckdb.*$`).ReplaceAllLiteralString(cfg, "  path: "+storePath)
		if cfg == string(base) {
			t.Fatal("config.yaml has no schedule.nightly or store.path to change")
		}
		if err := os.WriteFile(a.config, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(farNightly, a.storePath)
	a.run(0, nil, "--as-of", "2026-11-28", "run")
	a.startServe()
	hup := func() {
		t.Helper()
		if err := syscall.Kill(a.servePID, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	metric := func(key string) float64 {
		t.Helper()
		m, _ := scrape(t, addr)
		return sample(t, m, key)
	}
	const (
		reloaded = `msg="reloaded config and rules"`
		failed   = `msg="reload failed: the last good config and rules stay"`
		nights   = `msg="job finished" job=nightly`
		fellBack = `msg="rule files did not load: tonight runs on the last good rules`
	)

	// A changed nightly schedule: applied, and the night runs on it.
	writeConfig("@every 2s", a.storePath)
	hup()
	a.awaitLog(reloaded, 1)
	a.awaitLog(`msg="job rescheduled" job=nightly`, 1)
	a.awaitLog(nights, 1)
	if metric(`lipwatch_config_reloads_total{result="success"}`) != 1 || metric("lipwatch_config_last_reload_successful") != 1 {
		t.Error("the applied reload is not counted")
	}

	// A broken rule file: not applied; the error names the file and line.
	medical := filepath.Join(rules, "medical.yaml")
	good, err := os.ReadFile(medical)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(good), "when: medical.oop_12m >= params.medical_oop_threshold", "when: medical.oop_12m >= (params.medical_oop_threshold", 1)
	if broken == string(good) {
		t.Fatal("medical.yaml has no rule to break")
	}
	if err := os.WriteFile(medical, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	a.awaitLog(failed, 1)
	if line := grepLines(a.serveLog.String(), failed); !regexp.MustCompile(`medical\.yaml:\d+:\d+`).MatchString(line) {
		t.Errorf("the failed reload's log does not name the file and line:\n%s", line)
	}
	if metric(`lipwatch_config_reloads_total{result="failure"}`) != 1 || metric("lipwatch_config_last_reload_successful") != 0 ||
		metric(`lipwatch_config_reloads_total{result="success"}`) != 1 {
		t.Error("the failed reload is not counted")
	}
	// The next night runs, on the last good rules.
	ran := len(regexp.MustCompile(regexp.QuoteMeta(nights)).FindAllString(a.serveLog.String(), -1))
	a.awaitLog(fellBack, 1)
	a.awaitLog(nights, ran+1)
	if metric("lipwatch_rules_fallback_runs_total") < 1 {
		t.Error("the night on the last good rules is not counted")
	}
	if line := grepLines(a.serveLog.String(), fellBack); !strings.Contains(line, "medical.yaml:") {
		t.Errorf("the night's log does not name the broken file:\n%s", line)
	}

	// Fixed (and the night back to far away): applied.
	if err := os.WriteFile(medical, good, 0o644); err != nil {
		t.Fatal(err)
	}
	writeConfig(farNightly, a.storePath)
	hup()
	a.awaitLog(reloaded, 2)
	if metric(`lipwatch_config_reloads_total{result="success"}`) != 2 || metric("lipwatch_config_last_reload_successful") != 1 {
		t.Error("the fixed reload is not counted")
	}

	// A new store.path needs a restart: logged, the running store kept.
	writeConfig(farNightly, filepath.Join(a.dir, "elsewhere.duckdb"))
	hup()
	a.awaitLog(reloaded, 3)
	if line := grepLines(a.serveLog.String(), "needs a restart"); !strings.Contains(line, "key=store.path") ||
		!strings.Contains(line, "running="+a.storePath) {
		t.Errorf("a changed store.path is not reported as needing a restart:\n%s", line)
	}
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != 200 {
		t.Errorf("/readyz after the reload: %d %q", code, body)
	}
	if _, err := os.Stat(filepath.Join(a.dir, "elsewhere.duckdb")); err == nil {
		t.Error("serve opened the new store.path")
	}

	syscall.Kill(a.servePID, syscall.SIGTERM)
	select {
	case err := <-a.serveDone:
		a.serveDone <- err // for the cleanup's wait
		if err != nil {
			t.Errorf("serve did not stop cleanly: %v\n%s", err, a.serveLog)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(a.serveLog.String(), "level=ERROR") && strings.Count(a.serveLog.String(), "level=ERROR") !=
		strings.Count(a.serveLog.String(), failed)+strings.Count(a.serveLog.String(), fellBack) {
		t.Errorf("errors besides the broken rule file's:\n%s", grepLines(a.serveLog.String(), "level=ERROR"))
	}
}
