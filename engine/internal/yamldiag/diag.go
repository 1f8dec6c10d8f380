// Package yamldiag reports problems in the YAML files lipwatch reads
// (config.yaml, the rule files, facts.yaml, holidays.yaml) one way: each at
// its file, line and column, in plain words, followed by the line of the
// file and a caret under the column.
//
// A Collector gathers every problem of one read (a file, or a directory of
// them), sorts them in file order and renders their snippets. Parse reads a
// file into a yaml.Node, reporting a syntax error where the mistake is (see
// Explain) and a decoding error (*yaml.TypeError) at the value it is about.
package yamldiag

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Pos is a place in a file: 1-based line and column, columns counted in
// characters (runes), as editors and yaml.v3 count them. Line 0 is the
// whole file; Col 0 the whole line.
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

// Problem is one thing wrong with a file.
type Problem struct {
	// Pos locates the problem in the file.
	Pos
	// Env names the environment variable the value came from, when it did
	// (config.yaml's LIPWATCH_* overrides): it is shown instead of Pos,
	// without a snippet.
	Env string
	// Path is the dotted path of the key the problem is about
	// ("sources.medical.dataset", "dispatch.formats[1]"), shown before
	// Message; empty when Message says what it is about.
	Path string
	// Message says what is wrong and how to put it right, in plain words.
	Message string
	// Snippet is the line of the file at Pos and a caret under Pos.Col,
	// with a line-number gutter; empty when the line is not known.
	Snippet string
}

// String formats p on one line: "file:line:col: path: message", with "env
// NAME" in place of the position when the value came from the environment.
func (p Problem) String() string {
	where := p.Pos.String()
	if p.Env != "" {
		where = "env " + p.Env
	}
	if p.Path != "" {
		return where + ": " + p.Path + ": " + p.Message
	}
	return where + ": " + p.Message
}

// Error is String followed by the snippet, when there is one.
func (p *Problem) Error() string {
	if p.Snippet != "" {
		return p.String() + "\n" + p.Snippet
	}
	return p.String()
}

// List is problems that make up one error: each with its snippet, one
// after another.
type List []*Problem

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, p := range l {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "\n")
}

// Collector gathers the problems of the files of one read and renders
// their snippets from the files' text. The zero value is not usable; see
// NewCollector. Once reading is done it may be kept for At, Snippet and
// Sort, which only read it and are safe for concurrent use.
type Collector struct {
	// Secret, when set before the files are added, names the keys whose
	// values must never show in a snippet (a token, a password): a line
	// with such a key shows "<redacted>" from its value on.
	Secret func(key string) bool

	order    map[string]int      // file -> rank in read order
	lines    map[string][]string // file -> its lines
	shown    map[string][]string // file -> its lines with secrets redacted, when Secret is set
	problems []*Problem
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{order: map[string]int{}, lines: map[string][]string{}, shown: map[string][]string{}}
}

// AddFile registers a file's text for snippets; files rank in the order
// they are first added, and problems sort by that rank. A UTF-8 byte order
// mark is dropped (yaml.v3 does not count it in columns), CRLF line ends
// read as LF.
func (c *Collector) AddFile(name string, data []byte) {
	if _, ok := c.order[name]; !ok {
		c.order[name] = len(c.order)
	}
	c.lines[name] = splitLines(data)
	if c.Secret != nil {
		c.shown[name] = c.redact(c.lines[name])
	}
}

func splitLines(data []byte) []string {
	text := strings.TrimPrefix(string(data), "\ufeff")
	return strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}

// Lines is the text of a registered file, one string a line (nil when the
// file is not registered).
func (c *Collector) Lines(file string) []string { return c.lines[file] }

// keyRE finds a mapping key on a line, in block or flow style, and the
// start of its value.
var keyRE = regexp.MustCompile(`(?:^|[\s{,\-])["']?([\w.-]+)["']?:(?:\s+|$)`)

// userinfoRE is the password of a URL's userinfo (scheme://user:password@).
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/:@\s"']*:)[^@\s"']+@`)

// MaskUserinfo hides the password of every URL in s
// ("postgres://reader:<redacted>@db:5432/x"): a DSN or an endpoint written
// with its password must not reach a message or a log, whatever its key.
func MaskUserinfo(s string) string { return userinfoRE.ReplaceAllString(s, "${1}<redacted>@") }

// redact is a file's lines as snippets show them: from the value of a
// key that c.Secret names on, a line shows "<redacted>", and so do the
// lines after it indented more than the key (the rest of a value written
// over several lines: a block scalar, a long quoted one).
func (c *Collector) redact(lines []string) []string {
	lines = slices.Clone(lines)
	under := -1 // the column of the secret key whose value may go on, or -1
	for i, l := range lines {
		l = MaskUserinfo(l)
		lines[i] = l
		text := strings.TrimLeft(l, " \t")
		indent := len(l) - len(text)
		if under >= 0 {
			if text == "" || indent > under {
				if text != "" {
					lines[i] = l[:indent] + "<redacted>"
				}
				continue
			}
			under = -1
		}
		for _, m := range keyRE.FindAllStringSubmatchIndex(l, -1) {
			if c.Secret(l[m[2]:m[3]]) {
				if m[1] < len(l) {
					lines[i] = l[:m[1]] + "<redacted>"
				}
				under = m[2]
				if m[2] > 0 && (l[m[2]-1] == '"' || l[m[2]-1] == '\'') {
					under--
				}
				break
			}
		}
	}
	return lines
}

// At is a problem at pos with its snippet, not recorded.
func (c *Collector) At(pos Pos, format string, args ...any) *Problem {
	return &Problem{Pos: pos, Message: fmt.Sprintf(format, args...), Snippet: c.Snippet(pos)}
}

// Addf records a problem at pos and returns it.
func (c *Collector) Addf(pos Pos, format string, args ...any) *Problem {
	return c.Add(c.At(pos, format, args...))
}

// Add records p, giving it the snippet of its position unless it has one
// or came from the environment, and returns it.
func (c *Collector) Add(p *Problem) *Problem {
	p.Message = MaskUserinfo(p.Message)
	if p.Snippet == "" && p.Env == "" {
		p.Snippet = c.Snippet(p.Pos)
	}
	c.problems = append(c.problems, p)
	return p
}

// Len is the number of problems recorded.
func (c *Collector) Len() int { return len(c.problems) }

// Problems returns the problems recorded, in file order (see Compare), or
// nil when there are none.
func (c *Collector) Problems() []*Problem {
	if len(c.problems) == 0 {
		return nil
	}
	ps := slices.Clone(c.problems)
	c.Sort(ps)
	return ps
}

// Sort puts ps in file order, keeping the order problems at one place were
// found in.
func (c *Collector) Sort(ps []*Problem) { slices.SortStableFunc(ps, c.Compare) }

// Compare orders problems by file (the order AddFile saw them), then those
// from the environment after those from the file, then by line and
// column, problems of a whole file (no line) last, since they are mostly
// the consequence of one before; those from the environment by its name.
func (c *Collector) Compare(a, b *Problem) int {
	return cmp.Or(
		cmp.Compare(c.order[a.File], c.order[b.File]),
		cmp.Compare(fromEnv(a), fromEnv(b)),
		cmp.Compare(unplaced(a), unplaced(b)),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Col, b.Col),
		cmp.Compare(a.Env, b.Env),
	)
}

func fromEnv(p *Problem) int {
	if p.Env != "" {
		return 1
	}
	return 0
}

func unplaced(p *Problem) int {
	if p.Line < 1 {
		return 1
	}
	return 0
}

// Snippet renders the line at pos with a caret under its column:
//
//	14 |     when: medcal.oop_12m >= 3
//	   |           ^
//
// The caret is placed by display width, so it lands under the right
// character after Chinese text (two columns a character); a tab shows as
// one space. Without a column the caret is under the line's first
// character. A line longer than snippetMax characters is shown
// snippetReach characters on each side of the caret. It is "" when the
// file or the line is not known.
func (c *Collector) Snippet(pos Pos) string {
	if lines, ok := c.shown[pos.File]; ok {
		return snippet(lines, pos.Line, pos.Col)
	}
	return snippet(c.lines[pos.File], pos.Line, pos.Col)
}

const (
	snippetMax   = 400
	snippetReach = 100
)

func snippet(lines []string, line, col int) string {
	if line < 1 || line > len(lines) {
		return ""
	}
	text := strings.ReplaceAll(lines[line-1], "\t", " ")
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
		pad += RuneWidth(r)
		n++
	}
	if col-1 > n {
		pad += col - 1 - n // past the end of the line (an error at end of input)
	}
	gutter := fmt.Sprintf("%5d | ", line)
	return strings.TrimRight(gutter+text, " ") + "\n" + strings.Repeat(" ", 5) + " | " + strings.Repeat(" ", pad) + "^"
}

// RuneWidth is the number of terminal columns r takes: two for East Asian
// wide and full-width characters, zero for combining marks, else one.
func RuneWidth(r rune) int {
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
