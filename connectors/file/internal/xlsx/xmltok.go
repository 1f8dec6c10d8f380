package xlsx

import (
	"encoding/xml"
	"fmt"
	"io"
)

// maxDepth bounds element nesting; spreadsheet parts nest a few levels.
const maxDepth = 256

// tokens reads a part's XML tokens as written (encoding/xml's RawToken:
// no namespace translation, which would double the time of reading a
// sheet) while checking what RawToken does not: that every element is
// closed by its own end tag and that the part does not end inside one. A
// damaged part then fails instead of being read askew.
type tokens struct {
	d     *xml.Decoder
	stack []xml.Name
}

func newTokens(r io.Reader) *tokens {
	d := xml.NewDecoder(r)
	d.Strict = true
	return &tokens{d: d, stack: make([]xml.Name, 0, 16)}
}

// next returns the next token, or io.EOF at the end of a complete part.
func (t *tokens) next() (xml.Token, error) {
	tok, err := t.d.RawToken()
	if err == io.EOF {
		if len(t.stack) > 0 {
			return nil, fmt.Errorf("XML syntax error: the part ends inside <%s>: %w", qname(t.stack[len(t.stack)-1]), io.ErrUnexpectedEOF)
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	switch e := tok.(type) {
	case xml.StartElement:
		if len(t.stack) >= maxDepth {
			return nil, fmt.Errorf("XML elements nested more than %d deep", maxDepth)
		}
		t.stack = append(t.stack, e.Name)
	case xml.EndElement:
		if len(t.stack) == 0 {
			return nil, fmt.Errorf("XML syntax error: unexpected end element </%s>", qname(e.Name))
		}
		open := t.stack[len(t.stack)-1]
		if open != e.Name {
			return nil, fmt.Errorf("XML syntax error: element <%s> closed by </%s>", qname(open), qname(e.Name))
		}
		t.stack = t.stack[:len(t.stack)-1]
	}
	return tok, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
