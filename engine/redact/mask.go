// Package redact masks personal numbers in text the program prints: ID
// numbers (GB 11643, 18 and 15 characters), bank-card and other long digit
// runs, and mobile phone numbers. It is the one masking path of the CLI: a
// masking io.Writer for stdout and stderr (NewWriter) and a slog.Handler
// wrapper for logs (NewHandler). Names of people cannot be recognised by
// shape; keeping them out of messages is the callers' job.
//
// The package is pure (no I/O of its own besides the wrapped writer) and
// safe for concurrent use.
package redact

import (
	"strings"
	"unicode/utf8"
)

// What is masked, in a maximal run of digits (ASCII 0-9 or full-width
// ０-９, as department files write them):
//   - 15 or more digits: 18-character ID numbers (17 digits and a check
//     character 0-9, X or x, also full-width), 15-digit legacy IDs, bank
//     cards (16-19), and anything longer. The first 6 and last 4
//     characters stay, as in the lists (340799********123X); the county
//     code stays readable, the birth date and sequence do not.
//   - 11 digits starting 13-19: a mainland mobile number (138****5678).
//
// Shorter runs stay: dates (20261128), township (9) and village (12)
// codes, counts, amounts, epoch seconds (10) and milliseconds (13). A run
// is masked whatever surrounds it ("YB3407992025100100001" keeps "YB").
// Numbers written with separators ("138 1234 5678") are not recognised.
const (
	minLong           = 15 // digits from which a run is masked
	longHead, longEnd = 6, 4
	mobileLen         = 11
	mobHead, mobEnd   = 3, 4
	maskChar          = '*'
)

// Mask returns s with every personal number masked (see the constants'
// comment). Text without a run of 11 or more digits is returned as is,
// without allocating; checking it costs one pass over its bytes. Mask is
// idempotent: the masked forms hold no run it would mask again.
func Mask(s string) string {
	if !mayHold(s) {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is in b
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if !isDigit(r) {
			i += size
			continue
		}
		start, n := i, 0
		var first, second rune
		for i < len(s) {
			r, size = decode(s, i)
			if !isDigit(r) {
				break
			}
			switch n {
			case 0:
				first = r
			case 1:
				second = r
			}
			n++
			i += size
		}
		if n == 17 && i < len(s) {
			if r, size = decode(s, i); isCheckX(r) {
				n++
				i += size
			}
		}
		head, tail, ok := keep(n, digitValue(first), digitValue(second))
		if !ok {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		writeMasked(&b, s[start:i], n, head, tail)
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// keep says whether a run of n characters starting with the digits d1 d2
// is masked, and how many characters stay at each end.
func keep(n, d1, d2 int) (head, tail int, mask bool) {
	switch {
	case n >= minLong:
		return longHead, longEnd, true
	case n == mobileLen && d1 == 1 && d2 >= 3:
		return mobHead, mobEnd, true
	}
	return 0, 0, false
}

// writeMasked writes run (n characters) with all but head and tail
// characters replaced by maskChar, one per character.
func writeMasked(b *strings.Builder, run string, n, head, tail int) {
	k := 0
	for _, r := range run {
		if k < head || k >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte(maskChar)
		}
		k++
	}
}

// mayHold reports whether s holds at least mobileLen digit characters in
// a row (ASCII, or full-width: EF BC 90-99 in UTF-8), the shortest run Mask
// may mask. It is the fast path for text without long numbers.
func mayHold(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			run++
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99:
			run++
			i += 2
		default:
			run = 0
			continue
		}
		if run >= mobileLen {
			return true
		}
	}
	return false
}

func decode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// isDigit: ASCII and full-width digits.
func isDigit(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }

// isCheckX: the check character X of an ID number, in any width and case.
func isCheckX(r rune) bool { return r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ' }

// digitValue is the value of an ASCII or full-width digit, -1 otherwise.
func digitValue(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= '０' && r <= '９':
		return int(r - '０')
	}
	return -1
}
