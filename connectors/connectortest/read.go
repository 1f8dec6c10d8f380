package connectortest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// maxRows bounds a read, so that a reader that never returns io.EOF fails
// the suite instead of filling memory.
const maxRows = 100_000

// streamRead is what reading one stream gave.
type streamRead struct {
	name        string
	fingerprint string
	header      []string
	rows        []connectors.Row // Values copied, strings kept
	deep        [][]string       // the values again, strings copied too
	incremental bool
	watermark   string // after io.EOF, for an Incremental stream
	afterEOF    error  // what Next returned when called again after io.EOF
}

// readError is a failed step of a read, with the stream it failed on.
type readError struct {
	step   string // streams, fingerprint, open, next, close
	stream string // "" for streams
	rows   int    // rows read before Next failed
	err    error
}

func (e *readError) Error() string {
	switch {
	case e.stream == "":
		return fmt.Sprintf("%s: %v", e.step, e.err)
	case e.step == "next":
		return fmt.Sprintf("stream %q: next after %d rows: %v", e.stream, e.rows, e.err)
	}
	return fmt.Sprintf("stream %q: %s: %v", e.stream, e.step, e.err)
}

func (e *readError) Unwrap() error { return e.err }

// readAll reads every stream as the sync does: Streams; then for each
// stream Resume (when Incremental) with its watermark in resume (""
// otherwise), Fingerprint, Open, Header, Next until io.EOF, Close. It
// returns what was read up to the first error.
func readAll(ctx context.Context, c connectors.Connector, resume map[string]string) ([]streamRead, error) {
	streams, err := c.Streams(ctx)
	if err != nil {
		return nil, &readError{step: "streams", err: err}
	}
	var out []streamRead
	for _, s := range streams {
		sr, err := readStream(ctx, s, resume[s.Name()])
		out = append(out, sr)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func readStream(ctx context.Context, s connectors.Stream, mark string) (streamRead, error) {
	sr := streamRead{name: s.Name()}
	inc, ok := s.(connectors.Incremental)
	if ok {
		sr.incremental = true
		inc.Resume(mark)
	}
	fp, err := s.Fingerprint(ctx)
	if err != nil {
		return sr, &readError{step: "fingerprint", stream: sr.name, err: err}
	}
	sr.fingerprint = fp
	rr, err := s.Open(ctx)
	if err != nil {
		if rr != nil {
			rr.Close()
		}
		return sr, &readError{step: "open", stream: sr.name, err: err}
	}
	sr.header = slices.Clone(rr.Header())
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rr.Close()
			return sr, &readError{step: "next", stream: sr.name, rows: len(sr.rows), err: err}
		}
		if len(sr.rows) == maxRows {
			rr.Close()
			return sr, &readError{step: "next", stream: sr.name, rows: len(sr.rows),
				err: errors.New("no io.EOF after the limit of rows the suite reads")}
		}
		// Readers may reuse the slice, not the strings: copy the one,
		// keep the others, and compare only after the reader is closed.
		row.Values = slices.Clone(row.Values)
		sr.rows = append(sr.rows, row)
		deep := make([]string, len(row.Values))
		for i, v := range row.Values {
			deep[i] = strings.Clone(v)
		}
		sr.deep = append(sr.deep, deep)
	}
	_, sr.afterEOF = rr.Next()
	if ok {
		sr.watermark = inc.Watermark()
	}
	if err := rr.Close(); err != nil {
		return sr, &readError{step: "close", stream: sr.name, err: err}
	}
	return sr, nil
}

// mustRead reads c with a live context and fails the test on an error.
func mustRead(t *testing.T, c connectors.Connector, resume map[string]string) []streamRead {
	t.Helper()
	reads, err := readAll(t.Context(), c, resume)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return reads
}

// within runs fn and returns what it returned, failing the test when fn
// has not returned after Grace. fn must not call t: it may outlive the test.
func within[T any](t *testing.T, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(Grace)
	defer timer.Stop()
	select {
	case v := <-done:
		return v
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, Grace)
		panic("unreachable")
	}
}

// closeTwice closes c twice; both must succeed.
func closeTwice(t *testing.T, c connectors.Connector) {
	t.Helper()
	for i := range 2 {
		err := within(t, fmt.Sprintf("Close (call %d)", i+1), func() error { return c.Close(t.Context()) })
		if err != nil {
			t.Errorf("Close (call %d): %v", i+1, err)
		}
	}
}

// build calls f.New and makes sure the connector is closed at the end.
func build(t *testing.T, f Fixture, ds dataSet) connectors.Connector {
	t.Helper()
	c := f.New(t, slices.Clone(ds.header), cloneRows(ds.rows))
	if c == nil {
		t.Fatal("Fixture.New returned a nil connector")
	}
	t.Cleanup(func() { c.Close(context.WithoutCancel(t.Context())) })
	return c
}

func cloneRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}
