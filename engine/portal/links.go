package portal

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/link"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// The county analysts' review of identity resolution (身份识别复核): the
// department rows whose ID number was missing, mistyped or damaged and
// whose person the linker could not decide, each beside its candidates
// with the weights that scored them; an analyst confirms one candidate or
// rejects them all (store.ConfirmLink, RejectLink).

// linksPerPage bounds the rows of the queue one page shows: each is a
// table of its own, and a decision brings the next.
const linksPerPage = 20

// linkCell is one value of the side-by-side table; Differ marks a
// candidate's value that is not the department row's.
type linkCell struct {
	Text   string
	Differ bool
	Warn   bool // a registry status other than active
}

// linkField is one row of the side-by-side table: the department row's
// value, then each candidate's.
type linkField struct {
	Label string
	Cells []linkCell
}

// waterStep is one bar of a candidate's waterfall: the comparison, its
// level, its weight in bits, and where the bar lies on the link's scale
// (0–100, from Start to End, left to right as the weight adds up).
type waterStep struct {
	Label, Level string
	LevelFull    string // the level's whole label (Level drops its parenthesised detail)
	Bits         string
	Start, Width float64
	Plus, Null   bool
	Total        bool // the last bar: the match weight, from 0
}

// linkCandView is one candidate's column head and waterfall.
type linkCandView struct {
	Index, No   int // No = Index+1, as the page numbers them
	Probability string
	Steps       []waterStep
	Zero        float64 // where 0 bits lies on the scale
}

// linkView is one link of the queue.
type linkView struct {
	ID      int64
	Version string // the link's updated_at: a decision on a page older than the link is refused
	Dataset string
	Where   string // the department's file and line
	Why     string
	Fields  []linkField
	Cands   []linkCandView
}

// linksPage lists the review queue (status pending), oldest first, with
// each row beside its candidates. Audited as links_review.
func (s *Server) linksPage(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	counts, err := s.p.Store.LinkCounts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pending, decided := 0, 0
	for _, st := range counts {
		pending += st[store.LinkPending]
		decided += st[store.LinkConfirmed] + st[store.LinkRejected]
	}
	links, err := s.p.Store.Links(ctx, store.LinkFilter{Statuses: []string{store.LinkPending}, Limit: linksPerPage})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.p.Store.Audit(ctx, actor(q.user), "links_review", "", map[string]any{"shown": len(links), "pending": pending}); err != nil {
		s.fail(w, r, err)
		return
	}
	models := map[int64]*link.Model{}
	var views []linkView
	for _, l := range links {
		m, ok := models[l.ModelID]
		if !ok {
			mm, err := s.p.Store.LinkModel(ctx, l.ModelID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			m = &mm
			models[l.ModelID] = m
		}
		views = append(views, s.linkView(l, m))
	}
	s.render(w, r, q, "links", map[string]any{"Links": views, "Pending": pending, "Decided": decided,
		"Total": pending + decided, "More": pending - len(views), "Done": r.URL.Query().Get("done")})
}

// linkView lays a link out for the page: the department row and its
// candidates field by field, masked as the portal masks ID numbers, and
// each candidate's waterfall on one scale.
func (s *Server) linkView(l store.LinkRow, m *link.Model) linkView {
	v := linkView{ID: l.ID, Version: linkVersion(l), Dataset: datasetName(l.Dataset), Why: whyText(l.Why)}
	if l.Stream != "" {
		v.Where = fmt.Sprintf("%s 第 %d 行", filepath.Base(l.Stream), l.Position)
	}
	raw := strings.TrimPrefix(l.RawID, "?")
	rowID := "（缺失）"
	if strings.TrimSpace(raw) != "" {
		rowID = idnum.Mask(raw)
	}
	// The department's values ("" shows as not given); it has no place
	// or registry status of its own.
	row := []string{l.Name, rowID, dateOrNone(l.BirthDate), genderName(l.Gender), l.HouseholdID, "—", "—"}
	cells := make([][]linkCell, len(row))
	for i, t := range row {
		cells[i] = []linkCell{{Text: cmp.Or(t, "（未提供）")}}
	}
	differs := func(a, b string) bool { return a != "" && b != "" && a != b }
	for _, c := range l.Candidates {
		place := s.p.Router.Name(c.TownshipCode)
		if vn := cmp.Or(s.p.Villages[c.VillageCode], c.VillageCode); vn != "" {
			place += " " + vn
		}
		birth := ""
		if !c.BirthDate.IsZero() {
			birth = c.BirthDate.Format(time.DateOnly)
		}
		var rowBirth string
		if !l.BirthDate.IsZero() {
			rowBirth = l.BirthDate.Format(time.DateOnly)
		}
		vals := []linkCell{
			{Text: c.Name, Differ: differs(strings.Join(strings.Fields(l.Name), ""), strings.Join(strings.Fields(c.Name), ""))},
			{Text: idnum.Mask(c.PersonID), Differ: differs(idnum.Normalize(raw), c.PersonID)},
			{Text: orNone(birth), Differ: differs(rowBirth, birth)},
			{Text: genderName(c.Gender), Differ: differs(l.Gender, c.Gender)},
			{Text: orNone(c.HouseholdID), Differ: differs(l.HouseholdID, c.HouseholdID)},
			{Text: orNone(place)},
			{Text: orNone(rule.StatusName(c.Status)), Warn: c.Status != "" && c.Status != "active"},
		}
		for i := range cells {
			cells[i] = append(cells[i], vals[i])
		}
	}
	for i, label := range []string{"姓名", "身份证号", "出生日期", "性别", "户号", "乡镇/村", "户籍状态"} {
		v.Fields = append(v.Fields, linkField{Label: label, Cells: cells[i]})
	}
	v.Cands = waterfalls(l.Candidates, m)
	return v
}

// waterfalls draws every candidate's waterfall (the prior, then each
// comparison's weight, then the total) on one scale, so that the columns
// compare at a glance.
func waterfalls(cands []store.LinkCandidate, m *link.Model) []linkCandView {
	lo, hi := 0.0, 0.0
	explained := make([][]link.Step, len(cands))
	for i, c := range cands {
		explained[i] = m.Explain(c.Vector)
		at := 0.0
		for _, st := range explained[i] {
			at += st.Bits
			lo, hi = min(lo, at), max(hi, at)
		}
	}
	span := hi - lo
	if span <= 0 {
		span = 1
	}
	pos := func(bits float64) float64 { return math.Round((bits-lo)/span*1000) / 10 }
	out := make([]linkCandView, len(cands))
	for i, c := range cands {
		cv := linkCandView{Index: i, No: i + 1, Probability: dispatch.Percent(c.Probability), Zero: pos(0)}
		at := 0.0
		for _, st := range explained[i] {
			from, to := at, at+st.Bits
			at = to
			short, _, _ := strings.Cut(st.LevelLabel, "（")
			ws := waterStep{Label: st.Label, Level: short, LevelFull: st.LevelLabel, Bits: signedBits(st.Bits), Plus: st.Bits >= 0, Null: st.Level == "null"}
			ws.Start, ws.Width = pos(min(from, to)), max(pos(max(from, to))-pos(min(from, to)), 0.4)
			cv.Steps = append(cv.Steps, ws)
		}
		total := waterStep{Label: "合计", Level: "匹配权重", Bits: signedBits(at), Plus: at >= 0, Total: true}
		total.Start, total.Width = pos(min(0, at)), max(pos(max(0, at))-pos(min(0, at)), 0.4)
		cv.Steps = append(cv.Steps, total)
		out[i] = cv
	}
	return out
}

// signedBits is a weight as the waterfall labels it: +13.2 / −4.1.
func signedBits(b float64) string {
	if b < 0 {
		return "−" + strconv.FormatFloat(-b, 'f', 1, 64)
	}
	return "+" + strconv.FormatFloat(b, 'f', 1, 64)
}

// linkVersion identifies a link's state: it changes with every pass that
// links the row again and every decision.
func linkVersion(l store.LinkRow) string { return strconv.FormatInt(l.UpdatedAt.UnixNano(), 36) }

// whyText says in Chinese why the linker left a row to an analyst.
func whyText(why string) string {
	var bits float64
	switch {
	case why == "below the auto threshold":
		return "最可能的候选人匹配概率未达到自动匹配标准"
	case why == "below the review threshold":
		return "匹配概率低于复核标准"
	case why == "no candidate":
		return "没有找到候选人"
	case strings.HasPrefix(why, "a second candidate within"):
		if _, err := fmt.Sscanf(why, "a second candidate within %g bits", &bits); err == nil {
			return fmt.Sprintf("前两名候选人得分接近（相差 %.1f 比特），系统不作取舍", bits)
		}
		return "前两名候选人得分接近，系统不作取舍"
	}
	return why
}

func genderName(g string) string {
	switch g {
	case "male":
		return "男"
	case "female":
		return "女"
	}
	return g
}

func orNone(s string) string { return cmp.Or(s, "（无）") }

func dateOrNone(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// decideLink records an analyst's decision on link {lid}: decision
// confirm-N links the row to its N-th candidate (0 the best), reject
// refutes them all; note is kept with the decision. A page older than the
// link (the night linked it again, or someone decided it) is refused.
func (s *Server) decideLink(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("lid"), 10, 64)
	if err != nil {
		s.notFound(w, r, q)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len([]rune(note)) > 500 {
		note = string([]rune(note)[:500])
	}
	conflict := func(msg string) {
		w.WriteHeader(http.StatusConflict)
		s.render(w, r, q, "message", map[string]any{"Title": "未能保存", "Message": msg, "Link": "/links", "LinkText": "返回身份复核"})
	}
	found, err := s.p.Store.Links(ctx, store.LinkFilter{IDs: []int64{id}})
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case len(found) == 0:
		s.notFound(w, r, q)
		return
	}
	l := found[0]
	if l.Status != store.LinkPending || r.PostFormValue("v") != linkVersion(l) {
		conflict("这条记录已由他人处理，或今晚已重新比对，候选人可能已变化。请返回身份复核页面刷新后再决定。")
		return
	}
	decision := r.PostFormValue("decision")
	done := "reject"
	switch {
	case decision == "reject":
		err = s.p.Store.RejectLink(ctx, id, actor(q.user), note)
	case strings.HasPrefix(decision, "confirm-"):
		n, perr := strconv.Atoi(strings.TrimPrefix(decision, "confirm-"))
		if perr != nil || n < 0 || n >= len(l.Candidates) {
			http.Error(w, "请选择一名候选人，或选择“均不是本人”", http.StatusUnprocessableEntity)
			return
		}
		done = "confirm"
		err = s.p.Store.ConfirmLink(ctx, id, l.Candidates[n].PersonID, actor(q.user), note)
	default:
		http.Error(w, "请选择一名候选人，或选择“均不是本人”", http.StatusUnprocessableEntity)
		return
	}
	switch {
	case errors.Is(err, store.ErrNoLink):
		s.notFound(w, r, q)
		return
	case errors.Is(err, store.ErrLinkDecision):
		conflict("无法保存：该候选人已不在户籍中，或这条记录已按此处理。请返回身份复核页面刷新后再决定。")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.log.Info("portal link decided", "link", id, "decision", done, "account", q.user.Username)
	http.Redirect(w, r, "/links?done="+done, http.StatusSeeOther)
}

// linkedRowView is one record of a case that identity resolution matched,
// as the case page lists it.
type linkedRowView struct {
	Dataset, Where, Name, RawID string
	Basis, Probability, How     string
	Rules                       []string // the warnings that rest on it
}

// linkedRows lists the records of q's case whose person identity
// resolution found (store.LinkedEvidence of its active hits), each once,
// with the warnings that rest on it; ID numbers as show gives them.
func (s *Server) linkedRows(r *http.Request, q *request, show func(string) string) ([]linkedRowView, error) {
	var evs, titles []string
	for _, h := range q.kase.Hits {
		if !h.Active {
			continue
		}
		evs = append(evs, h.Evidence)
		title := h.RuleID
		if rl := s.p.Pack.Rule(h.RuleID); rl != nil && rl.Title != "" {
			title = rl.Title
		} else if h.RuleID == evaluate.GroundRule {
			title = evaluate.GroundTitle
		}
		titles = append(titles, title)
	}
	found, err := s.p.Store.LinkedEvidence(r.Context(), evs)
	if err != nil {
		return nil, err
	}
	var out []linkedRowView
	at := map[string]int{}
	for i, rows := range found {
		for _, lr := range rows {
			k := lr.Dataset + "\x00" + lr.Row
			if j, ok := at[k]; ok {
				if !slices.Contains(out[j].Rules, titles[i]) {
					out[j].Rules = append(out[j].Rules, titles[i])
				}
				continue
			}
			at[k] = len(out)
			v := linkedRowView{Dataset: datasetName(lr.Dataset), Name: lr.Name, Basis: strings.Join(lr.Agreements, "、"),
				Rules: []string{titles[i]}, How: "系统自动匹配"}
			if cut := strings.LastIndexByte(lr.Row, ':'); cut > 0 {
				v.Where = filepath.Base(lr.Row[:cut]) + " 第 " + lr.Row[cut+1:] + " 行"
			}
			v.RawID = "（缺失）"
			if raw := strings.TrimPrefix(lr.RawID, "?"); strings.TrimSpace(raw) != "" {
				v.RawID = show(raw)
			}
			if lr.Probability > 0 {
				v.Probability = dispatch.Percent(lr.Probability)
			}
			if lr.Status == store.LinkConfirmed {
				v.How = "县民政局人工确认（" + who(lr.DecidedBy) + "）"
			}
			out = append(out, v)
		}
	}
	return out, nil
}
