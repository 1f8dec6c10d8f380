package httpapi_test

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// conformanceSource serves rows under header from the fake API and reads
// them in pages of 100, incrementally on updated_at with a lookback.
func conformanceSource(t *testing.T, name string, header []string, rows [][]string, fake fakeapi.Options, extra connectors.Options) (connectors.Connector, *fakeapi.Server) {
	t.Helper()
	recs := make([]map[string]any, len(rows))
	for i, r := range rows {
		recs[i] = make(map[string]any, len(r))
		for j, v := range r {
			recs[i][header[j]] = v
		}
	}
	fake.Fields, fake.UpdatedField = header, connectortest.UpdatedColumn
	srv := fakeapi.New(recs, fake)
	t.Cleanup(srv.Close)
	o := connectors.Options{
		"url": srv.URL + "/api/v1/records", "records": "data.items",
		"pagination": "page", "page_size": 100,
		"watermark_param": "updated_since", "watermark_field": connectortest.UpdatedColumn, "lookback": "1h",
		"backoff": "5ms", "retries": 2, "timeout": "10s",
	}
	maps.Copy(o, extra)
	c, err := connectors.New("http", connectors.Source{Name: name, BaseDir: t.TempDir(), Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// brokenSource is a 250-row source (three pages) whose fake API has
// faults, or options that make it fail.
func brokenSource(t *testing.T, source string, fake fakeapi.Options, faults fakeapi.Faults, extra connectors.Options) connectors.Connector {
	t.Helper()
	header := []string{connectortest.IDColumn, connectortest.UpdatedColumn}
	rows := make([][]string, 250)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("%06d", i), start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)}
	}
	c, srv := conformanceSource(t, source, header, rows, fake, extra)
	srv.SetFaults(faults)
	return c
}

// The http kind passes the suite every connector kind passes, against the
// fake API, and fails in each of the ways a department's API can.
func TestConformance(t *testing.T) {
	broken := func(fake fakeapi.Options, faults fakeapi.Faults, extra connectors.Options) func(*testing.T, string) connectors.Connector {
		return func(t *testing.T, source string) connectors.Connector {
			return brokenSource(t, source, fake, faults, extra)
		}
	}
	connectortest.Run(t, connectortest.Fixture{
		Kind: "http",
		New: func(t *testing.T, header []string, rows [][]string) connectors.Connector {
			c, _ := conformanceSource(t, "conformance", header, rows, fakeapi.Options{}, nil)
			return c
		},
		Broken: map[string]func(t *testing.T, source string) connectors.Connector{
			"server_error":       broken(fakeapi.Options{}, fakeapi.Faults{Fail: 1000}, nil),
			"rate_limited":       broken(fakeapi.Options{}, fakeapi.Faults{RateLimit: 1000, RetryAfter: "0"}, nil),
			"dropped":            broken(fakeapi.Options{}, fakeapi.Faults{Drop: 1000}, nil),
			"truncated_page_2":   broken(fakeapi.Options{}, fakeapi.Faults{TruncatePage: 2}, nil),
			"repeated_page_2":    broken(fakeapi.Options{}, fakeapi.Faults{RepeatPage: 2}, nil),
			"not_found":          broken(fakeapi.Options{}, fakeapi.Faults{Fail: 1000, FailStatus: 404}, nil),
			"wrong_records_path": broken(fakeapi.Options{}, fakeapi.Faults{}, connectors.Options{"records": "data.rows"}),
			"missing_token": broken(fakeapi.Options{Token: "the-token"}, fakeapi.Faults{},
				connectors.Options{"auth": "bearer", "token_env": "LIPWATCH_TEST_CONFORMANCE_UNSET"}),
			"wrong_token": func(t *testing.T, source string) connectors.Connector {
				t.Setenv("LIPWATCH_TEST_CONFORMANCE_TOKEN", "not-the-token")
				return brokenSource(t, source, fakeapi.Options{Token: "the-token"}, fakeapi.Faults{},
					connectors.Options{"auth": "bearer", "token_env": "LIPWATCH_TEST_CONFORMANCE_TOKEN"})
			},
			"refused": func(t *testing.T, source string) connectors.Connector {
				srv := fakeapi.New(nil, fakeapi.Options{})
				srv.Close()
				c, err := connectors.New("http", connectors.Source{Name: source, Options: connectors.Options{"url": srv.URL + "/api", "retries": 1, "backoff": "5ms"}})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
		Slow: func(t *testing.T) connectors.Connector {
			return brokenSource(t, "slow", fakeapi.Options{}, fakeapi.Faults{Delay: time.Hour}, nil)
		},
		AnyColumnOrder: true,
		Lookback:       true,
	})
}
