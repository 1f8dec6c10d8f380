// Package idnum parses, validates, builds and masks Chinese resident ID
// numbers (公民身份号码, GB 11643-1999): a 6-digit area code, the birth
// date as YYYYMMDD, a 3-digit sequence code (odd for men, even for women)
// and an ISO 7064 MOD 11-2 check character, 0-9 or X.
//
// Legacy 15-digit numbers (6 area + YYMMDD + 3 sequence, all born in the
// 1900s) are accepted and upgraded to 18 characters.
//
// Errors never contain the number or any part of it, so they are safe to
// log; use Mask or ID.Masked to show a number in lists. The package is pure
// Go, has no clock and does no I/O: whether a birth date lies in the future
// is for the caller to decide.
package idnum

import (
	"time"
	"unicode/utf8"
)

// ID is a canonical 18-character resident ID number: 17 digits and a check
// character that is a digit or X. Values from Parse, Upgrade15 and Build
// are always valid. For any other string BirthDate, Gender, AreaCode and
// Age return zero values, and Masked masks it like Mask.
type ID string

// Parse normalises s (see Normalize) and returns the canonical ID it
// spells: 18 characters are validated as they are; 15 digits are a legacy
// number, upgraded with Upgrade15. The error is an Error.
//
// Parse does not allocate when s is already a clean 18-character number.
func Parse(s string) (ID, error) {
	return parseNormalized(Normalize(s))
}

func parseNormalized(n string) (ID, error) {
	switch len(n) {
	case 0:
		return "", Error{Reason: ReasonEmpty}
	case 18:
		if r := check18(n); r != ReasonNone {
			return "", Error{Reason: r, Want: 18}
		}
		return ID(n), nil
	case 15:
		return upgrade15(n)
	}
	// Non-ASCII characters make the byte length lie; count characters so
	// that "17 digits and a Chinese character" is reported as bad
	// characters rather than a wrong length.
	switch rc := utf8.RuneCountInString(n); rc {
	case 18:
		return "", Error{Reason: ReasonChars, Want: 18}
	case 15:
		return "", Error{Reason: ReasonChars, Want: 15}
	default:
		return "", Error{Reason: ReasonLength, Got: rc, Want: 18}
	}
}

// Valid reports whether Parse(s) succeeds.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// weights are the GB 11643 / ISO 7064 MOD 11-2 weights of the first 17
// digits (2^(17-i) mod 11).
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum mod 11 to the check character.
const checkChars = "10X98765432"

// checkByte computes the check character of 17 ASCII digits. The caller
// has checked them.
func checkByte[T string | []byte](b T) byte {
	sum := 0
	for i, w := range weights {
		sum += int(b[i]-'0') * w
	}
	return checkChars[sum%11]
}

// CheckChar returns the check character ('0'-'9' or 'X') for the first 17
// digits of an ID number, by ISO 7064 MOD 11-2. first17 must be exactly
// 17 ASCII digits; it is not normalised.
func CheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		if rc := utf8.RuneCountInString(first17); rc != 17 {
			return 0, Error{Reason: ReasonLength, Got: rc, Want: 17}
		}
	}
	if len(first17) != 17 || !allDigits(first17) {
		return 0, Error{Reason: ReasonChars, Want: 17}
	}
	return checkByte(first17), nil
}

// Upgrade15 converts a legacy 15-digit number (6 area + YYMMDD + 3
// sequence) to the canonical 18 characters: it inserts "19" before the
// year, since all 15-digit numbers were issued to people born in the
// 1900s, and appends the check character. s is normalised first; area
// code and birth date are validated as in Parse.
func Upgrade15(s string) (ID, error) {
	n := Normalize(s)
	if n == "" {
		return "", Error{Reason: ReasonEmpty}
	}
	if len(n) != 15 {
		rc := utf8.RuneCountInString(n)
		if rc == 15 {
			return "", Error{Reason: ReasonChars, Want: 15}
		}
		return "", Error{Reason: ReasonLength, Got: rc, Want: 15}
	}
	return upgrade15(n)
}

// upgrade15 upgrades a normalised string of 15 bytes.
func upgrade15(n string) (ID, error) {
	if !allDigits(n) {
		return "", Error{Reason: ReasonChars, Want: 15}
	}
	if n[0] == '0' {
		return "", Error{Reason: ReasonArea}
	}
	if !realDate(1900+num(n[6:8]), num(n[8:10]), num(n[10:12])) {
		return "", Error{Reason: ReasonBirthDate}
	}
	var b [18]byte
	copy(b[:6], n[:6])
	b[6], b[7] = '1', '9'
	copy(b[8:17], n[6:])
	b[17] = checkByte(b[:17])
	return ID(b[:]), nil
}

// Build makes the ID number for a person: area is the 6-digit area code
// (first digit 1-9), birth's calendar date in its own location is the
// birth date (year 1800 to 9999), seq is the sequence code 0..999 (odd for
// men, even for women). It computes the check character. The synthetic
// data generator uses it with the fictional county code 340799.
func Build(area string, birth time.Time, seq int) (ID, error) {
	if len(area) != 6 || !allDigits(area) || area[0] == '0' {
		return "", Error{Reason: ReasonArea}
	}
	y, m, d := birth.Date()
	if y < minYear || y > 9999 {
		return "", Error{Reason: ReasonBirthDate}
	}
	if seq < 0 || seq > 999 {
		return "", Error{Reason: ReasonSequence}
	}
	var b [18]byte
	copy(b[:6], area)
	putDigits(b[6:10], y)
	putDigits(b[10:12], int(m))
	putDigits(b[12:14], d)
	putDigits(b[14:17], seq)
	b[17] = checkByte(b[:17])
	return ID(b[:]), nil
}

// check18 validates an 18-byte string and returns why it is not an ID,
// or ReasonNone. It does not allocate.
func check18(s string) Reason {
	if !allDigits(s[:17]) || !(isDigit(s[17]) || s[17] == 'X') {
		return ReasonChars
	}
	if s[0] == '0' {
		return ReasonArea
	}
	if !realDate(num(s[6:10]), num(s[10:12]), num(s[12:14])) {
		return ReasonBirthDate
	}
	if checkByte(s[:17]) != s[17] {
		return ReasonCheckDigit
	}
	return ReasonNone
}

// minYear is the earliest birth year accepted. Everyone in our registers
// was born after 1900, but the standard's own worked example,
// 440524188001010014, was born in 1880; 1800 keeps that sample valid and
// still rejects mistyped years such as 0985 or 1098.
const minYear = 1800

// realDate reports whether y-m-d is a date of the Gregorian calendar in
// minYear or later.
func realDate(y, m, d int) bool {
	if y < minYear || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// num converts a short string of ASCII digits, already checked.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// putDigits writes v as len(b) decimal digits, zero-padded.
func putDigits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}
