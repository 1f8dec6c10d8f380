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

// What is masked, in a maximal number: a run of digits (ASCII 0-9 or
// full-width ０-９, as department files write them), or several runs of 3
// or more digits joined by single spaces or hyphens, as people write ID
// numbers, cards and phones ("340799 19870727 3470", "138-1234-5678"; 19
// digits at most):
//   - 15 or more digits: 18-character ID numbers (17 digits and a check
//     character 0-9, X or x, also full-width), 15-digit legacy IDs, bank
//     cards (16-19), and anything longer. The first 6 and last 4
//     characters stay, as in the lists (340799********123X); the county
//     code stays readable, the birth date and sequence do not.
//   - 11 digits starting 13-19: a mainland mobile number (138****5678).
//
// Shorter numbers stay: dates (20261128, 2026-11-28), township (9) and
// village (12) codes, counts, amounts, epoch seconds (10) and milliseconds
// (13), table columns (separated by two or more spaces). A number is
// masked whatever surrounds it ("YB3407992025100100001" keeps "YB"). A '*'
// counts as a digit (see isDigitLike).
const (
	minLong           = 15 // digits from which a number is masked
	longHead, longEnd = 6, 4
	mobileLen         = 11
	mobHead, mobEnd   = 3, 4
	minGroup          = 3  // digits in each run of a number written in groups
	maxJoined         = 19 // digits of the longest number written in groups (a bank card)
	maskChar          = '*'
)

// Mask returns s with every personal number masked (see the constants'
// comment). Text without 11 or more digits close together is returned as
// is, without allocating; checking it costs one pass over its bytes. Mask
// is idempotent: the masked forms hold no number it would mask again.
func Mask(s string) string {
	if !mayHold(s) {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is in b
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if !isDigitLike(r) {
			i += size
			continue
		}
		start := i
		n, end, first, second := number(s, i)
		i = end
		head, tail, ok := keep(n, first, second)
		if !ok {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		writeMasked(&b, s[start:end], n, head, tail)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// number reads the number starting at s[i], a digit or maskChar: its
// groups of digits
// and the separators joining them, and an X after exactly 17 digits. It
// returns the count of digits (and X), where the number ends, and the
// values of its first two digits. Groups joined come to at most maxJoined
// digits: past that they are numbers side by side ("340799001 340799001001",
// a township and a village code), and the number is the first group alone.
func number(s string, i int) (n, end, first, second int) {
	first, second = -1, -1
	start := i
	group := 0 // digits in the group being read
	groups := 1
	for i < len(s) {
		r, size := decode(s, i)
		if isDigitLike(r) {
			switch n {
			case 0:
				first = digitValue(r)
			case 1:
				second = digitValue(r)
			}
			n++
			group++
			i += size
			continue
		}
		// A separator joins two groups of minGroup digits or more.
		if isSeparator(r) && group >= minGroup && groupLen(s, i+size) >= minGroup {
			i += size
			group = 0
			groups++
			continue
		}
		break
	}
	if groups > 1 && n > maxJoined {
		n = groupLen(s, start)
		i = start
		for range n {
			_, size := decode(s, i)
			i += size
		}
	}
	if n == 17 && i < len(s) {
		if r, size := decode(s, i); isCheckX(r) {
			n++
			i += size
		}
	}
	return n, i, first, second
}

// groupLen counts the digits at s[i:] up to the first other character.
func groupLen(s string, i int) int {
	n := 0
	for i < len(s) {
		r, size := decode(s, i)
		if !isDigitLike(r) {
			break
		}
		n++
		i += size
	}
	return n
}

// keep says whether a number of n digits starting with the digits d1 d2
// is masked, and how many digits stay at each end.
func keep(n, d1, d2 int) (head, tail int, mask bool) {
	switch {
	case n >= minLong:
		return longHead, longEnd, true
	case n == mobileLen && d1 == 1 && d2 >= 3:
		return mobHead, mobEnd, true
	}
	return 0, 0, false
}

// writeMasked writes num (n digits and X, and separators) with all but
// head and tail digits replaced by maskChar, one per character;
// separators stay.
func writeMasked(b *strings.Builder, num string, n, head, tail int) {
	k := 0
	for _, r := range num {
		switch {
		case isSeparator(r):
			b.WriteRune(r)
			continue
		case k < head || k >= n-tail:
			b.WriteRune(r)
		default:
			b.WriteByte(maskChar)
		}
		k++
	}
}

// mayHold reports whether s holds at least mobileLen digit-like
// characters (ASCII digits, maskChar, full-width digits: EF BC 90-99 in
// UTF-8) with at most single separators between them, the least Mask may
// mask. It is the fast path for text
// without long numbers.
func mayHold(s string) bool {
	run, sep := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c == maskChar:
			run++
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99:
			run++
			i += 2
		case (c == ' ' || c == '-') && !sep:
			sep = true
			continue
		default:
			run, sep = 0, false
			continue
		}
		sep = false
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

// isDigitLike: a digit, or maskChar. A number is read with the digits a
// mask replaced, so that a masked number is read as the same number, and
// masked again to itself: that makes Mask idempotent however numbers sit
// side by side.
func isDigitLike(r rune) bool { return isDigit(r) || r == maskChar }

// isSeparator: what people put between groups of digits.
func isSeparator(r rune) bool { return r == ' ' || r == '-' }

// isDigit: ASCII and full-width digits.
func isDigit(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }

// isCheckX: the check character X of an ID number, in any width and case.
func isCheckX(r rune) bool { return r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ' || r == '×' }

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
