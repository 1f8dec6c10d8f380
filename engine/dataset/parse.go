package dataset

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of value parsing. They are wrapped with the column by the Mapper.
var (
	errDateShape      = errors.New("is not a date in any known format")
	errDateImpossible = errors.New("is not a real calendar date")
	errNumber         = errors.New("is not a number")
)

// chinaTime is China Standard Time, where instants are dated.
var chinaTime = time.FixedZone("CST", 8*3600)

// excelEpoch is day 0 of Excel's 1900 date system as it is used in practice
// (serial 60 is the fictitious 1900-02-29; serials this small never occur
// in our data, and the 5-digit range below excludes them).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ParseDate reads a date as departments write it: "2026-03-05", "2026/3/5",
// "2026.3.5", "2026年3月5日", "20260305", an Excel serial number ("46086"),
// optionally followed by a time of day. It reports whether the shape was
// recognised but names no real date (e.g. "2026年2月30日") separately from an
// unrecognised shape.
func ParseDate(s string) (time.Time, error) {
	s = trimSpace(s)
	// An instant with a zone (2026-03-04T16:30:00Z from an API or Parquet)
	// is dated where the county is: China Standard Time, UTC+8, no DST.
	if strings.Contains(s, "T") && (strings.HasSuffix(s, "Z") || strings.LastIndexAny(s, "+-") > strings.Index(s, "T")) {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t = t.In(chinaTime)
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i] // drop a time of day
	}
	if s == "" {
		return time.Time{}, errDateShape
	}
	if allDigits(s) {
		switch len(s) {
		case 8:
			y, _ := strconv.Atoi(s[:4])
			m, _ := strconv.Atoi(s[4:6])
			d, _ := strconv.Atoi(s[6:])
			return mkDate(y, m, d)
		case 5:
			n, _ := strconv.Atoi(s)
			return fromSerial(n)
		}
		return time.Time{}, errDateShape
	}
	// Excel serial with a fraction (a date-time cell read raw).
	if i := strings.IndexByte(s, '.'); i == 5 && allDigits(s[:5]) && allDigits(s[6:]) && len(s) > 6 {
		n, _ := strconv.Atoi(s[:5])
		return fromSerial(n)
	}
	// Separated forms: 2026-3-5, 2026/3/5, 2026.3.5, 2026年3月5日.
	var parts [3]int
	n := 0
	cur, digits := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur = cur*10 + int(r-'0')
			digits++
			if digits > 4 {
				return time.Time{}, errDateShape
			}
		case r == '-' || r == '/' || r == '.' || r == '年' || r == '月' || r == '日':
			if digits == 0 {
				return time.Time{}, errDateShape
			}
			if n == 3 {
				return time.Time{}, errDateShape
			}
			parts[n] = cur
			n++
			cur, digits = 0, 0
			if r == '日' {
				// must be the end
				continue
			}
		default:
			return time.Time{}, errDateShape
		}
	}
	if digits > 0 {
		if n == 3 {
			return time.Time{}, errDateShape
		}
		parts[n] = cur
		n++
	}
	if n != 3 || parts[0] < 1000 {
		return time.Time{}, errDateShape
	}
	return mkDate(parts[0], parts[1], parts[2])
}

// fromSerial reads an Excel serial day number. Only five-digit serials are
// taken (1927-05-18 to 2173): shorter numbers are far more often a year or a
// truncated value than a date, and anything past 2100 is not a real date.
func fromSerial(n int) (time.Time, error) {
	t := excelEpoch.AddDate(0, 0, n)
	return mkDate(t.Year(), int(t.Month()), t.Day())
}

func mkDate(y, m, d int) (time.Time, error) {
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, errDateImpossible
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, errDateImpossible
	}
	return t, nil
}

// ParseMoney reads an amount in yuan as departments write it: "1,234.50元",
// "￥856", "RMB 1234.5", "-20.00". It returns the amount in fen (cents),
// rounding beyond two decimals half away from zero. It runs once per amount
// cell on every load, so it is a single pass without allocation.
func ParseMoney(s string) (int64, error) {
	s = trimSpace(s)
	for _, p := range []string{"RMB", "rmb", "CNY"} {
		s = strings.TrimSuffix(strings.TrimPrefix(s, p), p)
	}
	var whole, frac int64
	fracDigits := 0
	seenDot, neg, anyDigit, roundUp, ended := false, false, false, false, false
	group := -1 // digits since the last thousands separator; -1 before any
	intDigits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ended && c != ' ' {
			return 0, errNumber // something after 元
		}
		switch {
		case c >= '0' && c <= '9':
			anyDigit = true
			d := int64(c - '0')
			switch {
			case !seenDot:
				if whole > 1e15 {
					return 0, errNumber
				}
				whole = whole*10 + d
				intDigits++
				if group >= 0 {
					group++
				}
			case fracDigits < 2:
				frac = frac*10 + d
				fracDigits++
			case fracDigits == 2:
				roundUp = d >= 5
				fracDigits++
			}
		case c == ',' && !seenDot && anyDigit:
			// 1,234,567: the first group 1-3 digits, every later one 3.
			if (group < 0 && intDigits > 3) || (group >= 0 && group != 3) {
				return 0, errNumber
			}
			group = 0
		case c == '.' && !seenDot:
			if group >= 0 && group != 3 {
				return 0, errNumber
			}
			group = -1
			seenDot = true
		case c == '-' && !anyDigit && !neg:
			neg = true
		case c == ' ':
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == '元' && anyDigit:
				ended = true
			case (r == '￥' || r == '¥') && !anyDigit:
			default:
				return 0, errNumber
			}
			i += size - 1
		default:
			return 0, errNumber
		}
	}
	if group >= 0 && group != 3 {
		return 0, errNumber
	}
	if !anyDigit {
		return 0, errNumber
	}
	for ; fracDigits < 2; fracDigits++ {
		frac *= 10
	}
	v := whole*100 + frac
	if roundUp {
		v++
	}
	if neg {
		v = -v
	}
	return v, nil
}

// ParseInt reads a whole number, allowing a trailing 人 or 口 ("3人").
func ParseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "人"), "口")
	s = strings.TrimSuffix(s, ".0")
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errNumber
	}
	return n, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalizeText trims ASCII and full-width spaces and maps full-width ASCII
// (Ｆ, １, ：) to half-width, so aliases and codes compare as people mean them.
// Text without full-width characters is returned without allocating.
func normalizeText(s string) string {
	s = trimSpace(s)
	needs := false
	for i := 0; i < len(s); i++ {
		// Full-width forms U+FF01..FF5E are EF BC 81..EF BD 9E; U+3000 is E3 80 80.
		if c := s[i]; c == 0xEF || c == 0xE3 {
			needs = true
			break
		}
	}
	if !needs {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		} else if r == '\u3000' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return trimSpace(b.String())
}

// trimSpace trims ASCII whitespace, no-break spaces (U+00A0) and ideographic
// spaces (U+3000) from both ends. Unlike strings.TrimSpace it never decodes
// the other runes, which matters on Chinese text in the hot path.
func trimSpace(s string) string {
	for len(s) > 0 {
		switch {
		case s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' || s[0] == '\f':
			s = s[1:]
		case strings.HasPrefix(s, "\u00a0"):
			s = s[2:]
		case strings.HasPrefix(s, "\u3000"):
			s = s[3:]
		default:
			goto right
		}
	}
right:
	for len(s) > 0 {
		n := len(s)
		switch {
		case s[n-1] == ' ' || s[n-1] == '\t' || s[n-1] == '\n' || s[n-1] == '\r' || s[n-1] == '\v' || s[n-1] == '\f':
			s = s[:n-1]
		case strings.HasSuffix(s, "\u00a0"):
			s = s[:n-2]
		case strings.HasSuffix(s, "\u3000"):
			s = s[:n-3]
		default:
			return s
		}
	}
	return s
}
