package dataset

import (
	"strings"
	"testing"
	"time"
)

// TestTextValues: text as it arrives (padding, control characters,
// encoding damage, text-protection marks, null markers) through a mapper.
func TestTextValues(t *testing.T) {
	ok := func(v string) []cell { // a registry row with one cell replaced later
		return []cell{txt(idA), txt("王测一"), txt("3407990010010001"), txt("340799001"), txt("340799001001"), txt("示例县测试路1号"), txt("1960-05-01")}
	}
	with := func(i int, v string) []cell {
		r := ok("")
		r[i] = txt(v)
		return r
	}
	cases := []struct {
		name string
		row  []cell
		want []want
		code string
		col  string
		has  string
	}{
		// 4. Text-protection marks.
		{name: "apostrophe on an ID", row: with(0, "'"+idA), want: []want{{"id_number", idA}}},
		{name: "formula-text wrapper on an ID", row: with(0, `="`+idA+`"`), want: []want{{"id_number", idA}}},
		{name: "formula-text wrapper on 户号", row: with(2, `="3407990010010001"`), want: []want{{"household_id", "3407990010010001"}}},
		{name: "formula-text wrapper on a name", row: with(1, `="王测一"`), want: []want{{"name", "王测一"}}},
		{name: "apostrophe on a code", row: with(3, "'340799001"), want: []want{{"township_code", "340799001"}}},
		{name: "apostrophe on a date", row: with(6, "'1960-05-01"), want: []want{{"birth_date", day(1960, 5, 1)}}},
		{name: "leading tab on an ID", row: with(0, "\t"+idA), want: []want{{"id_number", idA}}},
		{name: "trailing tab on an ID", row: with(0, idA+"\t"), want: []want{{"id_number", idA}}},
		{name: "× for the check character X", row: with(0, "34079919700909055×"), want: []want{{"id_number", "34079919700909055X"}}},
		{name: "full-width Ｘ", row: with(0, "34079919700909055Ｘ"), want: []want{{"id_number", "34079919700909055X"}}},
		{name: "lower-case x", row: with(0, "34079919700909055x"), want: []want{{"id_number", "34079919700909055X"}}},
		{name: "apostrophe kept in a name", row: with(1, "'王测一"), want: []want{{"name", "'王测一"}}},
		// 5. Control characters.
		{name: "NUL-padded 户号", row: with(2, "3407990010010001\x00\x00\x00\x00"), want: []want{{"household_id", "3407990010010001"}}},
		{name: "NUL-padded ID", row: with(0, idA+"\x00\x00"), want: []want{{"id_number", idA}}},
		{name: "BOM and zero-width on an ID", row: with(0, "\ufeff"+idA+"\u200b"), want: []want{{"id_number", idA}}},
		{name: "NBSP and U+3000 padding on a code", row: with(3, "\u00a0340799001\u3000"), want: []want{{"township_code", "340799001"}}},
		{name: "Alt+Enter in an address", row: with(5, "示例县\n测试路1号"), want: []want{{"address", "示例县 测试路1号"}}},
		{name: "controls removed from a name", row: with(1, "王\x00测一\x1b"), want: []want{{"name", "王测一"}}},
		{name: "NUL inside 户号", row: with(2, "34079900\x0010010001"), code: ControlChar, col: "户号", has: "a control character (U+0000) inside the value"},
		{name: "line break inside 户号", row: with(2, "34079900\n10010001"), code: ControlChar, col: "户号", has: "U+000A"},
		{name: "NUL inside an ID", row: with(0, "340799196\x00005010116"), code: ControlChar, col: "公民身份号码"},
		{name: "escape inside a code", row: with(3, "340799\x1b001"), code: ControlChar, col: "乡镇街道代码"},
		{name: "NUL inside a date", row: with(6, "1960-05\x00-01"), code: ControlChar, col: "出生日期"},
		// 6. Encoding damage.
		{name: "U+FFFD in a name", row: with(1, "王\ufffd一"), code: BadEncoding, col: "姓名", has: "U+FFFD"},
		{name: "U+FFFD at the end of an address", row: with(5, "示例县测试路\ufffd"), code: BadEncoding, col: "住址", has: "cut in half"},
		{name: "invalid UTF-8 in a name", row: with(1, "\xcd\xf5\xb2\xe2"), code: BadEncoding, col: "姓名", has: "mixes encodings"},
		{name: "U+FFFD in 户号", row: with(2, "340799001001000\ufffd"), code: BadEncoding, col: "户号"},
		// Null markers of database exports.
		{name: "NULL in a required 户号", row: with(2, "NULL"), code: MissingRequired, col: "户号"},
		{name: `\N in an optional code`, row: with(4, `\N`), want: []want{{"village_code", nil}}},
		{name: "NULL in an optional address", row: with(5, "NULL"), want: []want{{"address", nil}}},
		{name: "zero date in an optional date", row: with(6, "0000-00-00"), want: []want{{"birth_date", nil}}},
		{name: "zero date-time", row: with(6, "0000-00-00 00:00:00"), want: []want{{"birth_date", nil}}},
		{name: "a name None is kept", row: with(1, "None"), want: []want{{"name", "None"}}},
		// Placeholders for "none" in identifier and code columns.
		{name: "无 as a required 户号", row: with(2, "无"), code: MissingRequired, col: "户号", has: "a mark for none"},
		{name: "a dash as a required 户号", row: with(2, "-"), code: MissingRequired, col: "户号"},
		{name: "an em dash as 户号", row: with(2, "——"), code: MissingRequired, col: "户号"},
		{name: "zeros as 户号", row: with(2, "0000000000000000"), code: MissingRequired, col: "户号"},
		{name: "a slash as an optional code", row: with(4, "/"), want: []want{{"village_code", nil}}},
		{name: "不详 as an optional code", row: with(4, "不详"), want: []want{{"village_code", nil}}},
		{name: "a dash in free text is kept", row: with(5, "-"), want: []want{{"address", "-"}}},
		// Years before 1900 (the standard's own sample ID was born in 1880).
		{name: "a birth date in 1880", row: with(6, "1880-01-01"), want: []want{{"birth_date", day(1880, 1, 1)}}},
	}
	m := registrySrc.mapper(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantMapped(t, m, c.row, txt(""), c.want, c.code, c.col, c.has)
		})
	}
}

// TestOpenEndDates: "no end" in an end-date field, and only there.
func TestOpenEndDates(t *testing.T) {
	m := assistanceSrc.mapper(t)
	row := func(start, end string) []cell {
		return []cell{txt(idA), txt("3407990010010001"), txt("农村低保"), txt(start), txt(end), txt("600")}
	}
	for _, end := range []string{"9999-12-31", "9999/12/31", "99991231", "9999-12-31 00:00:00", "9999-12-31T23:59:59+08:00",
		"2099-12-31", "2099-01-01", "2100-12-31", "3000-01-01", "长期", "长期有效", "永久", "永久有效", "无固定期限", "无期限", "至今", "终身", "无", "", "NULL"} {
		t.Run("open "+end, func(t *testing.T) {
			got, key, p := mapCells(m, row("2024-01-01", end), txt(""))
			if p != nil {
				t.Fatalf("quarantined: %s", p.Reason)
			}
			if got["end_date"] != nil {
				t.Errorf("end_date = %v, want no end", got["end_date"])
			}
			// The same person and period with any open-end form is one row.
			if want := idA + "\x1fdibao\x1f2024-01-01\x1f"; key != want {
				t.Errorf("key %q, want %q", key, want)
			}
		})
	}
	t.Run("a 9999 date cell", func(t *testing.T) {
		r := row("2024-01-01", "")
		r[4] = cell{"9999-12-31", kDate}
		if got, _, p := mapCells(m, r, txt("")); p != nil || got["end_date"] != nil {
			t.Errorf("got %v, %v", got["end_date"], p)
		}
	})
	t.Run("epoch far future", func(t *testing.T) {
		src := assistanceSrc
		src.formats = map[string]string{"end_date": FormatEpochSeconds}
		if got, _, p := mapCells(src.mapper(t), row("2024-01-01", "253402214400"), txt("")); p != nil || got["end_date"] != nil {
			t.Errorf("got %v, %v", got["end_date"], p)
		}
	})
	for _, c := range []struct{ end, code string }{
		{"2098-12-31", ""},
		{"9999-13-01", ImpossibleDate},
		{"长期待定", BadDate},
	} {
		t.Run("closed "+c.end, func(t *testing.T) {
			got, _, p := mapCells(m, row("2024-01-01", c.end), txt(""))
			switch {
			case c.code == "" && (p != nil || got["end_date"] != day(2098, 12, 31)):
				t.Errorf("got %v, %v", got["end_date"], p)
			case c.code != "" && (p == nil || p.Code != c.code):
				t.Errorf("got %v, %v; want %s", got["end_date"], p, c.code)
			}
		})
	}
	// Elsewhere 9999-12-31 is not a date.
	for _, start := range []string{"9999-12-31", "长期"} {
		t.Run("start "+start, func(t *testing.T) {
			_, _, p := mapCells(m, row(start, ""), txt(""))
			if p == nil || p.Field != "start_date" || (p.Code != ImpossibleDate && p.Code != BadDate) {
				t.Errorf("start date %q: %v", start, p)
			}
		})
	}
}

// TestEpochFormats: Unix times are read only where the source says so.
func TestEpochFormats(t *testing.T) {
	row := func(issued cell) []cell {
		return []cell{txt(idA), txt(""), txt("4"), txt("1"), issued, txt("有效")}
	}
	cases := []struct {
		name    string
		formats map[string]string
		issued  cell
		want    time.Time
		has     string // a quarantine reason's part
	}{
		{"milliseconds with the format", map[string]string{"issued_date": FormatEpochMillis}, txt("1788969600000"), day(2026, 9, 10), ""},
		{"milliseconds as a JSON number with a fraction", map[string]string{"issued_date": FormatEpochMillis}, cell{"1788969600000.0", kNumber}, day(2026, 9, 10), ""},
		{"seconds with the format", map[string]string{"issued_date": FormatEpochSeconds}, txt("1788969600"), day(2026, 9, 10), ""},
		{"a written date with the format", map[string]string{"issued_date": FormatEpochMillis}, txt("2026-08-29T16:00:00.000+0000"), day(2026, 8, 30), ""},
		{"seconds taken for milliseconds", map[string]string{"issued_date": FormatEpochMillis}, txt("1788969600"), time.Time{}, "would be a date in 1970: it looks like seconds; if the source sends seconds, set formats: {issued_date: epoch_s}"},
		{"milliseconds past 2100", map[string]string{"issued_date": FormatEpochMillis}, txt("9788969600000"), time.Time{}, "outside the years 1800 to 2100"},
		{"milliseconds without the format", nil, txt("1788969600000"), time.Time{}, "looks like a Unix time in milliseconds, not a date: if the source sends Unix times, set formats: {issued_date: epoch_ms} for it"},
		{"seconds without the format", nil, txt("1788969600"), time.Time{}, "set formats: {issued_date: epoch_s}"},
		{"an instant with +0000", nil, txt("2026-08-29T16:00:00.000+0000"), day(2026, 8, 30), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := disabilitySrc
			src.formats = c.formats
			got, _, p := mapCells(src.mapper(t), row(c.issued), txt(""))
			if c.has != "" {
				if p == nil || !strings.Contains(p.Reason, c.has) || p.Column != "fzrq" {
					t.Fatalf("got %v, %v; want a reason with %q", got["issued_date"], p, c.has)
				}
				return
			}
			if p != nil || !got["issued_date"].(time.Time).Equal(c.want) {
				t.Errorf("got %v, %v; want %v", got["issued_date"], p, c.want)
			}
		})
	}
}

func TestCheckFormat(t *testing.T) {
	ds, _ := Lookup("disability")
	if err := CheckFormat(ds, "issued_date", FormatEpochMillis); err != nil {
		t.Error(err)
	}
	for _, c := range []struct{ field, format, has string }{
		{"issued_date", "epoch_us", "one of epoch_s, epoch_ms"},
		{"level", "epoch_ms", "takes no format"},
		{"nope", "epoch_ms", "not a field"},
	} {
		if err := CheckFormat(ds, c.field, c.format); err == nil || !strings.Contains(err.Error(), c.has) {
			t.Errorf("CheckFormat(%s, %s) = %v, want %q", c.field, c.format, err, c.has)
		}
	}
}
