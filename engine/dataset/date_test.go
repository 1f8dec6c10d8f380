package dataset

import (
	"errors"
	"testing"
	"time"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParseDate(t *testing.T) {
	ok := []struct {
		in   string
		want time.Time
	}{
		{"2026-03-05", day(2026, 3, 5)},
		{"2026-3-5", day(2026, 3, 5)},
		{"2026/3/5", day(2026, 3, 5)},
		{"2026.03.05", day(2026, 3, 5)},
		{"2026年3月5日", day(2026, 3, 5)},
		{"2026年03月05日", day(2026, 3, 5)},
		{"20260305", day(2026, 3, 5)},
		{"46086", day(2026, 3, 5)},   // Excel serial
		{"46086.5", day(2026, 3, 5)}, // Excel date-time serial
		{"2026-03-05 14:30:00", day(2026, 3, 5)},
		{"2026-03-05T14:30:00", day(2026, 3, 5)},
		{"2026/3/5 14:30", day(2026, 3, 5)},         // Excel's display in a CSV saved as shown
		{"2026/3/5 下午 2:30", day(2026, 3, 5)},       // a 12-hour clock
		{"2026-03-05 00:00:00.0", day(2026, 3, 5)},  // Java's Timestamp.toString
		{"2026年3月5日 14时30分", day(2026, 3, 5)},       // Chinese clock
		{"20260305143000", day(2026, 3, 5)},         // compact date-time of a database
		{"202603051430", day(2026, 3, 5)},           // the same without seconds
		{" 2024年2月29日 ", day(2024, 2, 29)},          // leap day, padded
		{"\x002026-03-05\x00\x00", day(2026, 3, 5)}, // NUL padding
		{"2026-03-05T10:00:00", day(2026, 3, 5)},    // no zone: local, as written
		{"1880-01-01", day(1880, 1, 1)},             // the GB 11643 sample's birth date
		{"2100-12-31", day(2100, 12, 31)},
		// Instants are dated in China time (UTC+8).
		{"2026-03-04T16:30:00Z", day(2026, 3, 5)},
		{"2026-03-04T15:59:59Z", day(2026, 3, 4)},
		{"2026-03-05T07:59:00+08:00", day(2026, 3, 5)},
		{"2026-08-29T16:00:00.000+0000", day(2026, 8, 30)}, // Java's SimpleDateFormat
		{"2026-08-29T16:00:00+0000", day(2026, 8, 30)},
		{"2026-08-29T16:00:00.123456789Z", day(2026, 8, 30)},
		{"2026-08-29 16:00:00+00", day(2026, 8, 30)}, // PostgreSQL's timestamptz text
		{"2026-08-29 16:00:00+08", day(2026, 8, 29)},
		{"2026-08-30 00:00:00+08", day(2026, 8, 30)},
		{"2026-08-29 16:00:00 +0800 CST", day(2026, 8, 29)}, // Go's time.String
		{"2026-08-30T00:00+08:00[Asia/Shanghai]", day(2026, 8, 30)},
		{"2026-08-29T20:00:00-05:00", day(2026, 8, 30)},
		{"2026-08-29T12:00:00−05:00", day(2026, 8, 30)}, // a typographic minus
		{"2026-08-29 16:00:00 UTC", day(2026, 8, 30)},
		{"2026-08-29 16:00:00 GMT+8", day(2026, 8, 29)},
		{"20260829T160000Z", day(2026, 8, 30)}, // ISO 8601 basic format
		{"2026-08-29 下午 4:00 +0000", day(2026, 8, 30)},
	}
	for _, c := range ok {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseDate(c.in)
			if err != nil || !got.Equal(c.want) {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
	bad := []struct {
		in   string
		want error
	}{
		{"2026年2月30日", errDateImpossible},
		{"20261301", errDateImpossible},
		{"2025/4/31", errDateImpossible},
		{"2023-02-29", errDateImpossible},
		{"1799-12-31", errDateRange},
		{"9999-12-31", errDateRange}, // "no end" is only read so in open-end fields
		{"2101-01-01", errDateRange},
		{"99999", errDateRange},
		{"03/05/2026", errDateShape},
		{"yesterday", errDateShape},
		{"2026-03", errDateShape},
		{"2026-03-05-01", errDateShape},
		{"2026年3月5日x", errDateShape},
		{"2026-03-05 星期四", errDateShape},
		{"2026-03-05 25:00", errDateShape},
		{"2026-03-05 14:30:00+25", errDateShape},
		{"2026-03-05T14:30:00+08:0", errDateShape},
		{"2026-03-05T14:30:00 cst", errDateShape},
		{"2026-03-05 13:00 PM", errDateShape},
		{"", errDateShape},
		{"2026", errDateNumber},
		{"123", errDateNumber},
		{"4608.5", errDateNumber},
		{"123456", errDateNumber},
		{"1788969600", errDateEpochS},
		{"999999999", errDateEpochS},
		{"1788969600000", errDateEpochMS},
		{"1788969600000.0", errDateEpochMS},
		{"1788969600.25", errDateEpochS},
		{"978307200000", errDateEpochMS},
	}
	for _, c := range bad {
		t.Run("bad "+c.in, func(t *testing.T) {
			if _, err := ParseDate(c.in); !errors.Is(err, c.want) {
				t.Errorf("ParseDate(%q) error %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func TestEpochDate(t *testing.T) {
	cases := []struct {
		in     string
		millis bool
		want   time.Time
		year   int
		number bool
		err    error
	}{
		{"1788969600000", true, day(2026, 9, 10), 2026, true, nil}, // 2026-09-09T16:00Z: the 10th in China
		{"1788969600", false, day(2026, 9, 10), 2026, true, nil},
		{"1788969599", false, day(2026, 9, 9), 2026, true, nil},
		{"1788969600.5", false, day(2026, 9, 10), 2026, true, nil},
		{"1788969600000.0", true, day(2026, 9, 10), 2026, true, nil},
		{"-315619200", false, day(1960, 1, 1), 1960, true, nil}, // births before 1970 are negative
		{"253402214400", false, time.Time{}, 9999, true, errDateRange},
		{"99999999999999999999", true, time.Time{}, 0, true, errDateRange},
		{"2026-03-05", true, time.Time{}, 0, false, nil},
		{"1.5e12", true, time.Time{}, 0, false, nil},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, year, number, err := epochDate(c.in, c.millis)
			if number != c.number || !errors.Is(err, c.err) || (err == nil && (!got.Equal(c.want) || year != c.year)) {
				t.Errorf("epochDate(%q, %v) = %v, %d, %v, %v; want %v, %d, %v, %v", c.in, c.millis, got, year, number, err, c.want, c.year, c.number, c.err)
			}
		})
	}
}
