package dataset

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var medicalColumns = map[string]string{
	"claim_id": "结算单号", "id_number": "身份证号", "settle_date": "结算日期", "hospital": "医疗机构",
	"total_cost": "医疗总费用", "fund_paid": "统筹基金支付", "critical_illness_paid": "大病保险支付",
	"assistance_paid": "医疗救助支付", "out_of_pocket": "个人自付",
}

var medicalHeader = []string{"结算单号", "身份证号", "结算日期", "医疗机构", "医疗总费用", "统筹基金支付", "大病保险支付", "医疗救助支付", "个人自付", "备注"}

func medicalMapper(t *testing.T) *Mapper {
	t.Helper()
	ds, _ := Lookup("medical")
	m, err := NewMapper(ds, medicalHeader, Mapping{Columns: medicalColumns})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMapValidRow(t *testing.T) {
	m := medicalMapper(t)
	out := make([]any, len(m.Dataset().Fields))
	key, p := m.Map([]string{"JS001", "１１０１０５１９４９１２３１００２x", "2026年3月5日", " 县人民医院 ", "1,234.50元", "800", "", "", "434.50元", "x"}, out)
	if p != nil {
		t.Fatal(p)
	}
	if key != "JS001" {
		t.Errorf("key %q", key)
	}
	want := []any{"JS001", "11010519491231002X", time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), "县人民医院", int64(123450), int64(80000), nil, nil, int64(43450)}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("field %s = %#v, want %#v", m.Dataset().Fields[i].Name, out[i], want[i])
		}
	}
	if got := m.Unmapped(); len(got) != 1 || got[0] != "备注" {
		t.Errorf("unmapped %v", got)
	}
}

func TestMapProblems(t *testing.T) {
	m := medicalMapper(t)
	out := make([]any, len(m.Dataset().Fields))
	good := []string{"JS001", "11010519491231002X", "2026-03-05", "医院", "100", "50", "0", "0", "50", ""}
	with := func(i int, v string) []string {
		r := append([]string(nil), good...)
		r[i] = v
		return r
	}
	cases := []struct {
		name   string
		row    []string
		code   string
		column string
	}{
		{"blank", []string{"", " ", "　", "", "", "", "", "", "", ""}, BlankRow, ""},
		{"empty slice", nil, BlankRow, ""},
		{"repeated header", medicalHeader, HeaderRepeat, ""},
		{"repeated header, short", medicalHeader[:9], HeaderRepeat, ""},
		{"check digit", with(1, "110105194912310021"), BadCheckDigit, "身份证号"},
		{"id length", with(1, "1101051949"), BadID, "身份证号"},
		{"missing required", with(2, ""), MissingRequired, "结算日期"},
		{"short row", good[:7], BadShape, ""},
		{"impossible date", with(2, "2026年2月30日"), ImpossibleDate, "结算日期"},
		{"unreadable date", with(2, "上周三"), BadDate, "结算日期"},
		{"amount", with(4, "一百元"), BadNumber, "医疗总费用"},
		{"mixed encoding", with(3, "\xc8\xcb\xc3\xf1\xff"), BadEncoding, "医疗机构"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, p := m.Map(c.row, out)
			if p == nil {
				t.Fatal("row accepted")
			}
			if p.Code != c.code || p.Column != c.column {
				t.Errorf("got %s in %q (%s), want %s in %q", p.Code, p.Column, p.Reason, c.code, c.column)
			}
			if strings.Contains(p.Reason, "11010519491231002") {
				t.Errorf("reason reveals the ID number: %s", p.Reason)
			}
		})
	}
}

func TestEnumsAndConfigAliases(t *testing.T) {
	ds, _ := Lookup("disability")
	header := []string{"身份证号", "残疾类别", "残疾等级", "发证日期", "状态"}
	cols := map[string]string{"id_number": "身份证号", "category": "残疾类别", "level": "残疾等级", "issued_date": "发证日期", "status": "状态"}
	m, err := NewMapper(ds, header, Mapping{Columns: cols, Values: map[string]map[string]string{"status": {"在用": "valid"}}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	for _, c := range []struct{ cat, level, status, wantCat, wantLevel, wantStatus string }{
		{"肢体残疾", "一级", "有效", "4", "1", "valid"},
		{"4", "2级", "在用", "4", "2", "valid"},
		{"精神", "4", "注销", "6", "4", "revoked"},
	} {
		_, p := m.Map([]string{"11010519491231002X", c.cat, c.level, "46086", c.status}, out)
		if p != nil {
			t.Fatalf("%v: %v", c, p)
		}
		if out[2] != c.wantCat || out[3] != c.wantLevel || out[5] != c.wantStatus {
			t.Errorf("%v mapped to %v %v %v", c, out[2], out[3], out[5])
		}
	}
	_, p := m.Map([]string{"11010519491231002X", "肢体", "五级", "46086", ""}, out)
	if p == nil || p.Code != BadValue || p.Field != "level" {
		t.Fatalf("bad level accepted or misreported: %v", p)
	}
}

func TestBoolField(t *testing.T) {
	ds, _ := Lookup("fishers")
	cols := map[string]string{"id_number": "身份证号", "retired_date": "退捕日期", "resettlement": "安置去向", "pension_insured": "是否参保"}
	m, err := NewMapper(ds, []string{"身份证号", "退捕日期", "安置去向", "是否参保"}, Mapping{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	for in, want := range map[string]any{"是": true, "否": false, "Y": true, "": nil} {
		if _, p := m.Map([]string{"11010519491231002X", "2020-12-31", "未就业", in}, out); p != nil || out[5] != want {
			t.Errorf("%q -> %v (%v)", in, out[5], p)
		}
	}
}

func TestMissingColumns(t *testing.T) {
	ds, _ := Lookup("medical")
	_, err := NewMapper(ds, medicalHeader[:3], Mapping{Columns: medicalColumns})
	var mc *MissingColumnsError
	if !errors.As(err, &mc) {
		t.Fatalf("got %v", err)
	}
	if len(mc.Missing) != 6 || !strings.Contains(err.Error(), "个人自付 (out_of_pocket)") {
		t.Errorf("message %q", err)
	}
}

func TestDatasetsAreConsistent(t *testing.T) {
	for _, ds := range All() {
		if len(ds.Key) == 0 {
			t.Errorf("%s has no natural key", ds.Name)
		}
		for _, f := range ds.Fields {
			for alias, v := range f.Aliases {
				if f.Type == Enum && !contains(f.Values, v) {
					t.Errorf("%s.%s alias %q maps to unknown value %q", ds.Name, f.Name, alias, v)
				}
			}
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestShapeProblems(t *testing.T) {
	m := medicalMapper(t) // header has 10 columns, the last one 备注
	out := make([]any, len(m.Dataset().Fields))
	good := []string{"JS001", "11010519491231002X", "2026-03-05", "医院", "100", "50", "0", "0", "50", ""}
	if _, p := m.Map(append(good, "", " "), out); p != nil {
		t.Errorf("blank cells past the header rejected: %v", p)
	}
	if _, p := m.Map(append(good, "5"), out); p == nil || p.Code != BadShape {
		t.Errorf("extra value accepted: %v", p)
	}
	if _, p := m.Map(good[:9], out); p == nil || p.Code != BadShape {
		t.Errorf("short row accepted: %v", p)
	}
}

func TestMissingColumnsNeverPrintsData(t *testing.T) {
	ds, _ := Lookup("medical")
	dataRow := []string{"JS001", "11010519491231002X", "2026-03-05", "张三"}
	_, err := NewMapper(ds, dataRow, Mapping{Columns: medicalColumns})
	if err == nil || strings.Contains(err.Error(), "11010519491231002X") || strings.Contains(err.Error(), "张三") {
		t.Fatalf("error reveals the row: %v", err)
	}
}
