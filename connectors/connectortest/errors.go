package connectortest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// checkErrors reads each broken source: the read must fail, and the error
// must name the source, or the stream it failed on (the sync prefixes the
// source's name to an error that lacks it, and records the stream).
// Streams has no stream to name, so its errors must name the source.
func checkErrors(t *testing.T, f Fixture) {
	if len(f.Broken) == 0 {
		t.Fatal("Fixture.Broken is empty: give at least one source that must fail (a missing path, a failing server, a bad query)")
	}
	names := make([]string, 0, len(f.Broken))
	for name := range f.Broken {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c := f.Broken[name](t, BrokenSource)
			if c == nil {
				t.Fatal("Fixture.Broken returned a nil connector")
			}
			t.Cleanup(func() { c.Close(context.WithoutCancel(t.Context())) })
			_, err := readAll(t.Context(), c, nil)
			if err == nil {
				t.Fatal("the broken source was read without an error")
			}
			var re *readError
			if !errors.As(err, &re) {
				t.Fatalf("unexpected error: %v", err)
			}
			msg := re.err.Error()
			switch {
			case errors.Is(re.err, context.Canceled) || errors.Is(re.err, context.DeadlineExceeded):
				t.Errorf("%s: %v: a context error, but nothing cancelled the read", re.step, re.err)
			case re.step == "streams" && !strings.Contains(msg, BrokenSource):
				t.Errorf("Streams failed with %q, which does not name the source %q", msg, BrokenSource)
			case re.step != "streams" && !strings.Contains(msg, BrokenSource) && (re.stream == "" || !strings.Contains(msg, re.stream)):
				t.Errorf("stream %q: %s failed with %q, which names neither the source %q nor the stream", re.stream, re.step, msg, BrokenSource)
			default:
				t.Logf("%s: %s", re.step, msg)
			}
			closeTwice(t, c)
		})
	}
}
