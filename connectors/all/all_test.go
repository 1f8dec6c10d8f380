package all_test

import (
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/all"
)

func TestKindsRegistered(t *testing.T) {
	for _, kind := range []string{"file", "http", "sql"} {
		if _, ok := connectors.Lookup(kind); !ok {
			t.Errorf("kind %q is not registered; known: %v", kind, connectors.Kinds())
		}
	}
}

// One reading of a duration everywhere (issue 12): "2d", "2w" and "0" are
// taken by the top-level config and by every connector's duration options
// alike (where 0 is not allowed, the refusal says so, not that it has no
// unit); "10" has no unit everywhere.
func TestDurationsAlike(t *testing.T) {
	const q = "SELECT id FROM t"
	for _, tc := range []struct {
		kind, option string
		base         connectors.Options
		zeroRefused  string
	}{
		{"http", "timeout", connectors.Options{"url": "https://dsp.example.gov.cn/api"}, "want a positive duration"},
		{"http", "lookback", connectors.Options{"url": "https://dsp.example.gov.cn/api", "watermark_param": "since", "watermark_field": "updated"}, ""},
		{"sql", "timeout", connectors.Options{"query": q, "dsn_env": "X"}, ""},
	} {
		for _, v := range []string{"2d", "2w", "0", "10"} {
			opts := connectors.Options{}
			for k, x := range tc.base {
				opts[k] = x
			}
			opts[tc.option] = v
			_, err := connectors.New(tc.kind, connectors.Source{Name: "s", BaseDir: t.TempDir(), Options: opts})
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			switch {
			case v == "10":
				if !strings.Contains(msg, `"10" has no unit`) {
					t.Errorf("%s %s=%s: %v, want no unit", tc.kind, tc.option, v, err)
				}
			case v == "0" && tc.zeroRefused != "":
				if !strings.Contains(msg, tc.zeroRefused) {
					t.Errorf("%s %s=0: %v, want %q", tc.kind, tc.option, err, tc.zeroRefused)
				}
			case strings.Contains(msg, "options."+tc.option):
				t.Errorf("%s %s=%s refused: %v", tc.kind, tc.option, v, err)
			}
		}
	}
	for _, v := range []string{"2d", "2w", "0"} {
		if _, err := connectors.ParseDuration(v); err != nil {
			t.Errorf("ParseDuration(%q): %v", v, err)
		}
	}
}
