package textdist

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"path", "paht", 2}, {"medcal", "medical", 1}, {"残疾等级", "残疾级别", 2}, {"abc", "", 3}} {
		if got := Levenshtein(c.a, c.b); got != c.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// Closest: a typo within 2 edits (case ignored, at most half the word), a
// shortened name, and nothing for a word too far from every candidate.
func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		word string
		want string
	}{
		{"medicl", "medical"},
		{"MEDICAL_x", "medical"},
		{"Medical", "medical"},
		{"amount", "amount_monthly"},
		{"ab", ""},
		{"xyz", ""},
		{"check", ""}, // the word itself is no suggestion
	} {
		if got := Closest(tc.word, []string{"medical", "amount_monthly", "check"}); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
