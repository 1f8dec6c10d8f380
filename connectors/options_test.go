package connectors

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testOptions has an option of every type, for the checks below.
type testOptions struct {
	Given
	Path      string        `option:"path,required" doc:"the file" example:"a.csv"`
	Format    string        `option:"format" default:"auto" enum:"auto csv xlsx"`
	Delimiter string        `option:"delimiter" default:"," enum:", ; | \t tab"`
	Timeout   time.Duration `option:"timeout" default:"30s"`
	HeaderRow int           `option:"header_row" default:"1"`
	Strict    bool          `option:"strict" default:"true"`
	Columns   []string      `option:"columns"`
	Codes     codes         `option:"codes" default:"0,200"`
	Reread    int           `option:"reread" computed:"3 with strict, else 1"`
	note      string        // no tag: not an option
}

// codes is an OptionValue: numbers or strings, kept as text.
type codes []string

func (c *codes) DecodeOption(v any) error {
	l, ok := v.([]any)
	if !ok {
		return errors.New("want a list of codes")
	}
	*c = nil
	for _, e := range l {
		switch x := e.(type) {
		case string:
			*c = append(*c, x)
		case int:
			*c = append(*c, strconv.Itoa(x))
		default:
			return errors.New("want codes")
		}
	}
	return nil
}

func testSpec(check func(testOptions) error) Spec {
	return KindSpec[testOptions]{Kind: "spec-test", Doc: "a test kind", Check: check,
		New: func(src Source, o testOptions) (Connector, error) { return &stubConnector{src: src, opts: o}, nil }}.Spec()
}

// The struct is the one statement of the options: the Spec's fields come
// from its tags, in order.
func TestSpecFields(t *testing.T) {
	s := testSpec(nil)
	want := []Field{
		{Name: "path", Type: "string", Required: true, Doc: "the file", Example: "a.csv"},
		{Name: "format", Type: "string", Default: "auto", Enum: []string{"auto", "csv", "xlsx"}},
		{Name: "delimiter", Type: "string", Default: ",", Enum: []string{",", ";", "|", "\t", "tab"}},
		{Name: "timeout", Type: "duration", Default: "30s"},
		{Name: "header_row", Type: "int", Default: "1"},
		{Name: "strict", Type: "bool", Default: "true"},
		{Name: "columns", Type: "list"},
		{Name: "codes", Type: "list", Default: "0,200"},
		{Name: "reread", Type: "int", Default: "3 with strict, else 1", Computed: true},
	}
	if !reflect.DeepEqual(s.Fields, want) {
		t.Errorf("Fields =\n%+v\nwant\n%+v", s.Fields, want)
	}
	if got := s.Names(); !slices.Equal(got, []string{"path", "format", "delimiter", "timeout", "header_row", "strict", "columns", "codes", "reread"}) {
		t.Errorf("Names() = %q", got)
	}
	if f, ok := s.Field("timeout"); !ok || f.Type != "duration" {
		t.Errorf("Field(timeout) = %+v, %v", f, ok)
	}
	if _, ok := s.Field("nonesuch"); ok {
		t.Error("Field(nonesuch) found")
	}
}

// Defaults are the tags', decoded; Given says what the config wrote.
func TestDecodeDefaults(t *testing.T) {
	got, err := Decode[testOptions]("spec-test", Options{"path": "a.csv", "format": "CSV", "delimiter": "TAB"})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Gave("path") || !got.Gave("format") || got.Gave("timeout") || got.Gave("reread") {
		t.Errorf("Given = %v", got.Given.names)
	}
	got.Given = Given{}
	want := testOptions{Path: "a.csv", Format: "csv", Delimiter: "tab", Timeout: 30 * time.Second, HeaderRow: 1,
		Strict: true, Codes: codes{"0", "200"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	// A default list is not shared between decodes.
	got.Codes[0] = "x"
	again, _ := Decode[testOptions]("spec-test", Options{"path": "a.csv"})
	if again.Codes[0] != "0" {
		t.Errorf("the default was changed through a decoded value: %q", again.Codes)
	}
	// A key with no value (sheet: in YAML) is not given.
	nothing, err := Decode[testOptions]("spec-test", Options{"path": "a.csv", "header_row": nil})
	if err != nil || nothing.HeaderRow != 1 || nothing.Gave("header_row") {
		t.Errorf("header_row: nil gave %d, %v (given %v)", nothing.HeaderRow, err, nothing.Gave("header_row"))
	}
}

func TestSpecCheck(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string // each must appear in the error; none means no error
	}{
		{"all good", Options{"path": "a.csv", "format": "csv", "timeout": "30s", "header_row": 2, "strict": true, "columns": []any{"a", "b"}}, nil},
		{"only the required", Options{"path": "a.csv"}, nil},
		{"enum ignores case", Options{"path": "a.csv", "format": "XLSX"}, nil},
		{"int64", Options{"path": "a.csv", "header_row": int64(3)}, nil},
		{"uint64", Options{"path": "a.csv", "header_row": uint64(3)}, nil},
		{"whole float64 as int", Options{"path": "a.csv", "header_row": float64(2)}, nil},
		{"list of strings", Options{"path": "a.csv", "columns": []string{"a"}}, nil},
		{"duration in days", Options{"path": "a.csv", "timeout": "2d"}, nil},
		{"duration 0", Options{"path": "a.csv", "timeout": 0}, nil},
		{"unknown option", Options{"path": "a.csv", "sheets": "x"},
			[]string{"options.sheets: unknown option for kind spec-test"}},
		{"missing required", Options{"format": "csv"},
			[]string{"options.path: required for kind spec-test"}},
		{"required with no value", Options{"path": nil},
			[]string{"options.path: required for kind spec-test"}},
		{"nil options", nil,
			[]string{"options.path: required for kind spec-test"}},
		{"string of another type", Options{"path": 3},
			[]string{"options.path: want a string, got number 3 (write it in quotes)"}},
		{"string as a bool", Options{"path": true},
			[]string{"options.path: want a string, got true (write it in quotes)"}},
		{"duration as a number", Options{"path": "a.csv", "timeout": 30},
			[]string{`options.timeout: "30" has no unit; write e.g. "30m", "30h" or "30d"`}},
		{"duration as a bool", Options{"path": "a.csv", "timeout": true},
			[]string{`options.timeout: want a duration such as "30s" or "48h", got true`}},
		{"duration without a unit", Options{"path": "a.csv", "timeout": "10"},
			[]string{`options.timeout: "10" has no unit`}},
		{"int as text", Options{"path": "a.csv", "header_row": "2"},
			[]string{`options.header_row: want a whole number, got "2"`}},
		{"fractional float64", Options{"path": "a.csv", "header_row": 2.5},
			[]string{"options.header_row: want a whole number, got number 2.5"}},
		{"int as bool", Options{"path": "a.csv", "header_row": true},
			[]string{"options.header_row: want a whole number, got true"}},
		{"bool as text", Options{"path": "a.csv", "strict": "yes"},
			[]string{`options.strict: want true or false, got "yes"`}},
		{"bool as int", Options{"path": "a.csv", "strict": 1},
			[]string{"options.strict: want true or false, got number 1"}},
		{"list as text", Options{"path": "a.csv", "columns": "a,b"},
			[]string{`options.columns: want a list, got "a,b"`}},
		{"list as map", Options{"path": "a.csv", "columns": map[string]any{"a": 1}},
			[]string{"options.columns: want a list, got a mapping"}},
		{"list of numbers", Options{"path": "a.csv", "columns": []any{"a", 7}},
			[]string{"options.columns: want a list of strings; element 2 is number 7 (write it in quotes)"}},
		{"an OptionValue's own error", Options{"path": "a.csv", "codes": "0"},
			[]string{"options.codes: want a list of codes"}},
		{"enum value outside the list", Options{"path": "a.csv", "format": "xls"},
			[]string{`options.format: "xls" is not one of auto, csv, xlsx`}},
		{"enum of symbols quoted", Options{"path": "a.csv", "delimiter": "，"},
			[]string{`options.delimiter: "，" is not one of ",", ";", "|", "\t", tab`}},
		{"every problem at once", Options{"format": "xls", "sheets": "x", "strict": "no"}, []string{
			"options.format: ", "options.sheets: unknown option", "options.strict: want true or false",
			"options.path: required",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testSpec(nil).Check(tt.opts)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
		})
	}
}

// Problems are reported in a stable order: options by name, then the
// missing required ones; each is an *OptionError naming its option, and
// an unknown option's wraps ErrUnknownOption.
func TestSpecCheckOrder(t *testing.T) {
	err := testSpec(nil).Check(Options{"strict": "no", "format": "xls", "zzz": 1})
	want := `options.format: "xls" is not one of auto, csv, xlsx` + "\n" +
		`options.strict: want true or false, got "no"` + "\n" +
		"options.zzz: unknown option for kind spec-test\n" +
		"options.path: required for kind spec-test"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want\n%s", err, want)
	}
	var names []string
	for _, oe := range OptionErrors(err) {
		names = append(names, oe.Option)
		if unknown := errors.Is(oe, ErrUnknownOption); unknown != (oe.Option == "zzz") {
			t.Errorf("%s: errors.Is(ErrUnknownOption) = %v", oe, unknown)
		}
	}
	if !slices.Equal(names, []string{"format", "strict", "zzz", "path"}) {
		t.Errorf("OptionErrors named %q", names)
	}
}

// OptionErrors takes apart what connectors.New returns, wrapped, and
// keeps an error that is no OptionError as one about the options as a
// whole.
func TestOptionErrors(t *testing.T) {
	plain := errors.New("something else")
	err := errors.Join(OptionErrorf("a", "bad"), errors.Join(OptionErrorf("b", "worse: %w", plain)), plain)
	wrapped := errors.Join(errors.New("unrelated"), wrapErr{err})
	var got []string
	for _, oe := range OptionErrors(wrapped) {
		got = append(got, oe.Option+"|"+oe.Err.Error())
	}
	want := []string{"|unrelated", "a|bad", "b|worse: something else", "|something else"}
	if !slices.Equal(got, want) {
		t.Errorf("OptionErrors = %q, want %q", got, want)
	}
	if OptionErrors(nil) != nil {
		t.Error("OptionErrors(nil) is not nil")
	}
	if oe := OptionErrorf("b", "worse: %w", plain); !errors.Is(oe, plain) || oe.Error() != "options.b: worse: something else" {
		t.Errorf("OptionErrorf: %v", oe)
	}
	if s := (&OptionError{Err: plain}).Error(); s != "options: something else" {
		t.Errorf("whole options: %q", s)
	}
}

type wrapErr struct{ err error }

func (w wrapErr) Error() string { return "source x: " + w.err.Error() }
func (w wrapErr) Unwrap() error { return w.err }

// The kind's own check runs once the tags' checks pass, with the decoded
// options.
func TestSpecCheckHook(t *testing.T) {
	errRange := OptionErrorf("header_row", "want 1 or more, got 0")
	tests := []struct {
		name      string
		opts      Options
		hookErr   error
		wantCalls int
		want      string // in the error; "" means no error
	}{
		{"fields pass, hook passes", Options{"path": "a.csv"}, nil, 1, ""},
		{"fields pass, hook fails", Options{"path": "a.csv", "header_row": 0}, errRange, 1, errRange.Error()},
		{"unknown option: hook not called", Options{"path": "a.csv", "x": 1}, errRange, 0, "options.x: unknown option"},
		{"missing required: hook not called", Options{}, errRange, 0, "options.path: required"},
		{"wrong type: hook not called", Options{"path": "a.csv", "header_row": "0"}, errRange, 0, "options.header_row: want a whole number"},
		{"outside the enum: hook not called", Options{"path": "a.csv", "format": "xls"}, errRange, 0, `options.format: "xls" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var seen testOptions
			s := testSpec(func(o testOptions) error {
				calls++
				seen = o
				return tt.hookErr
			})
			err := s.Check(tt.opts)
			if calls != tt.wantCalls {
				t.Errorf("Check called %d times, want %d", calls, tt.wantCalls)
			}
			if calls > 0 && seen.Path != tt.opts["path"] {
				t.Errorf("Check got options %+v, want path %v", seen, tt.opts["path"])
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("no error, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("%q does not contain %q", err, tt.want)
			}
			if tt.hookErr != nil && tt.wantCalls > 0 && !errors.Is(err, tt.hookErr) {
				t.Errorf("error %v does not wrap the hook's error", err)
			}
		})
	}
}

// FromText reads an environment variable as YAML would have given the
// option's value.
func TestFromText(t *testing.T) {
	s := testSpec(nil)
	for _, tc := range []struct {
		option, text string
		want         any
		err          string
	}{
		{"header_row", " 3 ", 3, ""},
		{"header_row", "three", nil, `want a whole number, got "three"`},
		{"strict", "false", false, ""},
		{"strict", "nope", nil, `want true or false, got "nope"`},
		{"columns", "a, b,c", []any{"a", "b", "c"}, ""},
		{"codes", "0,200", []any{"0", "200"}, ""},
		{"timeout", "2h", "2h", ""},
		{"path", "3", "3", ""},
		{"nonesuch", "x", "x", ""},
	} {
		got, err := s.FromText(tc.option, tc.text)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("FromText(%s, %q): error %v, want %s", tc.option, tc.text, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FromText(%s, %q) = %#v, %v; want %#v", tc.option, tc.text, got, err, tc.want)
		}
	}
}

// Wrong tags are programming errors, found when the Spec is made.
func TestBadTagsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"flag": func() {
			KindSpec[struct {
				A string `option:"a,optional"`
			}]{}.Spec()
		},
		"no name": func() {
			KindSpec[struct {
				A string `option:""`
			}]{}.Spec()
		},
		"twice": func() {
			KindSpec[struct {
				A, B string `option:"a"`
			}]{}.Spec()
		},
		"type": func() {
			KindSpec[struct {
				A float64 `option:"a"`
			}]{}.Spec()
		},
		"enum on an int": func() {
			KindSpec[struct {
				A int `option:"a" enum:"1 2"`
			}]{}.Spec()
		},
		"bad default": func() {
			KindSpec[struct {
				A int `option:"a" default:"one"`
			}]{}.Spec()
		},
		"default outside": func() {
			KindSpec[struct {
				A string `option:"a" default:"x" enum:"y z"`
			}]{}.Spec()
		},
		"default required": func() {
			KindSpec[struct {
				A string `option:"a,required" default:"x"`
			}]{}.Spec()
		},
		"not a struct": func() { KindSpec[int]{}.Spec() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// stubConnector is what the test kinds build.
type stubConnector struct {
	src  Source
	opts testOptions
}

func (c *stubConnector) Streams(context.Context) ([]Stream, error) { return nil, nil }
func (c *stubConnector) Close(context.Context) error               { return nil }

func TestRegisterPanics(t *testing.T) {
	const kind = "connectors-test-duplicate"
	Register(KindSpec[struct{}]{Kind: kind}.Spec())
	for name, f := range map[string]func(){
		"twice":          func() { Register(KindSpec[struct{}]{Kind: kind}.Spec()) },
		"not a KindSpec": func() { Register(Spec{Kind: "connectors-test-bare"}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if msg, _ := r.(string); !strings.Contains(msg, "connectors-test-") {
					t.Errorf("panic %v does not name the kind", r)
				}
			}()
			f()
		})
	}
}

func TestNew(t *testing.T) {
	const kind = "connectors-test-new"
	s := testSpec(nil)
	s.Kind = kind
	Register(s)
	if _, ok := Lookup(kind); !ok {
		t.Fatalf("Lookup(%q) found nothing", kind)
	}
	kinds := Kinds()
	if !slices.Contains(kinds, kind) || !slices.IsSorted(kinds) {
		t.Errorf("Kinds() = %q, want it sorted and holding %s", kinds, kind)
	}

	t.Run("built from the decoded options", func(t *testing.T) {
		src := Source{Name: "medical", BaseDir: "/srv", Options: Options{"path": "a.csv", "header_row": 2}}
		c, err := New(kind, src)
		if err != nil {
			t.Fatal(err)
		}
		got := c.(*stubConnector)
		if got.src.Name != src.Name || got.src.BaseDir != src.BaseDir || got.src.Options["path"] != "a.csv" {
			t.Errorf("the kind was built from %+v, want %+v", got.src, src)
		}
		if got.opts.Path != "a.csv" || got.opts.HeaderRow != 2 || got.opts.Format != "auto" {
			t.Errorf("the kind was given %+v", got.opts)
		}
	})
	t.Run("options checked first", func(t *testing.T) {
		_, err := New(kind, Source{Name: "medical", Options: Options{"paht": "a.csv"}})
		for _, w := range []string{"source medical: ", "options.paht: unknown option", "options.path: required"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("got %v, want it to contain %q", err, w)
			}
		}
		if n := len(OptionErrors(err)); n != 2 {
			t.Errorf("%d OptionErrors in %v, want 2", n, err)
		}
	})
	t.Run("unknown kind names the known ones", func(t *testing.T) {
		_, err := New("connectors-test-nonesuch", Source{Name: "medical"})
		if err == nil {
			t.Fatal("no error")
		}
		for _, w := range []string{`source medical: unknown connector kind "connectors-test-nonesuch"`, "known: [", kind} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q does not contain %q", err, w)
			}
		}
	})
}
