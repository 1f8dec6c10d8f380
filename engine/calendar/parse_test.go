package calendar

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, src string) *Calendar {
	t.Helper()
	c, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// TestParseBad gives each problem a file can have its own small file and
// compares the whole error message, position included. Columns count from
// 1; a list entry "      - 2025-02-30" has its value at column 9.
func TestParseBad(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "not a date",
			src: `years:
  2025:
    source: test
    holidays:
      - 2025-02-30
`,
			want: `h.yaml:5:9: "2025-02-30" is not a date (want YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD for a range)`,
		},
		{
			name: "not a date in a range",
			src: `years:
  2025:
    source: test
    holidays:
      - 2025-01-28..2025-2-4
`,
			want: `h.yaml:5:9: "2025-2-4" is not a date (want YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD for a range)`,
		},
		{
			name: "slashes",
			src: `years:
  2025:
    source: test
    workdays: [2025/01/26]
`,
			want: `h.yaml:4:16: "2025/01/26" is not a date (want YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD for a range)`,
		},
		{
			name: "range backwards",
			src: `years:
  2025:
    source: test
    holidays:
      - 2025-02-04..2025-01-28
`,
			want: `h.yaml:5:9: range 2025-02-04..2025-01-28 ends before it starts`,
		},
		{
			name: "workday not a weekend day",
			src: `years:
  2025:
    source: test
    workdays:
      - 2025-10-10   # a Friday: meant 10-11
`,
			want: `h.yaml:5:9: workday 2025-10-10 is a Friday: only a Saturday or Sunday can be a make-up working day`,
		},
		{
			name: "workday range with a weekday",
			src: `years:
  2025:
    source: test
    workdays:
      - 2025-10-11..2025-10-14
`,
			want: `h.yaml:5:9: workday 2025-10-13 is a Monday: only a Saturday or Sunday can be a make-up working day`,
		},
		{
			name: "holiday also a workday",
			src: `years:
  2025:
    source: test
    holidays:
      - 2025-10-01..2025-10-08
    workdays:
      - 2025-09-28
      - 2025-10-04
`,
			want: `h.yaml:8:9: 2025-10-04 is listed as a workday and as a holiday (line 5)`,
		},
		{
			name: "date outside its year",
			src: `years:
  2025:
    source: test
    holidays:
      - 2026-01-01
`,
			want: `h.yaml:5:9: 2026-01-01 is outside year 2025 (list it under 2026)`,
		},
		{
			name: "range across the year end",
			src: `years:
  2025:
    source: test
    holidays:
      - 2025-12-31..2026-01-02
`,
			want: `h.yaml:5:9: 2026-01-02 is outside year 2025 (list it under 2026)`,
		},
		{
			name: "unknown key in a year",
			src: `years:
  2025:
    source: test
    holiday:
      - 2025-01-01
`,
			want: `h.yaml:4:5: unknown key "holiday" (known: source, provisional, holidays, workdays)`,
		},
		{
			name: "unknown top-level key",
			src: `year:
  2025:
    source: test
`,
			want: "h.yaml:1:1: unknown key \"year\" (known: years)\n" +
				"h.yaml: no years: want a years: mapping with one section per year",
		},
		{
			name: "not a year",
			src: `years:
  20x5:
    source: test
`,
			want: `h.yaml:2:3: "20x5" is not a year (want four digits, e.g. 2026)`,
		},
		{
			name: "year twice",
			src: `years:
  2025:
    source: test
  2025:
    source: again
`,
			want: `h.yaml:4:3: year 2025 defined twice (first at line 2)`,
		},
		{
			name: "key twice in a year",
			src: `years:
  2025:
    source: test
    holidays: [2025-01-01]
    holidays: [2025-10-01]
`,
			want: `h.yaml:5:5: holidays: defined twice (first at line 4)`,
		},
		{
			name: "no source",
			src: `years:
  2025:
    holidays: [2025-01-01]
`,
			want: `h.yaml:2:3: year 2025: source: required: the notice the dates come from, e.g. 国办发明电〔2024〕12号 (or provisional: true until it is published)`,
		},
		{
			name: "provisional not a boolean",
			src: `years:
  2027:
    provisional: maybe
`,
			want: "h.yaml:2:3: year 2027: source: required: the notice the dates come from, e.g. 国办发明电〔2024〕12号 (or provisional: true until it is published)\n" +
				`h.yaml:3:18: provisional: want true or false, got "maybe"`,
		},
		{
			name: "holidays not a list",
			src: `years:
  2025:
    source: test
    holidays: 2025-01-01
`,
			want: `h.yaml:4:15: holidays: want a list of dates, one "- YYYY-MM-DD" per line, got "2025-01-01"`,
		},
		{
			name: "entry a mapping",
			src: `years:
  2025:
    source: test
    holidays:
      - date: 2025-01-01
`,
			want: `h.yaml:5:9: want a date or a range of dates, got a mapping`,
		},
		{
			name: "year not a mapping",
			src: `years:
  2025: [2025-01-01]
`,
			want: `h.yaml:2:3: year 2025: want a mapping with source, provisional, holidays, workdays, got a list`,
		},
		{
			name: "years empty",
			src: `years:
`,
			want: `h.yaml:1:7: years: want a mapping with one section per year (e.g. 2026:), got nothing`,
		},
		{
			name: "not a mapping",
			src: `- 2025-01-01
`,
			want: `h.yaml:1:1: want a mapping with a years: key, got a list`,
		},
		{
			name: "empty file",
			src:  "# nothing yet\n",
			want: `h.yaml: no years: the file is empty (want a years: mapping with one section per year)`,
		},
		{
			name: "invalid YAML",
			// A tab in the indentation, as an editor may insert (more in
			// TestParseYAMLMistakes).
			src:  "years:\n  2025:\n    source: test\n    holidays:\n\t- 2025-01-01\n",
			want: `h.yaml:5:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces`,
		},
		{
			// Every problem at once, in file order, and none repeated.
			name: "many",
			src: `years:
  2025:
    source: test
    holidays:
      - 2025-13-01
      - 2025-05-05..2025-05-01
    workdays:
      - 2025-01-27
      - 2025-05-03
  2026:
    holidays: [2026-01-01]
`,
			want: `h.yaml:5:9: "2025-13-01" is not a date (want YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD for a range)` + "\n" +
				`h.yaml:6:9: range 2025-05-05..2025-05-01 ends before it starts` + "\n" +
				`h.yaml:8:9: workday 2025-01-27 is a Monday: only a Saturday or Sunday can be a make-up working day` + "\n" +
				`h.yaml:10:3: year 2026: source: required: the notice the dates come from, e.g. 国办发明电〔2024〕12号 (or provisional: true until it is published)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("h.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse accepted the file: years %v", c.Years())
			}
			if c != nil {
				t.Errorf("Parse returned a calendar with its error")
			}
			if got := withoutSnippets(t, tt.src, err.Error()); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

var headerRE = regexp.MustCompile(`^h\.yaml:(\d+)(?::(\d+))?: `)

// withoutSnippets checks that each problem of msg placed at a line is
// followed by that line of src and a caret under its column (src's lines
// are ASCII after the column), and returns msg without them.
func withoutSnippets(t *testing.T, src, msg string) string {
	t.Helper()
	srcLines := strings.Split(src, "\n")
	lines := strings.Split(msg, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		out = append(out, lines[i])
		m := headerRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		text := strings.ReplaceAll(srcLines[line-1], "\t", " ")
		if col == 0 {
			col = 1 + len(text) - len(strings.TrimLeft(text, " "))
		}
		want := fmt.Sprintf("%5d | %s\n      | %s^", line, strings.TrimRight(text, " "), strings.Repeat(" ", col-1))
		if i+3 > len(lines) || strings.Join(lines[i+1:i+3], "\n") != want {
			t.Errorf("problem %q: want the snippet\n%s\nin\n%s", lines[i], want, msg)
			continue
		}
		i += 2
	}
	return strings.Join(out, "\n")
}

// TestParseYAMLMistakes: the common YAML mistakes in holidays.yaml are
// said in plain words where they are, with the line and a caret, as in
// the rule files.
func TestParseYAMLMistakes(t *testing.T) {
	const head = "years:\n  2025:\n    source: 国办发明电〔2024〕12号\n"
	for _, tt := range []struct{ name, src, want string }{
		{"tab", head + "    holidays:\n\t  - 2025-01-01\n", `
h.yaml:5:1: YAML syntax: a tab in the indentation: YAML allows only spaces there; replace the tab with spaces
    5 |    - 2025-01-01
      | ^`},
		{"one space short", head + "    holidays: [2025-01-01]\n   workdays: [2025-01-26]\n", `
h.yaml:5:4: YAML syntax: this line is indented 3 spaces, between holidays on line 4 (4 spaces) and 2025 on line 2 (2 spaces); indent it like one of them
    5 |    workdays: [2025-01-26]
      |    ^`},
		{"stray colon", "years:\n  2025:\n    source: 国办发明电: 2024年12号\n    holidays: [2025-01-01]\n", `
h.yaml:3:18: YAML syntax: the value of source holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    3 |     source: 国办发明电: 2024年12号
      |                       ^`},
		{"unclosed quote", head + "    holidays:\n      - \"2025-01-01\n    workdays: [2025-01-26]\n", `
h.yaml:5:9: YAML syntax: the quote " opened here is never closed; end the value with "
    5 |       - "2025-01-01
      |         ^`},
		{"a word where true or false is wanted", "years:\n  2027:\n    provisional: 暂定\n", `
h.yaml:2:3: year 2027: source: required: the notice the dates come from, e.g. 国办发明电〔2024〕12号 (or provisional: true until it is published)
    2 |   2027:
      |   ^
h.yaml:3:18: provisional: want true or false, got "暂定"
    3 |     provisional: 暂定
      |                  ^`},
		{"two documents", head + "    holidays: [2025-01-01]\n---\nyears: {}\n", `
h.yaml:5:1: only one YAML document per file (remove the ---)
    5 | ---
      | ^`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("h.yaml", []byte(tt.src))
			if want := strings.TrimPrefix(tt.want, "\n"); err == nil || err.Error() != want {
				t.Errorf("got:\n%v\nwant:\n%s", err, want)
			}
		})
	}
}

// TestParseGood covers what the format allows beyond the plain case.
func TestParseGood(t *testing.T) {
	c := mustParse(t, `# 注释 welcome
years:
  2025:
    source: "国办发明电〔2024〕12号"
    holidays:
      - "2025-10-01..2025-10-08"      # quoted, and a range over a weekend
      - 2025-10-06                    # 中秋, inside the range: harmless
      - 2025-10-01 .. 2025-10-02      # spaces around ".."
    workdays:
      - 2025-09-28..2025-09-28        # a one-day range
      - 2025-10-11
      - 2025-10-11                    # listed twice: harmless
  2026:
    source: x
    holidays:                         # empty list
    workdays: []
  2027:
    provisional: yes
`)
	for _, tt := range []struct {
		date string
		want bool
	}{
		{"2025-09-26", true}, {"2025-09-27", false}, {"2025-09-28", true},
		{"2025-10-01", false}, {"2025-10-06", false}, {"2025-10-08", false},
		{"2025-10-09", true}, {"2025-10-11", true}, {"2025-10-12", false},
		{"2026-01-01", true}, {"2027-01-01", true},
	} {
		got, err := c.IsWorkday(day(t, tt.date))
		if err != nil || got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v", tt.date, got, err, tt.want)
		}
	}
	if !c.Provisional(2027) || c.Source(2025) != "国办发明电〔2024〕12号" {
		t.Errorf("Provisional(2027) = %v, Source(2025) = %q", c.Provisional(2027), c.Source(2025))
	}
}

// TestLeapYear: 2028 has 366 days, and 29 February and 31 December count.
func TestLeapYear(t *testing.T) {
	c := mustParse(t, `years:
  2028:
    provisional: true
`)
	// Tue 2028-02-29 and Fri 12-29 are working days; Sat 12-30, Sun 12-31 not.
	got, err := c.AddWorkdays(day(t, "2028-02-28"), 1)
	if err != nil || got.Format(time.DateOnly) != "2028-02-29" {
		t.Errorf("AddWorkdays(2028-02-28, 1) = %v, %v; want 2028-02-29", got, err)
	}
	// 2028 starts on a Saturday: 366 days = 52 weeks + Sat, Sun, so 52*5 = 260.
	n, err := c.WorkdaysBetween(day(t, "2027-12-31"), day(t, "2028-12-31"))
	if err != nil || n != 260 {
		t.Errorf("working days in 2028 = %d, %v; want 260", n, err)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want one wrapping fs.ErrNotExist", err)
	}
	const want = "load holiday calendar: open testdata/no-such-file.yaml: no such file or directory"
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
}
