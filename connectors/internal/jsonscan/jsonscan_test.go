package jsonscan

import "testing"

func TestPlainNumber(t *testing.T) {
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
		if got := PlainNumber(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestValueEnd(t *testing.T) {
	data := []byte(`  {"a": "x\"}", "b": [1, {"c": "]"}], "n": -1.5e3}, 7`)
	i := SkipSpace(data, 0)
	end := ValueEnd(data, i)
	if string(data[i:end]) != `{"a": "x\"}", "b": [1, {"c": "]"}], "n": -1.5e3}` {
		t.Errorf("object: %q", data[i:end])
	}
	if j := SkipSpace(data, end+1); string(data[j:ValueEnd(data, j)]) != "7" {
		t.Errorf("number after it")
	}
	if s := []byte(`"a\\"`); StringEnd(s, 0) != len(s) {
		t.Errorf("a string ending in an escaped backslash")
	}
}
