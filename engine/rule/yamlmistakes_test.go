package rule

import (
	"strings"
	"testing"
)

// TestYAMLMistakes: the common YAML mistakes in a rule file and in
// facts.yaml are said in plain words at the line and column of the
// mistake, with the line and a caret (as in config.yaml and holidays.yaml,
// all through engine/internal/yamldiag); a value of the wrong type is
// placed at the value.
func TestYAMLMistakes(t *testing.T) {
	const facts = "facts:\n  person:\n    scope: person\n    doc: 人员\n    fields:\n      age: {type: int, default: 0}\n"
	const rule = "rules:\n  - id: EXTRA\n    title: 测试\n    level: yellow\n    when: medical.oop_12m > 0\n"
	cases := []struct {
		name   string
		breaks []breakage
		want   string
	}{
		{name: "rule: tab", breaks: []breakage{{"extra.yaml", "", rule + "\treason: '\"x\"'\n"}}, want: `
rules/extra.yaml:6:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces
    6 |  reason: '"x"'
      | ^`},
		{name: "rule: one space short", breaks: []breakage{{"extra.yaml", "", rule + "   reason: '\"x\"'\n"}}, want: `
rules/extra.yaml:6:4: YAML syntax: this line is indented 3 spaces but when on line 5 is indented 4; indent it like when (the keys of one mapping start in the same column)
    6 |    reason: '"x"'
      |    ^`},
		{name: "rule: stray colon", breaks: []breakage{{"extra.yaml", "", rule + "    doc: 注意: 核实\n"}}, want: `
rules/extra.yaml:6:12: YAML syntax: the value of doc holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    6 |     doc: 注意: 核实
      |              ^`},
		{name: "rule: unclosed quote", breaks: []breakage{{"extra.yaml", "", rule + "    reason: '\"x\"\n    severity: medical.oop_12m\n"}}, want: `
rules/extra.yaml:6:13: YAML syntax: the quote ' opened here is never closed; end the value with '
    6 |     reason: '"x"
      |             ^`},
		{name: "rule: a word where a number is wanted", breaks: []breakage{{"extra.yaml", "", rule + "    reason: '\"x\"'\n    tests:\n      - name: a\n        as_of: 2026-11-28\n        given: {medical: {oop_12m: 很多}}\n        expect: hit\n"}}, want: `
rules/extra.yaml:10:36: rule EXTRA: test "a": given: medical.oop_12m: want number, got text "很多"
   10 |         given: {medical: {oop_12m: 很多}}
      |                                    ^`},
		{name: "facts: tab", breaks: []breakage{{"facts.yaml", "", facts + "\t  total: {type: number, default: 0}\n"}}, want: `
rules/facts.yaml:7:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces
    7 |    total: {type: number, default: 0}
      | ^`},
		{name: "facts: one space short", breaks: []breakage{{"facts.yaml", "", facts + "     total: {type: number, default: 0}\n"}}, want: `
rules/facts.yaml:7:6: YAML syntax: this line is indented 5 spaces, between age on line 6 (6 spaces) and fields on line 5 (4 spaces); indent it like one of them
    7 |      total: {type: number, default: 0}
      |      ^`},
		{name: "facts: stray colon", breaks: []breakage{{"facts.yaml", "", strings.Replace(facts, "doc: 人员", "doc: 人员: 户籍", 1)}}, want: `
rules/facts.yaml:4:12: YAML syntax: the value of doc holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    4 |     doc: 人员: 户籍
      |              ^`},
		{name: "facts: unclosed quote", breaks: []breakage{{"facts.yaml", "", strings.Replace(facts, "doc: 人员", "doc: \"人员", 1)}}, want: `
rules/facts.yaml:4:10: YAML syntax: the quote " opened here is never closed; end the value with "
    4 |     doc: "人员
      |          ^`},
		{name: "facts: a word where a number is wanted", breaks: []breakage{{"facts.yaml", "oop_12m:    {type: number, default: 0,", "oop_12m:    {type: number, default: 零,"}}, want: `
rules/facts.yaml:_:43: group medical: field oop_12m: default: want number, got text "零"
    _ |       oop_12m:    {type: number, default: 零, doc: 近12个月个人自付合计（元）}
      |                                           ^`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantLoadError(t, tc.breaks, tc.want) })
	}
}
