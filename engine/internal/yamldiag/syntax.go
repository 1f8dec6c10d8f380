package yamldiag

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML syntax errors, explained where the mistake is.
//
// yaml.v3 gives a line and no column, and the line is often not the
// mistake's: a parser error names the line where the enclosing mapping or
// list began ("did not find expected key" at `rules:` for a key indented
// one space short twenty lines below), a scanner error the line before.
// So the mistake is found in two steps. First the line where the file
// stops being YAML: the shortest prefix of whole lines that does not
// parse (a binary search, cutting only between lines where no quote or
// bracket is open). Then a few small checks of the text on that line and
// the one before it say what the mistake is — a tab in the indentation, a
// line indented unlike its siblings, ": " inside a plain value, a quote or
// bracket never closed — and where; when none fits, yaml.v3's own words
// are given at that line.

// Explain explains a YAML syntax error err that yaml.v3 gave for data:
// the line and column (1-based, in characters) of the likely mistake and
// a message in plain words saying how to fix it, falling back to yaml.v3's
// words at its line. The message starts "YAML syntax: ". Parse reports
// syntax errors with it.
func Explain(data []byte, err error) (line, col int, msg string) {
	return explain(splitLines(data), err)
}

// maxExplainBytes bounds the files whose errors are searched for by
// parsing prefixes (some twenty parses of the file): beyond it, yaml.v3's
// line is used as it is.
const maxExplainBytes = 1 << 20

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// explain is Explain on the file's lines.
func explain(lines []string, err error) (line, col int, msg string) {
	if len(lines) == 0 {
		lines = []string{""} // a file not registered: yaml.v3's words
	}
	words, line := err.Error(), 0
	if m := yamlLineRE.FindStringSubmatch(words); m != nil {
		line, _ = strconv.Atoi(m[1])
		words = m[2]
	}
	words = strings.TrimPrefix(words, "yaml: ")
	info, open := scanYAML(lines)
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	at := line - 1 // 0-based line of the mistake
	if size <= maxExplainBytes {
		at = firstBadLine(lines, info)
	}
	if at < 0 || at >= len(lines) {
		at = min(max(line-1, 0), len(lines)-1)
	}
	if l, c, m := diagnose(lines, info, open, at); m != "" {
		return l + 1, c + 1, "YAML syntax: " + m
	}
	return at + 1, info[at].indent + 1, "YAML syntax: " + words
}

// firstBadLine is the 0-based index of the last line of the shortest
// prefix of whole lines that does not parse, or -1 when every prefix does.
// Prefixes end only where no quote or bracket is open (one cut inside a
// quoted value that goes on to the next line would fail for the cut
// alone), and the whole file is the last one.
func firstBadLine(lines []string, info []yline) int {
	var cuts []int // prefix lengths in lines
	for i := range lines {
		if info[i].clean {
			cuts = append(cuts, i+1)
		}
	}
	if len(cuts) == 0 || cuts[len(cuts)-1] != len(lines) {
		cuts = append(cuts, len(lines))
	}
	bad := func(k int) bool {
		var doc yaml.Node
		err := yaml.NewDecoder(strings.NewReader(strings.Join(lines[:k], "\n"))).Decode(&doc)
		return err != nil && !errors.Is(err, io.EOF)
	}
	// The first bad prefix: once a prefix fails, a longer one fails too.
	i, _ := slices.BinarySearchFunc(cuts, true, func(k int, _ bool) int {
		if bad(k) {
			return 1
		}
		return -1
	})
	if i == len(cuts) {
		return -1
	}
	return cuts[i] - 1
}

// yline is what the checks need to know of one line of a YAML file.
type yline struct {
	indent int  // leading spaces and tabs, in characters
	sig    bool // holds YAML structure: not blank, not only a comment, not inside a block scalar (| or >) nor inside a quote or bracket opened on an earlier line
	tab    int  // 0-based column of a tab in the indentation, or -1
	dash   int  // 0-based column of a leading "- ", or -1
	key    int  // 0-based column of the line's key (after any "- "), or -1
	name   string
	opens  bool // ends at "key:" or "-": the lines after it, indented more, are its value
	value  bool // the key has a value on this line
	stray  int  // 0-based column of ": " inside a plain value, or -1
	extra  int  // 0-based column of a ] or } that closes nothing, or -1
	odd    int  // 0-based column of a value starting with ` or @, or -1
	clean  bool // no quote or bracket is open at the end of the line
}

// opener is a quote or bracket that is not closed.
type opener struct {
	line, col int // 0-based
	ch        rune
}

// col is where the line's structure starts: its "- " or its key.
func (y yline) col() int {
	if y.dash >= 0 {
		return y.dash
	}
	if y.key >= 0 {
		return y.key
	}
	return y.indent
}

// scanYAML reads lines as a small subset of YAML's syntax (block mappings
// and lists, plain, quoted and block scalars, flow brackets, comments),
// enough for the checks. open is the first quote or bracket never closed:
// by the end of the file, or by a line indented no more than the one
// where it opened (a value going on over lines is indented more).
func scanYAML(lines []string) (info []yline, open *opener) {
	info = make([]yline, len(lines))
	block := -1 // indentation of the key of a block scalar being read, or -1
	var stack []opener
	for i, text := range lines {
		rs := []rune(text)
		y := &info[i]
		y.tab, y.dash, y.key, y.stray, y.extra, y.odd = -1, -1, -1, -1, -1, -1
		for y.indent < len(rs) && (rs[y.indent] == ' ' || rs[y.indent] == '\t') {
			if rs[y.indent] == '\t' && y.tab < 0 {
				y.tab = y.indent
			}
			y.indent++
		}
		blank := y.indent == len(rs) || rs[y.indent] == '#'
		if block >= 0 {
			if blank || y.indent > block {
				y.clean = true
				continue
			}
			block = -1
		}
		if len(stack) > 0 {
			if blank || y.indent > info[stack[0].line].indent {
				stack, _ = scanFlow(rs, 0, i, stack)
				y.clean = len(stack) == 0
				continue
			}
			if open == nil {
				o := stack[len(stack)-1]
				open = &o
			}
			stack = nil
		}
		y.clean = true
		if blank {
			continue
		}
		y.sig = true
		pos := y.indent
		for pos < len(rs) && rs[pos] == '-' && (pos+1 == len(rs) || rs[pos+1] == ' ') {
			if y.dash < 0 {
				y.dash = pos
			}
			pos = skipSpaces(rs, pos+1)
		}
		if pos >= len(rs) || rs[pos] == '#' {
			y.opens = true // "-" alone
			continue
		}
		if end, ok := keyEnd(rs, pos); ok {
			y.key, y.name = pos, strings.Trim(string(rs[pos:end]), `"'`)
			pos = skipSpaces(rs, end+1)
			if pos >= len(rs) || rs[pos] == '#' {
				y.opens = true
				continue
			}
			y.value = true
		}
		switch rs[pos] {
		case '|', '>':
			block = y.col()
			if y.key >= 0 {
				block = y.key
			}
		case '"', '\'', '[', '{':
			stack, y.extra = scanFlow(rs, pos, i, nil)
			y.clean = len(stack) == 0
		case '`', '@':
			y.odd = pos
		default:
			if y.key >= 0 {
				y.stray = strayColon(rs, pos)
			}
		}
	}
	if open == nil && len(stack) > 0 {
		o := stack[len(stack)-1]
		open = &o
	}
	return info, open
}

func skipSpaces(rs []rune, pos int) int {
	for pos < len(rs) && rs[pos] == ' ' {
		pos++
	}
	return pos
}

// keyEnd finds the ':' ending a key that starts at pos (a ':' followed by
// a space or the end of the line, outside quotes), and reports whether
// there is one before a comment or a bracket.
func keyEnd(rs []rune, pos int) (int, bool) {
	if pos < len(rs) && (rs[pos] == '"' || rs[pos] == '\'') {
		q := rs[pos]
		for j := pos + 1; j < len(rs); j++ {
			switch {
			case q == '"' && rs[j] == '\\':
				j++
			case rs[j] == q && q == '\'' && j+1 < len(rs) && rs[j+1] == '\'':
				j++
			case rs[j] == q:
				if j+1 < len(rs) && rs[j+1] == ':' && (j+2 == len(rs) || rs[j+2] == ' ') {
					return j + 1, true
				}
				return 0, false
			}
		}
		return 0, false
	}
	for j := pos; j < len(rs); j++ {
		switch {
		case rs[j] == '#' && j > pos && rs[j-1] == ' ':
			return 0, false
		case (rs[j] == '[' || rs[j] == '{') && j == pos:
			return 0, false
		case rs[j] == ':' && (j+1 == len(rs) || rs[j+1] == ' '):
			return j, true
		}
	}
	return 0, false
}

// strayColon is the column of a ": " (or a ':' ending the line) inside the
// plain value that starts at pos, or -1.
func strayColon(rs []rune, pos int) int {
	for j := pos; j < len(rs); j++ {
		switch {
		case rs[j] == '#' && rs[j-1] == ' ':
			return -1
		case rs[j] == ':' && (j+1 == len(rs) || rs[j+1] == ' '):
			return j
		}
	}
	return -1
}

// scanFlow reads rs from pos inside the quotes and brackets of stack
// (those open at the line's start) and returns those still open at its
// end, and the column of a closing bracket with none open (or -1). A
// quote opens a value only where one may start (after a bracket, a comma,
// ": " or at pos); a " #" outside quotes starts a comment.
func scanFlow(rs []rune, pos, line int, stack []opener) ([]opener, int) {
	extra := -1
	start := pos
	for j := pos; j < len(rs); j++ {
		r := rs[j]
		if n := len(stack); n > 0 && (stack[n-1].ch == '"' || stack[n-1].ch == '\'') {
			q := stack[n-1].ch
			switch {
			case q == '"' && r == '\\':
				j++
			case q == '\'' && r == '\'' && j+1 < len(rs) && rs[j+1] == '\'':
				j++
			case r == q:
				stack = stack[:n-1]
			}
			continue
		}
		switch r {
		case '#':
			if j > 0 && (rs[j-1] == ' ' || rs[j-1] == '\t') {
				return stack, extra
			}
		case '[', '{':
			stack = append(stack, opener{line, j, r})
		case ']', '}':
			if n := len(stack); n > 0 {
				stack = stack[:n-1]
			} else if extra < 0 {
				extra = j
			}
		case '"', '\'':
			k := j - 1
			for k >= start && rs[k] == ' ' {
				k--
			}
			if k < start || strings.ContainsRune("[{,:", rs[k]) {
				stack = append(stack, opener{line, j, r})
			}
		}
	}
	return stack, extra
}

// diagnose says what the mistake is when the file stops being YAML at
// line at: the line and column to point at and the words, or "" when no
// check fits.
func diagnose(lines []string, info []yline, open *opener, at int) (line, col int, msg string) {
	prev := at - 1
	for prev >= 0 && !info[prev].sig {
		prev--
	}
	near := []int{at}
	if prev >= 0 {
		near = []int{prev, at}
	}
	for _, i := range near {
		if info[i].tab >= 0 && (info[i].sig || i == at) {
			return i, info[i].tab, "a tab in the indentation: YAML allows only spaces there; replace the tab with spaces"
		}
	}
	for _, i := range near {
		if info[i].sig {
			if c, m := misindented(info, i); m != "" {
				return i, c, m
			}
		}
	}
	if open != nil && open.line <= at && (prev < 0 || open.line > prev || !info[prev].clean) {
		return open.line, open.col, unclosed(open.ch)
	}
	for _, i := range slices.Backward(near) {
		y := info[i]
		switch {
		case !y.sig:
		case y.extra >= 0:
			return i, y.extra, fmt.Sprintf("this %c closes no bracket; remove it", []rune(lines[i])[y.extra])
		case y.odd >= 0:
			return i, y.odd, fmt.Sprintf("YAML reserves %c at the start of a value; put the whole value in quotes", []rune(lines[i])[y.odd])
		}
		if y.sig && y.stray >= 0 {
			holds := `holds ": "`
			if y.stray == len([]rune(lines[i]))-1 {
				holds = `ends with ":"`
			}
			return i, y.stray, fmt.Sprintf(`the value of %s %s, which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："`, y.name, holds)
		}
	}
	return 0, 0, ""
}

// unclosed is the message for a quote or bracket ch never closed.
func unclosed(ch rune) string {
	closing := map[rune]string{'"': `"`, '\'': `'`, '[': "]", '{': "}"}[ch]
	if ch == '"' || ch == '\'' {
		return fmt.Sprintf("the quote %c opened here is never closed; end the value with %s", ch, closing)
	}
	return fmt.Sprintf("the bracket %c opened here is never closed; add the matching %s", ch, closing)
}

// misindented checks line i's indentation against the lines above it: a
// key must start in the same column as the keys of its mapping, a "- "
// in that of its list's other items, and a line indented more than a
// "key: value" above it is read as part of that value. It returns the
// column to point at and the words, or "" when the line lines up.
func misindented(info []yline, i int) (int, string) {
	y := info[i]
	if y.dash < 0 && y.key < 0 {
		return 0, "" // a plain value going on from the line before
	}
	dash, col := y.dash >= 0, y.col()
	var skipped []int // lines between i and its parent, indented more than it
	parent := -1
	for j := i - 1; j >= 0; j-- {
		q := info[j]
		if !q.sig {
			continue
		}
		if dash && q.dash == col || !dash && q.key == col {
			return 0, "" // lines up with a sibling
		}
		if dash && len(skipped) == 0 && q.opens && q.key == col {
			return 0, "" // a list under "key:", not indented (allowed)
		}
		if q.col() >= col {
			skipped = append(skipped, j)
			continue
		}
		// q is the parent: i is its first child, or its children are
		// indented unlike i.
		parent = j
		if len(skipped) == 0 {
			switch {
			case q.opens:
				return 0, ""
			case !dash && q.key >= 0 && q.value && col > q.key:
				return col, fmt.Sprintf("this line is indented %s, more than %s on line %d (%s), so YAML reads it as part of the value of %s; indent it like %s", spaces(col), q.name, j+1, spaces(q.key), q.name, q.name)
			case !dash && q.key > col:
				skipped, parent = append(skipped, j), -1 // "- key: value" with i under its "-"
			case !dash || q.dash < 0:
				return 0, ""
			}
		}
		break
	}
	// Line up with the nearest sibling-to-be: the line above indented
	// least beyond i or the parent, whichever is nearer in column (both
	// when equally near); the nearest line of equals.
	side := func(j int) int {
		if dash {
			return info[j].dash
		}
		return info[j].key
	}
	up, down := -1, -1
	for _, j := range append(skipped, parent) {
		if j < 0 {
			continue
		}
		switch c := side(j); {
		case c > col && (up < 0 || c < side(up)):
			up = j
		case c >= 0 && c < col && (down < 0 || c > side(down)):
			down = j
		}
	}
	switch {
	case up < 0 && down < 0:
		return 0, ""
	case up >= 0 && down >= 0 && col-side(down) == side(up)-col:
		return col, fmt.Sprintf("%s is indented %s, between %s (%s) and %s (%s); indent it like one of them", what(dash, info, i, -1), spaces(col), what(dash, info, up, i), spaces(side(up)), what(dash, info, down, i), spaces(side(down)))
	case up < 0 || down >= 0 && col-side(down) < side(up)-col:
		up = down
	}
	why := ""
	if !dash {
		why = " (the keys of one mapping start in the same column)"
	}
	return col, fmt.Sprintf("%s is indented %s but %s is indented %d; indent it like %s%s", what(dash, info, i, -1), spaces(col), what(dash, info, up, i), side(up), what(dash, info, up, -2), why)
}

// what names line j in a message about line i: "this line" (i < 0), the
// key (i == -2), else the key and its line ("title on line 9"), or for list
// items "this list item", "that item", "the item on line 9".
func what(dash bool, info []yline, j, i int) string {
	switch {
	case i == -1 && dash:
		return "this list item"
	case i == -1:
		return "this line"
	case i == -2 && dash:
		return "that item"
	case i == -2:
		return info[j].name
	case dash:
		return fmt.Sprintf("the item on line %d", j+1)
	}
	return fmt.Sprintf("%s on line %d", info[j].name, j+1)
}

// spaces is "1 space", "n spaces".
func spaces(n int) string {
	if n == 1 {
		return "1 space"
	}
	return fmt.Sprintf("%d spaces", n)
}
