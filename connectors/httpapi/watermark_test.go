package httpapi

import (
	"testing"
	"time"
)

func TestSendValue(t *testing.T) {
	tests := []struct {
		saved    string
		lookback time.Duration
		want     string
	}{
		{"", time.Hour, ""},
		{"2026-03-05T10:00:00+08:00", 0, "2026-03-05T10:00:00+08:00"},
		{"2026-03-05T10:00:00+08:00", 48 * time.Hour, "2026-03-03T10:00:00+08:00"},
		{"2026-03-05T10:00:00.5Z", time.Hour, "2026-03-05T09:00:00.5Z"},
		{"2026-03-05 10:00:00", 90 * time.Minute, "2026-03-05 08:30:00"},
		{"2026-03-05", 48 * time.Hour, "2026-03-03"},
		{"2026-03-05", 36 * time.Hour, "2026-03-03"}, // rounds down: misses nothing
	}
	for _, tt := range tests {
		got, err := sendValue(tt.saved, tt.lookback, time.UTC, "employment")
		if err != nil || got != tt.want {
			t.Errorf("sendValue(%q, %s) = %q, %v; want %q", tt.saved, tt.lookback, got, err, tt.want)
		}
	}
	if _, err := sendValue("42", time.Hour, time.UTC, "employment"); err == nil {
		t.Error("a number was taken as a watermark")
	}
}

func TestMaxMark(t *testing.T) {
	m := marks{clock: newClock(time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC), time.UTC)}
	for _, v := range []string{"2026-03-01", "", "not a date", "2026-03-05T10:00:00+08:00", "2026-03-05T01:00:00Z", "2026-03-02"} {
		m.observe(v, true)
	}
	if m.max.raw != "2026-03-05T10:00:00+08:00" || m.nNull != 1 || m.nBad != 1 || m.nFuture != 0 {
		t.Errorf("max %q, %d null, %d bad, %d future", m.max.raw, m.nNull, m.nBad, m.nFuture)
	}
}
