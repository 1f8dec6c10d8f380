package calendar

import "time"

// year is one year of the calendar, precomputed for lookups.
type year struct {
	source      string
	provisional bool
	days        int         // 365 or 366
	work        [6]uint64   // bit d is set when day d (0 = 1 January) is a working day
	cum         [367]uint16 // cum[d] = working days among days 0..d-1
}

// newYear builds year y from the days the file lists as holidays and as
// workdays (indexes from 0 = 1 January). A listed workday wins over the
// weekend and a listed holiday over the weekday; the parser has already
// rejected a day listed as both.
func newYear(y int, source string, provisional bool, holidays, workdays map[int]bool) *year {
	yc := &year{source: source, provisional: provisional, days: daysIn(y)}
	wd := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Weekday()
	for d := range yc.days {
		work := wd != time.Saturday && wd != time.Sunday
		if holidays[d] {
			work = false
		}
		if workdays[d] {
			work = true
		}
		yc.cum[d+1] = yc.cum[d]
		if work {
			yc.work[d>>6] |= 1 << (d & 63)
			yc.cum[d+1]++
		}
		wd = (wd + 1) % 7
	}
	return yc
}

// isWork reports whether day d (0 = 1 January) is a working day.
func (yc *year) isWork(d int) bool {
	return yc.work[d>>6]>>(d&63)&1 == 1
}

// daysIn returns the number of days in year y.
func daysIn(y int) int {
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 366
	}
	return 365
}
