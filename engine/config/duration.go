package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the units Duration adds to time.ParseDuration's.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// Duration is a time.Duration written as in Go ("15m", "1h30m", "36h") or
// with days and weeks ("180d", "2w", "1d12h"), as retention periods are.
// A bare number is rejected: "10" could mean seconds, minutes or days.
type Duration time.Duration

// ParseDuration parses s as a Duration. A day is always 24 hours.
func ParseDuration(s string) (Duration, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration; write e.g. \"15m\", \"2h\" or \"180d\"")
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit; write e.g. \"%sm\", \"%sh\" or \"%sd\"", in, s, s, s)
	}
	neg := false
	rest := s
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var total float64
	for rest != "" {
		// One segment: a number, then a unit.
		i := 0
		for i < len(rest) && (rest[i] == '.' || ('0' <= rest[i] && rest[i] <= '9')) {
			i++
		}
		j := i
		for j < len(rest) && !(rest[j] == '.' || ('0' <= rest[j] && rest[j] <= '9')) {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, invalidDuration(in)
		}
		var d float64
		switch unit {
		case "d", "w":
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, invalidDuration(in)
			}
			d = n * float64(Day)
			if unit == "w" {
				d = n * float64(Week)
			}
		default:
			td, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, invalidDuration(in)
			}
			d = float64(td)
		}
		total += d
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("duration %q is too long", in)
	}
	if neg {
		total = -total
	}
	return Duration(math.Round(total)), nil
}

func invalidDuration(s string) error {
	return fmt.Errorf("invalid duration %q; write e.g. \"15m\", \"1h30m\", \"180d\" or \"2w\" (units ns, us, ms, s, m, h, d, w)", s)
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
