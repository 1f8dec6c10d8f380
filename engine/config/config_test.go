package config

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current messages")

// TestMain clears LIPWATCH_* so that the environment running the tests
// cannot change what they see.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, EnvPrefix) {
			os.Unsetenv(name)
		}
	}
	flag.Parse()
	os.Exit(m.Run())
}

// TestBadConfigs loads every testdata/bad_*.yaml and compares the whole
// message with testdata/bad_*.golden.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad cases: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			cfg, err := Load("testdata/" + filepath.Base(file)) // the same message on every OS
			if err == nil {
				t.Fatalf("Load accepted %s: %+v", file, cfg)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error is %T, want *Error: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("messages differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestBadManyReportsEverything(t *testing.T) {
	_, err := Load("testdata/bad_many.yaml")
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want *Error", err)
	}
	for _, path := range []string{
		"county.code", "county.timezone", "store.threads", "store.memory_limit", "store.checkpoint_threshold",
		"log.level", "log.format", "sync.source_timeout",
		"sources.medical.dataset", "sources.medical.schedule",
		"sources.medical.options.encoding", "sources.medical.options.path",
		"sources.disability.enabled", "sources.disability.columns",
	} {
		if !slices.ContainsFunc(cerr.Problems, func(p Problem) bool { return p.Path == path }) {
			t.Errorf("no problem reported at %s", path)
		}
	}
	for _, p := range cerr.Problems {
		if p.Line == 0 {
			t.Errorf("problem without a line: %s", p)
		}
	}
}

func TestSecretsNotInMessages(t *testing.T) {
	t.Setenv("LIPWATCH_SOURCES_MEDICAL_OPTIONS_HEADER_ROW", "x") // a non-secret env problem alongside
	_, err := Load("testdata/bad_secret.yaml")
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, secret := range []string{"987654321", "hunter2"} {
		if strings.Contains(msg, secret) {
			t.Errorf("message shows secret %q:\n%s", secret, msg)
		}
	}
	for _, want := range []string{"sources.medical.options.api_token:", "sources.medical.options.password:", "LIPWATCH_SOURCES_MEDICAL_OPTIONS_HEADER_ROW"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestLoadGood(t *testing.T) {
	cfg, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/good.yaml")
	if cfg.Path != abs || cfg.Dir != filepath.Dir(abs) {
		t.Errorf("Path, Dir = %q, %q; want %q and its directory", cfg.Path, cfg.Dir, abs)
	}
	if cfg.County.Code != "320102" || cfg.County.Name != "玄武区" {
		t.Errorf("County = %+v", cfg.County)
	}
	if want := map[string]string{"320102001": "玄武门街道", "320102002": "新街口街道"}; !mapsEqual(cfg.County.Townships, want) {
		t.Errorf("county.townships = %v, want %v", cfg.County.Townships, want)
	}
	if cfg.Store != (Store{Path: "data/lipwatch.duckdb", Threads: 4, MemoryLimit: "2GB", CheckpointThreshold: "256MB"}) {
		t.Errorf("Store = %+v", cfg.Store)
	}
	if cfg.Log != (Log{Level: "info", Format: "json"}) {
		t.Errorf("Log = %+v", cfg.Log)
	}
	if want := (Sync{SourceTimeout: Duration(30 * time.Minute), QuarantineKeep: Duration(14 * Day), XLSXMaxUnzipped: 2 * GiB, XLSXMaxSharedStrings: 512_000_000, Workers: DefaultSyncWorkers}); cfg.Sync != want {
		t.Errorf("Sync = %+v, want %+v", cfg.Sync, want)
	}
	if cfg.Rules != (Rules{Dir: "/etc/lipwatch/rules"}) {
		t.Errorf("Rules = %+v", cfg.Rules)
	}
	wantCases := Cases{DeadlineDays: 10, ExtensionDays: 10, Calendar: "rules/holidays-2025.yaml", Cooldown: Duration(90 * Day), ReopenAfter: 0}
	if cfg.Cases != wantCases {
		t.Errorf("Cases = %+v, want %+v", cfg.Cases, wantCases)
	}
	// Formats are read case-insensitively and kept lower-case.
	if d := cfg.Dispatch; d.Dir != "lists" || !slices.Equal(d.Formats, []string{"csv"}) || !d.Unmasked {
		t.Errorf("Dispatch = %+v", d)
	}
	if cfg.Schedule != (Schedule{Nightly: "0 3 * * 1-5", ShutdownGrace: Duration(30 * time.Second), BusyWait: Duration(45 * time.Minute), BusyRetry: DefaultBusyRetry}) {
		t.Errorf("Schedule = %+v", cfg.Schedule)
	}
	if got := cfg.SourceNames(); !slices.Equal(got, []string{"disability", "medical"}) {
		t.Errorf("SourceNames = %v", got)
	}
	med := cfg.Sources["medical"]
	if !med.IsEnabled() || med.Kind != "testfile" || med.Dataset != "medical" || med.Schedule != "0 2 * * *" {
		t.Errorf("medical = %+v", med)
	}
	if med.Options["path"] != "medical/*.xlsx" || med.Options["encoding"] != "gbk" || med.Options["header_row"] != 2 {
		t.Errorf("medical options = %#v", med.Options)
	}
	if med.Columns["settle_date"] != "结算日期" {
		t.Errorf("medical columns = %v", med.Columns)
	}
	dis := cfg.Sources["disability"]
	if dis.IsEnabled() {
		t.Error("disability is enabled; the file says enabled: false")
	}
	wantLevel := map[string]string{"特一级": "1", "1.0": "1"}
	if !mapsEqual(dis.Values["level"], wantLevel) || dis.Values["status"]["作废"] != "revoked" {
		t.Errorf("disability values = %v", dis.Values)
	}
	if got := cfg.Location().String(); got != "Asia/Shanghai" {
		t.Errorf("Location = %s", got)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.County.Timezone != DefaultTimezone || cfg.Location().String() != DefaultTimezone {
		t.Errorf("timezone = %q, location %s", cfg.County.Timezone, cfg.Location())
	}
	if cfg.Store != (Store{Path: DefaultStorePath}) {
		t.Errorf("Store = %+v", cfg.Store)
	}
	if cfg.Log != (Log{Level: "info", Format: "text"}) {
		t.Errorf("Log = %+v", cfg.Log)
	}
	if want := (Sync{SourceTimeout: Duration(15 * time.Minute), QuarantineKeep: Duration(180 * Day), XLSXMaxUnzipped: GiB, XLSXMaxSharedStrings: 256 * MiB, Workers: DefaultSyncWorkers}); cfg.Sync != want {
		t.Errorf("Sync = %+v, want %+v", cfg.Sync, want)
	}
	if len(cfg.Sources) != 0 {
		t.Errorf("Sources = %v", cfg.Sources)
	}
	if len(cfg.County.Townships) != 0 {
		t.Errorf("county.townships = %v", cfg.County.Townships)
	}
	if cfg.Rules != (Rules{Dir: "rules"}) || cfg.Rules.Dir != DefaultRulesDir {
		t.Errorf("Rules = %+v", cfg.Rules)
	}
	wantCases := Cases{DeadlineDays: 15, ExtensionDays: 25, Calendar: "rules/holidays.yaml", Cooldown: Duration(180 * Day), ReopenAfter: Duration(30 * Day)}
	if cfg.Cases != wantCases {
		t.Errorf("Cases = %+v, want %+v", cfg.Cases, wantCases)
	}
	if d := cfg.Dispatch; d.Dir != "out/lists" || !slices.Equal(d.Formats, []string{"xlsx", "csv"}) || d.Unmasked {
		t.Errorf("Dispatch = %+v", d)
	}
	if cfg.Schedule != (Schedule{Nightly: "30 2 * * *", ShutdownGrace: Duration(5 * time.Minute), BusyWait: Duration(30 * time.Minute), BusyRetry: Duration(30 * time.Second)}) {
		t.Errorf("Schedule = %+v", cfg.Schedule)
	}
	if got := cfg.Resolve(cfg.Cases.Calendar); got != filepath.Join(cfg.Dir, "rules", "holidays.yaml") {
		t.Errorf("calendar resolves to %q", got)
	}
}

// TestDefaultsAreFresh checks that a caller changing one Config's formats
// does not change the next one's defaults.
func TestDefaultsAreFresh(t *testing.T) {
	cfg, err := Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dispatch.Formats[0] = "pdf"
	DispatchFormats()[0] = "pdf"
	cfg, err = Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Dispatch.Formats, []string{"xlsx", "csv"}) {
		t.Errorf("formats = %v", cfg.Dispatch.Formats)
	}
}

func TestEnvOverridesNewSections(t *testing.T) {
	t.Setenv("LIPWATCH_RULES_DIR", "/srv/rules")
	t.Setenv("LIPWATCH_CASES_DEADLINE_DAYS", " 20 ")
	t.Setenv("LIPWATCH_CASES_EXTENSION_DAYS", "30")
	t.Setenv("LIPWATCH_CASES_CALENDAR", "cal.yaml")
	t.Setenv("LIPWATCH_CASES_COOLDOWN", "26w")
	t.Setenv("LIPWATCH_CASES_REOPEN_AFTER", "36h")
	t.Setenv("LIPWATCH_DISPATCH_DIR", "/mnt/share/lists")
	t.Setenv("LIPWATCH_DISPATCH_FORMATS", "xlsx, CSV")
	t.Setenv("LIPWATCH_DISPATCH_UNMASKED", "false")
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", "15 1 * * *")
	t.Setenv("LIPWATCH_SCHEDULE_SHUTDOWN_GRACE", "1m30s")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_WAIT", "2h")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_RETRY", "250ms")
	for _, file := range []string{"testdata/minimal.yaml", "testdata/good.yaml"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Rules.Dir != "/srv/rules" {
				t.Errorf("rules.dir = %q", cfg.Rules.Dir)
			}
			want := Cases{DeadlineDays: 20, ExtensionDays: 30, Calendar: "cal.yaml", Cooldown: Duration(26 * Week), ReopenAfter: Duration(36 * time.Hour)}
			if cfg.Cases != want {
				t.Errorf("Cases = %+v, want %+v", cfg.Cases, want)
			}
			if d := cfg.Dispatch; d.Dir != "/mnt/share/lists" || !slices.Equal(d.Formats, []string{"xlsx", "csv"}) || d.Unmasked {
				t.Errorf("Dispatch = %+v", d)
			}
			if cfg.Schedule != (Schedule{Nightly: "15 1 * * *", ShutdownGrace: Duration(90 * time.Second), BusyWait: Duration(2 * time.Hour), BusyRetry: Duration(250 * time.Millisecond)}) {
				t.Errorf("Schedule = %+v", cfg.Schedule)
			}
		})
	}
}

func TestEnvFormatsOneValue(t *testing.T) {
	t.Setenv("LIPWATCH_DISPATCH_FORMATS", "csv")
	cfg, err := Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Dispatch.Formats, []string{"csv"}) {
		t.Errorf("formats = %q", cfg.Dispatch.Formats)
	}
}

func TestEnvProblemsInNewSections(t *testing.T) {
	t.Setenv("LIPWATCH_DISPATCH_FORMATS", "xlsx,pdf,,XLSX")
	t.Setenv("LIPWATCH_CASES_DEADLINE_DAYS", "two weeks")
	t.Setenv("LIPWATCH_CASES_EXTENSION_DAYS", "5")
	t.Setenv("LIPWATCH_DISPATCH_UNMASKED", "sometimes")
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", "nightly")
	t.Setenv("LIPWATCH_SCHEDULE_SHUTDOWN_GRACE", "-5m")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_WAIT", "0s")
	t.Setenv("LIPWATCH_SCHEDULE_BUSY_RETRY", "-1s")
	// good.yaml has its own formats list: the problems must still be
	// located at the variable, not at the file's elements.
	_, err := Load("testdata/good.yaml")
	want := strings.Join([]string{
		`env LIPWATCH_CASES_DEADLINE_DAYS: cases.deadline_days: want a whole number, got "two weeks"`,
		`env LIPWATCH_DISPATCH_FORMATS: dispatch.formats[1]: "pdf" is not one of xlsx, csv`,
		`env LIPWATCH_DISPATCH_FORMATS: dispatch.formats[2]: "" is not one of xlsx, csv`,
		`env LIPWATCH_DISPATCH_FORMATS: dispatch.formats[3]: xlsx is listed twice`,
		`env LIPWATCH_DISPATCH_UNMASKED: dispatch.unmasked: want true or false, got "sometimes"`,
		`env LIPWATCH_SCHEDULE_BUSY_RETRY: schedule.busy_retry: must be positive, got -1s`,
		`env LIPWATCH_SCHEDULE_BUSY_WAIT: schedule.busy_wait: must be positive, got 0s`,
		`env LIPWATCH_SCHEDULE_NIGHTLY: schedule.nightly: invalid cron schedule "nightly": expected exactly 5 fields, found 1: [nightly]`,
		`env LIPWATCH_SCHEDULE_SHUTDOWN_GRACE: schedule.shutdown_grace: must be positive, got -5m0s`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestEnvExtensionBeforeFileDeadline(t *testing.T) {
	t.Setenv("LIPWATCH_CASES_EXTENSION_DAYS", "5")
	_, err := Load("testdata/good.yaml") // deadline_days: 10
	want := `env LIPWATCH_CASES_EXTENSION_DAYS: cases.extension_days: must be at least cases.deadline_days (10), got 5`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestEnvOverridesKeyInFile(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_PATH", "/var/lib/lipwatch/county.duckdb")
	t.Setenv("LIPWATCH_LOG_LEVEL", "DEBUG")
	t.Setenv("LIPWATCH_SOURCES_MEDICAL_OPTIONS_PATH", "/mnt/yibao/*.xlsx")
	t.Setenv("LIPWATCH_SOURCES_DISABILITY_ENABLED", "true")
	cfg, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Path != "/var/lib/lipwatch/county.duckdb" {
		t.Errorf("store.path = %q", cfg.Store.Path)
	}
	if cfg.Store.Threads != 4 {
		t.Errorf("store.threads = %d; the file's value should stay", cfg.Store.Threads)
	}
	if cfg.Log.Level != "debug" {
		t.Errorf("log.level = %q, want debug", cfg.Log.Level)
	}
	if got := cfg.Sources["medical"].Options["path"]; got != "/mnt/yibao/*.xlsx" {
		t.Errorf("sources.medical.options.path = %v", got)
	}
	if !cfg.Sources["disability"].IsEnabled() {
		t.Error("LIPWATCH_SOURCES_DISABILITY_ENABLED=true did not enable disability")
	}
}

func TestEnvOverridesKeyNotInFile(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_PATH", "other.duckdb")
	t.Setenv("LIPWATCH_STORE_THREADS", "8")
	t.Setenv("LIPWATCH_SYNC_SOURCE_TIMEOUT", "1h30m")
	t.Setenv("LIPWATCH_SYNC_QUARANTINE_KEEP", "1w")
	t.Setenv("LIPWATCH_SYNC_XLSX_MAX_UNZIPPED", "512MiB")
	t.Setenv("LIPWATCH_COUNTY_NAME", "玄武区")
	t.Setenv("LIPWATCH_SOURCES_MEDICAL_OPTIONS_PATH", "medical/*.csv")
	t.Setenv("LIPWATCH_SOURCES_MEDICAL_OPTIONS_HEADER_ROW", "3")
	t.Setenv("LIPWATCH_SOURCES_MEDICAL_COLUMNS_HOSPITAL", "医疗机构名称")
	t.Setenv("LIPWATCH_SOURCES_MEDICAL_SCHEDULE", "30 1 * * *")
	cfg, err := Load("testdata/env_source.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Path != "other.duckdb" || cfg.Store.Threads != 8 {
		t.Errorf("Store = %+v", cfg.Store)
	}
	if want := (Sync{SourceTimeout: Duration(90 * time.Minute), QuarantineKeep: Duration(Week), XLSXMaxUnzipped: 512 * MiB, XLSXMaxSharedStrings: DefaultXLSXMaxSharedStrings, Workers: DefaultSyncWorkers}); cfg.Sync != want {
		t.Errorf("Sync = %+v, want %+v", cfg.Sync, want)
	}
	if cfg.County.Name != "玄武区" {
		t.Errorf("county.name = %q", cfg.County.Name)
	}
	med := cfg.Sources["medical"]
	if med.Options["path"] != "medical/*.csv" || med.Options["header_row"] != 3 {
		t.Errorf("medical options = %#v (header_row should be read as an int)", med.Options)
	}
	if med.Columns["hospital"] != "医疗机构名称" || med.Columns["claim_id"] != "结算单号" {
		t.Errorf("medical columns = %v", med.Columns)
	}
	if med.Schedule != "30 1 * * *" {
		t.Errorf("medical schedule = %q", med.Schedule)
	}
}

func TestEnvProblemsNameTheVariable(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_THREADS", "many")
	t.Setenv("LIPWATCH_LOG_LEVEL", "loud")
	t.Setenv("LIPWATCH_SYNC_SOURCE_TIMEOUT", "10")
	_, err := Load("testdata/minimal.yaml")
	want := strings.Join([]string{
		`env LIPWATCH_LOG_LEVEL: log.level: "loud" is not one of debug, info, warn, error`,
		`env LIPWATCH_STORE_THREADS: store.threads: want a whole number, got "many"`,
		`env LIPWATCH_SYNC_SOURCE_TIMEOUT: sync.source_timeout: "10" has no unit; write e.g. "10m", "10h" or "10d"`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no_such.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want fs.ErrNotExist", err)
	}
}

func TestParseEmbedded(t *testing.T) {
	cfg, err := Parse("config.yaml", []byte("county: {code: \"320102\"}\nstore: {path: x.duckdb}\n"))
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if cfg.Dir != wd || cfg.Resolve(cfg.Store.Path) != filepath.Join(wd, "x.duckdb") {
		t.Errorf("Dir = %q, store at %q", cfg.Dir, cfg.Resolve(cfg.Store.Path))
	}
	_, err = Parse("config.yaml", []byte("county:\n  code: \"1\"\n"))
	if err == nil || err.Error() != "config.yaml:2:3: county.code: \"1\" is not a six-digit division code\n    2 |   code: \"1\"\n      |   ^" {
		t.Errorf("got %v", err)
	}
}

func TestResolve(t *testing.T) {
	dir := filepath.FromSlash("/srv/lipwatch")
	if abs, _ := filepath.Abs(dir); abs != dir {
		dir = abs // on Windows, give the directory a volume
	}
	c := &Config{Dir: dir}
	abs := filepath.Join(dir, "elsewhere", "x.duckdb")
	for _, tc := range []struct{ in, want string }{
		{"lipwatch.duckdb", filepath.Join(dir, "lipwatch.duckdb")},
		{"data/medical/*.xlsx", filepath.Join(dir, "data", "medical", "*.xlsx")},
		{"../shared/x.csv", filepath.Join(filepath.Dir(dir), "shared", "x.csv")},
		{abs, abs},
		{"", ""},
	} {
		if got := c.Resolve(tc.in); got != tc.want {
			t.Errorf("Resolve(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLocationOfUnloadedConfig(t *testing.T) {
	var c Config
	if got := c.Location().String(); got != DefaultTimezone {
		t.Errorf("Location = %s, want %s", got, DefaultTimezone)
	}
	c.County.Timezone = "UTC"
	if got := c.Location(); got != time.UTC {
		t.Errorf("Location = %s, want UTC", got)
	}
}

func TestIsEnabled(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		enabled *bool
		want    bool
	}{{nil, true}, {&yes, true}, {&no, false}} {
		if got := (Source{Enabled: tc.enabled}).IsEnabled(); got != tc.want {
			t.Errorf("IsEnabled with %v = %v", tc.enabled, got)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
