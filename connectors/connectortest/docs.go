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
// ("| `name` | type | default | meaning |") for every option, whose
// default cell shows the option's default (from its options struct's
// default tag) in backquotes: `30s`, `[0, 200]` for a list.
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
		rows := map[string][]string{}
		for _, line := range strings.Split(string(text), "\n") {
			if cells := tableRow(line); len(cells) >= 4 {
				rows[cells[0]] = cells
			}
		}
		for _, f := range spec.Fields {
			cells, ok := rows["`"+f.Name+"`"]
			if !ok {
				t.Errorf("%s has no table row for option %s", readme, f.Name)
				continue
			}
			if f.Default == "" || f.Computed {
				continue
			}
			shown := f.Default
			if f.Type == "list" {
				shown = "[" + strings.Join(strings.Split(f.Default, ","), ", ") + "]"
			}
			if !strings.Contains(cells[2], "`"+shown+"`") {
				t.Errorf("%s: option %s's default is %s, but the table's default cell says %q", readme, f.Name, shown, cells[2])
			}
		}
	})
}

// tableRow splits a Markdown table row into its cells, trimmed; "\\|"
// stays inside a cell. A line that is no row gives nil.
func tableRow(line string) []string {
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(strings.TrimSpace(line), "|") {
		return nil
	}
	line = strings.TrimSpace(line)
	var cells []string
	var cell strings.Builder
	for i := 1; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteString("\\|")
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return cells
}
