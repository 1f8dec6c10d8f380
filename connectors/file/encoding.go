package file

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/internal/textenc"
)

// sniffSize is how much text is examined to tell UTF-8 from GB18030, and
// UTF-16 without a byte order mark from 8-bit text. It is also the read
// buffer's size, so a peek of that length always fits.
const sniffSize = 64 << 10

// badShare is the share of invalid bytes an encoding may show in the
// examined text and still be chosen: at most one per badShare characters
// (5%). A database export that cut a multi-byte character in half leaves
// one or two invalid bytes among thousands of valid characters; text in
// another encoding is invalid far more often (GBK text read as UTF-8 has
// about five invalid bytes for one valid character; UTF-8 read as GB18030
// breaks at about every other run of Chinese).
const badShare = 20

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// encodingError is a problem with a whole file's text encoding: text
// that reads as neither UTF-8 nor GB18030, or that is plainly not in the
// encoding the source names. It is found where the first non-ASCII byte
// is, but concerns the file, so messages name no line.
type encodingError struct{ msg string }

// Error says what is wrong and which encoding option to set.
func (e *encodingError) Error() string { return e.msg }

// isEncodingError reports whether err is an encodingError.
func isEncodingError(err error) bool {
	var e *encodingError
	return errors.As(err, &e)
}

// textReader is a file's text decoded to UTF-8, with what decoding noticed.
type textReader struct {
	r     io.Reader
	auto  *autoReader // the reader that decides at the first non-ASCII byte; nil if decided at open
	notes []connectors.Note
}

// Read reads decoded text.
func (t *textReader) Read(p []byte) (int, error) { return t.r.Read(p) }

// Notes says how the text was decoded when it was not plain: UTF-16
// without a byte order mark, or text in its encoding with some invalid
// sequences. Complete once the text is read.
func (t *textReader) Notes() []connectors.Note {
	notes := t.notes
	if t.auto != nil && t.auto.note != nil {
		notes = append(notes[:len(notes):len(notes)], *t.auto.note)
	}
	return notes
}

// decodeReader returns r's text as UTF-8, in the configured encoding or
// the detected one, without reading the whole file: it buffers r itself.
// A UTF-8 byte order mark is dropped; other marks are consumed by their
// decoders. A file that is plainly not text (a zip archive, a legacy .xls
// workbook, gzip, PDF) is an error whatever the encoding.
//
// With encoding auto: a byte order mark decides; else a file whose NUL
// bytes fall at every other position is UTF-16 (see sniffUTF16); else the
// text is read as ASCII up to its first non-ASCII byte, where the next
// sniffSize bytes decide between UTF-8 and GB18030 (see autoReader).
// A named encoding is checked the same way against text that is plainly
// in another (see checkNamed): a department that switched its export to
// UTF-8 while the source still says gbk fails rather than loading
// two-character names as other characters, without one invalid byte.
func decodeReader(r io.Reader, encoding string) (*textReader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if err := notText(head); err != nil {
		return nil, err
	}
	plain := func(r io.Reader) (*textReader, error) { return &textReader{r: r}, nil }
	checked := func(named string) (*textReader, error) {
		a := &autoReader{br: br, named: named}
		return &textReader{r: a, auto: a}, nil
	}
	switch encoding {
	case encGBK, encGB18030:
		return checked(encoding)
	case encUTF16:
		// A byte order mark decides; without one, where the NULs fall
		// does, and little-endian when they cannot tell. Text without a
		// single NUL is not UTF-16 (its line breaks would have one).
		order := unicode.LittleEndian
		if !bytes.HasPrefix(head, bomUTF16LE) && !bytes.HasPrefix(head, bomUTF16BE) {
			window, err := br.Peek(sniffSize)
			if err != nil && err != io.EOF {
				return nil, err
			}
			if len(window) >= 2 && bytes.IndexByte(window, 0) < 0 {
				return nil, &encodingError{"the text is not UTF-16 as the source's encoding option says: it has neither a " +
					"UTF-16 byte order mark nor the NUL bytes UTF-16 puts beside every ASCII character and line break; " +
					"set encoding to auto, or to the file's encoding"}
			}
			if o, ok := sniffUTF16(window); ok {
				order = o
			}
		}
		return plain(transform.NewReader(br, unicode.UTF16(order, unicode.UseBOM).NewDecoder()))
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		br.Discard(len(bomUTF8))
		return plain(br)
	case encoding == encUTF8:
		return checked(encUTF8)
	case bytes.HasPrefix(head, bomUTF16LE):
		br.Discard(len(bomUTF16LE))
		return plain(transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()))
	case bytes.HasPrefix(head, bomUTF16BE):
		br.Discard(len(bomUTF16BE))
		return plain(transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()))
	}
	window, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if order, ok := sniffUTF16(window); ok {
		name := "little"
		if order == unicode.BigEndian {
			name = "big"
		}
		return &textReader{
			r: transform.NewReader(br, unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder()),
			notes: []connectors.Note{{Code: "utf16_without_bom",
				Text: fmt.Sprintf("read as UTF-16 (%s-endian) without a byte order mark, as its NUL bytes show", name)}},
		}, nil
	}
	a := &autoReader{br: br}
	return &textReader{r: a, auto: a}, nil
}

// notText recognises files that are plainly not text by their first
// bytes, so that they fail with a word on what they are rather than as a
// text of unknown encoding.
func notText(head []byte) error {
	var what string
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		what = "it is a zip archive, as an .xlsx workbook is: set format: xlsx if it is one, or export the sheet as CSV"
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		what = "it is a legacy Excel .xls (or another OLE2) document: save it as .xlsx or CSV"
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		what = "it is gzip-compressed: decompress it first"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		what = "it is a PDF document"
	default:
		return nil
	}
	return fmt.Errorf("not a text file: %s", what)
}

// sniffUTF16 tells UTF-16 text without a byte order mark from 8-bit text
// holding NUL bytes (a CHAR(n) column padded with NULs, say), and its byte
// order. In UTF-16 every ASCII character, each line break included, is a
// NUL beside its byte: little-endian text has its NULs at odd offsets and
// almost none at even ones, and its '\n' bytes are followed by a NUL.
// NUL padding in 8-bit text comes in runs that straddle both parities, or
// one NUL per row, never after the line break. So b is UTF-16LE when it
// has at least two (non-NUL, NUL) pairs, at most one (NUL, non-NUL) pair
// per eight of them, at least one per sixteen pairs of text, and at least
// half of its '\n' bytes starting a ('\n', NUL) pair; mirrored for
// big-endian. Pairs of two NULs (UTF-16 NUL padding) count for neither.
func sniffUTF16(b []byte) (unicode.Endianness, bool) {
	if bytes.IndexByte(b, 0) < 0 {
		return unicode.LittleEndian, false // the usual case, at memchr speed
	}
	n := len(b) &^ 1
	var le, be, nlLE, nlBE int
	for i := 0; i < n; i += 2 {
		switch x, y := b[i], b[i+1]; {
		case x != 0 && y == 0:
			le++
			if x == '\n' {
				nlLE++
			}
		case x == 0 && y != 0:
			be++
			if y == '\n' {
				nlBE++
			}
		}
	}
	newlines := bytes.Count(b[:n], []byte{'\n'})
	pairs := n / 2
	switch {
	case le >= 2 && be*8 <= le && le*16 >= pairs && nlLE*2 >= newlines:
		return unicode.LittleEndian, true
	case be >= 2 && le*8 <= be && be*16 >= pairs && nlBE*2 >= newlines:
		return unicode.BigEndian, true
	}
	return unicode.LittleEndian, false
}

// autoReader passes ASCII through until the first non-ASCII byte, then
// decides between UTF-8 and GB18030 on the sniffSize bytes from there.
// Deciding at the first non-ASCII byte rather than at the start of the
// file means that a GBK file whose first 64 KiB happen to be ASCII (an
// English header, digits) is still recognised.
//
// The decision is statistical (see decideEncoding), so that a UTF-8 file
// with a character cut in half stays UTF-8 (its invalid bytes pass
// through, and the dataset layer quarantines the values holding them)
// rather than becoming GB18030 mojibake in every row, and a GB18030 file
// with a few broken characters stays GB18030 (they read as U+FFFD, which
// the dataset layer quarantines too). Text that is neither is an error.
// With a named encoding it checks the text at the same byte instead (see
// checkNamed).
type autoReader struct {
	br    *bufio.Reader
	named string    // the encoding the source names, to check; "" to detect
	r     io.Reader // the decided reader; nil while undecided
	err   error     // the decision's error, returned from then on
	note  *connectors.Note
}

// Read returns decoded text, deciding the encoding on first need.
func (a *autoReader) Read(p []byte) (int, error) {
	if a.r != nil {
		return a.r.Read(p)
	}
	if a.err != nil {
		return 0, a.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if a.br.Buffered() == 0 {
		if _, err := a.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := a.br.Peek(min(len(p), a.br.Buffered()))
	i := 0
	for i < len(buf) && buf[i] < 0x80 {
		i++
	}
	if i > 0 {
		n := copy(p, buf[:i])
		a.br.Discard(n)
		return n, nil
	}
	window, err := a.br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return 0, err
	}
	var gb bool
	if a.named == "" {
		gb, a.note, err = decideEncoding(window, err == io.EOF)
	} else {
		gb, err = a.named != encUTF8, checkNamed(a.named, window, err == io.EOF)
	}
	if err != nil {
		a.err = err
		return 0, err
	}
	switch {
	case a.named == encGBK:
		a.r = transform.NewReader(a.br, simplifiedchinese.GBK.NewDecoder())
	case gb:
		a.r = transform.NewReader(a.br, simplifiedchinese.GB18030.NewDecoder())
	default:
		a.r = a.br
	}
	return a.r.Read(p)
}

// checkNamed checks the encoding a source names against window, text that
// starts with a non-ASCII byte, and fails when the text is plainly in
// another: under gbk or gb18030, text whose non-ASCII bytes are all valid
// UTF-8 with at least two three-byte characters (GBK text almost never
// forms one by chance, let alone only those); under utf-8, text that
// decideEncoding would not take for UTF-8 but for GB18030. Damaged text is
// left to the named encoding.
func checkNamed(named string, window []byte, atEOF bool) error {
	okU, okU3, badU := textenc.UTF8Stats(window, atEOF)
	if named != encUTF8 {
		if badU == 0 && okU3 >= 2 {
			return &encodingError{fmt.Sprintf("the text is UTF-8, not %s as the source's encoding option says "+
				"(its first %d non-ASCII characters are all valid UTF-8, as %s text almost never is): set encoding to utf-8, or to auto",
				named, okU, named)}
		}
		return nil
	}
	if badU == 0 || okU >= badShare*badU || okU3 > badU {
		return nil
	}
	if okG, badG := textenc.GB18030Stats(window, atEOF); okG >= badShare*badG {
		return &encodingError{fmt.Sprintf("the text is not UTF-8 as the source's encoding option says "+
			"(%d of its first %d non-ASCII sequences are invalid UTF-8) but reads as GB18030 (GBK): set encoding to gbk, or to auto",
			badU, okU+badU)}
	}
	return nil
}

// decideEncoding tells UTF-8 from GB18030 on window, text that starts with
// a non-ASCII byte; atEOF says the text ends with it. It counts, reading
// the window both ways, the valid characters and the bytes that are not
// part of one:
//
//   - UTF-8 when at most one in badShare of its non-ASCII sequences is
//     invalid (a clean window is always UTF-8, as before), or when its
//     valid three- and four-byte characters (Chinese, in UTF-8) outnumber
//     its invalid bytes: GBK text forms such a character by chance about
//     once in sixty characters, and has an invalid byte in most of them,
//     so this is damaged UTF-8, such as a short export whose one name was
//     cut. UTF-8 is also the safe side of a doubt: an invalid byte passes
//     through and its value is quarantined, where a wrong GB18030 reading
//     would turn every Chinese character into another in silence.
//   - GB18030 when at most one in badShare of its sequences is invalid.
//   - Else the encoding cannot be told: an error that says to name it.
//
// A note says when the chosen encoding had invalid sequences in the window.
func decideEncoding(window []byte, atEOF bool) (gb bool, note *connectors.Note, err error) {
	okU, okU3, badU := textenc.UTF8Stats(window, atEOF)
	if badU == 0 {
		return false, nil, nil
	}
	kib := (len(window) + 1023) >> 10
	if okU >= badShare*badU || okU3 > badU {
		return false, &connectors.Note{Code: "invalid_utf8", Count: int64(badU), Text: fmt.Sprintf(
			"read as UTF-8, though %d byte(s) in the %d KiB examined are not UTF-8 (a character cut in half?): "+
				"values holding them are quarantined as bad_encoding", badU, kib)}, nil
	}
	okG, badG := textenc.GB18030Stats(window, atEOF)
	if okG >= badShare*badG {
		if badG == 0 {
			return true, nil, nil
		}
		return true, &connectors.Note{Code: "invalid_gb18030", Count: int64(badG), Text: fmt.Sprintf(
			"read as GB18030 (GBK), though %d byte(s) in the %d KiB examined are not GB18030 (a character cut in half?): "+
				"they read as U+FFFD and the values holding them are quarantined as bad_encoding", badG, kib)}, nil
	}
	return false, nil, &encodingError{fmt.Sprintf("cannot tell the text encoding: read as UTF-8, %d of the first %d non-ASCII sequences are invalid, "+
		"and read as GB18030 (GBK), %d of %d; set the source's encoding option to the file's encoding (utf-8, gbk, gb18030 or utf-16)",
		badU, okU+badU, badG, okG+badG)}
}
