package main

import (
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/ingest"
)

func TestProgressLine(t *testing.T) {
	got := progressLine(ingest.Progress{Source: "medical", Stream: "m.csv", Rows: 250000, Elapsed: 2 * time.Second,
		Done: 25, Total: 100}, 125000)
	want := "medical m.csv  250000 rows  125000 rows/s  [======                  ]  25%  ETA 6s"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := progressLine(ingest.Progress{Source: "api", Stream: "/v1/x", Rows: 10}, 5); got != "api /v1/x  10 rows  5 rows/s" {
		t.Errorf("unknown size: %q", got)
	}
}
