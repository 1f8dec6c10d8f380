// Package httpapi is the connector kind for JSON APIs over HTTP(S), such
// as the provincial data-sharing platform's: GET or POST, records found by
// a path in each response, paged by page number, offset, cursor or next
// link, with bearer or basic auth from the environment or a file, retries
// with backoff that honour Retry-After, an optional rate limit, and an
// incremental watermark parameter.
//
// Each record object becomes one row of strings; mapping and validation
// happen downstream, as for every connector. Importing the package
// registers the kind; connectors/all imports it.
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/lipwatch/lipwatch/connectors"
)

// errClosed is returned by a connector or reader used after Close.
var errClosed = errors.New("closed")

// connector reads one configured endpoint. It owns its HTTP transport, so
// that Close can drop its idle connections without touching other sources.
type connector struct {
	src       connectors.Source
	opts      options
	transport *http.Transport
	fetch     *fetcher
	closed    atomic.Bool
}

func newConnector(src connectors.Source) (connectors.Connector, error) {
	opts, err := parseOptions(src.Options)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	c := &connector{src: src, opts: opts, transport: tr}
	c.fetch = &fetcher{
		// No client timeout: each attempt has its own context deadline,
		// which also covers reading the body.
		client:  &http.Client{Transport: tr},
		opts:    &c.opts,
		limiter: newLimiter(opts.rateLimit),
	}
	return c, nil
}

// Streams returns the endpoint's one stream. The secret is read here, so
// each sync uses the current token and a missing one fails the source
// before any request.
func (c *connector) Streams(ctx context.Context) ([]connectors.Stream, error) {
	if c.closed.Load() {
		return nil, c.errorf("", 0, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cr, err := readCreds(&c.opts, c.src.BaseDir)
	if err != nil {
		return nil, c.errorf("", 0, err)
	}
	return []connectors.Stream{&stream{c: c, name: streamName(c.opts.url.Path), creds: cr}}, nil
}

// streamName is the URL's path, the endpoint's name in the ledger.
func streamName(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// Close drops idle connections. It is safe to call twice; readers still
// open keep working until they are closed.
func (c *connector) Close(context.Context) error {
	if c.closed.CompareAndSwap(false, true) {
		c.transport.CloseIdleConnections()
	}
	return nil
}

// stream is the endpoint. It implements connectors.Incremental.
type stream struct {
	c     *connector
	name  string
	creds *creds

	mu     sync.Mutex
	resume string  // the saved watermark, "" for a full read
	seen   maxMark // the greatest watermark_field value read
}

var _ connectors.Incremental = (*stream)(nil)

// Name is the endpoint's URL path, without the query.
func (s *stream) Name() string { return s.name }

// Fingerprint is "": an API's content cannot be hashed without reading it,
// so every sync reads, and rows read again are skipped by natural key.
func (s *stream) Fingerprint(context.Context) (string, error) { return "", nil }

// Resume sets the saved watermark to read from ("" reads everything).
func (s *stream) Resume(watermark string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resume = watermark
	s.seen = maxMark{}
}

// Watermark is the greatest watermark_field value read, or the resumed
// watermark when nothing read was later (a lookback re-reads older
// records, which must not move the watermark back).
func (s *stream) Watermark() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen.set {
		return s.resume
	}
	if r, ok := parseMark(s.resume); ok && !s.seen.m.t.After(r.t) {
		return s.resume
	}
	return s.seen.raw
}

// observe folds a page's greatest watermark value into the stream's.
func (s *stream) observe(m maxMark) {
	if !m.set {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen.set || m.m.t.After(s.seen.m.t) {
		s.seen = m
	}
}

// Open sends the first request and reads its page, so that Header is
// known on return. Later pages are fetched as Next reaches them.
func (s *stream) Open(ctx context.Context) (connectors.RowReader, error) {
	if s.c.closed.Load() {
		return nil, s.c.errorf(s.name, 0, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	resume := s.resume
	s.seen = maxMark{}
	s.mu.Unlock()
	since, err := sendValue(resume, s.c.opts.lookback)
	if err != nil {
		return nil, s.c.errorf(s.name, 0, err)
	}
	r := newReader(ctx, s, since)
	if err := r.fetchPage(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// errorf prefixes err with the source, the stream and the page (when not
// 0), as every error of this connector reads: "source employment:
// /api/employment: page 3: ...".
func (c *connector) errorf(stream string, page int, err error) error {
	prefix := "source " + c.src.Name
	if stream != "" {
		prefix += ": " + stream
	}
	if page > 0 {
		return &sourceError{prefix: prefix, page: page, err: err}
	}
	return &sourceError{prefix: prefix, err: err}
}

// sourceError names where an error happened and unwraps to its cause, so
// that errors.Is(err, context.Canceled) holds.
type sourceError struct {
	prefix string
	page   int
	err    error
}

func (e *sourceError) Error() string {
	if e.page > 0 {
		return e.prefix + ": page " + strconv.Itoa(e.page) + ": " + e.err.Error()
	}
	return e.prefix + ": " + e.err.Error()
}

func (e *sourceError) Unwrap() error { return e.err }
