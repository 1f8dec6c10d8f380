package rule

import (
	"unicode"

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
