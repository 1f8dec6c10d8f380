package xlsx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds element nesting; spreadsheet parts nest a few levels.
const maxDepth = 256

// maxToken bounds one token held in memory (a tag, a text, a comment):
// the guard under every part fails a stretch past maxRun before that, so
// this is only a backstop for readers without one.
const maxToken = 4*maxRun + 64<<10

// tokKind is what a token is.
type tokKind uint8

const (
	tokNone  tokKind = iota
	tokStart         // a start tag, <c r="A1"> (or the start of <c/>)
	tokEnd           // an end tag, </c> (or the end of <c/>)
	tokText          // character data, CDATA sections included
	tokOther         // a comment, a processing instruction, a directive
)

// xattr is one attribute of a start tag, its value with entities replaced.
type xattr struct{ space, local, value []byte }

// tokens reads a part's XML tokens as encoding/xml's RawToken does in
// strict mode — the same tokens, the same values, an error for the same
// damaged input (differential tests hold it to that) — without its
// allocations: names, attributes and texts are slices of a buffer, valid
// until the next call of next, which is what makes reading a sheet several
// times faster. It also checks what RawToken does not: that every element
// is closed by its own end tag and that the part does not end inside one,
// so that a damaged part fails instead of being read askew. No namespace
// translation: a name is its prefix (space) and its local part as written.
type tokens struct {
	r    io.Reader
	buf  []byte
	pos  int   // the next byte to read: the tokens before are consumed
	end  int   // the bytes read into buf
	rerr error // the reader's error once it returned one (io.EOF at the end)
	err  error // the error returned, returned again by every later call

	lines int // newlines in the bytes dropped from buf (for errors' lines)

	// The token last returned.
	kind         tokKind
	space, local []byte  // a start or end tag's name
	attrs        []xattr // a start tag's attributes
	text         []byte  // character data, entities replaced

	scratch  []byte // text that needed rewriting
	ascratch []byte // attribute values that needed rewriting

	closeNext bool   // the start tag returned closed itself: the end comes next
	names     []byte // the open elements' names (space + ":" + local), one after the other
	ends      []int  // where each name of names ends
}

func newTokens(r io.Reader) *tokens {
	return &tokens{r: r, buf: make([]byte, 64<<10), ends: make([]int, 0, 16)}
}

// attr returns the value of the current start tag's attribute with the
// given local name, whatever its namespace prefix.
func (t *tokens) attr(local string) []byte {
	for i := range t.attrs {
		if string(t.attrs[i].local) == local {
			return t.attrs[i].value
		}
	}
	return nil
}

// is reports whether the current tag's local name is local.
func (t *tokens) is(local string) bool { return string(t.local) == local }

// next reads the next token, or returns io.EOF at the end of a complete
// part.
func (t *tokens) next() (tokKind, error) {
	if t.err != nil {
		return tokNone, t.err
	}
	if t.closeNext {
		t.closeNext = false
		t.kind, t.attrs = tokEnd, t.attrs[:0]
		t.pop()
		return tokEnd, nil
	}
	kind, err := t.read()
	if err == io.EOF && len(t.ends) > 0 {
		err = fmt.Errorf("XML syntax error: the part ends inside <%s>: %w", t.top(), io.ErrUnexpectedEOF)
	}
	if err != nil {
		t.kind, t.err = tokNone, err
		return tokNone, err
	}
	t.kind = kind
	switch kind {
	case tokStart:
		if len(t.ends) >= maxDepth {
			t.err = fmt.Errorf("XML elements nested more than %d deep", maxDepth)
			return tokNone, t.err
		}
		t.names = append(t.names, t.space...)
		t.names = append(t.names, ':')
		t.names = append(t.names, t.local...)
		t.ends = append(t.ends, len(t.names))
	case tokEnd:
		if len(t.ends) == 0 {
			t.err = fmt.Errorf("XML syntax error: unexpected end element </%s>", qname(t.space, t.local))
			return tokNone, t.err
		}
		if open := t.topRaw(); !sameName(open, t.space, t.local) {
			t.err = fmt.Errorf("XML syntax error: element <%s> closed by </%s>", t.top(), qname(t.space, t.local))
			return tokNone, t.err
		}
		t.pop()
	}
	return kind, nil
}

// topRaw is the innermost open element's name as stored, space:local.
func (t *tokens) topRaw() []byte {
	n := len(t.ends)
	start := 0
	if n > 1 {
		start = t.ends[n-2]
	}
	return t.names[start:t.ends[n-1]]
}

// top is the innermost open element's name as written.
func (t *tokens) top() string {
	raw := t.topRaw()
	i := bytes.IndexByte(raw, ':')
	return qname(raw[:i], raw[i+1:])
}

func (t *tokens) pop() {
	t.ends = t.ends[:len(t.ends)-1]
	if n := len(t.ends); n > 0 {
		t.names = t.names[:t.ends[n-1]]
	} else {
		t.names = t.names[:0]
	}
}

func sameName(stored, space, local []byte) bool {
	return len(stored) == len(space)+1+len(local) && bytes.HasPrefix(stored, space) &&
		stored[len(space)] == ':' && bytes.Equal(stored[len(space)+1:], local)
}

func qname(space, local []byte) string {
	if len(space) > 0 {
		return string(space) + ":" + string(local)
	}
	return string(local)
}

// fill reads more of the part after buf[pos:end], first moving those
// bytes to the front of buf (growing it when they fill it). It returns
// false when the reader has no more (t.rerr says why).
func (t *tokens) fill() bool {
	if t.rerr != nil {
		return false
	}
	if t.pos > 0 {
		t.lines += bytes.Count(t.buf[:t.pos], []byte{'\n'})
		t.end = copy(t.buf, t.buf[t.pos:t.end])
		t.pos = 0
	}
	if t.end == len(t.buf) {
		if len(t.buf) >= maxToken {
			t.rerr = fmt.Errorf("XML syntax error: a tag, text or comment of more than %d MiB", maxToken>>20)
			return false
		}
		t.buf = append(t.buf, make([]byte, len(t.buf))...)
	}
	// Read a good part of the room left, so that a reader that returns a
	// few bytes at a time does not make a long tag be read again and
	// again.
	want := t.end + min(len(t.buf)-t.end, 16<<10)
	start := t.end
	for empty := 0; t.end < want; {
		n, err := t.r.Read(t.buf[t.end:])
		t.end += n
		if err != nil {
			t.rerr = err
			break
		}
		if n == 0 {
			if empty++; empty == 100 {
				t.rerr = io.ErrNoProgress
				break
			}
		}
	}
	return t.end > start
}

// syntaxError is encoding/xml's error, at the line of buf[i]: i is where
// encoding/xml stands when it fails, after the bytes it has read (the
// offending byte included when it reads it, not when it puts it back).
func (t *tokens) syntaxError(i int, msg string) error {
	i = min(max(i, 0), t.end)
	return &xml.SyntaxError{Msg: msg, Line: 1 + t.lines + bytes.Count(t.buf[:i], []byte{'\n'})}
}

// errMore stops the reading of a tag that runs past the bytes read: read
// reads more and starts the tag again.
var errMore = errors.New("xlsx: the tag goes on past the bytes read")

// eof is the error of a token cut short at buf[i]: errMore while the part
// goes on, encoding/xml's "unexpected EOF" at its end, else the reader's
// error.
func (t *tokens) eof(i int) error {
	switch t.rerr {
	case nil:
		return errMore
	case io.EOF:
		return t.syntaxError(i, "unexpected EOF")
	}
	return t.rerr
}

// findBytes returns the index in buf of the first sep at or after
// buf[pos+from], reading more as needed, or -1 at the end of the part. buf
// may move: callers keep offsets from pos.
func (t *tokens) findBytes(from int, sep []byte) int {
	for {
		if i := bytes.Index(t.buf[t.pos+from:t.end], sep); i >= 0 {
			return t.pos + from + i
		}
		from = max(from, t.end-t.pos-len(sep)+1)
		if !t.fill() {
			return -1
		}
	}
}

// need makes sure buf[pos+k] is read, unless the part ends before it.
func (t *tokens) need(k int) bool {
	for t.pos+k >= t.end {
		if !t.fill() {
			return false
		}
	}
	return true
}

// read reads the next token at pos.
func (t *tokens) read() (tokKind, error) {
	t.attrs, t.text, t.space, t.local = t.attrs[:0], nil, nil, nil
	if !t.need(0) {
		if t.rerr == nil {
			return tokNone, io.EOF
		}
		return tokNone, t.rerr
	}
	if t.buf[t.pos] != '<' {
		return t.readText()
	}
	if !t.need(1) {
		return tokNone, t.eof(t.end)
	}
	switch t.buf[t.pos+1] {
	case '?':
		return t.readPI()
	case '!':
		return t.readBang()
	}
	// A tag is read from the bytes read so far, and read again with more
	// when it goes on past them (once in some thousand tags).
	for {
		var kind tokKind
		var err error
		if t.buf[t.pos+1] == '/' {
			kind, err = t.readEnd()
		} else {
			kind, err = t.readStart()
		}
		if err != errMore {
			return kind, err
		}
		t.fill() // at the end, the next try fails as encoding/xml does
	}
}

// readText reads character data up to the next '<' or the end of the
// part. A reader's error ends the text, and is returned by the next read,
// as in encoding/xml.
func (t *tokens) readText() (tokKind, error) {
	lt := t.findBytes(0, []byte{'<'})
	limit := lt
	if lt < 0 {
		limit = t.end
	}
	text, _, err := t.decode(t.pos, limit, 0)
	if err != nil {
		return tokNone, err
	}
	t.text = text
	t.pos = limit
	return tokText, nil
}

// decode replaces the entities of buf[from:limit] (text when quote is 0,
// else an attribute value ending at quote) and checks its characters as
// encoding/xml does. It returns the text and the index after it (at the
// quote, or at limit). The bytes after limit, when the part goes on, start
// with '<'.
func (t *tokens) decode(from, limit int, quote byte) ([]byte, int, error) {
	b := t.buf[:limit]
	i := from
	// Plain ASCII, UTF-8 and no entities, CRs or "]]>": the text as it is.
	for i < len(b) {
		c := b[i]
		if c >= 0x20 && c < 0x80 && c != '&' && c != ']' && c != quote && c != '<' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 || !isInCharacterRange(r) {
				// Damaged, or a value cut at the bytes read: encoding/xml
				// reads to its end before it checks the characters.
				return t.decodeSlow(from, limit, quote)
			}
			i += size
			continue
		}
		switch {
		case c == '\t' || c == '\n':
			i++
			continue
		case c == ']' && quote == 0:
			if i+2 < len(b) && b[i+1] == ']' && b[i+2] == '>' {
				return nil, 0, t.syntaxError(i, "unescaped ]]> not in CDATA section")
			}
			i++
			continue
		case c == ']':
			i++
			continue
		case quote != 0 && c == quote:
			return b[from:i], i, nil
		case quote != 0 && c == '<':
			return nil, 0, t.syntaxError(i, "unescaped < inside quoted string")
		case c == '&' || c == '\r':
			return t.decodeSlow(from, limit, quote)
		}
		// A control character, which decodeSlow fails as encoding/xml does.
		return t.decodeSlow(from, limit, quote)
	}
	if quote != 0 {
		return nil, 0, t.eof(i)
	}
	return b[from:i], i, nil
}

// decodeSlow is decode for a text with entities or CRs, rewritten into a
// scratch buffer (attribute values into their own).
func (t *tokens) decodeSlow(from, limit int, quote byte) ([]byte, int, error) {
	b := t.buf[:limit]
	out := t.scratch[:0]
	if quote != 0 {
		out = t.ascratch
	}
	start := len(out)
	var b0, b1 byte
	i := from
	for {
		if i >= len(b) {
			if quote == 0 {
				break
			}
			if t.rerr != nil {
				// The part ends inside the value: encoding/xml checks what
				// it read before it sees that.
				if err := t.checkChars(out[start:], i); err != nil {
					return nil, 0, err
				}
			}
			return nil, 0, t.eof(i)
		}
		c := b[i]
		if quote == 0 && b0 == ']' && b1 == ']' && c == '>' {
			return nil, 0, t.syntaxError(i, "unescaped ]]> not in CDATA section")
		}
		if c == '<' {
			if quote != 0 {
				return nil, 0, t.syntaxError(i, "unescaped < inside quoted string")
			}
			break
		}
		if quote != 0 && c == quote {
			break
		}
		if c == '&' {
			var err error
			if out, i, err = t.entity(out, b, i); err != nil {
				return nil, 0, err
			}
			b0, b1 = 0, 0
			continue
		}
		switch {
		case c == '\r':
			out = append(out, '\n')
		case b1 == '\r' && c == '\n':
		default:
			out = append(out, c)
		}
		b0, b1 = b1, c
		i++
	}
	if quote != 0 {
		t.ascratch = out
	} else {
		t.scratch = out
	}
	data := out[start:]
	if err := t.checkChars(data, i); err != nil {
		return nil, 0, err
	}
	return data, i, nil
}

// entities are the entities XML predefines.
var entities = map[string]rune{"lt": '<', "gt": '>', "amp": '&', "apos": '\'', "quot": '"'}

// entity replaces the entity at b[i] ('&'), appending its character to out,
// and returns the index after it. b ends where the text does: at '<' or
// at the end of the part.
func (t *tokens) entity(out, b []byte, i int) ([]byte, int, error) {
	start := i
	i++
	atEnd := func(j int) error {
		if j >= len(b) && j >= t.end {
			return t.eof(j)
		}
		return nil
	}
	invalid := func(j int, semi bool) error {
		ent := string(b[start:min(j, len(b))])
		if !semi {
			ent += " (no semicolon)"
		}
		return t.syntaxError(j, "invalid character entity "+ent)
	}
	if err := atEnd(i); err != nil {
		return nil, 0, err
	}
	if i < len(b) && b[i] == '#' {
		i++
		if err := atEnd(i); err != nil {
			return nil, 0, err
		}
		base := 10
		if i < len(b) && b[i] == 'x' {
			base = 16
			i++
			if err := atEnd(i); err != nil {
				return nil, 0, err
			}
		}
		d := i
		for i < len(b) && ('0' <= b[i] && b[i] <= '9' || base == 16 && ('a' <= b[i] && b[i] <= 'f' || 'A' <= b[i] && b[i] <= 'F')) {
			i++
		}
		if err := atEnd(i); err != nil {
			return nil, 0, err
		}
		if i >= len(b) || b[i] != ';' {
			return nil, 0, invalid(i, false)
		}
		n, err := strconv.ParseUint(string(b[d:i]), base, 64)
		if err != nil || n > unicode.MaxRune {
			return nil, 0, invalid(i+1, true)
		}
		return utf8.AppendRune(out, rune(n)), i + 1, nil
	}
	n := i
	for i < len(b) && (b[i] >= utf8.RuneSelf || xmlNameByte(b[i])) {
		i++
	}
	if err := atEnd(i); err != nil {
		return nil, 0, err
	}
	if i >= len(b) || b[i] != ';' {
		return nil, 0, invalid(i, false)
	}
	r, ok := entities[string(b[n:i])]
	if !ok {
		return nil, 0, invalid(i+1, true)
	}
	return utf8.AppendRune(out, r), i + 1, nil
}

// checkChars checks that data is UTF-8 of characters XML allows.
func (t *tokens) checkChars(data []byte, at int) error {
	for i := 0; i < len(data); {
		c := data[i]
		if c >= 0x20 && c < utf8.RuneSelf || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return t.syntaxError(at, "invalid UTF-8")
		}
		if !isInCharacterRange(r) {
			return t.syntaxError(at, fmt.Sprintf("illegal character code %U", r))
		}
		i += size
	}
	return nil
}

// isInCharacterRange is XML's Char production.
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// readName reads a name at buf[i:limit] as encoding/xml does: the bytes
// of names and every non-ASCII byte. ok is false, without an error, when
// no name starts there.
func (t *tokens) readName(i, limit int) (name []byte, next int, err error) {
	j := i
	for j < limit && (t.buf[j] >= utf8.RuneSelf || xmlNameByte(t.buf[j])) {
		j++
	}
	if j >= limit {
		return nil, j, t.eof(j)
	}
	return t.buf[i:j], j, nil
}

// nsname reads a name and splits it at its colon. ok is false (err nil)
// when there is no name or more than one colon, as in encoding/xml.
func (t *tokens) nsname(i, limit int) (space, local []byte, next int, ok bool, err error) {
	b := t.buf[:limit]
	j, colon, colons, ascii := i, -1, 0, true
	for j < len(b) {
		c := b[j]
		if c >= utf8.RuneSelf {
			ascii = false
		} else if !nameBytes[c] {
			break
		} else if c == ':' {
			if colon < 0 {
				colon = j
			}
			colons++
		}
		j++
	}
	if j >= len(b) {
		return nil, nil, j, false, t.eof(j)
	}
	if j == i {
		return nil, nil, j, false, nil
	}
	name := b[i:j]
	if c := name[0]; !ascii || !('a' <= c|0x20 && c|0x20 <= 'z' || c == '_' || c == ':') {
		if ascii || !isName(name) {
			return nil, nil, j, false, t.syntaxError(i, "invalid XML name: "+string(name))
		}
	}
	switch {
	case colons == 0:
		return nil, name, j, true, nil
	case colons > 1:
		return nil, nil, j, false, nil
	case colon == i || colon == j-1:
		return nil, name, j, true, nil
	}
	return b[i:colon], b[colon+1 : j], j, true, nil
}

// nameBytes are the ASCII bytes of names.
var nameBytes = func() (tab [utf8.RuneSelf]bool) {
	for c := range byte(utf8.RuneSelf) {
		tab[c] = xmlNameByte(c)
	}
	return tab
}()

func xmlNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// isName reports an XML name: for ASCII, a letter, '_' or ':' then name
// bytes; a name with other characters is left to encoding/xml, whose
// tables of name characters are not exported.
func isName(s []byte) bool {
	c := s[0]
	if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':') {
		if c < utf8.RuneSelf {
			return false
		}
		return isNameSlow(s)
	}
	for _, c := range s[1:] {
		if c >= utf8.RuneSelf {
			return isNameSlow(s)
		}
	}
	return true // the bytes read are name bytes
}

// isNameSlow asks encoding/xml whether s is a name (its colons made
// underscores, which are name characters wherever a colon is).
func isNameSlow(s []byte) bool {
	doc := append([]byte{'<'}, bytes.ReplaceAll(s, []byte{':'}, []byte{'_'})...)
	doc = append(doc, '/', '>')
	_, err := xml.NewDecoder(bytes.NewReader(doc)).RawToken()
	return err == nil
}

// space skips XML white space from i.
func (t *tokens) skipSpace(i, limit int) int {
	for i < limit && isXMLSpace(t.buf[i]) {
		i++
	}
	return i
}

// readEnd reads an end tag, </name>.
func (t *tokens) readEnd() (tokKind, error) {
	limit := t.end
	space, local, i, ok, err := t.nsname(t.pos+2, limit)
	if err != nil {
		return tokNone, err
	}
	if !ok {
		return tokNone, t.syntaxError(i, "expected element name after </")
	}
	i = t.skipSpace(i, limit)
	if i >= limit {
		return tokNone, t.eof(i)
	}
	if t.buf[i] != '>' {
		return tokNone, t.syntaxError(i+1, "invalid characters between </"+string(local)+" and >")
	}
	t.space, t.local = space, local
	t.pos = i + 1
	return tokEnd, nil
}

// readStart reads a start tag, <name attr="value" ...> or <name .../>.
func (t *tokens) readStart() (tokKind, error) {
	limit := t.end
	t.attrs = t.attrs[:0]
	space, local, i, ok, err := t.nsname(t.pos+1, limit)
	if err != nil {
		return tokNone, err
	}
	if !ok {
		return tokNone, t.syntaxError(i, "expected element name after <")
	}
	t.ascratch = t.ascratch[:0]
	for {
		i = t.skipSpace(i, limit)
		if i >= limit {
			return tokNone, t.eof(i)
		}
		c := t.buf[i]
		if c == '/' {
			if i+1 >= limit {
				return tokNone, t.eof(i + 1)
			}
			if t.buf[i+1] != '>' {
				return tokNone, t.syntaxError(i+2, "expected /> in element")
			}
			t.closeNext = true
			i += 2
			break
		}
		if c == '>' {
			i++
			break
		}
		var a xattr
		var ok bool
		if a.space, a.local, i, ok, err = t.nsname(i, limit); err != nil {
			return tokNone, err
		}
		if !ok {
			return tokNone, t.syntaxError(i, "expected attribute name in element")
		}
		i = t.skipSpace(i, limit)
		if i >= limit {
			return tokNone, t.eof(i)
		}
		if t.buf[i] != '=' {
			return tokNone, t.syntaxError(i+1, "attribute name without = in element")
		}
		i = t.skipSpace(i+1, limit)
		if i >= limit {
			return tokNone, t.eof(i)
		}
		q := t.buf[i]
		if q != '"' && q != '\'' {
			return tokNone, t.syntaxError(i+1, "unquoted or missing attribute value in element")
		}
		if a.value, i, err = t.decode(i+1, limit, q); err != nil {
			return tokNone, err
		}
		t.attrs = append(t.attrs, a)
		i++ // the closing quote
	}
	t.space, t.local = space, local
	t.pos = i
	return tokStart, nil
}

// readPI reads a processing instruction, <?target ...?>, and fails the
// declaration of an XML version or an encoding encoding/xml does not read.
func (t *tokens) readPI() (tokKind, error) {
	e := t.findBytes(2, []byte("?>"))
	limit := t.end
	if e >= 0 {
		limit = e + 2
	}
	name, i, err := t.readName(t.pos+2, limit)
	if err != nil {
		return tokNone, err
	}
	if len(name) == 0 {
		return tokNone, t.syntaxError(i, "expected target name after <?")
	}
	if !isName(name) {
		return tokNone, t.syntaxError(i, "invalid XML name: "+string(name))
	}
	if e < 0 {
		return tokNone, t.eof(t.end)
	}
	// The first "?>" is after the target, which holds no '?'.
	if string(name) == "xml" {
		content := string(t.buf[t.skipSpace(i, e):e])
		if ver := procInst("version", content); ver != "" && ver != "1.0" {
			return tokNone, fmt.Errorf("xml: unsupported version %q; only version 1.0 is supported", ver)
		}
		if enc := procInst("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return tokNone, fmt.Errorf("xml: encoding %q declared but Decoder.CharsetReader is nil", enc)
		}
	}
	t.pos = e + 2
	return tokOther, nil
}

// procInst is encoding/xml's reading of a parameter of the XML
// declaration, param="..." or param='...', "" when not found.
func procInst(param, s string) string {
	param = param + "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// readBang reads a comment, a CDATA section or a directive (<!DOCTYPE
// ...>), as encoding/xml does.
func (t *tokens) readBang() (tokKind, error) {
	if !t.need(2) {
		return tokNone, t.eof(t.end)
	}
	switch t.buf[t.pos+2] {
	case '-':
		if !t.need(3) {
			return tokNone, t.eof(t.end)
		}
		if t.buf[t.pos+3] != '-' {
			return tokNone, t.syntaxError(t.pos+4, "invalid sequence <!- not part of <!--")
		}
		e := t.findBytes(4, []byte("--"))
		if e < 0 {
			return tokNone, t.eof(t.end)
		}
		k := e - t.pos
		if !t.need(k + 2) {
			return tokNone, t.eof(t.end)
		}
		if t.buf[t.pos+k+2] != '>' {
			return tokNone, t.syntaxError(t.pos+k+3, `invalid sequence "--" not allowed in comments`)
		}
		t.pos += k + 3
		return tokOther, nil
	case '[':
		for i := range 6 {
			if !t.need(3 + i) {
				return tokNone, t.eof(t.end)
			}
			if t.buf[t.pos+3+i] != "CDATA["[i] {
				return tokNone, t.syntaxError(t.pos+4+i, "invalid <![ sequence")
			}
		}
		e := t.findBytes(9, []byte("]]>"))
		if e < 0 {
			if t.rerr == io.EOF || t.rerr == nil {
				return tokNone, t.syntaxError(t.end, "unexpected EOF in CDATA section")
			}
			return tokNone, t.rerr
		}
		data := t.buf[t.pos+9 : e]
		if bytes.IndexByte(data, '\r') >= 0 {
			out := t.scratch[:0]
			var b1 byte
			for _, c := range data {
				switch {
				case c == '\r':
					out = append(out, '\n')
				case b1 == '\r' && c == '\n':
				default:
					out = append(out, c)
				}
				b1 = c
			}
			t.scratch, data = out, out
		}
		if err := t.checkChars(data, e); err != nil {
			return tokNone, err
		}
		t.text = data
		t.pos = e + 3
		return tokText, nil
	}
	// A directive: read to its '>', past quoted text and nested <...>
	// and comments, as encoding/xml does (the byte after "<!" is taken
	// as it is).
	k := 3
	get := func() (byte, bool) {
		if !t.need(k) {
			return 0, false
		}
		c := t.buf[t.pos+k]
		k++
		return c, true
	}
	var inquote byte
	depth := 0
	for {
		b, ok := get()
		if !ok {
			return tokNone, t.eof(t.end)
		}
		if inquote == 0 && b == '>' && depth == 0 {
			break
		}
	handle:
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			for i := range 3 {
				if b, ok = get(); !ok {
					return tokNone, t.eof(t.end)
				}
				if b != "!--"[i] {
					depth++
					goto handle
				}
			}
			var b0, b1 byte
			for {
				if b, ok = get(); !ok {
					return tokNone, t.eof(t.end)
				}
				if b0 == '-' && b1 == '-' && b == '>' {
					break
				}
				b0, b1 = b1, b
			}
		}
	}
	t.pos += k
	return tokOther, nil
}
