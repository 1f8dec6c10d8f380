package config_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	_ "github.com/lipwatch/lipwatch/connectors/all"
	"github.com/lipwatch/lipwatch/engine/config"
)

// Connector options are checked by their kind's typed options
// (connectors.KindSpec) and every problem is placed at its option
// (issue 12 point 9): these tests load configs with the real kinds.

// optionProblems parses text as config.yaml and returns the problems under
// sources.*.options, each on one line ("config.yaml:7:7: path: message"),
// sorted, with the configuration itself when there were none.
func optionProblems(t *testing.T, text string) ([]string, *config.Config) {
	t.Helper()
	cfg, err := config.Parse("config.yaml", []byte(text))
	if err == nil {
		return nil, cfg
	}
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %T, want *config.Error: %v", err, err)
	}
	var out []string
	for _, p := range cerr.Problems {
		if strings.HasPrefix(p.Path, "sources.") && strings.Contains(p.Path, ".options") {
			out = append(out, p.String())
		}
	}
	if len(out) == 0 {
		t.Fatalf("no problem with options, but: %v", err)
	}
	slices.Sort(out)
	return out, nil
}

// source is a config with one source of kind with the given option lines
// (indented under options:, starting on line 7, column 7).
func source(kind string, options ...string) string {
	return "county:\n  code: \"320102\"\nsources:\n  s:\n    kind: " + kind + "\n    options:\n      " +
		strings.Join(options, "\n      ") + "\n" +
		"    dataset: employment\n    columns:\n      id_number: 身份证号\n      event: 业务类型\n      event_date: 业务日期\n"
}

// An unknown option, in every kind, is placed at its line and column and
// gets the config's "did you mean" from the kind's option names.
func TestUnknownOptionDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		kind    string
		options []string
		want    string
	}{
		{"file", []string{"path: a.csv", "delimeter: ';'"},
			"config.yaml:8:7: sources.s.options.delimeter: unknown option for kind file (did you mean delimiter?)"},
		{"file", []string{"path: a.xlsx", "sheets: Sheet1"},
			"config.yaml:8:7: sources.s.options.sheets: unknown option for kind file (did you mean sheet?)"},
		{"http", []string{"url: https://dsp.example.gov.cn/api", "pagenation: page"},
			"config.yaml:8:7: sources.s.options.pagenation: unknown option for kind http (did you mean pagination?)"},
		{"sql", []string{"query: SELECT 1", "dsn_env: X", "watermark_colum: updated_at"},
			"config.yaml:9:7: sources.s.options.watermark_colum: unknown option for kind sql (did you mean watermark_column?)"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ps, _ := optionProblems(t, source(tc.kind, tc.options...))
			if len(ps) != 1 || ps[0] != tc.want {
				t.Errorf("got %q\nwant %q", ps, tc.want)
			}
		})
	}
}

// A value of the wrong type, outside an enumeration or a range names the
// option and its place, in every kind; the kind's own checks too.
func TestOptionProblemsPlaced(t *testing.T) {
	for _, tc := range []struct {
		kind    string
		options []string
		want    []string // "line:col: path: msg"
	}{
		{"file", []string{"path: a.csv", "header_row: two", "format: xls"}, []string{
			`9:7: sources.s.options.format: "xls" is not one of auto, csv, xlsx, json, ndjson, parquet`,
			`8:7: sources.s.options.header_row: want a whole number, got "two"`,
		}},
		{"file", []string{"path: a.csv", "header_row: 0", "sheet: 2024"}, []string{
			"8:7: sources.s.options.header_row: want 1 or more, got 0",
			"9:7: sources.s.options.sheet: want a string, got number 2024 (write it in quotes)",
		}},
		{"file", []string{"path: a.csv", "format: csv", "records: data"}, []string{
			"9:7: sources.s.options.records: applies to format json only, not csv",
		}},
		{"http", []string{"url: https://dsp.example.gov.cn/api", "timeout: 30", "fields: 身份证号"}, []string{
			`8:7: sources.s.options.timeout: "30" has no unit; write e.g. "30m", "30h" or "30d"`,
			`9:7: sources.s.options.fields: want a list, got "身份证号"`,
		}},
		{"http", []string{"url: https://dsp.example.gov.cn/api", "watermark_param: since"}, []string{
			"8:7: sources.s.options.watermark_param: goes with watermark_field: the parameter sends the saved watermark, the field gives the next one",
		}},
		{"sql", []string{"query: SELECT 1", "dsn_env: X", "fetch_size: -1", "lookback: 2 days"}, []string{
			"9:7: sources.s.options.fetch_size: want 0 or more, got -1",
			`10:7: sources.s.options.lookback: "2 days" is not a duration such as 90s, 30m or 48h, nor a whole number of ids such as 1000`,
		}},
		{"sql", []string{"query: SELECT * FROM t WHERE id > $1", "dsn_env: X"}, []string{
			"7:7: sources.s.options.query: uses $1 but watermark_column is not set",
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			got, _ := optionProblems(t, source(tc.kind, tc.options...))
			var want []string
			for _, w := range tc.want {
				want = append(want, "config.yaml:"+w)
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// An option from the environment is read as the option's type and applied;
// its problems, of reading and of checking, name the variable.
func TestOptionsFromEnv(t *testing.T) {
	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_HEADER_ROW", "3")
	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_FORMAT", "CSV")
	ps, cfg := optionProblems(t, source("file", "path: a.csv"))
	if len(ps) != 0 {
		t.Fatalf("problems: %+v", ps)
	}
	if o := cfg.Sources["s"].Options; o["header_row"] != 3 || o["format"] != "CSV" || o["path"] != "a.csv" {
		t.Errorf("options = %#v", o)
	}

	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_FIELDS", "身份证号, 姓名")
	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_OVERLAP", "false")
	ps, cfg = optionProblems(t, source("http", "url: https://dsp.example.gov.cn/api", "pagination: offset"))
	if len(ps) != 0 {
		t.Fatalf("problems: %+v", ps)
	}
	if o := cfg.Sources["s"].Options; !slices.Equal(o["fields"].([]any), []any{"身份证号", "姓名"}) || o["overlap"] != false {
		t.Errorf("options = %#v", o)
	}

	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_HEADER_ROW", "x")
	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_FORMAT", "xls")
	ps, _ = optionProblems(t, source("file", "path: a.csv"))
	want := []string{
		`env LIPWATCH_SOURCES_S_OPTIONS_FORMAT: sources.s.options.format: "xls" is not one of auto, csv, xlsx, json, ndjson, parquet`,
		`env LIPWATCH_SOURCES_S_OPTIONS_HEADER_ROW: sources.s.options.header_row: want a whole number, got "x"`,
	}
	if !slices.Equal(ps, want) {
		t.Errorf("got %q\nwant %q", ps, want)
	}

	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_HEADER_ROW", "0") // read, then refused by the range
	t.Setenv("LIPWATCH_SOURCES_S_OPTIONS_FORMAT", "csv")
	ps, _ = optionProblems(t, source("file", "path: a.csv"))
	want = []string{"env LIPWATCH_SOURCES_S_OPTIONS_HEADER_ROW: sources.s.options.header_row: want 1 or more, got 0"}
	if !slices.Equal(ps, want) {
		t.Errorf("got %q\nwant %q", ps, want)
	}
}

// A problem the kind's own check finds with no one option (an error that
// is no connectors.OptionError) is placed at options:, whatever its text.
func TestOptionsProblemAsAWhole(t *testing.T) {
	ps, _ := optionProblems(t, source("testfile", "path: whole"))
	want := []string{"config.yaml:6:5: sources.s.options: a and nothing else: options.a: looks like a path"}
	if !slices.Equal(ps, want) {
		t.Errorf("got %q\nwant %q", ps, want)
	}
}
