package rule

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
)

// A fact query reads a param as param('NAME'): the value in force at the
// evaluation date, bound to the query as a parameter ($1, $2, ...), never
// pasted into its text. Load replaces each call by its placeholder padded
// with spaces to the call's length, so every line and column of Query is
// that of SQL and DuckDB's error positions stay those of facts.yaml.

// paramRef is one param('NAME') in a fact query: its name and where it
// is in the SQL (1-based line, column in characters).
type paramRef struct {
	name      string
	line, col int
}

// sqlProblem is a mistake in a fact query found without DuckDB.
type sqlProblem struct {
	line, col int
	msg       string
}

// rewriteParams replaces every param('NAME') outside strings, quoted
// names and comments by a positional parameter, the same name always by
// the same one. It returns the query, the names in placeholder order, the
// references with their places, and the calls it could not read.
func rewriteParams(sql string) (query string, names []string, refs []paramRef, probs []sqlProblem) {
	var b strings.Builder
	line, lineStart := 1, 0
	at := func(i int) (int, int) { return line, utf8.RuneCountInString(sql[lineStart:i]) + 1 }
	skipTo := func(i int, end string) int { // index after end, or len(sql)
		if j := strings.Index(sql[i:], end); j >= 0 {
			return i + j + len(end)
		}
		return len(sql)
	}
	i := 0
	for i < len(sql) {
		c := sql[i]
		next := i + 1
		switch {
		case c == '\'':
			next = i + 1
			for next < len(sql) {
				if sql[next] == '\'' {
					if next+1 < len(sql) && sql[next+1] == '\'' {
						next += 2
						continue
					}
					next++
					break
				}
				next++
			}
		case c == '"':
			next = skipTo(i+1, `"`)
		case strings.HasPrefix(sql[i:], "--"):
			next = i + 2
			for next < len(sql) && sql[next] != '\n' {
				next++
			}
		case strings.HasPrefix(sql[i:], "/*"):
			next = skipTo(i+2, "*/")
		case c == '$' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			l, col := at(i)
			probs = append(probs, sqlProblem{l, col, "a fact query reads params as param('NAME'), not as $1"})
		case c == '?':
			l, col := at(i)
			probs = append(probs, sqlProblem{l, col, "a fact query reads params as param('NAME'), not as ?"})
		case c == '$':
			// A dollar-quoted string: $$...$$ or $tag$...$tag$.
			if m := dollarTagRE.FindString(sql[i:]); m != "" {
				next = skipTo(i+len(m), m)
			}
		case isIdentStart(c):
			for next < len(sql) && isIdentPart(sql[next]) {
				next++
			}
			if !strings.EqualFold(sql[i:next], "param") || (i > 0 && sql[i-1] == '.') {
				break
			}
			m := paramCallRE.FindStringSubmatch(sql[i:])
			if m == nil {
				if rest := strings.TrimLeft(sql[next:], " \t\r\n"); strings.HasPrefix(rest, "(") {
					l, col := at(i)
					probs = append(probs, sqlProblem{l, col, "write param('NAME') with one param's name in single quotes, e.g. param('medical_window_months')"})
				}
				break
			}
			l, col := at(i)
			name := m[1]
			k := slices.Index(names, name)
			if k < 0 {
				names = append(names, name)
				k = len(names) - 1
			}
			refs = append(refs, paramRef{name: name, line: l, col: col})
			ph := "$" + strconv.Itoa(k+1)
			call := m[0]
			b.WriteString(ph + strings.Repeat(" ", max(0, len(call)-len(ph))))
			i += len(call)
			continue
		}
		for j := i; j < next && j < len(sql); j++ {
			if sql[j] == '\n' {
				line, lineStart = line+1, j+1
			}
		}
		b.WriteString(sql[i:min(next, len(sql))])
		i = next
	}
	return b.String(), names, refs, probs
}

var (
	paramCallRE = regexp.MustCompile(`^(?i:param)\s*\(\s*'([^'\n]*)'\s*\)`)
	dollarTagRE = regexp.MustCompile(`^\$[A-Za-z_]*\$`)
)

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }

// sqlPlace is where a group's SQL text sits in facts.yaml, to map a
// place in the query to one in the file.
type sqlPlace struct {
	key Pos // the sql: key
	val Pos // the value's first character (a block scalar: its indicator)
	// first is the file line of the query's first line, indent the
	// columns before each of its lines; 0 when lines cannot be mapped
	// (a folded or quoted scalar: the file's lines are not the query's).
	first, indent int
}

// placeSQL records where the sql value n is, given the file's lines.
func placeSQL(f *yfile, key, n *yaml.Node) sqlPlace {
	sp := sqlPlace{key: f.pos(key), val: f.pos(n)}
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		lines := f.c.Lines(f.name)
		sp.first = n.Line + 1
		for l := sp.first; l <= len(lines); l++ {
			if t := strings.TrimLeft(lines[l-1], " "); t != "" {
				sp.indent = len(lines[l-1]) - len(t)
				break
			}
		}
	case n.Style == 0 && !strings.Contains(n.Value, "\n"):
		sp.first, sp.indent = n.Line, n.Column-1
	}
	return sp
}

// SQLPos is the place in facts.yaml of a place in the group's SQL (line
// and column 1-based, the column in characters). When the query's lines
// are not the file's (a folded or quoted value), or line is 0, it is the
// sql: key.
func (g *Group) SQLPos(line, col int) Pos {
	sp := g.place
	if sp.first == 0 || line < 1 || line > strings.Count(g.SQL, "\n")+1 {
		return sp.key
	}
	return Pos{File: sp.key.File, Line: sp.first + line - 1, Col: sp.indent + max(col, 1)}
}

// duckLineRE finds the place DuckDB appends to an error: "LINE n: text"
// and, on the next line, a caret under the character.
var duckLineRE = regexp.MustCompile(`(?s)\n*LINE (\d+): ([^\n]*)\n( *)\^\s*$`)

// ErrorPos places a DuckDB error of the group's query in facts.yaml: at
// the character DuckDB points to ("LINE n:" and its caret) or, when it
// points nowhere, at the sql: key. lineOffset is the number of lines run
// before the query's first (a CREATE TABLE ... AS on a line of its own).
// msg is DuckDB's message without the place, on one line.
func (g *Group) ErrorPos(err error, lineOffset int) (pos Pos, msg string) {
	text := err.Error()
	m := duckLineRE.FindStringSubmatchIndex(text)
	if m == nil {
		return g.place.key, oneLine(text)
	}
	msg = oneLine(text[:m[0]])
	line, _ := strconv.Atoi(text[m[2]:m[3]])
	line -= lineOffset
	excerpt := text[m[4]:m[5]]
	// The caret is under the character by display width, after "LINE n: ".
	width := m[7] - m[6] - len("LINE : ") - len(text[m[2]:m[3]])
	lines := strings.Split(g.SQL, "\n")
	if line < 1 || line > len(lines) {
		return g.place.key, msg
	}
	src := lines[line-1]
	core := strings.TrimPrefix(excerpt, "...")
	if core != excerpt {
		width -= 3
	}
	core = strings.TrimSuffix(core, "...")
	// The excerpt is of Query, whose lines have the bytes of SQL's lines
	// wherever no param was replaced.
	qlines := strings.Split(g.Query, "\n")
	start := -1
	if line <= len(qlines) {
		start = strings.Index(qlines[line-1], core)
	}
	if start < 0 {
		return g.SQLPos(line, 0), msg
	}
	col, w := 0, 0
	for _, r := range qlines[line-1][start:] {
		if w >= width {
			break
		}
		w += yamldiag.RuneWidth(r)
		col++
	}
	col += utf8.RuneCountInString(qlines[line-1][:start])
	if n := utf8.RuneCountInString(src); col > n {
		col = n
	}
	return g.SQLPos(line, col+1), msg
}

// oneLine joins a multi-line message's lines with "; ".
func oneLine(s string) string {
	var parts []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// resolveFactParams checks the params each group's SQL reads, now that
// every rule file's params are known: an unknown name is reported at its
// place in facts.yaml, and the group's facts are marked broken (rules
// reading them are not reported again; the load fails).
func (p *Pack) resolveFactParams(c *collector, broken map[string]bool, brokenParams map[string]bool) {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range p.Params {
			if !yield(n) {
				return
			}
		}
	})
	for _, g := range p.Groups {
		good := true
		for _, pr := range g.problems {
			c.add(g.SQLPos(pr.line, pr.col), "group %s: sql: %s", g.Name, pr.msg)
			good = false
		}
		for _, r := range g.refs {
			if _, ok := p.Params[r.name]; ok {
				continue
			}
			good = false
			if brokenParams[r.name] {
				continue // reported where it is defined
			}
			c.add(g.SQLPos(r.line, r.col), "group %s: sql: unknown param %s%s", g.Name, r.name, hint(r.name, names))
		}
		if !good {
			broken[g.Name] = true
		}
	}
}

// FactArgs are the values of the params group's SQL reads, in placeholder
// order, at day. Before a param's first date the error wraps ErrNoValue.
func (p *Pack) FactArgs(g *Group, day time.Time) ([]any, error) {
	args := make([]any, len(g.Params))
	for i, name := range g.Params {
		pm, ok := p.Params[name]
		if !ok {
			return nil, fmt.Errorf("group %s: unknown param %s", g.Name, name)
		}
		v, err := pm.At(day)
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", g.Name, err)
		}
		args[i] = v
	}
	return args, nil
}

// LatestFactArgs are the latest values of the params group's SQL reads:
// what rules check prepares the query with (only their types matter).
func (p *Pack) LatestFactArgs(g *Group) []any {
	args := make([]any, len(g.Params))
	for i, name := range g.Params {
		if pm, ok := p.Params[name]; ok && len(pm.Values) > 0 {
			args[i] = pm.Values[len(pm.Values)-1].Value
		}
	}
	return args
}
