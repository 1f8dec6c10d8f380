package idnum

import (
	"errors"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func TestUpgrade15RoundTrip(t *testing.T) {
	// Each 18-character number born in the 1900s, with "19" and its check
	// character removed, must upgrade back to itself.
	ids := []string{
		sampleA,
		"340799198506151231",
		withCheck(t, "34079919991231001"),
	}
	for i := range 50 {
		id, err := Build("340799", date(1900, 1, 1).AddDate(0, 0, i*733), i*37%1000)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(id))
	}
	for _, id18 := range ids {
		t.Run(id18, func(t *testing.T) {
			id15 := id18[:6] + id18[8:17]
			got, err := Upgrade15(id15)
			if err != nil {
				t.Fatalf("Upgrade15: %v", err)
			}
			if string(got) != id18 {
				t.Errorf("Upgrade15 = %q, want %q", got, id18)
			}
			if p, err := Parse(id15); err != nil || p != got {
				t.Errorf("Parse(legacy) = %q, %v", p, err)
			}
		})
	}
}

func TestUpgrade15Errors(t *testing.T) {
	tests := []struct {
		name, in string
		msg      string
	}{
		{"empty", " ", "ID number is empty"},
		{"18 characters", sampleA, "legacy ID number has 18 characters; want 15"},
		{"14 digits", "11010549123100", "legacy ID number has 14 characters; want 15"},
		{"X", "11010549123100X", "legacy ID number contains characters other than digits"},
		{"Chinese character", "11010549123100号", "legacy ID number contains characters other than digits"},
		{"area", "010105491231002", "ID number area code must be 6 digits and not start with 0"},
		{"date", "110105491331002", "ID number birth date is not a real date (or is before 1800)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Upgrade15(tt.in)
			if err == nil || err.Error() != tt.msg {
				t.Fatalf("Upgrade15 = %q, %v; want error %q", got, err, tt.msg)
			}
			assertNoLeak(t, err.Error(), tt.in)
		})
	}
}

func TestBuild(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name  string
		area  string
		birth time.Time
		seq   int
		want  ID
	}{
		{"sample A", "110105", date(1949, 12, 31), 2, sampleA},
		{"sample B", "440524", date(1880, 1, 1), 1, sampleB},
		{"hand computed", "340799", date(1985, 6, 15), 123, "340799198506151231"},
		{"seq 0", "340799", date(2000, 2, 29), 0, ID(withCheck(t, "34079920000229000"))},
		{"seq 999", "340799", date(2010, 10, 1), 999, ID(withCheck(t, "34079920101001999"))},
		// 00:30 in Beijing on 1 March is still 28 February in UTC: the
		// calendar date in birth's own location is used.
		{"local calendar date", "340799", time.Date(1990, 3, 1, 0, 30, 0, 0, shanghai), 11, ID(withCheck(t, "34079919900301011"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Build(tt.area, tt.birth, tt.seq)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got != tt.want {
				t.Errorf("Build = %q, want %q", got, tt.want)
			}
			if !Valid(string(got)) {
				t.Errorf("Build result is not valid")
			}
			wantGender := Female
			if tt.seq%2 == 1 {
				wantGender = Male
			}
			if g := got.Gender(); g != wantGender {
				t.Errorf("Gender = %s, want %s", g, wantGender)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		area   string
		birth  time.Time
		seq    int
		reason Reason
	}{
		{"area too short", "34079", date(1985, 6, 15), 1, ReasonArea},
		{"area too long", "3407990", date(1985, 6, 15), 1, ReasonArea},
		{"area starts with 0", "040799", date(1985, 6, 15), 1, ReasonArea},
		{"area not digits", "34079a", date(1985, 6, 15), 1, ReasonArea},
		{"area full-width", "３４０７９９", date(1985, 6, 15), 1, ReasonArea},
		{"year 1799", "340799", date(1799, 12, 31), 1, ReasonBirthDate},
		{"year 10000", "340799", date(10000, 1, 1), 1, ReasonBirthDate},
		{"zero time", "340799", time.Time{}, 1, ReasonBirthDate},
		{"seq -1", "340799", date(1985, 6, 15), -1, ReasonSequence},
		{"seq 1000", "340799", date(1985, 6, 15), 1000, ReasonSequence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Build(tt.area, tt.birth, tt.seq)
			if err == nil {
				t.Fatalf("Build = %q, want error", got)
			}
			if !errors.Is(err, Error{Reason: tt.reason}) {
				t.Errorf("error %q, want reason %s", err, tt.reason)
			}
		})
	}
}
