package file

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// normalized is what textLines must make of text, written the slow and
// obvious way: every CRLF, lone CR and LF one '\n', a byte order mark
// right after a line break dropped; with the line breaks that were a lone
// CR, the marks dropped and the number of lines.
func normalized(text string) (out string, loneCR, boms, lines int64) {
	var b strings.Builder
	atLineStart := false
	for i := 0; i < len(text); {
		if atLineStart && strings.HasPrefix(text[i:], "\xEF\xBB\xBF") {
			i += 3
			boms++
			continue
		}
		switch {
		case strings.HasPrefix(text[i:], "\r\n"):
			b.WriteByte('\n')
			i += 2
			lines++
			atLineStart = true
		case text[i] == '\r':
			b.WriteByte('\n')
			i++
			lines++
			loneCR++
			atLineStart = true
		case text[i] == '\n':
			b.WriteByte('\n')
			i++
			lines++
			atLineStart = true
		default:
			b.WriteByte(text[i])
			i++
			atLineStart = false
		}
	}
	out = b.String()
	if text != "" && !atLineStart || atLineStart && !strings.HasSuffix(text, "\n") && !strings.HasSuffix(text, "\r") {
		lines++ // a last line without a line break, if only a mark
	}
	return out, loneCR, boms, lines
}

// textLines gives the same text whatever sizes its source returns and its
// reader asks for: a CRLF or a byte order mark cut by a read's end is
// still seen whole.
func TestTextLinesEveryBoundary(t *testing.T) {
	texts := map[string]string{
		"lf":               "a,b\n1,2\n\n3,4\n",
		"crlf":             "a,b\r\n1,2\r\n\r\n3,4\r\n",
		"cr":               "a,b\r1,2\r\r3,4\r",
		"cr no final":      "a,b\r1,2\r\r3,4",
		"mixed":            "a\r\nb\rc\nd\r\r\ne\n\r",
		"cr cr lf":         "\r\r\n\r",
		"only cr":          "\r",
		"empty":            "",
		"bom at starts":    "a\n\xEF\xBB\xBFb\r\xEF\xBB\xBFc\r\n\xEF\xBB\xBF\xEF\xBB\xBFd\n",
		"not a bom":        "a\n\xEF\xBC\x8C\n\xEF\xBB\n\xEF\n\xEF",
		"bom mid-line":     "a\xEF\xBB\xBFb\n",
		"bom at the end":   "a\n\xEF\xBB\xBF",
		"partial bom end":  "a\n\xEF\xBB",
		"only a bom":       "\n\xEF\xBB\xBF",
		"boms at the end":  "a\r\n\xEF\xBB\xBF\xEF\xBB\xBF",
		"nul":              "3407990010010001\x00\x00\x00\x00,1\r\x00\r\n",
		"quoted cr":        "\"a\rb\",c\n",
		"first byte bom":   "\xEF\xBB\xBFa\n", // the file's own mark is decodeReader's to drop
		"long cr lines":    strings.Repeat("张三,340799\r", 3000),
		"long crlf bom":    strings.Repeat("x\r\n\xEF\xBB\xBF", 5000),
		"long mixed lines": strings.Repeat("1,2\r3,4\n5,6\r\n", 4000),
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+err": iotest.DataErrReader,
	}
	for name, text := range texts {
		want, loneCR, boms, lines := normalized(text)
		for rname, wrap := range readers {
			for _, bufSize := range []int{1, 2, 3, 7, 4096} {
				tl := newTextLines(wrap(strings.NewReader(text)))
				got, err := readAllSized(tl, bufSize)
				if err != nil {
					t.Fatalf("%s, %s reads, %d-byte buffer: %v", name, rname, bufSize, err)
				}
				if got != want {
					t.Errorf("%s, %s reads, %d-byte buffer:\n got %q\nwant %q", name, rname, bufSize, got, want)
					continue
				}
				if tl.loneCR != loneCR || tl.boms != boms || tl.lastLine() != lines || !tl.eof {
					t.Errorf("%s, %s reads, %d-byte buffer: lone CR %d, marks %d, lines %d, eof %v; want %d, %d, %d, true",
						name, rname, bufSize, tl.loneCR, tl.boms, tl.lastLine(), tl.eof, loneCR, boms, lines)
				}
			}
		}
	}
}

// readAllSized reads r to its end with reads of at most size bytes.
func readAllSized(r io.Reader, size int) (string, error) {
	var b strings.Builder
	p := make([]byte, size)
	for {
		n, err := r.Read(p)
		b.Write(p[:n])
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
	}
}

// A record that runs past the limit stops reading; marking a record's
// start gives the next one the whole limit again.
func TestTextLinesLimit(t *testing.T) {
	tl := newTextLines(strings.NewReader(strings.Repeat("x", 100) + "\n" + strings.Repeat("y", 100)))
	tl.limit = 150
	p := make([]byte, 101)
	if n, err := io.ReadFull(tl, p); n != 101 || err != nil {
		t.Fatalf("first record: %d bytes, %v", n, err)
	}
	tl.markRecord()
	if got, err := readAllSized(tl, 10); err != nil || len(got) != 100 {
		t.Fatalf("second record: %d bytes, %v", len(got), err)
	}

	tl = newTextLines(strings.NewReader(strings.Repeat("x", 1000)))
	tl.limit = 150
	if _, err := readAllSized(tl, 10); !errors.Is(err, errRecordTooLarge) {
		t.Fatalf("got %v, want errRecordTooLarge", err)
	}
}
