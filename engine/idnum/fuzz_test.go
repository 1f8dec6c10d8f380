package idnum

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		sampleA, sampleB,
		"11010519491231002x",
		"１１０１０５１９４９１２３１００２Ｘ",
		" 110105\u300019491231 002X\t",
		"110105491231002",
		"340799850615123",
		"110105194912310021",
		"11010519490230002X",
		"01010519491231002X",
		"1101051949123100X2",
		"11010519491231002",
		"11010549123100X",
		"身份证11010519491231002X",
		"***************",
		"340799********123X",
		"\xe3 \x80\x80",
		"",
		"x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, again)
		}
		mask := Mask(s)
		id, err := Parse(s)
		if err != nil {
			var e Error
			if !errors.As(err, &e) || e.Reason == ReasonNone {
				t.Fatalf("Parse(%q) error %v is not an Error with a reason", s, err)
			}
			if id != "" {
				t.Fatalf("Parse(%q) = %q with error", s, id)
			}
			if Valid(s) {
				t.Fatalf("Valid(%q) = true but Parse failed", s)
			}
			assertNoLeak(t, err.Error(), s)
			checkMaskedOther(t, n, mask)
		} else {
			checkParsed(t, s, n, id, mask)
		}
		// Mask must change any input of 15+ characters, except one whose
		// hidden middle is already all stars: it has nothing left to hide.
		if utf8.RuneCountInString(s) >= 15 && mask == s && !alreadyMasked(n) {
			t.Fatalf("Mask(%q) returned its input unchanged", s)
		}
	})
}

// alreadyMasked reports whether the hidden middle of s is all stars.
func alreadyMasked(s string) bool {
	r := []rune(s)
	head, tail := maskKeep(len(r))
	return strings.Trim(string(r[head:len(r)-tail]), "*") == ""
}

// checkParsed asserts the properties of a successfully parsed ID.
func checkParsed(t *testing.T, s, n string, id ID, mask string) {
	t.Helper()
	if len(id) != 18 {
		t.Fatalf("Parse(%q) = %q: %d bytes", s, id, len(id))
	}
	if again, err := Parse(string(id)); err != nil || again != id {
		t.Fatalf("Parse(%q) = %q, %v; not stable", id, again, err)
	}
	if !Valid(string(id)) || !Valid(s) {
		t.Fatalf("Valid false for %q", id)
	}
	if len(n) == 15 && string(id[:6])+string(id[8:17]) != n {
		t.Fatalf("legacy %q upgraded to %q", n, id)
	}
	if len(n) == 18 && string(id) != n {
		t.Fatalf("Parse(%q) = %q, want the normalised input", s, id)
	}
	m := id.Masked()
	if len(m) != 18 || m[6:14] != "********" || m[:6] != string(id[:6]) || m[14:] != string(id[14:]) {
		t.Fatalf("Masked(%q) = %q", id, m)
	}
	if mask != m {
		t.Fatalf("Mask(%q) = %q, want %q", s, mask, m)
	}
	if id.Gender() == Unknown || id.AreaCode() != string(id[:6]) {
		t.Fatalf("accessors of %q: %s %q", id, id.Gender(), id.AreaCode())
	}
	birth := id.BirthDate()
	if id.Age(birth) != 0 || id.Age(birth.AddDate(0, 0, -1)) != -1 {
		t.Fatalf("Age of %q around its birth date", id)
	}
	again, err := Build(id.AreaCode(), birth, num(string(id[14:17])))
	if err != nil || again != id {
		t.Fatalf("Build from the parts of %q = %q, %v", id, again, err)
	}
}

// checkMaskedOther asserts that Mask hid all but the allowed head and tail
// of a normalised string n that is not an ID.
func checkMaskedOther(t *testing.T, n, mask string) {
	t.Helper()
	in, out := []rune(n), []rune(mask)
	if len(in) != len(out) {
		t.Fatalf("Mask of %q = %q: %d characters, want %d", n, mask, len(out), len(in))
	}
	head, tail := maskKeep(len(in))
	for i := range out {
		hidden := i >= head && i < len(in)-tail
		if hidden && out[i] != '*' {
			t.Fatalf("Mask of %q = %q shows character %d", n, mask, i)
		}
		if !hidden && out[i] != in[i] {
			t.Fatalf("Mask of %q = %q changed visible character %d", n, mask, i)
		}
	}
}
