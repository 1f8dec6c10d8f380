package dataset

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// errMonthShape reports a value that is no month.
var errMonthShape = errors.New("is not a month (such as 202611, 2026-11 or 2026年11月)")

// ParseMonth reads a calendar month as departments write one — the
// 费款所属期 of a contribution: "202611", "2026-11", "2026/11", "2026.11",
// "2026年11月" — or a full date in any shape ParseDate reads, which stands
// for its month. It returns the month's first day (UTC).
func ParseMonth(s string) (time.Time, error) {
	s = trimSpace(s)
	y, m := 0, 0
	switch {
	case len(s) == 6 && allDigits(s):
		y, _ = strconv.Atoi(s[:4])
		m, _ = strconv.Atoi(s[4:])
	default:
		t := strings.TrimSuffix(s, "月")
		if i := strings.IndexAny(t, "-/.年"); i == 4 && allDigits(t[:4]) {
			rest := t[i+1:]
			if t[i] == 0xe5 { // 年 is three bytes
				rest = t[i+len("年"):]
			}
			if rest != "" && len(rest) <= 2 && allDigits(rest) {
				y, _ = strconv.Atoi(t[:4])
				m, _ = strconv.Atoi(rest)
				break
			}
		}
		d, err := ParseDate(s)
		if err != nil {
			return time.Time{}, errMonthShape
		}
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), nil
	}
	if y < minYear || y > maxYear || m < 1 || m > 12 {
		return time.Time{}, errMonthShape
	}
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), nil
}
