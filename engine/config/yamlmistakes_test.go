package config

import (
	"strings"
	"testing"
)

// TestYAMLMistakes: the common YAML mistakes in config.yaml are said in
// plain words at the line and column of the mistake, with the line and a
// caret, as in the rule files and holidays.yaml; a value of the wrong type
// is placed at the value.
func TestYAMLMistakes(t *testing.T) {
	const head = "county:\n  code: \"320102\"\n"
	for _, tt := range []struct{ name, src, want string }{
		{"tab", head + "store:\n\tpath: lw.duckdb\n", `
c.yaml:4:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces
    4 |  path: lw.duckdb
      | ^`},
		{"one space short", head + "store:\n  path: lw.duckdb\n threads: 4\n", `
c.yaml:5:2: YAML syntax: this line is indented 1 space, between path on line 4 (2 spaces) and store on line 3 (0 spaces); indent it like one of them
    5 |  threads: 4
      |  ^`},
		{"stray colon", head + "  name: 玄武区: 南京\nstore:\n  path: lw.duckdb\n", `
c.yaml:3:12: YAML syntax: the value of name holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    3 |   name: 玄武区: 南京
      |               ^`},
		{"unclosed quote", head + "store:\n  path: \"lw.duckdb\n  threads: 4\n", `
c.yaml:4:9: YAML syntax: the quote " opened here is never closed; end the value with "
    4 |   path: "lw.duckdb
      |         ^`},
		{"a word where a number is wanted", head + "store:\n  threads: four\n", `
c.yaml:4:12: store.threads: want a whole number, got "four"
    4 |   threads: four
      |            ^`},
		{"key twice", head + "store:\n  path: a.duckdb\n  path: b.duckdb\n", `
c.yaml:5:3: duplicate key path (first at line 4); keep one of them
    5 |   path: b.duckdb
      |   ^`},
		{"two documents", head + "---\nstore: {}\n", `
c.yaml:3:1: only one YAML document per file (remove the ---)
    3 | ---
      | ^`},
		// A secret never shows in a snippet, even on a line that is not YAML.
		{"secret", head + "sources:\n  medical:\n    kind: testfile\n    dataset: medical\n    options:\n      api_token: abc: 123\n", `
c.yaml:8:21: YAML syntax: the value of api_token holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    8 |       api_token: <redacted>
      |                     ^`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.src))
			if want := strings.TrimPrefix(tt.want, "\n"); err == nil || err.Error() != want {
				t.Errorf("got:\n%v\nwant:\n%s", err, want)
			}
		})
	}
}
