package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/connectors"
)

// jsonSource streams the records of a JSON file: a top-level array of
// objects, or an object holding the array under the records path. The
// file is read token by token with json.Decoder and one record is decoded
// at a time, so memory does not grow with the file: a record, or a value
// skipped beside the records, larger than maxRecordBytes fails the file,
// and so does nesting deeper than maxDepth. The text goes through
// textLines, as CSV's does, so that the lines of an error's position are
// counted the same way whatever the line endings.
type jsonSource struct {
	ctx      context.Context // stops every read of the file
	name     string
	path     string // absolute, to locate errors
	encoding string
	records  []string
	file     *os.File
	text     *textReader
	lines    *textLines
	dec      *json.Decoder
	n        int64 // records read
	inArray  bool  // the records array is open
	done     bool  // the records array is closed
	raw      json.RawMessage
	parser   objectParser
}

// maxDepth bounds the nesting of a value skipped token by token beside the
// records, as encoding/json bounds the values it decodes (10000 levels).
const maxDepth = 10000

func openJSON(ctx context.Context, name, path string, opts *options) (*recordRows, error) {
	f, text, lines, err := openText(ctx, path, opts.encoding)
	if err != nil {
		return nil, fileError(name, err)
	}
	s := &jsonSource{ctx: ctx, name: name, path: path, encoding: opts.encoding, records: opts.records, file: f,
		text: text, lines: lines, dec: json.NewDecoder(lines)}
	if err := s.start(); err != nil {
		f.Close()
		return nil, err
	}
	r, err := newRecordRows(name, s)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// token reads the next token, allowing it maxRecordBytes.
func (s *jsonSource) token() (json.Token, error) {
	s.lines.markRecord()
	return s.dec.Token()
}

// more reports whether the current array or object has another element.
func (s *jsonSource) more() bool {
	s.lines.markRecord()
	return s.dec.More()
}

// start reads up to the opening bracket of the records array.
func (s *jsonSource) start() error {
	tok, err := s.token()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file: no JSON", s.name)
	}
	if err != nil {
		return s.errorAt(err)
	}
	if len(s.records) == 0 {
		switch tok {
		case json.Delim('['):
			s.inArray = true
			return nil
		case json.Delim('{'):
			var paths []string
			keys, err := s.arrayPaths("", 3, &paths)
			if err != nil {
				return s.errorAt(err)
			}
			if len(paths) > 0 {
				return fmt.Errorf("%s: the file holds an object, not an array of records: set the records option to the path of the array (arrays in it: %s)",
					s.name, strings.Join(paths, ", "))
			}
			return fmt.Errorf("%s: the file holds an object, not an array of records, and no array in its first 3 levels "+
				"(its keys: %s): export the records as an array of objects, or set the records option to the path of the array", s.name, listKeys(keys))
		}
		return fmt.Errorf("%s: the file holds %s, not an array of records", s.name, describe(tok))
	}
	for i, key := range s.records {
		at := strings.Join(s.records[:i], ".")
		if tok != json.Delim('{') {
			if i == 0 {
				return fmt.Errorf("%s: records is %s but the file holds %s, not an object", s.name, strings.Join(s.records, "."), describe(tok))
			}
			return fmt.Errorf("%s: records: %s holds %s, not an object", s.name, at, describe(tok))
		}
		var seen []objectKey
		for {
			if !s.more() {
				if _, err := s.token(); err != nil {
					return s.errorAt(err)
				}
				where := "the top-level object"
				if at != "" {
					where = at
				}
				return fmt.Errorf("%s: records: %s has no key %q (its keys: %s)", s.name, where, key, listKeys(seen))
			}
			k, err := s.token()
			if err != nil {
				return s.errorAt(err)
			}
			if k == key {
				break
			}
			v, err := s.token()
			if err != nil {
				return s.errorAt(err)
			}
			seen = append(seen, objectKey{name: k.(string), plain: !isDelim(v)})
			if err := s.skipFrom(v); err != nil {
				return s.errorAt(err)
			}
		}
		if tok, err = s.token(); err != nil {
			return s.errorAt(err)
		}
	}
	switch tok {
	case json.Delim('['):
		s.inArray = true
		return nil
	case nil: // "items": null, as some APIs write an empty list
		s.done = true
		return s.finish()
	}
	return fmt.Errorf("%s: records: %s holds %s, not an array", s.name, strings.Join(s.records, "."), describe(tok))
}

// objectKey is a key of an object beside the records, for a message: its
// name, and whether its value is a plain one (not an object or array).
type objectKey struct {
	name  string
	plain bool
}

// arrayPaths reads the rest of the object just opened and returns its
// keys, with the dotted paths of the arrays in it appended to paths (the
// first five, to depth levels), for a message. A path is given only
// through keys that may be shown (see showKey).
func (s *jsonSource) arrayPaths(prefix string, depth int, paths *[]string) ([]objectKey, error) {
	var keys []objectKey
	for s.more() {
		k, err := s.token()
		if err != nil {
			return nil, err
		}
		v, err := s.token()
		if err != nil {
			return nil, err
		}
		key := objectKey{name: k.(string), plain: !isDelim(v)}
		keys = append(keys, key)
		path := key.name
		if prefix != "" {
			path = prefix + "." + key.name
		}
		through := showKey(key) && !strings.Contains(key.name, ".") && isASCII(key.name)
		switch {
		case v == json.Delim('[') && through && len(*paths) < 5:
			*paths = append(*paths, path)
		case v == json.Delim('{') && through && depth > 1:
			if _, err := s.arrayPaths(path, depth-1, paths); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.skipFrom(v); err != nil {
			return nil, err
		}
	}
	_, err := s.token() // '}'
	return keys, err
}

// isDelim reports whether a token opens (or closes) an object or array.
func isDelim(tok json.Token) bool {
	_, ok := tok.(json.Delim)
	return ok
}

// showKey reports whether a message may quote a key of an object around
// the records. Such objects are an API's envelope (code, data, items) or
// a record itself (身份证号, 姓名), but an export may also be keyed by
// record: by ID numbers, claim numbers or names, which are personal data.
// So a key is shown when it has no run of six digits and at most 40
// characters, and, unless it is ASCII, only when its value is a plain
// value (a field's name, not a record's key holding an object or array).
func showKey(k objectKey) bool {
	run := 0
	for _, r := range k.name {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			if run++; run >= 6 {
				return false
			}
		} else {
			run = 0
		}
	}
	return utf8.RuneCountInString(k.name) <= 40 && (k.plain || isASCII(k.name))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// listKeys names the first few keys of an object that may be shown, and
// counts the others.
func listKeys(keys []objectKey) string {
	var shown []string
	for _, k := range keys {
		if showKey(k) {
			shown = append(shown, k.name)
		}
	}
	hidden := len(keys) - len(shown)
	var b strings.Builder
	switch {
	case len(keys) == 0:
		return "none"
	case len(shown) > 10:
		fmt.Fprintf(&b, "%s and %d more", strings.Join(shown[:10], ", "), len(shown)-10)
	default:
		b.WriteString(strings.Join(shown, ", "))
	}
	if hidden > 0 {
		if len(shown) > 0 {
			b.WriteString(" and ")
		}
		fmt.Fprintf(&b, "%d not shown, as they look like data such as ID numbers or names", hidden)
	}
	return b.String()
}

// describe names the kind of value a token opens.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// skipValue reads past one value token by token, so that a large value
// beside the records is never held in memory whole (each of its strings
// and numbers is, within maxRecordBytes), nor its nesting past maxDepth.
func (s *jsonSource) skipValue() error {
	tok, err := s.token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return s.skipFrom(tok)
}

// skipFrom is skipValue for a value whose first token was read.
func (s *jsonSource) skipFrom(tok json.Token) error {
	depth := 0
	for {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > maxDepth {
				return fmt.Errorf("a value nested deeper than %d levels", maxDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = s.token(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// next decodes the next element of the array.
func (s *jsonSource) next(rec *jsonRecord) error {
	if s.done {
		return io.EOF
	}
	if !s.more() {
		tok, err := s.token()
		if err == nil && tok != json.Delim(']') {
			err = fmt.Errorf("unexpected %v", tok)
		}
		if err != nil {
			return s.errorAt(err)
		}
		s.done = true
		if err := s.finish(); err != nil {
			return err
		}
		return io.EOF
	}
	s.raw = s.raw[:0]
	s.lines.markRecord()
	if err := s.dec.Decode(&s.raw); err != nil {
		return s.errorAt(err)
	}
	s.n++
	rec.pos = s.n
	if s.parser.split(s.raw, rec) {
		return nil
	}
	if bytes.Equal(s.raw, []byte("null")) {
		rec.blank = true
		return nil
	}
	var b bytes.Buffer
	json.Compact(&b, s.raw)
	rec.raw = b.String()
	return nil
}

// finish reads what follows the records array: the rest of the objects
// around it, then nothing. A file cut short after its last record is an
// error, not a complete load.
func (s *jsonSource) finish() error {
	for range s.records {
		for s.more() {
			if _, err := s.token(); err != nil { // a key
				return s.errorAt(err)
			}
			if err := s.skipValue(); err != nil {
				return s.errorAt(err)
			}
		}
		if _, err := s.token(); err != nil { // '}'
			return s.errorAt(err)
		}
	}
	before := s.dec.InputOffset()
	if tok, err := s.token(); err != io.EOF {
		if err == nil {
			return s.errorFrom(fmt.Errorf("found %s after the records", describe(tok)), before)
		}
		return s.errorAt(err)
	}
	return nil
}

// errorAt names the file, the line and column, and the record where
// reading failed.
func (s *jsonSource) errorAt(err error) error {
	return s.errorFrom(err, s.dec.InputOffset())
}

// errorFrom is errorAt for an error in the value that starts at start
// (or after the spaces there).
func (s *jsonSource) errorFrom(err error, start int64) error {
	switch {
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	case isEncodingError(err):
		return fmt.Errorf("%s: %w", s.name, err) // the whole file's, not a place's
	}
	where := "before the records"
	switch {
	case s.done:
		where = "after the records"
	case s.inArray:
		where = fmt.Sprintf("record %d", s.n+1)
	}
	offset, perr := s.errorOffset(err, start)
	var line, col int64
	if perr == nil {
		line, col, perr = s.position(offset)
	}
	if errors.Is(err, errRecordTooLarge) {
		what := "the value"
		if s.inArray && !s.done {
			what = "the record"
		}
		err = recordTooLarge(what, "a file or an image embedded in the JSON?")
	}
	if perr != nil {
		return fmt.Errorf("%s: %s: %w", s.name, where, err)
	}
	return fmt.Errorf("%s:%d:%d: %s: %w", s.name, line, col, where, err)
}

// reopen reads the file's text again from the start, to locate an error:
// this happens once, on an error, and keeps the reading path free of
// counting lines. The text is the decoder's, line breaks made '\n'.
func (s *jsonSource) reopen() (*textLines, io.Closer, error) {
	f, _, lines, err := openText(s.ctx, s.path, s.encoding)
	if err != nil {
		return nil, nil, err
	}
	lines.limit = 0 // reads up to a place the first reading reached
	return lines, f, nil
}

// errorOffset finds the offset in the text of the byte where err arose.
//
// A json.SyntaxError's Offset cannot be used as it is: json.Decoder counts
// it from different places depending on whether Token or Decode failed.
// The decoder's input offset, though, is where the value that failed
// starts; decoding that one value again with a fresh decoder gives the
// error's offset within it. A value that decodes well there was valid JSON
// in the wrong place (a key's missing colon), so the error is at its start.
func (s *jsonSource) errorOffset(err error, start int64) (int64, error) {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return math.MaxInt64, nil // the end of the file
	}
	if !errors.Is(err, errRecordTooLarge) { // that value is not read again
		text, c, oerr := s.reopen()
		if oerr != nil {
			return 0, oerr
		}
		defer c.Close()
		if _, err := io.CopyN(io.Discard, text, start); err != nil {
			return 0, err
		}
		var raw json.RawMessage
		var se *json.SyntaxError
		switch err := json.NewDecoder(text).Decode(&raw); {
		case errors.As(err, &se):
			return start + se.Offset - 1, nil
		case err == io.ErrUnexpectedEOF:
			return math.MaxInt64, nil
		}
	}
	// Where the failed value starts, past the spaces before it.
	text, c2, oerr := s.reopen()
	if oerr != nil {
		return 0, oerr
	}
	defer c2.Close()
	br := bufio.NewReader(text)
	if _, err := br.Discard(int(start)); err != nil {
		return 0, err
	}
	for {
		b, err := br.ReadByte()
		if err != nil || !isJSONSpace(b) {
			return start, nil
		}
		start++
	}
}

func isJSONSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\n'
}

// position finds the line and column (in characters, 1-based) of the
// byte at offset in the text, or of the end of the text.
func (s *jsonSource) position(offset int64) (line, col int64, err error) {
	text, c, err := s.reopen()
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	br := bufio.NewReader(io.LimitReader(text, offset))
	line, col = 1, 1
	for {
		r, _, err := br.ReadRune()
		if err == io.EOF {
			return line, col, nil
		}
		if err != nil {
			return 0, 0, err
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
}

func (s *jsonSource) notRecords(rec *jsonRecord, n int) error {
	return fmt.Errorf(`%s: %s is a JSON object (record %d is %s): a file of records is an array of objects, `+
		`[{"身份证号": "…", "姓名": "…"}, …]; export the records so, or as CSV`, s.name, sampleWords(n, "record"), rec.pos, rawKind(rec.raw))
}

func (s *jsonSource) notes() []connectors.Note {
	return append(s.text.Notes(), s.lines.notes()...)
}

func (s *jsonSource) close() error { return s.file.Close() }
