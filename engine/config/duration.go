package config

import (
	"strconv"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// Day and Week are the units Duration adds to time.ParseDuration's.
const (
	Day  = connectors.Day
	Week = connectors.Week
)

// Duration is a time.Duration written as in Go ("15m", "1h30m", "36h") or
// with days and weeks ("180d", "2w", "1d12h"), as retention periods are.
// A bare number is rejected ("10" could mean seconds, minutes or days),
// except 0, which is zero in any unit.
type Duration time.Duration

// ParseDuration parses s as a Duration, as connectors.ParseDuration does
// (the one reading of a duration for the config and every connector).
func ParseDuration(s string) (Duration, error) {
	d, err := connectors.ParseDuration(s)
	return Duration(d), err
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String prints whole days as days ("180d") and anything else as
// time.Duration does ("15m0s"), so that ParseDuration reads it back.
func (d Duration) String() string {
	if d != 0 && time.Duration(d)%Day == 0 {
		return strconv.FormatInt(int64(time.Duration(d)/Day), 10) + "d"
	}
	return time.Duration(d).String()
}

// MarshalText writes d as String does.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText reads d as ParseDuration does, so that a Duration decodes
// from YAML, JSON or mapstructure's TextUnmarshaler hook.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
