package yamldiag

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse reads data, the text of file, as one YAML document into a node
// tree, which keeps every key's and value's line and column. It registers
// the file for snippets (AddFile) and returns the document node (without
// Content when the file is empty or holds only comments) and true; or nil
// and false when the file is not YAML, the syntax error recorded where the
// mistake is, in plain words (Explain). A second document (after "---") is
// recorded as a problem and the first one returned.
func (c *Collector) Parse(file string, data []byte) (*yaml.Node, bool) {
	c.AddFile(file, data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.DocumentNode}, true
		}
		c.SyntaxError(file, err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		c.Addf(Pos{File: file, Line: extra.Line, Col: extra.Column}, "only one YAML document per file (remove the ---)")
	case !errors.Is(err, io.EOF):
		c.SyntaxError(file, err)
	}
	return &doc, true
}

// SyntaxError records err, a syntax error yaml.v3 gave for file (already
// registered), where the mistake is, in plain words (Explain).
func (c *Collector) SyntaxError(file string, err error) *Problem {
	line, col, msg := explain(c.lines[file], err)
	return c.Addf(Pos{File: file, Line: line, Col: col}, "%s", msg)
}

// typeLineRE is one line of a *yaml.TypeError: "line N: what".
var typeLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

var (
	unmarshalRE = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")
	dupKeyRE    = regexp.MustCompile(`^mapping key (".*") already defined at line (\d+)$`)
	noFieldRE   = regexp.MustCompile(`^field (.+) not found in type .+$`)
)

// DecodeError records err, an error of decoding doc (the document of file,
// from Parse) into a Go value. Each line of a *yaml.TypeError is placed at
// the value or key it is about and said in plain words: a value of the
// wrong type ("want a whole number, got "abc""), a key written twice in a
// mapping, an unknown key. Any other error is taken for a syntax error.
func (c *Collector) DecodeError(file string, doc *yaml.Node, err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		c.SyntaxError(file, err)
		return
	}
	for _, l := range te.Errors {
		c.Add(c.placeTypeError(file, doc, l))
	}
}

// placeTypeError turns one line of a TypeError into a problem at its node.
func (c *Collector) placeTypeError(file string, doc *yaml.Node, text string) *Problem {
	m := typeLineRE.FindStringSubmatch(text)
	if m == nil {
		return c.At(Pos{File: file}, "%s", text)
	}
	line, _ := strconv.Atoi(m[1])
	what := m[2]
	at := func(n *yaml.Node) Pos {
		if n == nil {
			return Pos{File: file, Line: line, Col: c.indent(file, line)}
		}
		return NodePos(file, n)
	}
	switch {
	case unmarshalRE.MatchString(what):
		u := unmarshalRE.FindStringSubmatch(what)
		tag, shown, into := u[1], u[2], u[3]
		n := find(doc, line, func(n *yaml.Node, _ bool) bool {
			switch tag {
			case "!!seq":
				return n.Kind == yaml.SequenceNode
			case "!!map":
				return n.Kind == yaml.MappingNode
			}
			// yaml.v3 shows a long value's first 7 bytes and "...".
			return n.Kind == yaml.ScalarNode && (n.Value == shown ||
				strings.HasSuffix(shown, "...") && len(n.Value) > 10 && strings.HasPrefix(n.Value, strings.TrimSuffix(shown, "...")))
		})
		got := "a value tagged " + tag
		if n != nil {
			got = Describe(n)
		}
		return c.At(at(n), "want %s, got %s", Want(into), got)
	case dupKeyRE.MatchString(what):
		u := dupKeyRE.FindStringSubmatch(what)
		key, err := strconv.Unquote(u[1])
		if err != nil {
			key = u[1]
		}
		n := find(doc, line, func(n *yaml.Node, isKey bool) bool { return isKey && n.Value == key })
		return c.At(at(n), "duplicate key %s (first at line %s); keep one of them", key, u[2])
	case noFieldRE.MatchString(what):
		key := noFieldRE.FindStringSubmatch(what)[1]
		n := find(doc, line, func(n *yaml.Node, isKey bool) bool { return isKey && n.Value == key })
		return c.At(at(n), "unknown key %s", key)
	}
	return c.At(at(nil), "%s", what)
}

// indent is the column of the first character of a line of file that is
// not a space (1 when the line is not known).
func (c *Collector) indent(file string, line int) int {
	lines := c.lines[file]
	if line < 1 || line > len(lines) {
		return 1
	}
	text := lines[line-1]
	return 1 + len([]rune(text)) - len([]rune(strings.TrimLeft(text, " \t")))
}

// find is the first node on line (in document order) that match accepts;
// isKey tells a mapping's keys from values. Aliases are not followed: the
// node an error names is the one written on its line.
func find(n *yaml.Node, line int, match func(n *yaml.Node, isKey bool) bool) *yaml.Node {
	var found *yaml.Node
	var walk func(n *yaml.Node, isKey bool, depth int)
	walk = func(n *yaml.Node, isKey bool, depth int) {
		if n == nil || found != nil || depth > 10_000 {
			return
		}
		if n.Line == line && match(n, isKey) {
			found = n
			return
		}
		for i, e := range n.Content {
			walk(e, n.Kind == yaml.MappingNode && i%2 == 0, depth+1)
		}
	}
	walk(n, false, 0)
	return found
}

// NodePos is where node n of file starts.
func NodePos(file string, n *yaml.Node) Pos {
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

// Resolve follows aliases (*name) to the node they stand for.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// Describe names what a node holds, for "want X, got Y" messages: "a
// mapping", "a list", "nothing" (null), or a scalar's value in quotes.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// Want says in plain words what a value of the Go type named goType is
// written as: "a whole number" for int, "true or false" for bool.
func Want(goType string) string {
	switch {
	case strings.HasPrefix(goType, "*"):
		return Want(goType[1:])
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping of keys"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "text"
	case goType == "time.Duration":
		return `a duration such as "15m"`
	case goType == "time.Time":
		return "a date, YYYY-MM-DD"
	}
	return fmt.Sprintf("a value of type %s", goType)
}
