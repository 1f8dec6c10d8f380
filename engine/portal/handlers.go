package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	lvl "github.com/lipwatch/lipwatch/engine/level"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/justinas/nosurf"

	"github.com/lipwatch/lipwatch/engine/auth"
	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// routeTable is every route of the portal with the access it needs. A
// route added here is checked by serve() and must be listed in the
// isolation test (portal_test.go), which fails otherwise.
func (s *Server) routeTable() []Route {
	return []Route{
		{"GET", "/static/", Public, nil},
		{"GET", "/login", Public, s.loginPage},
		{"POST", "/login", Public, s.login},
		{"POST", "/logout", LoggedIn, s.logout},
		{"GET", "/password", LoggedIn, s.passwordPage},
		{"POST", "/password", LoggedIn, s.changePassword},
		{"GET", "/{$}", LoggedIn, func(w http.ResponseWriter, r *http.Request, q *request) {
			http.Redirect(w, r, "/cases", http.StatusSeeOther)
		}},
		{"GET", "/cases", LoggedIn, s.caseList},
		{"GET", "/cases/{id}", CaseInScope, s.casePage},
		{"POST", "/cases/{id}/outcome", CaseToClose, s.recordOutcome},
		{"POST", "/cases/{id}/unmask", CaseInScope, s.unmask},
		{"GET", "/list.xlsx", LoggedIn, s.downloadList},
		{"POST", "/cases/{id}/extension", CaseInScope, s.requestExtension},
		{"GET", "/county", CountyOnly, s.countyPage},
		{"GET", "/stats", CountyOnly, s.statsPage},
		{"GET", "/stats.csv", CountyOnly, s.statsCSV},
		{"GET", "/stats.xlsx", CountyOnly, s.statsXLSX},
		{"GET", "/extensions", AdminOnly, s.extensionsPage},
		{"POST", "/extensions/{rid}", AdminOnly, s.decideExtension},
		{"GET", "/sources", CountyOnly, s.sourcesPage},
		{"POST", "/cases/{id}/assign", AdminOnly, s.assignTownship},
		{"GET", "/report", LoggedIn, s.reportPage},
		{"POST", "/report", LoggedIn, s.fileReport},
		{"POST", "/reload", AdminOnly, s.reloadConfig},
		{"POST", "/cases/{id}/reopen", AdminOnly, s.reopenCase},
		{"GET", "/links", CountyOnly, s.linksPage},
		{"POST", "/links/{lid}", CountyOnly, s.decideLink},
	}
}

// actor names an account in the audit log.
func actor(u *store.User) string { return "portal:" + u.Username }

// clientAddr is the address a request came from: the connection's, or,
// from a trusted proxy, the last address it adds to X-Forwarded-For (the
// ones before it are the client's to write, so never trusted).
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if net.ParseIP(h) == nil {
			break
		}
		if !s.trusted(h) {
			return h
		}
	}
	return host
}

func (s *Server) trusted(addr string) bool {
	ip := net.ParseIP(addr)
	for _, n := range s.proxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, q *request) {
	s.render(w, r, q, "login", map[string]any{"Next": localPath(r.URL.Query().Get("next"))})
}

// login checks a username and password. The answer to a wrong password,
// an unknown username, a disabled or a locked account is the same words
// and the same time (auth.CheckNoAccount), except that a locked account
// is told so: its owner must know to wait or call the county.
func (s *Server) login(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	pc := s.p.Cfg.Portal
	name, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	again := func(msg string) {
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, q, "login", map[string]any{"Next": next, "Error": msg, "Username": name})
	}
	const wrong = "用户名或密码不正确"
	norm, err := auth.NormalizeUsername(name)
	var u *store.User
	if err == nil {
		u, err = s.p.Store.User(ctx, norm)
	}
	now := time.Now()
	switch {
	case errors.Is(err, store.ErrNoUser) || u == nil || u.Disabled:
		auth.CheckNoAccount(password)
		// The name typed is not recorded: it may be a password typed
		// into the wrong field.
		if aerr := s.p.Store.Audit(ctx, "portal", "login_failed", "", map[string]any{"from": s.clientAddr(r), "known": false}); aerr != nil {
			s.fail(w, r, aerr)
			return
		}
		again(wrong)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case u.Locked(now):
		// Only someone who gives the right password learns of the lock:
		// to anyone else a locked account answers as an unknown one.
		right, _ := auth.CheckPassword(password, u.PasswordHash)
		_, _ = s.p.Store.RecordLoginFailure(ctx, u.Username, s.clientAddr(r), now, pc.LoginMaxFailures, time.Duration(pc.Lockout))
		if right {
			again("登录失败次数过多，账号已暂时锁定，请稍后再试或联系县民政局重置")
			return
		}
		again(wrong)
		return
	}
	ok, err := auth.CheckPassword(password, u.PasswordHash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		if _, err := s.p.Store.RecordLoginFailure(ctx, u.Username, s.clientAddr(r), now, pc.LoginMaxFailures, time.Duration(pc.Lockout)); err != nil {
			s.fail(w, r, err)
			return
		}
		again(wrong) // locked or not: the same words as an unknown name
		return
	}
	if err := s.p.Store.RecordLoginSuccess(ctx, u.Username, s.clientAddr(r), now); err != nil {
		s.fail(w, r, err)
		return
	}
	// A new session token at login: one planted before it is worthless.
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(ctx, sessionUser, u.Username)
	s.sessions.Put(ctx, sessionPassword, passwordStamp(u))
	if u.MustChangePassword {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, q *request) {
	if err := s.p.Store.Audit(r.Context(), actor(q.user), "logout", q.user.Username, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	_ = s.sessions.Destroy(r.Context())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, q *request) {
	s.render(w, r, q, "password", map[string]any{"Forced": q.user.MustChangePassword, "MinLength": s.policy().MinLength})
}

func (s *Server) policy() auth.Policy {
	p := auth.DefaultPolicy()
	if n := s.p.Cfg.Portal.PasswordMinLength; n > 0 {
		p.MinLength = n
	}
	return p
}

// changePassword sets the account's own password: the current one, then
// the new one twice, by the password policy.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	current, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	again := func(msg string) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		s.render(w, r, q, "password", map[string]any{"Forced": q.user.MustChangePassword, "MinLength": s.policy().MinLength, "Error": msg})
	}
	ok, err := auth.CheckPassword(current, q.user.PasswordHash)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case !ok:
		again("当前密码不正确")
		return
	case next != confirm:
		again("两次输入的新密码不一致")
		return
	case next == current:
		again("新密码不能与当前密码相同")
		return
	}
	if err := s.policy().Check(q.user.Username, next); err != nil {
		var pe *auth.PolicyError
		if errors.As(err, &pe) {
			again(pe.Chinese())
			return
		}
		s.fail(w, r, err)
		return
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.p.Store.SetPassword(ctx, actor(q.user), q.user.Username, hash, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	// This session goes on with the new password; every other one ends.
	if nu, err := s.p.Store.User(ctx, q.user.Username); err == nil {
		s.sessions.Put(ctx, sessionPassword, passwordStamp(nu))
	}
	s.render(w, r, q, "message", map[string]any{"Title": "密码已修改", "Message": "新密码已生效。", "Link": "/cases", "LinkText": "进入我的预警"})
}

// pageSize is how many cases a page of the case list shows.
const pageSize = 100

// listRow is one case on the list page.
type listRow struct {
	dispatch.Item
	Overdue  bool
	DaysLeft int  // working days to the deadline, negative when overdue
	HasDays  bool // a deadline and a calendar to count it on
	Open     bool
}

// caseList is "my open cases": the cases of the account's scope, most
// urgent first (overdue, then level, then the nearest deadline), with
// filters and a search by 户号 or name.
func (s *Server) caseList(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	f := r.URL.Query()
	state, level, village, search := f.Get("state"), f.Get("level"), f.Get("village"), strings.TrimSpace(f.Get("q"))
	overdueOnly := f.Get("overdue") == "1"
	township, routed := "", "" // routed: the county's filter by township ("county" = its own queue)
	if !q.scope.IsCounty() {
		township = q.scope.Township
	} else if routed = f.Get("township"); routed == "county" {
		routed = route.CountyQueue
	}
	// A list that needs each case's village or people (a village or name
	// filter, a village assistant's scope, villages not configured) makes
	// the list's items of every case; otherwise the cases are sorted and
	// paged bare, and only the page's hundred become items.
	whole := search != "" || village != "" || q.scope.Role == auth.Village || len(s.p.Villages) == 0
	var cs []*cases.Case
	var err error
	if whole {
		cs, err = s.p.Store.CasesWhere(ctx, township, storeState(state), level, time.Time{})
	} else {
		cs, err = s.p.Store.CaseHeadsWhere(ctx, township, storeState(state), level)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if state == "" { // open ones by default
		cs = slices.DeleteFunc(cs, func(c *cases.Case) bool { return c.State == cases.StateClosed })
	}
	type candidate struct {
		c        *cases.Case
		it       *dispatch.Item // nil until made
		town     string
		deadline time.Time
		overdue  bool
	}
	var cands []candidate
	villages := map[string]string{}
	if whole {
		items, err := s.p.Items(ctx, cs, q.day)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i := range items {
			it := &items[i]
			if !q.scope.CanSeeCase(it.TownshipCode, it.VillageCode) {
				continue
			}
			if it.VillageCode != "" {
				villages[it.VillageCode] = cmp.Or(it.VillageName, it.VillageCode)
			}
			cands = append(cands, candidate{c: cs[i], it: it, town: it.TownshipCode, deadline: it.Deadline})
		}
	} else {
		// The deadline a case not yet dispatched would get today, as Items
		// gives it.
		var pending time.Time
		for _, c := range cs {
			town := s.p.Router.Township(c.TownshipCode)
			if !q.scope.CanSeeCase(town, "") {
				continue
			}
			dl := c.Deadline
			if c.DispatchedOn.IsZero() && c.State != cases.StateClosed {
				if pending.IsZero() {
					if pending, err = s.p.Router.Deadline(q.day, false); err != nil {
						s.fail(w, r, err)
						return
					}
				}
				dl = pending
			}
			cands = append(cands, candidate{c: c, town: town, deadline: dl})
		}
	}
	kept := cands[:0]
	for _, k := range cands {
		k.overdue = k.c.State != cases.StateClosed && route.Overdue(k.deadline, q.day)
		switch {
		case q.scope.IsCounty() && f.Has("township") && k.town != routed:
			continue
		case village != "" && k.it.VillageCode != village:
			continue
		case overdueOnly && !k.overdue:
			continue
		case search != "" && !matches(*k.it, search):
			continue
		}
		kept = append(kept, k)
	}
	slices.SortStableFunc(kept, func(a, b candidate) int {
		if a.overdue != b.overdue {
			if a.overdue {
				return -1
			}
			return 1
		}
		if c := lvl.MoreSevere(a.c.Level, b.c.Level); c != 0 {
			return c
		}
		if c := a.deadline.Compare(b.deadline); c != 0 {
			return c
		}
		return cmp.Compare(b.c.ID, a.c.ID) // newest first
	})
	// Pages of pageSize rows, the most urgent first: a county's thousands
	// of cases are not one page on an old PC.
	total, pages := len(kept), max(1, (len(kept)+pageSize-1)/pageSize)
	page, _ := strconv.Atoi(f.Get("page"))
	page = min(max(page, 1), pages)
	kept = kept[(page-1)*pageSize : min(page*pageSize, total)]
	if !whole {
		ids := make([]string, len(kept))
		for i, k := range kept {
			ids[i] = k.c.ID
		}
		full, err := s.p.Store.CasesByID(ctx, ids)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		items, err := s.p.Items(ctx, full, q.day)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		byID := map[string]*dispatch.Item{}
		for i := range items {
			byID[items[i].CaseID] = &items[i]
		}
		for i := range kept {
			if kept[i].it = byID[kept[i].c.ID]; kept[i].it == nil {
				s.fail(w, r, fmt.Errorf("case %s vanished while listing", kept[i].c.ID))
				return
			}
		}
		// The village filter offers the scope's villages from the divisions.
		town := cmp.Or(township, routed)
		for code, name := range s.p.Villages {
			switch {
			case town == "" && len(code) >= 9: // the whole county: say whose
				villages[code] = s.p.Router.Name(code[:9]) + " " + name
			case strings.HasPrefix(code, town):
				villages[code] = name
			}
		}
	}
	rows := make([]listRow, 0, len(kept))
	for _, k := range kept {
		row := listRow{Item: *k.it, Open: k.c.State != cases.StateClosed, Overdue: k.overdue}
		if row.Open && !row.Deadline.IsZero() {
			if n, err := s.workdaysLeft(q.day, row.Deadline); err == nil {
				row.DaysLeft, row.HasDays = n, true
			}
		}
		rows = append(rows, row)
	}
	type option struct{ Code, Name string }
	var vs []option
	for code, name := range villages {
		vs = append(vs, option{code, name})
	}
	slices.SortFunc(vs, func(a, b option) int { return cmp.Compare(a.Code, b.Code) })
	if err := s.p.Store.Audit(ctx, actor(q.user), "cases_list", q.scope.String(), map[string]any{"rows": total, "q": search != ""}); err != nil {
		s.fail(w, r, err)
		return
	}
	where := s.scopeName(q.scope)
	if q.scope.IsCounty() && f.Has("township") {
		where = s.p.Router.Name(routed)
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range f {
			if k != "page" {
				v[k] = vs
			}
		}
		v.Set("page", strconv.Itoa(n))
		return "/cases?" + v.Encode()
	}
	var prev, next string
	if page > 1 {
		prev = link(page - 1)
	}
	if page < pages {
		next = link(page + 1)
	}
	s.render(w, r, q, "cases", map[string]any{
		"Rows": rows, "Villages": vs, "State": state, "Level": level, "Village": village, "Q": search, "Overdue": overdueOnly,
		"Where": where, "Township": f.Get("township"), "Total": total, "Page": page, "Pages": pages, "Prev": prev, "Next": next,
	})
}

// storeState maps the state filter to the store's states; "" and "open"
// are filtered after loading.
func storeState(s string) string {
	if st, ok := cases.ParseState(s); ok {
		return string(st)
	}
	return ""
}

func (s *Server) workdaysLeft(day, deadline time.Time) (int, error) {
	cal := s.p.Router.Calendar
	if cal == nil {
		return 0, errors.New("no calendar")
	}
	if deadline.Before(day) {
		n, err := cal.WorkdaysBetween(deadline, day)
		return -n, err
	}
	return cal.WorkdaysBetween(day, deadline)
}

// matches is the search: a 户号 (or its start), or part of the head's or
// a warned person's name.
func matches(it dispatch.Item, q string) bool {
	if strings.Contains(it.HouseholdID, q) || strings.Contains(it.HeadName, q) {
		return true
	}
	for _, h := range it.Hits {
		if strings.Contains(h.Person, q) {
			return true
		}
	}
	return false
}

// scopeName is where an account works, in words: 全县, 城关镇, 城关镇 东门社区.
func (s *Server) scopeName(sc auth.Scope) string {
	switch {
	case sc.IsCounty():
		return cmp.Or(s.p.Cfg.County.Name, "全县")
	case sc.Role == auth.Village:
		var names []string
		for _, v := range sc.Villages {
			names = append(names, cmp.Or(s.p.Villages[v], v))
		}
		return s.p.Router.Name(sc.Township) + " " + strings.Join(names, "、")
	}
	return s.p.Router.Name(sc.Township)
}

// casePage shows one case: the household, every hit with its reason, the
// dates, and the outcome form when the account may close it. ID numbers
// are masked. The view is audited.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, q *request) {
	s.showCase(w, r, q, http.StatusOK, "", nil)
}

// caseView says how a case page is shown.
type caseView struct {
	status   int
	problem  string            // a refusal of the outcome form, in the township's words
	form     map[string]string // the outcome form as filled in, shown again with the problem
	unmasked bool              // full ID numbers, asked for with a reason
	reason   string
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, q *request, status int, problem string, form map[string]string) {
	s.showCaseView(w, r, q, caseView{status: status, problem: problem, form: form})
}

func (s *Server) showCaseView(w http.ResponseWriter, r *http.Request, q *request, v caseView) {
	ctx := r.Context()
	detail := map[string]any{"unmasked": v.unmasked}
	if v.unmasked {
		detail["reason"] = v.reason
	}
	if err := s.p.Store.Audit(ctx, actor(q.user), "cases_show", q.kase.ID, detail); err != nil {
		s.fail(w, r, err)
		return
	}
	showID := idnum.Mask // as lists show it: 340799********123X
	if v.unmasked {
		showID = func(id string) string { return id }
	}
	it := q.item
	docs := map[string]string{}
	for _, rl := range s.p.Pack.Rules {
		docs[rl.ID] = rl.Doc
	}
	docs[evaluate.GroundRule] = "入户核实报告所述困难：了解家庭成员、收入、支出和照料情况，符合条件的按规定纳入相应救助。"
	type hitView struct {
		Title, Level, Reason, Person, ID, Doc string
		Mark                                  bool
	}
	var hits, marks []hitView
	for _, h := range it.Hits {
		v := hitView{Title: cmp.Or(h.RuleTitle, h.RuleID), Level: h.Level, Reason: h.Reason, Person: h.Person,
			ID: showID(h.IDNumber), Doc: docs[h.RuleID], Mark: h.Mark}
		if h.Mark {
			marks = append(marks, v) // after the warnings, as on the list
		} else {
			hits = append(hits, v)
		}
	}
	hits = append(hits, marks...)
	linked, err := s.linkedRows(r, q, showID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	members, err := s.p.Store.Members(ctx, it.HouseholdID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type memberView struct{ Name, Relation, ID, Status string }
	var mv []memberView
	for _, m := range members {
		mv = append(mv, memberView{Name: m.Name, Relation: m.Relation, ID: showID(m.IDNumber), Status: rule.StatusName(m.Status)})
	}
	history, err := s.p.Store.CaseHistory(ctx, q.kase.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	requests, err := s.p.Store.CaseExtensionRequests(ctx, q.kase.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canAsk := q.scope.CanRequestExtension() && q.kase.State == cases.StateDispatched
	for _, er := range requests {
		if er.State != store.ExtensionRefused {
			canAsk = false // one waiting, or extended already
		}
	}
	for _, e := range history {
		if e.What == "extended" {
			canAsk = false
		}
	}
	status, problem, form := v.status, v.problem, v.form
	open := q.kase.State != cases.StateClosed
	var daysLeft int
	hasDays := false
	if open && !it.Deadline.IsZero() {
		if n, err := s.workdaysLeft(q.day, it.Deadline); err == nil {
			daysLeft, hasDays = n, true
		}
	}
	// A case routed here by a rule (recusal) is not for its household's
	// own township: the form leaves that township out.
	recused := false
	for _, h := range it.Hits {
		if rl := s.p.Pack.Rule(h.RuleID); rl != nil && rl.Route == rule.RouteCounty {
			recused = true
		}
	}
	towns := s.townshipOptions()
	if it.HouseholdID != "" {
		// Townships whose own assistance staff are related to the household
		// are not offered (the store refuses them too).
		out, err := s.p.Store.RecusedTownships(ctx, it.HouseholdID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		towns = slices.DeleteFunc(towns, func(o struct{ Code, Name string }) bool { return slices.Contains(out, o.Code) })
	}
	w.WriteHeader(status)
	s.render(w, r, q, "case", map[string]any{
		"Case": q.kase, "Item": it, "Hits": hits, "HeadID": showID(it.HeadID), "Open": open,
		"Members": mv, "History": history, "Unmasked": v.unmasked, "Reason": v.reason,
		"Requests": requests, "CanAskExtension": canAsk, "ExtensionDays": s.p.Cfg.Cases.ExtensionDays,
		"CanAssign": q.scope.CanAdmin() && open && it.TownshipCode == route.CountyQueue, "Townships": towns, "Recused": recused,
		"Overdue": open && route.Overdue(it.Deadline, q.day), "DaysLeft": daysLeft, "HasDays": hasDays,
		"CanClose":     open && q.kase.State == cases.StateDispatched && q.scope.CanCloseCase(it.TownshipCode, it.VillageCode),
		"DeadlineDays": s.p.Router.Days,
		"CanReopen":    !open && q.scope.CanAdmin(),
		"Outcomes":     dispatch.DefaultOutcomes(), "Problem": problem, "Form": form, "Today": q.day.Format(time.DateOnly),
		"OutcomeLabel": outcomeLabel(q.kase.Outcome), "Done": r.URL.Query().Get("done") == "1",
		"LinkNote": dispatch.LinkNote(*it), "Linked": linked,
	})
}

// recordOutcome records the verification outcome of a case: the same
// checks as a returned list's row (dispatch.CheckVerification) and the
// same application (pipeline.RecordOutcome), audited as portal_outcome.
// The form offers today as the 核实日期; one sent empty is refused, as a
// returned list's blank date is, not taken as today.
func (s *Server) recordOutcome(w http.ResponseWriter, r *http.Request, q *request) {
	form := map[string]string{
		"outcome": r.PostFormValue("outcome"), "note": r.PostFormValue("note"),
		"verified_by": r.PostFormValue("verified_by"), "verified_on": r.PostFormValue("verified_on"),
	}
	fb, err := dispatch.CheckVerification(dispatch.Options{County: s.p.Cfg.County.Name, AsOf: q.day}, q.kase.ID,
		form["outcome"], form["note"], form["verified_by"], form["verified_on"])
	if err != nil {
		s.showCase(w, r, q, http.StatusUnprocessableEntity, err.Error(), form)
		return
	}
	if fb.VerifiedBy == "" {
		fb.VerifiedBy = cmp.Or(q.user.DisplayName, q.user.Username)
	}
	closed, refusal, err := s.p.RecordOutcome(r.Context(), q.day, actor(q.user), q.item.TownshipCode, fb)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case refusal != "":
		s.showCase(w, r, q, http.StatusConflict, refusal, form)
		return
	}
	if !closed {
		s.showCase(w, r, q, http.StatusConflict, "该预警已按“"+outcomeLabel(fb.Outcome)+"”办结，本次提交未作任何更改", nil)
		return
	}
	s.log.Info("portal outcome recorded", "case", q.kase.ID, "outcome", fb.Outcome, "account", q.user.Username)
	http.Redirect(w, r, "/cases/"+q.kase.ID+"?done=1", http.StatusSeeOther)
}

// unmask shows the case page with full ID numbers, once, for a reason
// the account gives; the view and the reason are audited.
func (s *Server) unmask(w http.ResponseWriter, r *http.Request, q *request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len([]rune(reason)) < 4 {
		s.showCaseView(w, r, q, caseView{status: http.StatusUnprocessableEntity, problem: "查看完整身份证号须填写事由（至少4个字），事由将被记录"})
		return
	}
	if len(reason) > 200 {
		reason = string([]rune(reason)[:100])
	}
	s.showCaseView(w, r, q, caseView{status: http.StatusOK, unmasked: true, reason: reason})
}

// downloadList sends the account's open cases as the township list
// (xlsx), the same file dispatch writes: a township officer's township; a
// village assistant's villages; for the county, the township given by
// ?township= (county for the county's own queue). Audited.
func (s *Server) downloadList(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	town := q.scope.Township
	if q.scope.IsCounty() {
		town = r.URL.Query().Get("township")
		if town == "county" {
			town = route.CountyQueue
		} else if town == "" || s.p.Router.Name(town) == town {
			http.Error(w, "请指定乡镇（township=乡镇代码，或 county 表示县级队列）", http.StatusBadRequest)
			return
		}
	}
	all, err := s.p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all = slices.DeleteFunc(all, func(c *cases.Case) bool { return c.State == cases.StateClosed })
	items, err := s.p.Items(ctx, all, q.day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items = slices.DeleteFunc(items, func(it dispatch.Item) bool {
		return it.TownshipCode != town || !q.scope.CanSeeCase(it.TownshipCode, it.VillageCode)
	})
	batch, err := s.p.Store.LastBatchFor(ctx, town)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o := dispatch.Options{County: s.p.Cfg.County.Name, AsOf: q.day}
	if batch != "" {
		// Returned, it answers for this township like the dispatched list.
		if o.Mark, err = s.p.Mark(ctx, batch, town); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	tmp, err := os.MkdirTemp("", "lipwatch-list-")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer os.RemoveAll(tmp)
	name := cmp.Or(s.p.Router.Name(town), "县级队列") + "_" + q.day.Format("20060102") + ".xlsx"
	path := filepath.Join(tmp, "list.xlsx")
	if err := dispatch.WriteTownshipXLSX(path, items, o); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.p.Store.Audit(ctx, actor(q.user), "list_download", town, map[string]any{"cases": len(items), "unmasked": false}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	_, _ = w.Write(b)
}

// requestExtension records a township officer's request for more time,
// for the county to decide.
func (s *Server) requestExtension(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.scope.CanRequestExtension() {
		s.forbidden(w, r, q, "延期申请由乡镇经办人提出")
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if n := len([]rune(reason)); n < 4 || n > 500 {
		s.showCase(w, r, q, http.StatusUnprocessableEntity, "请填写申请延期的理由（4至500字）", nil)
		return
	}
	_, err := s.p.Store.RequestExtension(r.Context(), actor(q.user), q.kase.ID, reason)
	var state *store.CaseStateError
	switch {
	case errors.As(err, &state):
		s.showCase(w, r, q, http.StatusConflict, "不能申请延期：该预警"+extensionStateWords(state.Reason), nil)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+q.kase.ID+"?asked=1", http.StatusSeeOther)
}

func extensionStateWords(reason string) string {
	switch {
	case strings.HasPrefix(reason, "extended"):
		return "已延期过"
	case strings.HasPrefix(reason, "waiting"):
		return "已有待县局审批的延期申请"
	case strings.Contains(reason, "already"):
		return "的延期申请已处理"
	}
	return "不在核实中"
}

// extensionsPage lists the requests waiting for the county's decision,
// then the decided ones.
func (s *Server) extensionsPage(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	all, err := s.p.Store.ExtensionRequests(ctx, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type view struct {
		store.ExtensionRequest
		Township string
	}
	var pending, decided []view
	for i := len(all) - 1; i >= 0; i-- {
		er := all[i]
		c, err := s.p.Store.Case(ctx, er.CaseID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v := view{er, s.p.Router.Name(s.p.Router.Township(c.TownshipCode))}
		if er.State == store.ExtensionPending {
			pending = append(pending, v)
		} else if len(decided) < 50 {
			decided = append(decided, v)
		}
	}
	slices.Reverse(pending) // oldest first: the longest waiting
	s.render(w, r, q, "extensions", map[string]any{"Pending": pending, "Decided": decided, "ExtensionDays": s.p.Cfg.Cases.ExtensionDays})
}

// decideExtension approves or refuses a request: approved, the case's
// deadline becomes the extended one, counted in working days from its
// dispatch.
func (s *Server) decideExtension(w http.ResponseWriter, r *http.Request, q *request) {
	rid, err := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	if err != nil {
		s.notFound(w, r, q)
		return
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "refuse":
	default:
		http.Error(w, "请选择同意或不同意", http.StatusUnprocessableEntity)
		return
	}
	_, err = s.p.Store.DecideExtension(r.Context(), actor(q.user), rid, approve, strings.TrimSpace(r.PostFormValue("note")),
		func(dispatched time.Time) (time.Time, error) { return s.p.Router.Deadline(dispatched, true) })
	var state *store.CaseStateError
	switch {
	case errors.Is(err, store.ErrNoRequest):
		s.notFound(w, r, q)
		return
	case errors.As(err, &state):
		w.WriteHeader(http.StatusConflict)
		s.render(w, r, q, "message", map[string]any{"Title": "无法处理", "Message": "该申请已处理，或预警已不在核实中。", "Link": "/extensions", "LinkText": "返回延期申请"})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/extensions", http.StatusSeeOther)
}

// townshipRow is one township's line on the county page.
type townshipRow struct {
	Code, Name                       string
	Open, Overdue, Red, ClosedMonth  int
	ClosedWithDeadline, ClosedOnTime int // of the closed cases with a deadline, those closed by it
}

// OnTime is the share of closed cases verified by their deadline, in
// percent; -1 when none closed.
func (t townshipRow) OnTime() int {
	if t.ClosedWithDeadline == 0 {
		return -1
	}
	return t.ClosedOnTime * 100 / t.ClosedWithDeadline
}

// countyPage is every township at a glance: open, overdue and red cases,
// closed this month, and the share verified on time; the county's own
// queue (cases no township could be found for) first.
func (s *Server) countyPage(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	all, err := s.p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := map[string]*townshipRow{}
	row := func(code string) *townshipRow {
		if rows[code] == nil {
			rows[code] = &townshipRow{Code: code, Name: s.p.Router.Name(code)}
		}
		return rows[code]
	}
	for code := range s.p.Cfg.County.Townships {
		row(code)
	}
	monthStart := time.Date(q.day.Year(), q.day.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, c := range all {
		t := row(s.p.Router.Township(c.TownshipCode))
		if c.State == cases.StateClosed {
			if !c.ClosedOn.Before(monthStart) {
				t.ClosedMonth++
			}
			if !c.Deadline.IsZero() {
				t.ClosedWithDeadline++
				if !c.ClosedOn.After(c.Deadline) {
					t.ClosedOnTime++
				}
			}
			continue
		}
		t.Open++
		if c.Level == dispatch.LevelRed {
			t.Red++
		}
		if route.Overdue(c.Deadline, q.day) {
			t.Overdue++
		}
	}
	var list []townshipRow
	total := townshipRow{Name: "合计"}
	for _, t := range rows {
		list = append(list, *t)
		total.Open += t.Open
		total.Overdue += t.Overdue
		total.Red += t.Red
		total.ClosedMonth += t.ClosedMonth
		total.ClosedWithDeadline += t.ClosedWithDeadline
		total.ClosedOnTime += t.ClosedOnTime
	}
	slices.SortFunc(list, func(a, b townshipRow) int {
		if (a.Code == route.CountyQueue) != (b.Code == route.CountyQueue) {
			if a.Code == route.CountyQueue {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Code, b.Code)
	})
	pending, err := s.p.Store.ExtensionRequests(ctx, store.ExtensionPending)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, q, "county", map[string]any{"Rows": list, "Total": total, "Pending": len(pending), "IsAdmin": q.scope.CanAdmin(), "Month": q.day.Format("2006年1月")})
}

// assignTownship routes a case of the county's own queue to a township
// the county admin chooses (the household's township could not be found).
func (s *Server) assignTownship(w http.ResponseWriter, r *http.Request, q *request) {
	id := r.PathValue("id")
	town := r.PostFormValue("township")
	if _, ok := s.p.Router.Townships[town]; !ok {
		http.Error(w, "请选择本县的乡镇", http.StatusUnprocessableEntity)
		return
	}
	err := s.p.Store.AssignTownship(r.Context(), actor(q.user), id, town, func(code string) bool {
		return s.p.Router.Township(code) == route.CountyQueue
	})
	if errors.Is(err, store.ErrRecusal) {
		w.WriteHeader(http.StatusConflict)
		s.render(w, r, q, "message", map[string]any{"Title": "须回避，不能分派给该乡镇",
			"Message": "该户为" + s.p.Router.Name(town) + "社会救助经办人员的近亲属（近亲属备案），该乡镇须回避：请分派其他乡镇交叉核查，或由县民政局直接核实。",
			"Link":    "/cases/" + id, "LinkText": "返回预警"})
		return
	}
	s.caseChanged(w, r, q, id, err, "无法分派", "该预警已办结，或已有所属乡镇。")
}

// caseChanged answers an admin's change to case id: back to its page, 404
// for an unknown case, or, when the case's state refused the change
// (*store.CaseStateError), 409 with title and msg.
func (s *Server) caseChanged(w http.ResponseWriter, r *http.Request, q *request, id string, err error, title, msg string) {
	var state *store.CaseStateError
	switch {
	case errors.Is(err, store.ErrNoCase):
		s.notFound(w, r, q)
	case errors.As(err, &state):
		w.WriteHeader(http.StatusConflict)
		s.render(w, r, q, "message", map[string]any{"Title": title, "Message": msg, "Link": "/cases/" + id, "LinkText": "返回预警"})
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, "/cases/"+id, http.StatusSeeOther)
	}
}

// reopenCase is the county admin's correction of an outcome recorded by
// mistake: the case is open again with a deadline counted from today
// (store.ReopenCase), for its township to record the right outcome.
func (s *Server) reopenCase(w http.ResponseWriter, r *http.Request, q *request) {
	id := r.PathValue("id")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || len([]rune(reason)) > 500 {
		http.Error(w, "请填写更正的事由（500字以内）", http.StatusUnprocessableEntity)
		return
	}
	// serve() holds the job lock for an admin's change.
	d, err := s.p.Router.Deadline(q.day, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.p.Store.ReopenCase(r.Context(), actor(q.user), id, reason, q.day, d)
	s.caseChanged(w, r, q, id, err, "无法重新打开", "该预警未办结，或该户已有其他正在核实的预警（请在那条预警中登记）。")
}

// sourcesPage is the departments' data as it stands: each source's health
// (ok, degraded, failed, never loaded, and why), its last sync, the rules
// held back tonight because of it, and the last runs of the ledger (busy
// and interrupted ones too).
func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	h, err := s.p.CheckHealth(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	last, err := s.p.Store.SourceStatuses(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type row struct {
		store.SourceHealth
		Last store.SourceStatus
	}
	var rows []row
	for _, sh := range h.Sources {
		rows = append(rows, row{sh, last[sh.Source]})
	}
	runs, err := s.p.Store.RecentRuns(ctx, 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range runs {
		runs[i].Error, _, _ = strings.Cut(runs[i].Error, "\n")
	}
	type held struct {
		evaluate.Hold
		Title string
	}
	var holds []held
	for _, hd := range h.Held {
		title := hd.Rule
		for _, r := range s.p.Pack.Rules {
			if r.ID == hd.Rule {
				title = r.Title
			}
		}
		holds = append(holds, held{hd, title})
	}
	// The params past their review date: each night evaluates them as
	// always and names them; here the county admin sees which to have
	// confirmed (names, dates and sources, never the values).
	type review struct {
		Name, Doc, Source string
		ReviewBy          time.Time
	}
	var reviews []review
	for _, rv := range s.p.Pack.Reviews(q.day, -1) {
		doc, _, _ := strings.Cut(rv.Param.Doc, "\n")
		reviews = append(reviews, review{rv.Param.Name, doc, rv.Param.Source, rv.Param.ReviewBy})
	}
	s.render(w, r, q, "sources", map[string]any{"Sources": rows, "Held": holds, "Runs": runs, "Reviews": reviews,
		"CanReload": s.reload != nil && q.scope.CanAdmin()})
}

// reloadConfig is the county admin's button for serve's reload of the
// config and rule files (as SIGHUP): a file that does not load is not
// applied, and the page says why. Audited (config_reload).
func (s *Server) reloadConfig(w http.ResponseWriter, r *http.Request, q *request) {
	if s.reload == nil {
		s.notFound(w, r, q)
		return
	}
	err := s.reload(r.Context())
	detail := map[string]any{"ok": err == nil}
	if err != nil {
		detail["error"] = oneLine(err.Error())
	}
	if aerr := s.p.Store.Audit(r.Context(), actor(q.user), "config_reload", "", detail); aerr != nil {
		s.fail(w, r, aerr)
		return
	}
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		s.render(w, r, q, "message", map[string]any{"Title": "重新加载失败",
			"Message": "配置或规则文件有误，未被采用，系统继续使用原有的配置和规则。错误（技术信息）：" + err.Error(),
			"Link":    "/sources", "LinkText": "返回数据源"})
		return
	}
	s.render(w, r, q, "message", map[string]any{"Title": "已重新加载", "Message": "配置和规则文件已重新加载并生效。",
		"Link": "/sources", "LinkText": "返回数据源"})
}

func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// reportPage is the form of a report from the ground (主动发现).
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.scope.CanReport() {
		s.forbidden(w, r, q, "主动发现报告由乡镇经办人、村协理员或县级管理员填写")
		return
	}
	s.render(w, r, q, "report", s.reportForm(q, map[string]string{"village": s.homeVillage(q)}))
}

// reportForm is what the report form shows: the difficulties, the county's
// villages by township (the reporter's township first), and what the
// reporter typed.
func (s *Server) reportForm(q *request, form map[string]string) map[string]any {
	type village struct{ Code, Name string }
	type town struct {
		Name     string
		Villages []village
	}
	byTown := map[string][]village{}
	for code, name := range s.p.Villages {
		if len(code) < 9 || !s.mayLookUp(q, code) {
			continue
		}
		byTown[code[:9]] = append(byTown[code[:9]], village{code, name})
	}
	var towns []town
	for _, t := range s.townshipOptions() {
		vs := byTown[t.Code]
		if len(vs) == 0 {
			continue
		}
		slices.SortFunc(vs, func(a, b village) int { return cmp.Compare(a.Code, b.Code) })
		if t.Code == q.scope.Township {
			towns = append([]town{{t.Name, vs}}, towns...)
		} else {
			towns = append(towns, town{t.Name, vs})
		}
	}
	return map[string]any{"Kinds": evaluate.GroundKinds, "Towns": towns, "Form": form}
}

// mayLookUp reports whether the account may find people by name in
// village: in the villages whose cases it sees (a township officer her
// township's, a village assistant hers, the county admin all). Anyone
// else is reported by ID number: a name lookup elsewhere would tell the
// reporter who lives where.
func (s *Server) mayLookUp(q *request, village string) bool {
	if len(village) < 9 {
		return false
	}
	return q.scope.CanSeeCase(village[:9], village)
}

// homeVillage is the village the form starts at: a village assistant's
// first village, else none.
func (s *Server) homeVillage(q *request) string {
	if len(q.scope.Villages) > 0 {
		return q.scope.Villages[0]
	}
	return ""
}

// fileReport records a report from the ground: the person's household's
// case is joined or opened at once and routed like any other case. The
// person is named by ID number, or by name and village: one living person
// of that name in the village is taken; namesakes are shown (masked ID,
// gender, birth year, relation to the head) for the reporter to pick one;
// none is said so, and nothing is recorded.
func (s *Server) fileReport(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.scope.CanReport() {
		s.forbidden(w, r, q, "主动发现报告由乡镇经办人、村协理员或县级管理员填写")
		return
	}
	ctx := r.Context()
	form := map[string]string{"id_number": strings.TrimSpace(r.PostFormValue("id_number")), "kind": r.PostFormValue("kind"),
		"note": strings.TrimSpace(r.PostFormValue("note")), "name": strings.TrimSpace(r.PostFormValue("name")),
		"village": r.PostFormValue("village")}
	again := func(msg string, extra map[string]any) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		data := s.reportForm(q, form)
		data["Error"] = msg
		maps.Copy(data, extra)
		s.render(w, r, q, "report", data)
	}
	switch {
	case evaluate.GroundKindLabel(form["kind"]) == "":
		again("请选择困难类型", nil)
		return
	case len([]rune(form["note"])) > 500:
		again("情况说明最多500字", nil)
		return
	}
	var id string
	foundBy := "id"
	if form["id_number"] != "" {
		n, err := idnum.Parse(form["id_number"])
		if err != nil {
			again("身份证号不正确，请核对（18位，末位可以是X）", nil)
			return
		}
		id = string(n)
	} else {
		foundBy = "name"
		switch {
		case form["name"] == "":
			again("请填写身份证号，或填写姓名并选择所在村（社区）", nil)
			return
		case s.p.Villages[form["village"]] == "" || !s.mayLookUp(q, form["village"]):
			again("请选择所在村（社区）；本辖区以外的人员请填写身份证号", nil)
			return
		case len([]rune(form["name"])) > 30:
			again("姓名过长，请核对", nil)
			return
		}
		people, err := s.p.Store.PeopleNamed(ctx, form["name"], form["village"])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.p.Store.Audit(ctx, actor(q.user), "ground_lookup", form["village"], map[string]any{"name": form["name"], "found": len(people)}); err != nil {
			s.fail(w, r, err)
			return
		}
		village := s.p.Villages[form["village"]]
		pick, picked := -1, r.PostFormValue("pick")
		if picked != "" {
			// The pick is an index into the namesakes as they were shown,
			// with their count: a registry changed in between shows them again.
			i, _, _ := strings.Cut(picked, "/")
			n, err1 := strconv.Atoi(i)
			if err1 == nil && picked == fmt.Sprintf("%d/%d", n, len(people)) && n >= 0 && n < len(people) {
				pick = n
			}
		}
		switch {
		case len(people) == 0:
			again(fmt.Sprintf("在%s的户籍中没有找到在册人员「%s」。请核对姓名和村（社区），或填写身份证号。", village, form["name"]), nil)
			return
		case len(people) > store.NamesakesLimit:
			again(fmt.Sprintf("%s有多名在册人员名为「%s」，请填写身份证号。", village, form["name"]), nil)
			return
		case len(people) == 1:
			pick = 0
		case pick < 0:
			type choice struct {
				Value, Masked, Gender, Relation string
				BirthYear                       int
			}
			var cs []choice
			for i, p := range people {
				gender := map[string]string{"male": "男", "female": "女"}[p.Gender]
				cs = append(cs, choice{fmt.Sprintf("%d/%d", i, len(people)), idnum.Mask(p.IDNumber), gender, p.Relation, p.BirthYear})
			}
			again(fmt.Sprintf("%s有%d名在册人员名为「%s」，请选择您报告的是哪一位。", village, len(people), form["name"]), map[string]any{"Namesakes": cs})
			return
		}
		id = people[pick].IDNumber
	}
	known, err := s.p.Store.People(ctx, []string{id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The registry's word on the person is told only to a reporter whose
	// scope holds the person: to anyone else it would say who lives, and
	// where. Outside it, the report goes on to the township, which checks.
	if p, ok := known[id]; ok && p.Status != "" && p.Status != "active" && len(p.VillageCode) >= 9 && q.scope.CanSeeCase(p.VillageCode[:9], p.VillageCode) {
		again("户籍登记该人员已死亡或已注销，不能报告；如登记有误，请联系县民政局核实", nil)
		return
	}
	// The same account's report of the same person and difficulty within
	// 30 days, whatever became of it (so the answer says nothing of the
	// case): a double click, or a second filing of one finding.
	if dup, err := s.p.Store.ReportedSince(ctx, actor(q.user), id, form["kind"], s.now().AddDate(0, 0, -30)); err != nil {
		s.fail(w, r, err)
		return
	} else if dup {
		again("您在30天内已报告过该人员的这类困难，无需重复报告；有新情况请联系乡镇", nil)
		return
	}
	release, err := s.exclusive(ctx)
	if err != nil {
		http.Error(w, "系统正在进行夜间数据处理，请稍后再试", http.StatusServiceUnavailable)
		return
	}
	defer release()
	res, err := s.p.FileGroundReport(ctx, q.day, store.GroundReport{ReportedBy: actor(q.user), ReportedAt: s.now(),
		IDNumber: id, Kind: form["kind"], Note: form["note"], FoundBy: foundBy})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// What the reporter is told about the case depends on whether she
	// sees it: of a household outside her scope she learns nothing — not
	// its case, its township, nor that it was lately closed.
	msg := "报告已登记，已转交核实。"
	link, linkText := "/report", "继续报告"
	if res.CaseID != "" {
		if seen, err := s.seesCase(ctx, q, res.CaseID); err != nil {
			s.fail(w, r, err)
			return
		} else if seen {
			what := "已加入该户正在核实的预警 "
			if res.New {
				what = "已生成预警 "
			}
			msg = "报告已登记。" + what + res.CaseID + "，由" + s.p.Router.Name(res.Township) + "核实。"
			link, linkText = "/cases/"+res.CaseID, "查看该预警"
		}
	}
	s.render(w, r, q, "message", map[string]any{"Title": "主动发现报告", "Message": msg, "Link": link, "LinkText": linkText})
}

// seesCase reports whether the account sees case id (as the case pages
// decide it: township, and village for a village assistant).
func (s *Server) seesCase(ctx context.Context, q *request, id string) (bool, error) {
	c, err := s.p.Store.Case(ctx, id)
	if err != nil {
		return false, err
	}
	items, err := s.p.Items(ctx, []*cases.Case{c}, q.day)
	if err != nil || len(items) != 1 {
		return false, err
	}
	return q.scope.CanSeeCase(items[0].TownshipCode, items[0].VillageCode), nil
}

// townshipOptions are the county's townships, by code, for a select.
func (s *Server) townshipOptions() []struct{ Code, Name string } {
	var out []struct{ Code, Name string }
	for code, name := range s.p.Router.Townships {
		out = append(out, struct{ Code, Name string }{code, name})
	}
	slices.SortFunc(out, func(a, b struct{ Code, Name string }) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

func outcomeLabel(code string) string {
	for _, o := range dispatch.DefaultOutcomes() {
		if o.Code == code {
			return o.Label
		}
	}
	return code
}

// csrfToken is the form token of the request.
func csrfToken(r *http.Request) string { return nosurf.Token(r) }
