package rule

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// reviewFile has a param in each form and a rule that reads the long one.
const reviewFile = `params:
  # 短写法：日期: 数值。
  short_line:
    2024-01-01: 100
  # 长写法：values 加复核日期和来源。
  # The long form.
  long_line:
    values:
      2024-01-01: 1125
      2026-01-01: 1170.5
    review_by: 2027-01-31
    source: 县民政局〔2024〕12号
  dated_only:
    values: {2024-01-01: true}
    review_by: "2026-12-01"
  sourced_only:
    source: 示例
    values:
      2024-01-01: 文字
rules:
  - id: REVIEW-EXAMPLE
    title: 测试
    level: yellow
    scope: household
    when: household.income_per_capita_month < params.long_line && params.short_line > 0
    tests:
      - name: 调整后
        as_of: 2026-11-28
        given: {household: {income_per_capita_month: 1170}}
        expect: hit
`

// TestParamForms: a param is dates to values (the short form), or the same
// under values: with review_by and source (the long form); both evaluate
// alike, and the long form's comment is its doc as the short form's is.
func TestParamForms(t *testing.T) {
	copyRules(t)
	write(t, "review.yaml", reviewFile)
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	short, long := p.Params["short_line"], p.Params["long_line"]
	if short.Type != Int || len(short.Values) != 1 || !short.ReviewBy.IsZero() || short.Source != "" || short.Doc != "短写法：日期: 数值。" {
		t.Errorf("short form: %+v", short)
	}
	if long.Type != Number || len(long.Values) != 2 || long.Values[0].Value != 1125.0 || long.Values[1].Value != 1170.5 {
		t.Errorf("long form values: %+v", long.Values)
	}
	if got := long.ReviewBy.Format(time.DateOnly); got != "2027-01-31" || long.Source != "县民政局〔2024〕12号" || long.Doc != "长写法：values 加复核日期和来源。\nThe long form." {
		t.Errorf("long form: review_by %s, source %q, doc %q", got, long.Source, long.Doc)
	}
	if rp := long.ReviewPos; rp.Line != 11 || rp.Col != 16 || !strings.HasSuffix(rp.File, "review.yaml") {
		t.Errorf("review_by at %s, want review.yaml:11:16", rp)
	}
	if v, err := long.At(date(t, "2026-01-01")); err != nil || v != 1170.5 {
		t.Errorf("long_line on 2026-01-01: %v, %v", v, err)
	}
	if d := p.Params["dated_only"]; d.Type != Bool || d.ReviewBy.Format(time.DateOnly) != "2026-12-01" || d.Source != "" {
		t.Errorf("dated_only: %+v", d)
	}
	if s := p.Params["sourced_only"]; s.Type != String || !s.ReviewBy.IsZero() || s.Source != "示例" {
		t.Errorf("sourced_only: %+v", s)
	}
	for _, r := range p.Test(nil) {
		if r.Status != StatusPass {
			t.Errorf("%s", r)
		}
	}
	if len(p.Warnings) > 0 {
		t.Errorf("warnings on load (a review date is never one): %v", p.Warnings)
	}
}

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestParamFormErrors: the long form's mistakes, each at its place in plain
// words, every one at once.
func TestParamFormErrors(t *testing.T) {
	copyRules(t)
	write(t, "review.yaml", `params:
  not_a_date:
    values: {2024-01-01: 1}
    review_by: 2027-02-30
  misspelt:
    values: {2024-01-01: 1}
    sourse: 县民政局〔2024〕12号
  no_values:
    review_by: 2027-01-31
    source: 县民政局
  values_misspelt:
    vaules: {2024-01-01: 1}
    review_by: 2027-01-31
  date_beside:
    2024-01-01: 1
    review_by: 2027-01-31
  empty_review:
    values: {2024-01-01: 1}
    review_by:
  list_review:
    values: {2024-01-01: 1}
    review_by: [2027-01-31]
  empty_values:
    values:
    review_by: 2027-01-31
  bad_value:
    values:
      2024-01-01: .inf
      2025-01-01: 2
    review_by: 2027-01-31
  short_with_word:
    note: 1
  short_scalar: 20000
  source_list:
    values: {2024-01-01: 1}
    source: [a, b]
  unknown_key:
    values: {2024-01-01: 1}
    basis: 县民政局
`)
	_, err := Load("rules")
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Load: %v, want Errors", err)
	}
	want := `rules/review.yaml:4:16: param not_a_date: review_by: 2027-02-30 is not a date (write YYYY-MM-DD: the day by which the values must be confirmed again)
    4 |     review_by: 2027-02-30
      |                ^
rules/review.yaml:7:5: param misspelt: unknown key sourse (did you mean source?)
    7 |     sourse: 县民政局〔2024〕12号
      |     ^
rules/review.yaml:8:3: param no_values: no values: write them under values:, one date and value per line, e.g. "2025-01-01: 20000"
    8 |   no_values:
      |   ^
rules/review.yaml:12:5: param values_misspelt: unknown key vaules (did you mean values?)
   12 |     vaules: {2024-01-01: 1}
      |     ^
rules/review.yaml:15:5: param date_beside: 2024-01-01: the dated values go under values: beside review_by and source
   15 |     2024-01-01: 1
      |     ^
rules/review.yaml:19:5: param empty_review: review_by: missing date (write YYYY-MM-DD: the day by which the values must be confirmed again)
   19 |     review_by:
      |     ^
rules/review.yaml:22:16: param list_review: review_by: want a date (YYYY-MM-DD), got a list
   22 |     review_by: [2027-01-31]
      |                ^
rules/review.yaml:24:5: param empty_values: no values: write one date and value per line under values:, e.g. "2025-01-01: 20000"
   24 |     values:
      |     ^
rules/review.yaml:28:19: param bad_value: 2024-01-01: .inf is not a finite number (a threshold cannot be NaN or infinite)
   28 |       2024-01-01: .inf
      |                   ^
rules/review.yaml:32:5: param short_with_word: note is not a date (write YYYY-MM-DD; the long form of a param has values, review_by and source)
   32 |     note: 1
      |     ^
rules/review.yaml:33:17: param short_scalar: want dated values, e.g. "2025-01-01: 20000" on the next line, indented
   33 |   short_scalar: 20000
      |                 ^
rules/review.yaml:36:13: param source_list: source: want text, got a list
   36 |     source: [a, b]
      |             ^
rules/review.yaml:39:5: param unknown_key: unknown key basis (a param has values, review_by and source)
   39 |     basis: 县民政局
      |     ^`
	if got := err.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestReviews: a param is listed from ReviewSoon days before its review
// date (a note: due in N days, due today) and past it (a warning), each
// at its review_by with a caret, in file order across files; never a
// param without a review date, never a problem that stops the load, and
// its value is the same whatever the review date says.
func TestReviews(t *testing.T) {
	copyRules(t)
	others, err := filepath.Glob("rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range others { // facts.yaml alone: its params' review dates are far off
		if base := filepath.Base(name); base != FactsFile && base != HolidaysFile {
			if err := os.Remove(name); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(t, "review.yaml", reviewFile)
	write(t, "another.yaml", "params:\n  earlier_file:\n    values: {2024-01-01: 3}\n    review_by: 2026-06-30\n")
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		day    string
		within int
		want   []string // name:days
	}{
		{"2026-05-30", ReviewSoon, nil},
		{"2026-05-31", ReviewSoon, []string{"earlier_file:30"}},
		{"2026-06-01", ReviewSoon, []string{"earlier_file:29"}},
		{"2026-06-30", -1, nil},
		{"2026-06-30", ReviewSoon, []string{"earlier_file:0"}},
		{"2026-07-01", -1, []string{"earlier_file:-1"}},
		{"2026-11-01", ReviewSoon, []string{"earlier_file:-124", "dated_only:30"}},
		{"2026-11-28", -1, []string{"earlier_file:-151"}},
		{"2027-02-01", -1, []string{"earlier_file:-216", "long_line:-1", "dated_only:-62"}},
	} {
		var got []string
		for _, r := range p.Reviews(date(t, c.day), c.within) {
			got = append(got, r.Param.Name+":"+strconv.Itoa(r.Days))
			if r.Overdue() != (r.Days < 0) {
				t.Errorf("%s: Overdue %v at %d days", r.Param.Name, r.Overdue(), r.Days)
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("Reviews(%s, %d) = %v, want %v", c.day, c.within, got, c.want)
		}
	}
	// A day in another zone counts by its own calendar date, as At does.
	if rs := p.Reviews(time.Date(2026, 7, 1, 0, 30, 0, 0, time.FixedZone("CST", 8*3600)), -1); len(rs) != 1 {
		t.Errorf("2026-07-01 00:30 CST: %v, want earlier_file past", rs)
	}

	warns, notes := p.ReviewWarnings(date(t, "2027-01-31"))
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	for _, n := range notes {
		got = append(got, n.String())
	}
	want := `rules/another.yaml:4:16: warning: param earlier_file: review_by 2026-06-30 has passed (confirm the value and set a new review date)
    4 |     review_by: 2026-06-30
      |                ^
rules/review.yaml:15:16: warning: param dated_only: review_by 2026-12-01 has passed (confirm the value and set a new review date)
   15 |     review_by: "2026-12-01"
      |                ^
rules/review.yaml:11:16: note: param long_line: review_by 2027-01-31 is due today (confirm the value and set a new review date)
   11 |     review_by: 2027-01-31
      |                ^`
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("ReviewWarnings(2027-01-31):\n%s\nwant:\n%s", g, want)
	}
	_, notes = p.ReviewWarnings(date(t, "2027-01-30"))
	if len(notes) != 1 || notes[0].Message != "param long_line: review_by 2027-01-31 is due in 1 day (confirm the value before then)" {
		t.Errorf("a day before: %v", notes)
	}
	_, notes = p.ReviewWarnings(date(t, "2027-01-01"))
	if len(notes) != 1 || notes[0].Message != "param long_line: review_by 2027-01-31 is due in 30 days (confirm the value before then)" {
		t.Errorf("30 days before: %v", notes)
	}
	if v, err := p.Params["earlier_file"].At(date(t, "2030-01-01")); err != nil || v != int64(3) {
		t.Errorf("a param past its review date evaluates as always: %v, %v", v, err)
	}
}

// TestShippedReviewDates: every shipped param says when it must be
// confirmed again and where its figures come from, and none of those
// dates is near on the synthetic county's day, so that its night and
// rules check stay clean.
func TestShippedReviewDates(t *testing.T) {
	p := loadShipped(t)
	for _, prm := range p.paramList {
		if prm.ReviewBy.IsZero() || prm.Source == "" {
			t.Errorf("shipped param %s: review_by %v, source %q: give both", prm.Name, prm.ReviewBy, prm.Source)
		}
	}
	if rs := p.Reviews(date(t, "2026-11-28"), ReviewSoon); len(rs) > 0 {
		t.Errorf("shipped params due for review by 2026-12-28: %v", rs)
	}
}
