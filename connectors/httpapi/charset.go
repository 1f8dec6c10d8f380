package httpapi

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/lipwatch/lipwatch/connectors/internal/textenc"
)

// Values of the encoding option.
const (
	encUTF8    = "utf-8"
	encGBK     = "gbk"
	encGB18030 = "gb18030"
	encBig5    = "big5"
)

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// badShare: a body is taken for text in another encoding only when at
// least one in badShare of its non-ASCII sequences is invalid in the one
// it was read in, as connectors/file decides: a character cut in half
// among thousands is damage, left to the dataset layer.
const badShare = 20

// charsetEncoding maps a declared charset to the encoding that reads it,
// and to the name it is reported under. GBK and GB2312 are read as
// GB18030, their superset. ok is false for a charset the connector does
// not read.
func charsetEncoding(charset string) (enc encoding.Encoding, name string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil, encUTF8, true
	case "gbk", "gb2312", "gb18030", "x-gbk", "cp936", "windows-936", "euc-cn":
		return simplifiedchinese.GB18030, encGB18030, true
	case "big5", "big-5", "x-x-big5", "cp950":
		return traditionalchinese.Big5, encBig5, true
	}
	return nil, "", false
}

// decodeBody returns a response body as UTF-8: a leading UTF-8 byte order
// mark dropped, then read in the encoding option's encoding or, unset, the
// charset the Content-Type declares (UTF-8 when it declares none).
//
// An encoding option is trusted as given. A declared charset is checked
// against a body plainly in another encoding, since servers misdeclare:
// a body declared (or defaulting to) UTF-8 that is not UTF-8 but reads as
// GB18030, or that is UTF-8 only by chance (gbkByChance), or one declared
// GBK or Big5 whose non-ASCII text is all UTF-8 and mostly three-byte
// characters (Chinese in UTF-8; GBK or Big5 text almost never reads so),
// fails, saying which encoding option to set. Scattered
// invalid bytes do not: they pass through (UTF-8) or read as U+FFFD
// (GBK), and the dataset layer quarantines the values holding them.
func decodeBody(body []byte, contentType, option string) ([]byte, error) {
	bom := bytes.HasPrefix(body, bomUTF8)
	if bom {
		body = body[len(bomUTF8):]
	}
	if option != "" {
		enc, _, _ := charsetEncoding(option)
		if enc == nil {
			return body, nil
		}
		return enc.NewDecoder().Bytes(body)
	}
	declared := ""
	if contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			declared = params["charset"]
		}
	}
	if bom {
		// A byte order mark is UTF-8's own mark, whatever the header says.
		declared = encUTF8
	}
	enc, _, ok := charsetEncoding(declared)
	if !ok {
		return nil, fmt.Errorf("the response declares charset=%s, which the connector does not read (it reads UTF-8, GBK, GB2312, GB18030 and Big5); "+
			"set the encoding option to the body's real encoding to override the header", shorten(declared, 40))
	}
	what := "declares charset=" + declared
	if declared == "" {
		what = "declares no charset (read as UTF-8)"
	}
	if enc == nil {
		if utf8.Valid(body) {
			if !bom {
				if err := gbkByChance(body, what); err != nil {
					return nil, err
				}
			}
			return body, nil
		}
		okU, _, badU := textenc.UTF8Stats(body, true)
		if okU >= badShare*badU {
			return body, nil // damaged UTF-8: the dataset layer judges
		}
		okG, badG := textenc.GB18030Stats(body, true)
		if badG*badShare <= okG {
			return nil, fmt.Errorf("the response %s but is not UTF-8 (%d of its %d non-ASCII sequences are invalid); it reads as GBK (GB18030): set encoding: gbk",
				what, badU, okU+badU)
		}
		return body, nil
	}
	// Any declared charset other than UTF-8 (GBK, Big5) is checked so.
	if okU, okU3, badU := textenc.UTF8Stats(body, true); badU == 0 && okU3 >= 2 && okU3*2 >= okU {
		return nil, fmt.Errorf("the response %s but its text is UTF-8 (its %d non-ASCII characters are all valid UTF-8, as %s text almost never is): set encoding: utf-8",
			what, okU, strings.ToUpper(shorten(declared, 20)))
	}
	return enc.NewDecoder().Bytes(body)
}

// gbkByChance fails a body read as UTF-8 (declared so, or undeclared) that
// is valid UTF-8 only by chance: every non-ASCII character is a two-byte
// one (U+0080–U+07FF: Latin accents, Greek, Cyrillic, Hebrew, Arabic),
// none Chinese, while read as GB18030 nearly all are Chinese. GBK names
// such as 郑叶 (D6 A3 D2 B6) are such bytes; read as UTF-8 they would load
// as ֣Ҷ. Real UTF-8 Chinese text is three bytes a character, so a page
// with any Chinese in it passes.
func gbkByChance(body []byte, what string) error {
	two := 0
	for i := 0; i < len(body); {
		if body[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(body[i:])
		if size != 2 {
			return nil
		}
		two++
		i += size
	}
	if two == 0 {
		return nil
	}
	dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(body)
	if err != nil {
		return nil
	}
	han, other := 0, 0
	for _, r := range string(dec) {
		switch {
		case r < utf8.RuneSelf:
		case unicode.Is(unicode.Han, r):
			han++
		default:
			other++
		}
	}
	if han == 0 || han < 9*other {
		return nil
	}
	return fmt.Errorf("the response %s, and its text is valid UTF-8 only by chance: its %d non-ASCII characters are all two-byte ones "+
		"(Latin accents, Greek, Cyrillic, Hebrew or Arabic letters), none Chinese, while read as GBK they are %d Chinese characters: "+
		"set encoding: gbk (or encoding: utf-8 if the text really is in those letters)", what, two, han)
}
