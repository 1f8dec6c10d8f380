package idnum

import (
	"errors"
	"strconv"
)

// Reason says why a string is not a valid resident ID number. Its String
// form is a short snake_case key suitable for logs and quarantine counts.
type Reason uint8

// Reasons for rejecting an ID number. ReasonNone is what ReasonOf returns
// for an error that did not come from this package.
const (
	ReasonNone       Reason = iota
	ReasonEmpty             // nothing left after normalising
	ReasonLength            // wrong number of characters
	ReasonChars             // a character other than a digit (or a final X)
	ReasonArea              // area code starts with 0 (or, in Build, is not 6 digits)
	ReasonBirthDate         // not a real calendar date, or before 1800
	ReasonCheckDigit        // GB 11643 MOD 11-2 check character does not match
	ReasonSequence          // Build: sequence code outside 0..999
)

var reasonNames = [...]string{
	ReasonNone:       "none",
	ReasonEmpty:      "empty",
	ReasonLength:     "length",
	ReasonChars:      "chars",
	ReasonArea:       "area",
	ReasonBirthDate:  "birth_date",
	ReasonCheckDigit: "check_digit",
	ReasonSequence:   "sequence",
}

// String returns the reason's snake_case key, e.g. "check_digit".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// Error is the error returned for an invalid ID number. It deliberately
// carries no part of the number, so that it is safe to log: only the
// reason and, for length errors, how many characters there were.
//
// Match it with errors.As (var e idnum.Error; errors.As(err, &e)), or
// compare reasons with errors.Is against the Err* values or with ReasonOf.
type Error struct {
	Reason Reason
	// Got is the number of characters (after normalising) for ReasonLength;
	// 0 when unknown.
	Got int
	// Want is the number of characters the caller expected: 18 (or 0) for
	// Parse, which also accepts 15; 15 for Upgrade15; 17 for CheckChar.
	// It only changes the wording of the message.
	Want int
}

// Sentinel errors, one per reason, for errors.Is. An Error matches any
// of these with the same Reason, whatever its Got and Want.
var (
	ErrEmpty      = Error{Reason: ReasonEmpty}
	ErrLength     = Error{Reason: ReasonLength}
	ErrChars      = Error{Reason: ReasonChars}
	ErrArea       = Error{Reason: ReasonArea}
	ErrBirthDate  = Error{Reason: ReasonBirthDate}
	ErrCheckDigit = Error{Reason: ReasonCheckDigit}
	ErrSequence   = Error{Reason: ReasonSequence}
)

// Error describes the problem in plain English without quoting the number.
func (e Error) Error() string {
	switch e.Reason {
	case ReasonEmpty:
		return "ID number is empty"
	case ReasonLength:
		noun, want := "ID number", "18 (or a 15-digit legacy number)"
		switch e.Want {
		case 15:
			noun, want = "legacy ID number", "15"
		case 17:
			noun, want = "ID number without its check character", "17"
		}
		if e.Got <= 0 {
			return noun + " has the wrong length; want " + want
		}
		chars := " characters; want "
		if e.Got == 1 {
			chars = " character; want "
		}
		return noun + " has " + strconv.Itoa(e.Got) + chars + want
	case ReasonChars:
		switch e.Want {
		case 15:
			return "legacy ID number contains characters other than digits"
		case 17:
			return "ID number without its check character contains characters other than digits"
		}
		return "ID number contains characters other than digits and a final X"
	case ReasonArea:
		return "ID number area code must be 6 digits and not start with 0"
	case ReasonBirthDate:
		return "ID number birth date is not a real date (or is before 1800)"
	case ReasonCheckDigit:
		return "ID number check character does not match (GB 11643 MOD 11-2)"
	case ReasonSequence:
		return "ID number sequence code must be from 0 to 999"
	}
	return "ID number is not valid"
}

// Is reports whether target is an Error with the same Reason, so that
// errors.Is(err, idnum.ErrCheckDigit) works whatever Got and Want are.
func (e Error) Is(target error) bool {
	t, ok := target.(Error)
	return ok && t.Reason == e.Reason
}

// ReasonOf returns the Reason of the first Error in err's chain, or
// ReasonNone if there is none.
func ReasonOf(err error) Reason {
	var e Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonNone
}
