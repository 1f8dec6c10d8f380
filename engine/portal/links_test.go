package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/link"
	"github.com/lipwatch/lipwatch/engine/store"
)

// The link county: the synthetic county after one night, then, as a
// department that sends names and birth dates beside mistyped or wrong ID
// numbers would have it, identity resolution over employment rows:
//   - the employment rows behind one of 城关镇's UNEMP-LOWINC-UNCOVERED
//     cases arrive with two digits of the ID swapped and are linked back
//     automatically: that case rests on a link;
//   - three more rows wait for an analyst: a name one character off with
//     the right birth date and no ID; a child's name and birth date on
//     a parent's ID number (two candidates: the child, the parent); a
//     name alone.
type linkCounty struct {
	*county
	linkedCase string   // the case resting on the automatic links
	person     string   // its person, whose rows were linked
	pending    []int64  // the review queue, in id order
	ids        []string // every full ID number the setup used
}

var (
	linkOnce   sync.Once
	linkShared *county
	linkLC     *linkCounty
	linkErr    error
)

func openLinkCounty(t *testing.T) *linkCounty {
	t.Helper()
	linkOnce.Do(func() {
		lc := &linkCounty{}
		linkShared, linkErr = buildCountyWith(func(ctx context.Context, c *county) error { return lc.setup(ctx, c) })
		lc.county, linkLC = linkShared, lc
	})
	if linkErr != nil {
		t.Fatal(linkErr)
	}
	return linkLC
}

func (lc *linkCounty) setup(ctx context.Context, c *county) error {
	db := c.p.Store.DB()
	exec := func(q string, args ...any) error {
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		return nil
	}
	// The columns such a department's rows bring (the loader keeps them
	// when a source maps them).
	for _, col := range []string{"name VARCHAR", "gender VARCHAR", "birth_date DATE"} {
		if err := exec(`ALTER TABLE employment ADD COLUMN IF NOT EXISTS ` + col); err != nil {
			return err
		}
	}
	// A case of 城关镇 warned on employment rows: its person's rows come
	// with the ID's 15th and 16th digits swapped.
	if err := db.QueryRowContext(ctx, `SELECT h.case_id, h.id_number FROM case_hits h JOIN cases c USING (case_id)
		WHERE h.rule_id = 'UNEMP-LOWINC-UNCOVERED' AND h.active AND c.township_code LIKE ?
		AND (SELECT count(DISTINCT e.id_number) FROM employment e WHERE e.id_number = h.id_number) = 1
		AND substr(h.id_number, 15, 1) <> substr(h.id_number, 16, 1)
		ORDER BY h.case_id LIMIT 1`, townA+"%").Scan(&lc.linkedCase, &lc.person); err != nil {
		return fmt.Errorf("a case of %s on employment rows: %w", townA, err)
	}
	typo := lc.person[:14] + lc.person[15:16] + lc.person[14:15] + lc.person[16:]
	lc.ids = append(lc.ids, lc.person, typo)
	// Under a load of their own, as a sync would bring them (a pass reads
	// only rows loaded since the last one).
	if err := exec(`UPDATE employment SET id_number = '?' || ?, name = r.name, gender = r.gender, birth_date = r.birth_date,
		_load_id = nextval('load_id_seq')
		FROM registry_current r WHERE r.id_number = ? AND employment.id_number = ?`, typo, lc.person, lc.person); err != nil {
		return err
	}
	pass, err := c.p.Store.Link(ctx, store.LinkOptions{Thresholds: link.Thresholds{Auto: 0.99, Review: 0.5, Margin: 5}})
	if err != nil {
		return err
	}
	if pass.Auto == 0 || pass.Auto != int(pass.Records) {
		return fmt.Errorf("the mistyped rows were not all linked: %+v", pass)
	}
	// Three rows for the review queue, from people of 城关镇 (any will do;
	// the first in ID order are taken).
	type person struct{ id, name, gender, hh string }
	var people []person
	rows, err := db.QueryContext(ctx, `SELECT id_number, name, gender, household_id FROM registry_current
		WHERE township_code = ? AND status = 'active' AND length(name) = 3 AND id_number <> ?
		AND household_id IN (SELECT household_id FROM registry_current GROUP BY household_id HAVING count(*) >= 2)
		ORDER BY id_number LIMIT 400`, townA, lc.person)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p person
		if err := rows.Scan(&p.id, &p.name, &p.gender, &p.hh); err != nil {
			rows.Close()
			return err
		}
		people = append(people, p)
	}
	rows.Close()
	if len(people) < 10 {
		return fmt.Errorf("%d people in %s", len(people), townA)
	}
	// a parent's ID under the child's name: another member of the
	// household of people[1]
	var other string
	if err := db.QueryRowContext(ctx, `SELECT min(id_number) FROM registry_current WHERE household_id = ? AND id_number <> ?`,
		people[1].hh, people[1].id).Scan(&other); err != nil {
		return err
	}
	first := []rune(people[0].name)
	first[len(first)-1] = '某' // one character off
	lc.ids = append(lc.ids, people[0].id, people[1].id, other, people[2].id)
	for i, r := range []struct{ id, name, birthOf, gender string }{
		{"?", string(first), people[0].id, people[0].gender},
		{other, people[1].name, "", people[1].gender},
		{"?", people[2].name, "", ""},
	} {
		var birth any
		if r.birthOf != "" {
			birth = r.birthOf[6:10] + "-" + r.birthOf[10:12] + "-" + r.birthOf[12:14]
		}
		if err := exec(`INSERT INTO employment (id_number, event, event_date, name, gender, birth_date, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, 'employed', DATE '2020-01-01', ?, ?, ?::DATE, ?, 'employment', nextval('load_id_seq'), now(), 'employment_review.csv', ?)`,
			r.id, r.name, r.gender, birth, fmt.Sprintf("review-%d", i), i+2); err != nil {
			return err
		}
	}
	// Stricter bands for them, so that they wait whatever the county's
	// estimated weights make of them.
	if _, err := c.p.Store.Link(ctx, store.LinkOptions{Thresholds: link.Thresholds{Auto: 0.9999999999, Review: 0.000001, Margin: 5}}); err != nil {
		return err
	}
	links, err := c.p.Store.Links(ctx, store.LinkFilter{Statuses: []string{store.LinkPending}})
	if err != nil {
		return err
	}
	for _, l := range links {
		lc.pending = append(lc.pending, l.ID)
	}
	if len(lc.pending) != 3 {
		var got []string
		all, _ := c.p.Store.Links(ctx, store.LinkFilter{})
		for _, l := range all {
			got = append(got, fmt.Sprintf("%s %s %s %d candidates", l.RowKey, l.Status, l.Why, len(l.Candidates)))
		}
		return fmt.Errorf("%d links pending, want 3: %q", len(lc.pending), got)
	}
	return nil
}

// fullID finds a whole ID number in a page.
var fullID = regexp.MustCompile(`\d{17}[\dX]`)

// The review page: county accounts see the queue, each row beside its
// candidates with ID numbers masked, and the view is audited; township
// and village accounts are refused and recorded; a decision from a page
// older than the link, or of no candidate, changes nothing.
func TestLinksReviewPage(t *testing.T) {
	lc := openLinkCounty(t)
	ctx := context.Background()
	counts, err := lc.p.Store.LinkCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pending, decided := counts["employment"][store.LinkPending], counts["employment"][store.LinkConfirmed]+counts["employment"][store.LinkRejected]
	analyst := lc.client(t).login("analyst")
	code, page, _ := analyst.get("/links")
	if code != http.StatusOK {
		t.Fatalf("GET /links as analyst: %d", code)
	}
	for _, want := range []string{
		fmt.Sprintf("已决定 %d / 共 %d", decided, pending+decided), "待复核记录", "就业失业登记", "部门记录", "候选人 1", "候选人 2",
		"匹配概率", "确认为此人", "均不是本人", "先验", "是同户另一成员的身份证号", "姓名", "出生日期", "户籍状态", "城关镇",
		"最可能的候选人匹配概率未达到自动匹配标准", `class=" differ"`, `<rect x="`, "（缺失）",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the review page lacks %q", want)
		}
	}
	if m := fullID.FindString(page); m != "" {
		t.Errorf("the review page shows a whole ID number: %s", m)
	}
	var n int
	var detail string
	if err := lc.p.Store.DB().QueryRow(`SELECT count(*), any_value(detail) FROM audit WHERE action = 'links_review' AND actor = 'portal:analyst'`).Scan(&n, &detail); err != nil || n == 0 {
		t.Errorf("viewing the queue is not audited: %d %v", n, err)
	} else if !strings.Contains(detail, fmt.Sprintf(`"pending":%d`, pending)) {
		t.Errorf("audit detail %s", detail)
	}
	if _, page, _ := analyst.get("/cases"); !strings.Contains(page, `href="/links"`) {
		t.Error("the county's navigation has no link to the review page")
	}

	// Township and village accounts: 403, recorded; no link in their menu.
	for _, acct := range []string{"officer_a", "village_a"} {
		cl := lc.client(t).login(acct)
		if code, body, _ := cl.get("/links"); code != http.StatusForbidden || strings.Contains(body, "候选人") {
			t.Errorf("GET /links as %s: %d", acct, code)
		}
		if _, body, _ := cl.get("/cases"); strings.Contains(body, `href="/links"`) {
			t.Errorf("%s's menu links the review page", acct)
		}
		var n int
		lc.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action = 'scope_denied' AND actor = ? AND subject = '/links'`, "portal:"+acct).Scan(&n)
		if n != 1 {
			t.Errorf("%d scope_denied rows for %s on /links", n, acct)
		}
		if code, _, _ := cl.post(fmt.Sprintf("/links/%d", lc.pending[0]), url.Values{"decision": {"confirm-0"}}); code != http.StatusForbidden {
			t.Errorf("POST a decision as %s: %d", acct, code)
		}
	}

	// Refusals change nothing: a stale page, no candidate chosen, one that
	// is not there, a link that does not exist.
	target := lc.pending[len(lc.pending)-1] // the browser test leaves it waiting
	links, err := lc.p.Store.Links(ctx, store.LinkFilter{IDs: []int64{target}})
	if err != nil || len(links) != 1 {
		t.Fatal(links, err)
	}
	version := regexp.MustCompile(`action="/links/` + strconv.FormatInt(target, 10) + `" class="link-decide">\s*<input type="hidden" name="csrf_token" value="[^"]*">\s*<input type="hidden" name="v" value="([^"]+)"`).FindStringSubmatch(page)
	if version == nil {
		t.Fatalf("no version on link %d's form", target)
	}
	for _, tc := range []struct {
		form url.Values
		code int
	}{
		{url.Values{"decision": {"confirm-0"}, "v": {"stale"}}, http.StatusConflict},
		{url.Values{"decision": {"bogus"}, "v": {version[1]}}, http.StatusUnprocessableEntity},
		{url.Values{"decision": {"confirm-7"}, "v": {version[1]}}, http.StatusUnprocessableEntity},
	} {
		if code, body, _ := analyst.post(fmt.Sprintf("/links/%d", target), tc.form); code != tc.code {
			t.Errorf("POST %v: %d, want %d: %.200s", tc.form, code, tc.code, body)
		}
	}
	if code, _, _ := analyst.post("/links/x", url.Values{"decision": {"reject"}}); code != http.StatusNotFound {
		t.Errorf("POST /links/x: %d", code)
	}
	after, err := lc.p.Store.Links(ctx, store.LinkFilter{IDs: []int64{target}})
	if err != nil || after[0].Status != store.LinkPending || !after[0].UpdatedAt.Equal(links[0].UpdatedAt) {
		t.Errorf("a refused decision changed link %d: %+v %v", target, after, err)
	}
}

// A case that rests on rows linked by probability says so on its page
// (each row, what agreed, the probability, masked IDs) and on the list the
// township downloads; the township's other cases say nothing new.
func TestCaseRestingOnLink(t *testing.T) {
	lc := openLinkCounty(t)
	officer := lc.client(t).login("officer_a")
	code, page, _ := officer.get("/cases/" + lc.linkedCase)
	if code != http.StatusOK {
		t.Fatalf("GET the linked case: %d", code)
	}
	for _, want := range []string{"身份匹配提示", "含概率匹配记录：就业失业登记2条（姓名相同、", "身份证号相差一位", "匹配概率",
		"），请核实身份", "系统自动匹配", "部门所报身份证号", lc.ids[1][:3] + "*"} {
		if !strings.Contains(page, want) {
			t.Errorf("the linked case's page lacks %q", want)
		}
	}
	if m := fullID.FindString(page); m != "" {
		t.Errorf("the case page shows a whole ID number: %s", m)
	}
	other := ""
	for _, id := range lc.byTown[townA] {
		if id != lc.linkedCase {
			other = id
			break
		}
	}
	if _, page, _ := officer.get("/cases/" + other); strings.Contains(page, "身份匹配") || strings.Contains(page, "概率匹配") {
		t.Errorf("case %s rests on no link, yet its page notes one", other)
	}

	code, body, _ := officer.get("/list.xlsx")
	if code != http.StatusOK {
		t.Fatalf("GET /list.xlsx: %d", code)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(dispatch.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	noted := 0
	for _, r := range rows {
		if len(r) > 0 && r[0] == dispatch.HeaderCaseID {
			header = r
			continue
		}
		col := slices.Index(header, dispatch.HeaderReasons)
		if header == nil || len(r) <= col { // GetRows drops a row's empty cells at its end
			continue
		}
		reasons := r[col]
		if strings.Contains(reasons, "概率匹配") {
			noted++
			if r[0] != lc.linkedCase || !strings.Contains(reasons, "※ 含概率匹配记录：就业失业登记2条") {
				t.Errorf("list row %s notes %q", r[0], reasons)
			}
		}
	}
	if noted != 1 {
		t.Errorf("%d rows of the downloaded list note a link, want 1 (%s)", noted, lc.linkedCase)
	}
}

// In a browser: an analyst opens the review queue, confirms the best
// candidate of one row and rejects all of another's with a note; the page
// counts the decisions and the rows name their persons. A township
// officer is refused the page.
func TestBrowserLinksReview(t *testing.T) {
	lc := openLinkCounty(t)
	confirm, reject := lc.pending[0], lc.pending[1]
	before, err := lc.p.Store.Links(context.Background(), store.LinkFilter{IDs: []int64{confirm}})
	// One candidate or more: blocking pairs the row (a name one character
	// off, a birth date) only with people born that day who share its
	// first or last character.
	if err != nil || len(before) != 1 || len(before[0].Candidates) < 1 {
		t.Fatalf("link %d: %+v %v", confirm, before, err)
	}
	ctx := browser(t)
	err = chromedp.Do(ctx,
		chromedp.Navigate(lc.srv.URL+"/links"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "analyst"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.sidebyside`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "links")
	err = chromedp.Do(ctx,
		chromedp.Click(fmt.Sprintf(`#link-%d button[value="confirm-0"]`, confirm)),
		chromedp.WaitVisible(`p.notice`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if text, err := chromedp.Run(ctx, chromedp.Text(`main`)); err != nil || !strings.Contains(text, "已确认") {
		t.Errorf("after confirming: %.300s %v", text, err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(fmt.Sprintf(`#link-%d input[name=note]`, reject), "已电话核实，均不是本人"),
		chromedp.Click(fmt.Sprintf(`#link-%d button.reject`, reject)),
		chromedp.WaitNotPresent(fmt.Sprintf(`#link-%d`, reject)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "links-after")
	counts, err := lc.p.Store.LinkCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := counts["employment"]
	progress, err := chromedp.Run(ctx, chromedp.Text(`.progress`))
	if want := fmt.Sprintf("已决定 %d / 共 %d", c[store.LinkConfirmed]+c[store.LinkRejected], c[store.LinkConfirmed]+c[store.LinkRejected]+c[store.LinkPending]); err != nil || progress != want || c[store.LinkConfirmed]+c[store.LinkRejected] < 2 {
		t.Errorf("progress %q, want %q (%v)", progress, want, err)
	}
	after, err := lc.p.Store.Links(context.Background(), store.LinkFilter{IDs: []int64{confirm, reject}})
	if err != nil || len(after) != 2 {
		t.Fatal(after, err)
	}
	if a := after[0]; a.Status != store.LinkConfirmed || a.PersonID != before[0].Candidates[0].PersonID || a.CurrentID != a.PersonID || a.DecidedBy != "portal:analyst" {
		t.Errorf("confirmed link: %s person ok %v row ok %v by %s", a.Status, a.PersonID == before[0].Candidates[0].PersonID, a.CurrentID == a.PersonID, a.DecidedBy)
	}
	// A rejected row names its ID as sent again, or nobody ("?" and the
	// ID) when that ID is a registry person's under another name.
	r := after[1]
	want := r.RawID
	if slices.Contains(lc.ids, r.RawID) {
		want = "?" + r.RawID
	}
	if r.Status != store.LinkRejected || r.Note != "已电话核实，均不是本人" || r.CurrentID != want {
		t.Errorf("rejected link: %s note %q, row names %q, want %q", r.Status, r.Note, r.CurrentID, want)
	}

	// A township officer, in the same browser after logging out.
	err = chromedp.Do(ctx,
		chromedp.Click(`header form.inline button`),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "officer_a"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.cases`),
		chromedp.Navigate(lc.srv.URL+"/links"),
		chromedp.WaitVisible(`main`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if text, err := chromedp.Run(ctx, chromedp.Text(`main`)); err != nil || !strings.Contains(text, "此页面仅供县级账号使用") || strings.Contains(text, "候选人") {
		t.Errorf("a township officer on /links sees: %.300s %v", text, err)
	}
	screenshot(t, ctx, "links-officer")
	// The officer's case that rests on the automatic links.
	err = chromedp.Do(ctx,
		chromedp.Navigate(lc.srv.URL+"/cases/"+lc.linkedCase),
		chromedp.WaitVisible(`section.linked table.linked`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "case-linked")
}
