package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
	"github.com/lipwatch/lipwatch/engine/store"
	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// countyConfig writes a one-township county config with the given
// sources: block into dir, the store beside it, and returns its path.
func countyConfig(t *testing.T, dir, sources string) string {
	t.Helper()
	cfg := fmt.Sprintf("county:\n  code: \"340799\"\n  townships:\n    \"340799001\": 城关镇\nstore:\n  path: %s\nsources:\n%s",
		filepath.Join(dir, "lw.duckdb"), sources)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIPWATCH_DISPATCH_DIR", filepath.Join(dir, "lists"))
	return path
}

// incrementalConfig writes a county config with one incremental API
// source (employment, 更新时间 as its watermark) at url, with extra lines
// for the source, and points the store into a temp dir.
func incrementalConfig(t *testing.T, url, extra string) string {
	t.Helper()
	return countyConfig(t, t.TempDir(), fmt.Sprintf(`  employment:
    kind: http
    dataset: employment
%s    options:
      url: %s
      records: data.items
      pagination: page
      page_size: 2
      watermark_param: updated_since
      watermark_field: 更新时间
      lookback: 1d
      retries: 0
    columns:
      id_number: 身份证号
      event: 业务类型
      event_date: 业务日期
`, extra, url))
}

func runWith(t *testing.T, config string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out strings.Builder
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--config", config, "--log-level", "error"}, args...))
	err := root.Execute()
	return out.String(), err
}

func employmentRecord(id, event, day, updated string) map[string]any {
	return map[string]any{"身份证号": id, "业务类型": event, "业务日期": day, "更新时间": updated}
}

// Issue 8: sources check shows, per incremental source, the saved
// watermark, the records whose watermark could not be used, and the last
// reconciliation with the rows it found.
func TestSourcesCheckShowsIncrementalState(t *testing.T) {
	api := fakeapi.New([]map[string]any{
		employmentRecord("11010519491231002X", "失业登记", "2026-03-01", "2026-03-01 09:00:00"),
		employmentRecord("11010519491231002X", "就业登记", "2026-03-05", "2026-03-05 10:20:30"),
		employmentRecord("110105194912310038", "失业登记", "2026-04-01", "2099-12-31 00:00:00"), // a typo
	}, fakeapi.Options{UpdatedField: "更新时间"})
	defer api.Close()
	config := incrementalConfig(t, api.URL+"/api/v1/employment", "    reconcile: 7d\n")

	out, err := runWith(t, config, "sources", "check", "employment")
	if err != nil || !strings.Contains(out, "/api/v1/employment: incremental, no watermark saved yet") {
		t.Fatalf("check before any sync: %v\n%s", err, out)
	}
	if out, err := runWith(t, config, "sync", "employment"); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err = runWith(t, config, "sources", "check", "employment")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []*regexp.Regexp{
		// The future-dated record loads but never becomes the watermark.
		regexp.MustCompile(`/api/v1/employment: incremental, watermark 2026-03-05 10:20:30 \(saved \d{4}-\d\d-\d\d \d\d:\d\d\)`),
		regexp.MustCompile(`last load: 1 record.*2099-12-31`),
		regexp.MustCompile(`last full read: \d{4}-\d\d-\d\d \d\d:\d\d, read in full \(first load\): 3 rows not loaded before`),
		regexp.MustCompile(`reconciliation: every 7d, next at the first sync after \d{4}-\d\d-\d\d \d\d:\d\d`),
	} {
		if !want.MatchString(out) {
			t.Errorf("check output lacks %s:\n%s", want, out)
		}
	}

	// A watermark saved in the future (by an older version) is shown with
	// a warning, and the next sync reads from the start: a full read.
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(filepath.Dir(config), "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE source_state SET watermark = '2099-12-31 00:00:00'`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if out, err = runWith(t, config, "sources", "check", "employment"); err != nil || !strings.Contains(out, "WARNING: the saved watermark is after now") {
		t.Fatalf("check with a future watermark: %v\n%s", err, out)
	}
	if out, err := runWith(t, config, "sync", "employment"); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err = runWith(t, config, "sources", "check", "employment")
	if err != nil || !strings.Contains(out, "incremental, watermark 2026-03-05 10:20:30") || strings.Contains(out, "WARNING") ||
		!regexp.MustCompile(`last full read: .*, read in full \(saved watermark after the sync's start, reset\): 0 rows not loaded before`).MatchString(out) {
		t.Fatalf("after the reset: %v\n%s", err, out)
	}
}

// A sql source whose query never reads rows with a NULL watermark is
// warned about by sources check before any read, and not once full_query
// reads them.
func TestSourcesCheckWarnsOfNullWatermarks(t *testing.T) {
	t.Setenv("LIPWATCH_TEST_CHECK_DSN", pgtest.URL(t))
	dir := t.TempDir()
	write := func(fullQuery string) string {
		return countyConfig(t, dir, fmt.Sprintf(`  employment:
    kind: sql
    dataset: employment
    options:
      dsn_env: LIPWATCH_TEST_CHECK_DSN
      query: SELECT * FROM (SELECT '11010519491231002X' AS 身份证号, '失业登记' AS 业务类型, DATE '2026-03-01' AS 业务日期, TIMESTAMP '2026-03-01 09:00:00' AS 更新时间) t WHERE 更新时间 > $1
      watermark_column: 更新时间
%s    columns:
      id_number: 身份证号
      event: 业务类型
      event_date: 业务日期
`, fullQuery))
	}
	out, err := runWith(t, write("      watermark_initial: \"1970-01-01\"\n"), "sources", "check", "employment")
	if err != nil || !strings.Contains(out, "WARNING: rows whose 更新时间 is NULL are never read") {
		t.Fatalf("check of the plain shape: %v\n%s", err, out)
	}
	out, err = runWith(t, write("      full_query: SELECT '11010519491231002X' AS 身份证号, '失业登记' AS 业务类型, DATE '2026-03-01' AS 业务日期, NULL::timestamp AS 更新时间\n"),
		"sources", "check", "employment")
	if err != nil || strings.Contains(out, "WARNING") {
		t.Fatalf("check with full_query: %v\n%s", err, out)
	}
}

// Issue 9: a facts.yaml that deletes, copies out or runs SQL from text is
// refused by rules check, naming the place, before it could run.
func TestRulesCheckRefusesFactsThatWrite(t *testing.T) {
	tempStore(t)
	for name, to := range map[string]string{
		"delete":  "      FROM ids LEFT JOIN reg USING (id_number); DELETE FROM audit; SELECT 1\n",
		"copy":    "      FROM ids LEFT JOIN reg USING (id_number); COPY (SELECT * FROM registry) TO '/tmp/lipwatch-stolen.csv'\n",
		"query()": "      FROM ids LEFT JOIN reg USING (id_number), query('DELETE FROM audit') AS q\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rules")
			if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "facts.yaml")
			b, _ := os.ReadFile(path)
			const at = "      FROM ids LEFT JOIN reg USING (id_number)\n"
			if !strings.Contains(string(b), at) {
				t.Fatalf("facts.yaml has no %q", at)
			}
			os.WriteFile(path, []byte(strings.Replace(string(b), at, to, 1)), 0o644)
			t.Setenv("LIPWATCH_RULES_DIR", dir)
			_, err := runCLI(t, "rules", "check")
			var ex *exitError
			if !errors.As(err, &ex) || ex.code != 1 || !regexp.MustCompile(`facts\.yaml:\d+:\d+: group person: sql: .*(may only read|runs SQL given as text)`).MatchString(ex.msg) {
				t.Fatalf("rules check: %v", err)
			}
		})
	}
}
