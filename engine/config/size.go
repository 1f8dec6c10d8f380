package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Units of Size.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40
)

// Size is a number of bytes written with a unit: "1GiB", "256MiB", "1.5GB".
// KiB, MiB, GiB and TiB are powers of 1024; KB, MB, GB and TB powers of
// 1000 (as disks and DuckDB's memory_limit count); B is bytes. Units ignore
// case and may follow a space. A bare number is rejected: "1024" could be
// bytes or megabytes.
type Size int64

var sizeUnits = map[string]float64{
	"b": 1, "byte": 1, "bytes": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses s as a Size, rounding a fraction of a byte.
func ParseSize(s string) (Size, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New(`empty size; write e.g. "1GiB" or "256MiB"`)
	}
	i := 0
	for i < len(s) && (s[i] == '.' || ('0' <= s[i] && s[i] <= '9')) {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	if unit == "" {
		if _, err := strconv.ParseFloat(num, 64); err == nil {
			return 0, fmt.Errorf(`%q has no unit; write e.g. "1GiB" or "256MiB" (or "%sB" for bytes)`, in, num)
		}
	}
	mult, ok := sizeUnits[unit]
	n, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return 0, fmt.Errorf(`invalid size %q; write e.g. "1GiB", "256MiB" or "512MB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`, in)
	}
	v := math.Round(n * mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", in)
	}
	return Size(v), nil
}

// Bytes returns the size in bytes.
func (s Size) Bytes() int64 { return int64(s) }

// String writes the size in the largest binary unit that holds it whole
// ("1GiB", "256MiB", "1536KiB"), else in bytes ("1000B"), so that
// ParseSize reads it back.
func (s Size) String() string {
	for _, u := range []struct {
		size Size
		name string
	}{{TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if s != 0 && s%u.size == 0 {
			return strconv.FormatInt(int64(s/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// MarshalText writes s as String does.
func (s Size) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// UnmarshalText reads s as ParseSize does.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
