package xlsx

import "testing"

func TestBuiltinDate(t *testing.T) {
	dates := []int{14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58}
	isDate := map[int]bool{}
	for _, id := range dates {
		isDate[id] = true
	}
	for id := 0; id < 200; id++ {
		if got := builtinDate(id); got != isDate[id] {
			t.Errorf("builtinDate(%d) = %v, want %v", id, got, isDate[id])
		}
	}
}

// The date tokens are those Excel and LibreOffice take as dates or times;
// what is quoted, escaped, bracketed or padded is not a token.
func TestIsDateCode(t *testing.T) {
	tests := []struct {
		code string
		date bool
	}{
		{"yyyy-mm-dd", true},
		{"m/d/yyyy", true},
		{"d-mmm-yy", true},
		{`yyyy"年"m"月"d"日"`, true},
		{`yyyy"年"m"月"`, true},
		{`[DBNum1][$-804]yyyy"年"m"月"d"日"`, true},
		{`[$-804]yyyy/m/d`, true},
		{`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy`, true},
		{"YYYY/MM/DD", true},
		{"h:mm", true},
		{"h:mm AM/PM", true},
		{`上午/下午h"时"mm"分"`, true},
		{"mm:ss.0", true},
		{"yyyy-mm-dd;@", true},
		{"[Red]yyyy-mm-dd", true},
		{"[h]:mm:ss", false},
		{"[hh]:mm", false},
		{"[mm]:ss", false},
		{"[s]", false},
		{"General", false},
		{"0", false},
		{"0.00", false},
		{"#,##0", false},
		{"#,##0.00_);[Red](#,##0.00)", false},
		{"0.00E+00", false},
		{"##0.0E+0", false},
		{"@", false},
		{"0%", false},
		{`"day "0`, false},
		{`0.00"元"`, false},
		{`[$¥-804]#,##0.00`, false},
		{`\d0`, false},
		{"0_m", false},
		{"*d0", false},
		{"[Red]0.00", false},
		{`[<=9999999]###-####;(###) ###-####`, false},
		{`0;[Red]-0;yyyy`, false}, // a date token only in a later section
		{`"unclosed`, false},
		{`[unclosed`, false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := isDateCode(tt.code); got != tt.date {
				t.Errorf("isDateCode(%q) = %v, want %v", tt.code, got, tt.date)
			}
		})
	}
}
