package dataset

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	ok := []struct {
		in   string
		want time.Time
	}{
		{"2026-03-05", d(2026, 3, 5)},
		{"2026-3-5", d(2026, 3, 5)},
		{"2026/3/5", d(2026, 3, 5)},
		{"2026.03.05", d(2026, 3, 5)},
		{"2026年3月5日", d(2026, 3, 5)},
		{"2026年03月05日", d(2026, 3, 5)},
		{"20260305", d(2026, 3, 5)},
		{"46086", d(2026, 3, 5)},   // Excel serial
		{"46086.5", d(2026, 3, 5)}, // Excel date-time serial
		{"2026-03-05 14:30:00", d(2026, 3, 5)},
		{"2026-03-05T14:30:00", d(2026, 3, 5)},
		{" 2024年2月29日 ", d(2024, 2, 29)},
		{"2026-03-04T16:30:00Z", d(2026, 3, 5)},      // an instant: dated in China (UTC+8)
		{"2026-03-05T07:59:00+08:00", d(2026, 3, 5)}, // already local
		{"2026-03-05T10:00:00", d(2026, 3, 5)},       // no zone: taken as written
	}
	for _, c := range ok {
		got, err := ParseDate(c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []struct {
		in   string
		want error
	}{
		{"2026年2月30日", errDateImpossible},
		{"20261301", errDateImpossible},
		{"2025/4/31", errDateImpossible},
		{"2023-02-29", errDateImpossible},
		{"1899-12-31", errDateImpossible},
		{"99999", errDateImpossible},
		{"03/05/2026", errDateShape},
		{"yesterday", errDateShape},
		{"2026", errDateShape},
		{"2026-03", errDateShape},
		{"2026-03-05-01", errDateShape},
		{"123", errDateShape},
		{"2026年3月5日x", errDateShape},
	}
	for _, c := range bad {
		if _, err := ParseDate(c.in); !errors.Is(err, c.want) {
			t.Errorf("ParseDate(%q) error %v, want %v", c.in, err, c.want)
		}
	}
}

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

func TestTrimSpace(t *testing.T) {
	for in, want := range map[string]string{
		" a ": "a", "\u3000名\u3000": "名", "\u00a0x\u00a0": "x", "\t\r\n": "", "元 ": "元", "": "", "a b": "a b",
	} {
		if got := trimSpace(in); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", in, got, want)
		}
	}
}
