package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Recusal on the mini county (issue 13): the baseline case's unemployed son
// is the child of 城关镇's own assistance staff, so his household's case
// goes to the county's queue with a ※ mark, never to 城关镇's list; the
// 低保 household's head is the spouse of a cadre of his own village, so it
// gets a 100% check (RECUSAL-AIDED, yellow: the mark does not escalate it)
// with a note on 城东街道's list; a related household with no warning
// (王测一's) gets nothing, and a declaration that has ended counts for
// nothing.
func TestRecusalRoutesAndMarks(t *testing.T) {
	m := newMini(t)
	m.set("staff_relatives", miniSource{file: "staff_relatives.csv", body: []byte(`近亲属身份证号,工作人员身份证号,人员类别,工作单位代码,关系,备案日期,终止日期
340799198507150337,340799196801010010,乡镇民政助理员,340799001,儿子,2025-03-01,
34079919700909055X,34079919720101002X,村干部,340799002001,丈夫,2024-06-01,
340799196005010116,340799199001010032,村委委员,340799001001,父亲,2024-06-01,
340799197506060677,340799199001010032,民政干部,340799002,兄弟,2020-01-01,2025-12-31
`)})
	sum := m.run()
	want := []string{
		miniUnemployed + " yellow RECUSAL-ROUTE-COUNTY,UNEMP-LOWINC-UNCOVERED",
		miniCovered + " yellow RECUSAL-AIDED,RECUSAL-NOTE",
	}
	if got := m.cases(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("cases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var town string
	m.scan(`SELECT township_code FROM cases WHERE subject = '`+miniUnemployed+`'`, &town)
	if town != route.CountyQueue {
		t.Errorf("the township staff's relative's case is at %q, want the county's queue", town)
	}
	m.scan(`SELECT township_code FROM cases WHERE subject = '`+miniCovered+`'`, &town)
	if town != "340799002" {
		t.Errorf("the cadre's relative's case is at %q, want 340799002", town)
	}

	lists := map[string]string{} // list file → its text
	for _, f := range sum.Dispatch.Files {
		if !strings.HasSuffix(f, ".xlsx") || strings.Contains(f, "汇总") {
			continue
		}
		x, err := excelize.OpenFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(x.GetSheetName(0))
		x.Close()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(strings.Join(r, "|") + "\n")
		}
		lists[f] = b.String()
	}
	var county, chengdong string
	for f, text := range lists {
		switch {
		case strings.Contains(f, "县级队列"):
			county = text
		case strings.Contains(f, "城东街道"):
			chengdong = text
		case strings.Contains(f, "城关镇"):
			t.Errorf("城关镇 got a list, though its only case is its own staff's relative's:\n%s", text)
		}
	}
	if !strings.Contains(county, miniUnemployed) ||
		!strings.Contains(county, "※ 家庭成员为户籍所在乡镇的社会救助经办人员的子女：户籍所在乡镇回避，由县民政局组织核查或指定其他乡镇交叉核查") {
		t.Errorf("county queue's list:\n%s", county)
	}
	if !strings.Contains(chengdong, miniCovered) ||
		!strings.Contains(chengdong, "家庭享受低保，家庭成员为本村（社区）干部的配偶：近亲属备案对象须100%入户核查") ||
		!strings.Contains(chengdong, "※ 家庭成员为本村（社区）干部的配偶：本村（社区）干部回避，由乡镇工作人员入户核查") {
		t.Errorf("城东街道's list:\n%s", chengdong)
	}
	for _, text := range lists {
		if strings.Contains(text, "340799196801010010") || strings.Contains(text, "34079919720101002X") {
			t.Errorf("a staff member's ID number on a list:\n%s", text)
		}
	}

	// A report from the ground about the routed household (its own
	// township's grid worker) joins the case and leaves it in the county's
	// queue, its mark a mark.
	day, _ := time.Parse(time.DateOnly, miniAsOf)
	g, err := m.p.FileGroundReport(context.Background(), day, store.GroundReport{ReportedBy: "portal:grid", ReportedAt: day,
		IDNumber: "340799195801200442", Kind: evaluate.GroundKinds[0].Code, Note: "测试"})
	if err != nil {
		t.Fatal(err)
	}
	if g.New || g.Township != route.CountyQueue {
		t.Errorf("ground report: %+v, want it joined to the case in the county's queue", g)
	}
	var id string
	m.scan(`SELECT case_id FROM cases WHERE subject = '`+miniUnemployed+`'`, &id)
	if cs, _ := m.p.Store.Case(context.Background(), id); cs.TownshipCode != route.CountyQueue || !recusedCase(cs) || cs.Level != "red" {
		t.Errorf("after the ground report: township %q level %s hits %+v", cs.TownshipCode, cs.Level, cs.Hits)
	}

	// The county cannot give the case to the household's own township; it
	// may give it to another one, and the next night keeps it there.
	fromQueue := func(code string) bool { return code == route.CountyQueue }
	ctx := context.Background()
	if err := m.p.Store.AssignTownship(ctx, "admin", id, "340799001", fromQueue); !errors.Is(err, store.ErrRecusal) {
		t.Fatalf("assigned to its own township: %v", err)
	}
	if err := m.p.Store.AssignTownship(ctx, "admin", id, "340799002", fromQueue); err != nil {
		t.Fatal(err)
	}
	m.run()
	m.scan(`SELECT township_code FROM cases WHERE subject = '`+miniUnemployed+`'`, &town)
	if town != "340799002" {
		t.Errorf("after the next night the case assigned to 城东街道 is at %q", town)
	}

	// Every township whose assistance staff are related is out, not only
	// the household's own: 钱测四 is also the mother of 城东街道's staff.
	src := m.sources["staff_relatives"]
	src.body = append(src.body, []byte("340799195801200442,340799198001010038,民政助理员,340799002001,母亲,2025-01-01,\n")...)
	m.sources["staff_relatives"] = src
	m.run()
	if got, err := m.p.Store.RecusedTownships(ctx, miniUnemployed); err != nil || strings.Join(got, ",") != "340799001,340799002" {
		t.Errorf("recused townships %v, %v", got, err)
	}
}

// recusedCase reports whether a case carries an active route mark.
func recusedCase(cs *cases.Case) bool {
	for _, h := range cs.Hits {
		if h.Active && h.Mark && h.Route == cases.RouteCounty {
			return true
		}
	}
	return false
}
