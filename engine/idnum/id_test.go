package idnum

import (
	"testing"
	"time"
)

func TestAccessors(t *testing.T) {
	tests := []struct {
		id     ID
		birth  time.Time
		gender Gender
		area   string
	}{
		{sampleA, date(1949, 12, 31), Female, "110105"},
		{sampleB, date(1880, 1, 1), Male, "440524"},
		{"340799198506151231", date(1985, 6, 15), Male, "340799"},
		{ID(withCheck(t, "34079920000229002")), date(2000, 2, 29), Female, "340799"},
	}
	for _, tt := range tests {
		t.Run(string(tt.id), func(t *testing.T) {
			if got := tt.id.BirthDate(); !got.Equal(tt.birth) || got.Location() != time.UTC {
				t.Errorf("BirthDate = %v, want %v", got, tt.birth)
			}
			if got := tt.id.Gender(); got != tt.gender {
				t.Errorf("Gender = %s, want %s", got, tt.gender)
			}
			if got := tt.id.AreaCode(); got != tt.area {
				t.Errorf("AreaCode = %q, want %q", got, tt.area)
			}
		})
	}
}

func TestAccessorsOfInvalidID(t *testing.T) {
	for _, id := range []ID{"", "11010519491231002x", "110105194912310021", "110105491231002", "not an id"} {
		t.Run(string(id), func(t *testing.T) {
			if got := id.BirthDate(); !got.IsZero() {
				t.Errorf("BirthDate = %v, want zero", got)
			}
			if got := id.Gender(); got != Unknown {
				t.Errorf("Gender = %s, want unknown", got)
			}
			if got := id.AreaCode(); got != "" {
				t.Errorf("AreaCode = %q, want empty", got)
			}
			if got := id.Age(date(2020, 1, 1)); got != 0 {
				t.Errorf("Age = %d, want 0", got)
			}
		})
	}
}

func TestGenderString(t *testing.T) {
	for g, want := range map[Gender]string{Male: "male", Female: "female", Unknown: "unknown", 7: "unknown"} {
		if got := g.String(); got != want {
			t.Errorf("Gender(%d).String() = %q, want %q", int(g), got, want)
		}
	}
}

func TestAge(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	leap := ID(withCheck(t, "34079920000229002")) // born 2000-02-29
	tests := []struct {
		name string
		id   ID
		on   time.Time
		want int
	}{
		{"day before 70th birthday", sampleA, date(2019, 12, 30), 69},
		{"70th birthday", sampleA, date(2019, 12, 31), 70},
		{"day after 70th birthday", sampleA, date(2020, 1, 1), 70},
		{"month before birthday month", sampleA, date(2019, 11, 30), 69},
		{"birth date", sampleA, date(1949, 12, 31), 0},
		{"day before birth", sampleA, date(1949, 12, 30), -1},
		{"year before birth", sampleA, date(1948, 12, 31), -1},
		// The calendar date in on's location counts: 00:30 in Beijing on
		// the birthday is still the day before in UTC.
		{"birthday in Beijing", sampleA, time.Date(2019, 12, 31, 0, 30, 0, 0, shanghai), 70},
		{"leap: 28 Feb of a common year", leap, date(2001, 2, 28), 0},
		{"leap: 1 Mar of a common year", leap, date(2001, 3, 1), 1},
		{"leap: 28 Feb of a leap year", leap, date(2004, 2, 28), 3},
		{"leap: 29 Feb of a leap year", leap, date(2004, 2, 29), 4},
		{"leap: 60 on 1 Mar 2060", leap, date(2060, 3, 1), 60},
		{"leap: still 58 on 28 Feb 2059", leap, date(2059, 2, 28), 58},
		{"sample B", sampleB, date(2024, 6, 1), 144},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.Age(tt.on); got != tt.want {
				t.Errorf("Age(%s) = %d, want %d", tt.on.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}
