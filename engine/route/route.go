// Package route decides where a warning case goes and by when: the
// household's township from the registry, or the county's own queue when
// no township is known (never dropped) or a rule routes it there (route:
// county, a township's own staff's relative), with a deadline counted in
// working days on the official holiday calendar.
package route

import (
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/calendar"
)

// CountyQueue is the township code of cases the county handles itself.
const CountyQueue = ""

// CountyQueueName names the county queue in lists and summaries.
const CountyQueueName = "县级队列（乡镇未明或须回避）"

// Router routes cases and sets deadlines.
type Router struct {
	// CountyCode is the six-digit county code; a township code outside it
	// is not one of ours.
	CountyCode string
	// Townships names the county's townships by 9-digit code. When empty,
	// every well-formed code in the county is accepted.
	Townships map[string]string
	Calendar  *calendar.Calendar
	// Days and ExtensionDays are the working days allowed from dispatch
	// (15 and 25 by the county's promise).
	Days, ExtensionDays int
}

// Township returns the township a case with this registry township code
// goes to: the code itself, or CountyQueue when it is empty, malformed,
// outside the county, or not a known township.
func (r *Router) Township(code string) string {
	if len(code) != 9 || !strings.HasPrefix(code, r.CountyCode) {
		return CountyQueue
	}
	if len(r.Townships) > 0 {
		if _, ok := r.Townships[code]; !ok {
			return CountyQueue
		}
	}
	return code
}

// Name is the township's name for lists, falling back to its code.
func (r *Router) Name(code string) string {
	if code == CountyQueue {
		return CountyQueueName
	}
	if n, ok := r.Townships[code]; ok {
		return n
	}
	return code
}

// Deadline is the day by which a case dispatched on day must be verified:
// Days working days later, or ExtensionDays when extended.
func (r *Router) Deadline(day time.Time, extended bool) (time.Time, error) {
	n := r.Days
	if extended {
		n = r.ExtensionDays
	}
	d, err := r.Calendar.AddWorkdays(day, n)
	if err != nil {
		return time.Time{}, fmt.Errorf("deadline for %s: %w", day.Format(time.DateOnly), err)
	}
	return d, nil
}

// Overdue reports whether a deadline has passed on day.
func Overdue(deadline, day time.Time) bool {
	return !deadline.IsZero() && day.After(deadline)
}
