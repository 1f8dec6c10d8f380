package rule

import (
	"fmt"
	"slices"
	"time"
)

// ReviewSoon is how many days ahead rules check tells of a param's review
// date coming up.
const ReviewSoon = 30

// Review is a param whose review date (review_by) is near or past on a
// day.
type Review struct {
	Param *Param
	// Days is from the day to the review date: 0 on the date itself,
	// negative once it has passed.
	Days int
}

// Overdue reports whether the review date has passed: the day is after it.
func (r Review) Overdue() bool { return r.Days < 0 }

// Reviews lists the params whose review date is at most within days after
// day, those past it included, in file order; Reviews(day, -1) is the
// params past their review date. Params without one are never listed.
// A review date never changes what a param evaluates to.
func (p *Pack) Reviews(day time.Time, within int) []Review {
	d := civil(day)
	var out []Review
	for _, prm := range p.paramList {
		if prm.ReviewBy.IsZero() {
			continue
		}
		days := int(prm.ReviewBy.Sub(d).Hours() / 24)
		if days <= within {
			out = append(out, Review{Param: prm, Days: days})
		}
	}
	fileIdx := func(file string) int {
		if i := slices.Index(p.Files, file); i >= 0 {
			return i
		}
		return len(p.Files)
	}
	slices.SortStableFunc(out, func(a, b Review) int {
		x, y := a.Param.ReviewPos, b.Param.ReviewPos
		if c := fileIdx(x.File) - fileIdx(y.File); c != 0 {
			return c
		}
		if x.Line != y.Line {
			return x.Line - y.Line
		}
		return x.Col - y.Col
	})
	return out
}

// Message says what the review date means on the day, naming the param
// and never its values: "param X: review_by 2026-06-30 has passed (…)",
// or "… is due in 12 days (…)".
func (r Review) Message() string {
	prm := r.Param
	date := prm.ReviewBy.Format(time.DateOnly)
	switch {
	case r.Days < 0:
		return fmt.Sprintf("param %s: review_by %s has passed (confirm the value and set a new review date)", prm.Name, date)
	case r.Days == 0:
		return fmt.Sprintf("param %s: review_by %s is due today (confirm the value and set a new review date)", prm.Name, date)
	case r.Days == 1:
		return fmt.Sprintf("param %s: review_by %s is due in 1 day (confirm the value before then)", prm.Name, date)
	}
	return fmt.Sprintf("param %s: review_by %s is due in %d days (confirm the value before then)", prm.Name, date, r.Days)
}

// Note is a remark that is neither an error nor a warning: a param's
// review date coming up. Its fields are those of Error.
type Note Error

// String formats n as "file:line:col: note: message" followed by its
// snippet.
func (n *Note) String() string {
	s := n.Pos.String() + ": note: " + n.Message
	if n.Snippet != "" {
		s += "\n" + n.Snippet
	}
	return s
}

// ReviewWarnings is what rules check says of the review dates on day: a
// warning at the review_by of each param past it, and a note at each one
// due within ReviewSoon days (today included), in file order, each with
// its caret snippet.
func (p *Pack) ReviewWarnings(day time.Time) (warnings []*Warning, notes []*Note) {
	for _, r := range p.Reviews(day, ReviewSoon) {
		var e *Error
		if p.files != nil {
			e = p.files.At(r.Param.ReviewPos, "%s", r.Message())
		} else {
			e = &Error{Pos: r.Param.ReviewPos, Message: r.Message()}
		}
		if r.Overdue() {
			warnings = append(warnings, (*Warning)(e))
		} else {
			notes = append(notes, (*Note)(e))
		}
	}
	return warnings, notes
}
