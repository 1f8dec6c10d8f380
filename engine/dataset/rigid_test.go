package dataset

import (
	"strings"
	"testing"
	"time"
)

// Students, rehabilitation and staff relatives read what their departments
// write: 学段 in words, fees with a thousands separator, an open end as
// 长期, the staff's unit as a township or village code, relations in words.
func TestRigidAndRecusalDatasets(t *testing.T) {
	mapRow := func(name string, cols map[string]string, row []string) ([]any, *Problem) {
		t.Helper()
		ds, ok := Lookup(name)
		if !ok {
			t.Fatalf("no dataset %s", name)
		}
		var header []string
		for _, f := range ds.Fields {
			header = append(header, cols[f.Name])
		}
		m, err := NewMapper(ds, header, Mapping{Columns: cols})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]any, len(ds.Fields))
		_, p := m.Map(row, out)
		return out, p
	}
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	const id = "11010519491231002X"

	scols := map[string]string{"id_number": "学生身份证号", "school": "学校名称", "level": "学段",
		"enrolled_date": "入学日期", "left_date": "离校日期", "fees_yearly": "学费住宿费"}
	for lv, want := range map[string]string{"普通高中": "senior", "本科": "college", "高职（专科）": "college", "中职": "vocational", "幼儿园": "preschool"} {
		out, p := mapRow("students", scols, []string{id, "县第一中学", lv, "2024年9月1日", "长期", "6,800.00"})
		if p != nil || out[2] != want || !out[3].(time.Time).Equal(day(2024, 9, 1)) || out[4] != nil {
			t.Errorf("%s: %v %v", lv, out, p)
		}
	}
	if _, p := mapRow("students", scols, []string{id, "县第一中学", "夜校", "2024-09-01", "", "0"}); p == nil ||
		!strings.Contains(p.Reason, "学段 (level)") {
		t.Errorf("an unknown school level: %v", p)
	}

	rcols := map[string]string{"id_number": "身份证号", "service_date": "服务日期", "item": "康复项目",
		"total_cost": "费用合计", "self_paid": "个人负担"}
	if out, p := mapRow("rehabilitation", rcols, []string{id, "2026/3/5", "肢体康复训练", "4,000", "1200.5"}); p != nil ||
		!out[1].(time.Time).Equal(day(2026, 3, 5)) {
		t.Errorf("a rehabilitation row: %v %v", out, p)
	}
	if _, p := mapRow("rehabilitation", rcols, []string{id, "2026/3/5", "肢体康复训练", "4,000", ""}); p == nil ||
		!strings.Contains(p.Reason, "个人负担") {
		t.Errorf("a rehabilitation row without what the family paid: %v", p)
	}

	kcols := map[string]string{"id_number": "近亲属身份证号", "staff_id_number": "工作人员身份证号", "staff_role": "人员类别",
		"staff_unit_code": "工作单位代码", "relation": "关系", "registered_date": "备案日期", "ended_date": "终止日期"}
	for _, c := range []struct{ role, unit, rel, wantRole, wantRel string }{
		{"村“两委”成员", "340102001001", "儿子", "village_cadre", "child"},
		{"乡镇民政助理员", "340102001", "配偶", "assistance_staff", "spouse"},
		{"民政干部", "340102", "岳母", "assistance_staff", "in_law"},
	} {
		out, p := mapRow("staff_relatives", kcols, []string{id, "110105198001010016", c.role, c.unit, c.rel, "2025-01-02", ""})
		if p != nil || out[2] != c.wantRole || out[3] != c.unit || out[4] != c.wantRel {
			t.Errorf("%v: %v %v", c, out, p)
		}
	}
	if _, p := mapRow("staff_relatives", kcols, []string{id, "110105198001010016", "村干部", "3401020010", "儿子", "", ""}); p == nil ||
		!strings.Contains(p.Reason, "工作单位代码") {
		t.Errorf("a 10-digit unit code: %v", p)
	}

	// Rows whose cells parse but do not hold together are refused, each
	// naming the field: a negative fee or payment would lower a
	// household's spending, an end before its start would count a period
	// that never was, a staff member is not his own relative.
	for _, c := range []struct {
		name   string
		cols   map[string]string
		row    []string
		reason string
	}{
		{"students", scols, []string{id, "县第一中学", "普通高中", "2024-09-01", "", "-3000"}, "学费和住宿费（元/学年） (fees_yearly) is negative"},
		{"students", scols, []string{id, "县第一中学", "普通高中", "2024-09-01", "2024-06-30", "3000"}, "离校日期（毕业、退学、转出） (left_date) 2024-06-30 is before 入学日期 (enrolled_date) 2024-09-01"},
		{"rehabilitation", rcols, []string{id, "2026/3/5", "肢体康复训练", "1000", "5000"}, "个人负担（元） (self_paid) is more than 费用合计（元） (total_cost)"},
		{"rehabilitation", rcols, []string{id, "2026/3/5", "肢体康复训练", "1000", "-400"}, "(self_paid) is negative"},
		{"staff_relatives", kcols, []string{id, id, "村干部", "340102001001", "儿子", "", ""}, "are the same person"},
		{"staff_relatives", kcols, []string{id, "110105198001010016", "村干部", "340102001001", "儿子", "2025-01-01", "2024-12-31"}, "(ended_date) 2024-12-31 is before"},
	} {
		if _, p := mapRow(c.name, c.cols, c.row); p == nil || !strings.Contains(p.Reason, c.reason) {
			t.Errorf("%s %v: %v, want %q", c.name, c.row, p, c.reason)
		}
	}
}
