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
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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
	// now is the clock read at Open as the sync's start; tests set it.
	now func() time.Time
}

func newConnector(src connectors.Source, o Options) (connectors.Connector, error) {
	opts, err := parseOptions(o)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	c := &connector{src: src, opts: opts, transport: tr, now: time.Now}
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

// zone is where watermark values written without a zone are: the
// timezone option, else the source's (the county's) zone.
func (c *connector) zone() *time.Location {
	if c.opts.zone != nil {
		return c.opts.zone
	}
	return c.src.Zone()
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
	base   string  // what Watermark keeps when nothing later was read: resume, or "" once Open found it in the future
	seen   maxMark // the greatest watermark_field value not after the start, once a read reached io.EOF
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
	s.resume, s.base = watermark, watermark
	s.seen = maxMark{}
}

// Watermark is the greatest watermark_field value the last read got that
// is not after the read's start, or the resumed watermark when nothing
// read was later (a lookback re-reads older records, which must not move
// the watermark back). A resumed watermark that was itself after the
// start is dropped (see Open). A read that failed leaves it as resumed:
// it is set only when the reader reaches io.EOF.
func (s *stream) Watermark() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen.set {
		return s.base
	}
	if r, ok := parseMark(s.base, s.c.zone()); ok && !s.seen.m.t.After(r.t) {
		return s.base
	}
	return s.seen.raw
}

// publish sets the read's greatest usable watermark value, once the read
// has reached its end.
func (s *stream) publish(m maxMark) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = m
}

// Open sends the first request and reads its page, so that Header is
// known on return. Later pages are fetched as Next reaches them.
//
// The sync's start is taken here. A saved watermark after it (saved by an
// older version from a record dated in the future) is not sent: the read
// starts from the beginning, as a full read does, with a note.
func (s *stream) Open(ctx context.Context) (connectors.RowReader, error) {
	if s.c.closed.Load() {
		return nil, s.c.errorf(s.name, 0, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	clk := newClock(s.c.now(), s.c.zone())
	s.mu.Lock()
	resume := s.resume
	s.seen = maxMark{}
	var reset *connectors.Note
	if resume != "" {
		m, ok := parseMark(resume, clk.loc)
		if !ok {
			s.mu.Unlock()
			return nil, s.c.errorf(s.name, 0, errBadSaved(resume, s.c.src.Name))
		}
		if clk.future(m) {
			reset = &connectors.Note{Code: connectors.NoteWatermarkReset, Count: 1, Text: fmt.Sprintf(
				"the saved watermark (%s) lay after the sync's start (saved by an older version from a record dated in the future): "+
					"read from the start, as sync --full does", shorten(resume, 40))}
			resume = ""
		}
	}
	s.base = resume
	s.mu.Unlock()
	since, err := sendValue(resume, s.c.opts.lookback, clk.loc, s.c.src.Name)
	if err != nil {
		return nil, s.c.errorf(s.name, 0, err)
	}
	r := newReader(ctx, s, since, clk)
	r.reset = reset
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
