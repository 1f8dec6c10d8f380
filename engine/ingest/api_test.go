package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/httpapi"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// TestAPIFaultsThroughSync drives the http connector through the sync
// against the fake department API serving the county's employment records:
// a faulty API fails its own source only, with a reason, loads nothing,
// and once the fault clears the next sync loads exactly what was missing.
func TestAPIFaultsThroughSync(t *testing.T) {
	srv, err := fakeapi.NewFromCSV("../../testdata/county/employment.csv", fakeapi.Options{Pagination: "page", PageSize: 200, Token: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("LIPWATCH_TEST_API_TOKEN", "s3cret-token")
	f := newFixture(t)
	ctx := context.Background()
	ds, _ := dataset.Lookup("employment")
	conn, err := connectors.New("http", connectors.Source{Name: "emp_api", Options: connectors.Options{
		"url": srv.URL + "/api/v1/employment", "records": "data.items", "pagination": "page", "page_size": 200,
		"auth": "bearer", "token_env": "LIPWATCH_TEST_API_TOKEN", "timeout": "500ms", "retries": 2, "backoff": "10ms"}})
	if err != nil {
		t.Fatal(err)
	}
	api := Source{Name: "emp_api", Dataset: ds, Connector: conn, Columns: employmentColumns}
	employmentCSV(t, f.dir+"/other.csv", 10)
	other := f.source("other", "employment", "other.csv")

	for _, fault := range []struct {
		name   string
		faults fakeapi.Faults
		want   string
	}{
		{"truncated JSON", fakeapi.Faults{TruncatePage: 3}, "page 3"},
		{"500s past the retry bound", fakeapi.Faults{Fail: 10}, "500"},
		{"429s past the retry bound", fakeapi.Faults{RateLimit: 10, RetryAfter: "0"}, "429"},
		{"slow responses past the timeout", fakeapi.Faults{Delay: 3 * time.Second}, "emp_api"},
		{"a page that repeats (broken cursor)", fakeapi.Faults{RepeatPage: 2}, "repeat"},
	} {
		srv.SetFaults(fault.faults)
		results := f.sy.Sync(ctx, []Source{api, other})
		if err := results[0].Err; err == nil || !strings.Contains(err.Error(), "emp_api") || !strings.Contains(err.Error(), fault.want) {
			t.Fatalf("%s: %v", fault.name, err)
		}
		if strings.Contains(results[0].Err.Error(), "s3cret") {
			t.Fatalf("%s: the error reveals the token", fault.name)
		}
		if results[1].Err != nil {
			t.Fatalf("%s: the other source failed too: %v", fault.name, results[1].Err)
		}
		if n := f.count(`SELECT count(*) FROM employment WHERE _source = 'emp_api'`); n != 0 {
			t.Fatalf("%s: %d rows left by the failed load", fault.name, n)
		}
	}
	srv.ClearFaults()
	r := f.sy.SyncSource(ctx, api)
	read, loaded, dup, quar := r.Totals()
	if r.Err != nil || read != int64(srv.Len()) || loaded == 0 || read != loaded+dup+quar {
		t.Fatalf("after the faults cleared: read %d loaded %d dup %d quarantined %d (server has %d): %v", read, loaded, dup, quar, srv.Len(), r.Err)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE _source = 'emp_api'`); int64(n) != loaded {
		t.Fatalf("table has %d rows, loaded %d", n, loaded)
	}
	// Nothing is loaded twice.
	r = f.sy.SyncSource(ctx, api)
	if _, loaded, _, _ := r.Totals(); r.Err != nil || loaded != 0 {
		t.Fatalf("third sync loaded %d: %v", loaded, r.Err)
	}
}
