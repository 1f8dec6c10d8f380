package dataset

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errNumber reports a value that is not a number of the field's kind.
var errNumber = errors.New("is not a number")

// ParseMoney reads an amount in yuan as departments write it: "1,234.50元",
// "￥856", "RMB 1234.5", "-20.00". It returns the amount in fen (cents),
// rounding beyond two decimals half away from zero. It runs once per amount
// cell on every load, so it is a single pass without allocation.
func ParseMoney(s string) (int64, error) {
	s = trimSpace(s)
	for _, p := range []string{"RMB", "rmb", "CNY"} {
		s = strings.TrimSuffix(strings.TrimPrefix(s, p), p)
	}
	var whole, frac int64
	fracDigits := 0
	seenDot, neg, anyDigit, roundUp, ended := false, false, false, false, false
	group := -1 // digits since the last thousands separator; -1 before any
	intDigits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ended && c != ' ' {
			return 0, errNumber // something after 元
		}
		switch {
		case c >= '0' && c <= '9':
			anyDigit = true
			d := int64(c - '0')
			switch {
			case !seenDot:
				if whole > 1e15 {
					return 0, errNumber
				}
				whole = whole*10 + d
				intDigits++
				if group >= 0 {
					group++
				}
			case fracDigits < 2:
				frac = frac*10 + d
				fracDigits++
			case fracDigits == 2:
				roundUp = d >= 5
				fracDigits++
			}
		case c == ',' && !seenDot && anyDigit:
			// 1,234,567: the first group 1-3 digits, every later one 3.
			if (group < 0 && intDigits > 3) || (group >= 0 && group != 3) {
				return 0, errNumber
			}
			group = 0
		case c == '.' && !seenDot:
			if group >= 0 && group != 3 {
				return 0, errNumber
			}
			group = -1
			seenDot = true
		case c == '-' && !anyDigit && !neg:
			neg = true
		case c == ' ':
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == '元' && anyDigit:
				ended = true
			case (r == '￥' || r == '¥') && !anyDigit:
			default:
				return 0, errNumber
			}
			i += size - 1
		default:
			return 0, errNumber
		}
	}
	if group >= 0 && group != 3 {
		return 0, errNumber
	}
	if !anyDigit {
		return 0, errNumber
	}
	for ; fracDigits < 2; fracDigits++ {
		frac *= 10
	}
	v := whole*100 + frac
	if roundUp {
		v++
	}
	if neg {
		v = -v
	}
	return v, nil
}

// ParseInt reads a whole number, allowing a trailing 人 or 口 ("3人") and
// a fraction that is zero ("2.0", from a number cell) or a double's noise
// around a whole number ("2.0000000000000004", "1.9999999999999998",
// from a computed cell). Any other fraction ("2.5") is an error.
func ParseInt(s string) (int64, error) {
	s = trimSpace(s)
	s = trimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "人"), "口"))
	up := false
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := s[i+1:]
		if frac == "" || !allDigits(frac) {
			return 0, errNumber
		}
		switch {
		case strings.Trim(frac, "0") == "":
		case len(frac) >= 12 && strings.HasPrefix(frac, "000000000"):
		case len(frac) >= 12 && strings.HasPrefix(frac, "999999999"):
			up = true
		default:
			return 0, errNumber
		}
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errNumber
	}
	if up {
		if strings.HasPrefix(s, "-") {
			n--
		} else {
			n++
		}
	}
	return n, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalizeText trims ASCII and full-width spaces and maps full-width ASCII
// (Ｆ, １, ：) to half-width, so aliases and codes compare as people mean them.
// Text without full-width characters is returned without allocating.
func normalizeText(s string) string {
	s = trimSpace(s)
	needs := false
	for i := 0; i < len(s); i++ {
		// Full-width forms U+FF01..FF5E are EF BC 81..EF BD 9E; U+3000 is E3 80 80.
		if c := s[i]; c == 0xEF || c == 0xE3 {
			needs = true
			break
		}
	}
	if !needs {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		} else if r == '\u3000' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return trimSpace(b.String())
}
