package dataset

import (
	"strings"
	"testing"
	"time"
)

func TestParseMonth(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"202611", "2026-11", "2026/11", "2026.11", "2026年11月", "2026年11", " 2026-11-30 ", "2026年11月5日", "20261115"} {
		got, err := ParseMonth(s)
		if err != nil || !got.Equal(nov) {
			t.Errorf("ParseMonth(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"202613", "2026-00", "26-11", "2026-111", "11月", "", "x", "999912"} {
		if got, err := ParseMonth(s); err == nil {
			t.Errorf("ParseMonth(%q) = %v, want an error", s, got)
		}
	}
}

// The new datasets read what their departments write: vehicle classes by
// GA 802 code or name, areas with their unit, contribution months as
// 202611, statuses in words.
func TestAssetDatasets(t *testing.T) {
	mapRow := func(name string, cols map[string]string, header, row []string) ([]any, *Problem) {
		t.Helper()
		ds, ok := Lookup(name)
		if !ok {
			t.Fatalf("no dataset %s", name)
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

	vcols := map[string]string{"plate": "号牌号码", "id_number": "所有人身份证号", "vehicle_type": "车辆类型",
		"registered_date": "初次登记日期", "status": "状态", "cancelled_date": "注销日期"}
	vh := []string{"号牌号码", "所有人身份证号", "车辆类型", "初次登记日期", "状态", "注销日期"}
	for typ, want := range map[string]string{"K33": "car", "小型轿车": "car", "残疾人机动轮椅车": "disabled_mobility",
		"普通二轮摩托车": "motorcycle", "三轮汽车": "farm", "H31": "truck"} {
		out, p := mapRow("vehicles", vcols, vh, []string{"皖P12345", "11010519491231002X", typ, "2024/5/6", "A", ""})
		if p != nil || out[2] != want || out[4] != "active" || !out[3].(time.Time).Equal(day(2024, 5, 6)) {
			t.Errorf("%s: %v %v", typ, out, p)
		}
	}
	if _, p := mapRow("vehicles", vcols, vh, []string{"皖P12345", "11010519491231002X", "飞机", "2024/5/6", "", ""}); p == nil ||
		!strings.Contains(p.Reason, "车辆类型 (vehicle_type)") {
		t.Errorf("an unknown vehicle type: %v", p)
	}

	pcols := map[string]string{"cert_number": "不动产权证号", "id_number": "权利人证件号", "purpose": "规划用途", "area": "建筑面积",
		"registered_date": "登记日期", "status": "状态", "cancelled_date": "注销日期"}
	ph := []string{"不动产权证号", "权利人证件号", "规划用途", "建筑面积", "登记日期", "状态", "注销日期"}
	for area, want := range map[string]int64{"89.56㎡": 8956, "120平方米": 12000, " 1,020.5 m² ": 102050, "75": 7500} {
		out, p := mapRow("property", pcols, ph, []string{"皖(2024)示例县不动产权第0001234号", "11010519491231002X", "成套住宅", area, "2024-01-02", "现势", ""})
		if p != nil || out[3] != want || out[2] != "residential" || out[5] != "active" {
			t.Errorf("%s: %v %v", area, out, p)
		}
	}
	for _, bad := range []string{"89.5亩", "120元", "约90"} {
		if _, p := mapRow("property", pcols, ph, []string{"X1", "11010519491231002X", "商铺", bad, "2024-01-02", "", ""}); p == nil ||
			!strings.Contains(p.Reason, "is not a number") {
			t.Errorf("area %q: %v", bad, p)
		}
	}

	ccols := map[string]string{"id_number": "身份证号", "scheme": "险种", "employer": "单位名称", "month": "费款所属期", "base_monthly": "缴费基数"}
	ch := []string{"身份证号", "险种", "单位名称", "费款所属期", "缴费基数"}
	out, p := mapRow("contributions", ccols, ch, []string{"11010519491231002X", "企业职工基本养老保险", "示例县建材有限公司", "202611", "4,500.00"})
	if p != nil || out[1] != "employee_pension" || !out[3].(time.Time).Equal(day(2026, 11, 1)) || out[4] != int64(450000) {
		t.Errorf("contribution: %v %v", out, p)
	}
	if _, p := mapRow("contributions", ccols, ch, []string{"11010519491231002X", "住房公积金", "", "2026-13", "1"}); p == nil ||
		!strings.Contains(p.Reason, "is not a month") {
		t.Errorf("a 13th month: %v", p)
	}

	bcols := map[string]string{"credit_code": "统一社会信用代码", "id_number": "经营者身份证号", "entity_type": "主体类型", "employees": "从业人数",
		"status": "登记状态", "established_date": "成立日期", "cancelled_date": "注销日期"}
	bh := []string{"统一社会信用代码", "经营者身份证号", "主体类型", "从业人数", "登记状态", "成立日期", "注销日期"}
	out, p = mapRow("business", bcols, bh, []string{"92340799MA2XXXXX1X", "11010519491231002X", "个体工商户", "0", "存续（在营、开业、在册）", "2023年4月1日", ""})
	if p != nil || out[2] != "individual" || out[3] != int64(0) || out[4] != "active" {
		t.Errorf("business: %v %v", out, p)
	}
	// Full-width punctuation is read as ASCII before the aliases: both match.
	for _, st := range []string{"吊销，未注销", "吊销,未注销"} {
		out, p = mapRow("business", bcols, bh, []string{"92340799MA2XXXXX1X", "11010519491231002X", "有限责任公司（自然人独资）", "3", st, "2023-04-01", "2025-01-01"})
		if p != nil || out[4] != "revoked" || out[2] != "enterprise" {
			t.Errorf("%s: %v %v", st, out, p)
		}
	}
}
