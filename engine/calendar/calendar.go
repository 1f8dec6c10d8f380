// Package calendar counts working days on the official Chinese holiday
// calendar.
//
// Weekends alone do not give the right answer: each year the State Council's
// notice on holidays (国务院办公厅关于某年部分节假日安排的通知) turns some
// weekdays into days off and moves some weekend days into make-up working
// days (调休). A township's deadline of "15 working days" must land where the
// township's own office calendar puts it, so lipwatch reads the notice's
// dates from a file that analysts maintain (rules/holidays.yaml, see Parse)
// and counts on that.
//
// A day is a working day when it is Monday to Friday and not listed as a
// holiday, or when it is listed as a workday. Years the file does not cover
// are not guessed at: asking about them is an error wrapping ErrNotCovered,
// because a silently wrong deadline is worse than none.
//
// # Dates
//
// Every method works on calendar days. It reads only the year, month and
// day of a time.Time, in that time's own location (t.Date()), and ignores
// the clock. Pass dates at UTC midnight (time.Date(y, m, d, 0, 0, 0, 0,
// time.UTC)) or times in the county's zone (Asia/Shanghai), but do not
// convert between the two: 2025-09-30T20:00 UTC is already 1 October in
// Shanghai.
//
// Lookups use a per-year bitmap and running count built once by Parse, so
// IsWorkday is a bit test and AddWorkdays and WorkdaysBetween cost a binary
// search or a subtraction per year crossed, whatever n is.
package calendar

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNotCovered is wrapped by the errors of queries that need a year the
// holiday file does not have. The message names the year and the years the
// file covers; the fix is to enter that year's notice in the file.
var ErrNotCovered = errors.New("year not in the holiday calendar")

// Calendar is a parsed holiday file: which days of its years are working
// days. It is immutable once built and safe for concurrent use.
type Calendar struct {
	name  string  // the file as named to Parse, for error messages
	first int     // the year of years[0]
	years []*year // years[y-first]; nil for a year the file skips
}

// Years returns the years the calendar covers, in ascending order.
func (c *Calendar) Years() []int {
	var ys []int
	if c == nil {
		return nil
	}
	for i, yc := range c.years {
		if yc != nil {
			ys = append(ys, c.first+i)
		}
	}
	return ys
}

// Covers reports whether the calendar has the year of d, so that IsWorkday
// can answer for d.
func (c *Calendar) Covers(d time.Time) bool {
	return c.year(d.Year()) != nil
}

// Provisional reports whether the file marks year as provisional: entered
// before the official notice was published, holding only the fixed-date
// holidays. Counts in such a year may move once the notice is entered, so
// callers should say so next to a deadline that falls in it.
func (c *Calendar) Provisional(year int) bool {
	yc := c.year(year)
	return yc != nil && yc.provisional
}

// Source returns the notice the file cites for year (e.g.
// "国办发明电〔2024〕12号"), or "" when the year is not covered or cites
// none, so that a deadline can be explained by the rules it came from.
func (c *Calendar) Source(year int) string {
	if yc := c.year(year); yc != nil {
		return yc.source
	}
	return ""
}

// IsWorkday reports whether d is a working day. It fails with an error
// wrapping ErrNotCovered when the calendar does not have d's year.
func (c *Calendar) IsWorkday(d time.Time) (bool, error) {
	yc, err := c.need(d.Year())
	if err != nil {
		return false, fmt.Errorf("is %s a working day: %w", d.Format(time.DateOnly), err)
	}
	return yc.isWork(d.YearDay() - 1), nil
}

// AddWorkdays returns the n-th working day after start: start itself is not
// counted, whether or not it is a working day, so 15 working days from a
// warning pushed on Friday 2025-09-26 is Thursday 2025-10-23. n == 0
// returns start unchanged; a negative n is an error.
//
// Only the days after start up to the result must be covered; when the
// count runs into a year the calendar does not have, the error wraps
// ErrNotCovered. The result keeps start's clock time and location, so only
// its date carries meaning.
func (c *Calendar) AddWorkdays(start time.Time, n int) (time.Time, error) {
	if n < 0 {
		return time.Time{}, fmt.Errorf("add %d working days to %s: the count must not be negative", n, start.Format(time.DateOnly))
	}
	if n == 0 {
		return start, nil
	}
	left := n
	y, d := start.Year(), start.YearDay() // d: index of the day after start
	for {
		if d == daysIn(y) {
			y, d = y+1, 0
		}
		yc, err := c.need(y)
		if err != nil {
			return time.Time{}, fmt.Errorf("add %d working days to %s: %w", n, start.Format(time.DateOnly), err)
		}
		rest := int(yc.cum[yc.days] - yc.cum[d])
		if left > rest {
			left -= rest
			y, d = y+1, 0
			continue
		}
		// The first day e >= d by which left working days have passed.
		want := yc.cum[d] + uint16(left)
		e := d + sort.Search(yc.days-d, func(i int) bool { return yc.cum[d+i+1] >= want })
		h, m, s := start.Clock()
		return time.Date(y, time.January, e+1, h, m, s, start.Nanosecond(), start.Location()), nil
	}
}

// WorkdaysBetween returns the number of working days in (from, to]: from
// itself is not counted and to is, so that
// WorkdaysBetween(start, AddWorkdays(start, n)) == n. When to is before from
// the result is minus the working days in (to, from], which reads as
// "overdue by N working days" for WorkdaysBetween(today, deadline) < 0.
// Equal dates give 0. Every day counted must be covered; otherwise the error
// wraps ErrNotCovered.
func (c *Calendar) WorkdaysBetween(from, to time.Time) (int, error) {
	fy, fd := from.Year(), from.YearDay()-1
	ty, td := to.Year(), to.YearDay()-1
	var n int
	var err error
	switch {
	case fy == ty && fd == td:
		return 0, nil
	case fy < ty || fy == ty && fd < td:
		n, err = c.count(fy, fd, ty, td)
	default:
		n, err = c.count(ty, td, fy, fd)
		n = -n
	}
	if err != nil {
		return 0, fmt.Errorf("count working days from %s to %s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return n, nil
}

// count returns the working days after day ad of year ay up to and
// including day bd of year by; (ay, ad) is before (by, bd).
func (c *Calendar) count(ay, ad, by, bd int) (int, error) {
	n := 0
	y, d := ay, ad+1
	for {
		if d == daysIn(y) {
			y, d = y+1, 0
		}
		yc, err := c.need(y)
		if err != nil {
			return 0, err
		}
		if y == by {
			return n + int(yc.cum[bd+1]-yc.cum[d]), nil
		}
		n += int(yc.cum[yc.days] - yc.cum[d])
		y, d = y+1, 0
	}
}

// year returns the calendar of year y, or nil when it is not covered.
func (c *Calendar) year(y int) *year {
	if c == nil {
		return nil
	}
	i := y - c.first
	if i < 0 || i >= len(c.years) {
		return nil
	}
	return c.years[i]
}

// need returns the calendar of year y, or an error wrapping ErrNotCovered
// that says which years the file has.
func (c *Calendar) need(y int) (*year, error) {
	if yc := c.year(y); yc != nil {
		return yc, nil
	}
	covers := "covers no year"
	if ys := c.Years(); len(ys) > 0 {
		covers = "covers " + spans(ys)
	}
	if c != nil && c.name != "" {
		covers = c.name + " " + covers
	}
	return nil, fmt.Errorf("%w: %d (%s)", ErrNotCovered, y, covers)
}

// spans writes ascending years compactly: "2025-2027", "2025, 2027-2028".
func spans(ys []int) string {
	var parts []string
	for i := 0; i < len(ys); {
		j := i
		for j+1 < len(ys) && ys[j+1] == ys[j]+1 {
			j++
		}
		p := strconv.Itoa(ys[i])
		if j > i {
			p += "-" + strconv.Itoa(ys[j])
		}
		parts = append(parts, p)
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
