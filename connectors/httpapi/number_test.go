package httpapi

import "testing"

func TestAppendUnquoted(t *testing.T) {
	tests := map[string]string{
		`plain`:        "plain",
		`a\"b\\c\/d`:   `a"b\c/d`,
		`\b\f\n\r\t`:   "\b\f\n\r\t",
		`\u5f20\u4E09`: "张三",
		`\ud83d\ude00`: "😀",
		`\ud83d x`:     "\uFFFD x",
		`\ude00`:       "\uFFFD",
	}
	for in, want := range tests {
		if got := string(appendUnquoted(nil, []byte(in))); got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
}
