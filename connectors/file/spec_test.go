package file_test

import (
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/file"
)

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
			connectortest.WantErr(t, err, tt.want...)
			connectortest.CheckOptionErrors(t, "file", err)
		})
	}
}

// TestDocs: the sample config, the spec's docs and the README's option
// table agree with the spec.
func TestDocs(t *testing.T) {
	connectortest.CheckDocs(t, "file", "testdata/sample_config.yaml", "README.md")
}

// The defaults are the options struct's tags, and the same as when each
// was written twice, in the spec and again in the connector's code.
func TestDefaults(t *testing.T) {
	got, err := connectors.Decode[file.Options]("file", connectors.Options{"path": "a.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := file.Options{Path: "a.csv", Format: "auto", Encoding: "auto", Delimiter: ",", HeaderRow: 1}
	if got != want {
		t.Errorf("defaults\n%+v\nwant\n%+v", got, want)
	}
}
