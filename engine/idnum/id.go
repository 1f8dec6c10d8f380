package idnum

import "time"

// Gender is the sex encoded in an ID number's sequence code. The zero
// value is Unknown, returned for a string that is not a valid ID, so that
// a bad record is never silently counted as one sex.
type Gender int

// Genders. GB 11643 gives odd sequence codes to men and even to women.
const (
	Unknown Gender = iota
	Male
	Female
)

// String returns "male", "female" or "unknown".
func (g Gender) String() string {
	switch g {
	case Male:
		return "male"
	case Female:
		return "female"
	}
	return "unknown"
}

// ok reports whether id is a valid canonical ID, so that the methods can
// trust its digits. The check costs a few nanoseconds and no allocation.
func (id ID) ok() bool {
	return len(id) == 18 && check18(string(id)) == ReasonNone
}

// BirthDate returns the birth date at UTC midnight, or the zero Time if
// id is not valid.
func (id ID) BirthDate() time.Time {
	if !id.ok() {
		return time.Time{}
	}
	s := string(id)
	return time.Date(num(s[6:10]), time.Month(num(s[10:12])), num(s[12:14]), 0, 0, 0, 0, time.UTC)
}

// Gender returns Male if the 17th digit is odd and Female if it is even;
// Unknown if id is not valid.
func (id ID) Gender() Gender {
	if !id.ok() {
		return Unknown
	}
	if (id[16]-'0')%2 == 1 {
		return Male
	}
	return Female
}

// AreaCode returns the 6-digit area code (the county where the number was
// first issued, which need not be where the person lives now), or "" if
// id is not valid.
func (id ID) AreaCode() string {
	if !id.ok() {
		return ""
	}
	return string(id[:6])
}

// Age returns the completed years of age on the calendar date of on (in
// on's own location). Age goes up on the birthday; someone born on 29
// February has their birthday on 1 March in common years. The result is
// negative if on is before the birth date, which means a bad record or a
// wrong date, and 0 if id is not valid.
func (id ID) Age(on time.Time) int {
	if !id.ok() {
		return 0
	}
	s := string(id)
	by, bm, bd := num(s[6:10]), num(s[10:12]), num(s[12:14])
	y, m, d := on.Date()
	age := y - by
	if int(m) < bm || (int(m) == bm && d < bd) {
		age--
	}
	return age
}
