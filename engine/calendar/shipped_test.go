package calendar

import (
	"testing"
	"time"
)

// notice is one year of a State Council notice, transcribed here a second
// time, independently of rules/holidays.yaml, so that a slip in either
// shows up as a disagreement.
type notice struct {
	source      string
	provisional bool
	off         [][2]string // inclusive spans of days off, as the notice gives them
	worked      []string    // weekend days worked (调休)
	// workdays is the year's count of working days, worked out by hand:
	// weekdays (Monday-Friday) of the year, minus the weekdays inside off,
	// plus len(worked).
	workdays int
}

var notices = map[int]notice{
	// 国办发明电〔2024〕12号. 2025 starts on a Wednesday: 365 days = 52 weeks
	// + Wed, so 52*5 + 1 = 261 weekdays. Weekdays off: 元旦 01-01 Wed (1);
	// 春节 01-28 Tue..02-04 Tue (6: Tue-Fri, Mon-Tue); 清明 04-04 Fri (1);
	// 劳动节 05-01 Thu..05-05 Mon (3); 端午 06-02 Mon (1); 国庆+中秋
	// 10-01 Wed..10-08 Wed (6) = 18. Worked: 5. 261 - 18 + 5 = 248.
	2025: {
		source: "国办发明电〔2024〕12号",
		off: [][2]string{
			{"2025-01-01", "2025-01-01"},
			{"2025-01-28", "2025-02-04"},
			{"2025-04-04", "2025-04-06"},
			{"2025-05-01", "2025-05-05"},
			{"2025-05-31", "2025-06-02"},
			{"2025-10-01", "2025-10-08"},
		},
		worked:   []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"},
		workdays: 248,
	},
	// 国办发明电〔2025〕7号 (2025-11-04). 2026 starts on a Thursday: 52*5 + 1 =
	// 261 weekdays. Weekdays off: 元旦 01-01 Thu, 01-02 Fri (2); 春节 02-15
	// Sun..02-23 Mon (6: Mon-Fri, Mon); 清明 04-06 Mon (1); 劳动节 05-01 Fri,
	// 05-04 Mon, 05-05 Tue (3); 端午 06-19 Fri (1); 中秋 09-25 Fri (1);
	// 国庆 10-01 Thu..10-07 Wed (5) = 19. Worked: 6. 261 - 19 + 6 = 248.
	2026: {
		source: "国办发明电〔2025〕7号",
		off: [][2]string{
			{"2026-01-01", "2026-01-03"},
			{"2026-02-15", "2026-02-23"},
			{"2026-04-04", "2026-04-06"},
			{"2026-05-01", "2026-05-05"},
			{"2026-06-19", "2026-06-21"},
			{"2026-09-25", "2026-09-27"},
			{"2026-10-01", "2026-10-07"},
		},
		worked:   []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"},
		workdays: 248,
	},
	// Provisional: fixed-date statutory holidays only. 2027 starts on a
	// Friday: 52*5 + 1 = 261 weekdays. Weekdays off: 元旦 01-01 Fri (1);
	// 劳动节 05-01, 05-02 are Sat, Sun (0); 国庆 10-01 Fri (1) = 2.
	// 261 - 2 = 259, and the notice can only lower it.
	2027: {
		provisional: true,
		off: [][2]string{
			{"2027-01-01", "2027-01-01"},
			{"2027-05-01", "2027-05-02"},
			{"2027-10-01", "2027-10-03"},
		},
		workdays: 259,
	},
}

// TestShippedYears loads rules/holidays.yaml and checks, for each year,
// every day against the notice transcribed above, and the year's count of
// working days both by IsWorkday day by day and by WorkdaysBetween.
func TestShippedYears(t *testing.T) {
	c := shipped(t)
	if got := c.Years(); len(got) != len(notices) {
		t.Fatalf("shipped years %v, want %d years", got, len(notices))
	}
	for _, y := range c.Years() {
		t.Run(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), func(t *testing.T) {
			nt, ok := notices[y]
			if !ok {
				t.Fatalf("year %d is shipped but not transcribed in this test", y)
			}
			if c.Source(y) != nt.source || c.Provisional(y) != nt.provisional {
				t.Errorf("source %q provisional %v, want %q %v", c.Source(y), c.Provisional(y), nt.source, nt.provisional)
			}
			off, worked := map[string]bool{}, map[string]bool{}
			for _, span := range nt.off {
				for d := day(t, span[0]); !d.After(day(t, span[1])); d = d.AddDate(0, 0, 1) {
					off[d.Format(time.DateOnly)] = true
				}
			}
			for _, s := range nt.worked {
				worked[s] = true
			}
			count := 0
			for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
				s := d.Format(time.DateOnly)
				wd := d.Weekday()
				want := worked[s] || wd != time.Saturday && wd != time.Sunday && !off[s]
				got, err := c.IsWorkday(d)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("IsWorkday(%s, %s) = %v, the notice says %v", s, wd, got, want)
				}
				if got {
					count++
				}
			}
			if count != nt.workdays {
				t.Errorf("%d working days, worked out by hand: %d", count, nt.workdays)
			}
			between, err := c.WorkdaysBetween(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if first, _ := c.IsWorkday(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)); first {
				between++
			}
			if between != nt.workdays {
				t.Errorf("WorkdaysBetween over the year gives %d, want %d", between, nt.workdays)
			}
		})
	}
}
