package link

import (
	"strings"
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
	pinyin "github.com/mozillazg/go-pinyin"
	"golang.org/x/text/width"
)

// A Name is one person's name as the linker compares it.
type Name struct {
	// Norm is the name in the registry's writing: simplified characters
	// (OpenCC t2s), full-width letters and digits folded to half width,
	// every space removed, and the separator of a minority name (·, •,
	// ．, ・ …) written as the middle dot U+00B7. "" for a name that is
	// empty after that.
	Norm string
	// Pinyin is the toneless pinyin of Norm, syllables joined by a space
	// ("zhang wei"): two names that read the same (张伟 and 张玮) have the
	// same Pinyin. Characters without a reading (letters, the dot) are
	// kept, lower-cased.
	Pinyin string
}

var (
	t2sOnce sync.Once
	t2s     *opencc.OpenCC
	t2sErr  error
)

// separators a department writes between the parts of a name such as
// 买买提·艾力.
var separators = strings.NewReplacer("•", "·", "．", "·", "・", "·", "‧", "·", "∙", "·", ".", "·")

// NormalizeName returns n in the registry's writing (see Name.Norm).
// Conversion cannot fail on text; an error means OpenCC's embedded
// dictionaries could not be loaded, which is a build defect.
func NormalizeName(n string) (string, error) {
	n = width.Fold.String(n)
	n = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, n)
	n = separators.Replace(n)
	if n == "" {
		return "", nil
	}
	if !hasHan(n) {
		return strings.ToUpper(n), nil
	}
	t2sOnce.Do(func() { t2s, t2sErr = opencc.New("t2s") })
	if t2sErr != nil {
		return "", t2sErr
	}
	s, err := t2s.Convert(n)
	if err != nil {
		return "", err
	}
	return s, nil
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

var pinyinArgs = pinyin.NewArgs() // toneless, one reading per character

// Pinyin returns the toneless pinyin of a normalized name (see
// Name.Pinyin). A character of several readings takes its most common
// one, so a surname read differently (曾 zeng, read ceng) can differ from
// a homophone written another way; the linker's other comparisons carry
// such a pair.
func Pinyin(norm string) string {
	var b strings.Builder
	for _, r := range norm {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if unicode.Is(unicode.Han, r) {
			if py := pinyin.SinglePinyin(r, pinyinArgs); len(py) > 0 {
				b.WriteString(py[0])
				continue
			}
		}
		b.WriteString(strings.ToLower(string(r)))
	}
	return b.String()
}

// NewName normalizes n and reads its pinyin.
func NewName(n string) (Name, error) {
	norm, err := NormalizeName(n)
	if err != nil {
		return Name{}, err
	}
	return Name{Norm: norm, Pinyin: Pinyin(norm)}, nil
}
