package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/lipwatch/lipwatch/engine/ingest"
)

// progressReporter shows long syncs to a person: a bar redrawn in place on
// a terminal (rows, rows/s, ETA when the reader knows its size), or a log
// line every few seconds when stderr is a file or a pipe.
type progressReporter struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	logger   *slog.Logger
	last     time.Time
	every    time.Duration
	drawn    bool
}

// newProgress draws on w (the command's masked stderr) when stderr is a
// terminal, and logs otherwise.
func newProgress(logger *slog.Logger, w io.Writer) *progressReporter {
	tty := isTerminal(os.Stderr)
	every := 10 * time.Second
	if tty {
		every = 200 * time.Millisecond
	}
	if w == nil {
		w = os.Stderr
	}
	return &progressReporter{w: w, terminal: tty, logger: logger, every: every}
}

// isTerminal reports whether f is a terminal a bar can be drawn on: one
// that answers terminal requests (a character device such as /dev/null is
// not), and not TERM=dumb.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// report is the ingest.Syncer's Progress callback.
func (p *progressReporter) report(pr ingest.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !pr.Finished && time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Rows) / s
	}
	if !p.terminal {
		if pr.Finished && !p.drawn {
			return // short streams: the summary says enough
		}
		p.drawn = !pr.Finished
		p.logger.Info("sync progress", "source", pr.Source, "stream", pr.Stream, "rows", pr.Rows,
			"rows_per_s", int(rate), "finished", pr.Finished)
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", progressLine(pr, rate))
	p.drawn = true
	if pr.Finished {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// progressLine is one line of the terminal bar.
func progressLine(pr ingest.Progress, rate float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s  %d rows  %.0f rows/s", pr.Source, pr.Stream, pr.Rows, rate)
	if pr.Total > 0 && pr.Done > 0 {
		frac := float64(pr.Done) / float64(pr.Total)
		const width = 24
		n := int(frac * width)
		b.WriteString("  [" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]")
		fmt.Fprintf(&b, " %3.0f%%", frac*100)
		if frac > 0 && frac < 1 {
			eta := time.Duration(float64(pr.Elapsed) * (1 - frac) / frac)
			fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
		}
	}
	return b.String()
}
