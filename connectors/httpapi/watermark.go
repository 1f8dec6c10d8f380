package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// day is the unit parseDuration adds to time.ParseDuration's, as the rest
// of lipwatch's config writes retention periods ("180d").
const day = 24 * time.Hour

// parseDuration reads "30s", "1h30m", "48h" or whole days ("2d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	rest := in
	var total time.Duration
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q; write e.g. \"30s\", \"48h\" or \"2d\"", s)
		}
		total = time.Duration(n) * day
		rest = rest[i+1:]
		if rest == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q; write e.g. \"30s\", \"48h\" or \"2d\"", s)
	}
	return total + d, nil
}

// Watermark layouts, tried in order. A naive date-time (no zone) is the
// server's local time: compared with others of its kind, it orders right
// whatever the zone is.
var markLayouts = []string{
	time.RFC3339Nano,
	time.DateTime, // 2006-01-02 15:04:05
	"2006-01-02T15:04:05",
	time.DateOnly,
}

// mark is a parsed watermark value: its instant and the layout it was
// written in, so that a value sent back to the source reads as the source
// writes it.
type mark struct {
	t      time.Time
	layout string
}

// parseMark reads a watermark value written in one of markLayouts.
func parseMark(s string) (mark, bool) {
	s = strings.TrimSpace(s)
	if len(s) < len(time.DateOnly) {
		return mark{}, false
	}
	for _, l := range markLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return mark{t: t, layout: l}, true
		}
	}
	return mark{}, false
}

// sendValue is the watermark parameter for a saved watermark: the saved
// value minus the lookback, in the value's own layout. A date-only value
// moves back by whole days, rounding down, so no record is missed.
func sendValue(saved string, lookback time.Duration) (string, error) {
	if saved == "" {
		return "", nil
	}
	m, ok := parseMark(saved)
	if !ok {
		return "", fmt.Errorf("saved watermark %q is not a time (want RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD)", saved)
	}
	if lookback == 0 {
		return strings.TrimSpace(saved), nil
	}
	t := m.t.Add(-lookback)
	if m.layout == time.RFC3339Nano {
		return t.Format(time.RFC3339Nano), nil
	}
	return t.Format(m.layout), nil
}

// maxMark keeps the greatest watermark value seen, as written.
type maxMark struct {
	raw string
	m   mark
	set bool
}

// observe takes a record's value; values that are not times are ignored
// (they reach the dataset layer, which judges them).
func (x *maxMark) observe(s string) {
	m, ok := parseMark(s)
	if !ok {
		return
	}
	if !x.set || m.t.After(x.m.t) {
		x.raw, x.m, x.set = strings.TrimSpace(s), m, true
	}
}
