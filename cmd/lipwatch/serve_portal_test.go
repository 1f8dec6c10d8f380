package main

import (
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The portal runs in serve on the store serve holds: an account the
// county admin adds through the CLI (forwarded to serve) logs in and must
// first change its one-time password; the nightly run's cases are there.
func TestServePortal(t *testing.T) {
	a := newAdminEnv(t)
	a.run(0, nil, "--as-of", "2026-11-28", "run")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a.env = append(a.env, "LIPWATCH_PORTAL_LISTEN="+addr, "LIPWATCH_PORTAL_SECURE_COOKIES=false")
	a.startServe()
	a.awaitLog(`msg="portal serving"`, 1)

	add := a.run(0, nil, "users", "add", "zhangmin", "--role", "township", "--township", "城关镇", "--display-name", "张敏")
	pw := regexp.MustCompile(`\b[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}\b`).FindString(add.stdout)
	if pw == "" {
		t.Fatalf("no one-time password printed:\n%s", add)
	}
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := get("/login")
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("login page: %d", code)
	}
	form := url.Values{"csrf_token": {html.UnescapeString(m[1])}, "username": {"zhangmin"}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/password" {
		t.Fatalf("login with the one-time password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, page := get("/password"); code != 200 || !strings.Contains(page, "须先设置您自己的密码") {
		t.Errorf("password page: %d", code)
	}
	// The login is in the audit log, read through serve.
	audit := a.run(0, nil, "audit", "--account", "zhangmin", "--action", "login")
	if !strings.Contains(audit.stdout, "login") || !strings.Contains(audit.stdout, "1 rows") {
		t.Errorf("audit:\n%s", audit)
	}
}
