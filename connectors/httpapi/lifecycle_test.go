package httpapi_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// The conformance suite checks these properties generally; the tests here
// drive them through this kind's own ways to stall and fail: cancellation
// during a slow response, a Retry-After wait and a backoff; Close with a
// request in flight; empty sources in every paging style.

// cancelAfter returns a context cancelled after d.
func cancelAfter(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(d, cancel)
	t.Cleanup(cancel)
	return ctx
}

// Cancelling the context ends a request in flight to a server that would
// take a minute, whether in Open, in Next or while waiting out a
// Retry-After.
func TestCancelStopsPromptly(t *testing.T) {
	tests := []struct {
		name       string
		faults     fakeapi.Faults
		afterFirst bool // fault from page 2 on
	}{
		{"slow first page", fakeapi.Faults{Delay: time.Minute}, false},
		{"slow later page", fakeapi.Faults{Delay: time.Minute}, true},
		{"waiting out Retry-After", fakeapi.Faults{RateLimit: 1, RetryAfter: "60"}, false},
		{"backing off", fakeapi.Faults{Fail: 100}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, employment(30), fakeapi.Options{})
			o := pageOpts(srv, "page", 10)
			o["timeout"], o["backoff"] = "5m", "1m"
			c := newSource(t, o)
			ctx := cancelAfter(t, 100*time.Millisecond)
			if !tt.afterFirst {
				srv.SetFaults(tt.faults)
			}
			start := time.Now()
			streams, err := c.Streams(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rr, err := streams[0].Open(ctx)
			if tt.afterFirst {
				if err != nil {
					t.Fatal(err)
				}
				defer rr.Close()
				srv.SetFaults(tt.faults)
				_, err = connectortest.ReadRows(rr)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			// A generous bound: the server would take a minute.
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("stopped after %s", took)
			}
			if tt.afterFirst && !strings.Contains(err.Error(), "source employment") {
				t.Errorf("error does not name the source: %v", err)
			}
		})
	}
}

// Closing a reader ends its request in flight; Close is safe twice, on
// readers and connectors, and a closed one says so.
func TestCloseTwice(t *testing.T) {
	srv := serve(t, employment(30), fakeapi.Options{})
	c := newSource(t, pageOpts(srv, "page", 10))
	rr := connectortest.OpenOnly(t, c)
	if _, err := rr.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := rr.Close(); err != nil {
			t.Errorf("reader close: %v", err)
		}
	}
	if _, err := rr.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("next after close: %v, want an error", err)
	} else {
		connectortest.WantErr(t, err, "source employment: /api/v1/employment: closed")
	}
	for range 2 {
		if err := c.Close(t.Context()); err != nil {
			t.Errorf("connector close: %v", err)
		}
	}
	_, err := c.Streams(t.Context())
	connectortest.WantErr(t, err, "source employment: closed")
}

// An empty source loads nothing: no rows, and no header unless the fields
// option gives one.
func TestEmptySource(t *testing.T) {
	for _, style := range []string{fakeapi.Page, fakeapi.Offset, fakeapi.Cursor, fakeapi.NextLink, fakeapi.None} {
		t.Run(style, func(t *testing.T) {
			srv := serve(t, nil, fakeapi.Options{Pagination: style})
			rr := connectortest.OpenOnly(t, newSource(t, pageOpts(srv, style, 10)))
			if rows := connectortest.ReadAll(t, rr); len(rows) != 0 {
				t.Errorf("read %d rows", len(rows))
			}
			if h := rr.Header(); len(h) != 0 {
				t.Errorf("header %q", h)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
	t.Run("with fields", func(t *testing.T) {
		srv := serve(t, nil, fakeapi.Options{})
		o := pageOpts(srv, "page", 10)
		o["fields"] = []any{"身份证号", "业务类型"}
		rr := connectortest.OpenOnly(t, newSource(t, o))
		if rows := connectortest.ReadAll(t, rr); len(rows) != 0 {
			t.Errorf("read %d rows", len(rows))
		}
		if h := rr.Header(); len(h) != 2 {
			t.Errorf("header %q, want the fields", h)
		}
	})
	t.Run("null records", func(t *testing.T) {
		srv := pagesServer(t, `{"data": {"items": null}}`)
		rr := connectortest.OpenOnly(t, newSource(t, connectors.Options{"url": srv.URL + "/api", "records": "data.items", "pagination": "page"}))
		if rows := connectortest.ReadAll(t, rr); len(rows) != 0 {
			t.Errorf("read %d rows", len(rows))
		}
	})
}

// Fingerprint is "" (every sync reads) and the stream is incremental.
func TestStreamContract(t *testing.T) {
	srv := serve(t, employment(1), fakeapi.Options{})
	st := connectortest.OnlyStream(t, newSource(t, pageOpts(srv, "page", 10)))
	fp, err := st.Fingerprint(t.Context())
	if fp != "" || err != nil {
		t.Errorf("fingerprint %q, %v; want \"\", nil", fp, err)
	}
	if _, ok := st.(connectors.Incremental); !ok {
		t.Error("the stream is not connectors.Incremental")
	}
}
