package xlsx

import (
	"bytes"
	"fmt"
	"io"
)

// maxRun bounds a stretch of a part without markup: a text or a tag longer
// than this is not something a spreadsheet writes (a cell holds at most
// 32,767 characters, some 330 KB escaped), and the XML tokenizer holds a
// whole tag, text, comment or CDATA section in memory, so a crafted part of
// one huge text (a zip bomb inflates a few KB to gigabytes) would take the
// machine.
const maxRun = 4 << 20

// guard reads a part's inflated bytes for the XML decoder: it counts them
// (for progress) and fails the part at a text, tag, comment, CDATA section
// or processing instruction longer than maxRun.
type guard struct {
	r     io.Reader
	part  string
	n     int64 // bytes read so far
	run   int   // bytes of the current stretch
	state int
	t1    byte // last byte seen inside a comment, CDATA or instruction
	t2    byte // the one before
}

// States of the guard's scan.
const (
	gText    = iota // text or tag: a stretch ends at '<'
	gOpen           // just after '<'
	gBang           // just after "<!"
	gComment        // <!-- ... -->
	gCDATA          // <![CDATA[ ... ]]>
	gPI             // <? ... ?>
	gDecl           // <!DOCTYPE ...> and the like
)

// Read reads and scans the next bytes.
func (g *guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if serr := g.scan(p[:n]); serr != nil {
		return 0, serr
	}
	return n, err
}

func (g *guard) scan(b []byte) error {
	// Text and tags only (what a sheet is, but for its declaration), that
	// cannot make a stretch too long: only the stretch after the last '<'
	// matters, as the byte-by-byte scan below would find.
	if g.state == gText && g.run+len(b) <= maxRun && len(b) > 0 && b[len(b)-1] != '<' &&
		!afterLT(b, '!') && !afterLT(b, '?') {
		if l := bytes.LastIndexByte(b, '<'); l >= 0 {
			g.run = len(b) - l - 1
		} else {
			g.run += len(b)
		}
		return nil
	}
	return g.scanBytes(b)
}

// afterLT reports whether c follows a '<' in b, or starts b (where what
// comes before is not known here). It looks for c, which is rare in a
// sheet, not for '<', which is everywhere.
func afterLT(b []byte, c byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], c)
		if j < 0 {
			return false
		}
		if i+j == 0 || b[i+j-1] == '<' {
			return true
		}
		i += j + 1
	}
}

// scanBytes is scan byte by byte, through every state.
func (g *guard) scanBytes(b []byte) error {
	for i := 0; i < len(b); {
		switch g.state {
		case gText:
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				g.run += len(b) - i
				i = len(b)
				break
			}
			g.run += j
			i += j + 1
			if g.run > maxRun {
				break
			}
			g.run = 0
			g.state = gOpen
		case gOpen:
			switch b[i] {
			case '!':
				g.state = gBang
				i++
			case '?':
				g.state, g.t1, g.t2 = gPI, 0, 0
				i++
			default:
				g.state = gText // a tag: its name is scanned as text
			}
		case gBang:
			switch b[i] {
			case '-':
				g.state = gComment
			case '[':
				g.state = gCDATA
			default:
				g.state = gDecl
			}
			g.t1, g.t2 = 0, 0
		default:
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				g.run += len(b) - i
				g.tail(b, i, len(b))
				i = len(b)
				break
			}
			k := i + j
			g.tail(b, i, k)
			g.run += j + 1
			i = k + 1
			var end bool
			switch g.state {
			case gComment:
				end = g.t1 == '-' && g.t2 == '-'
			case gCDATA:
				end = g.t1 == ']' && g.t2 == ']'
			case gPI:
				end = g.t1 == '?'
			default:
				end = true
			}
			g.t2, g.t1 = g.t1, '>'
			if end && g.run <= maxRun {
				g.state, g.run = gText, 0
			}
		}
		if g.run > maxRun {
			return fmt.Errorf("%s holds more than %d MiB of text or markup in one stretch, which no spreadsheet writes: the file is damaged or crafted", g.part, maxRun>>20)
		}
	}
	return nil
}

// tail remembers the last two bytes of b[i:k], after those seen before.
func (g *guard) tail(b []byte, i, k int) {
	switch {
	case k-i >= 2:
		g.t2, g.t1 = b[k-2], b[k-1]
	case k-i == 1:
		g.t2, g.t1 = g.t1, b[k-1]
	}
}
