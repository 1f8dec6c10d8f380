package rule

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"go.yaml.in/yaml/v3"
)

// rawCursor walks the characters of a file as written, lines joined by
// '\n'.
type rawCursor struct {
	lines [][]rune
	line  int // 0-based
	col   int // 0-based, in runes; len(line) stands for its '\n'
}

// at returns the character under the cursor ('\n' at a line's end) and
// false past the end of the file.
func (c *rawCursor) at(ahead int) (rune, bool) {
	line, col := c.line, c.col+ahead
	for line < len(c.lines) && col > len(c.lines[line]) {
		col -= len(c.lines[line]) + 1
		line++
	}
	if line >= len(c.lines) {
		return 0, false
	}
	if col == len(c.lines[line]) {
		return '\n', true
	}
	return c.lines[line][col], true
}

func (c *rawCursor) advance(n int) {
	for ; n > 0 && c.line < len(c.lines); n-- {
		if c.col >= len(c.lines[c.line]) {
			c.line, c.col = c.line+1, 0
		} else {
			c.col++
		}
	}
}

// locate finds where the offset-th character (rune) of a scalar's value
// was written in the file, whatever the scalar's style: plain, quoted
// (” and \ escapes) or block (| and >, with their indentation and line
// folding). It walks the value and the raw text side by side, letting
// the raw text's line breaks, indentation and escapes stand for what
// they decode to. The result is a 1-based line and column.
func locate(lines []string, n *yaml.Node, offset int) (line, col int) {
	c := &rawCursor{line: n.Line - 1, col: n.Column - 1}
	for _, l := range lines {
		c.lines = append(c.lines, []rune(l))
	}
	dq := n.Style&yaml.DoubleQuotedStyle != 0
	sq := n.Style&yaml.SingleQuotedStyle != 0
	switch {
	case dq || sq:
		c.advance(1) // the opening quote
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		c.line, c.col = c.line+1, 0 // content starts on the next line
	}
	value := []rune(n.Value)
	for i := 0; i <= offset && i <= len(value); i++ {
		want := rune(-1) // end of value: stop on the next non-blank
		if i < len(value) {
			want = value[i]
		}
		for {
			r, ok := c.at(0)
			if !ok {
				return c.line + 1, c.col + 1
			}
			if dq && r == '\\' {
				next, _ := c.at(1)
				if next == '\n' { // escaped line break: joins lines
					c.advance(2)
					continue
				}
				if i == offset {
					return c.line + 1, c.col + 1
				}
				c.advance(escapeLen(next))
				break
			}
			if r == want {
				if i == offset {
					return c.line + 1, c.col + 1
				}
				if next, _ := c.at(1); sq && r == '\'' && next == '\'' {
					c.advance(2)
				} else {
					c.advance(1)
				}
				break
			}
			if r == '\n' || unicode.IsSpace(r) {
				c.advance(1) // folding and indentation
				continue
			}
			if i == offset {
				return c.line + 1, c.col + 1
			}
			break // lost the thread: keep the position
		}
	}
	return c.line + 1, c.col + 1
}

// escapeLen is the length in characters of a double-quoted escape whose
// letter is r: \xXX, \uXXXX, \UXXXXXXXX, else \r.
func escapeLen(r rune) int {
	switch r {
	case 'x':
		return 4
	case 'u':
		return 6
	case 'U':
		return 10
	}
	return 2
}

// typeErrors finds every type error of a condition text that does not
// compile (first is expr's error for the whole, which stops at the
// first). Each operand of a top-level && or || (and, or) is compiled on
// its own, and one that fails is split the same way, so independent
// mistakes are each reported at their own place, once. With a single
// mistake it returns first, expr's words for the whole condition.
func typeErrors(text string, opts []expr.Option, first error) []error {
	budget := maxSplitCompiles
	errs := splitErrors([]rune(text), 0, opts, first, &budget)
	slices.SortStableFunc(errs, func(a, b error) int { return errFrom(a) - errFrom(b) })
	errs = slices.CompactFunc(errs, func(a, b error) bool {
		return errFrom(a) == errFrom(b) && errMessage(a) == errMessage(b)
	})
	if len(errs) < 2 {
		return []error{first}
	}
	return errs
}

// maxSplitCompiles bounds the compiles typeErrors makes, so that a
// generated condition of thousands of && parts costs no more than a rule's
// worth of them.
const maxSplitCompiles = 64

// splitErrors returns the type errors of rs, a condition that does not
// compile with error whole, with their offsets moved by base (the offset
// of rs in the whole condition, in characters). Past the budget of
// compiles, the errors found so far and whole's.
func splitErrors(rs []rune, base int, opts []expr.Option, whole error, budget *int) []error {
	tree, err := parser.Parse(string(rs))
	if err != nil {
		return []error{shiftErr(whole, base)}
	}
	b, ok := tree.Node.(*ast.BinaryNode)
	if !ok || !slices.Contains([]string{"&&", "||", "and", "or"}, b.Operator) {
		return []error{shiftErr(whole, base)}
	}
	from := b.Location().From
	to := from + len([]rune(b.Operator))
	if from < 0 || to > len(rs) || string(rs[from:to]) != b.Operator {
		// Not written there: the && expr makes of a chained comparison
		// (1 < x < 3).
		return []error{shiftErr(whole, base)}
	}
	var errs []error
	for _, span := range [][2]int{{0, from}, {to, len(rs)}} {
		lo, hi := unwrap(rs, span[0], span[1])
		if lo >= hi {
			return []error{shiftErr(whole, base)}
		}
		if *budget <= 0 {
			return append(errs, shiftErr(whole, base))
		}
		*budget--
		if _, err := expr.Compile(string(rs[lo:hi]), opts...); err != nil {
			errs = append(errs, splitErrors(rs[lo:hi], base+lo, opts, err, budget)...)
		}
	}
	if len(errs) == 0 {
		return []error{shiftErr(whole, base)}
	}
	return errs
}

// unwrap narrows rs[lo:hi] to its text without surrounding blanks and
// brackets: " (a || b) " to "a || b".
func unwrap(rs []rune, lo, hi int) (int, int) {
	for {
		for lo < hi && strings.ContainsRune(" \t\r\n", rs[lo]) {
			lo++
		}
		for hi > lo && strings.ContainsRune(" \t\r\n", rs[hi-1]) {
			hi--
		}
		if hi-lo < 2 || rs[lo] != '(' || rs[hi-1] != ')' || closing(rs, lo) != hi-1 {
			return lo, hi
		}
		lo, hi = lo+1, hi-1
	}
}

// closing is the index of the bracket closing the one at rs[open], or -1.
// Brackets inside quotes do not count.
func closing(rs []rune, open int) int {
	depth := 0
	var quote rune
	for i := open; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == '\\' && quote != '`' {
				i++
			} else if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// shiftErr moves the place of an expr error by base characters.
func shiftErr(err error, base int) error {
	var fe *file.Error
	if base == 0 || !errors.As(err, &fe) {
		return err
	}
	return &file.Error{Location: file.Location{From: fe.From + base, To: fe.To + base}, Message: fe.Message}
}

func errFrom(err error) int {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.From
	}
	return 0
}

func errMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.Message
	}
	return err.Error()
}
