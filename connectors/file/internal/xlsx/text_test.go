package xlsx

import (
	"strings"
	"testing"
)

func TestDecodeEscapes(t *testing.T) {
	tests := map[string]string{
		"plain":                  "plain",
		"a_x000D_b":              "a\rb",
		"line_x000D__x000A_next": "line\r\nnext",
		"tab_x0009_":             "tab\t",
		"lower_x000d_":           "lower\r",
		"_x005F_x000D_":          "_x000D_", // an escaped underscore keeps the text literal
		"_x4E2D_":                "中",
		"_xD83D__xDE00_":         "😀",
		"_xD83D_alone":           "\uFFFDalone",
		"_xDE00_":                "\uFFFD",
		"_x12_":                  "_x12_",
		"_xGGGG_":                "_xGGGG_",
		"_x":                     "_x",
		"a_x_x0041_":             "a_xA",
	}
	for in, want := range tests {
		if got := decodeEscapes(in); got != want {
			t.Errorf("decodeEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRunText(t *testing.T) {
	tests := []struct {
		raw      string
		preserve bool
		want     string
	}{
		{" 张三 ", true, " 张三 "},
		{" 张三 ", false, "张三"},
		{"\n\t张 三\r\n", false, "张 三"},
		{" ", false, " "}, // a run of spaces alone is kept
		{"", false, ""},
		{"\u3000张三\u3000", false, "\u3000张三\u3000"}, // not XML white space
	}
	for _, tt := range tests {
		if got := string(runText([]byte(tt.raw), tt.preserve)); got != tt.want {
			t.Errorf("runText(%q, %v) = %q, want %q", tt.raw, tt.preserve, got, tt.want)
		}
	}
}

func TestTextLen(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"abc", 3},
		{strings.Repeat("a", MaxCellChars+1), MaxCellChars + 1},
		{strings.Repeat("中", MaxCellChars), MaxCellChars},
		{strings.Repeat("😀", MaxCellChars/2+1), MaxCellChars + 1}, // two UTF-16 units each
	}
	for _, tt := range tests {
		if got := textLen(tt.s); (got > MaxCellChars) != (tt.want > MaxCellChars) || (len(tt.s) > MaxCellChars && got != tt.want) {
			t.Errorf("textLen(%d bytes) = %d, want %d", len(tt.s), got, tt.want)
		}
	}
}
