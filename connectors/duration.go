package connectors

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the units ParseDuration adds to time.ParseDuration's.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// ParseDuration reads a duration as the config and every connector's
// options take one: as in Go ("15m", "1h30m", "36h"), with days and weeks
// ("180d", "2w", "1d12h"; a day is always 24 hours), or 0. Any other bare
// number is refused: "10" could mean seconds, minutes or days. Whether 0
// or a negative value is allowed is the caller's to say.
func ParseDuration(s string) (time.Duration, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration; write e.g. \"15m\", \"2h\" or \"180d\"")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f == 0 {
			return 0, nil
		}
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
	return time.Duration(math.Round(total)), nil
}

func invalidDuration(s string) error {
	return fmt.Errorf("invalid duration %q; write e.g. \"15m\", \"1h30m\", \"180d\" or \"2w\" (units ns, us, ms, s, m, h, d, w)", s)
}
