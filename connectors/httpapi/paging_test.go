package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// Every paging style reads every record once, in order, numbered across
// pages, with as many requests as the style needs.
func TestPaginationStyles(t *testing.T) {
	const n = 237
	tests := []struct {
		name     string
		fake     fakeapi.Options
		opts     func(*fakeapi.Server) connectors.Options
		requests int
	}{
		{"page", fakeapi.Options{Pagination: fakeapi.Page},
			func(s *fakeapi.Server) connectors.Options { return pageOpts(s, "page", 50) }, 6}, // 5 pages and an empty one
		{"page from 0", fakeapi.Options{Pagination: fakeapi.Page, ZeroBased: true},
			func(s *fakeapi.Server) connectors.Options {
				o := pageOpts(s, "page", 50)
				o["first_page"] = 0
				return o
			}, 6},
		{"offset", fakeapi.Options{Pagination: fakeapi.Offset},
			func(s *fakeapi.Server) connectors.Options { return pageOpts(s, "offset", 50) }, 6},
		{"offset, server caps the page size", fakeapi.Options{Pagination: fakeapi.Offset, MaxPageSize: 20},
			func(s *fakeapi.Server) connectors.Options { return pageOpts(s, "offset", 50) }, 14}, // 20, then 19 new a page (overlap), and the closing request
		{"cursor", fakeapi.Options{Pagination: fakeapi.Cursor},
			func(s *fakeapi.Server) connectors.Options { return pageOpts(s, "cursor", 50) }, 5},
		{"next_link", fakeapi.Options{Pagination: fakeapi.NextLink},
			func(s *fakeapi.Server) connectors.Options { return pageOpts(s, "next_link", 50) }, 5},
		{"none", fakeapi.Options{Pagination: fakeapi.None},
			func(s *fakeapi.Server) connectors.Options { return pageOpts(s, "none", 0) }, 1},
		{"bare array, page", fakeapi.Options{Pagination: fakeapi.Page, Bare: true},
			func(s *fakeapi.Server) connectors.Options {
				o := pageOpts(s, "page", 50)
				delete(o, "records")
				return o
			}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, employment(n), tt.fake)
			c := newSource(t, tt.opts(srv))
			if name := connectortest.OnlyStream(t, c).Name(); name != endpoint {
				t.Errorf("stream name %q, want %q", name, endpoint)
			}
			rr := connectortest.OpenOnly(t, c)
			if got := rr.Header(); !reflect.DeepEqual(got, fields) {
				t.Errorf("header %q, want %q", got, fields)
			}
			rows := connectortest.ReadAll(t, rr)
			if len(rows) != n {
				t.Fatalf("read %d rows, want %d", len(rows), n)
			}
			checkRecords(t, rr.Header(), rows, 0)
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

// Pages are fetched as the reader reaches them, not all at Open.
func TestPagesFetchedLazily(t *testing.T) {
	srv := serve(t, employment(120), fakeapi.Options{})
	rr := connectortest.OpenOnly(t, newSource(t, pageOpts(srv, "page", 50)))
	if got := len(srv.Requests()); got != 1 {
		t.Fatalf("%d requests after Open, want 1", got)
	}
	for range 50 {
		if _, err := rr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(srv.Requests()); got != 1 {
		t.Fatalf("%d requests after the first page's rows, want 1", got)
	}
	if _, err := rr.Next(); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests()); got != 2 {
		t.Fatalf("%d requests after row 51, want 2", got)
	}
}

// The paging parameters are sent under the configured names, and fixed
// query parameters of the URL are kept.
func TestParameterNames(t *testing.T) {
	var mu sync.Mutex
	var queries []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query())
		mu.Unlock()
		if r.URL.Query().Get("pageNum") == "1" {
			fmt.Fprint(w, `{"data":{"items":[{"a":1},{"a":2}]}}`)
			return
		}
		fmt.Fprint(w, `{"data":{"items":[]}}`)
	}))
	defer srv.Close()
	c := newSource(t, connectors.Options{
		"url": srv.URL + endpoint + "?dataset=jyss", "records": "data.items",
		"pagination": "page", "page_param": "pageNum", "size_param": "pageSize", "page_size": 2,
	})
	if rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, c)); len(rows) != 2 {
		t.Fatalf("read %d rows, want 2", len(rows))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) != 2 {
		t.Fatalf("%d requests, want 2", len(queries))
	}
	want := []url.Values{
		{"dataset": {"jyss"}, "pageNum": {"1"}, "pageSize": {"2"}},
		{"dataset": {"jyss"}, "pageNum": {"2"}, "pageSize": {"2"}},
	}
	if !reflect.DeepEqual(queries, want) {
		t.Errorf("queries %v, want %v", queries, want)
	}
}

// POST sends the body template with the paging values filled in, and does
// not repeat them in the query string.
func TestPOSTBody(t *testing.T) {
	srv := serve(t, employment(25), fakeapi.Options{Pagination: fakeapi.Page})
	c := newSource(t, connectors.Options{
		"url": srv.URL + endpoint, "method": "POST", "records": "data.items",
		"pagination": "page", "page_size": 10,
		"body": `{"page": {{page}}, "page_size": {{page_size}}, "dept": "人社局"}`,
	})
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, c))
	if len(rows) != 25 {
		t.Fatalf("read %d rows, want 25", len(rows))
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		want := `{"page": ` + string(rune('1'+i)) + `, "page_size": 10, "dept": "人社局"}`
		if r.Method != "POST" || r.Body != want {
			t.Errorf("request %d: %s %q, want POST %q", i, r.Method, r.Body, want)
		}
		if len(r.Query) != 0 {
			t.Errorf("request %d has a query: %v", i, r.Query)
		}
	}
}

// A response without the records path, or with something else there,
// fails with a message that shows the response's keys but no values.
func TestRecordsPathErrors(t *testing.T) {
	srv := serve(t, employment(3), fakeapi.Options{})
	tests := []struct {
		records string
		want    []string
	}{
		{"data.rows", []string{"source employment: /api/v1/employment: page 1: the response has no data.rows (its top-level keys: code, msg, data)"}},
		{"data.total", []string{"page 1: data.total is a number, not an array of records"}},
		{"", []string{"page 1: the response is an object, not an array of records; set records"}},
	}
	for _, tt := range tests {
		t.Run(tt.records, func(t *testing.T) {
			o := pageOpts(srv, "page", 10)
			o["records"] = tt.records
			if tt.records == "" {
				delete(o, "records")
			}
			_, err := syncErr(t.Context(), newSource(t, o))
			connectortest.WantErr(t, err, tt.want...)
			if err != nil && strings.Contains(err.Error(), "测试") {
				t.Errorf("error shows record values: %v", err)
			}
		})
	}
}
