// Package fakeapi is a fake department API for tests and demos: it serves
// records as a paged JSON API, in any of the paging styles the http
// connector reads, behind bearer or basic auth, with an updated_since
// filter, and can be told to misbehave (500s, 429 with Retry-After, slow
// or dropped responses, truncated JSON, a page that repeats) and to stop
// misbehaving, at run time.
//
// Requests name what they want with the query parameters page, page_size,
// offset, cursor and updated_since, or the same keys in a JSON body
// (POST). A response is the envelope
//
//	{"code": 0, "msg": "ok", "data": {"total": 1234, "items": [...],
//	  "next_cursor": "...", "next": "http://..."}}
//
// (next_cursor in the cursor style, next in the next_link style, null on
// the last page), or with Options.Bare the bare array of records.
//
// Beyond faults of transport and paging, it can answer as data-sharing
// platforms do when they fail: HTTP 200 with an error envelope
// (Faults.ErrorPage); overstate its total (Faults.TotalExtra); serve
// records newest or oldest first (Options.Order) while a test edits them
// between page requests (Update, Delete, Add, OnPage), so that offset paging over
// changing data skips and repeats records; and serve its body in GBK or
// with a byte order mark (Options.Charset, ContentType, BOM).
//
// It listens on the loopback interface only.
package fakeapi

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// Paging styles, as the http connector's pagination option names them.
const (
	Page     = "page"
	Offset   = "offset"
	Cursor   = "cursor"
	NextLink = "next_link"
	None     = "none"
)

// Options shape the API.
type Options struct {
	// Pagination is the paging style served: Page (the default), Offset,
	// Cursor, NextLink or None (every record in one response).
	Pagination string
	// PageSize is the page size when a request names none (default 100).
	PageSize int
	// MaxPageSize caps the page size a request may ask for, as real APIs
	// do; 0 means no cap.
	MaxPageSize int
	// ZeroBased numbers pages from 0 instead of 1 (Page style).
	ZeroBased bool
	// Bare serves the records array itself, without the envelope (not
	// with Cursor or NextLink, which need the envelope).
	Bare bool
	// Token, when set, requires "Authorization: Bearer <Token>".
	Token string
	// Username and Password, when set, require basic auth.
	Username, Password string
	// UpdatedField is the record field that updated_since filters on
	// (records whose value is at or after it); unset, the parameter is
	// ignored. Values are RFC 3339, "YYYY-MM-DD HH:MM:SS" or YYYY-MM-DD.
	UpdatedField string
	// Fields orders the keys of the records served; keys not listed
	// follow in sorted order.
	Fields []string
	// Addr is the address to listen on: a loopback address such as
	// "127.0.0.1:8089". Default "127.0.0.1:0" (any free port).
	Addr string
	// Order serves the records sorted on UpdatedField: "desc" newest
	// first, "asc" oldest first, as "ORDER BY update_time" does; "" in
	// the order they were added. Records without a time go last.
	Order string
	// Code is the envelope's code on success (default 0), e.g. 200 or
	// "00000".
	Code any
	// Charset encodes the body: "" or "utf-8", "GBK", "GB18030" or
	// "Big5". The Content-Type names it unless ContentType is set.
	Charset string
	// ContentType, when set, is the Content-Type header as given, to
	// serve a body under a wrong or missing charset.
	ContentType string
	// BOM starts every body with a UTF-8 byte order mark.
	BOM bool
}

// Server is a running fake API. Its URL field is the base URL; every path
// under it serves the same records.
type Server struct {
	*httptest.Server
	*Handler
	closeOnce sync.Once
}

// New serves records on the loopback interface. It panics if it cannot
// listen, as httptest.NewServer does: it is meant for tests (Start
// returns the error instead).
func New(records []map[string]any, opts Options) *Server {
	srv, err := Start(records, opts)
	if err != nil {
		panic(err.Error())
	}
	return srv
}

// Start serves records on the loopback interface: on opts.Addr, which
// must be a loopback address, or on a free port. The error names the
// address (in use, not loopback, malformed).
func Start(records []map[string]any, opts Options) (*Server, error) {
	var l net.Listener
	if opts.Addr != "" {
		var err error
		if l, err = listenLoopback(opts.Addr); err != nil {
			return nil, fmt.Errorf("fakeapi: %w", err)
		}
	}
	h := NewHandler(records, opts)
	ts := httptest.NewUnstartedServer(h)
	if l != nil {
		ts.Listener.Close()
		ts.Listener = l
	}
	ts.Start()
	h.base = ts.URL
	return &Server{Server: ts, Handler: h}, nil
}

// listenLoopback listens on addr, which must be on the loopback interface.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("address %q is not a loopback address; the fake API serves only 127.0.0.1", addr)
	}
	return net.Listen("tcp", addr)
}

// Close stops the server, ending any delayed response at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.Handler.stopDelays()
		s.Server.Close()
	})
}

// Handler is the fake API as an http.Handler, to mount on a mux.
type Handler struct {
	opts Options
	// base is the server's URL, for next links; empty when mounted, in
	// which case links are built from the request's Host.
	base string
	stop chan struct{}
	once sync.Once

	mu       sync.Mutex
	records  []record
	faults   Faults
	requests []Request
	onPage   func(page int)
}

// NewHandler returns the API over records, to mount anywhere.
func NewHandler(records []map[string]any, opts Options) *Handler {
	if opts.Pagination == "" {
		opts.Pagination = Page
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	h := &Handler{opts: opts, stop: make(chan struct{})}
	h.Add(records...)
	return h
}

func (h *Handler) stopDelays() { h.once.Do(func() { close(h.stop) }) }

// Request is a request the API received, as tests inspect it.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Body   string
	// Page is the 1-based page the request asked for (0 for requests
	// refused before it was worked out).
	Page int
}

// Requests returns the requests received so far, oldest first.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// ServeHTTP answers one request: faults first, as a gateway in front of
// the API would, then auth, then the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, err := readParams(r)
	// Logged on arrival, so that a test sees a request the client has
	// already given up on.
	logged := h.log(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: q.body})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f := h.takeFaults()
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-h.stop:
			t.Stop()
			return
		}
	}
	switch {
	case f.drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection where hijacking is not possible
	case f.rateLimited:
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeError(w, http.StatusTooManyRequests, "too many requests")
		return
	case f.failStatus != 0:
		writeError(w, f.failStatus, "internal error")
		return
	}
	if !h.authorized(r) {
		if h.opts.Token != "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fakeapi"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Basic realm="fakeapi"`)
		}
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	h.servePage(w, r, q, logged, f)
}

// authorized checks the credentials the options require, in constant time.
func (h *Handler) authorized(r *http.Request) bool {
	got := r.Header.Get("Authorization")
	var want string
	switch {
	case h.opts.Token != "":
		want = "Bearer " + h.opts.Token
	case h.opts.Username != "":
		want = "Basic " + base64.StdEncoding.EncodeToString([]byte(h.opts.Username+":"+h.opts.Password))
	default:
		return true
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// log records a request and returns its index, for setPage.
func (h *Handler) log(r Request) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, r)
	return len(h.requests) - 1
}

// setPage records which page request i asked for.
func (h *Handler) setPage(i, page int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests[i].Page = page
}

// writeError answers with the API's error envelope.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"msg":%q}`, status, msg)
}

// baseURL is the scheme and host next links point at.
func (h *Handler) baseURL(r *http.Request) string {
	if h.base != "" {
		return h.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
