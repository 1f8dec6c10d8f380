package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/notify"
)

// hookLog is a webhook receiver that records every message it gets.
type hookLog struct {
	mu    sync.Mutex
	got   map[string][]notify.Message // event key -> copies received
	delay time.Duration
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var m notify.Message
	if err := json.Unmarshal(body, &m); err != nil || r.Header.Get("Idempotency-Key") != m.Event {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	time.Sleep(h.delay)
	h.mu.Lock()
	h.got[m.Event] = append(h.got[m.Event], m)
	h.mu.Unlock()
}

func (h *hookLog) copies() map[string][]notify.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]notify.Message{}
	for k, v := range h.got {
		out[k] = append([]notify.Message(nil), v...)
	}
	return out
}

// notifyKillConfig is the project's config.yaml with its paths made
// absolute, the store in dir, and a webhook receiver at url hearing every
// township, the county and the operators.
func notifyKillConfig(t *testing.T, dir, url string) string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	b, err := os.ReadFile(filepath.Join(root, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := regexp.MustCompile(`(?m)^(\s*(?:path|dir|calendar|divisions):\s*)((?:testdata|rules)\S*)`).ReplaceAllString(string(b), "${1}"+root+"/${2}")
	receivers := fmt.Sprintf(`  receivers:
    hook:
      kind: webhook
      url: %s
      townships: [all]
      county: true
      ops: true
`, url)
	withHook := regexp.MustCompile(`(?m)^  receivers: \{\}.*\n`).ReplaceAllLiteralString(cfg, receivers)
	if withHook == cfg {
		t.Fatal("config.yaml has no `  receivers: {}` line under notify: to replace")
	}
	cfg = withHook
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKillNineNotify: lipwatch killed (SIGKILL) right after claiming a
// delivery and right after the receiver took one, and at a random moment
// of a slow send; after the restarts every event has reached the
// receiver, and a further copy exists only where a kill fell after the
// receiver took a message and before the store recorded it — and it says
// it is one (resent, with the same event key for the receiver to drop it).
func TestKillNineNotify(t *testing.T) {
	if privacyBin == "" {
		t.Skip("no binary (TestMain builds it for TestKillNine*)")
	}
	hook := &hookLog{got: map[string][]notify.Message{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	k := newKillEnv(t)
	k.config = notifyKillConfig(t, k.dir, srv.URL)

	// The night's run records its notifications, then dies claiming the
	// first: nothing was sent.
	if !k.killed("notify.claimed", 0, "2026-11-28", "run") {
		t.Fatal("run was not killed at notify.claimed")
	}
	if n := len(hook.copies()); n != 0 {
		t.Fatalf("%d events received before any send", n)
	}
	// Dies after the receiver took the second message, before recording it.
	if !k.killed("notify.sent#2", 0, "2026-11-28", "notify", "send") {
		t.Fatal("notify send was not killed at notify.sent#2")
	}
	afterSent := hook.copies()
	if len(afterSent) != 2 {
		t.Fatalf("after the kill at the second send: %d events received, want 2", len(afterSent))
	}
	// Killed at a random moment of a slow send.
	hook.delay = 150 * time.Millisecond
	k.killed("", 400*time.Millisecond, "2026-11-28", "notify", "send")
	hook.delay = 0
	k.run("2026-11-28", "notify", "send")

	out, err := exec2(k, "notify", "list", "--json", "--limit", "1000")
	if err != nil {
		t.Fatalf("notify list: %v\n%s", err, out)
	}
	var rows []struct {
		Key, State string
		Resent     bool
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("notify list --json: %v\n%s", err, out)
	}
	if len(rows) < 3 {
		t.Fatalf("only %d deliveries recorded", len(rows))
	}
	got := hook.copies()
	extra := 0
	for _, r := range rows {
		copies := got[r.Key]
		switch {
		case r.State != "sent":
			t.Errorf("%s: %s after the restarts", r.Key, r.State)
		case len(copies) == 0:
			t.Errorf("%s: lost", r.Key)
		}
		for i, m := range copies {
			if i > 0 && (!m.Resent || !r.Resent) {
				t.Errorf("%s: copy %d not marked resent", r.Key, i+1)
			}
			if err := notify.Scan(m.Title+strings.Join(m.Lines, "\n"), nil); err != nil {
				t.Errorf("%s: %v", r.Key, err)
			}
		}
		extra += max(len(copies)-1, 0)
	}
	// A copy more only where a kill fell after the receiver took a
	// message: certainly at notify.sent#2, perhaps at the random kill.
	if extra < 1 || extra > 2 {
		t.Errorf("%d copies more than events, want 1 or 2", extra)
	}
	if len(got) != len(rows) {
		t.Errorf("the receiver got %d events, the outbox has %d", len(got), len(rows))
	}
	t.Logf("%d deliveries, %d second copies (each marked resent)", len(rows), extra)
}

// exec2 runs lipwatch to its end and returns its standard output.
func exec2(k *killEnv, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, privacyBin, append([]string{"--config", k.config, "--as-of", "2026-11-28"}, args...)...)
	cmd.Dir, cmd.Env = k.dir, k.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}
