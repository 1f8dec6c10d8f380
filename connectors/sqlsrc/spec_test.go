package sqlsrc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/sqlsrc"
)

func TestOptionErrors(t *testing.T) {
	const q = "SELECT * FROM fishers"
	const qw = "SELECT * FROM fishers WHERE updated_at > $1"
	tests := []struct {
		name string
		opts connectors.Options
		want []string // each must appear in the error
	}{
		{"nothing", connectors.Options{}, []string{"options.query: required for kind sql"}},
		{"no dsn", connectors.Options{"query": q},
			[]string{"options.dsn_env: one of dsn_env and dsn_file is required (the connection string is never written in config)"}},
		{"both dsn", connectors.Options{"query": q, "dsn_env": "X", "dsn_file": "f"},
			[]string{"options.dsn_env: at most one of dsn_env and dsn_file"}},
		{"dsn in config", connectors.Options{"query": q, "dsn": "postgres://u:p@h/db"},
			[]string{"options.dsn: unknown option for kind sql"}},
		{"mysql", connectors.Options{"query": q, "dsn_env": "X", "driver": "mysql"},
			[]string{`options.driver: "mysql" is not one of postgres`}},
		{"blank query", connectors.Options{"query": " ; ", "dsn_env": "X"},
			[]string{"options.query: required for kind sql"}},
		{"watermark without $1", connectors.Options{"query": q, "dsn_env": "X", "watermark_column": "updated_at", "watermark_initial": "0"},
			[]string{"options.query: has no $1 to take the watermark of updated_at"}},
		{"$10 is not $1", connectors.Options{"query": q + " LIMIT $10", "dsn_env": "X", "watermark_column": "id", "watermark_initial": "0"},
			[]string{"options.query: has no $1"}},
		{"$1 without watermark", connectors.Options{"query": qw, "dsn_env": "X"},
			[]string{"options.query: uses $1 but watermark_column is not set"}},
		{"no initial", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "updated_at"},
			[]string{"options.watermark_initial: required with watermark_column"}},
		{"full_query with $1", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "updated_at", "full_query": qw},
			[]string{"options.full_query: uses $1, but a full read has no watermark to pass"}},
		{"full_query without watermark", connectors.Options{"query": q, "dsn_env": "X", "full_query": q},
			[]string{"options.full_query: only applies with watermark_column"}},
		{"full_query and initial", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "updated_at", "full_query": q, "watermark_initial": "0"},
			[]string{"options.watermark_initial: not used with full_query"}},
		{"blank full_query", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "updated_at", "full_query": " ;"},
			[]string{"options.full_query: empty", "options.watermark_initial: required with watermark_column"}},
		{"initial alone", connectors.Options{"query": q, "dsn_env": "X", "watermark_initial": "0"},
			[]string{"options.watermark_initial: only applies with watermark_column"}},
		{"lookback alone", connectors.Options{"query": q, "dsn_env": "X", "lookback": "48h"},
			[]string{"options.lookback: only applies with watermark_column"}},
		{"bad durations", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "t", "watermark_initial": "0", "lookback": "2 days", "timeout": "-1s"}, []string{
			`options.lookback: "2 days" is not a duration such as 90s, 30m or 48h`, "options.timeout: want 0 or more, got -1s",
		}},
		{"bad lookback", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "t", "watermark_initial": "0", "lookback": -3},
			[]string{"options.lookback: want 0 or more, got -3"}},
		{"count on a time", connectors.Options{"query": qw, "dsn_env": "X", "watermark_column": "t", "watermark_initial": "2000-01-01", "lookback": "1000"},
			[]string{`options.lookback: 1000 is a count of ids for a numeric watermark, but watermark_initial "2000-01-01" is a date or time`}},
		{"bad timezone", connectors.Options{"query": q, "dsn_env": "X", "timezone": "Beijing"},
			[]string{`options.timezone: "Beijing" is not a time zone: want an IANA name such as UTC or Asia/Shanghai`}},
		{"local timezone", connectors.Options{"query": q, "dsn_env": "X", "timezone": "Local"},
			[]string{`options.timezone: "Local" is not a time zone`}},
		{"duration as a number", connectors.Options{"query": q, "dsn_env": "X", "timeout": 30},
			[]string{`options.timeout: "30" has no unit; write e.g. "30m", "30h" or "30d"`}},
		{"negative fetch", connectors.Options{"query": q, "dsn_env": "X", "fetch_size": -1},
			[]string{"options.fetch_size: want 0 or more, got -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connectors.New("sql", connectors.Source{Name: "fishers", BaseDir: t.TempDir(), Options: tt.opts})
			connectortest.WantErr(t, err, tt.want...)
			connectortest.CheckOptionErrors(t, "sql", err)
			if !strings.HasPrefix(err.Error(), "source fishers: ") {
				t.Errorf("%q does not name the source", err)
			}
		})
	}
}

// full_query takes the place of watermark_initial: with it, none is needed.
func TestFullQueryOptions(t *testing.T) {
	_, err := connectors.New("sql", connectors.Source{Name: "fishers", BaseDir: t.TempDir(), Options: connectors.Options{
		"query": "SELECT * FROM fishers WHERE updated_at > $1", "dsn_env": "X",
		"watermark_column": "updated_at", "full_query": "SELECT * FROM fishers;"}})
	if err != nil {
		t.Error(err)
	}
}

// The connection string file is read at Open, relative to the config's
// directory; a missing one is named without its content.
func TestDSNFileMissing(t *testing.T) {
	c, err := connectors.New("sql", connectors.Source{Name: "fishers", BaseDir: t.TempDir(),
		Options: connectors.Options{"query": "SELECT 1", "dsn_file": "secrets/none"}})
	if err != nil {
		t.Fatal(err)
	}
	streams, err := c.Streams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = streams[0].Open(t.Context())
	want := "source fishers: read the connection string from file secrets/none: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestDocs: the sample config, the spec's docs and the README's option
// table agree with the spec.
func TestDocs(t *testing.T) {
	connectortest.CheckDocs(t, "sql", "testdata/sample_config.yaml", "README.md")
}

// The defaults are the options struct's tags, and the same as when each
// was written twice, in the spec and again in the connector's code.
func TestDefaults(t *testing.T) {
	got, err := connectors.Decode[sqlsrc.Options]("sql", connectors.Options{"query": "SELECT 1"})
	if err != nil {
		t.Fatal(err)
	}
	want := sqlsrc.Options{Driver: "postgres", Query: "SELECT 1", FetchSize: 0, Timeout: 30 * time.Minute, Name: "query"}
	if got != want {
		t.Errorf("defaults\n%+v\nwant\n%+v", got, want)
	}
}
