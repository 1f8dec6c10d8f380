package httpapi_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	_ "github.com/lipwatch/lipwatch/connectors/httpapi"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// sourceName is the source every test configures; errors must name it.
const sourceName = "employment"

// endpoint is the path the tests ask for, and so the stream's name.
const endpoint = "/api/v1/employment"

// fields is the key order of the records employment() makes.
var fields = []string{"身份证号", "姓名", "业务类型", "业务日期", "updated_at"}

// day0 is when the first generated record was last updated.
var day0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

// employment makes n records as the 人社局 API serves them; record i was
// updated i hours after day0.
func employment(n int) []map[string]any {
	return employmentFrom(0, n)
}

// employmentFrom makes records first..first+n-1.
func employmentFrom(first, n int) []map[string]any {
	events := []string{"就业登记", "失业登记", "领取失业金", "停发失业金"}
	out := make([]map[string]any, n)
	for k := range n {
		i := first + k
		out[k] = map[string]any{
			"身份证号":       fmt.Sprintf("3407991980%02d%02d%04d", 1+i%12, 1+i%28, i%10000),
			"姓名":         fmt.Sprintf("测试%d", i),
			"业务类型":       events[i%len(events)],
			"业务日期":       day0.AddDate(0, 0, i%300).Format(time.DateOnly),
			"updated_at": day0.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
		}
	}
	return out
}

// serve starts a fake API over records; it stops when the test ends.
func serve(t testing.TB, records []map[string]any, opts fakeapi.Options) *fakeapi.Server {
	t.Helper()
	if opts.Fields == nil {
		opts.Fields = fields
	}
	srv := fakeapi.New(records, opts)
	t.Cleanup(srv.Close)
	return srv
}

// fast are options that keep retries quick in tests.
var fast = connectors.Options{"backoff": "5ms", "timeout": "5s"}

// newSource builds an http connector through the registry, as the engine
// does, with opts over the fast ones.
func newSource(t testing.TB, opts connectors.Options) connectors.Connector {
	t.Helper()
	all := maps.Clone(fast)
	maps.Copy(all, opts)
	return connectortest.New(t, "http", connectors.Source{Name: sourceName, BaseDir: t.TempDir(), Options: all})
}

// pageOpts are the connector options for the fake's envelope and a style.
func pageOpts(srv *fakeapi.Server, style string, size int) connectors.Options {
	o := connectors.Options{"url": srv.URL + endpoint, "records": "data.items", "pagination": style}
	if style != fakeapi.None {
		o["page_size"] = size
	}
	switch style {
	case fakeapi.Cursor:
		o["cursor_path"] = "data.next_cursor"
	case fakeapi.NextLink:
		o["next_path"] = "data.next"
	}
	return o
}

// syncErr opens and reads the source's stream, returning the rows read
// and the first error, from Streams, Open or Next.
func syncErr(ctx context.Context, c connectors.Connector) ([]connectors.Row, error) {
	streams, err := c.Streams(ctx)
	if err != nil {
		return nil, err
	}
	rr, err := streams[0].Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	return connectortest.ReadRows(rr)
}

// column returns the values of one column, by name.
func column(t testing.TB, header []string, rows []connectors.Row, name string) []string {
	t.Helper()
	idx := -1
	for i, h := range header {
		if h == name {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("no column %q in %q", name, header)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		if idx < len(r.Values) {
			out[i] = r.Values[idx]
		}
	}
	return out
}

// checkRecords checks that rows are records first..first+len(rows)-1 of
// employment(), numbered from 1.
func checkRecords(t testing.TB, header []string, rows []connectors.Row, first int) {
	t.Helper()
	want := employmentFrom(first, len(rows))
	ids := column(t, header, rows, "身份证号")
	for i, r := range rows {
		if r.Pos != int64(i+1) {
			t.Fatalf("row %d has Pos %d", i, r.Pos)
		}
		if ids[i] != want[i]["身份证号"] {
			t.Fatalf("row %d: id %q, want %q", i, ids[i], want[i]["身份证号"])
		}
	}
}
