package dataset

import (
	"strings"
	"testing"
)

// TestReasonsShowNoPersonalData: a reason quotes a bad value so a clerk can
// find it, unless the value may be personal data — a name that landed in an
// amount column when the columns shifted, an ID number in a date column.
func TestReasonsShowNoPersonalData(t *testing.T) {
	ds, _ := Lookup("medical")
	m, err := NewMapper(ds, medicalHeader, Mapping{Columns: medicalColumns})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	row := func(date, total string) []string {
		return []string{"YB1", "11010519491231002X", date, "医院", total, "", "", "", "100", ""}
	}
	for _, tc := range []struct {
		values      []string
		hidden      string // must not appear
		shownQuoted string // must appear
	}{
		{row("2026-03-01", "董海波"), "董海波", ""},
		{row("110105194912310021", "100"), "110105194912310021", ""},
		{row("2026-03-01", "12,34"), "", `"12,34"`},
		{row("2026年2月30日", "100"), "", `"2026年2月30日"`},
	} {
		_, p := m.Map(tc.values, out)
		if p == nil {
			t.Fatalf("%q loaded", tc.values)
		}
		if tc.hidden != "" && (strings.Contains(p.Reason, tc.hidden) || !strings.Contains(p.Reason, "not shown")) {
			t.Errorf("reason %q shows %q", p.Reason, tc.hidden)
		}
		if tc.shownQuoted != "" && !strings.Contains(p.Reason, tc.shownQuoted) {
			t.Errorf("reason %q does not quote %s", p.Reason, tc.shownQuoted)
		}
	}
}

// TestMedicalAmountsTogether: 个人自付 cannot exceed the bill, and a phone
// number in an amount column (13.8 billion yuan) is no bill at all.
func TestMedicalAmountsTogether(t *testing.T) {
	ds, _ := Lookup("medical")
	m, err := NewMapper(ds, medicalHeader, Mapping{Columns: medicalColumns})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	row := func(total, oop string) []string {
		return []string{"YB1", "11010519491231002X", "2026-03-01", "医院", total, "", "", "", oop, ""}
	}
	for _, tc := range []struct {
		total, oop, code string
	}{
		{"100", "13812345678", BadNumber},
		{"1,000.00", "1,200.00", BadValue},
		{"1,000.00", "1,000.00", ""},
		{"30000", "12000", ""},
	} {
		_, p := m.Map(row(tc.total, tc.oop), out)
		switch {
		case tc.code == "" && p != nil:
			t.Errorf("%s/%s: %v", tc.total, tc.oop, p)
		case tc.code != "" && (p == nil || p.Code != tc.code):
			t.Errorf("%s/%s: %v, want %s", tc.total, tc.oop, p, tc.code)
		case p != nil && strings.Contains(p.Reason, "13812345678"):
			t.Errorf("reason shows the number: %s", p.Reason)
		}
	}
}

// TestStandardForms: the GB/T 2261.1 gender names (男性, 女性) and a
// township's code in its 12-digit form (340799001000) are read, not
// quarantined: one such cell would take the whole person out of the
// registry.
func TestStandardForms(t *testing.T) {
	ds, _ := Lookup("registry")
	header := []string{"公民身份号码", "姓名", "性别", "户号", "乡镇街道代码"}
	m, err := NewMapper(ds, header, Mapping{Columns: map[string]string{"id_number": "公民身份号码", "name": "姓名",
		"gender": "性别", "household_id": "户号", "township_code": "乡镇街道代码"}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	if _, p := m.Map([]string{"11010519491231002X", "张测", "男性", "1001", "340799001000"}, out); p != nil {
		t.Fatal(p)
	}
	if out[2] != "male" || out[6] != "340799001" {
		t.Errorf("gender %v township %v", out[2], out[6])
	}
	if _, p := m.Map([]string{"11010519491231002X", "张测", "男", "1001", "340799001002"}, out); p == nil || p.Code != BadCode {
		t.Errorf("a village's code as the township's: %v", p)
	}
}
