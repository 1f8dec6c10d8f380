package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

const token = "s3cr3t-T0ken-9f8e7d"

func TestBearerFromEnv(t *testing.T) {
	t.Setenv("LIPWATCH_TEST_TOKEN", token)
	srv := serve(t, employment(30), fakeapi.Options{Token: token})
	o := pageOpts(srv, "page", 10)
	o["auth"], o["token_env"] = "bearer", "LIPWATCH_TEST_TOKEN"
	if rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, o))); len(rows) != 30 {
		t.Errorf("read %d rows, want 30", len(rows))
	}
}

func TestBearerFromFile(t *testing.T) {
	srv := serve(t, employment(30), fakeapi.Options{Token: token})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := pageOpts(srv, "page", 10)
	o["auth"], o["token_file"], o["backoff"] = "bearer", "token", "5ms"
	c, err := connectors.New("http", connectors.Source{Name: sourceName, BaseDir: dir, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	if rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, c)); len(rows) != 30 {
		t.Errorf("read %d rows, want 30", len(rows))
	}
}

func TestBasicAuth(t *testing.T) {
	t.Setenv("LIPWATCH_TEST_PASSWORD", "pa55-word")
	srv := serve(t, employment(5), fakeapi.Options{Username: "mzj", Password: "pa55-word"})
	o := pageOpts(srv, "page", 10)
	o["auth"], o["username"], o["password_env"] = "basic", "mzj", "LIPWATCH_TEST_PASSWORD"
	if rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, o))); len(rows) != 5 {
		t.Errorf("read %d rows, want 5", len(rows))
	}

	t.Setenv("LIPWATCH_TEST_PASSWORD", "wrong-pa55")
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "source employment", "HTTP 401 Unauthorized", "password in environment variable LIPWATCH_TEST_PASSWORD")
	if strings.Contains(err.Error(), "wrong-pa55") {
		t.Errorf("error reveals the password: %v", err)
	}
}

// A wrong token fails at once (401 is not retried) with a message that
// says where the token came from and does not show it.
func TestWrongToken(t *testing.T) {
	t.Setenv("LIPWATCH_TEST_TOKEN", "not-the-"+token)
	srv := serve(t, employment(5), fakeapi.Options{Token: token})
	o := pageOpts(srv, "page", 10)
	o["auth"], o["token_env"] = "bearer", "LIPWATCH_TEST_TOKEN"
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: page 1: HTTP 401 Unauthorized (check the token in environment variable LIPWATCH_TEST_TOKEN)")
	if strings.Contains(err.Error(), token) {
		t.Errorf("error reveals the token: %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: a 401 is not retried", n)
	}
}

// A server that echoes the credentials in its error body does not get
// them into the message.
func TestSecretMaskedInErrors(t *testing.T) {
	t.Setenv("LIPWATCH_TEST_TOKEN", token)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"msg": "token %s has no access"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer srv.Close()
	_, err := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/x", "auth": "bearer", "token_env": "LIPWATCH_TEST_TOKEN"}))
	connectortest.WantErr(t, err, "HTTP 403 Forbidden", "token [redacted] has no access")
	if strings.Contains(err.Error(), token) {
		t.Errorf("error reveals the token: %v", err)
	}
}

// A missing secret fails the source before any request, naming where the
// secret should be.
func TestMissingSecret(t *testing.T) {
	srv := serve(t, employment(5), fakeapi.Options{Token: token})
	tests := []struct {
		opts connectors.Options
		want string
	}{
		{connectors.Options{"auth": "bearer", "token_env": "LIPWATCH_TEST_UNSET"},
			"source employment: auth: environment variable LIPWATCH_TEST_UNSET (the token) is not set"},
		{connectors.Options{"auth": "bearer", "token_file": "no-such-file"},
			"source employment: auth: read the token file no-such-file: no such file or directory"},
	}
	for _, tt := range tests {
		o := pageOpts(srv, "page", 10)
		for k, v := range tt.opts {
			o[k] = v
		}
		_, err := syncErr(t.Context(), newSource(t, o))
		connectortest.WantErr(t, err, tt.want)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}
