package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "180d", want: 180 * Day},
		{in: "2w", want: 14 * Day},
		{in: "15m", want: 15 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "36h", want: 36 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: " 2w ", want: 14 * Day},
		{in: "-1d", want: -Day},
		{in: "0s", want: 0},
		{in: "10", wantErr: `"10" has no unit; write e.g. "10m", "10h" or "10d"`},
		{in: "0", want: 0}, // zero in any unit: the one bare number taken
		{in: "abc", wantErr: `invalid duration "abc"; write e.g. "15m", "1h30m", "180d" or "2w" (units ns, us, ms, s, m, h, d, w)`},
		{in: "6 months", wantErr: `invalid duration "6 months"; write e.g. "15m", "1h30m", "180d" or "2w" (units ns, us, ms, s, m, h, d, w)`},
		{in: "1y", wantErr: `invalid duration "1y"; write e.g. "15m", "1h30m", "180d" or "2w" (units ns, us, ms, s, m, h, d, w)`},
		{in: "d", wantErr: `invalid duration "d"; write e.g. "15m", "1h30m", "180d" or "2w" (units ns, us, ms, s, m, h, d, w)`},
		{in: "", wantErr: `empty duration; write e.g. "15m", "2h" or "180d"`},
		{in: "99999999w", wantErr: `duration "99999999w" is too long`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Std() != tc.want {
				t.Errorf("= %v, %v; want %v", got.Std(), err, tc.want)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{180 * Day, "180d"},
		{14 * Day, "14d"},
		{-Day, "-1d"},
		{15 * time.Minute, "15m0s"},
		{36 * time.Hour, "36h0m0s"},
		{0, "0s"},
	} {
		d := Duration(tc.d)
		if got := d.String(); got != tc.want {
			t.Errorf("String(%v) = %q, want %q", tc.d, got, tc.want)
		}
		// What String prints, ParseDuration reads back.
		var back Duration
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Errorf("round trip of %v: %v, %v", tc.d, back, err)
		}
	}
}
