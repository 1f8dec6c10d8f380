package redact

import (
	"io"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultIdle is how long a Writer holds back the end of a write that may
// be the first part of a number before it writes it anyway.
const DefaultIdle = 100 * time.Millisecond

// maxHold bounds what a Writer holds back: a longer run of digits is
// written (masked) at once.
const maxHold = 4096

// Writer masks what passes through it (see Mask) and writes it to the
// wrapped writer. A number split across two Write calls is masked whole:
// the end of a write that may be the start of one (digits, an X, a space
// or hyphen, a cut UTF-8 character) is held back until the next write shows how it goes on,
// until Flush or Close, or for at most the idle time (DefaultIdle), so that
// a prompt or a progress bar ending in digits still shows. Everything else
// is written at once: lines, and a progress bar's "\r" redraws, are not
// delayed. A number split across writes further apart than the idle time
// may pass unmasked; the program's printers format each line in one call.
//
// A Writer is safe for concurrent use. Close flushes it; it does not close
// the wrapped writer.
type Writer struct {
	mu    sync.Mutex
	out   io.Writer
	held  []byte // a tail that may be the start of a number
	idle  time.Duration
	timer *time.Timer
	err   error // the first error of the wrapped writer
}

// NewWriter returns a Writer that masks into w and writes a held-back
// tail after idle time without writes (DefaultIdle if idle <= 0).
func NewWriter(w io.Writer, idle time.Duration) *Writer {
	if idle <= 0 {
		idle = DefaultIdle
	}
	return &Writer{out: w, idle: idle}
}

// Wrap returns w if it already masks (a *Writer), else a new Writer with
// the default idle time around it.
func Wrap(w io.Writer) *Writer {
	if m, ok := w.(*Writer); ok {
		return m
	}
	return NewWriter(w, 0)
}

// Write masks p and writes it, but for a tail held back (see Writer). It
// reports len(p) written unless the wrapped writer failed, whose error it
// returns (then and on every later call).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.held = append(w.held, p...)
	cut := len(w.held)
	if cut <= maxHold {
		cut = safeCut(w.held)
	}
	if cut > 0 {
		w.emit(w.held[:cut])
		w.held = append(w.held[:0], w.held[cut:]...)
	}
	switch {
	case len(w.held) == 0 && w.timer != nil:
		w.timer.Stop()
	case len(w.held) > 0 && w.timer == nil:
		w.timer = time.AfterFunc(w.idle, w.idleFlush)
	case len(w.held) > 0:
		w.timer.Reset(w.idle)
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// Flush writes what is held back, masked.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

// Close flushes w and stops its idle timer. w may still be written to.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.err
}

// Unmasked flushes w and returns the writer it wraps, for output a user
// asked to see unmasked and that is audited (`cases show --unmasked`).
func (w *Writer) Unmasked() io.Writer {
	w.Close()
	return w.out
}

func (w *Writer) idleFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
}

func (w *Writer) flushLocked() {
	if len(w.held) > 0 && w.err == nil {
		w.emit(w.held)
	}
	w.held = w.held[:0]
}

// emit writes Mask(b); b ends where no number can go on.
func (w *Writer) emit(b []byte) {
	if w.err != nil {
		return
	}
	s := string(b)
	if _, err := io.WriteString(w.out, Mask(s)); err != nil {
		w.err = err
	}
}

// safeCut returns the length of the longest prefix of b after which no
// number Mask looks at can go on: b minus a trailing cut UTF-8 character
// and a trailing run of digits, mask characters, X characters and
// separators.
func safeCut(b []byte) int {
	i := len(b)
	// A multi-byte character cut by the write: hold its first bytes.
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-k:]) {
				i = len(b) - k
			}
			break
		}
	}
	for i > 0 {
		r, size := utf8.DecodeLastRune(b[:i])
		if !isDigitLike(r) && !isCheckX(r) && !isSeparator(r) {
			break
		}
		i -= size
	}
	return i
}
