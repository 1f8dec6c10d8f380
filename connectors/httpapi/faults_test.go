package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// Transient faults within the retry bound cost retries, not rows.
func TestFaultsRetried(t *testing.T) {
	tests := []struct {
		name   string
		faults fakeapi.Faults
		extra  int // requests beyond the 4 pages
	}{
		{"three 500s", fakeapi.Faults{Fail: 3}, 3},
		{"two 503s", fakeapi.Faults{Fail: 2, FailStatus: http.StatusServiceUnavailable}, 2},
		{"429 without Retry-After", fakeapi.Faults{RateLimit: 2}, 2},
		{"dropped connections", fakeapi.Faults{Drop: 2}, 2},
		{"two slow responses", fakeapi.Faults{Delay: time.Second, DelayN: 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, employment(30), fakeapi.Options{})
			srv.SetFaults(tt.faults)
			o := pageOpts(srv, "page", 10)
			o["timeout"] = "200ms"
			rr := connectortest.OpenOnly(t, newSource(t, o))
			rows := connectortest.ReadAll(t, rr)
			if len(rows) != 30 {
				t.Fatalf("read %d rows, want 30", len(rows))
			}
			checkRecords(t, rr.Header(), rows, 0)
			if got, want := len(srv.Requests()), 4+tt.extra; got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

// Past the bound the connector gives up, naming the source, the path (not
// the query), the page and the last status or error.
func TestFaultsGiveUp(t *testing.T) {
	tests := []struct {
		name   string
		faults fakeapi.Faults
		want   string
	}{
		{"500s", fakeapi.Faults{Fail: 100}, "page 2: gave up after 3 attempts; last status: HTTP 500 Internal Server Error: {\"code\":500,\"msg\":\"internal error\"}"},
		{"429s", fakeapi.Faults{RateLimit: 100, RetryAfter: "0"}, "page 2: gave up after 3 attempts; last status: HTTP 429 Too Many Requests"},
		{"dropped", fakeapi.Faults{Drop: 100}, "page 2: gave up after 3 attempts; last error: "},
		{"slow", fakeapi.Faults{Delay: time.Minute}, "page 2: gave up after 3 attempts; last error: request timed out after 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, employment(30), fakeapi.Options{})
			o := pageOpts(srv, "page", 10)
			o["retries"], o["timeout"] = 2, "100ms"
			rr := connectortest.OpenOnly(t, newSource(t, o))
			srv.SetFaults(tt.faults) // page 1 came; page 2 meets the fault
			rows, err := connectortest.ReadRows(rr)
			connectortest.WantErr(t, err, "source employment: /api/v1/employment: "+tt.want)
			if len(rows) != 10 {
				t.Errorf("read %d rows before the error, want 10", len(rows))
			}
			if strings.Contains(err.Error(), "?") || strings.Contains(err.Error(), "page_size=") {
				t.Errorf("error shows the query: %v", err)
			}
			// Go's transport may itself resend a GET once on a dropped
			// connection it had reused, so count at least.
			if got := len(srv.Requests()); got < 4 {
				t.Errorf("%d requests, want 1 + 3 attempts", got)
			}
			// The error sticks: the reader does not try again.
			if _, err2 := rr.Next(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("next after the error: %v", err2)
			}
		})
	}
}

// A status that says the request itself is wrong is not retried.
func TestClientErrorNotRetried(t *testing.T) {
	srv := serve(t, employment(5), fakeapi.Options{})
	srv.SetFaults(fakeapi.Faults{Fail: 100, FailStatus: http.StatusNotFound})
	_, err := syncErr(t.Context(), newSource(t, pageOpts(srv, "page", 10)))
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: page 1: HTTP 404 Not Found")
	if got := len(srv.Requests()); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

// A refused connection is retried, then reported.
func TestConnectionRefused(t *testing.T) {
	srv := fakeapi.New(nil, fakeapi.Options{})
	url := srv.URL
	srv.Close()
	o := connectors.Options{"url": url + endpoint, "retries": 1}
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: page 1: gave up after 2 attempts; last error: ", "connection refused")
}

// 429 with Retry-After in seconds: the connector waits at least that
// long (backoff alone would take milliseconds), then reads everything.
func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	srv := serve(t, employment(30), fakeapi.Options{})
	srv.SetFaults(fakeapi.Faults{RateLimit: 1, RetryAfter: "1"})
	start := time.Now()
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, pageOpts(srv, "page", 10))))
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("read in %s, want at least the 1s Retry-After", waited)
	}
	if len(rows) != 30 {
		t.Errorf("read %d rows, want 30", len(rows))
	}
}

// 429 with Retry-After as an HTTP date.
func TestRetryAfterDate(t *testing.T) {
	t.Parallel()
	srv := serve(t, employment(30), fakeapi.Options{})
	at := time.Now().Add(2 * time.Second).UTC()
	srv.SetFaults(fakeapi.Faults{RateLimit: 1, RetryAfter: at.Format(http.TimeFormat)})
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, pageOpts(srv, "page", 10))))
	if now := time.Now(); now.Before(at.Truncate(time.Second)) {
		t.Errorf("read by %s, before the Retry-After date %s", now.Format(time.StampMilli), at.Format(time.StampMilli))
	}
	if len(rows) != 30 {
		t.Errorf("read %d rows, want 30", len(rows))
	}
}

// A Retry-After beyond what the connector waits out fails at once.
func TestRetryAfterTooLong(t *testing.T) {
	srv := serve(t, employment(5), fakeapi.Options{})
	srv.SetFaults(fakeapi.Faults{RateLimit: 1, RetryAfter: "86400"})
	_, err := syncErr(t.Context(), newSource(t, pageOpts(srv, "page", 10)))
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: page 1: server asks to retry after", "more than the 10m0s the connector waits: HTTP 429")
}

// Truncated JSON fails the read, naming the page and the byte; once the
// fault clears, the next read gets every record.
func TestTruncatedJSON(t *testing.T) {
	srv := serve(t, employment(30), fakeapi.Options{})
	srv.SetFaults(fakeapi.Faults{TruncatePage: 3})
	c := newSource(t, pageOpts(srv, "page", 10))
	rows, err := syncErr(t.Context(), c)
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: page 3: invalid JSON at byte ", "unexpected end of JSON input")
	if len(rows) != 20 {
		t.Errorf("read %d rows before the error, want 20", len(rows))
	}
	srv.ClearFaults()
	rr := connectortest.OpenOnly(t, c)
	rows = connectortest.ReadAll(t, rr)
	if len(rows) != 30 {
		t.Fatalf("after the fault cleared: read %d rows, want 30", len(rows))
	}
	checkRecords(t, rr.Header(), rows, 0)
}

// A page that repeats the previous one (a broken cursor or an ignored page
// parameter) is an error, not an endless read.
func TestRepeatedPage(t *testing.T) {
	for _, style := range []string{fakeapi.Page, fakeapi.Offset, fakeapi.Cursor, fakeapi.NextLink} {
		t.Run(style, func(t *testing.T) {
			srv := serve(t, employment(50), fakeapi.Options{Pagination: style})
			srv.SetFaults(fakeapi.Faults{RepeatPage: 3})
			rows, err := syncErr(t.Context(), newSource(t, pageOpts(srv, style, 10)))
			if style == fakeapi.Offset {
				// Asked from offset 27, the fake serves from 17 (a repeat of
				// records read), which does not begin with the tail of the
				// page before ending at its last record: a disturbed pass,
				// which fails the read after every pass saw it.
				connectortest.WantErr(t, err, "at offset 27 the page did not start with the tail of the page before", "after 4 passes")
				return
			}
			connectortest.WantErr(t, err, "source employment: /api/v1/employment: page 3: the page repeats the 10 records of page 2")
			if len(rows) != 20 {
				t.Errorf("read %d rows before the error, want 20", len(rows))
			}
		})
	}
}

// A source that ignores the page parameter altogether is caught on page 2.
func TestIgnoredPageParameter(t *testing.T) {
	srv := serve(t, employment(20), fakeapi.Options{Pagination: fakeapi.None})
	_, err := syncErr(t.Context(), newSource(t, pageOpts(srv, "page", 10)))
	connectortest.WantErr(t, err, "page 2: the page repeats the 20 records of page 1")
}

// max_pages bounds a read.
func TestMaxPages(t *testing.T) {
	srv := serve(t, employment(50), fakeapi.Options{})
	o := pageOpts(srv, "page", 10)
	o["max_pages"] = 3
	rows, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: stopped after max_pages (3) pages with more to come")
	if len(rows) != 30 {
		t.Errorf("read %d rows, want 30", len(rows))
	}
}

// A next link to another host is not followed: the token must not leave.
func TestNextLinkToOtherHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items":[{"a":1}],"next":"http://203.0.113.9/steal?page=2"}`)
	}))
	defer srv.Close()
	o := connectors.Options{"url": srv.URL + "/api", "records": "items", "pagination": "next_link", "next_path": "next"}
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "page 1: the next link leads to http://203.0.113.9, not http://127.0.0.1:")
}
