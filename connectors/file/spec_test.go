package file_test

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/connectors"
)

func fileSpec(t *testing.T) connectors.Spec {
	t.Helper()
	s, ok := connectors.Lookup("file")
	if !ok {
		t.Fatal("kind file is not registered")
	}
	return s
}

// The sample config in testdata must pass the spec's checks and build.
func TestSampleConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/sample_config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Sources map[string]struct {
			Kind    string             `yaml:"kind"`
			Options connectors.Options `yaml:"options"`
		} `yaml:"sources"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, src := range cfg.Sources {
		if src.Kind != "file" {
			continue
		}
		n++
		if err := fileSpec(t).Check(src.Options); err != nil {
			t.Errorf("source %s: %v", name, err)
		}
		if _, err := connectors.New("file", connectors.Source{Name: name, BaseDir: "testdata", Options: src.Options}); err != nil {
			t.Errorf("source %s: %v", name, err)
		}
	}
	if n == 0 {
		t.Error("the sample has no source of kind file")
	}
}

// Every option is documented in the README's table.
func TestREADMEDocumentsEveryOption(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fileSpec(t).Fields {
		if !strings.Contains(string(readme), "| `"+f.Name+"` |") {
			t.Errorf("README.md has no table row for option %s", f.Name)
		}
	}
}

func TestSpecDocumentsEveryField(t *testing.T) {
	s := fileSpec(t)
	if s.Doc == "" {
		t.Error("spec has no Doc")
	}
	for _, f := range s.Fields {
		if f.Doc == "" || f.Example == "" {
			t.Errorf("field %s lacks a Doc or an Example", f.Name)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts connectors.Options
		want []string // each must appear in the error
	}{
		{"missing path", connectors.Options{}, []string{"options.path: required for kind file"}},
		{"unknown option", connectors.Options{"path": "a.csv", "sheets": "x"}, []string{"options.sheets: unknown option"}},
		{"bad enums", connectors.Options{"path": "a.csv", "encoding": "big5", "format": "xls"}, []string{
			`options.encoding: "big5" is not one of`, `options.format: "xls" is not one of`,
		}},
		{"bad delimiter", connectors.Options{"path": "a.csv", "delimiter": "，"}, []string{`options.delimiter: "，" is not one of`}},
		{"header_row zero", connectors.Options{"path": "a.csv", "header_row": 0}, []string{"options.header_row: want 1 or more, got 0"}},
		{"header_row text", connectors.Options{"path": "a.csv", "header_row": "2"}, []string{"options.header_row: want a whole number"}},
		{"empty path", connectors.Options{"path": " "}, []string{"options.path: required"}},
		{"records for csv", connectors.Options{"path": "a.csv", "format": "csv", "records": "data"}, []string{"options.records: applies to format json only, not csv"}},
		{"records with an empty key", connectors.Options{"path": "a.json", "records": "data..items"}, []string{`options.records: "data..items" has an empty key`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connectors.New("file", connectors.Source{Name: "medical", BaseDir: t.TempDir(), Options: tt.opts})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
		})
	}
}
