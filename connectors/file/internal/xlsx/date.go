package xlsx

import (
	"math"
	"strconv"
)

// Day numbers of the date systems' day 0, counted from 1970-01-01.
const (
	// epoch1900 is 1899-12-30: with it, serial 61 and every later one lands
	// on the right day, because Excel's 1900 system counts a 1900-02-29
	// that never was (a bug it keeps for Lotus 1-2-3's sake).
	epoch1900 = -25569
	// epoch1900Early is 1899-12-31, for serials 1 to 59 (1900-01-01 to
	// 1900-02-28), which lie before the phantom day.
	epoch1900Early = -25568
	// epoch1904 is 1904-01-01, serial 0 of the 1904 system (Excel for Mac
	// before 2011, and any workbook saved with date1904 set).
	epoch1904 = -24107
	// lastDay is 9999-12-31, the last day Excel shows.
	lastDay = 2932896
)

// serialDate converts a date cell's serial number to "YYYY-MM-DD", or
// "YYYY-MM-DD HH:MM:SS" when it has a time of day (the fraction, rounded to
// the second as Excel shows it), in the workbook's date system. It reports
// false for a number that names no day Excel shows: a negative one, one
// past 9999-12-31, or one below 1 (0, -0, a bare time of day such as 0.5:
// what an empty or zeroed date cell holds). In the 1900 system Excel shows
// those on the nonexistent 1900-01-00; in the 1904 system on 1904-01-01,
// but a zero is no more a date there, and taken as one it would date an
// event, or end an assistance period, in 1904. Either way the cell stays a
// number, which a date field refuses. Serial 60 of the 1900 system is
// Excel's fictitious 1900-02-29 and is returned as such, so that the date
// parser downstream calls it what it is, an impossible date.
func serialDate(dst []byte, v float64, date1904 bool) ([]byte, bool) {
	if math.IsNaN(v) || v < 0 || v > 3e6 {
		return dst, false
	}
	secs := math.Round(v * 86400)
	days := math.Floor(secs / 86400)
	sec := int(secs - days*86400)
	n := int(days)
	var d int
	switch {
	case n < 1:
		return dst, false
	case date1904:
		d = epoch1904 + n
	case n < 60:
		d = epoch1900Early + n
	case n == 60:
		dst = append(dst, "1900-02-29"...)
		return appendTime(dst, sec), true
	default:
		d = epoch1900 + n
	}
	if d > lastDay {
		return dst, false
	}
	y, m, dd := civil(d)
	dst = appendDate(dst, y, m, dd)
	return appendTime(dst, sec), true
}

// civil returns the calendar date of a day number counted from 1970-01-01
// (proleptic Gregorian; Howard Hinnant's civil_from_days).
func civil(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func appendDate(dst []byte, y, m, d int) []byte {
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	dst = append(dst, byte('0'+m/10), byte('0'+m%10), '-')
	return append(dst, byte('0'+d/10), byte('0'+d%10))
}

// appendTime appends " HH:MM:SS" unless sec (seconds into the day) is 0.
func appendTime(dst []byte, sec int) []byte {
	if sec == 0 {
		return dst
	}
	h, mi, s := sec/3600, sec/60%60, sec%60
	return append(dst, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
}

// isoDate converts the value of a t="d" cell, an ISO 8601 date, date-time
// or time as ECMA-376 writes them ("2026-03-05", "2026-03-05T10:30:00",
// "2026-03-05T10:30:00.000Z"), to the same forms serialDate returns. A
// zone suffix is dropped: Excel stores the clock time as entered. It
// reports false for anything else, a bare time of day included.
func isoDate(dst []byte, s string) ([]byte, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return dst, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return dst, false
	}
	sec := 0
	if rest := s[10:]; rest != "" {
		if rest[0] != 'T' && rest[0] != ' ' || len(rest) < 6 || rest[3] != ':' {
			return dst, false
		}
		h, okh := digits(rest[1:3])
		mi, okm := digits(rest[4:6])
		ss, oks := 0, true
		tail := rest[6:]
		if len(tail) >= 3 && tail[0] == ':' {
			ss, oks = digits(tail[1:3])
			tail = tail[3:]
		}
		if !okh || !okm || !oks || h > 23 || mi > 59 || ss > 59 {
			return dst, false
		}
		if len(tail) > 0 && tail[0] == '.' { // fraction of a second, dropped
			j := 1
			for j < len(tail) && tail[j] >= '0' && tail[j] <= '9' {
				j++
			}
			tail = tail[j:]
		}
		switch {
		case tail == "", tail == "Z":
		case len(tail) == 6 && (tail[0] == '+' || tail[0] == '-') && tail[3] == ':':
		default:
			return dst, false
		}
		sec = h*3600 + mi*60 + ss
	}
	dst = appendDate(dst, y, m, d)
	return appendTime(dst, sec), true
}

// digits parses a run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
