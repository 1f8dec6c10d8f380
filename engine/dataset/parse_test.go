package dataset

import (
	"testing"
)

func TestParseMoney(t *testing.T) {
	ok := map[string]int64{
		"1,234.50元": 123450, "1234.5": 123450, "￥856.00": 85600, "¥ 12": 1200, "0": 0,
		"-20.00": -2000, "3.456": 346, "3.454": 345, "1,000,000": 100000000, "12.3元": 1230,
		"￥-5": -500, "-￥5": -500, "12,345.6元 ": 1234560, "RMB 12": 1200,
	}
	for in, want := range ok {
		got, err := ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "元", "abc", "1.2.3", "12,34.5.6", "--5", "1e5", "3元5", "12,34,5", "1234,567", "5￥", ",5", "1,23"} {
		if _, err := ParseMoney(in); err == nil {
			t.Errorf("ParseMoney(%q) accepted", in)
		}
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"3": 3, "3人": 3, " 4 ": 4, "5.0": 5, "2口": 2} {
		if got, err := ParseInt(in); err != nil || got != want {
			t.Errorf("ParseInt(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseInt("three"); err == nil {
		t.Error("ParseInt accepted text")
	}
}

func TestNormalizeText(t *testing.T) {
	for in, want := range map[string]string{"　男　": "男", "ＡＢ１２": "AB12", " x ": "x", "有效": "有效"} {
		if got := normalizeText(in); got != want {
			t.Errorf("normalizeText(%q) = %q, want %q", in, got, want)
		}
	}
}
