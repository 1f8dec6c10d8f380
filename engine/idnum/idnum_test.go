package idnum

import (
	"errors"
	"strings"
	"testing"
)

// Worked examples from GB 11643-1999 Appendix.
const (
	sampleA = "11010519491231002X" // 1949-12-31, female, check X
	sampleB = "440524188001010014" // 1880-01-01, male
)

// withCheck appends the right check character to 17 digits, so that a
// test case can break exactly one other rule.
func withCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, err := CheckChar(first17)
	if err != nil {
		t.Fatalf("CheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, in string
		want     ID
	}{
		{"standard sample A", sampleA, sampleA},
		{"standard sample B", sampleB, sampleB},
		{"lowercase x", "11010519491231002x", sampleA},
		{"full-width digits and X", "１１０１０５１９４９１２３１００２Ｘ", sampleA},
		{"full-width lowercase x", "11010519491231002ｘ", sampleA},
		{"spaces and tabs inside", " 110105 19491231\t002X\r\n", sampleA},
		{"ideographic spaces", "\u3000110105\u300019491231\u3000002X\u3000", sampleA},
		{"no-break space and BOM", "\uFEFF110105\u00A019491231002X", sampleA},
		{"zero-width space", "110105\u200B19491231002X", sampleA},
		{"leap day in a leap year", withCheck(t, "11010520000229001"), ID(withCheck(t, "11010520000229001"))},
		{"earliest year accepted", withCheck(t, "11010518000101001"), ID(withCheck(t, "11010518000101001"))},
		{"legacy 15 digits of sample A", "110105491231002", sampleA},
		// 3*7+4*9+0*10+7*5+9*8+9*4+1*2+9*1+8*6+5*3+0*7+6*9+1*10+5*5+1*8+2*4+3*2
		// = 385 = 35*11, remainder 0 -> '1'.
		{"legacy 15 digits, hand computed", "340799850615123", "340799198506151231"},
		{"legacy 15 full-width with spaces", "３４０７９９ ８５０６１５ １２３", "340799198506151231"},
		{"legacy leap day 1996", "110105960229001", ID(withCheck(t, "11010519960229001"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("Parse = %q, want %q", got, tt.want)
			}
			if !Valid(tt.in) {
				t.Errorf("Valid = false")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const (
		msgChars    = "ID number contains characters other than digits and a final X"
		msgChars15  = "legacy ID number contains characters other than digits"
		msgArea     = "ID number area code must be 6 digits and not start with 0"
		msgBirth    = "ID number birth date is not a real date (or is before 1800)"
		msgCheck    = "ID number check character does not match (GB 11643 MOD 11-2)"
		legacyNote  = "; want 18 (or a 15-digit legacy number)"
		msgLength17 = "ID number has 17 characters" + legacyNote
	)
	tests := []struct {
		name, in string
		reason   Reason
		msg      string
	}{
		{"empty", "", ReasonEmpty, "ID number is empty"},
		{"only spaces", " \t\u3000 ", ReasonEmpty, "ID number is empty"},
		{"17 digits", "11010519491231002", ReasonLength, msgLength17},
		{"17 digits and a space", "11010519491231002 ", ReasonLength, msgLength17},
		{"19 characters", "11010519491231002X1", ReasonLength, "ID number has 19 characters" + legacyNote},
		{"16 digits", "1101054912310021", ReasonLength, "ID number has 16 characters" + legacyNote},
		{"one character", "1", ReasonLength, "ID number has 1 character" + legacyNote},
		{"X not last", "1101051949123100X2", ReasonChars, msgChars},
		{"letter other than X", "11010519491231002Y", ReasonChars, msgChars},
		{"hyphen", "110105-1949123100X", ReasonChars, msgChars},
		{"Chinese character makes 18", "11010519491231002号", ReasonChars, msgChars},
		{"Chinese character makes 15", "11010549123100号", ReasonChars, msgChars15},
		{"legacy with X", "11010549123100X", ReasonChars, msgChars15},
		{"area starts with 0", withCheck(t, "01010519491231002"), ReasonArea, msgArea},
		{"legacy area starts with 0", "010105491231002", ReasonArea, msgArea},
		{"30 February", withCheck(t, "11010519490230002"), ReasonBirthDate, msgBirth},
		{"29 February 1900 (not a leap year)", withCheck(t, "11010519000229002"), ReasonBirthDate, msgBirth},
		{"29 February 2100 (not a leap year)", withCheck(t, "11010521000229002"), ReasonBirthDate, msgBirth},
		{"31 April", withCheck(t, "11010519490431002"), ReasonBirthDate, msgBirth},
		{"month 13", withCheck(t, "11010519491331002"), ReasonBirthDate, msgBirth},
		{"month 00", withCheck(t, "11010519490031002"), ReasonBirthDate, msgBirth},
		{"day 00", withCheck(t, "11010519491200002"), ReasonBirthDate, msgBirth},
		{"day 32", withCheck(t, "11010519491232002"), ReasonBirthDate, msgBirth},
		{"year 1799", withCheck(t, "11010517991231002"), ReasonBirthDate, msgBirth},
		{"year 0985 (typo)", withCheck(t, "11010509850101002"), ReasonBirthDate, msgBirth},
		{"legacy 29 February 1900", "110105000229002", ReasonBirthDate, msgBirth},
		{"legacy 30 February", "110105490230002", ReasonBirthDate, msgBirth},
		{"wrong check digit", "110105194912310021", ReasonCheckDigit, msgCheck},
		{"wrong check X", "44052418800101001X", ReasonCheckDigit, msgCheck},
		{"swapped digits", "11010519491213002X", ReasonCheckDigit, msgCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse = %q, want error %s", id, tt.reason)
			}
			if id != "" {
				t.Errorf("Parse returned %q with an error", id)
			}
			if got := err.Error(); got != tt.msg {
				t.Errorf("message\n got %q\nwant %q", got, tt.msg)
			}
			var e Error
			if !errors.As(err, &e) {
				t.Fatalf("errors.As(%T) failed", err)
			}
			if e.Reason != tt.reason || ReasonOf(err) != tt.reason {
				t.Errorf("reason = %s, want %s", e.Reason, tt.reason)
			}
			if !errors.Is(err, Error{Reason: tt.reason}) {
				t.Errorf("errors.Is(err, Error{%s}) = false", tt.reason)
			}
			if errors.Is(err, Error{Reason: tt.reason + 1}) {
				t.Errorf("errors.Is matched another reason")
			}
			wrapped := errors.Join(errors.New("row 7"), err)
			if ReasonOf(wrapped) != tt.reason {
				t.Errorf("ReasonOf(wrapped) = %s", ReasonOf(wrapped))
			}
			assertNoLeak(t, err.Error(), tt.in)
			if Valid(tt.in) {
				t.Errorf("Valid = true")
			}
		})
	}
}

// assertNoLeak fails if msg contains any 6 consecutive digits (or X) of
// the normalised input: an area code, a birth date or the tail of a
// number. Windows with other characters are skipped, because words such
// as "number" are in the messages themselves.
func assertNoLeak(t testing.TB, msg, in string) {
	t.Helper()
	n := Normalize(in)
	run := 0 // length of the run of digits and X ending at n[i]
	for i := 0; i < len(n); i++ {
		if c := n[i]; isDigit(c) || c == 'X' {
			run++
		} else {
			run = 0
		}
		if part := n[i+1-min(run, 6) : i+1]; run >= 6 && strings.Contains(msg, part) {
			t.Fatalf("message %q contains %q from the input", msg, part)
		}
	}
}

func TestSentinels(t *testing.T) {
	tests := []struct {
		err    Error
		reason Reason
		key    string
		msg    string
	}{
		{ErrEmpty, ReasonEmpty, "empty", "ID number is empty"},
		{ErrLength, ReasonLength, "length", "ID number has the wrong length; want 18 (or a 15-digit legacy number)"},
		{ErrChars, ReasonChars, "chars", "ID number contains characters other than digits and a final X"},
		{ErrArea, ReasonArea, "area", "ID number area code must be 6 digits and not start with 0"},
		{ErrBirthDate, ReasonBirthDate, "birth_date", "ID number birth date is not a real date (or is before 1800)"},
		{ErrCheckDigit, ReasonCheckDigit, "check_digit", "ID number check character does not match (GB 11643 MOD 11-2)"},
		{ErrSequence, ReasonSequence, "sequence", "ID number sequence code must be from 0 to 999"},
		{Error{}, ReasonNone, "none", "ID number is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.err.Reason != tt.reason {
				t.Errorf("Reason = %s", tt.err.Reason)
			}
			if got := tt.reason.String(); got != tt.key {
				t.Errorf("String = %q, want %q", got, tt.key)
			}
			if got := tt.err.Error(); got != tt.msg {
				t.Errorf("Error\n got %q\nwant %q", got, tt.msg)
			}
		})
	}
	if got := Reason(99).String(); got != "reason_99" {
		t.Errorf("Reason(99) = %q", got)
	}
	if ReasonOf(nil) != ReasonNone || ReasonOf(errors.New("x")) != ReasonNone {
		t.Errorf("ReasonOf of a foreign error is not ReasonNone")
	}
}

func TestCheckChar(t *testing.T) {
	tests := []struct {
		name, in string
		want     byte
		msg      string
	}{
		{"sample A", sampleA[:17], 'X', ""},
		{"sample B", sampleB[:17], '4', ""},
		// Sum 385 = 35*11, remainder 0 -> '1' (see TestParseValid).
		{"remainder 0", "34079919850615123", '1', ""},
		{"16 digits", "1101051949123100", 0, "ID number without its check character has 16 characters; want 17"},
		{"18 characters", sampleA, 0, "ID number without its check character has 18 characters; want 17"},
		{"letter", "1101051949123100X", 0, "ID number without its check character contains characters other than digits"},
		{"full-width is not normalised", "１１０１０５１９４９１２３１００２", 0, "ID number without its check character contains characters other than digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckChar(tt.in)
			if tt.msg != "" {
				if err == nil || err.Error() != tt.msg {
					t.Fatalf("CheckChar = %q, %v; want error %q", got, err, tt.msg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CheckChar = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// Every remainder maps to its character: vary the last digit.
	seen := map[byte]bool{}
	for d := range 10 {
		for a := range 10 {
			p := "1101051949123100" + string(rune('0'+d))
			p = p[:15] + string(rune('0'+a)) + p[16:]
			c, err := CheckChar(p)
			if err != nil {
				t.Fatal(err)
			}
			seen[c] = true
		}
	}
	if len(seen) != 11 {
		t.Errorf("saw %d distinct check characters, want 11", len(seen))
	}
}
