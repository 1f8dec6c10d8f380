package xlsx

import "strings"

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

// unitWords are units a number format may show after the number, as
// Chinese workbooks write amounts: 30 shown as 30.00万元 is 300,000 yuan.
var unitWords = []string{"万", "千", "亿", "百"}

// hasUnit reports whether a number format code shows a unit of magnitude
// in its literal text ("万元", 0.0"千元").
func hasUnit(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	for _, u := range unitWords {
		if strings.Contains(code, u) {
			return true
		}
	}
	return false
}

// zeroPad returns the width of a format made of zeros only ("000000"),
// which shows a number with leading zeros: what a department does to keep
// an identifier's zeros in a number cell. 0 for any other format.
func zeroPad(code string) int {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	if len(code) < 2 || strings.Trim(code, "0") != "" {
		return 0
	}
	return len(code)
}
