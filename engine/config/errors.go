package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
)

// Problem is one thing wrong with a configuration: the file (as named to
// Load) and the line and column of the key, or of the value when the
// value is of the wrong type (1-based; 0 when the key is not in the file,
// in which case the nearest enclosing key is used if any); Env, the
// environment variable the value came from, if it did; Path, the key's
// dotted path ("sources.medical.dataset", a list element's index in
// brackets: "dispatch.formats[1]"); Message, what is wrong in plain words;
// and Snippet, the line of the file with a caret under the column.
// String formats it as "file:line:col: path: message", or with "env NAME"
// in place of the position; Error adds the snippet. It is the diagnostic
// of every YAML file lipwatch reads (the rule files and holidays.yaml too).
type Problem = yamldiag.Problem

// Error is what Load returns for a configuration it cannot accept: every
// problem found, in file order, those from the environment last.
type Error struct {
	Problems []Problem
}

// Error lists the problems, each followed by its line of the file and a
// caret.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i := range e.Problems {
		lines[i] = e.Problems[i].Error()
	}
	return strings.Join(lines, "\n")
}

// position is where a key sits in the file.
type position struct {
	line, col   int
	vline, vcol int    // where its value starts, when on the key's line (else 0)
	key         string // as written, before viper lower-cases it
	scalar      string // the value as written, when it is a scalar
}

// collector locates problems by key path and gathers them (in yamldiag's
// collector, which renders their snippets and sorts them).
type collector struct {
	file  string
	diag  *yamldiag.Collector
	pos   map[string]position // dotted lower-case path -> key position
	env   map[string]string   // dotted path -> env var, for values taken from the environment
	bound map[string]bool     // every env var bound to a key
	bad   map[string]bool     // paths whose value could not be decoded
}

func newCollector(file string) *collector {
	diag := yamldiag.NewCollector()
	diag.Secret = IsSecret // no token or password in a snippet
	return &collector{file: file, diag: diag, pos: map[string]position{}, env: map[string]string{}, bound: map[string]bool{}, bad: map[string]bool{}}
}

// add records a problem at path, located at the environment variable the
// value came from, or else in the file: at the value when it could not be
// decoded (path is marked bad: a wrong type, a duration without a unit)
// and sits on its key's line, else at the key itself or its nearest
// enclosing key.
func (c *collector) add(path, format string, args ...any) {
	c.addAt(path, true, format, args...)
}

// addFile records a problem about a key that can only come from the file,
// at the key.
func (c *collector) addFile(path, format string, args ...any) {
	c.addAt(path, false, format, args...)
}

func (c *collector) addAt(path string, env bool, format string, args ...any) {
	p := &Problem{Pos: yamldiag.Pos{File: c.file}, Path: path, Message: fmt.Sprintf(format, args...)}
	if name, ok := c.envOf(path); ok && env {
		p.Env = name
	} else {
		for q := path; q != ""; q = parent(q) {
			if at, ok := c.pos[q]; ok {
				p.Line, p.Col = at.line, at.col
				if q == path && env && c.bad[path] && at.vline > 0 {
					p.Line, p.Col = at.vline, at.vcol
				}
				break
			}
		}
	}
	c.diag.Add(p)
}

// err returns the problems sorted by position, or nil.
func (c *collector) err() error {
	ps := c.diag.Problems()
	if ps == nil {
		return nil
	}
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return &Error{Problems: out}
}

// failed reports whether path or a key enclosing it could not be decoded,
// in which case checks on its value would only repeat the problem.
func (c *collector) failed(path string) bool {
	for q := path; q != ""; q = parent(q) {
		if c.bad[q] {
			return true
		}
	}
	return false
}

// envOf returns the environment variable path's value came from: its own,
// or for a list element the list's.
func (c *collector) envOf(path string) (string, bool) {
	if name, ok := c.env[path]; ok {
		return name, true
	}
	if list, isElem := listOf(path); isElem {
		name, ok := c.env[list]
		return name, ok
	}
	return "", false
}

func parent(path string) string {
	if list, isElem := listOf(path); isElem {
		return list
	}
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return ""
	}
	return path[:i]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// elemPath returns the path of element i of the list at path.
func elemPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// listOf returns the path of the list a list element's path names:
// "dispatch.formats" for "dispatch.formats[1]".
func listOf(path string) (string, bool) {
	if !strings.HasSuffix(path, "]") {
		return "", false
	}
	i := strings.LastIndexByte(path, '[')
	if i <= 0 {
		return "", false
	}
	digits := path[i+1 : len(path)-1]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return path[:i], true
}

// index records the position of every mapping key and list element
// under n.
func (c *collector) index(n *yaml.Node, path string, depth int) {
	if n == nil || depth > 64 {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, k := range n.Content {
			c.index(k, path, depth+1)
		}
	case yaml.AliasNode:
		c.index(n.Alias, path, depth+1)
	case yaml.SequenceNode:
		if path == "" {
			return // not a configuration; Parse reports it
		}
		for i, e := range n.Content {
			p := elemPath(path, i)
			if _, seen := c.pos[p]; !seen {
				at := position{line: e.Line, col: e.Column, vline: e.Line, vcol: e.Column}
				if e.Kind == yaml.ScalarNode {
					at.scalar = e.Value
				}
				c.pos[p] = at
			}
			c.index(e, p, depth+1)
		}
	case yaml.MappingNode:
		// Keys written in the mapping win over merged ones ("<<: *base").
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merges = append(merges, v)
				continue
			}
			p := join(path, strings.ToLower(k.Value))
			if _, seen := c.pos[p]; !seen {
				at := position{line: k.Line, col: k.Column, key: k.Value}
				if v.Kind == yaml.ScalarNode {
					at.scalar = v.Value
				}
				if v.Line == k.Line {
					at.vline, at.vcol = v.Line, v.Column
				}
				c.pos[p] = at
			}
			c.index(v, p, depth+1)
		}
		for _, m := range merges {
			if m.Kind == yaml.SequenceNode {
				for _, e := range m.Content {
					c.index(e, path, depth+1)
				}
				continue
			}
			c.index(m, path, depth+1)
		}
	}
}
