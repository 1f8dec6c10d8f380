package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The portal's sessions survive reopening the store, expire, and are kept
// by the hash of their token only.
func TestSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lw.duckdb")
	st, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ss := st.Sessions()
	if err := ss.Commit("tok-live", []byte("alice"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ss.Commit("tok-live", []byte("alice2"), time.Now().Add(time.Hour)); err != nil { // renewed
		t.Fatal(err)
	}
	if err := ss.Commit("tok-old", []byte("bob"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ss = st.Sessions()
	if b, ok, err := ss.Find("tok-live"); err != nil || !ok || string(b) != "alice2" {
		t.Errorf("live session: %q %v %v", b, ok, err)
	}
	if _, ok, err := ss.Find("tok-old"); err != nil || ok {
		t.Errorf("expired session found: %v %v", ok, err)
	}
	var tokens string
	st.DB().QueryRow(`SELECT string_agg(token, ',') FROM sessions`).Scan(&tokens)
	if strings.Contains(tokens, "tok-") {
		t.Errorf("tokens kept in clear: %s", tokens)
	}
	if n, err := ss.DeleteExpired(ctx); err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v", n, err)
	}
	if err := ss.Delete("tok-live"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ss.Find("tok-live"); ok {
		t.Error("deleted session found")
	}
}
