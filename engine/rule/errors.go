package rule

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/engine/internal/textdist"
)

// Pos is a place in a rule file: 1-based line and column, columns counted
// in characters (runes), as editors and yaml count them.
type Pos struct {
	File      string
	Line, Col int
}

// String formats p as "file:line:col" (or "file:line", "file" when the
// finer parts are unknown).
func (p Pos) String() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Error is one problem found in the rule files.
type Error struct {
	// Pos locates the problem.
	Pos Pos
	// Message says what is wrong, starting with what it is about
	// ("rule MED-OOP-UNCOVERED: when: unknown name medcal").
	Message string
	// Snippet is the offending line of the file and a caret under Pos.Col,
	// with a line-number gutter; empty when the line is not known.
	Snippet string
}

// Error formats e as "file:line:col: message" followed by its snippet.
func (e *Error) Error() string {
	s := e.Pos.String() + ": " + e.Message
	if e.Snippet != "" {
		s += "\n" + e.Snippet
	}
	return s
}

// Errors is every problem Load found, in file order (facts.yaml first,
// then the rule files by name), by line and column within a file.
type Errors []*Error

// Error lists the problems, each with its snippet, one after another.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Warning is a problem that does not stop the rules from loading, e.g. a
// division whose divisor may be 0. Its fields are those of Error.
type Warning Error

// String formats w as "file:line:col: warning: message" followed by its
// snippet.
func (w *Warning) String() string {
	s := w.Pos.String() + ": warning: " + w.Message
	if w.Snippet != "" {
		s += "\n" + w.Snippet
	}
	return s
}

// collector gathers problems while loading and renders their snippets from
// the files' text.
type collector struct {
	order map[string]int      // file -> rank in load order
	lines map[string][]string // file -> its lines, for snippets
	errs  Errors
	warns []*Warning
}

func newCollector() *collector {
	return &collector{order: map[string]int{}, lines: map[string][]string{}}
}

// addFile registers a file's text for snippets; files are ranked in the
// order they are added.
func (c *collector) addFile(name string, data []byte) {
	if _, ok := c.order[name]; !ok {
		c.order[name] = len(c.order)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	c.lines[name] = strings.Split(text, "\n")
}

// add records a problem at pos.
func (c *collector) add(pos Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{Pos: pos, Message: fmt.Sprintf(format, args...), Snippet: c.snippet(pos)})
}

// warn records a warning at pos.
func (c *collector) warn(pos Pos, format string, args ...any) {
	c.warns = append(c.warns, &Warning{Pos: pos, Message: fmt.Sprintf(format, args...), Snippet: c.snippet(pos)})
}

// err returns the problems in file order, or nil when there are none.
func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	es := slices.Clone(c.errs)
	slices.SortStableFunc(es, c.byPlace)
	return es
}

// sortedWarnings returns the warnings in file order.
func (c *collector) sortedWarnings() []*Warning {
	ws := slices.Clone(c.warns)
	slices.SortStableFunc(ws, func(a, b *Warning) int { return c.byPlace((*Error)(a), (*Error)(b)) })
	return ws
}

func (c *collector) byPlace(a, b *Error) int {
	return cmp.Or(
		cmp.Compare(c.order[a.Pos.File], c.order[b.Pos.File]),
		cmp.Compare(a.Pos.Line, b.Pos.Line),
		cmp.Compare(a.Pos.Col, b.Pos.Col),
	)
}

// snippet renders the line at pos with a caret under its column:
//
//	14 |     when: medcal.oop_12m >= 3
//	   |           ^
//
// The caret is placed by display width, so it lands under the right
// character after Chinese text (two columns per character).
// A line longer than snippetMax characters is shown snippetReach
// characters on each side of the caret.
const (
	snippetMax   = 400
	snippetReach = 100
)

func (c *collector) snippet(pos Pos) string {
	lines := c.lines[pos.File]
	if pos.Line < 1 || pos.Line > len(lines) {
		return ""
	}
	text := strings.ReplaceAll(lines[pos.Line-1], "\t", " ")
	col := pos.Col
	if col < 1 {
		col = 1 + len(text) - len(strings.TrimLeft(text, " "))
	}
	if rs := []rune(text); len(rs) > snippetMax {
		// A very long line (a generated condition) is shown around the
		// caret only, not whole.
		from, to := max(0, col-1-snippetReach), min(len(rs), col-1+snippetReach)
		text = string(rs[from:to])
		col -= from
		if from > 0 {
			text, col = "…"+text, col+1
		}
		if to < len(rs) {
			text += "…"
		}
	}
	pad, n := 0, 0
	for _, r := range text {
		if n >= col-1 {
			break
		}
		pad += runeWidth(r)
		n++
	}
	if col-1 > n {
		pad += col - 1 - n // past the end of the line (an error at end of input)
	}
	gutter := fmt.Sprintf("%5d | ", pos.Line)
	return strings.TrimRight(gutter+text, " ") + "\n" + strings.Repeat(" ", 5) + " | " + strings.Repeat(" ", pad) + "^"
}

// runeWidth is the number of terminal columns r takes: two for East Asian
// wide and full-width characters, zero for combining marks, else one.
func runeWidth(r rune) int {
	switch {
	case r >= 0x0300 && r <= 0x036F, r >= 0x200B && r <= 0x200F, r == 0xFE0F:
		return 0
	case r >= 0x1100 && r <= 0x115F,
		r >= 0x2E80 && r <= 0x303E,
		r >= 0x3041 && r <= 0x33FF,
		r >= 0x3400 && r <= 0x4DBF,
		r >= 0x4E00 && r <= 0x9FFF,
		r >= 0xA000 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F,
		r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// hint suggests the candidate closest to word, as " (did you mean x?)",
// or "" when none is close enough to be a likely typo.
func hint(word string, candidates []string) string {
	if best := closest(word, candidates); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// closest is the candidate word most likely meant (textdist.Closest).
func closest(word string, candidates []string) string { return textdist.Closest(word, candidates) }
