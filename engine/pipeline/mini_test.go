package pipeline

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/store"
)

// The mini county: six people in four households of two townships, as the
// field cases' base (../shared/cases/field-1/base) has them, written by the
// tests themselves. On it alone the default rules give exactly one case:
// yellow UNEMP-LOWINC-UNCOVERED for household 3407990010010002, whose
// registered-unemployed son lives on 500 yuan a month per person. The
// household of 34079919700909055X is on 农村低保 and is never warned.
//
// A field-case test replaces one source's file with the department file it
// is about, runs the nightly job at 2026-11-28 and checks the cases, the
// quarantine and the sources' health.

const (
	miniAsOf       = "2026-11-28"
	miniUnemployed = "3407990010010002" // 赵测三's household: the baseline case
	miniCovered    = "3407990020010001" // 孙测五's household: 农村低保
)

// miniSource is one source of the mini county: its dataset, file, options
// beyond path, and column mapping.
type miniSource struct {
	dataset string
	file    string
	body    []byte
	options map[string]any
	columns map[string]string
	formats map[string]string
}

var miniBase = map[string]miniSource{
	"registry": {dataset: "registry", file: "registry.csv", body: []byte(`公民身份号码,姓名,性别,出生日期,户号,与户主关系,乡镇街道代码,村社区代码,住址,人员状态,状态变更日期
340799196005010116,王测一,男,1960-05-01,3407990010010001,户主,340799001,340799001001,示例县测试路1号,正常,
340799196203020227,李测二,女,1962-03-02,3407990010010001,配偶,340799001,340799001001,示例县测试路2号,正常,
340799198507150337,赵测三,男,1985-07-15,3407990010010002,子,340799001,340799001001,示例县测试路3号,正常,
340799195801200442,钱测四,女,1958-01-20,3407990010010002,户主,340799001,340799001001,示例县测试路4号,正常,
34079919700909055X,孙测五,男,1970-09-09,3407990020010001,户主,340799002,340799002001,示例县测试路5号,正常,
340799197506060677,周测六,男,1975-06-06,3407990020010002,户主,340799002,340799002001,示例县测试路6号,正常,
`), columns: map[string]string{"id_number": "公民身份号码", "name": "姓名", "gender": "性别", "birth_date": "出生日期",
		"household_id": "户号", "relation": "与户主关系", "township_code": "乡镇街道代码", "village_code": "村社区代码",
		"address": "住址", "status": "人员状态", "status_date": "状态变更日期"}},
	"households": {dataset: "households", file: "households.csv", body: []byte(`户号,家庭年收入,家庭人口,收入核定日期
3407990010010001,"100,000.00",2,2026-03-01
3407990010010002,"12,000.00",2,2026-03-01
3407990020010001,"9,000.00",1,2026-03-01
3407990020010002,"80,000.00",1,2026-03-01
`), columns: map[string]string{"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口",
		"income_assessed_date": "收入核定日期"}},
	"assistance": {dataset: "assistance", file: "assistance.csv", body: []byte(`身份证号,户号,救助类别,开始日期,结束日期,月救助金额
34079919700909055X,3407990020010001,农村低保,2024-01-01,,600
`), columns: map[string]string{"id_number": "身份证号", "household_id": "户号", "category": "救助类别",
		"start_date": "开始日期", "end_date": "结束日期", "amount_monthly": "月救助金额"}},
	"medical": {dataset: "medical", file: "medical.csv", body: []byte(`结算单号,身份证号,结算日期,医疗机构,医疗总费用,统筹基金支付,大病保险支付,医疗救助支付,个人自付
YB0001,340799196005010116,2026-05-01,示例县人民医院,"1,000.00元",600.00,0,0,400.00元
`), columns: map[string]string{"claim_id": "结算单号", "id_number": "身份证号", "settle_date": "结算日期",
		"hospital": "医疗机构", "total_cost": "医疗总费用", "fund_paid": "统筹基金支付",
		"critical_illness_paid": "大病保险支付", "assistance_paid": "医疗救助支付", "out_of_pocket": "个人自付"}},
	"disability": {dataset: "disability", file: "disability.csv", body: []byte(`身份证号,残疾人证号,残疾类别,残疾等级,发证日期,证件状态
340799196203020227,34079919620302022744,肢体残疾,四级,2020-01-01,有效
`), columns: map[string]string{"id_number": "身份证号", "cert_number": "残疾人证号", "category": "残疾类别",
		"level": "残疾等级", "issued_date": "发证日期", "status": "证件状态"}},
	"employment": {dataset: "employment", file: "employment.csv", body: []byte(`身份证号,姓名,业务类型,业务日期,经办机构
340799198507150337,赵测三,失业登记,2026-06-01,城关镇劳动保障所
`), columns: map[string]string{"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"}},
	"fishers": {dataset: "fishers", file: "fishers.csv", body: []byte(`身份证号,姓名,户号,渔船证号,退捕日期,安置去向,是否参加养老保险
340799197506060677,周测六,3407990020010002,皖示渔(2010)0001号,2021-01-01,就业,是
`), columns: map[string]string{"id_number": "身份证号", "household_id": "户号", "boat_cert": "渔船证号",
		"retired_date": "退捕日期", "resettlement": "安置去向", "pension_insured": "是否参加养老保险"}},
	// Assets and employment (issue 13): one row each, none of them a
	// reason to warn (the only aided household, 孙测五's, has one home).
	"vehicles": {dataset: "vehicles", file: "vehicles.csv", body: []byte(`号牌号码,所有人身份证号,车辆类型,初次登记日期,机动车状态,注销日期
皖P00001,340799196005010116,小型轿车,2020-01-01,正常,
`), columns: map[string]string{"plate": "号牌号码", "id_number": "所有人身份证号", "vehicle_type": "车辆类型",
		"registered_date": "初次登记日期", "status": "机动车状态", "cancelled_date": "注销日期"}},
	"property": {dataset: "property", file: "property.csv", body: []byte(`不动产权证号,权利人证件号,规划用途,建筑面积,登记日期,登记状态,注销日期
皖(2020)示例县不动产权第0000001号,34079919700909055X,宅基地,120㎡,2020-01-01,现势,
`), columns: map[string]string{"cert_number": "不动产权证号", "id_number": "权利人证件号", "purpose": "规划用途", "area": "建筑面积",
		"registered_date": "登记日期", "status": "登记状态", "cancelled_date": "注销日期"}},
	"business": {dataset: "business", file: "business.csv", body: []byte(`统一社会信用代码,证件号码,主体类型,从业人数,登记状态,成立日期,注销日期
92340799MA2N000011,340799196005010116,个体工商户,0,存续,2022-01-01,
`), columns: map[string]string{"credit_code": "统一社会信用代码", "id_number": "证件号码", "entity_type": "主体类型", "employees": "从业人数",
		"status": "登记状态", "established_date": "成立日期", "cancelled_date": "注销日期"}},
	"contributions": {dataset: "contributions", file: "contributions.csv", body: []byte(`身份证号,险种,单位名称,费款所属期,缴费基数
340799198507150337,企业职工基本养老保险,示例县建材有限公司,202601,3000
`), columns: map[string]string{"id_number": "身份证号", "scheme": "险种", "employer": "单位名称", "month": "费款所属期",
		"base_monthly": "缴费基数"}},
	// Rigid spending and recusal (issue 13): a vocational student without
	// fees, a small rehabilitation bill, and a village cadre's relative
	// whose declaration ended when the cadre left office — none a reason to
	// warn or mark.
	"students": {dataset: "students", file: "students.csv", body: []byte(`学生身份证号,学校名称,学段,入学日期,离校日期,学费和住宿费
340799198507150337,示例县成人教育中心,中职,2026-03-01,,0
`), columns: map[string]string{"id_number": "学生身份证号", "school": "学校名称", "level": "学段", "enrolled_date": "入学日期",
		"left_date": "离校日期", "fees_yearly": "学费和住宿费"}},
	"rehabilitation": {dataset: "rehabilitation", file: "rehabilitation.csv", body: []byte(`身份证号,服务日期,康复项目,费用合计,个人负担
340799196203020227,2026-04-01,肢体康复训练,800,200
`), columns: map[string]string{"id_number": "身份证号", "service_date": "服务日期", "item": "康复项目", "total_cost": "费用合计",
		"self_paid": "个人负担"}},
	"staff_relatives": {dataset: "staff_relatives", file: "staff_relatives.csv", body: []byte(`近亲属身份证号,工作人员身份证号,人员类别,工作单位代码,关系,备案日期,终止日期
340799197506060677,340799199001010032,村干部,340799002001,兄弟,2021-01-01,2024-12-31
`), columns: map[string]string{"id_number": "近亲属身份证号", "staff_id_number": "工作人员身份证号", "staff_role": "人员类别",
		"staff_unit_code": "工作单位代码", "relation": "关系", "registered_date": "备案日期", "ended_date": "终止日期"}},
	"public_employees": {dataset: "public_employees", file: "public_employees.csv", body: []byte(`身份证号,工作单位,入职日期,离职日期
340799195801200442,示例县城关镇人民政府,1980-01-01,2018-01-31
`), columns: map[string]string{"id_number": "身份证号", "employer": "工作单位", "start_date": "入职日期", "end_date": "离职日期"}},
}

// mini is one mini county in a temporary directory.
type mini struct {
	t       *testing.T
	dir     string
	sources map[string]miniSource
	p       *Pipeline
	// extraRules, when set, is one more rule file beside a copy of the
	// project's rules.
	extraRules string
	// extraConfig, when set, is more top-level config (YAML).
	extraConfig string
}

func newMini(t *testing.T) *mini {
	t.Helper()
	m := &mini{t: t, dir: t.TempDir(), sources: maps.Clone(miniBase)}
	return m
}

// scan reads one row of a query on the store into dst, failing the test
// when the query does.
func (m *mini) scan(query string, dst ...any) {
	m.t.Helper()
	if err := m.p.Store.DB().QueryRow(query).Scan(dst...); err != nil {
		m.t.Fatalf("%s: %v", query, err)
	}
}

// set replaces a source's file (and, when given, its options and columns).
func (m *mini) set(name string, s miniSource) {
	base := m.sources[name]
	if s.dataset == "" {
		s.dataset = base.dataset
	}
	if s.columns == nil {
		s.columns = base.columns
	}
	m.sources[name] = s
}

// config writes the files and the config and loads it.
func (m *mini) config() *config.Config {
	t := m.t
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rulesDir := filepath.Join(root, "rules")
	if m.extraRules != "" {
		rulesDir = filepath.Join(m.dir, "rules")
		if err := os.CopyFS(rulesDir, os.DirFS(filepath.Join(root, "rules"))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rulesDir, "extra.yaml"), []byte(m.extraRules), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `county:
  code: "340799"
  name: 示例县
  townships:
    "340799001": 城关镇
    "340799002": 城东街道
store:
  path: lw.duckdb
log:
  level: error
rules:
  dir: %q
cases:
  calendar: %q
dispatch:
  dir: lists
sources:
`, rulesDir, filepath.Join(root, "rules", "holidays.yaml"))
	m.writeFiles()
	for _, name := range slices.Sorted(maps.Keys(m.sources)) {
		s := m.sources[name]
		fmt.Fprintf(&b, "  %s:\n    kind: file\n    dataset: %s\n    options:\n      path: %q\n", name, s.dataset, s.file)
		for _, k := range slices.Sorted(maps.Keys(s.options)) {
			fmt.Fprintf(&b, "      %s: %#v\n", k, s.options[k])
		}
		b.WriteString("    columns:\n")
		for _, k := range slices.Sorted(maps.Keys(s.columns)) {
			fmt.Fprintf(&b, "      %s: %q\n", k, s.columns[k])
		}
		if len(s.formats) > 0 {
			b.WriteString("    formats:\n")
			for _, k := range slices.Sorted(maps.Keys(s.formats)) {
				fmt.Fprintf(&b, "      %s: %s\n", k, s.formats[k])
			}
		}
	}
	b.WriteString(m.extraConfig)
	path := filepath.Join(m.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config:\n%s\n%v", b.String(), err)
	}
	return cfg
}

// writeFiles writes every source's file (a nil body removes it).
func (m *mini) writeFiles() {
	for _, s := range m.sources {
		path := filepath.Join(m.dir, s.file)
		if s.body == nil {
			os.Remove(path)
			continue
		}
		if err := os.WriteFile(path, s.body, 0o644); err != nil {
			m.t.Fatal(err)
		}
	}
}

// run runs the nightly job at miniAsOf on a fresh or the same store; the
// files are written again first, so a test may change them between nights.
func (m *mini) run() *RunSummary {
	t := m.t
	t.Helper()
	if m.p == nil {
		p, err := Open(context.Background(), m.config(), nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		m.p = p
	} else {
		m.writeFiles()
	}
	day, _ := time.Parse(time.DateOnly, miniAsOf)
	sum, err := m.p.Run(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// cases lists the open cases as "HOUSEHOLD LEVEL RULE,RULE", sorted.
func (m *mini) cases() []string {
	t := m.t
	t.Helper()
	open, err := m.p.Store.OpenCases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range open {
		var rules []string
		for _, h := range c.Hits {
			if h.Active {
				rules = append(rules, h.RuleID)
			}
		}
		sort.Strings(rules)
		out = append(out, fmt.Sprintf("%s %s %s", c.Subject, c.Level, strings.Join(rules, ",")))
	}
	sort.Strings(out)
	return out
}

// quarantine lists the quarantine as "SOURCE:POSITION CODE", sorted, and
// the reasons by the same key.
func (m *mini) quarantine() ([]string, map[string]string) {
	t := m.t
	t.Helper()
	rows, err := m.p.Store.DB().Query(`SELECT source, position, reason_code, reason FROM quarantine ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	reasons := map[string]string{}
	for rows.Next() {
		var src, code, reason string
		var pos int64
		if err := rows.Scan(&src, &pos, &code, &reason); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%s:%d %s", src, pos, code)
		out = append(out, k)
		reasons[k] = reason
	}
	return out, reasons
}

// baseline is the mini county's one case.
var baseline = []string{miniUnemployed + " yellow UNEMP-LOWINC-UNCOVERED"}

func TestMiniCountyBaseline(t *testing.T) {
	m := newMini(t)
	sum := m.run()
	if got := m.cases(); !slices.Equal(got, baseline) {
		t.Errorf("cases %q, want %q", got, baseline)
	}
	if q, _ := m.quarantine(); len(q) != 0 {
		t.Errorf("quarantine %q", q)
	}
	for _, r := range sum.Sync {
		if r.Status() != "ok" {
			t.Errorf("%s: %s %v", r.Source, r.Status(), r.Problems())
		}
	}
	if len(sum.Health.Held) != 0 || len(sum.Health.Degraded()) != 0 {
		t.Errorf("held %v degraded %v", sum.Health.Held, sum.Health.Degraded())
	}
}

// heldRules lists the rules a run held back.
func heldRules(sum *RunSummary) []string {
	var out []string
	for _, h := range sum.Health.Held {
		out = append(out, h.Rule)
	}
	return out
}

// TestMissingDataIsNotAWarning: the assistance roster's every row is
// quarantined (a date format nobody reads). Read as "nobody is covered",
// the covered family with large medical costs would be sent to a township
// as uncovered. Instead the source is degraded, every rule that reads the
// roster is held back with the reason, and no case is opened from the gap.
// The next night, with the file unchanged, the gap is still there and the
// rules still wait; once the department sends a good file, they run.
func TestMissingDataIsNotAWarning(t *testing.T) {
	m := newMini(t)
	med := m.sources["medical"]
	med.body = append(slices.Clone(med.body), []byte("YB0002,34079919700909055X,2026-10-01,示例县人民医院,40000,5000,0,0,35000\n")...)
	m.set("medical", med)
	asst := m.sources["assistance"]
	good := asst.body
	asst.body = []byte("身份证号,户号,救助类别,开始日期,结束日期,月救助金额\n34079919700909055X,3407990020010001,农村低保,二〇二四年一月,,600\n")
	m.set("assistance", asst)

	sum := m.run()
	if got := m.cases(); len(got) != 0 {
		t.Errorf("cases from a gap in the data: %q", got)
	}
	held := heldRules(sum)
	for _, r := range []string{"MED-OOP-UNCOVERED", "UNEMP-LOWINC-UNCOVERED"} {
		if !slices.Contains(held, r) {
			t.Errorf("%s not held back (held %v)", r, held)
		}
	}
	for _, h := range sum.Health.Held {
		if !strings.Contains(h.Reason, "source assistance") || !strings.Contains(h.Reason, "assistance.csv: 1 of 1 rows are in quarantine") {
			t.Errorf("%s: reason %q", h.Rule, h.Reason)
		}
		if !slices.Equal(h.Datasets, []string{"assistance"}) {
			t.Errorf("%s: held for datasets %q", h.Rule, h.Datasets)
		}
	}
	for _, sh := range sum.Health.Sources {
		if sh.Source != "assistance" {
			continue
		}
		want := store.HealthCause{Kind: "quarantine", Stream: "assistance.csv", Bad: 1, Read: 1}
		if len(sh.Causes) != len(sh.Reasons) || len(sh.Causes) != 1 || sh.Causes[0] != want {
			t.Errorf("assistance's causes %+v for reasons %q", sh.Causes, sh.Reasons)
		}
	}
	if st := sum.Sync[0].Status(); sum.Sync[0].Source != "assistance" || st != "degraded" {
		t.Errorf("assistance: %s", st)
	}
	if sum.Evaluate.HeldHits["MED-OOP-UNCOVERED"] != 1 {
		t.Errorf("held hits %v: the covered family's medical hit must be counted as left out", sum.Evaluate.HeldHits)
	}

	// Night 2: nothing changed; the roster is still missing.
	sum = m.run()
	if got := m.cases(); len(got) != 0 || !slices.Contains(heldRules(sum), "MED-OOP-UNCOVERED") {
		t.Errorf("night 2: cases %q, held %v", got, heldRules(sum))
	}

	// Night 3: the department sends a good roster.
	asst.body = good
	m.set("assistance", asst)
	sum = m.run()
	if len(sum.Health.Held) != 0 {
		t.Errorf("night 3 held %v", heldRules(sum))
	}
	if got := m.cases(); !slices.Equal(got, baseline) {
		t.Errorf("night 3 cases %q, want %q (the covered family is covered)", got, baseline)
	}
}

// TestHeldRuleKeepsOpenCase: a case is open; the next night the employment
// file is gone (the source fails). The unemployment rule is held back: its
// hit on the open case is neither dropped nor marked as no longer firing.
func TestHeldRuleKeepsOpenCase(t *testing.T) {
	m := newMini(t)
	m.run()
	emp := m.sources["employment"]
	emp.body = nil
	m.set("employment", emp)
	sum := m.run()
	if !slices.Contains(heldRules(sum), "UNEMP-LOWINC-UNCOVERED") {
		t.Fatalf("held %v", heldRules(sum))
	}
	if got := m.cases(); !slices.Equal(got, baseline) {
		t.Errorf("cases %q, want the open case with its hit still active", got)
	}
}

// TestNoRegistryNoWarnings: a county whose registry has never loaded (its
// file is missing) raises nothing: every rule reads the registry.
func TestNoRegistryNoWarnings(t *testing.T) {
	m := newMini(t)
	reg := m.sources["registry"]
	reg.body = nil
	m.set("registry", reg)
	sum := m.run()
	if got := m.cases(); len(got) != 0 {
		t.Errorf("cases %q", got)
	}
	if len(sum.Health.Held) != len(m.p.Pack.Rules) {
		t.Errorf("held %v, want every rule", heldRules(sum))
	}
}

// TestRetryMendsHealth: a roster whose category is written in a way no
// alias knows is degraded; once the analyst adds the alias and retries the
// quarantine, the rows load, the source is ok and the rules run.
func TestRetryMendsHealth(t *testing.T) {
	m := newMini(t)
	asst := m.sources["assistance"]
	asst.body = []byte("身份证号,户号,救助类别,开始日期,结束日期,月救助金额\n34079919700909055X,3407990020010001,农村最低生活保障金,2024-01-01,,600\n")
	m.set("assistance", asst)
	sum := m.run()
	if len(sum.Health.Held) == 0 {
		t.Fatal("nothing held back")
	}
	m.p.Cfg.Sources["assistance"] = func(sc config.Source) config.Source {
		sc.Values = map[string]map[string]string{"category": {"农村最低生活保障金": "dibao"}}
		return sc
	}(m.p.Cfg.Sources["assistance"])
	srcs, _, err := ingest.FromConfig(m.p.Cfg, []string{"assistance"})
	if err != nil {
		t.Fatal(err)
	}
	r := (&ingest.Syncer{Store: m.p.Store}).Retry(context.Background(), srcs[0])
	if _, loaded, _, _ := r.Totals(); r.Err != nil || loaded != 1 {
		t.Fatalf("retry: %v, loaded %d", r.Err, loaded)
	}
	h, err := m.p.CheckHealth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Held) != 0 || len(h.Degraded()) != 0 {
		t.Errorf("after the retry: held %v, degraded %v", h.Held, h.Degraded())
	}
}

// findings indexes a health's guard findings by "source guard".
func findings(h *Health) map[string]store.Finding {
	out := map[string]store.Finding{}
	for _, f := range h.Findings {
		out[f.Source+" "+f.Guard] = f
	}
	return out
}

// TestQualityGuards: what no single row shows. A medical claim of a person
// the registry does not know, a 户号 that joins no household, a household
// whose members live in two townships, and a file that shrank to a fraction
// of its last version are each measured and, past their thresholds,
// warned of — with counts only.
func TestQualityGuards(t *testing.T) {
	m := newMini(t)
	sum := m.run()
	for _, f := range sum.Health.Findings {
		if f.Warn {
			t.Errorf("baseline warns: %s %s", f.Source, f.Text)
		}
	}
	med := m.sources["medical"]
	med.body = append(slices.Clone(med.body), []byte("YB0009,11010519491231002X,2026-05-02,示例县人民医院,100,50,0,0,50\n")...)
	m.set("medical", med)
	hh := m.sources["households"]
	hh.body = append(slices.Clone(hh.body), []byte("3407990099990001,\"5,000.00\",1,2026-03-01\n")...)
	m.set("households", hh)
	reg := m.sources["registry"]
	reg.body = []byte(strings.Replace(string(reg.body), "3407990010010002,子,340799001,340799001001", "3407990010010002,子,340799002,340799002001", 1) +
		"340799196203020227,李测二,女,1962-03-02,3407990020010001,配偶,340799002,340799002001,示例县测试路5号,正常,\n")
	m.set("registry", reg)
	var emp strings.Builder
	emp.WriteString("身份证号,姓名,业务类型,业务日期,经办机构\n")
	for i := range 40 {
		fmt.Fprintf(&emp, "340799198507150337,赵测三,失业登记,2025-%02d-%02d,所\n", i%12+1, i%28+1)
	}
	e := m.sources["employment"]
	e.body = []byte(emp.String())
	m.set("employment", e)
	m.run()
	e.body = []byte(strings.Join(strings.SplitAfter(emp.String(), "\n")[:11], ""))
	m.set("employment", e)
	sum = m.run()
	f := findings(sum.Health)
	for key, want := range map[string]string{
		"medical unmatched_ids":          "1 of 2 ID numbers (50.0%) match no person in the registry",
		"households unjoined_households": "1 of 5 户号 (20.0%) join no household in the registry",
		" split_households":              "1 of 4 registry households have members in several townships or villages",
		" people_twice":                  "people placed in two households or townships by one registry file: 1 (the row read last is the one used)",
		"employment row_drop":            "employment.csv has 10 rows, against 40 in its previous version: a partial export?",
	} {
		if got := f[key]; !got.Warn || got.Text != want {
			t.Errorf("%s: %+v, want a warning %q", key, got, want)
		}
	}
	if got := f["assistance unmatched_ids"]; got.Warn || got.Of != 1 {
		t.Errorf("assistance: %+v", got)
	}
	// The next night, nothing changed: the guards that read whole
	// datasets come from the store's cache, with the same findings.
	var cached int
	m.scan(`SELECT count(*) FROM quality_cache`, &cached)
	if cached == 0 {
		t.Error("no guard was cached")
	}
	again := m.run()
	if fmt.Sprint(again.Health.Findings) != fmt.Sprint(sum.Health.Findings) {
		t.Errorf("the cached guards differ:\n%v\n%v", again.Health.Findings, sum.Health.Findings)
	}
	for _, x := range sum.Health.Findings {
		for _, personal := range []string{"11010519491231002X", "3407990099990001", "赵测三"} {
			if strings.Contains(x.Text, personal) {
				t.Errorf("finding %q shows %s", x.Text, personal)
			}
		}
	}
}

// TestPersonGapHoldsTheirWarnings: one typo in a 低保 recipient's start
// date (2024-13-01) quarantines their roster row. The roster is not
// degraded (one bad row of three), but without that row the family looks
// uncovered and its large medical costs would send a township to a family
// already on 低保. The rules reading the roster are held back for that
// person alone; once a corrected roster loads, the hold ends.
func TestPersonGapHoldsTheirWarnings(t *testing.T) {
	m := newMini(t)
	med := m.sources["medical"]
	med.body = append(slices.Clone(med.body), []byte("YB0002,34079919700909055X,2026-10-01,示例县人民医院,40000,5000,0,0,35000\n")...)
	m.set("medical", med)
	asst := m.sources["assistance"]
	const head = "身份证号,户号,救助类别,开始日期,结束日期,月救助金额\n"
	others := "340799197506060677,3407990020010002,低保边缘,2025-01-01,,0\n340799196005010116,3407990010010001,其他,2025-01-01,,0\n"
	asst.body = []byte(head + "34079919700909055X,3407990020010001,农村低保,2024-13-01,,600\n" + others)
	m.set("assistance", asst)
	sum := m.run()
	if got := m.cases(); !slices.Equal(got, baseline) {
		t.Errorf("cases %q, want only the baseline", got)
	}
	if len(sum.Health.Held) != 0 || sum.Evaluate.HeldPeople["MED-OOP-UNCOVERED"] != 1 {
		t.Errorf("held %v, held people %v", heldRules(sum), sum.Evaluate.HeldPeople)
	}
	asst.body = []byte(head + "34079919700909055X,3407990020010001,农村低保,2024-01-01,,600\n" + others)
	m.set("assistance", asst)
	sum = m.run()
	if got := m.cases(); !slices.Equal(got, baseline) || len(sum.Evaluate.HeldPeople) != 0 {
		t.Errorf("after the fix: cases %q, held people %v", got, sum.Evaluate.HeldPeople)
	}
}

// TestPersonGapEdges: the hold reaches the household of the person whose
// row is quarantined (a spouse's roster row, its 户号 left empty), reads IDs
// as the loader does (="…" protection), and lasts while the bad row is
// still in the newest roster even when another row of the person loads.
func TestPersonGapEdges(t *testing.T) {
	m := newMini(t)
	med := m.sources["medical"]
	med.body = append(slices.Clone(med.body), []byte("YB0002,340799196005010116,2026-10-01,示例县人民医院,40000,5000,0,0,35000\n")...)
	m.set("medical", med)
	asst := m.sources["assistance"]
	const head = "身份证号,户号,救助类别,开始日期,结束日期,月救助金额\n"
	base := string(miniBase["assistance"].body[len(head):])
	// 李测二 (王测一's wife) is on 低保; her row's start date is impossible,
	// its 户号 empty, her ID written ="…".
	asst.body = []byte(head + base + "\"=\"\"340799196203020227\"\"\",,农村低保,2024-02-30,,600\n")
	m.set("assistance", asst)
	sum := m.run()
	if got := m.cases(); !slices.Equal(got, baseline) || sum.Evaluate.HeldPeople["MED-OOP-UNCOVERED"] != 1 {
		t.Fatalf("night 1: cases %q, held people %v", got, sum.Evaluate.HeldPeople)
	}
	// Night 2: the same roster plus a new, unrelated row of hers: the bad
	// row is still there, so the hold stays.
	asst.body = append(slices.Clone(asst.body), []byte("340799196203020227,3407990010010001,刚性支出困难,2026-10-01,2026-10-31,0\n")...)
	m.set("assistance", asst)
	sum = m.run()
	if got := m.cases(); !slices.Equal(got, baseline) || sum.Evaluate.HeldPeople["MED-OOP-UNCOVERED"] != 1 {
		t.Errorf("night 2: cases %q, held people %v", got, sum.Evaluate.HeldPeople)
	}
}

// TestRevertedFileWins: a registry re-sent in its earlier version after a
// wrong one (a death recorded by mistake) is read again, and its state is
// the newest.
func TestRevertedFileWins(t *testing.T) {
	m := newMini(t)
	reg := m.sources["registry"]
	good := reg.body
	m.run()
	reg.body = []byte(strings.Replace(string(good), "34079919700909055X,孙测五,男,1970-09-09,3407990020010001,户主,340799002,340799002001,示例县测试路5号,正常,",
		"34079919700909055X,孙测五,男,1970-09-09,3407990020010001,户主,340799002,340799002001,示例县测试路5号,死亡,2026-10-01", 1))
	m.set("registry", reg)
	m.run()
	status := func() string {
		var s string
		m.scan(`SELECT status FROM registry_current WHERE id_number = '34079919700909055X'`, &s)
		return s
	}
	if s := status(); s != "deceased" {
		t.Fatalf("after the wrong version: %s", s)
	}
	reg.body = good
	m.set("registry", reg)
	sum := m.run()
	if s := status(); s != "active" {
		t.Errorf("after the old version was re-sent: %s, want active", s)
	}
	for _, r := range sum.Sync {
		if r.Source == "registry" && r.Unchanged != 0 {
			t.Errorf("the re-sent file was skipped as unchanged")
		}
	}
	if got := m.cases(); slices.ContainsFunc(got, func(c string) bool { return strings.Contains(c, "INTEGRITY") }) {
		t.Errorf("cases %q", got)
	}
}
