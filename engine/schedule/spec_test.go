package schedule

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

var shanghai = mustLoadLocation("Asia/Shanghai")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// sh is a wall time in Shanghai.
func sh(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, shanghai)
}

func TestPrevTick(t *testing.T) {
	tests := []struct {
		name string
		spec string
		at   time.Time
		want time.Time
	}{
		{"later that night", "30 2 * * *", sh(2026, 3, 10, 3, 0, 0), sh(2026, 3, 10, 2, 30, 0)},
		{"just before the tick", "30 2 * * *", sh(2026, 3, 10, 2, 29, 59), sh(2026, 3, 9, 2, 30, 0)},
		{"on the tick", "30 2 * * *", sh(2026, 3, 10, 2, 30, 0), sh(2026, 3, 10, 2, 30, 0)},
		{"just after the tick", "30 2 * * *", sh(2026, 3, 10, 2, 30, 0).Add(time.Millisecond), sh(2026, 3, 10, 2, 30, 0)},
		// 01:00 in Shanghai is 17:00 UTC the day before: read in UTC the
		// answer would be 02:30 UTC on the 9th, i.e. 10:30 in Shanghai.
		{"read in the county's zone", "30 2 * * *", sh(2026, 3, 10, 1, 0, 0).UTC().In(shanghai), sh(2026, 3, 9, 2, 30, 0)},
		{"midnight, on it", "0 0 * * *", sh(2026, 3, 10, 0, 0, 0), sh(2026, 3, 10, 0, 0, 0)},
		{"midnight, a second before", "0 0 * * *", sh(2026, 3, 9, 23, 59, 59), sh(2026, 3, 9, 0, 0, 0)},
		{"late tick, after midnight", "30 23 * * *", sh(2026, 3, 10, 0, 10, 0), sh(2026, 3, 9, 23, 30, 0)},
		{"every minute", "* * * * *", sh(2026, 3, 10, 3, 0, 30), sh(2026, 3, 10, 3, 0, 0)},
		{"monthly, across the year", "0 0 1 * *", sh(2025, 12, 31, 23, 59, 0), sh(2025, 12, 1, 0, 0, 0)},
		{"monthly, new year", "0 0 1 * *", sh(2026, 1, 1, 0, 0, 1), sh(2026, 1, 1, 0, 0, 0)},
		{"weekdays, on a Sunday", "30 2 * * 1-5", sh(2026, 3, 8, 12, 0, 0), sh(2026, 3, 6, 2, 30, 0)},
		{"yearly descriptor", "@yearly", sh(2026, 3, 10, 3, 0, 0), sh(2026, 1, 1, 0, 0, 0)},
		{"leap day", "0 0 29 2 *", sh(2026, 3, 10, 3, 0, 0), sh(2024, 2, 29, 0, 0, 0)},
		// Parse rejects a schedule that never fires; prevTick still copes
		// with one, so it is built with cron's parser directly.
		{"never", "0 0 30 2 *", sh(2026, 3, 10, 3, 0, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := parseStandard(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := prevTick(sched, tt.at); !got.Equal(tt.want) {
				t.Errorf("prevTick(%q, %s) = %s, want %s", tt.spec, tt.at, got, tt.want)
			}
		})
	}
}

func TestPrevTickEvery(t *testing.T) {
	sched, err := Parse("@every 1h", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := sh(2026, 3, 10, 3, 0, 0)
	got := prevTick(sched, at)
	if got.After(at) || !got.After(at.Add(-time.Hour)) {
		t.Errorf("prevTick(@every 1h, %s) = %s, want within the hour before", at, got)
	}
}

// TestPrevTickProperty checks prevTick against cron's own Next: the result
// is a tick, at or before at, and no tick lies between it and at.
func TestPrevTickProperty(t *testing.T) {
	specs := []string{"30 2 * * *", "0 0 * * *", "*/15 * * * *", "0 9-17 * * 1-5", "0 3 1,15 * *", "@weekly"}
	rng := rand.New(rand.NewPCG(1, 2))
	base := sh(2025, 1, 1, 0, 0, 0)
	for _, spec := range specs {
		sched, err := Parse(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			at := base.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
			prev := prevTick(sched, at)
			if prev.IsZero() || prev.After(at) {
				t.Fatalf("%q at %s: prev %s", spec, at, prev)
			}
			if !sched.Next(prev.Add(-time.Second)).Equal(prev) {
				t.Fatalf("%q at %s: prev %s is not a tick", spec, at, prev)
			}
			if n := sched.Next(prev); !n.After(at) {
				t.Fatalf("%q at %s: prev %s, but %s is a later tick", spec, at, prev, n)
			}
		}
	}
}

func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		after time.Time
		want  time.Time
	}{
		{"after tonight's tick", sh(2026, 3, 10, 3, 0, 0), sh(2026, 3, 11, 2, 30, 0)},
		{"before tonight's tick", sh(2026, 3, 10, 1, 0, 0), sh(2026, 3, 10, 2, 30, 0)},
		{"given in UTC", time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC), sh(2026, 3, 10, 2, 30, 0)},
		{"on the tick", sh(2026, 3, 10, 2, 30, 0), sh(2026, 3, 11, 2, 30, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Next("30 2 * * *", shanghai, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.Location() != shanghai {
				t.Errorf("Next = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNextErrors(t *testing.T) {
	now := sh(2026, 3, 10, 3, 0, 0)
	for _, tt := range []struct {
		spec string
		loc  *time.Location
		want string
	}{
		{"0 2 * *", shanghai, `invalid cron schedule "0 2 * *": expected exactly 5 fields, found 4`},
		{"", shanghai, "empty cron schedule"},
		{"0 0 30 2 *", shanghai, `cron schedule "0 0 30 2 *" never fires`},
		{"30 2 * * *", nil, "nil location"},
	} {
		_, err := Next(tt.spec, tt.loc, now)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Next(%q) error = %v, want it to contain %q", tt.spec, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	urumqi := mustLoadLocation("Asia/Urumqi")
	tests := []struct {
		name   string
		spec   string
		county *time.Location
		want   string // "" when the spec is accepted
	}{
		{"five fields", "30 2 * * *", shanghai, ""},
		{"surrounding blanks", "  30 2 * * 1-5\t", shanghai, ""},
		{"descriptor", "@daily", shanghai, ""},
		{"every", "@every 90m", shanghai, ""},
		{"leap day fires every four years", "0 0 29 2 *", shanghai, ""},
		{"empty", "", shanghai, "empty cron schedule"},
		{"blank", " \t ", shanghai, "empty cron schedule"},
		{"four fields", "0 2 * *", shanghai, `invalid cron schedule "0 2 * *": expected exactly 5 fields, found 4: [0 2 * *]`},
		{"never fires", "0 0 30 2 *", shanghai, `cron schedule "0 0 30 2 *" never fires`},
		{"never fires, 31 April", "0 0 31 4 *", shanghai, `cron schedule "0 0 31 4 *" never fires`},
		// Each of these makes cron.ParseStandard panic or misread.
		{"TZ, no fields", "TZ=Asia/Shanghai", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove TZ=Asia/Shanghai"},
		{"CRON_TZ, no fields", "CRON_TZ=UTC", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=UTC"},
		{"CRON_TZ, tab before the fields", "CRON_TZ=UTC\t30 2 * * *", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=UTC"},
		{"TZ, trailing blank", "TZ=UTC ", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove TZ=UTC"},
		{"empty zone, read as UTC by cron", "TZ= 30 2 * * *", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove TZ="},
		{"another zone", "CRON_TZ=UTC 30 2 * * *", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=UTC"},
		{"the county's own zone", "CRON_TZ=Asia/Shanghai 30 2 * * *", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=Asia/Shanghai"},
		{"another county's zone", "TZ=Asia/Shanghai 30 2 * * *", urumqi, "schedules are read in the county's time zone (Asia/Urumqi); remove TZ=Asia/Shanghai"},
		{"lower case", "cron_tz=UTC 30 2 * * *", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove cron_tz=UTC"},
		{"no county zone known", "TZ=UTC", nil, "schedules are read in the county's time zone; remove TZ=UTC"},
		{"descriptor with a zone", "CRON_TZ=UTC @daily", shanghai, "schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := Parse(tt.spec, tt.county)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Parse(%q) = %v, want it accepted", tt.spec, err)
			case tt.want == "" && sched.Next(sh(2026, 3, 10, 3, 0, 0)).IsZero():
				t.Fatalf("Parse(%q) accepted a schedule that never fires", tt.spec)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("Parse(%q) error =\n  %v\nwant\n  %s", tt.spec, err, tt.want)
			}
		})
	}
}

// TestParseIsTheSchedulersCheck: a spec the scheduler is given goes
// through the same check as config, so a rejected spec fails Add and Next.
func TestParseIsTheSchedulersCheck(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for _, spec := range []string{"TZ=Asia/Shanghai", "CRON_TZ=UTC", "CRON_TZ=UTC 30 2 * * *"} {
		s := &Scheduler{Location: shanghai}
		if err := s.Add(Job{Name: "nightly", Spec: spec, Run: ok}); err == nil || !strings.Contains(err.Error(), "schedules are read in the county's time zone") {
			t.Errorf("Add(%q) = %v", spec, err)
		}
		if _, err := Next(spec, shanghai, sh(2026, 3, 10, 3, 0, 0)); err == nil || !strings.Contains(err.Error(), "remove ") {
			t.Errorf("Next(%q) = %v", spec, err)
		}
	}
}

// TestParseStandardRecovers feeds the guard the inputs that make
// cron.ParseStandard (v3.0.1) panic: it returns an error instead.
func TestParseStandardRecovers(t *testing.T) {
	for _, spec := range []string{"TZ=Asia/Shanghai", "CRON_TZ=UTC", "TZ=", "CRON_TZ=UTC\t@daily"} {
		t.Run(spec, func(t *testing.T) {
			if !panics(func() { cron.ParseStandard(spec) }) {
				t.Fatalf("cron.ParseStandard(%q) no longer panics: pick another input for this test", spec)
			}
			sched, err := parseStandard(spec)
			if err == nil || sched != nil || !strings.Contains(err.Error(), "the cron parser failed on it") {
				t.Fatalf("parseStandard(%q) = %v, %v", spec, sched, err)
			}
		})
	}
}

func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

// FuzzParse: Parse never panics, never accepts a time-zone prefix, and
// what it accepts fires.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"30 2 * * *", "@every 1h", "@daily", "*/5 1-3 * * MON-FRI", "0 0 30 2 *", "TZ=UTC",
		"CRON_TZ=Asia/Shanghai 30 2 * * *", "CRON_TZ=UTC\t0 0 * * *", "TZ= 1 2 3 4 5", "0 0 29 2 *", "1,2-5/2 * * JAN-MAR *"} {
		f.Add(s)
	}
	now := sh(2026, 3, 10, 3, 0, 0)
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := parseAt(spec, shanghai, now)
		if err != nil {
			return
		}
		if _, zoned := zonePrefix(strings.TrimSpace(spec)); zoned {
			t.Fatalf("accepted a time-zone prefix: %q", spec)
		}
		if sched.Next(now).IsZero() {
			t.Fatalf("accepted %q, which never fires", spec)
		}
	})
}

// TestParseRejectsTinyIntervals: "@every -1h", "@every 0s" and "@every 1ns"
// parse in cron as a job every second: rejected.
func TestParseRejectsTinyIntervals(t *testing.T) {
	for _, spec := range []string{"@every -1h", "@every 0s", "@every 1ns", "@every 500ms"} {
		if _, err := Parse(spec, nil); err == nil || !strings.Contains(err.Error(), "at least a second") {
			t.Errorf("%s: %v", spec, err)
		}
	}
	if _, err := Parse("@every 1h", nil); err != nil {
		t.Error(err)
	}
}
