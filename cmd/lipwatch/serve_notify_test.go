package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/notify"
	"github.com/lipwatch/lipwatch/engine/store"
)

// serve sends the notifications a night recorded, by itself: a run that
// leaves them to serve (notify.command_wait 0) records them, and serve,
// once it holds the store, delivers every one once.
func TestServeNotifies(t *testing.T) {
	hook := &hookLog{got: map[string][]notify.Message{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	dir := t.TempDir()
	config := notifyKillConfig(t, dir, srv.URL)
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "lw.duckdb"))
	t.Setenv("LIPWATCH_DISPATCH_DIR", filepath.Join(dir, "lists"))
	t.Setenv("LIPWATCH_NOTIFY_COMMAND_WAIT", "0s")
	t.Setenv("LIPWATCH_NOTIFY_POLL", "1s")
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", farNightly)
	if out, err := runWith(t, config, "--as-of", "2026-11-28", "run"); err != nil {
		if _, degraded := err.(*exitError); !degraded {
			t.Fatalf("run: %v\n%s", err, out)
		}
	}
	if n := len(hook.copies()); n != 0 {
		t.Fatalf("the run sent %d messages itself", n)
	}
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.Deliveries(context.Background(), store.DeliveryFilter{State: "pending", Limit: 1000})
	st.Close()
	if err != nil || len(pending) == 0 {
		t.Fatalf("pending deliveries after the run: %d %v", len(pending), err)
	}

	addr := freeAddr(t)
	t.Setenv("LIPWATCH_OPS_LISTEN", addr)
	ctx, cancel := context.WithCancel(context.Background())
	sv := &serving{logs: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	root := newRootCmd()
	root.SetOut(new(bytes.Buffer))
	root.SetErr(sv.logs)
	root.SetArgs([]string{"--config", config, "--log-level", "info", "serve"})
	go func() {
		sv.err = root.ExecuteContext(ctx)
		close(sv.done)
	}()
	defer func() {
		cancel()
		select {
		case <-sv.done:
		case <-time.After(2 * time.Minute):
		}
	}()
	sv.await(t, `msg=notifications sent=`, 1)
	got := hook.copies()
	for _, d := range pending {
		if n := len(got[d.Key]); n != 1 {
			t.Errorf("%s received %d times", d.Key, n)
		}
	}
	// The scrape counts them.
	m, _ := scrape(t, addr)
	if v := sample(t, m, `lipwatch_notify_deliveries{receiver="hook",state="sent"}`); v < float64(len(pending)) {
		t.Errorf("sent deliveries in /metrics: %v, want at least %d", v, len(pending))
	}
	if v := sample(t, m, `lipwatch_notify_deliveries{receiver="hook",state="failed"}`); v != 0 {
		t.Errorf("failed deliveries in /metrics: %v", v)
	}
}
