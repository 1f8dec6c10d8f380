package dispatch

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/width"
)

// The row fitting as it was before it was made to run without garbage
// (textLines allocated the pieces of every line of every wrapped cell):
// the reference the faster one must agree with, line count for line count.

func textLinesBefore(text string, width, size float64) int {
	avail := max(width*columnUnit-cellMargin, size) // at least a character a line
	n := 0
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n += wrapLineBefore(line, avail, size)
	}
	return n
}

// wrapLine is the lines one line of text takes in avail points.
func wrapLineBefore(line string, avail, size float64) int {
	lines, x := 1, 0.0
	for _, unit := range breakUnitsBefore(line) {
		w := textWidthBefore(unit, size)
		if x > 0 && x+w > avail {
			lines++
			x = 0
		}
		if w <= avail {
			x += w
			continue
		}
		for _, r := range unit { // wider than a line: broken anywhere
			rw := runeWidthBefore(r) * size
			if x > 0 && x+rw > avail {
				lines++
				x = 0
			}
			x += rw
		}
	}
	return lines
}

// breakUnits splits a line into the pieces a line break cannot split.
func breakUnitsBefore(s string) []string {
	var units []string
	start, prev := 0, rune(-1)
	for i, r := range s {
		if prev >= 0 && canBreakBefore(prev, r) {
			units = append(units, s[start:i])
			start = i
		}
		prev = r
	}
	if start < len(s) {
		units = append(units, s[start:])
	}
	return units
}

// canBreak reports whether a line may break between prev and next.
func canBreakBefore(prev, next rune) bool {
	switch {
	case strings.ContainsRune(noLineStart, next) || strings.ContainsRune(noLineEnd, prev):
		return false
	case next == ' ':
		return false // a space ends the word before it
	case prev == ' ' || prev == '-' || prev == '/':
		return true
	default:
		return wideBefore(prev) || wideBefore(next)
	}
}

// wide reports whether r is a CJK (wide or full-width) character.
func wideBefore(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth
}

// textWidth is the width of s in points at size points.
func textWidthBefore(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidthBefore(r)
	}
	return w * size
}

// runeWidth is the width of r in ems, the widest of 宋体's and of
// LibreOffice's substitutes'. A CJK character is an em (two Latin widths),
// and so is a character East Asian fonts draw full width (“ ” × ①).
func runeWidthBefore(r rune) float64 {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianAmbiguous:
		return 1
	}
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.IsControl(r):
		return 0
	case strings.ContainsRune("MWmw@", r):
		return 1
	case unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("#$%&", r):
		return 0.72
	case strings.ContainsRune(" ijlI.,:;'!|", r):
		return 0.34
	default:
		return 0.62
	}
}

// TestTextLinesAsBefore compares textLines with the reference above on
// the texts of generated lists and on random mixes of the characters the
// fitting treats apart, at several widths and sizes.
func TestTextLinesAsBefore(t *testing.T) {
	var texts []string
	for _, it := range genItems(t, 300, 6, "340799001") {
		r := renderItem(it, testOptions())
		texts = append(texts, r.text[:]...)
	}
	alphabet := []rune("张三城关社区（）《》“”，。、：；！？…—·％ -/abcMWijl0123456789#%&.,:;'!|\t\n\r①×\u0301\x01\uFFFD𠀀ｱＡ")
	rng := rand.New(rand.NewPCG(7, 7))
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(120) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, "", "\n", "\r\n", "a\r\r\nb", strings.Repeat("长", 500), strings.Repeat("x", 300), string([]byte{0xff, 0xfe, 'a'}))
	checked := 0
	for _, text := range texts {
		for _, w := range []float64{1, 6, 11, 18, 40, listColumns[colReasons].width, bannerWidth()} {
			for _, size := range []float64{bodySize, bodySize * boldWidth, noteSize, titleSize * boldWidth} {
				got, want := textLines(text, w, size), textLinesBefore(text, w, size)
				if got != want {
					t.Fatalf("textLines(%q, %v, %v) = %d, was %d", text, w, size, got, want)
				}
				checked++
			}
		}
	}
	t.Logf("%d texts, widths and sizes checked", checked)
}

// FuzzTextLinesAsBefore is TestTextLinesAsBefore on the fuzzer's texts.
func FuzzTextLinesAsBefore(f *testing.F) {
	for _, s := range []string{"", "张三（户籍中无此人）", "1. 个人医疗自付费用较大（MED-OOP-UNCOVERED）\n2. x", "a-b/c d", "\r\n\n"} {
		f.Add(s, 26.0)
	}
	f.Fuzz(func(t *testing.T, text string, w float64) {
		if w != w || w < 0 || w > 1000 {
			return
		}
		if got, want := textLines(text, w, bodySize), textLinesBefore(text, w, bodySize); got != want {
			t.Errorf("textLines(%q, %v) = %d, was %d", text, w, got, want)
		}
	})
}

// TestNoLineMarks checks the switches against the strings they stand for.
func TestNoLineMarks(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		if got, want := noLineStartRune(r), strings.ContainsRune(noLineStart, r); got != want {
			t.Errorf("noLineStartRune(%q) = %v, want %v", r, got, want)
		}
		if got, want := noLineEndRune(r), strings.ContainsRune(noLineEnd, r); got != want {
			t.Errorf("noLineEndRune(%q) = %v, want %v", r, got, want)
		}
	}
}
