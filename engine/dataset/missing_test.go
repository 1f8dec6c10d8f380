package dataset

import (
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// Issue 8, item 7: an API or database that writes a word for "no value"
// in 户号 must not pool strangers into one household. The built-in marks
// are missing in every column, whatever kind of source sent them; a
// source's own (missing_values) are added to them.
func TestPlaceholdersAreMissing(t *testing.T) {
	header := []string{"身份证号", "户号", "退捕日期", "安置去向"}
	mp := Mapping{Columns: map[string]string{"id_number": "身份证号", "household_id": "户号",
		"retired_date": "退捕日期", "resettlement": "安置去向"}}
	m := mustMapper(t, "fishers", header, mp)
	out := make([]any, len(m.Dataset().Fields))
	for _, v := range []string{"null", "NULL", "undefined", "Undefined", "-", "无", "(null)", "NaN", " null "} {
		if _, p := m.Map([]string{"11010519491231002X", v, "2021-01-01", "就业"}, out); p != nil {
			t.Fatalf("户号 %q: %v", v, p)
		}
		if got := fieldValue(m, out, "household_id"); got != nil {
			t.Errorf("户号 %q loaded as %v, want missing", v, got)
		}
	}
	// In a required 户号 (the registry), the same marks are a missing
	// required value, quarantined: never household "null".
	reg := mustMapper(t, "registry", registryHeader, registryMapping)
	rout := make([]any, len(reg.Dataset().Fields))
	for _, v := range []string{"null", "undefined", "-", "无"} {
		_, p := reg.Map(registryRow("340799196005010116", "王测一", "1960-05-01", v, "户主", "340799001"), rout)
		if p == nil || p.Code != MissingRequired || p.Field != "household_id" {
			t.Errorf("registry 户号 %q: %v, want %s", v, p, MissingRequired)
		}
	}
	// "undefined" in free text is no name either (JavaScript's word for a
	// property that is not there).
	if got := isNull("undefined", true); !got {
		t.Error(`isNull("undefined", free) = false`)
	}
}

func TestSourceMissingValues(t *testing.T) {
	header := []string{"身份证号", "户号", "退捕日期", "安置去向", "渔船证号"}
	mp := Mapping{Columns: map[string]string{"id_number": "身份证号", "household_id": "户号",
		"retired_date": "退捕日期", "resettlement": "安置去向", "boat_cert": "渔船证号"},
		Missing: []string{"暂缺", " Pending ", "-1"}}
	m := mustMapper(t, "fishers", header, mp)
	out := make([]any, len(m.Dataset().Fields))
	if _, p := m.Map([]string{"11010519491231002X", "暂缺", "2021-01-01", "就业", "pending"}, out); p != nil {
		t.Fatal(p)
	}
	if hh, cert := fieldValue(m, out, "household_id"), fieldValue(m, out, "boat_cert"); hh != nil || cert != nil {
		t.Errorf("户号 %v, 渔船证号 %v: want both missing", hh, cert)
	}
	// A required field given a source's mark is missing, and says so.
	_, p := m.Map([]string{"11010519491231002X", "3407990010010001", "-1", "就业", ""}, out)
	if p == nil || p.Code != MissingRequired || p.Field != "retired_date" {
		t.Errorf("退捕日期 -1: %v, want %s", p, MissingRequired)
	}
	// Other sources keep reading the value as written.
	plain := mustMapper(t, "fishers", header, Mapping{Columns: mp.Columns})
	if _, p := plain.Map([]string{"11010519491231002X", "3407990010010001", "2021-01-01", "就业", "pending"}, out); p != nil {
		t.Fatal(p)
	}
	if got := fieldValue(plain, out, "boat_cert"); got != "pending" {
		t.Errorf("渔船证号 without missing_values = %v", got)
	}
}

// Issue 8, item 6 at this layer: an identifier a JSON writer sent as a
// double (3.40799001001E15, or an ID number in exponent form) reaches the
// mapper as a number cell; it is damaged, never padded with zeros.
func TestIdentifierThroughDoubleIsDamaged(t *testing.T) {
	header := []string{"身份证号", "户号", "退捕日期", "安置去向"}
	mp := Mapping{Columns: map[string]string{"id_number": "身份证号", "household_id": "户号",
		"retired_date": "退捕日期", "resettlement": "安置去向"}}
	m := mustMapper(t, "fishers", header, mp)
	out := make([]any, len(m.Dataset().Fields))
	kinds := []connectors.CellKind{connectors.KindText, connectors.KindNumber, connectors.KindText, connectors.KindText}
	_, p := m.MapRow([]string{"11010519491231002X", "3407990010010000", "2021-01-01", "就业"}, kinds, out)
	if p == nil || p.Code != DamagedNumber || p.Field != "household_id" {
		t.Errorf("户号 through a double: %v, want %s", p, DamagedNumber)
	}
	kinds = []connectors.CellKind{connectors.KindNumber, connectors.KindText, connectors.KindText, connectors.KindText}
	_, p = m.MapRow([]string{"340799196005010000", "", "2021-01-01", "就业"}, kinds, out)
	if p == nil || p.Code != DamagedNumber || p.Field != "id_number" {
		t.Errorf("ID number through a double: %v, want %s (not a check-digit error)", p, DamagedNumber)
	}
}
