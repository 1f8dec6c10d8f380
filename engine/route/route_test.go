package route

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/calendar"
)

func router(t *testing.T) *Router {
	t.Helper()
	cal, err := calendar.Load("../../rules/holidays.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &Router{CountyCode: "340799", Townships: map[string]string{"340799001": "城关镇"}, Calendar: cal, Days: 15, ExtensionDays: 25}
}

func TestTownship(t *testing.T) {
	r := router(t)
	for code, want := range map[string]string{
		"340799001": "340799001", "": CountyQueue, "340799099": CountyQueue, "340798001": CountyQueue, "34079900": CountyQueue,
	} {
		if got := r.Township(code); got != want {
			t.Errorf("Township(%q) = %q, want %q", code, got, want)
		}
	}
	if r.Name(CountyQueue) != CountyQueueName || r.Name("340799001") != "城关镇" || r.Name("340799002") != "340799002" {
		t.Error("names")
	}
}

func TestDeadlineCountsWorkingDays(t *testing.T) {
	r := router(t)
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, c := range []struct {
		from     string
		extended bool
		want     string
	}{
		// 2026-11-30 (Mon) + 15 working days: three plain weeks.
		{"2026-11-30", false, "2026-12-21"},
		// 2025-09-26 (Fri): 9/28 (Sun) is worked, 10/1-10/8 off, 10/11 (Sat) worked:
		// 9/28 9/29 9/30 10/9 10/10 10/11 10/13 10/14 10/15 10/16 10/17 10/20 10/21 10/22 10/23.
		{"2025-09-26", false, "2025-10-23"},
		{"2026-11-30", true, "2027-01-05"}, // 25 days, across 2027-01-01
	} {
		got, err := r.Deadline(d(c.from), c.extended)
		if err != nil {
			t.Fatal(err)
		}
		if got.Format(time.DateOnly) != c.want {
			t.Errorf("Deadline(%s, %v) = %s, want %s", c.from, c.extended, got.Format(time.DateOnly), c.want)
		}
	}
	if !Overdue(d("2026-12-21"), d("2026-12-22")) || Overdue(d("2026-12-21"), d("2026-12-21")) || Overdue(time.Time{}, d("2026-12-22")) {
		t.Error("Overdue")
	}
}

func TestLoadDivisions(t *testing.T) {
	d, err := LoadDivisions("../../testdata/county/divisions.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Townships) != 12 || len(d.Villages) != 210 || d.Townships["340799001"] != "城关镇" || d.Villages["340799001001"] == "" {
		t.Errorf("divisions: %d townships, %d villages", len(d.Townships), len(d.Villages))
	}
	bad := filepath.Join(t.TempDir(), "d.csv")
	os.WriteFile(bad, []byte("代码,名称\n3407990,某地\n"), 0o644)
	if _, err := LoadDivisions(bad); err == nil || !strings.Contains(err.Error(), "d.csv:2:") {
		t.Errorf("bad code: %v", err)
	}
}
