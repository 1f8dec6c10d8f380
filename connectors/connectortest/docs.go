package connectortest

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/connectors"
)

// CheckDocs keeps a kind's documentation from drifting from its spec: the
// sources of this kind in the sample config pass the spec's checks and
// build (relative paths against the sample's directory), the spec and
// every option have a Doc and an Example, and the README has a table row
// ("| `name` |") for every option.
func CheckDocs(t *testing.T, kind, sample, readme string) {
	t.Helper()
	spec, ok := connectors.Lookup(kind)
	if !ok {
		t.Fatalf("kind %s is not registered", kind)
	}
	t.Run("sample_config", func(t *testing.T) {
		data, err := os.ReadFile(sample)
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
			if src.Kind != kind {
				continue
			}
			n++
			if err := spec.Check(src.Options); err != nil {
				t.Errorf("source %s: %v", name, err)
			}
			base := sample[:max(0, strings.LastIndexByte(sample, '/'))]
			c, err := connectors.New(kind, connectors.Source{Name: name, BaseDir: base, Options: src.Options})
			if err != nil {
				t.Errorf("source %s: %v", name, err)
				continue
			}
			if err := c.Close(t.Context()); err != nil {
				t.Errorf("source %s: close: %v", name, err)
			}
		}
		if n == 0 {
			t.Errorf("%s has no source of kind %s", sample, kind)
		}
	})
	t.Run("spec_docs", func(t *testing.T) {
		if spec.Doc == "" {
			t.Error("spec has no Doc")
		}
		for _, f := range spec.Fields {
			if f.Doc == "" || f.Example == "" {
				t.Errorf("option %s lacks a Doc or an Example", f.Name)
			}
		}
	})
	t.Run("readme", func(t *testing.T) {
		text, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range spec.Fields {
			if !strings.Contains(string(text), "| `"+f.Name+"` |") {
				t.Errorf("%s has no table row for option %s", readme, f.Name)
			}
		}
	})
}
