package redact

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a Writer's idle flush
// writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWriterSplitNumbers: a number cut by a write at any byte, also inside
// a full-width digit, is masked whole.
func TestWriterSplitNumbers(t *testing.T) {
	for _, text := range []string{
		"medical ignored columns: 340799198707273470, 白明波\n",
		"ID " + fullWidth("34079919540925450X") + " 结束\n",
		"x34079919540925450",       // 17 digits, then the X in a later write
		"phone 13812345678 ok\n",   // a mobile
		"a 34079919870727347041\n", // a certificate
	} {
		want := Mask(text)
		for cut := 0; cut <= len(text); cut++ {
			var out bytes.Buffer
			w := NewWriter(&out, time.Hour)
			w.Write([]byte(text[:cut]))
			w.Write([]byte(text[cut:]))
			if text == "x34079919540925450" {
				w.Write([]byte("X\n"))
				if w.Close(); out.String() != Mask(text+"X\n") {
					t.Fatalf("cut %d: got %q, want %q", cut, out.String(), Mask(text+"X\n"))
				}
				continue
			}
			w.Close()
			if out.String() != want {
				t.Fatalf("%q cut at %d: got %q, want %q", text, cut, out.String(), want)
			}
		}
	}
}

// TestWriterRandomChunks: however a stream is cut into writes, the output
// is the masked stream.
func TestWriterRandomChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	parts := []string{"身份证号", "340799198707273470", fullWidth("34079919540925450X"), ",", "\n", "\r\033[K", "13812345678",
		"3407990010010001", " rows ", "12", "x", "X", "城关镇", "2026-11-28", "\xe5\xbc", " ", "-", "340799 ", "1987 0727", "*", "**"}
	for range 300 {
		var text strings.Builder
		for range rng.IntN(40) {
			text.WriteString(parts[rng.IntN(len(parts))])
		}
		s := text.String()
		var out bytes.Buffer
		w := NewWriter(&out, time.Hour)
		for rest := s; rest != ""; {
			n := 1 + rng.IntN(min(len(rest), 25))
			w.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		w.Close()
		if out.String() != Mask(s) {
			t.Fatalf("stream %q\n got %q\nwant %q", s, out.String(), Mask(s))
		}
	}
}

// TestWriterProgressRedraw: a progress bar redrawn with "\r" shows at once;
// nothing waits for a line end.
func TestWriterProgressRedraw(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, time.Hour)
	frames := []string{
		"\r\033[Kmedical medical_202510.csv  4096 rows  20480 rows/s  [=====                   ]  21%  ETA 4s",
		"\r\033[Kmedical medical_202510.csv  8192 rows  20480 rows/s  [==========              ]  42%  ETA 2s",
		"\r\033[K",
	}
	want := ""
	for _, f := range frames {
		w.Write([]byte(f))
		want += f
		if out.String() != want {
			t.Fatalf("after a frame the output is %q, want %q", out.String(), want)
		}
	}
}

// TestWriterIdleFlush: a tail held back because it may be the start of a
// number is written once the writer is idle, masked if it is one.
func TestWriterIdleFlush(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"rows so far: 4096", "rows so far: 4096"},
		{"ID 340799198707273470", "ID 340799********3470"},
	} {
		var out syncBuffer
		w := NewWriter(&out, 20*time.Millisecond)
		w.Write([]byte(tt.in))
		if got := out.String(); strings.Contains(got, "4096") || strings.Contains(got, "3470") {
			t.Fatalf("the digits were written before the writer knew they had ended: %q", got)
		}
		deadline := time.Now().Add(10 * time.Second) // a safety net, not a timing assertion
		for out.String() != tt.want {
			if time.Now().After(deadline) {
				t.Fatalf("held tail never written: %q", out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		w.Close()
	}
}

func TestWriterLongRunNotHeldForever(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, time.Hour)
	w.Write([]byte(strings.Repeat("7", maxHold+10)))
	if got := out.String(); len(got) != maxHold+10 || !strings.HasPrefix(got, "777777*") || !strings.HasSuffix(got, "*7777") {
		t.Fatalf("a run past maxHold: %d bytes written, %.20q...", len(got), got)
	}
}

func TestWriterUnmasked(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, time.Hour)
	w.Write([]byte("held 340799198707273470"))
	raw := w.Unmasked()
	if out.String() != "held 340799********3470" {
		t.Fatalf("Unmasked did not flush the masked tail first: %q", out.String())
	}
	fmt.Fprint(raw, " full 340799198707273470")
	if !strings.HasSuffix(out.String(), " full 340799198707273470") {
		t.Fatalf("the unmasked writer masks: %q", out.String())
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestWriterError(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw, time.Hour)
	if _, err := w.Write([]byte("line\n")); err == nil || err.Error() != "disk full" {
		t.Fatalf("Write error = %v", err)
	}
	if _, err := w.Write([]byte("again\n")); err == nil || fw.n != 1 {
		t.Fatalf("a failed writer is written again: %v, %d writes", err, fw.n)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close hides the error")
	}
}

func TestWrap(t *testing.T) {
	var out bytes.Buffer
	w := Wrap(&out)
	if Wrap(w) != w {
		t.Error("Wrap wraps a Writer again")
	}
}

// TestWriterConcurrent: whole lines written from several goroutines come
// out whole and masked (run with -race).
func TestWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, time.Hour)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "goroutine %d line %d id 34079919870727347%d\n", g, i, i%10)
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		if !strings.Contains(l, " id 340799********") || longestDigitRun(l) >= minLong {
			t.Fatalf("line %q", l)
		}
	}
}

// FuzzWriter: a stream cut into writes anywhere comes out as Mask of the
// whole stream.
func FuzzWriter(f *testing.F) {
	f.Add("medical ignored columns: 340799198707273470, 白明波\n", []byte{5, 30, 31})
	f.Add(fullWidth("34079919540925450X")+" 138 1234 5678\r", []byte{1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, s string, cuts []byte) {
		var out bytes.Buffer
		w := NewWriter(&out, time.Hour)
		rest := s
		for _, c := range cuts {
			n := min(int(c), len(rest))
			w.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		w.Write([]byte(rest))
		w.Close()
		if out.String() != Mask(s) {
			t.Fatalf("stream %q cut at %v\n got %q\nwant %q", s, cuts, out.String(), Mask(s))
		}
	})
}
