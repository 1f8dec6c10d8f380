package httpapi

import (
	"fmt"
	"strings"
	"time"
)

// Watermark layouts, tried in order. A value without a zone is in the
// source's zone (the timezone option, else the county's): compared with
// others of its kind it orders right whatever the zone is, and compared
// with the sync's start it is read in that zone.
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

// parseMark reads a watermark value written in one of markLayouts; a
// value without a zone is in loc.
func parseMark(s string, loc *time.Location) (mark, bool) {
	s = strings.TrimSpace(s)
	if len(s) < len(time.DateOnly) {
		return mark{}, false
	}
	for _, l := range markLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return mark{t: t, layout: l}, true
		}
	}
	return mark{}, false
}

// errBadSaved is the message for a saved watermark that is not a time
// (saved under another configuration, or by another connector), which
// would fail every sync: it says how to recover. The value is masked, as
// every error text is (a misconfigured watermark_field could have saved
// an ID number).
func errBadSaved(saved, source string) error {
	return fmt.Errorf("saved watermark %q is not a time (want RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD), so no incremental read can start from it; "+
		"to recover, run lipwatch sync --full %s: it reads the source from the start and saves a new watermark", shorten(mask(saved, nil), 40), source)
}

// sendValue is the watermark parameter for a saved watermark: the saved
// value minus the lookback, in the value's own layout. A date-only value
// moves back by whole days, rounding down, so no record is missed.
func sendValue(saved string, lookback time.Duration, loc *time.Location, source string) (string, error) {
	if saved == "" {
		return "", nil
	}
	m, ok := parseMark(saved, loc)
	if !ok {
		return "", errBadSaved(saved, source)
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

// take keeps raw, parsed as m, when it is the greatest so far.
func (x *maxMark) take(raw string, m mark) {
	if !x.set || m.t.After(x.m.t) {
		x.raw, x.m, x.set = strings.TrimSpace(raw), m, true
	}
}

// clock is the sync's start, against which watermark values are judged.
type clock struct {
	loc      *time.Location // the zone of values written without one
	start    time.Time
	startDay time.Time // midnight starting the start's date in loc
}

func newClock(start time.Time, loc *time.Location) clock {
	y, m, d := start.In(loc).Date()
	return clock{loc: loc, start: start, startDay: time.Date(y, m, d, 0, 0, 0, 0, loc)}
}

// future reports whether m lies after the start: a date-only value when
// its date is after the start's date in the source's zone, as a record
// dated today is not from the future at any hour.
func (c clock) future(m mark) bool {
	if m.layout == time.DateOnly {
		return m.t.After(c.startDay)
	}
	return m.t.After(c.start)
}

// marks tallies the watermark_field values of one read: the greatest not
// after the start (the next watermark) and what could not be used.
type marks struct {
	clock
	max    maxMark // the greatest value not after the start
	future maxMark // the greatest value after it
	// Records read (a record read twice counts twice).
	nFuture, nNull, nBad int64
}

// observe takes one record's value ("" when the record lacks the field
// or it is null). mayMove false counts the value without letting it
// become the next watermark (a new arrival seen by a verify pass).
func (w *marks) observe(val string, mayMove bool) {
	if strings.TrimSpace(val) == "" {
		w.nNull++
		return
	}
	m, ok := parseMark(val, w.loc)
	switch {
	case !ok:
		w.nBad++
	case w.clock.future(m):
		w.nFuture++
		w.future.take(val, m)
	case mayMove:
		w.max.take(val, m)
	}
}
