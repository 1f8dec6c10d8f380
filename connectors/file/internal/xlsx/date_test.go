package xlsx

import (
	"math"
	"testing"
	"time"
)

func TestSerialDate(t *testing.T) {
	tests := []struct {
		name   string
		v      float64
		in1904 bool
		want   string // "" when the number names no day
	}{
		{"first day", 1, false, "1900-01-01"},
		{"before the phantom day", 59, false, "1900-02-28"},
		{"the phantom 1900-02-29", 60, false, "1900-02-29"},
		{"after the phantom day", 61, false, "1900-03-01"},
		{"a 1924 birth (4 digits)", 9000, false, "1924-08-21"},
		{"the first 5-digit serial", 10000, false, "1927-05-18"},
		{"unix epoch", 25569, false, "1970-01-01"},
		{"a 2026 date", 46086, false, "2026-03-05"},
		{"noon", 46086.5, false, "2026-03-05 12:00:00"},
		{"a time with seconds", 46086 + (10*3600+30*60+15)/86400.0, false, "2026-03-05 10:30:15"},
		{"rounded to the next day", 46086.999999999, false, "2026-03-06"},
		{"the last day", 2958465, false, "9999-12-31"},
		{"past the last day", 2958466, false, ""},
		{"a bare time of day", 0.5, false, ""},
		{"zero", 0, false, ""},
		{"minus zero", math.Copysign(0, -1), false, ""},
		{"negative", -1, false, ""},
		// Issue 9: a zero (or a bare time) is no date in either system.
		{"1904: day 0", 0, true, ""},
		{"1904: minus zero", math.Copysign(0, -1), true, ""},
		{"1904: a time on day 0", 0.25, true, ""},
		{"1904: noon of day 0", 0.5, true, ""},
		{"1904: day 1", 1, true, "1904-01-02"},
		{"1904: a time on day 1", 1.25, true, "1904-01-02 06:00:00"},
		{"1904: field case 01", 44853, true, "2026-10-20"},
		{"1904: field case 01, second row", 42369, true, "2020-01-01"},
		{"1904: 1462 days fewer than 1900", 46086 - 1462, true, "2026-03-05"},
		{"1904: the last day", 2957003, true, "9999-12-31"},
		{"1904: past the last day", 2957004, true, ""},
		{"1904: negative", -1, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := serialDate(nil, tt.v, tt.in1904)
			if string(got) != tt.want || ok != (tt.want != "") {
				t.Errorf("serialDate(%v, 1904=%v) = %q, %v; want %q", tt.v, tt.in1904, got, ok, tt.want)
			}
		})
	}
}

// civil agrees with the time package on every day Excel can show.
func TestCivil(t *testing.T) {
	start := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	for d := epoch1900; d <= lastDay; d++ {
		want := start.AddDate(0, 0, d-epoch1900)
		y, m, dd := civil(d)
		if y != want.Year() || m != int(want.Month()) || dd != want.Day() {
			t.Fatalf("civil(%d) = %d-%d-%d, want %s", d, y, m, dd, want.Format(time.DateOnly))
		}
	}
}

func TestISODate(t *testing.T) {
	tests := map[string]string{
		"2026-03-05":                "2026-03-05",
		"2026-03-05T00:00:00":       "2026-03-05",
		"2026-03-05T10:30:00":       "2026-03-05 10:30:00",
		"2026-03-05T10:30:00Z":      "2026-03-05 10:30:00",
		"2026-03-05T10:30:00.123Z":  "2026-03-05 10:30:00",
		"2026-03-05T10:30:00+08:00": "2026-03-05 10:30:00",
		"2026-03-05T10:30":          "2026-03-05 10:30:00",
		"1925-02-01":                "1925-02-01",
		"10:30:00":                  "",
		"2026-13-05":                "",
		"2026-03-05T25:00:00":       "",
		"2026-03-05junk":            "",
		"20260305":                  "",
		"":                          "",
	}
	for in, want := range tests {
		got, ok := isoDate(nil, in)
		if string(got) != want || ok != (want != "") {
			t.Errorf("isoDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
