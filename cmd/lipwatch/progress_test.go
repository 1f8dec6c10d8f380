package main

import (
	"os"
	"path/filepath"
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

// A sync's progress is drawn as a bar only on a terminal: stderr sent to
// /dev/null (a character device, which the mode bits took for one) or to
// a file is logged instead.
func TestProgressNotTerminal(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, f := range []*os.File{devnull, file} {
		if isTerminal(f) {
			t.Errorf("%s is taken for a terminal", f.Name())
		}
	}
}
