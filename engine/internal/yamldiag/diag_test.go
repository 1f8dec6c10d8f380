package yamldiag

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSnippet(t *testing.T) {
	c := NewCollector()
	c.AddFile("a.yaml", []byte("\ufeffrules:\r\n  - id: X\r\n    when: 医疗.自付 >= 3\n\tdoc: x\n"))
	for _, tc := range []struct {
		pos  Pos
		want string
	}{
		// The BOM is not shown and not counted; CRLF reads as LF.
		{Pos{"a.yaml", 1, 1}, "    1 | rules:\n      | ^"},
		// Two columns a Chinese character.
		{Pos{"a.yaml", 3, 17}, "    3 |     when: 医疗.自付 >= 3\n      |                     ^"},
		// No column: under the first character.
		{Pos{"a.yaml", 2, 0}, "    2 |   - id: X\n      |   ^"},
		// A tab shows as one space.
		{Pos{"a.yaml", 4, 2}, "    4 |  doc: x\n      |  ^"},
		// Past the end of the line (an error at end of input).
		{Pos{"a.yaml", 2, 12}, "    2 |   - id: X\n      |            ^"},
		{Pos{"a.yaml", 0, 0}, ""},
		{Pos{"a.yaml", 9, 1}, ""},
		{Pos{"b.yaml", 1, 1}, ""},
	} {
		if got := c.Snippet(tc.pos); got != tc.want {
			t.Errorf("Snippet(%v) =\n%s\nwant\n%s", tc.pos, got, tc.want)
		}
	}
	// A very long line is shown around the caret.
	c.AddFile("long.yaml", []byte("when: "+strings.Repeat("a && ", 200)+"b\n"))
	got := c.Snippet(Pos{"long.yaml", 1, 500})
	if lines := strings.Split(got, "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "    1 | …") || !strings.HasSuffix(lines[0], "…") ||
		len([]rune(lines[0])) > 220 || len(lines[1]) != len("      | ")+102 {
		t.Errorf("long line:\n%s", got)
	}
}

func TestProblemFormat(t *testing.T) {
	c := NewCollector()
	c.AddFile("c.yaml", []byte("store:\n  threads: many\n"))
	for _, tc := range []struct {
		p    *Problem
		want string
	}{
		{c.At(Pos{"c.yaml", 2, 12}, "want %s", "a whole number"), "c.yaml:2:12: want a whole number\n    2 |   threads: many\n      |            ^"},
		{c.Add(&Problem{Pos: Pos{"c.yaml", 2, 3}, Path: "store.threads", Message: "bad"}), "c.yaml:2:3: store.threads: bad\n    2 |   threads: many\n      |   ^"},
		{c.Add(&Problem{Pos: Pos{File: "c.yaml"}, Env: "LIPWATCH_STORE_THREADS", Path: "store.threads", Message: "bad"}), "env LIPWATCH_STORE_THREADS: store.threads: bad"},
		{c.Addf(Pos{File: "c.yaml", Line: 2}, "a line"), "c.yaml:2: a line\n    2 |   threads: many\n      |   ^"},
		{c.Addf(Pos{File: "c.yaml"}, "the whole file"), "c.yaml: the whole file"},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("got\n%s\nwant\n%s", got, tc.want)
		}
	}
}

// TestOrder: by file in the order they were added, the environment after
// the file, problems of a whole file last, then line and column; problems
// at one place keep the order they were found in.
func TestOrder(t *testing.T) {
	c := NewCollector()
	c.AddFile("facts.yaml", nil)
	c.AddFile("a.yaml", nil)
	c.Addf(Pos{File: "a.yaml", Line: 3, Col: 1}, "a3")
	c.Add(&Problem{Pos: Pos{File: "facts.yaml"}, Env: "LIPWATCH_Y", Message: "envY"})
	c.Add(&Problem{Pos: Pos{File: "facts.yaml"}, Env: "LIPWATCH_X", Message: "envX"})
	c.Addf(Pos{File: "facts.yaml"}, "whole")
	c.Addf(Pos{File: "facts.yaml", Line: 9, Col: 2}, "f9 first")
	c.Addf(Pos{File: "facts.yaml", Line: 9, Col: 2}, "f9 second")
	c.Addf(Pos{File: "facts.yaml", Line: 2, Col: 7}, "f2")
	c.Addf(Pos{File: "a.yaml", Line: 1, Col: 5}, "a1")
	var got []string
	for _, p := range c.Problems() {
		got = append(got, p.Message)
	}
	want := "f2 f9 first f9 second whole envX envY a1 a3"
	if strings.Join(got, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(got, " "), want)
	}
	if NewCollector().Problems() != nil {
		t.Error("no problems should be nil")
	}
}

// TestSecret: a secret's value never shows in a snippet; the explanation
// of a syntax error still reads the real text.
func TestSecret(t *testing.T) {
	c := NewCollector()
	c.Secret = func(key string) bool { return strings.Contains(key, "token") || key == "password" }
	data := []byte("options:\n  api_token: abc: 123\n  other: {token: xyz, a: 1}\n  path: x\n")
	if _, ok := c.Parse("c.yaml", data); ok {
		t.Fatal("parsed")
	}
	want := `c.yaml:2:17: YAML syntax: the value of api_token holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    2 |   api_token: <redacted>
      |                 ^`
	if got := c.Problems()[0].Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := c.Snippet(Pos{"c.yaml", 3, 3}); got != "    3 |   other: {token: <redacted>\n      |   ^" {
		t.Errorf("flow mapping: %s", got)
	}
	// The rest of a secret written over several lines, too.
	c.AddFile("b.yaml", []byte("a:\n  password: |\n    hunter2\n\n    more\n  path: x\n"))
	var shown []string
	for l := 1; l <= 6; l++ {
		shown = append(shown, strings.SplitN(c.Snippet(Pos{"b.yaml", l, 1}), "\n", 2)[0])
	}
	if got, want := strings.Join(shown, "\n"), "    1 | a:\n    2 |   password: <redacted>\n    3 |     <redacted>\n    4 |\n    5 |     <redacted>\n    6 |   path: x"; got != want {
		t.Errorf("block scalar:\n%s\nwant\n%s", got, want)
	}
	if got := c.Lines("c.yaml")[1]; got != "  api_token: abc: 123" {
		t.Errorf("Lines changed: %q", got)
	}
}

func TestParse(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "\n\n"} {
		c := NewCollector()
		doc, ok := c.Parse("e.yaml", []byte(src))
		if !ok || doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 0 || c.Len() != 0 {
			t.Errorf("%q: %v %v %v", src, doc, ok, c.Problems())
		}
	}
	c := NewCollector()
	doc, ok := c.Parse("d.yaml", []byte("a: 1\n---\nb: 2\n"))
	if !ok || len(doc.Content) != 1 || c.Len() != 1 || c.Problems()[0].String() != "d.yaml:2:1: only one YAML document per file (remove the ---)" {
		t.Errorf("two documents: %v %v", ok, c.Problems())
	}
	c = NewCollector()
	if _, ok := c.Parse("s.yaml", []byte("a: 1\n---\nb: [\n")); !ok || c.Len() != 1 || !strings.HasPrefix(c.Problems()[0].String(), "s.yaml:3:") {
		t.Errorf("broken second document: %v %v", ok, c.Problems())
	}
}

// TestDecodeError: yaml.v3's decoding errors are placed at the value or
// key they are about and said in plain words.
func TestDecodeError(t *testing.T) {
	src := "name: x\nthreads: four\nlimits: {max: many, min: 2}\nflags: [yes, 一直]\nnom: y\nlist: {a: 1}\nlong: abcdefghijklmnop\n"
	c := NewCollector()
	doc, ok := c.Parse("t.yaml", []byte(src))
	if !ok {
		t.Fatal(c.Problems())
	}
	var out struct {
		Name    string
		Threads int
		Limits  map[string]int
		Flags   []bool
		List    []string
		Long    uint8
	}
	err := doc.Decode(&out)
	if err == nil {
		t.Fatal("decoded")
	}
	c.DecodeError("t.yaml", doc, err)
	var got []string
	for _, p := range c.Problems() {
		got = append(got, p.String())
	}
	want := []string{
		`t.yaml:2:10: want a whole number, got "four"`,
		`t.yaml:3:15: want a whole number, got "many"`,
		`t.yaml:4:14: want true or false, got "一直"`,
		`t.yaml:6:7: want a list, got a mapping`,
		`t.yaml:7:7: want a whole number, got "abcdefghijklmnop"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A key written twice (yaml.v3 reports it alone).
	c = NewCollector()
	doc, _ = c.Parse("t.yaml", []byte(src+"threads: 4\n"))
	c.DecodeError("t.yaml", doc, doc.Decode(&out))
	if got := c.Problems(); len(got) != 1 || got[0].String() != "t.yaml:8:1: duplicate key threads (first at line 2); keep one of them" {
		t.Errorf("duplicate key: %v", got)
	}
	// Errors of other shapes: a field not found (a decoder with
	// KnownFields), words yaml.v3 may add later, none with a line.
	c = NewCollector()
	doc, _ = c.Parse("t.yaml", []byte(src))
	c.DecodeError("t.yaml", doc, &yaml.TypeError{Errors: []string{
		"line 5: field nom not found in type main.T",
		"line 4: something new",
		"no line at all",
	}})
	got = got[:0]
	for _, p := range c.Problems() {
		got = append(got, p.String())
	}
	want = []string{
		`t.yaml:4:1: something new`,
		`t.yaml:5:1: unknown key nom`,
		`t.yaml: no line at all`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
