package dispatch

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Fitting rows to their text. A list sets every row's height itself:
// Excel and WPS grow a row for wrapped text only when it is edited, and
// LibreOffice keeps the height the file gives, so a row too low for its
// text prints with its last lines cut off (a rule's id, the end of a
// reason). The height is estimated from the text, the column's width and
// the font size, erring on the side of a line too many: a row a little
// too high costs some paper, one too low hides a hit.
//
// The narrowest case of each measure is taken, whichever program it is
// from. Widths: Excel counts a column's width in digits of the workbook's
// default font (Calibri 11: 7 pixels, 5.25 pt); LibreOffice without
// Calibri or Carlito counts in DejaVu Sans digits (7 pt), which leaves the
// text more room. Glyphs: 宋体's CJK characters are one em wide, its Latin
// letters half an em; LibreOffice's substitute (Noto Sans CJK, or DejaVu
// Sans for Latin) has Latin letters up to three quarters of an em and
// lines 1.45 em high, against 宋体's 1.3.

// Font sizes of a list, in points.
const (
	bodySize  = 11 // every cell but the title and the note
	noteSize  = 10
	titleSize = 16
)

const (
	// columnUnit is one unit of column width, in points (Excel's).
	columnUnit = 5.25
	// cellMargin is the part of a cell's width its text cannot use, in
	// points: Excel's margins and gridline take 5 pixels (3.75 pt).
	cellMargin = 5
	// lineSpacing is the height of a line of text, in ems.
	lineSpacing = 1.45
	// rowPadding is a row's room above and below its lines, in points.
	rowPadding = 4
	// boldWidth is how much wider bold text is: 宋体 has no bold face, and
	// the emboldening Excel and WPS make up adds a pixel to every glyph.
	boldWidth = 1.08
)

// lineHeight is the height in points of one line of 11-point text, rounded
// up (11 × 1.45 = 15.95).
const lineHeight = 16

// maxRowHeight is the tallest row Excel allows, in points.
const maxRowHeight = 409

// wrappedLines estimates the lines text takes in a column of width
// characters at the body font's size.
func wrappedLines(text string, width float64) int {
	return textLines(text, width, bodySize)
}

// textHeight is the height in points of a row that shows text wrapped in
// a column (or merged columns) of width characters at size points.
func textHeight(text string, width, size float64) float64 {
	return linesHeight(textLines(text, width, size), size)
}

// linesHeight is the height in points of a row of lines at size points,
// capped at Excel's highest: past that the row shows what fits and its
// cell is still whole (a very long address).
func linesHeight(lines int, size float64) float64 {
	h := math.Ceil(float64(max(lines, 1))*size*lineSpacing + rowPadding)
	return min(h, maxRowHeight)
}

// textLines estimates the lines text takes when wrapped in a column of
// width characters at size points. Explicit line breaks count; a line
// breaks where Excel and LibreOffice may break it (after a space or a
// hyphen, between CJK characters, but never before a closing mark such as
// ，or ）nor after an opening one such as （), and a word wider than the
// whole column is broken anywhere.
//
// It runs for every wrapped cell of every list row, so it makes no
// garbage: a line is walked once, a rune's width looked up once.
func textLines(text string, width, size float64) int {
	avail := max(width*columnUnit-cellMargin, size) // at least a character a line
	n := 0
	for {
		line, rest, more := strings.Cut(text, "\n")
		n += wrapLine(strings.TrimSuffix(line, "\r"), avail, size)
		if !more {
			return n
		}
		text = rest
	}
}

// wrapLine is the lines one line of text takes in avail points: the line
// is cut into the pieces a line break cannot split (see canBreak), and a
// piece that does not fit where the line is starts a new one.
func wrapLine(line string, avail, size float64) int {
	lines, x := 1, 0.0
	// place puts the piece line[from:to], w ems wide, on the lines.
	place := func(from, to int, w float64) {
		w *= size
		if x > 0 && x+w > avail {
			lines++
			x = 0
		}
		if w <= avail {
			x += w
			return
		}
		for _, r := range line[from:to] { // wider than a line: broken anywhere
			rw, _ := runeClass(r)
			rw *= size
			if x > 0 && x+rw > avail {
				lines++
				x = 0
			}
			x += rw
		}
	}
	start, w := 0, 0.0
	prev, prevWide := rune(-1), false
	for i, r := range line {
		rw, rWide := runeClass(r)
		if prev >= 0 && canBreak(prev, prevWide, r, rWide) {
			place(start, i, w)
			start, w = i, 0
		}
		w += rw
		prev, prevWide = r, rWide
	}
	if start < len(line) {
		place(start, len(line), w)
	}
	return lines
}

// canBreak reports whether a line may break between prev and next, each
// given with whether it is a CJK (wide or full-width) character.
func canBreak(prev rune, prevWide bool, next rune, nextWide bool) bool {
	switch {
	case noLineStartRune(next) || noLineEndRune(prev):
		return false
	case next == ' ':
		return false // a space ends the word before it
	case prev == ' ' || prev == '-' || prev == '/':
		return true
	default:
		return prevWide || nextWide
	}
}

// Marks a line may not start with, and marks it may not end with.
const (
	noLineStart = "，。、；：？！）》」』】〕〉”’…—·％,.;:?!)]}%"
	noLineEnd   = "（《「『【〔〈“‘([{"
)

// noLineStartRune and noLineEndRune report the marks of noLineStart and
// noLineEnd: a switch, which is faster than a map for the runes of every
// wrapped cell (TestNoLineMarks keeps them the same as the strings).
func noLineStartRune(r rune) bool {
	switch r {
	case '，', '。', '、', '；', '：', '？', '！', '）', '》', '」', '』', '】', '〕', '〉', '”', '’', '…', '—', '·', '％',
		',', '.', ';', ':', '?', '!', ')', ']', '}', '%':
		return true
	}
	return false
}

func noLineEndRune(r rune) bool {
	switch r {
	case '（', '《', '「', '『', '【', '〔', '〈', '“', '‘', '(', '[', '{':
		return true
	}
	return false
}

// runeClass is the width of r in ems, the widest of 宋体's and of
// LibreOffice's substitutes', and whether r is a CJK (wide or full-width)
// character. A CJK character is an em (two Latin widths), and so is a
// character East Asian fonts draw full width (“ ” × ①). ASCII, all
// narrow, is told without looking its East Asian width up.
func runeClass(r rune) (ems float64, isWide bool) {
	if r >= utf8.RuneSelf {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			return 1, true
		case width.EastAsianAmbiguous:
			return 1, false
		}
	}
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.IsControl(r):
		return 0, false
	case strings.ContainsRune("MWmw@", r):
		return 1, false
	case unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("#$%&", r):
		return 0.72, false
	case strings.ContainsRune(" ijlI.,:;'!|", r):
		return 0.34, false
	default:
		return 0.62, false
	}
}
