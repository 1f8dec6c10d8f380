// Package sqlsrc is the connector kind for department databases (kind
// "sql"): one SELECT per source, run against PostgreSQL through pgx, its
// rows streamed as text under the result's column names. The query may take
// a saved watermark as $1 so that each sync reads only what changed, with a
// lookback window for rows that arrive late.
//
// The connection string is read from an environment variable or a file at
// every connect and never appears in a message. The session is read-only.
//
// Importing the package registers the kind; connectors/all imports it.
package sqlsrc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// errClosed reports use of a connector after Close.
var errClosed = errors.New("connector is closed")

// connector runs one source's query. It holds no connection between reads:
// each reader opens its own and closes it.
type connector struct {
	src    connectors.Source
	opts   options
	advice []connectors.Note // reported by every read: see Advice

	mu      sync.Mutex
	closed  bool
	readers map[*reader]context.CancelFunc // open readers, to cancel on Close
}

func newConnector(src connectors.Source, o Options) (connectors.Connector, error) {
	opts, err := parseOptions(o)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	return &connector{src: src, opts: opts, advice: opts.adviceNotes(), readers: map[*reader]context.CancelFunc{}}, nil
}

// Advice is what the options say is wrong short of an error
// (connectors.Adviser): see the package function Advice.
func (c *connector) Advice() []string { return c.opts.advice() }

var _ connectors.Adviser = (*connector)(nil)

// Streams returns the source's one stream: its query. It does not connect;
// Open does.
func (c *connector) Streams(ctx context.Context) ([]connectors.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("source %s: %w", c.src.Name, errClosed)
	}
	return []connectors.Stream{&stream{c: c}}, nil
}

// Close cancels the queries of readers still open, which their owners
// then close, and refuses new ones. It is safe to call twice.
func (c *connector) Close(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, cancel := range c.readers {
		cancel()
	}
	return nil
}

// track registers an open reader; it fails after Close.
func (c *connector) track(r *reader, cancel context.CancelFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("source %s: %w", c.src.Name, errClosed)
	}
	c.readers[r] = cancel
	return nil
}

func (c *connector) untrack(r *reader) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.readers, r)
}

// stream is the source's query, read incrementally when it has a
// watermark column.
type stream struct {
	c *connector

	mu        sync.Mutex
	resumed   string // as given to Resume
	watermark string // to save after a committed load
}

var _ connectors.Incremental = (*stream)(nil)

// Name is the name option, "query" by default.
func (s *stream) Name() string { return s.c.opts.name }

// Fingerprint is always "": a query's result cannot be hashed without
// reading it, so every sync runs the query (with the watermark, when set).
func (s *stream) Fingerprint(context.Context) (string, error) { return "", nil }

// Resume sets the saved watermark the next Open starts from; "" is a full
// read: full_query when it is set, else query from watermark_initial.
func (s *stream) Resume(watermark string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resumed, s.watermark = watermark, watermark
}

// Watermark is the largest value of watermark_column read, or the resumed
// watermark when no row had a larger one. Without watermark_column it is
// the resumed watermark, "" unless Resume said otherwise.
func (s *stream) Watermark() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watermark
}

// Open connects, starts the query and returns a reader of its rows. The
// rows come as the server sends them: nothing is held beyond the current
// row (or, with fetch_size, the current batch of the cursor).
func (s *stream) Open(ctx context.Context) (connectors.RowReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := s.c
	start := now()
	d, err := c.loadDSN()
	if err != nil {
		return nil, err
	}
	r, err := openReader(ctx, s, d, start)
	if err != nil {
		return nil, err // not a nil *reader in a non-nil interface
	}
	return r, nil
}

// resumedWatermark is the watermark given to Resume.
func (s *stream) resumedWatermark() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumed
}

// finish records the watermark once the reader reached the end: the
// largest value read that is not after the read's start, or the resumed
// watermark when there is none. After a reset (the resumed watermark lay
// after the start) there is no resumed one to keep: "" reads from
// watermark_initial next time.
func (s *stream) finish(t *tracker, reset bool) {
	if t == nil {
		return
	}
	w := t.watermark()
	if w == "" && !reset {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watermark = w
}

// now is when a read starts; tests set it.
var now = time.Now

// naiveZone is the zone of the database's times written without one: the
// timezone option, else the county's.
func (c *connector) naiveZone() *time.Location {
	if c.opts.zone != nil {
		return c.opts.zone
	}
	return c.src.Zone()
}

// instants reports whether naive timestamps are written as instants: when
// the timezone option names another zone than the county's, a naive
// timestamp written as it is would be read downstream in the wrong zone.
func (c *connector) instants() bool {
	return c.opts.zone != nil && c.opts.zone.String() != c.src.Zone().String()
}
