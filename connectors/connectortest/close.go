package connectortest

import (
	"context"
	"fmt"
	"testing"
)

// checkClose checks that Close is safe twice on a connector, whatever
// happened before, and on a reader; and that a closed reader says so
// rather than panicking.
func checkClose(t *testing.T, f Fixture) {
	ds := awkward()

	t.Run("unused", func(t *testing.T) {
		closeTwice(t, build(t, f, ds))
	})

	t.Run("after_read", func(t *testing.T) {
		c := build(t, f, ds)
		mustRead(t, c, nil)
		closeTwice(t, c)
	})

	t.Run("after_failed_open", func(t *testing.T) {
		c := build(t, f, ds)
		cancelled, cancel := context.WithCancel(t.Context())
		cancel()
		for _, s := range liveStreams(t, c) {
			if rr, err := s.Open(cancelled); err == nil {
				rr.Close() // cancel/open reports it
				t.Logf("stream %q: Open with a cancelled context succeeded", s.Name())
			}
		}
		closeTwice(t, c)
	})

	t.Run("reader", func(t *testing.T) {
		c := build(t, f, ds)
		streams := liveStreams(t, c)
		if len(streams) == 0 {
			t.Fatal("the source has no streams")
		}
		s := streams[0]
		rr, err := s.Open(t.Context())
		if err != nil {
			t.Fatalf("stream %q: Open: %v", s.Name(), err)
		}
		if _, err := rr.Next(); err != nil {
			t.Fatalf("stream %q: Next: %v", s.Name(), err)
		}
		for i := range 2 {
			if err := within(t, fmt.Sprintf("RowReader.Close (call %d)", i+1), rr.Close); err != nil {
				t.Errorf("stream %q: RowReader.Close (call %d): %v", s.Name(), i+1, err)
			}
		}
		if _, err := rr.Next(); err == nil {
			t.Errorf("stream %q: Next after Close returned a row; want an error", s.Name())
		}
		closeTwice(t, c)
	})
}
