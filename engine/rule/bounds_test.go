package rule

import (
	"strings"
	"testing"
)

// Issue 9: a condition nested a million brackets deep killed the process
// (the parser's recursion overflowed the stack). Expressions past the
// bounds are refused before they are parsed, at their place in the file.
func TestExpressionBounds(t *testing.T) {
	const when = "when: medical.oop_12m >= params.medical_oop_threshold && !household.covered"
	for name, c := range map[string]struct{ cond, want string }{
		"a million brackets": {strings.Repeat("(", 1_000_000) + "true" + strings.Repeat(")", 1_000_000),
			"is 2000004 bytes long, more than the 16384"},
		"65 brackets": {strings.Repeat("(", 65) + "true" + strings.Repeat(")", 65),
			"brackets nested more than 64 deep"},
	} {
		t.Run(name, func(t *testing.T) {
			copyRules(t)
			edit(t, "medical.yaml", when, "when: "+c.cond)
			_, err := Load("rules")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "medical.yaml:") {
				msg := "<nil>"
				if err != nil {
					msg = err.Error()
					if len(msg) > 300 {
						msg = msg[:300]
					}
				}
				t.Fatalf("got %s, want %q at medical.yaml", msg, c.want)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("the message is %d bytes: a long line must be shown around the caret only", len(err.Error()))
			}
		})
	}
	// Within the bounds, and brackets inside strings do not count.
	copyRules(t)
	edit(t, "medical.yaml", when, "when: "+strings.Repeat("(", 64)+`medical.oop_12m >= 0 && "((((" != ""`+strings.Repeat(")", 64))
	if _, err := Load("rules"); err != nil {
		t.Fatal(err)
	}
}
