package yamldiag

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// explained parses src as Parse does and explains its error as
// "line:col: message", or "" when it parses.
func explained(t *testing.T, src string) string {
	t.Helper()
	var doc yaml.Node
	err := yaml.NewDecoder(strings.NewReader(src)).Decode(&doc)
	if err == nil || errors.Is(err, io.EOF) {
		return ""
	}
	line, col, msg := Explain([]byte(src), err)
	return fmt.Sprintf("%d:%d: %s", line, col, msg)
}

// ruleHead is a rule file's start, for the cases below to break.
const ruleHead = `rules:
  - id: MED-OOP-UNCOVERED
    title: 个人医疗自付费用较大
`

// TestExplain: each common mistake is found at its line and
// column and explained in plain words, whatever line yaml.v3 named.
func TestExplain(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"tab key", ruleHead + "\tlevel: orange\n    when: x\n", `4:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces`},
		{"tab after a colon (allowed)", ruleHead + "    level:\torange\n    when: x\n", ""},
		{"tab list", "years:\n  2025:\n    source: test\n    holidays:\n\t- 2025-01-01\n", `5:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces`},
		{"tab after spaces", ruleHead + "  \t  level: orange\n    when: x\n", `4:3: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces`},
		{"over", ruleHead + "      level: orange\n    when: x\n", `4:7: YAML syntax: this line is indented 6 spaces, more than title on line 3 (4 spaces), so YAML reads it as part of the value of title; indent it like title`},
		{"over after dash", "rules:\n  - id: X\n      title: y\n", `3:7: YAML syntax: this line is indented 6 spaces, more than id on line 2 (4 spaces), so YAML reads it as part of the value of id; indent it like id`},
		{"under", ruleHead + "   level: orange\n    when: x\n", `4:4: YAML syntax: this line is indented 3 spaces but title on line 3 is indented 4; indent it like title (the keys of one mapping start in the same column)`},
		{"under to dash", ruleHead + "  level: orange\n    when: x\n", `4:3: YAML syntax: this line is indented 2 spaces, between title on line 3 (4 spaces) and rules on line 1 (0 spaces); indent it like one of them`},
		{"under 1", ruleHead + " level: orange\n    when: x\n", `4:2: YAML syntax: this line is indented 1 space but rules on line 1 is indented 0; indent it like rules (the keys of one mapping start in the same column)`},
		{"top indented", "params:\n  a:\n    2024-01-01: 1\n rules:\n  - id: X\n", `4:2: YAML syntax: this line is indented 1 space, between a on line 2 (2 spaces) and params on line 1 (0 spaces); indent it like one of them`},
		{"item under", ruleHead + "    tests:\n      - name: a\n        as_of: 2026-11-28\n     - name: b\n        as_of: 2026-11-28\n", `7:6: YAML syntax: this list item is indented 5 spaces but the item on line 5 is indented 6; indent it like that item`},
		{"item over", ruleHead + "    tests:\n      - name: a\n        as_of: 2026-11-28\n       - name: b\n        as_of: 2026-11-28\n", `7:8: YAML syntax: this list item is indented 7 spaces but the item on line 5 is indented 6; indent it like that item`},
		{"key in test under", ruleHead + "    tests:\n      - name: a\n        as_of: 2026-11-28\n       expect: hit\n", `7:8: YAML syntax: this line is indented 7 spaces but as_of on line 6 is indented 8; indent it like as_of (the keys of one mapping start in the same column)`},
		{"key in test over", ruleHead + "    tests:\n      - name: a\n        as_of: 2026-11-28\n         expect: hit\n", `7:10: YAML syntax: this line is indented 9 spaces, more than as_of on line 6 (8 spaces), so YAML reads it as part of the value of as_of; indent it like as_of`},
		{"stray colon", ruleHead + "    reason: 近12个月: 自付过高\n    level: orange\n", `4:18: YAML syntax: the value of reason holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："`},
		{"stray colon end", ruleHead + "    doc: 注意:\n    level: orange\n", `4:12: YAML syntax: the value of doc ends with ":", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："`},
		{"stray in test reason", ruleHead + "    tests:\n      - name: a\n        reason: 近12个月: 自付过高\n", `6:22: YAML syntax: the value of reason holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："`},
		{"quote", ruleHead + "    reason: \"近12个月\n    level: orange\n", `4:13: YAML syntax: the quote " opened here is never closed; end the value with "`},
		{"single quote", ruleHead + "    reason: '近12个月\n    level: orange\n", `4:13: YAML syntax: the quote ' opened here is never closed; end the value with '`},
		{"quote at end", ruleHead + "    level: orange\n    reason: \"近12个月\n", `5:13: YAML syntax: the quote " opened here is never closed; end the value with "`},
		{"bracket", ruleHead + "    tests:\n      - name: a\n        given: {medical: {oop_12m: 1}\n        expect: hit\n", `6:16: YAML syntax: the bracket { opened here is never closed; add the matching }`},
		{"list bracket", "years:\n  2025:\n    holidays: [2025-01-01, 2025-01-28..2025-02-04\n    workdays: [2025-01-26]\n", `3:15: YAML syntax: the bracket [ opened here is never closed; add the matching ]`},
		{"extra bracket", ruleHead + "    given: {medical: {oop_12m: 1}}}\n", `4:35: YAML syntax: this } closes no bracket; remove it`},
		{"backtick", ruleHead + "    when: `x`\n", "4:11: YAML syntax: YAML reserves ` at the start of a value; put the whole value in quotes"},
		{"block then bad", ruleHead + "    when: >-\n      a &&\n      b\n   level: orange\n", `7:4: YAML syntax: this line is indented 3 spaces but when on line 4 is indented 4; indent it like when (the keys of one mapping start in the same column)`},
		{"multi-line quote ok then bad", ruleHead + "    reason: \"a\n      b\"\n      level: orange\n", `6:7: YAML syntax: this line is indented 6 spaces, more than reason on line 4 (4 spaces), so YAML reads it as part of the value of reason; indent it like reason`},
		{"facts field", "facts:\n  medical:\n    scope: person\n    fields:\n      oop_12m: {type: number, default: 0}\n     claims_12m: {type: int, default: 0}\n", `6:6: YAML syntax: this line is indented 5 spaces, between oop_12m on line 5 (6 spaces) and fields on line 4 (4 spaces); indent it like one of them`},
		{"facts sql", "facts:\n  medical:\n    scope: person\n    sql: |\n      SELECT 1\n   fields:\n      a: {type: int, default: 0}\n", `6:4: YAML syntax: this line is indented 3 spaces, between sql on line 4 (4 spaces) and medical on line 2 (2 spaces); indent it like one of them`},
		{"parses", ruleHead + "    level: orange\n", ""},
		// None of the checks fits: yaml.v3's words, at the line where the
		// file stops being YAML.
		{"fallback", ruleHead + "    level: *orange\n", `4:5: YAML syntax: unknown anchor 'orange' referenced`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := explained(t, tc.src); got != tc.want {
				var doc yaml.Node
				err := yaml.NewDecoder(strings.NewReader(tc.src)).Decode(&doc)
				t.Errorf("got  %s\nwant %s\nyaml.v3 said: %v\nsrc:\n%s", got, tc.want, err, tc.src)
			}
		})
	}
}
