package xlsx

import (
	"strings"
	"unicode/utf8"
)

// builtinDate reports whether a built-in number format (one a workbook
// names by id without defining it) shows a date or a time of day.
//
// The ids are those of ECMA-376 Part 1, 18.8.30 (numFmt): 14–22 are the
// date and time formats every locale has (14 m/d/yyyy, 15 d-mmm-yy, 16
// d-mmm, 17 mmm-yy, 18 h:mm AM/PM, 19 h:mm:ss AM/PM, 20 h:mm, 21 h:mm:ss,
// 22 m/d/yy h:mm), 45 mm:ss and 47 mmss.0 are times; 27–36 and 50–58 are
// the formats the standard reserves for East Asian locales, which in zh-CN
// Excel and WPS are dates and times (27 yyyy"年"m"月", 28 m"月"d"日", 30
// m-d-yy, 31 yyyy"年"m"月"d"日", 32 h"时"mm"分", 33 h"时"mm"分"ss"秒", 34
// and 35 上午/下午h"时"mm"分"..., 36 and 50–58 repeat them), and so in
// zh-TW, ja-JP and ko-KR. 46 ([h]:mm:ss) is an elapsed time, a duration
// rather than a moment, and is not a date here: Excel shows 1.5 in it as
// 36:00:00, not as a day of 1900.
func builtinDate(id int) bool {
	switch {
	case id >= 14 && id <= 22, id >= 27 && id <= 36, id == 45, id == 47, id >= 50 && id <= 58:
		return true
	}
	return false
}

// isDateCode reports whether a number format code shows a number as a date
// or a time of day, as Excel and LibreOffice decide it: the first section
// (the one for positive numbers, which every date is) holds a date or time
// token (d, m, y, h or s, in either case) outside quoted text ("年"),
// backslash escapes (\d), the character after _ or * (padding and fill),
// and bracketed codes ([Red], [$-804], [DBNum1], [<=100]). A format with an
// elapsed-time token ([h], [mm], [ss]) is a duration, not a date. Number
// formats such as 0.00, #,##0, 0.00E+00, @ and General hold none of these
// letters.
func isDateCode(code string) bool {
	date := false
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			return date // only the first section
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return date
			}
			i += j + 1
		case '\\', '_', '*':
			i++ // the next character is literal
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return date
			}
			if elapsedToken(code[i+1 : i+1+j]) {
				return false
			}
			i += j + 1
		case 'd', 'D', 'm', 'M', 'y', 'Y', 'h', 'H', 's', 'S':
			date = true
		}
	}
	return date
}

// elapsedToken reports whether the text inside brackets is an elapsed-time
// token: one or more h, m or s, all the same letter.
func elapsedToken(t string) bool {
	if t == "" {
		return false
	}
	c := t[0] | 0x20
	if c != 'h' && c != 'm' && c != 's' {
		return false
	}
	for i := 1; i < len(t); i++ {
		if t[i]|0x20 != c {
			return false
		}
	}
	return true
}

// unitRunes are units of magnitude a number format may show after the
// number, as Chinese workbooks write amounts: 30 shown as 30.00万元 is
// 300,000 yuan. W is the Latin shorthand of 万.
const unitRunes = "万萬千仟亿億百佰Ww"

// hasUnit reports whether a number format code shows a unit of magnitude
// in the literal text of one of its sections ("万元", 0.0"千元", or a
// negative section's) while the stored number is in that unit. A section
// that scales the number itself for display (#,##0,"千": a comma after the
// last digit placeholder divides by 1,000) stores yuan and shows thousands:
// the stored number is not in the unit.
func hasUnit(code string) bool {
	for _, sec := range formatSections(code) {
		lit, digits := splitLiterals(sec)
		if !strings.ContainsAny(lit, unitRunes) {
			continue
		}
		if !scalingComma(digits) {
			return true
		}
	}
	return false
}

// zeroPad returns the width of a format whose number part is zeros only
// ("000000"), which shows a number with leading zeros, and the literal
// text shown before it ("340799"0000000000): what a department does to
// keep an identifier's zeros in a number cell. Width 0 for any other format.
func zeroPad(code string) (prefix string, width int) {
	sec := formatSections(code)[0]
	var lit strings.Builder
	i := 0
	for i < len(sec) {
		switch c := sec[i]; {
		case c == '"':
			j := strings.IndexByte(sec[i+1:], '"')
			if j < 0 {
				return "", 0
			}
			lit.WriteString(sec[i+1 : i+1+j])
			i += j + 2
		case c == '\\' && i+1 < len(sec):
			_, size := utf8.DecodeRuneInString(sec[i+1:])
			lit.WriteString(sec[i+1 : i+1+size])
			i += 1 + size
		default:
			rest := sec[i:]
			if len(rest) < 2 || strings.Trim(rest, "0") != "" {
				return "", 0
			}
			return lit.String(), len(rest)
		}
	}
	return "", 0
}

// formatSections splits a format code into its sections (positive;
// negative; zero; text), ignoring semicolons inside quotes.
func formatSections(code string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			quoted = !quoted
		case '\\':
			i++
		case ';':
			if !quoted {
				out = append(out, code[start:i])
				start = i + 1
			}
		}
	}
	return append(out, code[start:])
}

// splitLiterals separates a section's literal text (quoted, escaped with a
// backslash, or a CJK character written as it is) from the rest; text in
// [brackets] (colours, conditions, locales) is dropped.
func splitLiterals(sec string) (lit, rest string) {
	var l, r strings.Builder
	for i := 0; i < len(sec); {
		c := sec[i]
		switch {
		case c == '"':
			j := strings.IndexByte(sec[i+1:], '"')
			if j < 0 {
				l.WriteString(sec[i+1:])
				return l.String(), r.String()
			}
			l.WriteString(sec[i+1 : i+1+j])
			i += j + 2
		case c == '\\' && i+1 < len(sec):
			_, size := utf8.DecodeRuneInString(sec[i+1:])
			l.WriteString(sec[i+1 : i+1+size])
			i += 1 + size
		case c == '[':
			j := strings.IndexByte(sec[i:], ']')
			if j < 0 {
				return l.String(), r.String()
			}
			i += j + 1
		case c >= utf8.RuneSelf:
			_, size := utf8.DecodeRuneInString(sec[i:])
			l.WriteString(sec[i : i+size])
			i += size
		default:
			r.WriteByte(c)
			i++
		}
	}
	return l.String(), r.String()
}

// scalingComma reports a comma right after the last digit placeholder
// (#,##0, or 0.0,): Excel then shows the number divided by 1,000.
func scalingComma(digits string) bool {
	last := strings.LastIndexAny(digits, "0#?")
	return last >= 0 && last+1 < len(digits) && digits[last+1] == ','
}
