package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// maxLookback bounds the search for a schedule's previous tick. cron's own
// Next gives up five years ahead; a little more covers leap-day schedules.
const maxLookback = 8 * 365 * 24 * time.Hour

// parse reads a spec with the same parser that config validation uses
// (cron.ParseStandard), so whatever the config accepts, the scheduler runs:
// five fields or a descriptor such as "@daily" or "@every 1h".
func parse(spec string) (cron.Schedule, error) {
	if spec == "" {
		return nil, errors.New("empty cron schedule")
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron schedule %q: %w", spec, err)
	}
	return sched, nil
}

// Next returns the first time after after at which spec fires, read in loc
// ("30 2 * * *" is 02:30 in loc). The result is in loc. It is an error if
// the spec is invalid or never fires in the next five years.
func Next(spec string, loc *time.Location, after time.Time) (time.Time, error) {
	if loc == nil {
		return time.Time{}, errors.New("schedule: nil location")
	}
	sched, err := parse(spec)
	if err != nil {
		return time.Time{}, err
	}
	next := sched.Next(after.In(loc))
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("cron schedule %q never fires", spec)
	}
	return next, nil
}

// prevTick returns the latest time at or before at when sched fires, or the
// zero time if it fired not once in maxLookback. at must already be in the
// schedule's location. cron has no Prev, so this looks back over doubling
// windows until one holds a tick, then walks forward to the last one.
//
// For "@every D" there is no anchor; the result is within D before at, so a
// job that has not succeeded for D counts as missed.
func prevTick(sched cron.Schedule, at time.Time) time.Time {
	for w := time.Second; ; w *= 2 {
		w = min(w, maxLookback)
		t := sched.Next(at.Add(-w))
		if t.IsZero() || t.After(at) {
			if w == maxLookback {
				return time.Time{}
			}
			continue
		}
		// No tick in (at-w/2, at], so the walk covers at most (at-w, at-w/2].
		for {
			n := sched.Next(t)
			if n.IsZero() || n.After(at) {
				return t
			}
			t = n
		}
	}
}
