package file

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much text is examined to tell UTF-8 from GB18030. It is
// also the read buffer's size, so a peek of that length always fits.
const sniffSize = 64 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeReader returns r's text as UTF-8, in the configured encoding or
// the detected one, without reading the whole file: it buffers r itself.
// A UTF-8 byte order mark is dropped; other marks are consumed by their
// decoders.
func decodeReader(r io.Reader, encoding string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	switch encoding {
	case encGBK:
		return transform.NewReader(br, simplifiedchinese.GBK.NewDecoder()), nil
	case encGB18030:
		return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), nil
	case encUTF16:
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()), nil
	}
	head, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		br.Discard(len(bomUTF8))
		return br, nil
	case encoding == encUTF8:
		return br, nil
	case bytes.HasPrefix(head, bomUTF16LE):
		br.Discard(len(bomUTF16LE))
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), nil
	case bytes.HasPrefix(head, bomUTF16BE):
		br.Discard(len(bomUTF16BE))
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), nil
	}
	return &autoReader{br: br}, nil
}

// autoReader passes ASCII through until the first non-ASCII byte, then
// decides between UTF-8 and GB18030 on the sniffSize bytes from there.
// Deciding at the first non-ASCII byte rather than at the start of the
// file means that a GBK file whose first 64 KiB happen to be ASCII (an
// English header, digits) is still recognised.
type autoReader struct {
	br *bufio.Reader
	r  io.Reader // the decided reader; nil while undecided
}

// Read returns decoded text, deciding the encoding on first need.
func (a *autoReader) Read(p []byte) (int, error) {
	if a.r != nil {
		return a.r.Read(p)
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
	for i < len(buf) && buf[i] < utf8.RuneSelf {
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
	if validUTF8Prefix(window, err == io.EOF) {
		a.r = a.br
	} else {
		a.r = transform.NewReader(a.br, simplifiedchinese.GB18030.NewDecoder())
	}
	return a.r.Read(p)
}

// validUTF8Prefix reports whether b is valid UTF-8, ignoring a multi-byte
// character cut off at the end of b when more text follows.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	if !atEOF {
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}
