package rule

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
	"github.com/lipwatch/lipwatch/engine/internal/yamlguard"
)

// yfile walks one parsed rule file, reporting problems at node positions.
type yfile struct {
	name string
	c    *collector
	// suggested holds the keys the last call of keys suggested for
	// misspelt ones, so that "missing when" is not reported beside
	// "unknown key whne (did you mean when?)".
	suggested map[string]bool
	// syntaxErr is set when parseYAML found the file not to be YAML
	// (reported), as opposed to empty.
	syntaxErr bool
}

// pair is one key and its value in a YAML mapping.
type pair struct{ key, val *yaml.Node }

// parseYAML parses data as one YAML document and returns its root node,
// or nil for an empty file or one that is not YAML. A syntax error is
// reported where the mistake is, in plain words when it is a common one,
// and aliases that expand past all bounds are refused (yamldiag, yamlguard).
func (f *yfile) parseYAML(data []byte) *yaml.Node {
	doc, ok := f.c.Parse(f.name, data)
	if !ok {
		f.syntaxErr = true
		return nil
	}
	var bomb *yamlguard.Error
	if err := yamlguard.Check(doc); errors.As(err, &bomb) {
		f.syntaxErr = true
		f.c.add(Pos{File: f.name, Line: bomb.Line, Col: bomb.Col}, "%s", bomb.Error())
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return resolve(doc.Content[0])
}

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node { return yamldiag.Resolve(n) }

// pos is where n starts.
func (f *yfile) pos(n *yaml.Node) Pos { return yamldiag.NodePos(f.name, n) }

// errf reports a problem at n, prefixed with ctx ("rule X") when not empty.
func (f *yfile) errf(n *yaml.Node, ctx, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if ctx != "" {
		msg = ctx + ": " + msg
	}
	f.c.add(f.pos(n), "%s", msg)
}

// mapping returns n's key/value pairs in file order, reporting a node that
// is not a mapping and duplicate keys (the later ones are dropped).
func (f *yfile) mapping(n *yaml.Node, ctx, want string) ([]pair, bool) {
	n = resolve(n)
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		f.errf(n, ctx, "want %s, got %s", want, describe(n))
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if first, dup := seen[k.Value]; dup {
			f.errf(k, ctx, "duplicate key %s (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	return out, true
}

// keys checks n's keys against the allowed ones, reporting unknown keys
// with a spelling hint, and returns the pairs by key.
func (f *yfile) keys(n *yaml.Node, ctx, want string, allowed ...string) (map[string]pair, bool) {
	ps, ok := f.mapping(n, ctx, want)
	if !ok {
		return nil, false
	}
	m := make(map[string]pair, len(ps))
	f.suggested = map[string]bool{}
	for _, p := range ps {
		known := false
		for _, a := range allowed {
			known = known || p.key.Value == a
		}
		if !known {
			if best := closest(p.key.Value, allowed); best != "" {
				f.suggested[best] = true
			}
			f.errf(p.key, ctx, "unknown key %s%s", p.key.Value, hint(p.key.Value, allowed))
			continue
		}
		m[p.key.Value] = p
	}
	return m, true
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string { return yamldiag.Describe(n) }

// missing reports a required key that is absent, unless a misspelt key
// was just reported as probably meaning it.
func (f *yfile) missing(n *yaml.Node, ctx, key, format string, args ...any) {
	if !f.suggested[key] {
		f.errf(n, ctx, format, args...)
	}
}

// isNull reports whether n is absent or an explicit null (`key:` with no
// value, `~`, `null`).
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// text returns the string value of a scalar, reporting anything else.
func (f *yfile) text(p pair, ctx string) (string, bool) {
	if isNull(p.val) {
		f.errf(p.key, ctx, "%s: missing value", p.key.Value)
		return "", false
	}
	if p.val.Kind != yaml.ScalarNode {
		f.errf(p.val, ctx, "%s: want text, got %s", p.key.Value, describe(p.val))
		return "", false
	}
	if strings.HasPrefix(p.val.Tag, "!") && !strings.HasPrefix(p.val.Tag, "!!") {
		f.errf(p.val, ctx, "%s: YAML reads the leading %s as a tag: put the whole value in quotes (or write \"not x\" for \"!x\")", p.key.Value, p.val.Tag)
		return "", false
	}
	return p.val.Value, true
}

// scalarValue decodes a scalar node to a Go value by its YAML tag: int64,
// float64, bool, string, or nil for null. Dates and other tags are text.
func scalarValue(n *yaml.Node) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want a single value, got %s", describe(n))
	}
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s is not a whole number that fits", n.Value)
		}
		return v, nil
	case "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s is not a number", n.Value)
		}
		return v, nil
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s is not true or false", n.Value)
		}
		return v, nil
	}
	return n.Value, nil
}

// parseDate reads a civil date written YYYY-MM-DD, as UTC midnight.
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// civil is the calendar day of t in its own location, as UTC midnight, so
// that dates compare the same whatever zone the caller's time is in.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// exprKeywords cannot name a group, field or param: the condition
// language reads them as operators or literals.
var exprKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true, "let": true, "if": true, "else": true,
	"true": true, "false": true, "nil": true,
}

// checkName reports a name that expressions cannot refer to.
func (f *yfile) checkName(n *yaml.Node, ctx, what string) bool {
	switch {
	case !identRE.MatchString(n.Value):
		f.errf(n, ctx, "%s %q is not a valid name (letters, digits and _, not starting with a digit)", what, n.Value)
		return false
	case exprKeywords[n.Value]:
		f.errf(n, ctx, "%s %q is a word of the condition language; choose another name", what, n.Value)
		return false
	}
	return true
}
