package dataset

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of date parsing. The Mapper turns them into reasons with the
// column named.
var (
	errDateShape      = errors.New("is not a date in any known format")
	errDateImpossible = errors.New("is not a real calendar date")
	errDateRange      = errors.New("is outside the years 1800 to 2100")
	errDateNumber     = errors.New("is a number, not a date")
	errDateEpochS     = errors.New("looks like a Unix time in seconds, not a date")
	errDateEpochMS    = errors.New("looks like a Unix time in milliseconds, not a date")
)

// chinaTime is China Standard Time (UTC+8, no daylight saving), the
// county's zone: an instant is dated by the calendar there.
var chinaTime = time.FixedZone("CST", 8*3600)

// excelEpoch is day 0 of Excel's 1900 date system as it is used in practice
// (serial 60 is the fictitious 1900-02-29; serials this small never occur
// in our data, and the 5-digit range below excludes them).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// Years a date may have. The earliest is idnum's: the GB 11643 sample
// 440524188001010014 was born in 1880, and a registry birth date must read
// wherever its ID number does; the latest keeps typos such as 2206 out.
const (
	minYear = 1800
	maxYear = 2100
)

// openEndYear is the first year that, in an open-end field, means "no
// end": systems write 2099-12-31 or 9999-12-31 for that, and no assistance
// period is planned to end so far ahead.
const openEndYear = 2099

// openEndWords are what departments write in an end-date column for "no
// end": long-term, permanent, no fixed term, until now (still running),
// lifelong, none.
var openEndWords = map[string]bool{
	"长期": true, "长期有效": true, "永久": true, "永久有效": true, "无固定期限": true, "无期限": true,
	"至今": true, "终身": true, "终身有效": true, "无": true, "不限": true, "不限期": true,
}

// ParseDate reads a date as departments write it: "2026-03-05", "2026/3/5",
// "2026.3.5", "2026年3月5日", "20260305", an Excel serial number ("46086",
// 1900 date system), optionally followed by a time of day ("2026/3/5
// 14:30", "20260305143000"). An instant with a zone offset — Z, ±hh,
// ±hhmm, ±hh:mm, as APIs and Java write them: "2026-08-29T16:00:00.000+0000",
// "2026-08-29 16:00:00+08" — is dated in China time (UTC+8); a time without
// an offset is local, so only its date counts. It reports a shape it
// recognises that names no real date (e.g. "2026年2月30日") separately
// from an unrecognised shape, and a bare number that is not a date's
// shape separately again (with a hint when it looks like Unix time).
func ParseDate(s string) (time.Time, error) {
	p, err := scanDate(trimSpace(s))
	if err != nil {
		return time.Time{}, err
	}
	return p.date()
}

// dateParts is a date as written, before its range is checked.
type dateParts struct {
	y, m, d int
	clock   int  // seconds since midnight, when zone is set
	offset  int  // the zone's offset from UTC in seconds
	zone    bool // an instant: dated in China time
}

// date checks the parts and dates an instant in China time.
func (p dateParts) date() (time.Time, error) {
	t, err := mkDate(p.y, p.m, p.d)
	if err != nil || !p.zone {
		return t, err
	}
	in := t.Add(time.Duration(p.clock-p.offset) * time.Second).In(chinaTime)
	return mkDate(in.Year(), int(in.Month()), in.Day())
}

// realDay reports whether the parts name a calendar day, whatever the year.
func (p dateParts) realDay() bool {
	if p.m < 1 || p.m > 12 || p.d < 1 || p.d > 31 {
		return false
	}
	return time.Date(p.y, time.Month(p.m), p.d, 0, 0, 0, 0, time.UTC).Day() == p.d
}

// scanDate reads the shape of a trimmed date without checking its range.
func scanDate(s string) (dateParts, error) {
	if s == "" {
		return dateParts{}, errDateShape
	}
	day, rest := s, ""
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' || s[i] == 'T' {
			day, rest = s[:i], trimSpace(s[i+1:])
			break
		}
	}
	if allDigits(day) {
		return scanDigits(day, rest)
	}
	// Excel serial with a fraction (a date-time cell read raw), or another
	// plain decimal that no date is written as.
	if i := strings.IndexByte(day, '.'); i > 0 && allDigits(day[:i]) && allDigits(day[i+1:]) && rest == "" {
		switch i {
		case 5:
			n, _ := strconv.Atoi(day[:5])
			return fromSerial(n), nil
		case 9, 10:
			return dateParts{}, errDateEpochS
		case 12, 13:
			return dateParts{}, errDateEpochMS
		}
		return dateParts{}, errDateNumber
	}
	p, err := scanSeparated(day)
	if err != nil {
		return p, err
	}
	return withClock(p, rest)
}

// scanDigits reads a date written as digits only: 20260305 (with an
// optional time after it), 20260305143000, 202603051430, or an Excel
// serial. Other digit strings are numbers, not dates.
func scanDigits(day, rest string) (dateParts, error) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch len(day) {
	case 8:
		return withClock(dateParts{y: num(day[:4]), m: num(day[4:6]), d: num(day[6:])}, rest)
	case 5:
		if rest == "" {
			return fromSerial(num(day)), nil
		}
	case 14, 12:
		// A compact date-time from a database (yyyyMMddHHmm[ss]); twelve
		// digits may also be Unix milliseconds before 2001.
		p := dateParts{y: num(day[:4]), m: num(day[4:6]), d: num(day[6:8])}
		h, mi := num(day[8:10]), num(day[10:12])
		if rest == "" && p.y >= minYear && p.y <= maxYear && p.realDay() && h < 24 && mi < 60 && (len(day) == 12 || num(day[12:]) < 60) {
			return p, nil
		}
		if len(day) == 12 && rest == "" {
			return dateParts{}, errDateEpochMS
		}
	case 9, 10:
		if rest == "" {
			return dateParts{}, errDateEpochS
		}
	case 13:
		if rest == "" {
			return dateParts{}, errDateEpochMS
		}
	}
	if rest != "" {
		return dateParts{}, errDateShape
	}
	return dateParts{}, errDateNumber
}

// scanSeparated reads 2026-3-5, 2026/3/5, 2026.3.5 and 2026年3月5日.
func scanSeparated(s string) (dateParts, error) {
	var parts [3]int
	n := 0
	cur, digits := 0, 0
	ended := false // after 日
	for _, r := range s {
		if ended {
			return dateParts{}, errDateShape
		}
		switch {
		case r >= '0' && r <= '9':
			cur = cur*10 + int(r-'0')
			digits++
			if digits > 4 {
				return dateParts{}, errDateShape
			}
		case r == '-' || r == '/' || r == '.' || r == '年' || r == '月' || r == '日':
			if digits == 0 || n == 3 {
				return dateParts{}, errDateShape
			}
			parts[n] = cur
			n++
			cur, digits = 0, 0
			ended = r == '日'
		default:
			return dateParts{}, errDateShape
		}
	}
	if digits > 0 {
		if n == 3 {
			return dateParts{}, errDateShape
		}
		parts[n] = cur
		n++
	}
	if n != 3 || parts[0] < 1000 {
		return dateParts{}, errDateShape
	}
	return dateParts{y: parts[0], m: parts[1], d: parts[2]}, nil
}

// withClock reads what follows a date: nothing, a time of day, or a time
// with a zone offset, which makes the value an instant.
func withClock(p dateParts, rest string) (dateParts, error) {
	if rest == "" {
		return p, nil
	}
	clock, offset, zone, ok := parseClock(rest)
	if !ok {
		return dateParts{}, errDateShape
	}
	p.clock, p.offset, p.zone = clock, offset, zone
	return p, nil
}

// parseClock reads a time of day as programs write it after a date —
// "14:30", "14:30:00.000", "143000", "14时30分", "下午 2:30", "2:30 PM" —
// followed by an optional zone: Z, UTC, GMT, ±hh, ±hhmm or ±hh:mm, which
// may be followed by a zone's abbreviation (Go: "+0800 CST") or region
// in brackets (Java: "+08:00[Asia/Shanghai]").
func parseClock(r string) (clock, offset int, zone, ok bool) {
	if i := strings.IndexByte(r, '['); i > 0 && strings.HasSuffix(r, "]") {
		r = trimSpace(r[:i])
	}
	half := 0 // 1 a.m., 2 p.m.
	for _, m := range [...]struct {
		s string
		h int
	}{{"上午", 1}, {"下午", 2}, {"AM", 1}, {"PM", 2}, {"am", 1}, {"pm", 2}} {
		if strings.HasPrefix(r, m.s) {
			r, half = trimSpace(r[len(m.s):]), m.h
			break
		}
		if strings.HasSuffix(r, m.s) {
			r, half = trimSpace(r[:len(r)-len(m.s)]), m.h
			break
		}
	}
	i := 0
	digits := func() (int, int) {
		n, d := 0, 0
		for i < len(r) && r[i] >= '0' && r[i] <= '9' && d < 9 {
			n = n*10 + int(r[i]-'0')
			i++
			d++
		}
		return n, d
	}
	h, d := digits()
	mi, s := 0, 0
	switch {
	case d == 4 || d == 6: // basic ISO: 1430, 143000
		v := h
		if d == 6 {
			s, v = v%100, v/100
		}
		h, mi = v/100, v%100
	case d >= 1 && d <= 2 && i < len(r) && r[i] == ':':
		i++
		if mi, d = digits(); d != 2 {
			return 0, 0, false, false
		}
		if i < len(r) && r[i] == ':' {
			i++
			if s, d = digits(); d != 2 {
				return 0, 0, false, false
			}
		}
	case d >= 1 && d <= 2 && strings.HasPrefix(r[i:], "时"):
		i += len("时")
		if mi, d = digits(); d < 1 || d > 2 || !strings.HasPrefix(r[i:], "分") {
			return 0, 0, false, false
		}
		i += len("分")
		if s, d = digits(); d > 0 {
			if d > 2 || !strings.HasPrefix(r[i:], "秒") {
				return 0, 0, false, false
			}
			i += len("秒")
		}
	default:
		return 0, 0, false, false
	}
	if i < len(r) && (r[i] == '.' || r[i] == ',') && d > 0 { // fraction of a second
		i++
		if _, fd := digits(); fd == 0 {
			return 0, 0, false, false
		}
		for i < len(r) && r[i] >= '0' && r[i] <= '9' {
			i++ // more than nine digits of fraction
		}
	}
	switch half {
	case 1, 2:
		if h < 1 || h > 12 {
			return 0, 0, false, false
		}
		h %= 12
		if half == 2 {
			h += 12
		}
	}
	if h > 24 || mi > 59 || s > 60 || (h == 24 && (mi > 0 || s > 0)) {
		return 0, 0, false, false
	}
	clock = h*3600 + mi*60 + s
	offset, zone, ok = parseZone(trimSpace(r[i:]))
	return clock, offset, zone, ok
}

// parseZone reads a zone after a time of day ("" is none: local time).
func parseZone(z string) (offset int, zone, ok bool) {
	if z == "" {
		return 0, false, true
	}
	switch {
	case z == "Z" || z == "z":
		return 0, true, true
	case strings.HasPrefix(z, "UTC"), strings.HasPrefix(z, "GMT"):
		if z = z[3:]; z == "" {
			return 0, true, true
		}
	}
	if z[0] != '+' && z[0] != '-' && !strings.HasPrefix(z, "−") {
		return 0, false, false
	}
	sign := 1
	if z[0] != '+' {
		sign = -1
	}
	if strings.HasPrefix(z, "−") { // U+2212 minus sign
		z = z[len("−"):]
	} else {
		z = z[1:]
	}
	n := 0
	for n < len(z) && z[n] >= '0' && z[n] <= '9' {
		n++
	}
	var hh, mm int
	switch {
	case n == 2:
		hh, _ = strconv.Atoi(z[:2])
		if len(z) > 2 && z[2] == ':' {
			if len(z) < 5 || !allDigits(z[3:5]) {
				return 0, false, false
			}
			mm, _ = strconv.Atoi(z[3:5])
			n = 5
		}
	case n == 4:
		hh, _ = strconv.Atoi(z[:2])
		mm, _ = strconv.Atoi(z[2:4])
	case n == 1:
		hh = int(z[0] - '0')
	default:
		return 0, false, false
	}
	if hh > 14 || mm > 59 {
		return 0, false, false
	}
	// What may follow: a zone abbreviation (letters only).
	if tail := trimSpace(z[n:]); tail != "" {
		for _, c := range []byte(tail) {
			if c < 'A' || c > 'Z' {
				return 0, false, false
			}
		}
	}
	return sign * (hh*3600 + mm*60), true, true
}

// fromSerial reads an Excel serial day number of the 1900 date system.
// Only five-digit serials are taken as dates (1927-05-18 to 2173) when
// the value is not from a date-formatted cell: shorter numbers are far more
// often a year or a truncated value than a date.
func fromSerial(n int) dateParts {
	t := excelEpoch.AddDate(0, 0, n)
	return dateParts{y: t.Year(), m: int(t.Month()), d: t.Day()}
}

func mkDate(y, m, d int) (time.Time, error) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, errDateImpossible
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, errDateImpossible
	}
	if y < minYear || y > maxYear {
		return time.Time{}, errDateRange
	}
	return t, nil
}

// epochDate reads Unix time — seconds or, with millis, milliseconds since
// 1970-01-01 UTC, optionally signed or with a fraction — and dates it in
// China time. isNumber is false when s is not a number at all, so the
// caller can read it as a written date instead.
func epochDate(s string, millis bool) (t time.Time, year int, isNumber bool, err error) {
	w := strings.TrimPrefix(s, "-")
	if i := strings.IndexByte(w, '.'); i >= 0 {
		if !allDigits(w[i+1:]) {
			return time.Time{}, 0, false, nil
		}
		w = w[:i]
	}
	if !allDigits(w) {
		return time.Time{}, 0, false, nil
	}
	n, perr := strconv.ParseInt(w, 10, 64)
	if perr != nil || n > 1<<53 {
		return time.Time{}, 0, true, errDateRange
	}
	if strings.HasPrefix(s, "-") {
		n = -n
	}
	var in time.Time
	if millis {
		in = time.UnixMilli(n)
	} else {
		in = time.Unix(n, 0)
	}
	in = in.In(chinaTime)
	t, err = mkDate(in.Year(), int(in.Month()), in.Day())
	return t, in.Year(), true, err
}

// isZeroDate reports the zero date of database exports (MySQL's
// 0000-00-00), which stands for no date at all.
func isZeroDate(s string) bool {
	return strings.HasPrefix(s, "0000-00-00") && (len(s) == 10 || strings.Trim(s[10:], " T0:.") == "")
}
