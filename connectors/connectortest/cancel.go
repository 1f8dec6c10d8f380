package connectortest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// checkCancel checks that a cancelled context stops each call with an
// error that wraps context.Canceled, so that the sync tells a cancelled
// run from a failed source.
func checkCancel(t *testing.T, f Fixture) {
	ds := awkward()
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	t.Run("streams", func(t *testing.T) {
		c := build(t, f, ds)
		_, err := within(t, "Streams with a cancelled context", func() result[[]connectors.Stream] {
			s, err := c.Streams(cancelled)
			return result[[]connectors.Stream]{s, err}
		}).get()
		wantCanceled(t, "Streams", err)
	})

	t.Run("open", func(t *testing.T) {
		c := build(t, f, ds)
		for _, s := range liveStreams(t, c) {
			rr, err := within(t, "Open with a cancelled context", func() result[connectors.RowReader] {
				rr, err := s.Open(cancelled)
				return result[connectors.RowReader]{rr, err}
			}).get()
			if rr != nil {
				rr.Close()
			}
			wantCanceled(t, fmt.Sprintf("stream %q: Open", s.Name()), err)
		}
	})

	// A fingerprint that costs nothing may be returned regardless; one
	// that is computed must stop.
	t.Run("fingerprint", func(t *testing.T) {
		c := build(t, f, ds)
		for _, s := range liveStreams(t, c) {
			_, err := within(t, "Fingerprint with a cancelled context", func() result[string] {
				fp, err := s.Fingerprint(cancelled)
				return result[string]{fp, err}
			}).get()
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("stream %q: Fingerprint with a cancelled context: %v; want nil or an error wrapping context.Canceled", s.Name(), err)
			}
		}
	})

	// Cancelling after Open may let a reader finish rows it already holds
	// (a local file is read to its end quickly; the sync checks the
	// context between rows), but any error must be the cancellation.
	t.Run("while_reading", func(t *testing.T) {
		c := build(t, f, ds)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		streams := liveStreams(t, c)
		if len(streams) == 0 {
			t.Fatal("the source has no streams")
		}
		rr, err := streams[0].Open(ctx)
		if err != nil {
			t.Fatalf("stream %q: Open: %v", streams[0].Name(), err)
		}
		defer rr.Close()
		if _, err := rr.Next(); err != nil {
			t.Fatalf("stream %q: first Next: %v", streams[0].Name(), err)
		}
		cancel()
		err = within(t, "reading after the cancel", func() error {
			for range maxRows {
				if _, err := rr.Next(); err != nil {
					return err
				}
			}
			return errors.New("no io.EOF after the limit of rows the suite reads")
		})
		if !errors.Is(err, io.EOF) {
			wantCanceled(t, fmt.Sprintf("stream %q: Next after the cancel", streams[0].Name()), err)
		}
	})

	t.Run("slow", func(t *testing.T) {
		if f.Slow == nil {
			t.Skip("Fixture.Slow is not set: the kind has no read that can stall")
		}
		c := f.Slow(t)
		if c == nil {
			t.Fatal("Fixture.Slow returned a nil connector")
		}
		t.Cleanup(func() { c.Close(context.WithoutCancel(t.Context())) })
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		type outcome struct {
			err       error
			cancelled bool // the read ended after the cancel
		}
		var stop = make(chan struct{})
		done := make(chan outcome, 1)
		go func() {
			_, err := readAll(ctx, c, nil)
			select {
			case <-stop:
				done <- outcome{err, true}
			default:
				done <- outcome{err, false}
			}
		}()
		// Give the read time to reach the part that stalls; where that is
		// does not matter, only that it never ends on its own.
		timer := time.NewTimer(100 * time.Millisecond)
		var o outcome
		select {
		case o = <-done:
			timer.Stop()
		case <-timer.C:
			close(stop)
			cancel()
			o = within(t, "the slow read after the cancel", func() outcome { return <-done })
		}
		switch {
		case !o.cancelled && o.err == nil:
			t.Fatal("the slow source's read ended on its own; Fixture.Slow must stall until its context is cancelled")
		case !o.cancelled:
			t.Fatalf("the slow source's read failed before it was cancelled: %v", o.err)
		}
		wantCanceled(t, "the slow read", o.err)
		closeTwice(t, c)
	})
}

// result carries a call's two results through within.
type result[T any] struct {
	v   T
	err error
}

func (r result[T]) get() (T, error) { return r.v, r.err }

// liveStreams lists c's streams with a live context.
func liveStreams(t *testing.T, c connectors.Connector) []connectors.Stream {
	t.Helper()
	streams, err := c.Streams(t.Context())
	if err != nil {
		t.Fatalf("Streams: %v", err)
	}
	return streams
}

func wantCanceled(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error; want one wrapping context.Canceled", what)
	case !errors.Is(err, context.Canceled):
		t.Errorf("%s: %v; want an error wrapping context.Canceled", what, err)
	}
}
