package dataset

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"2026-03-05", "2026/3/5", "2026.3.5", "2026年3月5日", "20260305", "46086", "46086.5", "2026-03-05 14:30:00",
		"2026-08-29T16:00:00.000+0000", "2026-08-29 16:00:00+08", "2026-08-29T16:00:00Z", "2026-08-29T16:00:00+08:00[Asia/Shanghai]",
		"2026-08-29 16:00:00 +0800 CST", "2026/3/5 下午 2:30", "2026年3月5日 14时30分", "20260305143000", "202603051430",
		"9999-12-31", "0000-00-00", "1788969600000", "1788969600", "2026年2月30日", "1.0E+5", "\x002026-03-05\x00", "-5", "T", " ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("ParseDate(%q) = %v: not a UTC midnight", s, d)
		}
		if d.Year() < minYear || d.Year() > maxYear {
			t.Fatalf("ParseDate(%q) = %v: outside %d..%d", s, d, minYear, maxYear)
		}
		if again, err := ParseDate(d.Format(time.DateOnly)); err != nil || !again.Equal(d) {
			t.Fatalf("ParseDate(%q) = %v, but its own form reads %v, %v", s, d, again, err)
		}
	})
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1,234.50元", "￥856", "RMB 1234.5", "-20.00", "3.456", "1,000,000", "12,34.5", "1234.5000000000002", "元", "", "1e5", "--5", "9999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseMoney(s)
		if err != nil {
			return
		}
		sign := ""
		a := fen
		if a < 0 {
			sign, a = "-", -a
		}
		plain := fmt.Sprintf("%s%d.%02d", sign, a/100, a%100)
		if again, err := ParseMoney(plain); err != nil || again != fen {
			t.Fatalf("ParseMoney(%q) = %d, but %q reads %d, %v", s, fen, plain, again, err)
		}
	})
}

// fuzzSep separates the cells of a fuzzed row.
const fuzzSep = "\x1e"

func FuzzMapRow(f *testing.F) {
	seeds := []struct {
		dataset int
		row     string
		kinds   []byte
	}{
		{0, strings.Join([]string{"340799196005010116", "王测一", "男", "1960-05-01", "3407990010010001", "户主", "340799001", "340799001001", "示例县\n测试路", "正常", ""}, fuzzSep), nil},
		{0, strings.Join([]string{"'340799196005010116", "王\x00测一", "女", "46086", "3407990010010001\x00\x00", "配偶", "340799001.0", "", "", "死亡", "2026-08-29T16:00:00.000+0000"}, fuzzSep), []byte{0, 0, 0, 2, 1, 0, 1}},
		{1, strings.Join([]string{"#N/A", "12,000.00", "2.0", "2026-03-01"}, fuzzSep), []byte{3, 1, 1, 2}},
		{1, strings.Join([]string{"3407990010010000", "1234.5000000000002", "", ""}, fuzzSep), []byte{1, 1, 5, 5}},
		{2, strings.Join([]string{"34079919700909055×", "NULL", "农村低保", "2024-01-01", "长期", "600"}, fuzzSep), nil},
		{3, strings.Join([]string{"YB0101", "340799198507150337", "2026-06-10", "省立医院\ufffd", "80,000.00", "40,000.00", "10,000.00", "0", "30,000.00"}, fuzzSep), nil},
		{4, strings.Join([]string{"340799197506060677", "3.40799E+19", "4", "1", "1788969600000", "有效"}, fuzzSep), []byte{0, 0, 1, 1, 0}},
		{5, strings.Join([]string{"\t340799196005010116\t", "失业登记", "99991231"}, fuzzSep), nil},
		{6, strings.Join([]string{`="340799197506060677"`, "3407990020010002", "皖怀渔(2010)0001号", "2021-01-01", "未安置", "1.0"}, fuzzSep), []byte{0, 0, 0, 0, 0, 1}},
	}
	for _, s := range seeds {
		f.Add(uint8(s.dataset), s.row, s.kinds)
	}
	type target struct {
		m   *Mapper
		out []any
	}
	var targets []target
	for _, ds := range []string{"registry", "households", "assistance", "medical", "disability", "employment", "fishers"} {
		d, _ := Lookup(ds)
		cols := map[string]string{}
		for _, fd := range d.Fields {
			cols[fd.Name] = fd.Name
		}
		formats := map[string]string{}
		if ds == "disability" {
			formats["issued_date"] = FormatEpochMillis
		}
		m, err := NewMapper(d, d.FieldNames(), Mapping{Columns: cols, Formats: formats})
		if err != nil {
			f.Fatal(err)
		}
		targets = append(targets, target{m, make([]any, len(d.Fields))})
	}
	f.Fuzz(func(t *testing.T, which uint8, row string, kindBytes []byte) {
		tg := targets[int(which)%len(targets)]
		values := strings.Split(row, fuzzSep)
		var kinds []connectors.CellKind
		if kindBytes != nil {
			kinds = make([]connectors.CellKind, len(kindBytes))
			for i, b := range kindBytes {
				kinds[i] = connectors.CellKind(b%7) | connectors.CellKind(b)&(connectors.KindFilled|connectors.KindScaled) // every base kind, with the flags
			}
		}
		key, p := tg.m.MapRow(values, kinds, tg.out)
		if p != nil {
			if p.Code == "" || p.Reason == "" || !utf8.ValidString(p.Reason) {
				t.Fatalf("problem without code or reason: %#v", p)
			}
			if fd, ok := tg.m.Dataset().Field(p.Field); ok && fd.Type == ID {
				for _, v := range values {
					if n := idnum.Normalize(v); len(n) >= 15 && strings.Contains(p.Reason, n) {
						t.Fatalf("reason quotes an ID: %s", p.Reason)
					}
				}
			}
			return
		}
		for i, fd := range tg.m.Dataset().Fields {
			switch v := tg.out[i].(type) {
			case string:
				checkLoaded(t, fd, v)
			case nil, int64, bool:
			case time.Time:
				if v.Year() < minYear || v.Year() > maxYear {
					t.Fatalf("%s = %v", fd.Name, v)
				}
			default:
				t.Fatalf("%s = %#v: unexpected type", fd.Name, v)
			}
		}
		for _, part := range strings.Split(key, "\x1f") {
			checkClean(t, "key", part)
		}
	})
}

// checkLoaded asserts what every loaded string value is.
func checkLoaded(t *testing.T, fd Field, v string) {
	t.Helper()
	checkClean(t, fd.Name, v)
	if v == "" {
		t.Fatalf("%s loaded as an empty string, not nil", fd.Name)
	}
	switch fd.Type {
	case ID:
		if len(v) != 18 || !idnum.Valid(v) || v != idnum.Normalize(v) {
			t.Fatalf("%s = %q: not a canonical ID", fd.Name, v)
		}
	case Code:
		if !allDigits(v) {
			t.Fatalf("%s = %q: not digits", fd.Name, v)
		}
	case Enum:
		if !contains(fd.Values, v) {
			t.Fatalf("%s = %q: not one of %v", fd.Name, v, fd.Values)
		}
	}
	if fd.Identifier && (isScientific(v) || excelErrorOK(v)) {
		t.Fatalf("%s = %q: a damaged identifier loaded", fd.Name, v)
	}
}

func excelErrorOK(s string) bool { _, _, ok := excelError(s); return ok }

// checkClean asserts a value holds no control character, no U+FFFD, no
// invalid UTF-8 and no padding at its ends.
func checkClean(t *testing.T, what, v string) {
	t.Helper()
	if !utf8.ValidString(v) {
		t.Fatalf("%s = %q: invalid UTF-8", what, v)
	}
	for _, r := range v {
		if isControl(r) || r == utf8.RuneError || invisible(r) {
			t.Fatalf("%s = %q holds %U", what, v, r)
		}
	}
	if trimSpace(v) != v {
		t.Fatalf("%s = %q: padded", what, v)
	}
}
