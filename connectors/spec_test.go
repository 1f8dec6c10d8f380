package connectors

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// testSpec has one field of every type, for the checks below.
func testSpec(validate func(Options) error) Spec {
	return Spec{
		Kind: "spec-test",
		Fields: []Field{
			{Name: "path", Type: "string", Required: true},
			{Name: "format", Type: "string", Enum: []string{"auto", "csv", "xlsx"}},
			{Name: "timeout", Type: "duration"},
			{Name: "header_row", Type: "int"},
			{Name: "strict", Type: "bool"},
			{Name: "columns", Type: "list"},
		},
		Validate: validate,
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
		{"whole float64 as int", Options{"path": "a.csv", "header_row": float64(2)}, nil},
		{"list of strings", Options{"path": "a.csv", "columns": []string{"a"}}, nil},
		{"unknown option", Options{"path": "a.csv", "sheets": "x"},
			[]string{"options.sheets: unknown option for kind spec-test"}},
		{"missing required", Options{"format": "csv"},
			[]string{"options.path: required for kind spec-test"}},
		{"nil options", nil,
			[]string{"options.path: required for kind spec-test"}},
		{"string of another type", Options{"path": 3},
			[]string{"options.path: want a string, got 3"}},
		{"duration of another type", Options{"path": "a.csv", "timeout": 30},
			[]string{"options.timeout: want a string, got 30"}},
		{"int as text", Options{"path": "a.csv", "header_row": "2"},
			[]string{"options.header_row: want a whole number, got 2"}},
		{"fractional float64", Options{"path": "a.csv", "header_row": 2.5},
			[]string{"options.header_row: want a whole number, got 2.5"}},
		{"int as bool", Options{"path": "a.csv", "header_row": true},
			[]string{"options.header_row: want a whole number, got true"}},
		{"bool as text", Options{"path": "a.csv", "strict": "yes"},
			[]string{"options.strict: want true or false, got yes"}},
		{"bool as int", Options{"path": "a.csv", "strict": 1},
			[]string{"options.strict: want true or false, got 1"}},
		{"list as text", Options{"path": "a.csv", "columns": "a,b"},
			[]string{"options.columns: want a list, got a,b"}},
		{"list as map", Options{"path": "a.csv", "columns": map[string]any{"a": 1}},
			[]string{"options.columns: want a list, got map[a:1]"}},
		{"enum value outside the list", Options{"path": "a.csv", "format": "xls"},
			[]string{`options.format: "xls" is not one of auto, csv, xlsx`}},
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
// missing required ones.
func TestSpecCheckOrder(t *testing.T) {
	err := testSpec(nil).Check(Options{"strict": "no", "format": "xls", "zzz": 1})
	want := `options.format: "xls" is not one of auto, csv, xlsx` + "\n" +
		"options.strict: want true or false, got no\n" +
		"options.zzz: unknown option for kind spec-test\n" +
		"options.path: required for kind spec-test"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want\n%s", err, want)
	}
}

func TestSpecCheckValidate(t *testing.T) {
	errRange := errors.New("options.header_row: want 1 or more, got 0")
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
			var seen Options
			s := testSpec(func(o Options) error {
				calls++
				seen = o
				return tt.hookErr
			})
			err := s.Check(tt.opts)
			if calls != tt.wantCalls {
				t.Errorf("Validate called %d times, want %d", calls, tt.wantCalls)
			}
			if calls > 0 && seen["path"] != tt.opts["path"] {
				t.Errorf("Validate got options %v, want %v", seen, tt.opts)
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

func TestOptionsString(t *testing.T) {
	o := Options{"path": "a.csv", "empty": "", "number": 3}
	tests := []struct {
		name, def, want string
	}{
		{"path", "x", "a.csv"},
		{"absent", "x", "x"},
		{"empty", "x", "x"},
		{"number", "x", "x"},
	}
	for _, tt := range tests {
		if got := o.String(tt.name, tt.def); got != tt.want {
			t.Errorf("String(%q, %q) = %q, want %q", tt.name, tt.def, got, tt.want)
		}
	}
	if got := Options(nil).String("path", "d"); got != "d" {
		t.Errorf("nil options: got %q, want d", got)
	}
}

func TestOptionsInt(t *testing.T) {
	o := Options{"int": 2, "int64": int64(3), "float": float64(4), "zero": 0, "text": "5", "bool": true}
	tests := []struct {
		name      string
		def, want int
	}{
		{"int", 1, 2},
		{"int64", 1, 3},
		{"float", 1, 4},
		{"zero", 1, 0},
		{"absent", 1, 1},
		{"text", 1, 1},
		{"bool", 1, 1},
	}
	for _, tt := range tests {
		if got := o.Int(tt.name, tt.def); got != tt.want {
			t.Errorf("Int(%q, %d) = %d, want %d", tt.name, tt.def, got, tt.want)
		}
	}
	if got := Options(nil).Int("n", 7); got != 7 {
		t.Errorf("nil options: got %d, want 7", got)
	}
}

// stubConnector is what the test kinds build.
type stubConnector struct{ src Source }

func (c *stubConnector) Streams(context.Context) ([]Stream, error) { return nil, nil }
func (c *stubConnector) Close(context.Context) error               { return nil }

func TestRegisterDuplicatePanics(t *testing.T) {
	const kind = "connectors-test-duplicate"
	Register(Spec{Kind: kind})
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("registering a kind twice did not panic")
		}
		if msg, _ := r.(string); !strings.Contains(msg, kind) {
			t.Errorf("panic %v does not name the kind %s", r, kind)
		}
	}()
	Register(Spec{Kind: kind})
}

func TestNew(t *testing.T) {
	const kind = "connectors-test-new"
	Register(Spec{
		Kind:   kind,
		Fields: []Field{{Name: "path", Type: "string", Required: true}},
		New:    func(src Source) (Connector, error) { return &stubConnector{src: src}, nil },
	})
	if _, ok := Lookup(kind); !ok {
		t.Fatalf("Lookup(%q) found nothing", kind)
	}
	kinds := Kinds()
	if !slices.Contains(kinds, kind) || !slices.IsSorted(kinds) {
		t.Errorf("Kinds() = %q, want it sorted and holding %s", kinds, kind)
	}

	t.Run("built", func(t *testing.T) {
		src := Source{Name: "medical", BaseDir: "/srv", Options: Options{"path": "a.csv"}}
		c, err := New(kind, src)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(*stubConnector).src; got.Name != src.Name || got.BaseDir != src.BaseDir || got.Options["path"] != "a.csv" {
			t.Errorf("the kind was built from %+v, want %+v", got, src)
		}
	})
	t.Run("options checked first", func(t *testing.T) {
		_, err := New(kind, Source{Name: "medical", Options: Options{"paht": "a.csv"}})
		for _, w := range []string{"source medical: ", "options.paht: unknown option", "options.path: required"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("got %v, want it to contain %q", err, w)
			}
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
