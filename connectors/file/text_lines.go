package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lipwatch/lipwatch/connectors"
)

// maxRecordBytes bounds one record of a text file: a CSV row with its
// quoted fields, an NDJSON line, a JSON record or a value skipped beside
// the records. No department record comes near it; a file that does is
// not what it claims (an unclosed quote that swallows a large file, a JSON
// array saved as NDJSON, an attachment embedded in an API answer), and
// reading on would hold all of it in memory. A variable for tests.
var maxRecordBytes int64 = 16 << 20

// errRecordTooLarge is returned when a record passes maxRecordBytes.
var errRecordTooLarge = errors.New("record too large")

// recordTooLarge words errRecordTooLarge for a message: what ran past the
// limit, and what the file probably is.
func recordTooLarge(what, hint string) error {
	return fmt.Errorf("%w: %s runs past %d MiB: %s", errRecordTooLarge, what, maxRecordBytes>>20, hint)
}

// textLines hands decoded text to a line-based parser (encoding/csv, the
// NDJSON reader) with every line break as a single '\n', counting lines as
// it goes:
//
//   - CRLF and a lone CR (classic Mac OS, and some Windows tools) become
//     '\n', so a file with CR-only line endings, or a mix, has its lines
//     (encoding/csv would take a lone CR for data and read the whole file
//     as one header row). A line break inside a quoted CSV field is then
//     '\n' whatever its form, as encoding/csv already makes of a CRLF.
//   - A UTF-8 byte order mark at the start of a line is dropped: files
//     joined together (concatenated exports) carry one at the start of each
//     part, where it would stick to the first column name or value. The
//     mark at the start of the file is dropped by decodeReader.
//   - Reading stops with errRecordTooLarge once more than limit bytes were
//     handed out since the last mark (see markRecord), so that one runaway
//     record cannot fill memory.
//
// It rewrites the text in place while copying it out, one scan per kind
// of byte at memchr speed, so that the common LF-only file costs a copy.
type textLines struct {
	r          io.Reader
	buf        []byte
	start, end int   // the unread text is buf[start:end]
	rerr       error // r's error, returned once buf is drained

	cr     bool // the last byte handed out was a '\n' made of a '\r'
	nl     bool // the last byte handed out was '\n': a line starts next
	marked bool // a byte order mark was dropped after the last byte handed out

	limit    int64 // maxRecordBytes, or 0 for no limit
	out      int64 // bytes handed out
	mark     int64 // out when the current record started
	newlines int64 // '\n' handed out
	loneCR   int64 // line breaks that were a lone '\r'
	boms     int64 // byte order marks dropped at line starts
	any      bool  // some text was handed out
	eof      bool  // the text is read to its end
}

// openText opens the file at path (a regular file: openRegular) and reads
// its text in encoding (decodeReader) line by line (newTextLines), every
// read stopping once ctx is done. The caller closes the file; on an error
// nothing is left open.
func openText(ctx context.Context, path, encoding string) (*os.File, *textReader, *textLines, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, nil, nil, err
	}
	text, err := decodeReader(&ctxReader{ctx: ctx, r: f}, encoding)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return f, text, newTextLines(text), nil
}

// newTextLines reads r's text through a buffer of sniffSize bytes, with
// records bounded by maxRecordBytes.
func newTextLines(r io.Reader) *textLines {
	return &textLines{r: r, buf: make([]byte, sniffSize), limit: maxRecordBytes}
}

// Read hands out text with its line breaks as '\n'.
func (t *textLines) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if t.limit > 0 && t.out-t.mark > t.limit {
			return 0, errRecordTooLarge
		}
		if n := t.emit(p); n > 0 {
			t.out += int64(n)
			t.newlines += int64(bytes.Count(p[:n], []byte{'\n'}))
			t.any = true
			t.nl = p[n-1] == '\n'
			return n, nil
		}
		if t.rerr != nil && t.start == t.end {
			if t.rerr == io.EOF {
				t.eof = true
				if t.cr {
					t.cr = false
					t.loneCR++
				}
			}
			return 0, t.rerr
		}
		t.fill()
	}
}

// fill reads more text after what is left unread.
func (t *textLines) fill() {
	if t.start > 0 {
		t.end = copy(t.buf, t.buf[t.start:t.end])
		t.start = 0
	}
	n, err := t.r.Read(t.buf[t.end:])
	t.end += n
	if err != nil {
		t.rerr = err
	}
}

// emit copies unread text into p, rewriting line breaks and dropping
// byte order marks at line starts. It stops short of a partial byte order
// mark at a line start while more text may follow, and returns 0 when it
// needs more text to go on.
func (t *textLines) emit(p []byte) int {
	src := t.buf[t.start:t.end]
	n := 0
	for len(src) > 0 && n < len(p) {
		if t.cr { // the '\n' of a CRLF whose '\r' was handed out as '\n'
			t.cr = false
			if src[0] == '\n' {
				src = src[1:]
				continue
			}
			t.loneCR++
		}
		if src[0] == 0xEF && (n > 0 && p[n-1] == '\n' || n == 0 && t.nl) {
			if len(src) < len(bomUTF8) && t.rerr == nil && bytes.HasPrefix(bomUTF8, src) {
				break // perhaps a mark: wait for the rest
			}
			if bytes.HasPrefix(src, bomUTF8) {
				src = src[len(bomUTF8):]
				t.boms++
				t.marked = true
				continue
			}
		}
		chunk := src[:min(len(src), len(p)-n)]
		stop := len(chunk)
		cr := bytes.IndexByte(chunk, '\r')
		if cr >= 0 {
			stop = cr
		}
		// Stop at a mark's first byte after a line break, for the check
		// above. 0xEF is rare in text (it leads U+F000 to U+FFFF, the
		// full-width forms among them), and memchr is faster than
		// looking after every line break.
		for off := 1; off < stop; {
			i := bytes.IndexByte(chunk[off:stop], 0xEF)
			if i < 0 {
				break
			}
			if off += i; chunk[off-1] == '\n' {
				stop = off
				break
			}
			off++
		}
		n += copy(p[n:], chunk[:stop])
		src = src[stop:]
		if stop == cr {
			p[n] = '\n'
			n++
			src = src[1:]
			t.cr = true
		}
		t.marked = false
	}
	t.start = t.end - len(src)
	return n
}

// markRecord notes that a record starts after the text handed out so far
// (and the parser's read-ahead, which the limit leaves room for).
func (t *textLines) markRecord() { t.mark = t.out }

// lastLine is the number of the text's last line once all of it is read:
// a final line break ends the last line rather than starting another. A
// last line that held only a byte order mark is a line all the same.
func (t *textLines) lastLine() int64 {
	if !t.any || t.nl && !t.marked {
		return t.newlines
	}
	return t.newlines + 1
}

// notes reports lone CR line breaks and byte order marks inside the text,
// once it is read to its end.
func (t *textLines) notes() []connectors.Note {
	var notes []connectors.Note
	if t.loneCR > 0 {
		notes = append(notes, connectors.Note{Code: "cr_line_endings", Count: t.loneCR, Text: fmt.Sprintf(
			"%d line break(s) are a lone CR (classic Mac OS line endings): read as line breaks", t.loneCR)})
	}
	if t.boms > 0 {
		notes = append(notes, connectors.Note{Code: "bom_inside", Count: t.boms, Text: fmt.Sprintf(
			"%d line(s) start with a byte order mark (files joined together?): the marks were dropped", t.boms)})
	}
	return notes
}
