package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/schedule"
)

// TestCronFromEnv: a spec from the environment is checked the same way,
// the problem names the variable, and nothing panics.
func TestCronFromEnv(t *testing.T) {
	for _, tt := range []struct{ name, spec, want string }{
		{"zone only", "CRON_TZ=UTC", "env LIPWATCH_SCHEDULE_NIGHTLY: schedule.nightly: schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=UTC"},
		{"never", "0 0 30 2 *", `env LIPWATCH_SCHEDULE_NIGHTLY: schedule.nightly: cron schedule "0 0 30 2 *" never fires`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", tt.spec)
			_, err := Load("testdata/minimal.yaml")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Load error =\n  %v\nwant\n  %s", err, tt.want)
			}
		})
	}
}

// TestCronUnknownCountyZone: with county.timezone wrong, a zone prefix is
// still rejected, and the message does not guess the county's zone.
func TestCronUnknownCountyZone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("county:\n  code: \"320102\"\n  timezone: Asia/Shanghia\nschedule:\n  nightly: \"TZ=Asia/Shanghia 30 2 * * *\"\n"), 0o644)
	_, err := Load(path)
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 2 {
		t.Fatalf("want two problems, got %v", err)
	}
	if got := cerr.Problems[1]; got.Path != "schedule.nightly" || got.Line != 5 || got.Col != 3 ||
		got.Message != "schedules are read in the county's time zone; remove TZ=Asia/Shanghia" {
		t.Errorf("problem = %+v", got)
	}
}

// TestCronConfigAcceptsWhatServeRuns: for every spec, config accepts it
// exactly when the scheduler does (both call schedule.Parse).
func TestCronConfigAcceptsWhatServeRuns(t *testing.T) {
	specs := []string{
		"30 2 * * *", " 30 2 * * * ", "@daily", "@every 1h", "0 0 29 2 *", "*/15 9-17 * * MON-FRI",
		"0 2 * *", "0 30 2 * * *", "61 2 * * *", "0 0 30 2 *", "@reboot", "@every", "every night",
		"TZ=Asia/Shanghai", "CRON_TZ=UTC", "TZ=", "CRON_TZ=UTC 30 2 * * *", "CRON_TZ=Asia/Shanghai 30 2 * * *",
		"CRON_TZ=UTC\t@daily", "tz=UTC 1 2 3 4 5", "TZ=Asia/Shanghai TZ=UTC 0 0 * * *",
	}
	dir := t.TempDir()
	for i, spec := range specs {
		t.Run(spec, func(t *testing.T) {
			path := filepath.Join(dir, "c"+string(rune('a'+i))+".yaml")
			yaml := "county:\n  code: \"320102\"\nschedule:\n  nightly: " + quoteYAML(spec) + "\n"
			if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, loadErr := Load(path)
			s := &schedule.Scheduler{Location: mustZone(t, DefaultTimezone)}
			addErr := s.Add(schedule.Job{Name: "nightly", Spec: spec, Run: func(context.Context) error { return nil }})
			if (loadErr == nil) != (addErr == nil) {
				t.Fatalf("config: %v\nscheduler: %v", loadErr, addErr)
			}
			if loadErr == nil && cfg.Schedule.Nightly != spec {
				t.Errorf("nightly = %q, want %q", cfg.Schedule.Nightly, spec)
			}
		})
	}
}

// quoteYAML writes s as a double-quoted YAML scalar.
func quoteYAML(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
