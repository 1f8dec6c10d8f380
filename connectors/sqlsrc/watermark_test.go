package sqlsrc

import (
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// A saved watermark less the lookback goes back in the form it came in:
// separator, fraction digits, offset form, a date still a date. A count
// applies to numbers, a duration to times.
func TestMinusLookback(t *testing.T) {
	day := lookback{d: 24 * time.Hour}
	tests := []struct {
		w    string
		c    class
		lb   lookback
		want string
	}{
		{"2026-03-05T10:00:00+08:00", classTimestamptz, lookback{d: 48 * time.Hour}, "2026-03-03T10:00:00+08:00"},
		{"2026-03-05T10:00:00Z", classTimestamptz, lookback{d: time.Hour}, "2026-03-05T09:00:00Z"},
		{"2026-03-05T10:00:00.25+05:30", classTimestamptz, lookback{d: 30 * time.Minute}, "2026-03-05T09:30:00.25+05:30"},
		{"2026-03-05T10:00:00", classTimestamp, day, "2026-03-04T10:00:00"},
		{"2026-03-05 10:00:00", classTimestamp, day, "2026-03-04 10:00:00"},
		{"2026-03-05 10:00:00.5", classTimestamp, day, "2026-03-04 10:00:00.5"},
		{"2026-03-05", classDate, lookback{d: 36 * time.Hour}, "2026-03-03"},
		{"2026-03-05", classDate, day, "2026-03-04"},
		{"17", classInt, lookback{}, "17"},
		// text as written: the form is the order the server compares in
		{"2026-11-26 10:20:30", classText, day, "2026-11-25 10:20:30"},
		{"2026-11-26T10:20:30", classText, day, "2026-11-25T10:20:30"},
		{"2026-11-26 10:20:30.120", classText, lookback{d: 90 * time.Minute}, "2026-11-26 08:50:30.120"},
		{"2026-11-26 10:20:30+08", classText, day, "2026-11-25 10:20:30+08"},
		{"2026-11-26 10:20:30+0800", classText, day, "2026-11-25 10:20:30+0800"},
		{"2026-11-26 10:20:30-03:30", classText, day, "2026-11-25 10:20:30-03:30"},
		{"2026-11-26T02:20:30Z", classText, day, "2026-11-25T02:20:30Z"},
		{"2026-11-26 10:20", classText, day, "2026-11-25 10:20"},
		{"2026/11/26 10:20:30", classText, day, "2026/11/25 10:20:30"},
		{"2026-11-26", classText, lookback{d: time.Hour}, "2026-11-25"},
		{"2026-03-01 00:30:00", classText, time2(time.Hour), "2026-02-28 23:30:00"},
		// counts
		{"3", classInt, lookback{n: 10}, "-7"},
		{"1000000", classInt, lookback{n: 1000}, "999000"},
		{"12345.60", classNumeric, lookback{n: 1000}, "11345.60"},
		{"100000000000000000000", classNumeric, lookback{n: 1}, "99999999999999999999"},
		{"000123", classText, lookback{n: 100}, "000023"},
		{"000123", classText, lookback{n: 1000}, "000000"},
	}
	for _, tt := range tests {
		got, err := minusLookback(tt.w, tt.c, tt.lb, "col")
		if err != nil || got != tt.want {
			t.Errorf("%q less %s: %q, %v; want %q", tt.w, tt.lb, got, err, tt.want)
		}
	}
	errs := []struct {
		w    string
		c    class
		lb   lookback
		want string
	}{
		{"17", classInt, lookback{d: time.Hour}, "lookback 1h0m0s is a duration, but watermark_column col holds numbers"},
		{"17.5", classNumeric, lookback{d: time.Hour}, "holds numbers"},
		{"000017", classText, lookback{d: time.Hour}, "holds numbers"},
		{"2026-03-05T10:00:00Z", classTimestamptz, lookback{n: 10}, "lookback 10 is a count of ids, but watermark_column col holds times"},
		{"2026-03-05", classDate, lookback{n: 10}, "holds dates"},
		{"2026-03-05 10:00", classText, lookback{n: 10}, "holds text"},
		{"A17", classText, lookback{n: 10}, "is not a number"},
		{"A17", classText, lookback{d: time.Hour}, "lookback applies to date and time watermarks"},
		{"infinity", classTimestamptz, lookback{d: time.Hour}, "lookback applies to date and time watermarks"},
	}
	for _, tt := range errs {
		if _, err := minusLookback(tt.w, tt.c, tt.lb, "col"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q less %s: %v, want an error with %q", tt.w, tt.lb, err, tt.want)
		}
	}
}

func time2(d time.Duration) lookback { return lookback{d: d} }

// The lookback option is a duration or a whole number of ids.
func TestParseLookback(t *testing.T) {
	tests := []struct {
		v    any
		want lookback
		err  string
	}{
		{nil, lookback{}, ""},
		{"48h", lookback{d: 48 * time.Hour}, ""},
		{"0", lookback{}, ""},
		{1000, lookback{n: 1000}, ""},
		{int64(7), lookback{n: 7}, ""},
		{float64(50), lookback{n: 50}, ""},
		{"1000", lookback{n: 1000}, ""},
		{" 1000 ", lookback{n: 1000}, ""},
		{"2d", lookback{d: 48 * time.Hour}, ""}, // days and weeks, as everywhere in the config
		{"2w", lookback{d: 14 * 24 * time.Hour}, ""},
		{"2 days", lookback{}, `"2 days" is not a duration such as 90s, 30m or 48h, nor a whole number of ids such as 1000`},
		{-5, lookback{}, "want 0 or more, got -5"},
		{"-1h", lookback{}, "want 0 or more, got -1h"},
		{1.5, lookback{}, "1.5 is not a duration"},
		{"99999999999999999999", lookback{}, "too large"},
	}
	for _, tt := range tests {
		var got lookback
		err := got.DecodeOption(tt.v)
		if tt.err == "" && (err != nil || got.d != tt.want.d || got.n != tt.want.n) {
			t.Errorf("%#v: %+v, %v; want %+v", tt.v, got, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%#v: %v, want an error with %q", tt.v, err, tt.err)
		}
	}
}

// The tracker compares in the column's class, never goes below the
// resumed watermark, never goes past the read's start, and counts what it
// cannot use.
func TestTracker(t *testing.T) {
	start := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC) // 20:00 in China
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		c                  class
		resumed            string
		values             []string
		want               string
		nulls, bad, future int64
	}{
		{classInt, "", []string{"9", "10", "8"}, "10", 0, 0, 0},
		{classInt, "12", []string{"9", "10", ""}, "12", 1, 0, 0},
		{classInt, "x", []string{"9", "10"}, "10", 0, 0, 0}, // a resumed value of another type is ignored
		{classNumeric, "", []string{"9.5", "10.25", "-100"}, "10.25", 0, 0, 0},
		{classNumeric, "", []string{"NaN", "2.5", "100000000000000000000"}, "100000000000000000000", 0, 1, 0},
		{classDate, "2026-03-01", []string{"2026-02-28", "infinity", "2026-03-02"}, "2026-03-02", 0, 1, 0},
		{classDate, "", []string{"2026-03-06", "2099-12-31", "2026-03-07"}, "2026-03-06", 0, 0, 2},
		{classTimestamptz, "", []string{"2026-03-05T10:00:00+08:00", "2026-03-05T03:00:00Z"}, "2026-03-05T03:00:00Z", 0, 0, 0},
		{classTimestamptz, "", []string{"2026-03-05T10:00:00+08:00", "2026-03-05T01:00:00Z"}, "2026-03-05T10:00:00+08:00", 0, 0, 0},
		{classTimestamptz, "", []string{"2026-03-06T12:00:00Z", "2026-03-06T12:00:01Z", "2099-12-31T00:00:00+08:00"}, "2026-03-06T12:00:00Z", 0, 0, 2},
		{classTimestamp, "", []string{"2026-03-05 10:00:00.5", "2026-03-05 10:00:00.25"}, "2026-03-05 10:00:00.5", 0, 0, 0},
		// naive times are in the zone: 20:00 is the start, 20:00:01 after it
		{classTimestamp, "", []string{"2026-03-06 20:00:00", "2026-03-06 20:00:01"}, "2026-03-06 20:00:00", 0, 0, 1},
		{classText, "", []string{"A009", "A010", ""}, "A010", 1, 0, 0},
		{classText, "", nil, "", 0, 0, 0},
		{classText, "", []string{"2026-03-05 10:00:00", "2026-03-05 9:00", "2026-03-06 08:00:00", "2099-12-31 00:00:00", ""}, "2026-03-06 08:00:00", 1, 1, 1},
		{classText, "2026-03-06 19:00:00", []string{"2026-03-05 10:00:00"}, "2026-03-06 19:00:00", 0, 0, 0},
	}
	for _, tt := range tests {
		tr := newTracker(0, "col", tt.c, cst, start)
		tr.seed(tt.resumed)
		for _, v := range tt.values {
			tr.observe(v)
		}
		var nulls, bad, future int64
		for _, n := range tr.notes() {
			switch n.Code {
			case connectors.NoteNullWatermark:
				nulls = n.Count
			case connectors.NoteBadWatermark:
				bad = n.Count
			case connectors.NoteFutureWatermark:
				future = n.Count
			}
		}
		if got := tr.watermark(); got != tt.want || nulls != tt.nulls || bad != tt.bad || future != tt.future {
			t.Errorf("class %d from %q over %q: %q (null %d, bad %d, future %d), want %q (%d, %d, %d)",
				tt.c, tt.resumed, tt.values, got, nulls, bad, future, tt.want, tt.nulls, tt.bad, tt.future)
		}
	}
}

func TestParseStamp(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, s := range []string{"2026-02-29", "2026-13-01", "2026-03-05 24:00:00", "2026-03-05 10:00:00.", "2026-03-05T10:00:00+8",
		"2026-03-05X10:00", "2026-03-05 10:00:00 BC", "infinity", "12026-03-05", "2026-03/05", "2026-03-05 10:00:00+08:05:43"} {
		if st, ok := parseStamp(s, cst); ok {
			t.Errorf("%q parsed: %v", s, st.at)
		}
	}
	for s, want := range map[string]time.Time{
		"2026-03-05":                   time.Date(2026, 3, 5, 0, 0, 0, 0, cst),
		"2026-03-05 10:00":             time.Date(2026, 3, 5, 10, 0, 0, 0, cst),
		"2026-03-05T10:00:00.123":      time.Date(2026, 3, 5, 10, 0, 0, 123e6, cst),
		"2026-03-05 10:00:00Z":         time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC),
		"2026-03-05 10:00:00-05":       time.Date(2026, 3, 5, 15, 0, 0, 0, time.UTC),
		"2026-03-05T10:00:00.5+05:30":  time.Date(2026, 3, 5, 4, 30, 0, 5e8, time.UTC),
		"2024-02-29 23:59:59.99999999": time.Date(2024, 2, 29, 23, 59, 59, 999999990, cst),
	} {
		st, ok := parseStamp(s, cst)
		if !ok || !st.at.Equal(want) {
			t.Errorf("%q: %v %v, want %v", s, st.at, ok, want)
		}
		if got := st.format(st.wall); got != s {
			t.Errorf("%q written back as %q", s, got)
		}
	}
}
