package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/link"
	"github.com/lipwatch/lipwatch/engine/store"
)

// linkFixture is a store with a small registry and employment rows that
// need identity resolution, as a department sends them: the IDs of the
// registry people by name (a name two people share: name and name+"2").
type linkFixture struct {
	ids map[string]string
}

// newLinkFixture writes the fixture into the store at LIPWATCH_STORE_PATH
// (tempStore): 40 registry people in households of four across two
// villages of 城关镇, three pairs of them sharing a name and a birth date
// (二人同名同生日) in different households; and employment rows, which
// carry 姓名, 性别, 出生日期 and 户号 here (the linker reads the columns a
// dataset has):
//
//	e1 王芳, no ID, her birth date: two candidates alike → review
//	e2 李娜, the same → review
//	e3 刘洋, the same → review
//	e4 陈静, Excel's 15 digits → linked automatically
//	e5 张伟, no ID, a name alone → unmatched
//	e6 赵建国, his right ID → not linked at all
func newLinkFixture(t *testing.T) *linkFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	for _, col := range []string{"name VARCHAR", "gender VARCHAR", "birth_date DATE", "household_id VARCHAR"} {
		if _, err := db.Exec(`ALTER TABLE employment ADD COLUMN IF NOT EXISTS ` + col); err != nil {
			t.Fatal(err)
		}
	}
	f := &linkFixture{ids: map[string]string{}}
	names := []string{"王芳", "李娜", "刘洋", "陈静", "张伟", "赵建国", "杨秀英", "黄磊", "周杰", "吴敏", "徐涛", "孙磊",
		"马超", "朱红", "胡军", "郭艳", "何平", "林琳", "高飞", "罗娜", "郑勇", "梁宇", "谢婷", "宋佳",
		"唐明", "许亮", "韩梅", "冯刚", "邓超", "曹颖", "彭博", "曾静", "萧然", "田野", "董洁", "潘越", "袁野"}
	person := func(i int, name string, birth time.Time) {
		id, err := idnum.Build("340799", birth, 100+i*7)
		if err != nil {
			t.Fatal(err)
		}
		key := name
		if _, ok := f.ids[key]; ok {
			key += "2"
		}
		f.ids[key] = string(id)
		gender := "male"
		if id.Gender() == idnum.Female {
			gender = "female"
		}
		village := fmt.Sprintf("34079900100%d", 1+i%2)
		if _, err := db.Exec(`INSERT INTO registry (id_number, name, gender, birth_date, household_id, relation, township_code,
			village_code, status, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, ?, ?, ?, ?, '户主', '340799001', ?, 'active', ?, 'registry', 1, now(), 'registry.csv', ?)`,
			string(id), name, gender, birth, fmt.Sprintf("3407990010%06d", i/4), village, string(id), i+2); err != nil {
			t.Fatal(err)
		}
	}
	birth := func(i int) time.Time { return time.Date(1950+i, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC) }
	for i, n := range names {
		person(i, n, birth(i))
	}
	// The second of each pair: same name and birth date, another household.
	for j, n := range names[:3] {
		person(len(names)+j*4, n, birth(j))
	}
	row := func(key, id, name string, b time.Time, pos int) {
		var bd any
		if !b.IsZero() {
			bd = b
		}
		if _, err := db.Exec(`INSERT INTO employment (id_number, event, event_date, name, birth_date, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, 'unemployed', DATE '2026-10-01', ?, ?, ?, 'employment', 2, now(), 'employment.csv', ?)`, id, name, bd, key, pos); err != nil {
			t.Fatal(err)
		}
	}
	row("e1", "?", "王芳", birth(0), 2)
	row("e2", "?", "李娜", birth(1), 3)
	row("e3", "?", "刘洋", birth(2), 4)
	row("e4", "?"+f.ids["陈静"][:15]+"000", "陈静", time.Time{}, 5)
	row("e5", "?", "张伟", time.Time{}, 6)
	row("e6", f.ids["赵建国"], "赵建国", time.Time{}, 7)
	return f
}

// rowID is the id_number an employment row of the fixture names now.
func rowID(t *testing.T, key string) string {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var id string
	if err := st.DB().QueryRow(`SELECT id_number FROM employment WHERE _key = ?`, key).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// exitStatus is the exit status err gives (0 for none).
func exitStatus(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ex *exitError
	if !errors.As(err, &ex) {
		t.Fatalf("not an exit status: %v", err)
	}
	return ex.code
}

func TestLinksReviewAndDecide(t *testing.T) {
	tempStore(t)
	f := newLinkFixture(t)
	run := func(want int, args ...string) string {
		t.Helper()
		out, err := runCLI(t, args...)
		if got := exitStatus(t, err); got != want {
			t.Fatalf("lipwatch %s: exit %d (%v), want %d:\n%s", strings.Join(args, " "), got, err, want, out)
		}
		return out
	}

	out := run(0, "links", "run")
	for _, want := range []string{"5 rows whose ID number matched nobody: 1 linked, 3 to review, 1 unmatched; 1 row now names its person",
		"employment  就业失业登记（人社局）  1"} {
		if !strings.Contains(out, want) {
			t.Errorf("links run does not say %q:\n%s", want, out)
		}
	}
	if rowID(t, "e4") != f.ids["陈静"] || rowID(t, "e6") != f.ids["赵建国"] {
		t.Fatalf("after the pass: e4 names %s, e6 %s", idnum.Mask(rowID(t, "e4")), idnum.Mask(rowID(t, "e6")))
	}
	if out := run(0, "runs", "--kind", "link"); !strings.Contains(out, "5 rows: 1 linked, 3 to review, 1 unmatched") {
		t.Errorf("the ledger has no link run:\n%s", out)
	}

	// The queue: the three rows with their two candidates each, side by
	// side, names shown, IDs masked.
	out = run(0, "links", "review")
	if !strings.Contains(out, "0 of 3 decided") || strings.Count(out, "\nlink ") != 3 {
		t.Fatalf("review:\n%s", out)
	}
	for _, want := range []string{"link 1 · employment 就业失业登记（人社局） · from employment.csv:2", "(none sent 未填)",
		"城关镇/育才社区", "城关镇/花园社区", "正常 active", "0.8750", "#1", "#2", "最佳候选人的匹配概率低于自动关联阈值 0.99"} {
		if !strings.Contains(out, want) {
			t.Errorf("review does not show %q:\n%s", want, out)
		}
	}
	for _, name := range []string{"王芳", "李娜", "刘洋"} {
		masked := string([]rune(name)[:1]) + "*"
		if c := strings.Count(out, masked); c != 3 { // the row and its two candidates
			t.Errorf("review shows %s %d times, want 3 (row, #1, #2)", masked, c)
		}
		if strings.Contains(out, name) {
			t.Errorf("review shows the name %s unmasked", name)
		}
	}
	if fullID.MatchString(out) || !strings.Contains(out, idnum.Mask(f.ids["王芳"])) {
		t.Errorf("review's ID numbers are not masked:\n%s", out)
	}
	if out := run(0, "links", "review", "--unmasked", "--limit", "1"); !strings.Contains(out, f.ids["王芳"]) || !strings.Contains(out, "王芳") || !strings.Contains(out, f.ids["王芳2"]) ||
		!strings.Contains(out, "showing the oldest 1") || strings.Count(out, "\nlink ") != 1 {
		t.Errorf("review --unmasked --limit 1:\n%s", out)
	}
	if out := run(0, "links", "review", "--dataset", "medical"); !strings.Contains(out, "0 of 0 decided") || !strings.Contains(out, "复核队列为空") {
		t.Errorf("review of a dataset without links:\n%s", out)
	}
	run(2, "links", "review", "--dataset", "employmnt")

	// The candidates of link 1 in the order review numbers them.
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	l1, err := st.Links(context.Background(), store.LinkFilter{IDs: []int64{1}})
	st.Close()
	if err != nil || len(l1) != 1 || len(l1[0].Candidates) != 2 {
		t.Fatalf("link 1: %v %+v", err, l1)
	}
	second := l1[0].Candidates[1].PersonID

	// Decide: by candidate number, by the person's ID number, reject.
	if out := run(0, "links", "confirm", "1", "--candidate", "2", "--note", "村委会核实"); !strings.Contains(out, "link 1 confirmed") ||
		!strings.Contains(out, "candidate #2") {
		t.Errorf("confirm --candidate:\n%s", out)
	}
	if rowID(t, "e1") != second {
		t.Errorf("after confirm --candidate 2 the row names another person")
	}
	if out := run(0, "links", "confirm", "2", "--person", f.ids["李娜2"]); !strings.Contains(out, "link 2 confirmed") || fullID.MatchString(out) {
		t.Errorf("confirm --person:\n%s", out)
	}
	if rowID(t, "e2") != f.ids["李娜2"] {
		t.Errorf("after confirm --person the row names another person")
	}
	if out := run(0, "links", "reject", "3", "--note", "均非本人"); !strings.Contains(out, "link 3 rejected") {
		t.Errorf("reject:\n%s", out)
	}
	if rowID(t, "e3") != "?" {
		t.Errorf("a rejected row names %s, want its ID as sent", idnum.Mask(rowID(t, "e3")))
	}

	// Decided twice, a link of nobody, a person of nobody, bad flags.
	for _, c := range []struct {
		want int
		args []string
		says string
	}{
		{1, []string{"links", "confirm", "1", "--candidate", "2"}, "link 1 is already confirmed (已确认) by "},
		{1, []string{"links", "reject", "1"}, "add --correct and --note"},
		{1, []string{"links", "reject", "3"}, "link 3 is already rejected"},
		{2, []string{"links", "reject", "1", "--correct"}, "--correct needs --note"},
		{1, []string{"links", "reject", "3", "--correct", "--note", "再次核实"}, "already rejected"},
		{2, []string{"links", "confirm", "99"}, "no link 99"},
		{2, []string{"links", "reject", "abc"}, `link "abc": want a link number`},
		{2, []string{"links", "confirm", "5", "--candidate", "9"}, "link 5 has 1 candidate"},
		{2, []string{"links", "confirm", "5", "--candidate", "1", "--person", f.ids["张伟"]}, "give one"},
		{1, []string{"links", "confirm", "5", "--person", nobody(t)}, "no registry person has that ID number"},
		{2, []string{"links", "confirm", "5", "--person", "12345"}, "--person"},
		{2, []string{"links", "list", "--status", "pendng"}, "did you mean pending?"},
	} {
		out, err := runCLI(t, c.args...)
		if got := exitStatus(t, err); got != c.want || err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("lipwatch %s: exit %d (%v), want %d saying %q\n%s", strings.Join(c.args, " "), got, err, c.want, c.says, out)
		}
		if err != nil && fullID.MatchString(err.Error()) {
			t.Errorf("lipwatch %s: the error shows an ID number", strings.Join(c.args, " "))
		}
	}

	// An automatic link confirmed without a person (the linker's
	// proposal), then corrected: neither is the queue's work.
	if out := run(0, "links", "confirm", "4"); !strings.Contains(out, "the linker's proposal, candidate #1") {
		t.Errorf("confirm without a person:\n%s", out)
	}
	run(0, "links", "reject", "4", "--correct", "--note", "医保核实不是本人")
	if rowID(t, "e4") != "?"+f.ids["陈静"][:15]+"000" {
		t.Errorf("a corrected link's row does not name its ID as sent again")
	}
	out = run(0, "links", "review")
	if !strings.Contains(out, "3 of 3 decided (已处理 3 / 3: 2 confirmed 已确认, 1 rejected 已否决), 0 waiting") {
		t.Errorf("progress after three decisions:\n%s", out)
	}

	out = run(0, "links", "list")
	for _, want := range []string{"1     employment  confirmed  已确认", "3     employment  rejected   已否决", "5     employment  unmatched  未匹配", "5 links"} {
		if !strings.Contains(out, want) {
			t.Errorf("list does not show %q:\n%s", want, out)
		}
	}
	if out := run(0, "links", "list", "--status", "confirmed", "--limit", "1"); !strings.Contains(out, "1 of 2 links") {
		t.Errorf("list --status confirmed --limit 1:\n%s", out)
	}

	// The audit log: every listing and decision, never an ID number.
	st, err = store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.AuditRows(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, r := range rows {
		actions[r.Action]++
		for name, id := range f.ids {
			if strings.Contains(r.Subject+r.Detail, id) || strings.Contains(r.Subject+r.Detail, id[:15]) {
				t.Errorf("audit row %s %s names %s's ID number", r.Action, r.Subject, name)
			}
		}
	}
	if actions["links_list"] != 6 || actions["link_confirm"] != 3 || actions["link_reject"] != 2 {
		t.Errorf("audit actions %v, want 6 links_list, 3 link_confirm, 2 link_reject", actions)
	}
}

// nobody is a valid ID number of no one in the fixture's registry.
func nobody(t *testing.T) string {
	id, err := idnum.Build("340799", time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), 999)
	if err != nil {
		t.Fatal(err)
	}
	return string(id)
}

// waterfallLine is a line of explain's waterfall: the comparison, and
// its bits.
var waterfallLine = regexp.MustCompile(`(?m)^  (先验 prior|姓名 name|出生日期 birth|身份证号 id|性别 gender|户号 household)\s.*?\s([+-]\d+\.\d\d)\s`)

func TestLinksExplain(t *testing.T) {
	tempStore(t)
	f := newLinkFixture(t)
	if _, err := runCLI(t, "links", "run"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "links", "explain", "4")
	if err != nil {
		t.Fatal(err, out)
	}
	// One waterfall: six lines whose bits add up to the total printed,
	// whose probability is the one printed.
	lines := waterfallLine.FindAllStringSubmatch(out, -1)
	if len(lines) != 6 {
		t.Fatalf("%d waterfall lines, want 6:\n%s", len(lines), out)
	}
	sum := 0.0
	for i, l := range lines {
		if want := []string{"先验 prior", "姓名 name", "出生日期 birth", "身份证号 id", "性别 gender", "户号 household"}[i]; l[1] != want {
			t.Errorf("waterfall line %d is %s, want %s", i, l[1], want)
		}
		b, _ := strconv.ParseFloat(l[2], 64)
		sum += b
	}
	m := regexp.MustCompile(`= total 匹配权重\s+([+-]\d+\.\d\d)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no total:\n%s", out)
	}
	total, _ := strconv.ParseFloat(m[1], 64)
	if math.Abs(sum-total) > 0.005*6 {
		t.Errorf("the lines add up to %.2f bits, the total says %.2f:\n%s", sum, total, out)
	}
	p := regexp.MustCompile(`probability 匹配概率 (\d\.\d{4})`).FindStringSubmatch(out)
	if p == nil || p[1] != strconv.FormatFloat(link.Probability(total), 'f', 4, 64) {
		t.Errorf("probability %v for %.2f bits", p, total)
	}
	for _, want := range []string{"前15位相同，其后丢失（Excel）", "相同", "TF", "无法比较（缺少数据）", "decision 判定: auto: linked (自动关联)",
		"linked automatically from probability 0.99 when the best leads the second by 5 bits", "(unusable 无效)", "陈*"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain does not show %q:\n%s", want, out)
		}
	}
	if fullID.MatchString(out) || strings.Contains(out, "陈静") {
		t.Errorf("explain shows a full ID number or name:\n%s", out)
	}
	// The prior is against the match, the name for it: bars left and right of 0.
	if !regexp.MustCompile(`先验 prior.*-+\|`).MatchString(out) || !regexp.MustCompile(`身份证号 id.*\|?\++`).MatchString(out) {
		t.Errorf("no bars:\n%s", out)
	}

	// By a person: every link whose candidates include them.
	out, err = runCLI(t, "links", "explain", f.ids["王芳2"], "--unmasked")
	if err != nil {
		t.Fatal(err, out)
	}
	if strings.Count(out, "\nlink ") != 0 || !strings.HasPrefix(out, "link 1 ") || !strings.Contains(out, f.ids["王芳2"]) ||
		strings.Count(out, "candidate #") != 2 || !strings.Contains(out, "the best leads the second by 0.00 bits") {
		t.Errorf("explain by ID number:\n%s", out)
	}
	if _, err := runCLI(t, "links", "explain", nobody(t)); exitStatus(t, err) != 2 {
		t.Errorf("explain of a person no link names: %v", err)
	}
	if _, err := runCLI(t, "links", "explain", "34079919"); exitStatus(t, err) != 2 {
		t.Errorf("explain of neither a link nor an ID number: %v", err)
	}
}

func TestLinksWaterfallBar(t *testing.T) {
	for _, c := range []struct {
		from, to float64
		fill     byte
		want     string
	}{
		{0, -10, 0, "----------|"},          // against: leftwards from 0
		{-10, 0, 0, " ++++++++++"},          // back to 0 from the left
		{0, 10, 0, "          |++++++++++"}, // for: rightwards
		{0, 30, 0, "          |" + strings.Repeat("+", 30)},
		{5, 5.1, 0, "          |    +"}, // too small for a column: still shown
		{0, 20, '=', "          |" + strings.Repeat("=", 20)},
	} {
		if got := bar(c.from, c.to, -10, 30, c.fill); got != c.want {
			t.Errorf("bar(%v, %v) = %q, want %q", c.from, c.to, got, c.want)
		}
	}
	th := link.Thresholds{Auto: 0.99, Review: 0.5, Margin: 5}
	if got := whyText("a second candidate within 2.1 bits", th); !strings.Contains(got, "a second candidate within 2.1 bits of the best") ||
		!strings.Contains(got, "只差 2.1 比特，自动关联要求领先 5 比特以上") {
		t.Errorf("whyText: %s", got)
	}
}

// The summary counts as naming their person only the rows that do: not
// the rows a pass unlinked or disowned (their id_number changed too), and
// it says why rows were looked at again.
func TestPrintLinksRunCounts(t *testing.T) {
	var b strings.Builder
	printLinksRun(&b, &store.LinkPass{Records: 10, Rechecked: 3, Renewed: 1, Auto: 5, Review: 3, None: 2,
		Applied: 7, Unlinked: 1, Disowned: 1, ByDataset: map[string][3]int{}})
	for _, want := range []string{"10 rows whose ID number matched nobody (3 of them again: 2 as the registry changed, 1 as their rejection expired)",
		"; 5 rows now name their person\n", "1 row linked before no longer automatically", "1 row carrying a registry person's ID under another name"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printLinksRun(&b, &store.LinkPass{Records: 2, Rechecked: 2, Renewed: 2, Review: 2, ByDataset: map[string][3]int{}})
	if want := "(2 of them again: their rejection expired)"; !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}
