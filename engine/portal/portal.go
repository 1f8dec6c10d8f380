// Package portal is the township portal (乡镇工作台) that `lipwatch serve`
// runs on the store it holds: county and township staff log in, see the
// warning cases of their scope, and record verification outcomes.
//
// Every route is declared once, in routes(), with the access it needs;
// serve() checks that access — the session, the account's scope and, for
// a route about one case, that the case is in scope — for every request
// before any handler runs, so no handler can forget it. A case out of
// scope answers 404, as an unknown one does: another township's case ids
// are not confirmed to exist. Pages are server-rendered (html/template)
// in Chinese with no script beyond what a form needs, for old Windows PCs
// at 1366×768 and phone browsers.
package portal

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/httprate"
	"github.com/justinas/nosurf"

	"github.com/lipwatch/lipwatch/engine/auth"
	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a portal.
type Options struct {
	// Pipeline gives the store, the config (county, portal section), the
	// router and the rules. Required.
	Pipeline *pipeline.Pipeline
	// Logger receives the portal's logs (never personal data); nil
	// discards them.
	Logger *slog.Logger
	// Exclusive, when set, is held while a request changes cases (an
	// outcome, an extension): serve passes its job lock, so that such a
	// change never meets the nightly run writing the same cases (two
	// DuckDB transactions on one row conflict). It waits while the night
	// runs; nil means no lock.
	Exclusive func(ctx context.Context) (release func(), err error)
	// LoginsPerMinute bounds login attempts from one client address;
	// 0 means DefaultLoginsPerMinute.
	LoginsPerMinute int
	// Today is the county's current day (at UTC midnight), which
	// deadlines and overdue are reckoned against; nil means the wall
	// clock in the county's zone.
	Today func() time.Time
	// Now is the moment a report from the ground is stamped with; nil
	// means the wall clock. Tests that fix Today fix it too, so that a
	// report falls on their day.
	Now func() time.Time
	// Reload, when set, reloads serve's config and rule files (the county
	// admin's button on /sources): an invalid file is not applied and its
	// error is returned. nil hides the button.
	Reload func(ctx context.Context) error
}

// DefaultLoginsPerMinute is how many login attempts one address may make
// in a minute: a township office behind one NAT address has a few dozen
// staff, a guesser wants thousands.
const DefaultLoginsPerMinute = 30

// Server is the portal's HTTP handler.
type Server struct {
	reload    func(ctx context.Context) error // nil: no reload button
	exclusive func(ctx context.Context) (func(), error)
	proxies   []*net.IPNet
	p         *pipeline.Pipeline
	log       *slog.Logger
	today     func() time.Time
	now       func() time.Time
	sessions  *scs.SessionManager
	pages     map[string]*template.Template
	routes    []Route
	handler   http.Handler
}

// Access is who may reach a route.
type Access int

const (
	// Public routes need no login: the login page, static files.
	Public Access = iota
	// LoggedIn routes need a session of an enabled account (one that
	// must change its password reaches only the password page).
	LoggedIn
	// CaseInScope routes are about the case {id}: logged in, and the case
	// in the account's scope (else 404).
	CaseInScope
	// CaseToClose routes record an outcome of the case {id}: CaseInScope,
	// and the scope may close it (else 403).
	CaseToClose
	// CountyOnly routes are the county's pages: county roles (else 403).
	CountyOnly
	// AdminOnly routes are the county admin's (else 403).
	AdminOnly
)

func (a Access) String() string {
	return [...]string{"public", "logged-in", "case-in-scope", "case-to-close", "county-only", "admin-only"}[a]
}

// Route is one page or action of the portal.
type Route struct {
	Method, Path string // a net/http pattern's parts, e.g. GET /cases/{id}
	Access       Access
	handle       func(w http.ResponseWriter, r *http.Request, q *request)
}

// request is what serve() established before the handler runs.
type request struct {
	user  *store.User // nil on public routes
	scope auth.Scope
	kase  *cases.Case // CaseInScope, CaseToClose
	// release gives back serve's job lock, when the request holds it.
	release func()
	item    *dispatch.Item // the case as lists show it
	day     time.Time
}

// New builds the portal.
func New(o Options) (*Server, error) {
	if o.Pipeline == nil || o.Pipeline.Store == nil {
		return nil, errors.New("portal: no pipeline or store")
	}
	s := &Server{p: o.Pipeline, log: o.Logger, today: o.Today, now: o.Now, exclusive: o.Exclusive, reload: o.Reload}
	if s.now == nil {
		s.now = time.Now
	}
	if s.exclusive == nil {
		s.exclusive = func(context.Context) (func(), error) { return func() {}, nil }
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.today == nil {
		loc := o.Pipeline.Cfg.Location()
		s.today = func() time.Time {
			now := time.Now().In(loc)
			return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		}
	}
	pc := o.Pipeline.Cfg.Portal
	for _, tp := range pc.TrustedProxies {
		if !strings.Contains(tp, "/") {
			if ip := net.ParseIP(tp); ip != nil && ip.To4() != nil {
				tp += "/32"
			} else {
				tp += "/128"
			}
		}
		_, n, err := net.ParseCIDR(tp)
		if err != nil {
			return nil, fmt.Errorf("portal: trusted_proxies: %w", err)
		}
		s.proxies = append(s.proxies, n)
	}
	s.sessions = scs.New()
	s.sessions.Store = o.Pipeline.Store.Sessions()
	s.sessions.Lifetime = time.Duration(pc.SessionLifetime)
	s.sessions.IdleTimeout = time.Duration(pc.IdleTimeout)
	s.sessions.Cookie.Name = "lipwatch_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = pc.SecureCookies
	// A session cookie, not a persistent one: closing the browser on a
	// township's shared PC ends the login.
	s.sessions.Cookie.Persist = false
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.Error("portal session", "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	staticH := http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no listing of the assets
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400") // the binary's own files: a day
		files.ServeHTTP(w, r)
	}))
	for _, rt := range s.routes {
		rt := rt
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, rt) })
		if rt.Method == http.MethodPost && rt.Path == "/login" {
			// Slows a guesser from one address; the account lockout stops
			// one spread over many.
			h = httprate.Limit(cmp.Or(o.LoginsPerMinute, DefaultLoginsPerMinute), time.Minute,
				httprate.WithKeyFuncs(func(r *http.Request) (string, error) { return s.clientAddr(r), nil }),
				httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "登录尝试过于频繁，请稍后再试", http.StatusTooManyRequests)
				}))(h)
		}
		if rt.Path == "/static/" {
			h = staticH
		}
		mux.Handle(rt.Method+" "+rt.Path, h)
	}
	// What no route matches is answered in Chinese, not net/http's
	// "404 page not found" and "Method Not Allowed".
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			other := r.Clone(r.Context())
			other.Method = m
			if _, pattern := mux.Handler(other); pattern != "" && m != r.Method {
				w.Header().Set("Allow", m)
				http.Error(w, "不支持这种访问方式，请从工作台页面进入", http.StatusMethodNotAllowed)
				return
			}
		}
		http.Error(w, "页面不存在，请从工作台首页进入", http.StatusNotFound)
	})
	csrf := nosurf.New(routed)
	csrf.SetBaseCookie(http.Cookie{Name: "lipwatch_csrf", Path: "/", HttpOnly: true, Secure: pc.SecureCookies, SameSite: http.SameSiteLaxMode})
	csrf.SetFailureHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("portal: form refused (CSRF check)", "path", r.URL.Path, "reason", fmt.Sprint(nosurf.Reason(r)))
		http.Error(w, "表单已失效或来源不明，请返回上一页刷新后重新提交", http.StatusForbidden)
	}))
	csrf.ExemptGlob("/static/*")
	// The portal's own origin is the scheme it is served with; a proxy's
	// https origin is allowed through public_url below.
	csrf.SetIsTLSFunc(func(r *http.Request) bool { return r.TLS != nil })
	if u := pc.PublicURL; u != "" {
		// Behind a proxy that terminates TLS the portal sees http://…
		// while browsers send Origin: https://…: that origin is ours.
		allowed, err := nosurf.StaticOrigins(strings.TrimSuffix(u, "/"))
		if err != nil {
			return nil, fmt.Errorf("portal: public_url: %w", err)
		}
		csrf.SetIsAllowedOriginFunc(allowed)
	}
	withSession := s.sessions.LoadAndSave(csrf)
	s.handler = securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			staticH.ServeHTTP(w, r) // no session, no personal data: cacheable
			return
		}
		withSession.ServeHTTP(w, r)
	}))
	return s, nil
}

// ServeHTTP serves the portal.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every route with its access, for the isolation test and
// the docs.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// securityHeaders are sent with every answer: no framing, no sniffing, no
// referrer leaving the portal, no caching of pages with personal data.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin") // a Referer only to the portal itself: the CSRF check of browsers without Origin
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// serve is the one gate every request passes: it establishes the account
// and its scope and, for case routes, loads the case and checks it is in
// scope, before the route's handler runs.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt Route) {
	ctx := r.Context()
	q := &request{day: s.today()}
	if rt.Access == Public {
		rt.handle(w, r, q)
		return
	}
	name := s.sessions.GetString(ctx, sessionUser)
	if name == "" {
		s.toLogin(w, r)
		return
	}
	u, err := s.p.Store.User(ctx, name)
	switch {
	case errors.Is(err, store.ErrNoUser):
		s.endSession(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case u.Disabled:
		// Disabled (or locked out) since login: the session ends now.
		s.endSession(w, r)
		return
	}
	// A password set by the county (new account, reset) is changed before
	// anything else; so is one whose hash was issued for an older policy.
	if u.MustChangePassword && rt.Path != "/password" && rt.Path != "/logout" {
		http.Redirect(w, r, "/password", http.StatusSeeOther)
		return
	}
	// A password changed since this session logged in ends it: a stolen
	// session does not outlive the change.
	if s.sessions.GetString(ctx, sessionPassword) != passwordStamp(u) {
		s.endSession(w, r)
		return
	}
	q.user, q.scope = u, u.Scope()
	switch {
	case rt.Access == CountyOnly && !q.scope.IsCounty():
		// Refused, and recorded as a case out of scope is: a township or
		// village account tried a county page.
		if err := s.p.Store.Audit(ctx, actor(u), "scope_denied", r.URL.Path,
			map[string]any{"route": rt.Method + " " + rt.Path, "scope": q.scope.String()}); err != nil {
			s.fail(w, r, err)
			return
		}
		s.forbidden(w, r, q, "此页面仅供县级账号使用")
		return
	case rt.Access == AdminOnly && !q.scope.CanAdmin():
		s.forbidden(w, r, q, "此操作仅供县级管理员使用")
		return
	}
	// A change to cases or rows: never at once with the nightly run's. Taken
	// after the scope is checked (a request for another township's case
	// is answered at once), and not for /reload, whose reload takes serve's
	// job lock itself.
	lock := func() bool {
		if rt.Method != http.MethodPost || rt.Path == "/reload" ||
			(rt.Access != CaseInScope && rt.Access != CaseToClose && rt.Access != AdminOnly && rt.Access != CountyOnly) {
			return true
		}
		release, err := s.exclusive(ctx)
		if err != nil {
			http.Error(w, "系统正在进行夜间数据处理，请稍后再试", http.StatusServiceUnavailable)
			return false
		}
		q.release = release
		return true
	}
	defer func() {
		if q.release != nil {
			q.release()
		}
	}()
	// An admin's change, or a county analyst's (a link decided changes a
	// department row's person).
	if (rt.Access == AdminOnly || rt.Access == CountyOnly) && !lock() {
		return
	}
	if rt.Access == CaseInScope || rt.Access == CaseToClose {
		c, it, err := s.caseInScope(ctx, q, r.PathValue("id"))
		if errors.Is(err, errOutOfScope) {
			// Answered as an unknown case, but recorded: someone tried
			// another township's (or village's) case.
			if aerr := s.p.Store.Audit(ctx, "portal:"+u.Username, "scope_denied", r.PathValue("id"),
				map[string]any{"route": rt.Method + " " + rt.Path, "scope": q.scope.String()}); aerr != nil {
				s.fail(w, r, aerr)
				return
			}
			s.log.Warn("portal: a case out of the account's scope", "account", u.Username, "route", rt.Path)
			s.notFound(w, r, q)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if c == nil {
			s.notFound(w, r, q)
			return
		}
		if rt.Access == CaseToClose && !q.scope.CanCloseCase(it.TownshipCode, it.VillageCode) {
			s.forbidden(w, r, q, "您的账号可以查看此预警，但不能登记核实结果（由乡镇经办人登记）")
			return
		}
		if q.release == nil && rt.Method == http.MethodPost {
			if !lock() {
				return
			}
			// The case as it is now that the night cannot change it.
			if c, it, err = s.caseInScope(ctx, q, r.PathValue("id")); err != nil || c == nil {
				if err != nil && !errors.Is(err, errOutOfScope) {
					s.fail(w, r, err)
				} else {
					s.notFound(w, r, q)
				}
				return
			}
		}
		q.kase, q.item = c, it
	}
	rt.handle(w, r, q)
}

// caseInScope loads case id as lists show it; nil when it does not exist
// or is out of q's scope.
func (s *Server) caseInScope(ctx context.Context, q *request, id string) (*cases.Case, *dispatch.Item, error) {
	if id == "" || len(id) > 40 {
		return nil, nil, nil
	}
	c, err := s.p.Store.Case(ctx, id)
	if errors.Is(err, store.ErrNoCase) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	items, err := s.p.Items(ctx, []*cases.Case{c}, q.day)
	if err != nil || len(items) != 1 {
		return nil, nil, err
	}
	if !q.scope.CanSeeCase(items[0].TownshipCode, items[0].VillageCode) {
		return nil, nil, errOutOfScope
	}
	return c, &items[0], nil
}

// errOutOfScope: the case exists, in another township or village.
var errOutOfScope = errors.New("case out of scope")

const (
	sessionUser     = "user"
	sessionPassword = "password" // when the account's password was set, at login
)

// passwordStamp identifies the account's current password.
func passwordStamp(u *store.User) string { return u.PasswordChangedAt.UTC().Format(time.RFC3339Nano) }

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/login?next="+urlPath(r), http.StatusSeeOther)
		return
	}
	http.Error(w, "登录已过期，请重新登录", http.StatusUnauthorized)
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	_ = s.sessions.Destroy(r.Context())
	s.toLogin(w, r)
}

// urlPath is the request's path and query, for a return after login:
// only a local path, never another site.
func urlPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return template.URLQueryEscaper(p)
}

// localPath keeps a "next" target on this site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		// Browsers drop tabs and newlines and read \ as /: "/\t/evil" is //evil.
		return "/cases"
	}
	return next
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("portal", "path", r.URL.Path, "err", err)
	http.Error(w, "服务器内部错误，请稍后再试或联系县民政局", http.StatusInternalServerError)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, q *request) {
	w.WriteHeader(http.StatusNotFound)
	s.render(w, r, q, "message", map[string]any{"Title": "未找到", "Message": "没有这条预警，或它不在您的管辖范围内。"})
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, q *request, msg string) {
	w.WriteHeader(http.StatusForbidden)
	s.render(w, r, q, "message", map[string]any{"Title": "无权操作", "Message": msg})
}
