package httpapi

import "testing"

func TestAppendPlainNumber(t *testing.T) {
	tests := map[string]string{
		"0":                   "0",
		"-12":                 "-12",
		"1.50":                "1.50",
		"340799199001011234":  "340799199001011234",
		"1e3":                 "1000",
		"1.5e3":               "1500",
		"1.5E+3":              "1500",
		"1.2345e2":            "123.45",
		"-2E-3":               "-0.002",
		"1.5e-1":              "0.15",
		"0.5e1":               "5",
		"0e5":                 "0",
		"3.4079919491231E+17": "340799194912310000",
		"1.23e1":              "12.3",
	}
	for in, want := range tests {
		if got := string(appendPlainNumber(nil, []byte(in))); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

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
