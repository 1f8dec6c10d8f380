package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
)

// maxLookback bounds the search for a schedule's previous tick. cron's own
// Next gives up five years ahead; a little more covers leap-day schedules.
const maxLookback = 8 * 365 * 24 * time.Hour

// zonePrefixes are the time-zone prefixes robfig/cron reads in front of a
// spec. Parse rejects them (see Parse) and never hands them to cron, whose
// prefix parsing panics when no space follows the zone ("TZ=UTC",
// "CRON_TZ=UTC\t0 2 * * *") and reads "TZ= 0 2 * * *" as UTC.
var zonePrefixes = []string{"CRON_TZ=", "TZ="}

// Parse checks a cron spec and returns its schedule. It is the one check
// of a spec: config validation calls it for schedule.nightly and every
// source's schedule, and the Scheduler and Next call it too, so whatever
// the config accepts, serve runs. It never panics.
//
// A spec is five fields ("30 2 * * *") or a descriptor ("@daily",
// "@every 1h"), read in the county's time zone. A TZ= or CRON_TZ= prefix
// is rejected, even one naming the county's own zone: every schedule is
// read in county.timezone, so a prefix is either redundant or wrong, and
// one way of writing a schedule leaves nothing to compare (Asia/Chongqing
// and PRC are Asia/Shanghai too). county names that zone in the message;
// nil leaves the name out. A spec that never fires ("0 0 30 2 *") is an
// error, since serve could never run it.
//
// Messages quote the spec and say what to change, e.g.
// "schedules are read in the county's time zone (Asia/Shanghai); remove CRON_TZ=UTC".
func Parse(spec string, county *time.Location) (cron.Schedule, error) {
	return parseAt(spec, county, time.Now())
}

// parseAt is Parse with the instant the never-fires check starts from.
func parseAt(spec string, county *time.Location, now time.Time) (cron.Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, errors.New("empty cron schedule")
	}
	if prefix, ok := zonePrefix(s); ok {
		zone := s[len(prefix):]
		if i := strings.IndexFunc(zone, unicode.IsSpace); i >= 0 {
			zone = zone[:i]
		}
		where := "the county's time zone"
		if county != nil {
			where += " (" + county.String() + ")"
		}
		return nil, fmt.Errorf("schedules are read in %s; remove %s", where, prefix+zone)
	}
	sched, err := parseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("invalid cron schedule %q: %w", spec, err)
	}
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		// cron turns a negative, zero or sub-second @every into a job
		// every second: "@every -1h" would run the nightly job all day.
		d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(s, "@every")))
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("cron schedule %q: @every takes a duration of at least a second, such as @every 1h", spec)
		}
	}
	if sched.Next(now).IsZero() {
		return nil, fmt.Errorf("cron schedule %q never fires", spec)
	}
	return sched, nil
}

// zonePrefix returns the time-zone prefix s starts with, in any case
// ("cron_tz=" is a typo of the same intent), as written.
func zonePrefix(s string) (string, bool) {
	for _, p := range zonePrefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return s[:len(p)], true
		}
	}
	return "", false
}

// parseStandard is cron.ParseStandard behind a recover: Parse keeps the
// inputs known to panic away from it, and this is the last line of defence
// against one not yet known, so that a bad config is an error, never a crash.
func parseStandard(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("the cron parser failed on it (%v)", r)
		}
	}()
	return cron.ParseStandard(spec)
}

// Next returns the first time after after at which spec fires, read in loc
// ("30 2 * * *" is 02:30 in loc). The result is in loc. It is an error if
// the spec is invalid (see Parse) or never fires in the next five years.
func Next(spec string, loc *time.Location, after time.Time) (time.Time, error) {
	if loc == nil {
		return time.Time{}, errors.New("schedule: nil location")
	}
	sched, err := Parse(spec, loc)
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

// Prev returns the latest time at or before at when spec fires, read in
// loc, in loc: the tick a run at at would catch up. It is an error if the
// spec is invalid (see Parse) or did not fire in the last eight years.
func Prev(spec string, loc *time.Location, at time.Time) (time.Time, error) {
	if loc == nil {
		return time.Time{}, errors.New("schedule: nil location")
	}
	sched, err := Parse(spec, loc)
	if err != nil {
		return time.Time{}, err
	}
	prev := prevTick(sched, at.In(loc))
	if prev.IsZero() {
		return time.Time{}, fmt.Errorf("cron schedule %q did not fire before %s", spec, at.In(loc).Format(time.RFC3339))
	}
	return prev, nil
}
