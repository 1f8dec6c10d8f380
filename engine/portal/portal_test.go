package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	lvl "github.com/lipwatch/lipwatch/engine/level"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/lipwatch/lipwatch/connectors/all" // the county's connectors
	"github.com/lipwatch/lipwatch/engine/auth"
	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
	"github.com/xuri/excelize/v2"
)

// The synthetic county after one night, with accounts of every role.
type county struct {
	p   *pipeline.Pipeline
	srv *httptest.Server
	s   *Server
	day time.Time
	// cases by routed township code, and the first village with cases
	// in township A.
	byTown                          map[string][]string
	villageA                        string
	villageCaseA, otherVillageCaseA string
	// reloads counts the reload button's calls; reloadErr is what the
	// next one returns.
	reloads   atomic.Int32
	reloadErr atomic.Pointer[error]
}

const (
	townA    = "340799001" // 城关镇
	townB    = "340799002" // 城东街道
	password = "Lw-portal-2026!"
)

var (
	countyOnce sync.Once
	shared     *county
	sharedErr  error
)

// openCounty runs one night on the synthetic county and starts the portal
// on it, once per test binary (tests only read it or change their own
// cases).
func openCounty(t *testing.T) *county {
	t.Helper()
	countyOnce.Do(func() { shared, sharedErr = buildCounty() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// countyDirs are the counties' directories, removed by TestMain.
var countyDirs []string

func buildCounty() (*county, error) { return buildCountyWith(nil) }

// buildCountyWith runs one night on the synthetic county in a directory of
// its own and starts the portal on it; setup, when set, changes the store
// after the night, before the accounts are added.
func buildCountyWith(setup func(ctx context.Context, c *county) error) (*county, error) {
	ctx := context.Background()
	dir, err := osMkdirTemp()
	if err != nil {
		return nil, err
	}
	countyDirs = append(countyDirs, dir)
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		return nil, err
	}
	cfg.Store.Path = filepath.Join(dir, "lw.duckdb")
	cfg.Dispatch.Dir = filepath.Join(dir, "lists")
	cfg.Portal.SecureCookies = false // httptest speaks plain HTTP on 127.0.0.1
	p, err := pipeline.Open(ctx, cfg, nil, "portal test")
	if err != nil {
		return nil, err
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if _, err := p.Run(ctx, day); err != nil {
		return nil, err
	}
	c := &county{p: p, day: day, byTown: map[string][]string{}}
	all, err := p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		return nil, err
	}
	items, err := p.Items(ctx, all, day)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		c.byTown[it.TownshipCode] = append(c.byTown[it.TownshipCode], it.CaseID)
		if it.TownshipCode == townA && it.VillageCode != "" {
			switch {
			case c.villageA == "":
				c.villageA, c.villageCaseA = it.VillageCode, it.CaseID
			case it.VillageCode != c.villageA && c.otherVillageCaseA == "":
				c.otherVillageCaseA = it.CaseID
			}
		}
	}
	if setup != nil {
		if err := setup(ctx, c); err != nil {
			return nil, err
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	for _, u := range []store.NewUser{
		{Username: "admin", Scope: auth.Scope{Role: auth.Admin}},
		{Username: "analyst", Scope: auth.Scope{Role: auth.Analyst}},
		{Username: "officer_a", DisplayName: "张敏", Scope: auth.Scope{Role: auth.Township, Township: townA}},
		{Username: "officer_b", Scope: auth.Scope{Role: auth.Township, Township: townB}},
		{Username: "village_a", Scope: auth.Scope{Role: auth.Village, Township: townA, Villages: []string{c.villageA}}},
		{Username: "newcomer", Scope: auth.Scope{Role: auth.Township, Township: townA}, MustChangePassword: true},
		{Username: "locked", Scope: auth.Scope{Role: auth.Township, Township: townA}},
	} {
		u.PasswordHash = hash
		if err := p.Store.AddUser(ctx, "test", u); err != nil {
			return nil, err
		}
	}
	// serve's job lock as serve gives it: one holder, not re-entrant; a
	// request that took it twice would wait here and fail, not pass.
	jobLock := make(chan struct{}, 1)
	exclusive := func(ctx context.Context) (func(), error) {
		select {
		case jobLock <- struct{}{}:
			return func() { <-jobLock }, nil
		case <-time.After(3 * time.Second):
			return nil, errors.New("the job lock is held (taken twice by one request?)")
		}
	}
	s, err := New(Options{Pipeline: p, Today: func() time.Time { return day.AddDate(0, 0, 2) },
		Now:             func() time.Time { return day.AddDate(0, 0, 2).Add(2 * time.Hour) }, // 10:00 in China
		LoginsPerMinute: 100000,
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Exclusive:       exclusive,
		Reload: func(ctx context.Context) error {
			// serve's reload swaps under the job lock.
			release, err := exclusive(ctx)
			if err != nil {
				return err
			}
			defer release()
			c.reloads.Add(1)
			if e := c.reloadErr.Load(); e != nil {
				return *e
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	c.s = s
	c.srv = httptest.NewServer(s)
	return c, nil
}

// client is a browser: a cookie jar, no redirects followed.
type client struct {
	t    testing.TB
	c    *county
	http *http.Client
}

func (c *county) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, c: c, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (cl *client) get(path string) (int, string, http.Header) {
	cl.t.Helper()
	resp, err := cl.http.Get(cl.c.srv.URL + path)
	if err != nil {
		cl.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// token is a CSRF token for this client's forms, from a page that has one.
func (cl *client) token() string {
	cl.t.Helper()
	_, body, _ := cl.get("/login")
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		cl.t.Fatalf("no CSRF token on the login page")
	}
	return html.UnescapeString(m[1]) // as a browser reads the attribute
}

func (cl *client) post(path string, form url.Values) (int, string, http.Header) {
	cl.t.Helper()
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", cl.token())
	}
	req, _ := http.NewRequest(http.MethodPost, cl.c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", cl.c.srv.URL) // as a browser posting the portal's own form
	resp, err := cl.http.Do(req)
	if err != nil {
		cl.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (cl *client) login(name string) *client {
	cl.t.Helper()
	code, body, _ := cl.post("/login", url.Values{"username": {name}, "password": {password}})
	if code != http.StatusSeeOther {
		cl.t.Fatalf("login %s: %d %s", name, code, body)
	}
	return cl
}

// Every route × every account × a case of the account's township and one
// of another: nothing of another township is shown or changed. The test
// fails when a route is added without an expectation here.
func TestIsolation(t *testing.T) {
	c := openCounty(t)
	own, foreign := c.byTown[townA][0], c.byTown[townB][0]
	if c.villageCaseA == "" || c.otherVillageCaseA == "" {
		t.Fatal("the county has no two villages with cases in township A")
	}
	// What each route must answer, by account: "ok" (2xx/3xx to a page of
	// its own), "login" (redirect to the login page / 401), "404", "403".
	type want map[string]string
	accounts := []string{"", "admin", "analyst", "officer_a", "officer_b", "village_a"}
	expect := map[string]func(acct, id string) string{
		"GET /static/":  func(acct, id string) string { return "ok" },
		"GET /login":    func(acct, id string) string { return "ok" },
		"POST /login":   func(acct, id string) string { return "ok" }, // a failed login page, for any account
		"POST /logout":  func(acct, id string) string { return loggedIn(acct, "ok") },
		"GET /password": func(acct, id string) string { return loggedIn(acct, "ok") },
		"POST /password": func(acct, id string) string {
			return loggedIn(acct, "ok") // a refused change (wrong current password): the account's own page
		},
		"GET /{$}":   func(acct, id string) string { return loggedIn(acct, "ok") },
		"GET /cases": func(acct, id string) string { return loggedIn(acct, "ok") },
		"GET /cases/{id}": func(acct, id string) string {
			return loggedIn(acct, seesCase(acct, id, c))
		},
		"POST /cases/{id}/unmask": func(acct, id string) string {
			return loggedIn(acct, seesCase(acct, id, c))
		},
		"GET /list.xlsx": func(acct, id string) string { return loggedIn(acct, "ok") }, // county roles: 400, a township is asked for
		"POST /cases/{id}/extension": func(acct, id string) string {
			r := seesCase(acct, id, c)
			if r == "ok" && acct != "officer_a" && acct != "officer_b" {
				return "403" // only township officers ask
			}
			return loggedIn(acct, r) // allowed: a too-short reason, refused with the form again
		},
		"GET /county": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"POST /cases/{id}/assign": func(acct, id string) string {
			if acct == "admin" {
				return "ok" // no township chosen: refused with a message
			}
			return loggedIn(acct, "403")
		},
		"GET /sources": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"GET /report": func(acct, id string) string {
			if acct == "analyst" {
				return "403"
			}
			return loggedIn(acct, "ok")
		},
		"POST /report": func(acct, id string) string {
			if acct == "analyst" {
				return "403"
			}
			return loggedIn(acct, "ok") // a wrong ID number: the form again
		},
		"GET /stats": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"GET /stats.csv": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "404" // no ?t=: no such statistic
			}
			return loggedIn(acct, "403")
		},
		"POST /cases/{id}/reopen": func(acct, id string) string {
			if acct == "admin" {
				return "ok" // no reason given: refused with a message
			}
			return loggedIn(acct, "403")
		},
		"POST /reload": func(acct, id string) string {
			if acct == "admin" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"GET /stats.xlsx": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"GET /extensions": func(acct, id string) string {
			if acct == "admin" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"POST /extensions/{rid}": func(acct, id string) string {
			if acct == "admin" {
				return "404" // no such request
			}
			return loggedIn(acct, "403")
		},
		"GET /links": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "ok"
			}
			return loggedIn(acct, "403")
		},
		"POST /links/{lid}": func(acct, id string) string {
			if acct == "admin" || acct == "analyst" {
				return "404" // no such link
			}
			return loggedIn(acct, "403")
		},
		"POST /cases/{id}/outcome": func(acct, id string) string {
			r := seesCase(acct, id, c)
			if r == "ok" && (acct == "analyst" || acct == "village_a") {
				return "403"
			}
			return loggedIn(acct, r)
		},
	}
	for _, rt := range c.s.Routes() {
		key := rt.Method + " " + rt.Path
		if _, ok := expect[key]; !ok {
			t.Errorf("route %s (%s) is not in the isolation test: add what every account must get from it", key, rt.Access)
		}
	}
	// One logged-in browser per account (a login costs an Argon2id hash);
	// logging out is tried last and logs in again after.
	clients := map[string]*client{}
	browser := func(acct string) *client {
		if clients[acct] == nil {
			clients[acct] = c.client(t)
			if acct != "" {
				clients[acct].login(acct)
			}
		}
		return clients[acct]
	}
	routes := c.s.Routes()
	slices.SortStableFunc(routes, func(a, b Route) int {
		if a.Path == "/logout" {
			return 1
		}
		if b.Path == "/logout" {
			return -1
		}
		return 0
	})
	const unknown = "YJ-20990101-9999"
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		f := expect[key]
		if f == nil {
			continue
		}
		for _, acct := range accounts {
			for _, id := range []string{own, foreign, c.villageCaseA, c.otherVillageCaseA, unknown} {
				if !strings.Contains(rt.Path, "{id}") && id != own {
					continue
				}
				cl := browser(acct)
				path := strings.ReplaceAll(strings.TrimSuffix(rt.Path, "{$}"), "{id}", id)
				path = strings.ReplaceAll(path, "{rid}", "999999")
				path = strings.ReplaceAll(path, "{lid}", "999999")
				if rt.Path == "/static/" {
					path = "/static/portal.css"
				}
				var code int
				var body string
				if rt.Method == http.MethodGet {
					code, body, _ = cl.get(path)
				} else {
					form := url.Values{}
					switch rt.Path {
					case "/login":
						form = url.Values{"username": {"nobody"}, "password": {"wrong"}} // an unknown name: locks no account
					case "/password":
						form = url.Values{"current": {"wrong"}, "new": {"x"}, "confirm": {"x"}}
					case "/cases/{id}/outcome":
						form = url.Values{"outcome": {"bogus"}} // refused by validation even when allowed: nothing closes
					case "/cases/{id}/unmask":
						form = url.Values{"reason": {"入户核实需核对证件"}}
					case "/cases/{id}/extension":
						form = url.Values{"reason": {"短"}}
					case "/extensions/{rid}":
						form = url.Values{"decision": {"approve"}}
					case "/report":
						form = url.Values{"id_number": {"110105194912310021"}, "kind": {"illness"}} // a wrong check digit
					}
					code, body, _ = cl.post(path, form)
				}
				if strings.HasSuffix(path, ".xlsx") && code == http.StatusOK {
					body = xlsxText(t, body)
				}
				got := classify(code, body)
				w := f(acct, id)
				if id == unknown && acct != "" && (rt.Access == CaseInScope || rt.Access == CaseToClose) {
					w = "404"
				}
				if got != w {
					t.Errorf("%s as %q on %s: got %s (%d), want %s", key, acct, id, got, code, w)
				}
				// No page shown to township A's people names a case of B.
				if (acct == "officer_a" || acct == "village_a") && containsAny(body, c.byTown[townB]) {
					t.Errorf("%s as %s shows a case of %s", key, acct, townB)
				}
				if rt.Path == "/logout" {
					delete(clients, acct)
				}
			}
		}
	}
}

// xlsxText is every cell of a workbook, for the isolation checks.
func xlsxText(t *testing.T, data string) string {
	t.Helper()
	x, err := excelize.OpenReader(strings.NewReader(data))
	if err != nil {
		t.Fatalf("not an xlsx: %v", err)
	}
	defer x.Close()
	var b strings.Builder
	for _, sh := range x.GetSheetList() {
		rows, _ := x.GetRows(sh)
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return b.String()
}

// classify sorts an answer: ok, login, 403, 404, or the code.
func classify(code int, body string) string {
	switch {
	case code == http.StatusSeeOther && strings.Contains(body, "/login"), code == http.StatusUnauthorized && !strings.Contains(body, "用户名或密码不正确"):
		return "login"
	case code == http.StatusNotFound:
		return "404"
	case code == http.StatusForbidden:
		return "403"
	case code < 500:
		return "ok"
	}
	return http.StatusText(code)
}

func loggedIn(acct, then string) string {
	if acct == "" {
		return "login"
	}
	return then
}

// seesCase is whether acct may see case id: ok or 404.
func seesCase(acct, id string, c *county) string {
	switch acct {
	case "admin", "analyst":
		return "ok"
	case "officer_a":
		if slices.Contains(c.byTown[townA], id) {
			return "ok"
		}
	case "officer_b":
		if slices.Contains(c.byTown[townB], id) {
			return "ok"
		}
	case "village_a":
		if id == c.villageCaseA {
			return "ok"
		}
	}
	return "404"
}

func containsAny(s string, ids []string) bool {
	for _, id := range ids {
		if strings.Contains(s, id) {
			return true
		}
	}
	return false
}

// A township officer sees her township's open cases, opens one and
// records an outcome that closes it, audited with her account; the same
// form refuses an outcome that is not one of the list's, with the list's
// words, and a blank 核实日期.
func TestOfficerRecordsOutcome(t *testing.T) {
	c := openCounty(t)
	cl := c.client(t).login("officer_a")
	code, body, _ := cl.get("/cases")
	if code != 200 {
		t.Fatalf("cases: %d", code)
	}
	for _, id := range c.byTown[townA] {
		cs, _ := c.p.Store.Case(context.Background(), id)
		if cs.State != cases.StateClosed && !strings.Contains(body, id) {
			t.Errorf("own open case %s not listed", id)
		}
	}
	id := c.byTown[townA][len(c.byTown[townA])-1]
	code, body, _ = cl.get("/cases/" + id)
	if code != 200 || !strings.Contains(body, "登记核实结果") || !regexp.MustCompile(`\d{6}\*{8}\d{3}[\dX]`).MatchString(body) {
		t.Fatalf("case page: %d, outcome form or masked ID missing", code)
	}
	code, body, _ = cl.post("/cases/"+id+"/outcome", url.Values{"outcome": {"已核实"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "不是允许的选项") {
		t.Errorf("bad outcome: %d", code)
	}
	// The form offers today as the date; one sent empty is refused, as a
	// returned list's blank 核实日期 is, and closes nothing.
	for _, on := range []url.Values{{"verified_on": {""}}, {"verified_on": {"  "}}, {}} {
		on.Set("outcome", "dibao")
		code, body, _ = cl.post("/cases/"+id+"/outcome", on)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写核实日期") {
			t.Errorf("blank date %q: %d, want 422 asking for the 核实日期", on.Get("verified_on"), code)
		}
	}
	if got, _ := c.p.Store.Case(context.Background(), id); got.State == cases.StateClosed {
		t.Fatalf("a blank date closed the case: %+v", got)
	}
	code, _, h := cl.post("/cases/"+id+"/outcome", url.Values{"outcome": {"dibao"}, "note": {"入户核实，符合低保条件"}, "verified_on": {"2026-11-29"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/cases/"+id) {
		t.Fatalf("outcome: %d %s", code, h.Get("Location"))
	}
	got, err := c.p.Store.Case(context.Background(), id)
	if err != nil || got.State != cases.StateClosed || got.Outcome != "dibao" {
		t.Fatalf("case after the outcome: %+v %v", got, err)
	}
	var actor, detail string
	if err := c.p.Store.DB().QueryRow(`SELECT actor, detail FROM audit WHERE action = 'portal_outcome' AND subject = ?`, id).Scan(&actor, &detail); err != nil {
		t.Fatal(err)
	}
	if actor != "portal:officer_a" || !strings.Contains(detail, `"closed":true`) {
		t.Errorf("audit: %s %s", actor, detail)
	}
	// Closed: no more form, and a second outcome is refused.
	_, body, _ = cl.get("/cases/" + id)
	if strings.Contains(body, "登记核实结果") || !strings.Contains(body, "纳入低保") {
		t.Errorf("closed case page still offers the form or lacks the outcome")
	}
	// Its history: opened, dispatched in the night's batch, closed.
	hist := regexp.MustCompile(`(?s)2026-11-28 生成预警.*2026-11-28 下发（批次 PD-20261128-1，办结期限 2026-12-18）.*2026-11-29 办结：纳入低保（核实人 张敏），核实说明：入户核实，符合低保条件`)
	if !hist.MatchString(body) {
		t.Errorf("history missing or out of order")
	}
	if !strings.Contains(body, "核查要点") || !strings.Contains(body, "与户主关系") {
		t.Errorf("case page lacks the rule's doc or the members")
	}
}

// Logins: a wrong password locks the account after the configured number
// of failures, a locked account cannot log in even with its password, an
// unknown name gets the same words as a wrong password; an account that
// must change its password reaches nothing else first; CSRF tokens are
// required on every form.
func TestLoginRules(t *testing.T) {
	c := openCounty(t)
	cl := c.client(t)
	for i := range c.p.Cfg.Portal.LoginMaxFailures + 1 {
		code, body, _ := cl.post("/login", url.Values{"username": {"locked"}, "password": {"nope"}})
		if code != http.StatusUnauthorized || strings.Contains(body, "账号已暂时锁定") {
			// A guesser cannot tell a locked account from an unknown name.
			t.Fatalf("failure %d: %d, says locked: %v", i, code, strings.Contains(body, "账号已暂时锁定"))
		}
	}
	// Its owner, with the right password, is told to wait.
	if code, body, _ := cl.post("/login", url.Values{"username": {"locked"}, "password": {password}}); code != http.StatusUnauthorized || !strings.Contains(body, "账号已暂时锁定") {
		t.Errorf("locked account logged in: %d", code)
	}
	_, unknown, _ := cl.post("/login", url.Values{"username": {"nobody"}, "password": {"nope"}})
	_, wrong, _ := cl.post("/login", url.Values{"username": {"officer_b"}, "password": {"nope"}})
	if !strings.Contains(unknown, "用户名或密码不正确") || !strings.Contains(wrong, "用户名或密码不正确") {
		t.Errorf("unknown and wrong answers differ")
	}

	nc := c.client(t).login("newcomer")
	if code, _, h := nc.get("/cases"); code != http.StatusSeeOther || h.Get("Location") != "/password" {
		t.Errorf("must-change account reached /cases: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := nc.post("/password", url.Values{"current": {password}, "new": {"12345678"}, "confirm": {"12345678"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "error") {
		t.Errorf("weak password accepted: %d", code)
	}
	if code, _, _ := nc.post("/password", url.Values{"current": {password}, "new": {"Township-Desk-77"}, "confirm": {"Township-Desk-77"}}); code != http.StatusOK {
		t.Errorf("password change: %d", code)
	}
	if code, _, _ := nc.get("/cases"); code != http.StatusOK {
		t.Errorf("after the change /cases: %d", code)
	}

	// A form without the token, or with another session's, is refused.
	oc := c.client(t).login("officer_a")
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+"/cases/"+c.byTown[townA][0]+"/outcome", strings.NewReader("outcome=dibao"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := oc.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("outcome without a CSRF token: %d", resp.StatusCode)
	}
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "lipwatch-portal-") }

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range []*county{shared, linkShared} {
		if c != nil {
			c.srv.Close()
			c.p.Close()
		}
	}
	for _, dir := range countyDirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// Full ID numbers only for a reason, audited with it; the list download
// is the township's own cases, marked with its last batch so that the
// filled-in file can be imported like the dispatched list.
func TestUnmaskAndDownload(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	cl := c.client(t).login("officer_a")
	id := c.byTown[townA][0]
	full := regexp.MustCompile(`\b\d{17}[\dX]\b`)
	_, body, _ := cl.get("/cases/" + id)
	if full.MatchString(body) {
		t.Fatal("case page shows a full ID number")
	}
	code, body, _ := cl.post("/cases/"+id+"/unmask", url.Values{"reason": {"短"}})
	if code != http.StatusUnprocessableEntity || full.MatchString(body) {
		t.Errorf("unmask without a reason: %d", code)
	}
	code, body, _ = cl.post("/cases/"+id+"/unmask", url.Values{"reason": {"入户核实需核对证件"}})
	if code != http.StatusOK || !full.MatchString(body) {
		t.Fatalf("unmask: %d, full IDs shown: %v", code, full.MatchString(body))
	}
	var detail string
	if err := c.p.Store.DB().QueryRow(`SELECT detail FROM audit WHERE action = 'cases_show' AND subject = ? AND actor = 'portal:officer_a'
		AND detail LIKE '%"unmasked":true%'`, id).Scan(&detail); err != nil || !strings.Contains(detail, "入户核实需核对证件") {
		t.Errorf("unmask audit: %q %v", detail, err)
	}

	code, body, h := cl.get("/list.xlsx")
	if code != http.StatusOK || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", code, h)
	}
	path := filepath.Join(t.TempDir(), "list.xlsx")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := dispatch.ReadFeedback(path, dispatch.Options{AsOf: c.day})
	if err != nil {
		t.Fatal(err)
	}
	if r.Mark.Township != townA || r.Mark.Batch == "" {
		t.Errorf("downloaded list's mark: %+v", r.Mark)
	}
	text := xlsxText(t, body)
	for _, cid := range c.byTown[townA] {
		cs, _ := c.p.Store.Case(ctx, cid)
		if cs.State != cases.StateClosed && !strings.Contains(text, cid) {
			t.Errorf("own open case %s not in the download", cid)
		}
	}
}

// A township officer asks for more time; the county admin approves it;
// the deadline moves to the extended one (working days from the
// dispatch), the case is re-listed, and each step is audited. A second
// request is refused.
func TestExtensionRequest(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	id := c.byTown[townA][2]
	officer := c.client(t).login("officer_a")
	code, body, _ := officer.get("/cases/" + id)
	if code != 200 || !strings.Contains(body, "申请延期") {
		t.Fatalf("case page offers no extension: %d", code)
	}
	if code, _, _ := officer.post("/cases/"+id+"/extension", url.Values{"reason": {"户主外出务工，需等其返乡后入户核实"}}); code != http.StatusSeeOther {
		t.Fatalf("request: %d", code)
	}
	if code, _, _ := officer.post("/cases/"+id+"/extension", url.Values{"reason": {"再次申请延期试试"}}); code != http.StatusConflict {
		t.Errorf("second request while one waits: %d", code)
	}
	reqs, err := c.p.Store.ExtensionRequests(ctx, store.ExtensionPending)
	if err != nil || len(reqs) != 1 || reqs[0].CaseID != id || reqs[0].RequestedBy != "portal:officer_a" {
		t.Fatalf("pending requests: %+v %v", reqs, err)
	}
	// Township officers cannot decide.
	if code, _, _ := officer.post(fmt.Sprintf("/extensions/%d", reqs[0].ID), url.Values{"decision": {"approve"}}); code != http.StatusForbidden {
		t.Errorf("officer decided: %d", code)
	}
	admin := c.client(t).login("admin")
	_, page, _ := admin.get("/extensions")
	if !strings.Contains(page, id) || !strings.Contains(page, "户主外出务工") {
		t.Errorf("extensions page lacks the request")
	}
	before, _ := c.p.Store.Case(ctx, id)
	if code, _, _ := admin.post(fmt.Sprintf("/extensions/%d", reqs[0].ID), url.Values{"decision": {"approve"}, "note": {"同意"}}); code != http.StatusSeeOther {
		t.Fatalf("approve: %d", code)
	}
	after, _ := c.p.Store.Case(ctx, id)
	want, _ := c.p.Router.Deadline(before.DispatchedOn, true)
	if !after.Deadline.Equal(want) || after.Version != before.Version+1 {
		t.Errorf("deadline %s (want %s), version %d -> %d", after.Deadline, want, before.Version, after.Version)
	}
	var n int
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE subject = ? AND action IN ('extension_request', 'cases_extend', 'extension_decided')`, id).Scan(&n)
	if n != 3 {
		t.Errorf("%d audit rows for the request, want 3", n)
	}
	if code, _, _ := admin.post(fmt.Sprintf("/extensions/%d", reqs[0].ID), url.Values{"decision": {"refuse"}}); code != http.StatusConflict {
		t.Errorf("deciding twice: %d", code)
	}
	_, body, _ = officer.get("/cases/" + id)
	if strings.Contains(body, `action="/cases/`+id+`/extension"`) || !strings.Contains(body, "县局已同意") {
		t.Errorf("after approval the case page still offers a request or lacks the decision")
	}
	_, county, _ := admin.get("/county")
	if !strings.Contains(county, "城关镇") || !strings.Contains(county, "按期办结率") {
		t.Errorf("county page")
	}
}

// The statistics agree with the cases: the month's warnings by level add
// up to the cases opened, and each table exports as CSV.
func TestStats(t *testing.T) {
	c := openCounty(t)
	all, err := c.p.Store.CasesWhere(context.Background(), "", "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]int{}
	for _, cs := range all {
		levels[cs.Level]++
	}
	cl := c.client(t).login("analyst")
	code, body, h := cl.get("/stats.csv?t=monthly")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", code, h.Get("Content-Type"))
	}
	want := fmt.Sprintf("2026-11,%d,%d,%d,%d", levels["red"], levels["orange"], levels["yellow"], len(all))
	if !strings.Contains(body, want) {
		t.Errorf("monthly: want a row %q in\n%s", want, body)
	}
	if !strings.HasPrefix(body, "\ufeff月份,红色,橙色,黄色,合计") {
		t.Errorf("monthly header: %.60q", body)
	}
	_, page, _ := cl.get("/stats")
	for _, key := range []string{"monthly", "sources", "rules", "yield", "townships", "outcomes"} {
		if !strings.Contains(page, `id="chart-`+key+`"`) || !strings.Contains(page, "/stats.csv?t="+key) {
			t.Errorf("stats page lacks %s", key)
		}
	}

	// The workbook: one sheet per table, counts as numbers; audited.
	exports := func() (n int) {
		c.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action = 'stats_export' AND actor = 'portal:analyst'`).Scan(&n)
		return n
	}
	before := exports()
	code, body, h = cl.get("/stats.xlsx")
	if code != 200 || !strings.Contains(h.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("xlsx: %d %s", code, h.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 6 || sheets[0] != "每月新增预警（按等级）" {
		t.Fatalf("sheets: %q", sheets)
	}
	rows, _ := f.GetRows(sheets[0])
	var last []string
	for _, r := range rows {
		if len(r) > 0 && r[0] == "2026-11" {
			last = r
		}
	}
	if want := []string{"2026-11", fmt.Sprint(levels["red"]), fmt.Sprint(levels["orange"]), fmt.Sprint(levels["yellow"]), fmt.Sprint(len(all))}; !slices.Equal(last, want) {
		t.Errorf("monthly sheet: %q, want %q", last, want)
	}
	if typ, _ := f.GetCellType(sheets[0], "E2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("a count is text in the workbook (%v)", typ)
	}
	if typ, _ := f.GetCellType(sheets[0], "A2"); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("a month is not text (%v)", typ)
	}
	if n := exports() - before; n != 1 {
		t.Errorf("stats_export audited %d times", n)
	}
}

// The county's list comes in pages of 100, the most urgent first, the
// filters kept in the page links.
func TestCaseListPages(t *testing.T) {
	c := openCounty(t)
	cl := c.client(t).login("admin")
	_, first, _ := cl.get("/cases?level=")
	open := 0
	all, _ := c.p.Store.CasesWhere(context.Background(), "", "", "", time.Time{})
	for _, cs := range all {
		if cs.State != cases.StateClosed {
			open++
		}
	}
	if open <= pageSize {
		t.Skipf("%d open cases: one page", open)
	}
	rowsOf := func(body string) int { return strings.Count(body, `<tr class="lv-`) }
	pages := (open + pageSize - 1) / pageSize
	if n := rowsOf(first); n != pageSize || !strings.Contains(first, fmt.Sprintf("第 1/%d 页", pages)) || !strings.Contains(first, `href="/cases?level=&amp;page=2"`) {
		t.Errorf("first page: %d rows", n)
	}
	_, last, _ := cl.get(fmt.Sprintf("/cases?level=&page=%d", pages))
	if n := rowsOf(last); n != open-(pages-1)*pageSize || !strings.Contains(last, "上一页") {
		t.Errorf("last page: %d rows, want %d", n, open-(pages-1)*pageSize)
	}
}

// A password change ends every other session of the account; this one
// goes on.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	hash, _ := auth.HashPassword(password)
	if err := c.p.Store.AddUser(ctx, "test", store.NewUser{Username: "twosessions", Scope: auth.Scope{Role: auth.Township, Township: townA}, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	a, b := c.client(t).login("twosessions"), c.client(t).login("twosessions")
	if code, _, _ := a.post("/password", url.Values{"current": {password}, "new": {"Xiangzhen-Desk-88"}, "confirm": {"Xiangzhen-Desk-88"}}); code != http.StatusOK {
		t.Fatalf("change: %d", code)
	}
	if code, _, _ := a.get("/cases"); code != http.StatusOK {
		t.Errorf("the session that changed it: %d", code)
	}
	if code, _, h := b.get("/cases"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("the other session: %d %s", code, h.Get("Location"))
	}
}

// A return address after login stays on the portal, whatever a browser
// would make of tabs and backslashes in it; a case of another township
// answers 404 and is recorded.
func TestNextAndScopeDenied(t *testing.T) {
	for _, next := range []string{"/\t/evil.example/x", "/\\evil.example", "//evil.example", "https://evil.example", "/\n/evil"} {
		if got := localPath(next); got != "/cases" {
			t.Errorf("localPath(%q) = %q", next, got)
		}
	}
	if got := localPath("/cases/YJ-20261128-0001?x=1"); got != "/cases/YJ-20261128-0001?x=1" {
		t.Errorf("a local path: %q", got)
	}
	c := openCounty(t)
	foreign := c.byTown[townB][1]
	cl := c.client(t).login("officer_a")
	if code, _, _ := cl.get("/cases/" + foreign); code != http.StatusNotFound {
		t.Fatalf("foreign case: %d", code)
	}
	var n int
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action = 'scope_denied' AND actor = 'portal:officer_a' AND subject = ?`, foreign).Scan(&n)
	if n != 1 {
		t.Errorf("%d scope_denied audit rows", n)
	}
}

// Behind a trusted proxy the client is the last address the proxy adds;
// X-Forwarded-For from anyone else is ignored.
func TestClientAddr(t *testing.T) {
	s := &Server{}
	for _, tp := range []string{"10.0.0.5/32", "192.168.1.0/24"} {
		_, n, _ := net.ParseCIDR(tp)
		s.proxies = append(s.proxies, n)
	}
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},       // not a proxy: the header is the client's
		{"10.0.0.5:5000", "1.2.3.4", "1.2.3.4"},              // the proxy says who
		{"10.0.0.5:5000", "6.6.6.6, 1.2.3.4", "1.2.3.4"},     // the client wrote 6.6.6.6 itself
		{"10.0.0.5:5000", "1.2.3.4, 192.168.1.7", "1.2.3.4"}, // two proxies
		{"10.0.0.5:5000", "", "10.0.0.5"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientAddr(r); got != tc.want {
			t.Errorf("%s with %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// A village assistant reports a person of another township found on the
// ground: a case opens in that township (not hers: she is not shown it);
// a report about a household with an open case joins it; the nightly
// evaluation keeps the report's hit until the case is closed.
func TestGroundReport(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	var stranger, neighbour string
	if err := c.p.Store.DB().QueryRow(`SELECT id_number FROM registry_current r WHERE township_code = ? AND status = 'active'
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.subject = r.household_id) ORDER BY id_number LIMIT 1`, townB).Scan(&stranger); err != nil {
		t.Fatal(err)
	}
	joined := c.byTown[townA][3]
	cs, _ := c.p.Store.Case(ctx, joined)
	if err := c.p.Store.DB().QueryRow(`SELECT id_number FROM registry_current WHERE household_id = ? ORDER BY id_number LIMIT 1`, cs.HouseholdID).Scan(&neighbour); err != nil {
		t.Fatal(err)
	}
	cl := c.client(t).login("village_a")
	code, body, _ := cl.post("/report", url.Values{"id_number": {stranger}, "kind": {"illness"}, "note": {"户主住院，家中无劳动力"}})
	// Of a household outside her scope she learns nothing: not its case,
	// its township, or whether it had one.
	if code != http.StatusOK || !strings.Contains(body, "报告已登记，已转交核实") || strings.Contains(body, "YJ-") ||
		strings.Contains(body, "城东街道") || strings.Contains(body, "查看该预警") {
		t.Fatalf("report of another township's person: %d\n%s", code, body)
	}
	// A deceased person: refused to a reporter whose township holds her
	// (the registry's word), taken from one whose does not (it would tell
	// her who died where).
	var dead string
	if err := c.p.Store.DB().QueryRow(`SELECT min(id_number) FROM registry_current WHERE township_code = ? AND status = 'deceased'`, townA).Scan(&dead); err != nil || dead == "" {
		t.Fatalf("no deceased person in township A: %v", err)
	}
	if code, body, _ := c.client(t).login("officer_a").post("/report", url.Values{"id_number": {dead}, "kind": {"care"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "已死亡或已注销") {
		t.Errorf("a deceased person of her own township: %d", code)
	}
	if code, body, _ := c.client(t).login("officer_b").post("/report", url.Values{"id_number": {dead}, "kind": {"care"}}); code != http.StatusOK || strings.Contains(body, "死亡") {
		t.Errorf("a deceased person of another township: %d\n%s", code, body)
	}
	// The same again: refused as already reported, nothing recorded twice.
	if code, body, _ := cl.post("/report", url.Values{"id_number": {stranger}, "kind": {"illness"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "已报告过") {
		t.Errorf("a repeated report: %d", code)
	}
	open, _ := c.p.Store.OpenCases(ctx)
	var made *cases.Case
	for _, oc := range open {
		for _, h := range oc.Hits {
			if h.RuleID == "GRID-REPORT" && h.IDNumber == stranger {
				made = oc
			}
		}
	}
	if made == nil || c.p.Router.Township(made.TownshipCode) != townB || made.Level != "orange" {
		t.Fatalf("case of the report: %+v", made)
	}
	officer := c.client(t).login("officer_a")
	if code, body, _ := officer.post("/report", url.Values{"id_number": {neighbour}, "kind": {"care"}}); code != http.StatusOK || !strings.Contains(body, "已加入该户正在核实的预警 "+joined) {
		t.Fatalf("report joining an open case: %d\n%s", code, body)
	}
	after, _ := c.p.Store.Case(ctx, joined)
	if after.Version != cs.Version+1 {
		t.Errorf("joined case version %d -> %d", cs.Version, after.Version)
	}
	// The night keeps both reports' hits, and the case's other hits.
	if _, err := c.p.Evaluate(ctx, c.day.AddDate(0, 0, 2), false); err != nil {
		t.Fatal(err)
	}
	again, _ := c.p.Store.Case(ctx, joined)
	active := map[string]bool{}
	for _, h := range again.Hits {
		if h.Active {
			active[h.RuleID] = true
		}
	}
	if !active["GRID-REPORT"] || len(active) < 2 {
		t.Errorf("after the night: active hits %v", active)
	}
	var n int
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action = 'ground_report'`).Scan(&n)
	if n < 2 {
		t.Errorf("%d ground_report audit rows", n)
	}
	// The statistics count them apart from the data's warnings.
	_, csv, _ := c.client(t).login("analyst").get("/stats.csv?t=sources")
	m := regexp.MustCompile(`(?m)^2026-11,(\d+),(\d+),`).FindStringSubmatch(csv)
	if m == nil || m[1] == "0" || m[1] == "" {
		t.Errorf("ground reports in the statistics:\n%s", csv)
	}
}

// The county sees each department's source with its health and last sync,
// and the last runs of the ledger.
func TestSourcesPage(t *testing.T) {
	c := openCounty(t)
	_, body, _ := c.client(t).login("analyst").get("/sources")
	for _, want := range []string{"registry", "medical", "households", "最近运行记录", "<td>夜间运行</td>", "2026-11-28"} {
		if !strings.Contains(body, want) {
			t.Errorf("sources page lacks %q", want)
		}
	}
}

// The county admin routes a case of the county's own queue to a township;
// the next night keeps it there, and the township sees it.
func TestAssignCountyQueue(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	var id string
	for _, q := range c.byTown[""] {
		if cs, _ := c.p.Store.Case(ctx, q); cs != nil && !recused(cs) {
			id = q
			break
		}
	}
	if id == "" {
		t.Fatal("no case in the county queue for want of a township")
	}
	admin := c.client(t).login("admin")
	_, page, _ := admin.get("/cases/" + id)
	if !strings.Contains(page, "分派乡镇") {
		t.Fatal("no assignment form on a county-queue case")
	}
	if code, _, _ := admin.post("/cases/"+id+"/assign", url.Values{"township": {townB}}); code != http.StatusSeeOther {
		t.Fatalf("assign: %d", code)
	}
	if code, _, _ := admin.post("/cases/"+id+"/assign", url.Values{"township": {townA}}); code != http.StatusConflict {
		t.Errorf("assigning again: %d", code)
	}
	if _, err := c.p.Evaluate(ctx, c.day.AddDate(0, 0, 3), false); err != nil {
		t.Fatal(err)
	}
	cs, _ := c.p.Store.Case(ctx, id)
	if cs.TownshipCode != townB {
		t.Errorf("after the night the case is in %q", cs.TownshipCode)
	}
	if code, _, _ := c.client(t).login("officer_b").get("/cases/" + id); code != http.StatusOK {
		t.Errorf("the township cannot open its assigned case: %d", code)
	}
}

// recused reports whether a case is in the county's queue by a rule's
// route (recusal).
func recused(cs *cases.Case) bool {
	for _, h := range cs.Hits {
		if h.Active && h.Route == cases.RouteCounty {
			return true
		}
	}
	return false
}

// A case routed to the county's queue because the household is related to
// its township's own assistance staff (recusal): the county admin sees
// why, its own township is not offered and is refused when forced, another
// township may take it and keeps it after the night; the case's own
// township's officer never sees it while it is the county's, and its list
// and page carry the ※ mark.
func TestAssignRecusedCase(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	var cs *cases.Case
	for _, q := range c.byTown[""] {
		if k, _ := c.p.Store.Case(ctx, q); k != nil && recused(k) {
			cs = k
			break
		}
	}
	if cs == nil {
		t.Fatal("the synthetic county has no recusal case in the county's queue (truth.json routed_to \"\")")
	}
	var home string
	if err := c.p.Store.DB().QueryRow(`SELECT any_value(township_code) FROM registry_current WHERE household_id = ?`,
		cs.HouseholdID).Scan(&home); err != nil {
		t.Fatal(err)
	}
	other := townA
	if other == home {
		other = townB
	}
	if officer := map[string]string{townA: "officer_a", townB: "officer_b"}[home]; officer != "" {
		if code, _, _ := c.client(t).login(officer).get("/cases/" + cs.ID); code == http.StatusOK {
			t.Errorf("%s opens its own staff's relative's case", officer)
		}
	}
	admin := c.client(t).login("admin")
	_, page, _ := admin.get("/cases/" + cs.ID)
	for _, want := range []string{"分派其他乡镇（回避）", "该乡镇须回避", "提示", "户籍所在乡镇回避，由县民政局组织核查或指定其他乡镇交叉核查"} {
		if !strings.Contains(page, want) {
			t.Errorf("the recused case's page lacks %q", want)
		}
	}
	if strings.Contains(page, `<option value="`+home+`"`) {
		t.Errorf("the form offers the household's own township %s", home)
	}
	code, body, _ := admin.post("/cases/"+cs.ID+"/assign", url.Values{"township": {home}})
	if code != http.StatusConflict || !strings.Contains(body, "须回避") {
		t.Errorf("assigning to its own township: %d %s", code, body)
	}
	if code, _, _ := admin.post("/cases/"+cs.ID+"/assign", url.Values{"township": {other}}); code != http.StatusSeeOther {
		t.Fatalf("assign to another township: %d", code)
	}
	if _, err := c.p.Evaluate(ctx, c.day.AddDate(0, 0, 3), false); err != nil {
		t.Fatal(err)
	}
	if k, _ := c.p.Store.Case(ctx, cs.ID); k.TownshipCode != other {
		t.Errorf("after the night the recused case is at %q, want %s", k.TownshipCode, other)
	}
}

// A reporter who knows a name and a village, not the ID number: one
// person of that name is taken; namesakes are shown masked for her to
// pick one; a name nobody has is refused with the form kept, and nothing
// is recorded.
func TestGroundReportByName(t *testing.T) {
	c := openCounty(t)
	db := c.p.Store.DB()
	// A person alone with her name in the assistant's village, of a
	// household with no case.
	var id, name, village string
	if err := db.QueryRow(`SELECT any_value(id_number), name, village_code FROM registry_current r
		WHERE status = 'active' AND village_code = ? AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.subject = r.household_id)
		GROUP BY name, village_code HAVING count(*) = 1 ORDER BY village_code, name LIMIT 1`, c.villageA).Scan(&id, &name, &village); err != nil {
		t.Fatal(err)
	}
	reports := func() (n int) {
		db.QueryRow(`SELECT count(*) FROM ground_reports`).Scan(&n)
		return n
	}
	cl := c.client(t).login("village_a")
	before := reports()
	// Spaces typed inside the name do not matter.
	spaced := string([]rune(name)[:1]) + "　" + string([]rune(name)[1:])
	code, body, _ := cl.post("/report", url.Values{"name": {spaced}, "village": {village}, "kind": {"income"}})
	if code != http.StatusOK || !strings.Contains(body, "已生成预警") {
		t.Fatalf("report by name: %d\n%s", code, body)
	}
	var got, foundBy string
	db.QueryRow(`SELECT g.id_number, json_extract_string(a.detail, '$.found_by') FROM ground_reports g
		JOIN audit a ON a.action = 'ground_report' AND a.subject = g.report_id::VARCHAR ORDER BY g.report_id DESC LIMIT 1`).Scan(&got, &foundBy)
	if got != id || foundBy != "name" {
		t.Errorf("report by name recorded %s (%s), want %s", idnum.Mask(got), foundBy, idnum.Mask(id))
	}

	// Namesakes in one village: listed masked, one picked.
	var twin, twinVillage string
	var n int
	if err := db.QueryRow(`SELECT name, village_code, count(*) FROM registry_current WHERE status = 'active'
		GROUP BY name, village_code HAVING count(*) BETWEEN 2 AND 5 ORDER BY village_code, name LIMIT 1`).Scan(&twin, &twinVillage, &n); err != nil {
		t.Fatalf("the synthetic county has no namesakes in a village: %v", err)
	}
	var ids []string
	rows, _ := db.Query(`SELECT id_number FROM registry_current WHERE status = 'active' AND name = ? AND village_code = ? ORDER BY id_number`, twin, twinVillage)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		ids = append(ids, s)
	}
	rows.Close()
	// Outside her villages she may not look people up by name.
	var foreignVillage string
	db.QueryRow(`SELECT min(village_code) FROM registry_current WHERE township_code = ?`, townB).Scan(&foreignVillage)
	if code, body, _ := cl.post("/report", url.Values{"name": {"张三"}, "village": {foreignVillage}, "kind": {"care"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "本辖区以外的人员请填写身份证号") || strings.Contains(body, `value="`+foreignVillage+`"`) {
		t.Errorf("a lookup outside her villages: %d", code)
	}
	cl = c.client(t).login("admin") // the county admin looks up anywhere
	form := url.Values{"name": {twin}, "village": {twinVillage}, "kind": {"care"}, "note": {"独居老人"}}
	before = reports()
	code, body, _ = cl.post("/report", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, fmt.Sprintf("有%d名在册人员名为「%s」", n, twin)) || reports() != before {
		t.Fatalf("namesakes: %d, %d reports recorded\n%s", code, reports()-before, body)
	}
	for i, full := range ids {
		if strings.Contains(body, full) || !strings.Contains(body, idnum.Mask(full)) || !strings.Contains(body, fmt.Sprintf(`value="%d/%d"`, i, n)) {
			t.Errorf("namesake %d: want masked %s and its pick, never the full number", i, idnum.Mask(full))
		}
	}
	if !strings.Contains(body, "独居老人") {
		t.Error("the form lost the note")
	}
	if strings.Contains(body, "male") || !strings.Contains(body, "年生") {
		t.Error("namesakes: gender and birth year not in Chinese")
	}
	form.Set("pick", fmt.Sprintf("%d/%d", n-1, n))
	if code, body, _ = cl.post("/report", form); code != http.StatusOK || !strings.Contains(body, "报告已登记") {
		t.Fatalf("picked namesake: %d\n%s", code, body)
	}
	db.QueryRow(`SELECT id_number FROM ground_reports ORDER BY report_id DESC LIMIT 1`).Scan(&got)
	if got != ids[n-1] {
		t.Errorf("picked the last namesake, recorded %s", idnum.Mask(got))
	}
	// A pick made against another count (the registry changed) asks again.
	form.Set("pick", fmt.Sprintf("0/%d", n+1))
	before = reports()
	if code, _, _ := cl.post("/report", form); code != http.StatusUnprocessableEntity || reports() != before {
		t.Errorf("stale pick: %d", code)
	}

	// Nobody of that name: refused, the form kept, nothing recorded.
	before = reports()
	code, body, _ = cl.post("/report", url.Values{"name": {"查无此人"}, "village": {village}, "kind": {"income"}, "note": {"门口遇到"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "没有找到在册人员「查无此人」") || !strings.Contains(body, "门口遇到") || reports() != before {
		t.Errorf("unknown name: %d, %d recorded\n%s", code, reports()-before, body)
	}
	// Neither ID nor name; a name without a village.
	if code, body, _ := cl.post("/report", url.Values{"kind": {"income"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写身份证号，或填写姓名") {
		t.Errorf("empty report: %d", code)
	}
	if code, body, _ := cl.post("/report", url.Values{"name": {name}, "kind": {"income"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "请选择所在村") {
		t.Errorf("no village: %d", code)
	}
}

// The sources page says in Chinese why a source is not ok; the
// connector's own message follows a failure as it is.
func TestCauseText(t *testing.T) {
	for _, tc := range []struct {
		c    store.HealthCause
		want string
	}{
		{store.HealthCause{Kind: "never_synced"}, "从未同步"},
		{store.HealthCause{Kind: "failed", Stream: "medical.csv", Err: "medical.csv: column 个人自付 missing"}, "medical.csv 读取失败（medical.csv: column 个人自付 missing）"},
		{store.HealthCause{Kind: "failed", Err: "dial tcp: refused"}, "该数据源 读取失败（dial tcp: refused）"},
		{store.HealthCause{Kind: "empty", Stream: "a.xlsx"}, "a.xlsx 没有数据行（可能是空表或只有表头）"},
		{store.HealthCause{Kind: "quarantine", Stream: "a.csv", Bad: 7, Read: 10}, "a.csv 共 10 行，其中 7 行有误，已隔离待核"},
		{store.HealthCause{Kind: "quarantine", Stream: "a.csv", Bad: 300, Read: 310, Counted: 199}, "a.csv 共 310 行，其中 300 行有误，已隔离待核（另有 199 行为同一行重复超过100次，只计数）"},
		{store.HealthCause{Kind: "none_loaded"}, "已同步，但没有一行数据导入成功"},
	} {
		if got := causeText(tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
	if got := datasetName("registry"); got != "户籍人口（公安）" {
		t.Errorf("registry: %q", got)
	}
	if got := datasetName("nonesuch"); got != "nonesuch" {
		t.Errorf("unknown dataset: %q", got)
	}
}

// The list's order is one order, whichever way it is made: the county's
// list (sorted bare, items made for each page) read page by page, the
// officer's and the village assistant's (items made for every case) are
// the same order restricted to what each sees, and the county's order is
// overdue first, then level, then the nearest deadline, newest first.
func TestCaseListOrder(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	idsOf := func(acct, query string) []string {
		cl := c.client(t).login(acct)
		var out []string
		for page := 1; ; page++ {
			_, body, _ := cl.get(fmt.Sprintf("/cases?%spage=%d", query, page))
			for _, m := range regexp.MustCompile(`<a href="/cases/([^"]+)">`).FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			if !strings.Contains(body, "下一页") {
				return out
			}
		}
	}
	county := idsOf("admin", "")
	open, _ := c.p.Store.OpenCases(ctx)
	today := c.day.AddDate(0, 0, 2) // the portal's (Options.Today)
	items, err := c.p.Items(ctx, open, today)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(items, func(a, b dispatch.Item) int {
		ao, bo := route.Overdue(a.Deadline, today), route.Overdue(b.Deadline, today)
		if ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		return cmp.Or(lvl.MoreSevere(a.Level, b.Level), a.Deadline.Compare(b.Deadline), cmp.Compare(b.CaseID, a.CaseID))
	})
	var want []string
	town := map[string]string{}
	village := map[string]string{}
	for _, it := range items {
		want = append(want, it.CaseID)
		town[it.CaseID], village[it.CaseID] = it.TownshipCode, it.VillageCode
	}
	if !slices.Equal(county, want) {
		t.Fatalf("county order:\n got %q\nwant %q", county, want)
	}
	restrict := func(keep func(id string) bool) []string {
		var out []string
		for _, id := range county {
			if keep(id) {
				out = append(out, id)
			}
		}
		return out
	}
	if got, w := idsOf("officer_a", ""), restrict(func(id string) bool { return town[id] == townA }); !slices.Equal(got, w) || len(w) == 0 {
		t.Errorf("officer's order:\n got %q\nwant %q", got, w)
	}
	if got, w := idsOf("village_a", ""), restrict(func(id string) bool { return town[id] == townA && village[id] == c.villageA }); !slices.Equal(got, w) || len(w) == 0 {
		t.Errorf("village assistant's order:\n got %q\nwant %q", got, w)
	}
	// A village filter (items for every case) keeps the order too.
	if got, w := idsOf("admin", "village="+c.villageA+"&"), restrict(func(id string) bool { return village[id] == c.villageA }); !slices.Equal(got, w) {
		t.Errorf("county filtered by village:\n got %q\nwant %q", got, w)
	}
}

// The county admin reloads the config and rules from the sources page;
// a file that does not load is not applied and the page says so; others
// have no button and are refused.
func TestReloadButton(t *testing.T) {
	c := openCounty(t)
	admin := c.client(t).login("admin")
	if _, page, _ := admin.get("/sources"); !strings.Contains(page, `action="/reload"`) {
		t.Error("the admin's sources page has no reload button")
	}
	if _, page, _ := c.client(t).login("analyst").get("/sources"); strings.Contains(page, `action="/reload"`) {
		t.Error("the analyst has a reload button")
	}
	before := c.reloads.Load()
	if code, body, _ := admin.post("/reload", url.Values{}); code != http.StatusOK || !strings.Contains(body, "已重新加载") {
		t.Errorf("reload: %d", code)
	}
	bad := errors.New("rules/medical.yaml:12:5: unknown field conditon")
	c.reloadErr.Store(&bad)
	defer c.reloadErr.Store(nil)
	code, body, _ := admin.post("/reload", url.Values{})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "未被采用") || !strings.Contains(body, "rules/medical.yaml:12:5") {
		t.Errorf("failed reload: %d\n%s", code, body)
	}
	if n := c.reloads.Load() - before; n != 2 {
		t.Errorf("%d reloads", n)
	}
	var ok, failed int
	c.p.Store.DB().QueryRow(`SELECT count(*) FILTER (WHERE detail LIKE '%"ok":true%'), count(*) FILTER (WHERE detail LIKE '%"ok":false%')
		FROM audit WHERE action = 'config_reload' AND actor = 'portal:admin'`).Scan(&ok, &failed)
	if ok < 1 || failed < 1 {
		t.Errorf("audit: %d ok, %d failed", ok, failed)
	}
}

// An outcome recorded by mistake is corrected: the county admin reopens
// the case with a reason; it is open again with a deadline counted from
// today, its suppression lifted, its history saying so; the township
// records the right outcome. An open case cannot be reopened, and no
// other role may.
func TestReopenCase(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	id := c.byTown[townA][len(c.byTown[townA])-2]
	officer := c.client(t).login("officer_a")
	if code, _, _ := officer.post("/cases/"+id+"/outcome", url.Values{"outcome": {"not_eligible"}, "verified_on": {"2026-11-29"}}); code != http.StatusSeeOther {
		t.Fatalf("the wrong outcome: %d", code)
	}
	var suppressed int
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM suppressions WHERE case_id = ?`, id).Scan(&suppressed)
	if suppressed == 0 {
		t.Fatal("closing made no suppression")
	}
	if code, _, _ := officer.post("/cases/"+id+"/reopen", url.Values{"reason": {"误选"}}); code != http.StatusForbidden {
		t.Errorf("an officer reopening: %d", code)
	}
	admin := c.client(t).login("admin")
	if _, body, _ := admin.get("/cases/" + id); !strings.Contains(body, "更正核实结果") {
		t.Error("the admin's page of a closed case offers no correction")
	}
	if code, _, _ := admin.post("/cases/"+id+"/reopen", url.Values{"reason": {""}}); code != http.StatusUnprocessableEntity {
		t.Errorf("no reason: %d", code)
	}
	if code, _, _ := admin.post("/cases/"+id+"/reopen", url.Values{"reason": {"乡镇误选不符合条件，应为纳入低保"}}); code != http.StatusSeeOther {
		t.Fatalf("reopen: %d", code)
	}
	got, _ := c.p.Store.Case(ctx, id)
	want, _ := c.p.Router.Deadline(c.day.AddDate(0, 0, 2), false)
	if got.State != cases.StateDispatched || got.Outcome != "" || !got.Deadline.Equal(want) {
		t.Errorf("reopened: state %s, outcome %q, deadline %s (want %s)", got.State, got.Outcome, got.Deadline.Format(time.DateOnly), want.Format(time.DateOnly))
	}
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM suppressions WHERE case_id = ?`, id).Scan(&suppressed)
	if suppressed != 0 {
		t.Errorf("%d suppressions left", suppressed)
	}
	if code, _, _ := admin.post("/cases/"+id+"/reopen", url.Values{"reason": {"again"}}); code != http.StatusConflict {
		t.Errorf("reopening an open case: %d", code)
	}
	_, body, _ := officer.get("/cases/" + id)
	if !strings.Contains(body, "重新打开，更正核实结果（原结果：不符合条件；账号 admin；事由：乡镇误选不符合条件，应为纳入低保）") || !strings.Contains(body, "登记核实结果") {
		t.Errorf("the officer's page after the reopening lacks its history or the form")
	}
	if code, _, _ := officer.post("/cases/"+id+"/outcome", url.Values{"outcome": {"dibao"}, "verified_on": {"2026-11-30"}}); code != http.StatusSeeOther {
		t.Errorf("the right outcome: %d", code)
	}
	if got, _ := c.p.Store.Case(ctx, id); got.Outcome != "dibao" {
		t.Errorf("outcome after the correction: %q", got.Outcome)
	}
}

// An extension of a reopened case is counted from its reopening, and an
// extension never brings a deadline forward.
func TestExtendAfterReopen(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	id := c.byTown[townB][len(c.byTown[townB])-1]
	if _, err := c.p.Store.ApplyOutcomes(ctx, []store.Closing{{CaseID: id, Outcome: "not_eligible", On: c.day, Until: c.day.AddDate(0, 6, 0)}},
		"test", "test_close", id, func([]store.ClosingResult) any { return nil }); err != nil {
		t.Fatal(err)
	}
	later := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	d, _ := c.p.Router.Deadline(later, false)
	if err := c.p.Store.ReopenCase(ctx, "test", id, "误选", later, d); err != nil {
		t.Fatal(err)
	}
	ext, err := c.p.Store.ExtendCase(ctx, id, func(from time.Time) (time.Time, error) { return c.p.Router.Deadline(from, true) })
	want, _ := c.p.Router.Deadline(later, true)
	if err != nil || !ext.Equal(want) || ext.Before(d) {
		t.Errorf("extended to %s (%v), want %s, never before %s", ext.Format(time.DateOnly), err, want.Format(time.DateOnly), d.Format(time.DateOnly))
	}
	// Extended again: no earlier than it is.
	again, _ := c.p.Store.ExtendCase(ctx, id, func(time.Time) (time.Time, error) { return c.day, nil })
	if !again.Equal(ext) {
		t.Errorf("a second extension moved the deadline to %s", again.Format(time.DateOnly))
	}
}
