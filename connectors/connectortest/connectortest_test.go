package connectortest_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// mem is a reference connector over rows in memory: one Incremental
// stream whose watermark is the updated_at column. Its fault, when set,
// breaks one of the properties the suite checks.
type mem struct {
	name   string
	header []string
	rows   [][]string
	fault  string
	broken bool          // Open fails
	stall  chan struct{} // when set, Next blocks until the read's context is done
	closed bool
}

func (c *mem) Streams(ctx context.Context) ([]connectors.Stream, error) {
	if err := ctx.Err(); err != nil && c.fault != "ignores_cancel" {
		return nil, fmt.Errorf("source %s: %w", c.name, err)
	}
	if c.fault == "empty_is_error" && len(c.rows) == 0 {
		return nil, fmt.Errorf("source %s: %w", c.name, connectors.ErrNotFound)
	}
	return []connectors.Stream{&memStream{c: c}}, nil
}

func (c *mem) Close(context.Context) error {
	if c.closed && c.fault == "close_twice_fails" {
		return errors.New("already closed")
	}
	c.closed = true
	return nil
}

type memStream struct {
	c           *mem
	since, mark string
}

func (s *memStream) Name() string { return "mem/" + s.c.name }

func (s *memStream) Fingerprint(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	h := sha256.New()
	for _, r := range s.c.rows {
		for _, v := range r {
			if s.c.fault == "fingerprint_ignores_content" {
				v = fmt.Sprint(len(v))
			}
			fmt.Fprintf(h, "%q,", v)
		}
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

func (s *memStream) Resume(w string) {
	if s.c.fault != "rereads_after_watermark" {
		s.since = w
	}
	s.mark = w
}

func (s *memStream) Watermark() string { return s.mark }

func (s *memStream) Open(ctx context.Context) (connectors.RowReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name(), err)
	}
	if s.c.broken {
		err := errors.New("connection refused")
		if s.c.fault != "error_without_source" {
			err = fmt.Errorf("%s: %w", s.Name(), err)
		}
		return nil, err
	}
	return &memReader{s: s, ctx: ctx, col: slices.Index(s.c.header, connectortest.UpdatedColumn)}, nil
}

type memReader struct {
	s      *memStream
	ctx    context.Context
	col    int
	i      int
	vals   []string // reused between calls, as readers may
	buf    []byte   // for the unsafe_strings fault
	eof    bool
	closed bool
}

func (r *memReader) Header() []string { return r.s.c.header }

func (r *memReader) Next() (connectors.Row, error) {
	if r.closed {
		return connectors.Row{}, errors.New("read after close")
	}
	if r.s.c.stall != nil {
		select {
		case <-r.ctx.Done():
			return connectors.Row{}, fmt.Errorf("%s: %w", r.s.Name(), r.ctx.Err())
		case <-r.s.c.stall:
			return connectors.Row{}, io.EOF
		}
	}
	if r.eof && r.s.c.fault == "eof_not_sticky" {
		return connectors.Row{}, errors.New("read past the end")
	}
	for r.i < len(r.s.c.rows) {
		row := r.s.c.rows[r.i]
		r.i++
		if row[r.col] <= r.s.since {
			continue
		}
		r.s.mark = max(r.s.mark, row[r.col])
		pos := int64(r.i)
		if r.s.c.fault == "positions_not_increasing" {
			pos = 1
		}
		return connectors.Row{Pos: pos, Values: r.values(row)}, nil
	}
	r.eof = true
	return connectors.Row{}, io.EOF
}

// values fills the reused slice; with the unsafe_strings fault the
// strings share a reused buffer too, which a caller keeping them sees.
func (r *memReader) values(row []string) []string {
	if r.s.c.fault != "unsafe_strings" {
		r.vals = append(r.vals[:0], row...)
		return r.vals
	}
	r.buf = r.buf[:0]
	for _, v := range row {
		r.buf = append(r.buf, v...)
	}
	r.vals, r.buf = r.vals[:0], slices.Grow(r.buf, 1<<16)
	off := 0
	for _, v := range row {
		r.vals = append(r.vals, unsafe.String(unsafe.SliceData(r.buf[off:]), len(v)))
		off += len(v)
	}
	return r.vals
}

func (r *memReader) Close() error {
	r.closed = true
	return nil
}

// memFixture is the fixture for mem with a fault ("" for none).
func memFixture(fault string) connectortest.Fixture {
	return connectortest.Fixture{
		Kind: "mem",
		New: func(t *testing.T, header []string, rows [][]string) connectors.Connector {
			return &mem{name: "conformance", header: header, rows: rows, fault: fault}
		},
		Broken: map[string]func(t *testing.T, source string) connectors.Connector{
			"refused": func(t *testing.T, source string) connectors.Connector {
				return &mem{name: source, header: []string{"id"}, broken: true, fault: fault}
			},
		},
		Slow: func(t *testing.T) connectors.Connector {
			c := &mem{name: "slow", header: []string{"id", connectortest.UpdatedColumn}, stall: make(chan struct{})}
			if fault == "slow_ignores_cancel" {
				t.Cleanup(func() { close(c.stall) })
				return &ignoring{c}
			}
			return c
		},
	}
}

// ignoring stalls in Streams without watching the context.
type ignoring struct{ *mem }

func (c *ignoring) Streams(context.Context) ([]connectors.Stream, error) {
	<-c.stall
	return nil, nil
}

func TestReferenceConnectorPasses(t *testing.T) {
	connectortest.Run(t, memFixture(""))
}

// The faults the suite must catch, with a part of the message it reports.
var faults = map[string]string{
	"ignores_cancel":              "Streams: no error; want one wrapping context.Canceled",
	"close_twice_fails":           "Close (call 2): already closed",
	"unsafe_strings":              "changed after Next returned them",
	"eof_not_sticky":              "want io.EOF again",
	"error_without_source":        "names neither the source",
	"rereads_after_watermark":     "read the row at",
	"fingerprint_ignores_content": "is the same for a source where one value changed",
	"positions_not_increasing":    "strictly increasing",
	"empty_is_error":              "read: streams: source conformance: source not found",
	"slow_ignores_cancel":         "did not return within",
}

// TestFaultyConnector runs the suite on a faulty connector. It runs only
// inside TestSuiteCatchesFaults, which expects it to fail.
func TestFaultyConnector(t *testing.T) {
	fault := os.Getenv("CONNECTORTEST_FAULT")
	if fault == "" {
		t.Skip("run by TestSuiteCatchesFaults")
	}
	connectortest.Run(t, memFixture(fault))
}

func TestSuiteCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary once per fault")
	}
	for fault, want := range faults {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestFaultyConnector$", "-test.v")
			cmd.Env = append(os.Environ(), "CONNECTORTEST_FAULT="+fault)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a connector with the fault %s (%v):\n%s", fault, err, out)
			}
			if !strings.Contains(string(out), want) {
				t.Errorf("the suite failed without reporting %q:\n%s", want, out)
			}
		})
	}
}
