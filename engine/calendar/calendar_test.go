package calendar

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// shippedPath is the calendar the bureau runs on; the deadline tests use it
// so that they check the real 2025 and 2026 notices, not a toy.
const shippedPath = "../../rules/holidays.yaml"

func shipped(t testing.TB) *Calendar {
	t.Helper()
	c, err := Load(shippedPath)
	if err != nil {
		t.Fatalf("load shipped calendar: %v", err)
	}
	return c
}

// day parses YYYY-MM-DD as UTC midnight.
func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAddWorkdays(t *testing.T) {
	c := shipped(t)
	tests := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		// A plain week: Mon 2025-03-10 + 5 = 11, 12, 13, 14, 17 -> Mon 03-17.
		{"plain week", "2025-03-10", 5, "2025-03-17"},
		// From a Friday, the weekend is skipped: Fri 03-14 + 1 -> Mon 03-17.
		{"over a weekend", "2025-03-14", 1, "2025-03-17"},
		// From a Saturday, the day after is a Sunday: Sat 03-15 + 1 -> Mon 03-17.
		{"from a weekend day", "2025-03-15", 1, "2025-03-17"},
		{"n=0 on a workday", "2025-03-10", 0, "2025-03-10"},
		{"n=0 on a holiday", "2025-10-01", 0, "2025-10-01"},

		// 国庆+中秋 2025: 10-01..10-08 off, Sun 09-28 and Sat 10-11 worked.
		// From Fri 09-26: Sat 27 off; Sun 28 (调休) 1; Mon 29 2; Tue 30 3;
		// 10-01..08 off; Thu 09 4; Fri 10 5; Sat 11 (调休) 6; Sun 12 off;
		// 13..17 7-11; 20..23 12-15 -> Thu 10-23.
		{"国庆 2025, 15", "2025-09-26", 15, "2025-10-23"},
		// ... then Fri 10-24 16; 10-27..31 17-21; 11-03..06 22-25 -> Thu 11-06.
		{"国庆 2025, 25", "2025-09-26", 25, "2025-11-06"},
		// The make-up Saturday is itself the 6th: 09-28 1, 29 2, 30 3, 10-09 4, 10 5, 11 6.
		{"国庆 2025 lands on 调休 Saturday", "2025-09-26", 6, "2025-10-11"},
		// Starting inside the holiday: Wed 10-01 -> 10-09 1, 10 2, 11 3 ... 10-13 4.
		{"国庆 2025 from inside the holiday", "2025-10-01", 4, "2025-10-13"},

		// 春节 2025: 01-28..02-04 off, Sun 01-26 and Sat 02-08 worked.
		// From Fri 01-24: Sat 25 off; Sun 26 (调休) 1; Mon 27 2; 01-28..02-04 off;
		// Wed 05 3; Thu 06 4; Fri 07 5; Sat 08 (调休) 6; Sun 09 off;
		// 02-10..14 7-11; 02-17..20 12-15 -> Thu 02-20.
		{"春节 2025, 15", "2025-01-24", 15, "2025-02-20"},
		// ... Fri 02-21 16; 02-24..28 17-21; 03-03..06 22-25 -> Thu 03-06.
		{"春节 2025, 25", "2025-01-24", 25, "2025-03-06"},

		// 春节 2026: 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked.
		// From Tue 02-10: Wed 11 1; Thu 12 2; Fri 13 3; Sat 14 (调休) 4;
		// 02-15..23 off; Tue 24 5; Wed 25 6; Thu 26 7; Fri 27 8; Sat 28 (调休) 9;
		// Sun 03-01 off; 03-02..06 10-14; Mon 03-09 15 -> 03-09.
		{"春节 2026, 15", "2026-02-10", 15, "2026-03-09"},
		// ... 03-10..13 16-19; 03-16..20 20-24; Mon 03-23 25 -> 03-23.
		{"春节 2026, 25", "2026-02-10", 25, "2026-03-23"},

		// Across the year end into 元旦 2026 (01-01..03 off, Sun 01-04 worked).
		// From Wed 2025-12-24: Thu 25 1; Fri 26 2; 29 3; 30 4; 31 5;
		// 01-01..03 off; Sun 01-04 (调休) 6; 01-05..09 7-11; 01-12..15 12-15 -> 01-15.
		{"across 元旦 2026, 15", "2025-12-24", 15, "2026-01-15"},
		// Start on the last day of a year: Wed 2025-12-31 + 1 -> Sun 2026-01-04 (调休).
		{"from 31 December", "2025-12-31", 1, "2026-01-04"},

		// 国庆 2026: 10-01..07 off, Sun 09-20 and Sat 10-10 worked; 中秋 09-25..27 off.
		// From Fri 09-18: Sun 20 (调休) 1; 21..24 2-5; 25..27 off; 28 6; 29 7; 30 8;
		// 10-01..07 off; Thu 08 9; Fri 09 10; Sat 10 (调休) 11; Sun 11 off;
		// 12..15 12-15 -> Thu 10-15.
		{"中秋+国庆 2026, 15", "2026-09-18", 15, "2026-10-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.AddWorkdays(day(t, tt.start), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if g := got.Format(time.DateOnly); g != tt.want {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tt.start, tt.n, g, tt.want)
			}
			// And back: the count between the two is n again.
			back, err := c.WorkdaysBetween(day(t, tt.start), got)
			if err != nil {
				t.Fatal(err)
			}
			if back != tt.n {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.start, tt.want, back, tt.n)
			}
		})
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := shipped(t)
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		{"same day", "2025-10-01", "2025-10-01", 0},
		{"next working day", "2025-03-10", "2025-03-11", 1},
		{"to a weekend day", "2025-03-14", "2025-03-16", 0},
		// (09-26, 10-23]: 15, the deadline above.
		{"国庆 2025", "2025-09-26", "2025-10-23", 15},
		// Overdue: today 10-27 after a 10-23 deadline: 10-24, 10-27 -> -2.
		{"overdue", "2025-10-27", "2025-10-23", -2},
		// Whole holiday: (09-30, 10-08] holds no working day.
		{"inside 国庆", "2025-09-30", "2025-10-08", 0},
		// The whole of 2026, from 2025-12-31: 248 (see TestShippedYears).
		{"whole year 2026", "2025-12-31", "2026-12-31", 248},
		{"whole year backwards", "2026-12-31", "2025-12-31", -248},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.WorkdaysBetween(day(t, tt.from), day(t, tt.to))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestIsWorkday(t *testing.T) {
	c := shipped(t)
	tests := []struct {
		date string
		want bool
	}{
		{"2025-01-01", false}, // 元旦, a Wednesday
		{"2025-01-26", true},  // Sunday, 调休
		{"2025-02-01", false}, // Saturday inside 春节
		{"2025-02-05", true},  // Wednesday after 春节
		{"2025-10-11", true},  // Saturday, 调休
		{"2025-10-12", false}, // plain Sunday
		{"2026-02-23", false}, // Monday, last day of 春节 2026
		{"2026-02-28", true},  // Saturday, 调休
		{"2026-09-25", false}, // 中秋 2026, a Friday
		{"2027-01-01", false}, // provisional 2027: fixed-date 元旦
		{"2027-02-08", true},  // provisional 2027: 春节 not entered yet
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			got, err := c.IsWorkday(day(t, tt.date))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("IsWorkday(%s) = %v, want %v", tt.date, got, tt.want)
			}
		})
	}
}

func TestNotCovered(t *testing.T) {
	c := shipped(t)
	const covers = "(../../rules/holidays.yaml covers 2025-2027)"
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"IsWorkday before", func() error {
			_, err := c.IsWorkday(day(t, "2024-12-31"))
			return err
		}, "is 2024-12-31 a working day: year not in the holiday calendar: 2024 " + covers},
		{"IsWorkday after", func() error {
			_, err := c.IsWorkday(day(t, "2028-01-03"))
			return err
		}, "is 2028-01-03 a working day: year not in the holiday calendar: 2028 " + covers},
		// 2027-12-20 + 15 needs 2028: 12-21..24 1-4, 27..31 5-9, then 2028.
		{"AddWorkdays runs past the end", func() error {
			_, err := c.AddWorkdays(day(t, "2027-12-20"), 15)
			return err
		}, "add 15 working days to 2027-12-20: year not in the holiday calendar: 2028 " + covers},
		{"WorkdaysBetween", func() error {
			_, err := c.WorkdaysBetween(day(t, "2027-12-20"), day(t, "2028-01-10"))
			return err
		}, "count working days from 2027-12-20 to 2028-01-10: year not in the holiday calendar: 2028 " + covers},
		{"WorkdaysBetween backwards", func() error {
			_, err := c.WorkdaysBetween(day(t, "2025-01-10"), day(t, "2024-12-20"))
			return err
		}, "count working days from 2025-01-10 to 2024-12-20: year not in the holiday calendar: 2024 " + covers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, ErrNotCovered) {
				t.Fatalf("error %v, want one wrapping ErrNotCovered", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestEdgesOfCoverage: only the days counted must be covered, so a count
// that starts on the last day of an uncovered year, or stops on the last
// covered day, works.
func TestEdgesOfCoverage(t *testing.T) {
	c := shipped(t)
	// 2025-01-01 is 元旦; Thu 01-02 is the first working day of 2025.
	got, err := c.AddWorkdays(day(t, "2024-12-31"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Format(time.DateOnly); g != "2025-01-02" {
		t.Errorf("AddWorkdays(2024-12-31, 1) = %s, want 2025-01-02", g)
	}
	// Fri 2027-12-31 is the last working day covered: 12-27..31 are 5.
	got, err = c.AddWorkdays(day(t, "2027-12-24"), 5)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Format(time.DateOnly); g != "2027-12-31" {
		t.Errorf("AddWorkdays(2027-12-24, 5) = %s, want 2027-12-31", g)
	}
	if _, err := c.AddWorkdays(day(t, "2027-12-31"), 1); !errors.Is(err, ErrNotCovered) {
		t.Errorf("AddWorkdays(2027-12-31, 1): error %v, want ErrNotCovered", err)
	}
	// n == 0 needs no calendar at all.
	if got, err := c.AddWorkdays(day(t, "2030-06-01"), 0); err != nil || !got.Equal(day(t, "2030-06-01")) {
		t.Errorf("AddWorkdays(2030-06-01, 0) = %v, %v; want the start back", got, err)
	}
}

func TestAddWorkdaysNegative(t *testing.T) {
	c := shipped(t)
	_, err := c.AddWorkdays(day(t, "2025-03-10"), -1)
	const want = "add -1 working days to 2025-03-10: the count must not be negative"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestClockAndZone pins down "only the date matters, in the time's own
// location": the clock is ignored and kept, and the location decides the day.
func TestClockAndZone(t *testing.T) {
	c := shipped(t)
	cst := time.FixedZone("CST", 8*3600)
	// Fri 2025-09-26 23:30 in Shanghai is 15:30 UTC the same day.
	start := time.Date(2025, 9, 26, 23, 30, 0, 0, cst)
	got, err := c.AddWorkdays(start, 15)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 10, 23, 23, 30, 0, 0, cst); !got.Equal(want) || got.Location() != cst {
		t.Errorf("AddWorkdays = %v, want %v (same clock and zone)", got, want)
	}
	// 2025-09-30 20:00 UTC is already 10-01 in Shanghai: a holiday there,
	// a working day (Tuesday 09-30) in UTC.
	utc := time.Date(2025, 9, 30, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{{utc, true}, {utc.In(cst), false}} {
		got, err := c.IsWorkday(tc.t)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("IsWorkday(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

// TestAgainstNaive checks AddWorkdays and WorkdaysBetween, which use the
// running counts, against a day-by-day walk over IsWorkday, from every
// start day of the covered years.
func TestAgainstNaive(t *testing.T) {
	c := shipped(t)
	first, last := day(t, "2025-01-01"), day(t, "2027-12-31")
	for start := first; !start.After(last); start = start.AddDate(0, 0, 1) {
		// Naive: walk forward, noting the date of each working day.
		var hits []time.Time
		for d := start.AddDate(0, 0, 1); len(hits) < 30 && !d.After(last); d = d.AddDate(0, 0, 1) {
			if w, _ := c.IsWorkday(d); w {
				hits = append(hits, d)
			}
		}
		for n := 1; n <= len(hits); n++ {
			got, err := c.AddWorkdays(start, n)
			if err != nil {
				t.Fatalf("AddWorkdays(%s, %d): %v", start.Format(time.DateOnly), n, err)
			}
			if !got.Equal(hits[n-1]) {
				t.Fatalf("AddWorkdays(%s, %d) = %s, walk gives %s", start.Format(time.DateOnly), n,
					got.Format(time.DateOnly), hits[n-1].Format(time.DateOnly))
			}
		}
		// Between start and every day up to 40 days on, both ways.
		n := 0
		for d := start.AddDate(0, 0, 1); d.Sub(start) <= 40*24*time.Hour && !d.After(last); d = d.AddDate(0, 0, 1) {
			if w, _ := c.IsWorkday(d); w {
				n++
			}
			fwd, err1 := c.WorkdaysBetween(start, d)
			back, err2 := c.WorkdaysBetween(d, start)
			if err1 != nil || err2 != nil || fwd != n || back != -n {
				t.Fatalf("WorkdaysBetween(%s, %s) = %d, %v and back %d, %v; walk gives %d",
					start.Format(time.DateOnly), d.Format(time.DateOnly), fwd, err1, back, err2, n)
			}
		}
	}
}

func TestYearsAndCovers(t *testing.T) {
	c := mustParse(t, `years:
  2025:
    source: test
  2027:
    source: test
  2028:
    provisional: true
`)
	if got := c.Years(); len(got) != 3 || got[0] != 2025 || got[1] != 2027 || got[2] != 2028 {
		t.Errorf("Years() = %v, want [2025 2027 2028]", got)
	}
	for _, tt := range []struct {
		date string
		want bool
	}{{"2024-12-31", false}, {"2025-01-01", true}, {"2026-06-01", false}, {"2027-06-01", true}, {"2028-12-31", true}, {"2029-01-01", false}} {
		if got := c.Covers(day(t, tt.date)); got != tt.want {
			t.Errorf("Covers(%s) = %v, want %v", tt.date, got, tt.want)
		}
	}
	// A gap in the years stops a count that crosses it.
	_, err := c.AddWorkdays(day(t, "2025-12-30"), 5)
	const want = "add 5 working days to 2025-12-30: year not in the holiday calendar: 2026 (test.yaml covers 2025, 2027-2028)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
	if !c.Provisional(2028) || c.Provisional(2025) || c.Provisional(2026) {
		t.Errorf("Provisional: 2028 %v, 2025 %v, 2026 %v; want true, false, false",
			c.Provisional(2028), c.Provisional(2025), c.Provisional(2026))
	}
	if c.Source(2025) != "test" || c.Source(2026) != "" {
		t.Errorf("Source: 2025 %q, 2026 %q; want \"test\", \"\"", c.Source(2025), c.Source(2026))
	}
}

// TestZeroCalendar: a zero or nil Calendar covers nothing and says so
// rather than panicking.
func TestZeroCalendar(t *testing.T) {
	for name, c := range map[string]*Calendar{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			_, err := c.IsWorkday(day(t, "2025-01-02"))
			if !errors.Is(err, ErrNotCovered) || !strings.HasSuffix(err.Error(), "2025 (covers no year)") {
				t.Errorf("error %v", err)
			}
			if len(c.Years()) != 0 || c.Covers(day(t, "2025-01-02")) {
				t.Errorf("a zero calendar covers something")
			}
		})
	}
}

// Issue 9: a holidays file that is an alias bomb is refused at once,
// with its place, instead of expanding to billions of nodes.
func TestParseRefusesAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x:\n  a0: &a0 [2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01, 2026-01-01]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	_, err := Parse("holidays.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "holidays.yaml:") || !strings.Contains(err.Error(), "expand to more than 1000000 nodes") {
		t.Fatalf("got %v", err)
	}
}
