package sqlsrc

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// class is what a watermark column holds, by its type: it decides how its
// values are ordered, whether they can lie in the future, and which
// lookback (a duration or a count) applies.
type class uint8

const (
	classOther       class = iota // uuid and the like: ordered byte by byte
	classInt                      // smallint, integer, bigint, oid
	classNumeric                  // numeric, real, double precision
	classDate                     // date
	classTimestamp                // timestamp without time zone
	classTimestamptz              // timestamp with time zone
	classText                     // text, varchar, char: date-times as written, or byte order
)

// PostgreSQL's text types, besides the OIDs render knows.
const (
	oidName    = 19
	oidText    = 25
	oidBpchar  = 1042
	oidVarchar = 1043
)

func classOf(oid uint32) class {
	switch oid {
	case oidInt2, oidInt4, oidInt8, oidOID:
		return classInt
	case oidNumeric, oidFloat4, oidFloat8:
		return classNumeric
	case oidDate:
		return classDate
	case oidTimestamp:
		return classTimestamp
	case oidTimestamptz:
		return classTimestamptz
	case oidText, oidVarchar, oidBpchar, oidName:
		return classText
	}
	return classOther
}

// what names a class for messages.
func (c class) what() string {
	switch c {
	case classInt, classNumeric:
		return "numbers"
	case classDate:
		return "dates"
	case classTimestamp, classTimestamptz:
		return "times"
	}
	return "text"
}

// lookback is the lookback option: a duration for a date or time
// watermark, or a count of ids for a numeric one. The zero value is none.
type lookback struct {
	d   time.Duration
	n   int64
	raw string // as written, for messages
}

func (l lookback) none() bool { return l.d == 0 && l.n == 0 }

// String is the option as written.
func (l lookback) String() string {
	if l.raw != "" {
		return l.raw
	}
	if l.n > 0 {
		return strconv.FormatInt(l.n, 10)
	}
	return l.d.String()
}

// OptionType names the lookback's type in the spec's fields.
func (l *lookback) OptionType() string { return "lookback" }

// DecodeOption reads the lookback option (connectors.OptionValue): a
// duration string ("48h"), or a whole number, as a YAML int or a string of
// digits ("1000").
func (l *lookback) DecodeOption(v any) error {
	const want = "is not a duration such as 90s, 30m or 48h, nor a whole number of ids such as 1000"
	*l = lookback{}
	switch v := v.(type) {
	case nil:
		return nil
	case int:
		return l.count(int64(v))
	case int64:
		return l.count(v)
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<62 {
			return fmt.Errorf("%v %s", v, want)
		}
		return l.count(int64(v))
	case string:
		s := strings.TrimSpace(v)
		if s == "" || s == "0" {
			return nil
		}
		if allDigits(s) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is too large", s)
			}
			return l.count(n)
		}
		d, err := connectors.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q %s", s, want)
		}
		if d < 0 {
			return fmt.Errorf("want 0 or more, got %s", s)
		}
		*l = lookback{d: d, raw: s}
		return nil
	}
	return fmt.Errorf("%v %s", v, want)
}

func (l *lookback) count(n int64) error {
	if n < 0 {
		return fmt.Errorf("want 0 or more, got %d", n)
	}
	*l = lookback{n: n}
	return nil
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

// minusLookback is the $1 for a saved watermark w of a column of class c:
// w less the lookback, written in w's own form. A time watermark goes back
// as it came: separator, fraction digits and offset as written, a date
// still a date (rounded down). A count applies to numbers (and to text of
// digits, keeping its zero padding), a duration to dates and times; the
// other pairs are errors, not a silent read without the window.
func minusLookback(w string, c class, lb lookback, column string) (string, error) {
	if lb.none() {
		return w, nil
	}
	st, isTime := parseStamp(w, time.UTC)
	switch {
	case lb.d > 0 && (c == classInt || c == classNumeric || (c == classText && allDigits(w))):
		return "", fmt.Errorf("lookback %s is a duration, but watermark_column %s holds numbers (saved watermark %s): give lookback a count of ids to read again, such as lookback: 1000",
			lb, column, w)
	case lb.n > 0 && (c == classDate || c == classTimestamp || c == classTimestamptz || (c == classText && isTime)):
		return "", fmt.Errorf("lookback %s is a count of ids, but watermark_column %s holds %s (saved watermark %s): give lookback a duration, such as lookback: 48h",
			lb, column, c.what(), w)
	case lb.d > 0 && isTime:
		return st.minus(lb.d), nil
	case lb.n > 0 && c == classInt:
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			break
		}
		if n < math.MinInt64+lb.n {
			return strconv.FormatInt(math.MinInt64, 10), nil
		}
		return strconv.FormatInt(n-lb.n, 10), nil
	case lb.n > 0 && c == classNumeric:
		r, ok := new(big.Rat).SetString(w)
		if !ok {
			break
		}
		digits := 0
		if dot := strings.IndexByte(w, '.'); dot >= 0 {
			digits = len(w) - dot - 1
		}
		return r.Sub(r, new(big.Rat).SetInt64(lb.n)).FloatString(digits), nil
	case lb.n > 0 && c == classText && allDigits(w):
		n, ok := new(big.Int).SetString(w, 10)
		if !ok {
			break
		}
		if n.Sub(n, big.NewInt(lb.n)).Sign() < 0 {
			n.SetInt64(0)
		}
		s := n.String()
		if w[0] == '0' && len(s) < len(w) { // zero-padded: keep the width
			s = strings.Repeat("0", len(w)-len(s)) + s
		}
		return s, nil
	}
	if lb.n > 0 {
		return "", fmt.Errorf("lookback %s is a count of ids and applies to a numeric watermark, and the saved watermark %q of %s is not a number", lb, w, column)
	}
	return "", fmt.Errorf("lookback applies to date and time watermarks, and the saved watermark %q is neither (use lookback only with a date or timestamp watermark_column, or a count such as 1000 with a numeric one)", w)
}

// stamp is a date or date-time as written, with its form, so that it can
// be written back the same way.
type stamp struct {
	at   time.Time // the instant: a naive time in the zone it was parsed in, a date at its midnight
	wall time.Time // the fields as written, in UTC, for arithmetic

	dateSep  byte // '-' or '/'
	dateOnly bool
	sep      byte // ' ' or 'T'
	minutes  bool // HH:MM without seconds
	frac     int  // fraction digits as written
	zone     byte // 0 none, 'Z', 'h' (+08), 'c' (+08:00), 'n' (+0800)
	off      int  // the written offset, in seconds
}

// parseStamp reads YYYY-MM-DD (or YYYY/MM/DD), optionally followed by ' '
// or 'T', HH:MM, :SS, a fraction, and an offset (Z, +08, +08:00, +0800).
// A time without an offset is in zone.
func parseStamp(s string, zone *time.Location) (st stamp, ok bool) {
	if len(s) < 10 || (s[4] != '-' && s[4] != '/') || s[7] != s[4] {
		return st, false
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return st, false
	}
	st.dateSep = s[4]
	rest := s[10:]
	var h, mi, sec, nsec int
	if rest == "" {
		st.dateOnly = true
	} else {
		if len(rest) < 6 || (rest[0] != ' ' && rest[0] != 'T') || rest[3] != ':' {
			return st, false
		}
		st.sep = rest[0]
		var okh, okm bool
		h, okh = num(rest[1:3])
		mi, okm = num(rest[4:6])
		if !okh || !okm || h > 23 || mi > 59 {
			return st, false
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			var oks bool
			if sec, oks = num(rest[1:3]); !oks || sec > 59 {
				return st, false
			}
			rest = rest[3:]
			if len(rest) > 1 && rest[0] == '.' {
				i := 1
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					i++
				}
				st.frac = i - 1
				if st.frac == 0 || st.frac > 9 {
					return st, false
				}
				f, _ := num(rest[1:i])
				for k := st.frac; k < 9; k++ {
					f *= 10
				}
				nsec = f
				rest = rest[i:]
			}
		} else {
			st.minutes = true
		}
		switch {
		case rest == "":
		case rest == "Z":
			st.zone = 'Z'
		case rest[0] == '+' || rest[0] == '-':
			sign := 1
			if rest[0] == '-' {
				sign = -1
			}
			z := rest[1:]
			var oh, om int
			var okz bool
			switch {
			case len(z) == 2:
				st.zone = 'h'
				oh, okz = num(z)
			case len(z) == 5 && z[2] == ':':
				st.zone = 'c'
				oh, okz = num(z[:2])
				var okm bool
				om, okm = num(z[3:])
				okz = okz && okm
			case len(z) == 4:
				st.zone = 'n'
				oh, okz = num(z[:2])
				var okm bool
				om, okm = num(z[2:])
				okz = okz && okm
			}
			if !okz || oh > 15 || om > 59 {
				return st, false
			}
			st.off = sign * (oh*3600 + om*60)
		default:
			return st, false
		}
	}
	st.wall = time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	switch st.zone {
	case 0:
		st.at = time.Date(y, time.Month(mo), d, h, mi, sec, nsec, zone)
	default:
		st.at = st.wall.Add(-time.Duration(st.off) * time.Second)
	}
	return st, true
}

// minus is the stamp moved back by d, written in the stamp's form. The
// arithmetic is on the wall clock as written (its offset, if any, stays).
// Digits the form does not write are dropped, which rounds down.
func (st stamp) minus(d time.Duration) string {
	return st.format(st.wall.Add(-d))
}

// format writes t's wall clock in the stamp's form.
func (st stamp) format(t time.Time) string {
	b := make([]byte, 0, 35)
	b = appendInt(b, t.Year(), 4)
	b = append(b, st.dateSep)
	b = appendInt(b, int(t.Month()), 2)
	b = append(b, st.dateSep)
	b = appendInt(b, t.Day(), 2)
	if st.dateOnly {
		return string(b)
	}
	b = append(b, st.sep)
	b = appendInt(b, t.Hour(), 2)
	b = append(b, ':')
	b = appendInt(b, t.Minute(), 2)
	if !st.minutes {
		b = append(b, ':')
		b = appendInt(b, t.Second(), 2)
		if st.frac > 0 {
			f := t.Nanosecond()
			for k := st.frac; k < 9; k++ {
				f /= 10
			}
			b = append(b, '.')
			b = appendInt(b, f, st.frac)
		}
	}
	if st.zone == 0 {
		return string(b)
	}
	if st.zone == 'Z' {
		return string(append(b, 'Z'))
	}
	off := st.off
	if off < 0 {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	b = appendInt(b, off/3600, 2)
	switch st.zone {
	case 'c':
		b = append(b, ':')
		b = appendInt(b, off%3600/60, 2)
	case 'n':
		b = appendInt(b, off%3600/60, 2)
	}
	return string(b)
}

// num parses a short run of ASCII digits.
func num(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// appendInt writes n zero-padded to width digits.
func appendInt(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var d [20]byte
	i := len(d)
	for n > 0 || i == len(d) {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	for k := len(d) - i; k < width; k++ {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// tracker keeps the largest value of the watermark column that is not
// after the read's start, compared in the column's type: numbers as
// numbers, dates and times as instants (a time without an offset in the
// source's zone), text as a date-time when it is written as one, else byte
// by byte (so a text id should be zero-padded). It counts what it could
// not use: NULL or empty values, values after the start, values that are
// not a position (infinity, NaN, a date-time column's text that does not
// parse).
type tracker struct {
	col    int    // index in the row
	column string // its name, for notes
	class  class
	zone   *time.Location // of naive times
	start  time.Time      // the read's start: no later watermark is saved
	full   bool           // the read runs full_query

	best string // the largest value seen, as the watermark; "" for none
	// best parsed, in the field its class uses, to spare parsing it again
	bestInt  int64
	bestRat  *big.Rat
	bestTime time.Time

	// A text column's values that are not date-times: its watermark (byte
	// order) when none is a date-time, else its bad values.
	other    string
	others   int64
	timeText bool // a text value (or the resumed watermark) was a date-time

	nulls, bad, future int64
	latest             string // the latest value after the start
	latestAt           time.Time
}

// newTracker tracks column col of class c, named column; naive times are
// in zone, and no value after start becomes the watermark.
func newTracker(col int, column string, c class, zone *time.Location, start time.Time) *tracker {
	return &tracker{col: col, column: column, class: c, zone: zone, start: start}
}

// seed starts from the resumed watermark when it is a position of the
// column's class: reading the lookback window again must never move the
// watermark back. It counts in no note.
func (t *tracker) seed(resumed string) {
	if resumed == "" {
		return
	}
	t.observe(resumed)
	t.nulls, t.bad, t.future, t.others, t.latest = 0, 0, 0, 0, ""
}

// afterStart reports whether w, a value of the column, lies after the
// read's start. Numbers and text that is not a date-time never do.
func (t *tracker) afterStart(w string) bool {
	switch t.class {
	case classDate, classTimestamp, classTimestamptz, classText:
		st, ok := parseStamp(w, t.zone)
		return ok && st.at.After(t.start)
	}
	return false
}

// observe considers a value of the column; "" is NULL (or empty text).
func (t *tracker) observe(s string) {
	if s == "" {
		t.nulls++
		return
	}
	switch t.class {
	case classInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.bad++
		} else if t.best == "" || n > t.bestInt {
			t.best, t.bestInt = s, n
		}
	case classNumeric:
		r, ok := new(big.Rat).SetString(s)
		if !ok { // NaN, Infinity
			t.bad++
		} else if t.best == "" || r.Cmp(t.bestRat) > 0 {
			t.best, t.bestRat = s, r
		}
	case classDate, classTimestamp, classTimestamptz, classText:
		st, ok := parseStamp(s, t.zone)
		switch {
		case !ok && t.class == classText:
			t.others++
			if s > t.other {
				t.other = s
			}
		case !ok: // infinity, a year past 9999
			t.bad++
		case st.at.After(t.start):
			t.timeText = true
			t.future++
			if t.latest == "" || st.at.After(t.latestAt) {
				t.latest, t.latestAt = s, st.at
			}
		default:
			t.timeText = true
			if t.best == "" || st.at.After(t.bestTime) {
				t.best, t.bestTime = s, st.at
			}
		}
	default:
		if s > t.best {
			t.best = s
		}
	}
}

// watermark is the position reached: "" when no value was one.
func (t *tracker) watermark() string {
	if t.class == classText && !t.timeText {
		return t.other
	}
	return t.best
}

// notes are the tracker's counts in plain words. They quote no value but
// the latest future one, which is a date, not a person's data.
func (t *tracker) notes() []connectors.Note {
	var out []connectors.Note
	if t.future > 0 {
		out = append(out, connectors.Note{Code: connectors.NoteFutureWatermark, Count: t.future,
			Text: fmt.Sprintf("%s dated after this read's start (the latest %s %s): loaded like the others, but they do not move the watermark and are read again at every sync",
				records(t.future), t.column, t.latest)})
	}
	switch {
	case t.nulls > 0 && t.full:
		out = append(out, connectors.Note{Code: connectors.NoteNullWatermark, Count: t.nulls,
			Text: fmt.Sprintf("%s with no %s (NULL or empty), read by full_query: a query %s > $1 does not read them, so a change to one is read at the next full read (sync --full, or reconcile on the source)",
				records(t.nulls), t.column, t.column)})
	case t.nulls > 0:
		out = append(out, connectors.Note{Code: connectors.NoteNullWatermark, Count: t.nulls,
			Text: fmt.Sprintf("%s with no %s (NULL or empty): a query %s > $1 never reads such records (see the sql connector's README: COALESCE, OR %s IS NULL, or full_query with reconcile)",
				records(t.nulls), t.column, t.column, t.column)})
	}
	bad := t.bad
	if t.class == classText && t.timeText {
		bad += t.others
	}
	if bad > 0 {
		what := "a date or time lipwatch can read"
		if t.class == classInt || t.class == classNumeric {
			what = "a number lipwatch can order (NaN, Infinity)"
		}
		out = append(out, connectors.Note{Code: connectors.NoteBadWatermark, Count: bad,
			Text: fmt.Sprintf("%s whose %s is not %s: loaded, but they do not move the watermark", records(bad), t.column, what)})
	}
	return out
}

func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return strconv.FormatInt(n, 10) + " records"
}
