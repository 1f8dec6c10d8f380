package sqlsrc

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Layouts of the date and time watermarks, as render writes them.
const (
	layoutDate        = "2006-01-02"
	layoutTimestamp   = "2006-01-02T15:04:05.999999999"
	layoutTimestamptz = time.RFC3339Nano
)

// timeLayouts are tried in order when a watermark's type is not known
// (the saved one, for lookback).
var timeLayouts = []string{layoutTimestamptz, layoutTimestamp, layoutDate}

// minusLookback moves a saved date or time watermark back by d, keeping its
// form (a date stays a date, rounded down; an offset stays the same). A
// watermark that is not a date or time cannot be moved, and is an error
// rather than silently read without the lookback the config asks for.
func minusLookback(w string, d time.Duration) (string, error) {
	if d == 0 {
		return w, nil
	}
	norm := strings.Replace(strings.TrimSpace(w), " ", "T", 1)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, norm); err == nil {
			return t.Add(-d).Format(layout), nil
		}
	}
	return "", fmt.Errorf("lookback applies to date and time watermarks, and the saved watermark %q is neither (use lookback only with a date or timestamp watermark_column)", w)
}

// tracker keeps the largest value of the watermark column, compared in the
// column's type: numbers as numbers, dates and times as instants, anything
// else byte by byte (so a text watermark should be a column whose byte
// order is its order, such as a zero-padded id). NULLs and values that do
// not parse (infinity) are not positions and are skipped.
type tracker struct {
	col  int    // index in the row
	oid  uint32 // the column's type
	best string // the largest value seen, as rendered; "" for none
	// best parsed, in the field its type uses, to spare parsing it again
	bestInt  int64
	bestRat  *big.Rat
	bestTime time.Time
}

// newTracker tracks column col of type oid, starting from the resumed
// watermark when it parses in that type: reading the lookback window again
// must never move the watermark back.
func newTracker(col int, oid uint32, resumed string) *tracker {
	t := &tracker{col: col, oid: oid}
	if resumed != "" {
		t.observe(resumed)
	}
	return t
}

// observe considers a non-NULL value of the column.
func (t *tracker) observe(s string) {
	switch t.oid {
	case oidInt2, oidInt4, oidInt8, oidOID:
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && (t.best == "" || n > t.bestInt) {
			t.best, t.bestInt = s, n
		}
	case oidNumeric, oidFloat4, oidFloat8:
		r, ok := new(big.Rat).SetString(s)
		if ok && (t.best == "" || r.Cmp(t.bestRat) > 0) {
			t.best, t.bestRat = s, r
		}
	case oidDate, oidTimestamp, oidTimestamptz:
		layout := layoutDate
		switch t.oid {
		case oidTimestamp:
			layout = layoutTimestamp
		case oidTimestamptz:
			layout = layoutTimestamptz
		}
		v, err := time.Parse(layout, strings.Replace(s, " ", "T", 1))
		if err == nil && (t.best == "" || v.After(t.bestTime)) {
			t.best, t.bestTime = s, v
		}
	default:
		if s != "" && s > t.best {
			t.best = s
		}
	}
}
