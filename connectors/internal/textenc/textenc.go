// Package textenc counts how text reads in the two encodings department
// data comes in, UTF-8 and GB18030 (of which GBK and GB2312 are subsets),
// so that a reader can tell one from the other: the file connector when it
// sniffs a file, the http connector when it checks a body against its
// declared charset. It allocates nothing.
package textenc

import "unicode/utf8"

// UTF8Stats counts the valid multi-byte characters of b, those of them of
// three or four bytes, and the bytes that are not part of a valid
// character. A character cut off at the end of b is not counted unless
// atEOF.
func UTF8Stats(b []byte, atEOF bool) (ok, ok3, bad int) {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !atEOF && !utf8.FullRune(b[i:]) {
			break
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			bad++
		case size >= 3:
			ok++
			ok3++
		default:
			ok++
		}
		i += size
	}
	return ok, ok3, bad
}

// GB18030Stats counts the valid two- and four-byte characters of b in
// GB18030 (of which GBK and GB2312 are subsets) and the bytes that are not
// part of one. A character cut off at the end of b is not counted unless
// atEOF.
func GB18030Stats(b []byte, atEOF bool) (ok, bad int) {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
			continue
		case c == 0x80 || c == 0xFF:
			bad++
			i++
			continue
		case i+1 >= len(b):
			if atEOF {
				bad++
			}
			return ok, bad
		}
		switch c2 := b[i+1]; {
		case c2 >= 0x40 && c2 <= 0xFE && c2 != 0x7F:
			ok++
			i += 2
		case c2 >= 0x30 && c2 <= 0x39:
			if i+3 >= len(b) {
				if atEOF {
					bad++
				}
				return ok, bad
			}
			if c3, c4 := b[i+2], b[i+3]; c3 >= 0x81 && c3 <= 0xFE && c4 >= 0x30 && c4 <= 0x39 {
				ok++
				i += 4
			} else {
				bad++
				i++
			}
		default:
			bad++
			i++
		}
	}
	return ok, bad
}
