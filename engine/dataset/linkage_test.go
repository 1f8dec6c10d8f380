package dataset

import (
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// TestLinkageFields: every department dataset of people but the registry,
// households and staff_relatives has name, gender and birth_date, marked,
// optional, last, and in no key.
func TestLinkageFields(t *testing.T) {
	want := []string{"assistance", "business", "contributions", "disability", "employment", "fishers", "medical",
		"property", "public_employees", "rehabilitation", "students", "vehicles"}
	var got []string
	for _, ds := range All() {
		lf := ds.LinkageFields()
		if !ds.Linkable() {
			if len(lf) != 0 {
				t.Errorf("%s: linkage fields but not linkable", ds.Name)
			}
			continue
		}
		got = append(got, ds.Name)
		var names []string
		for _, f := range lf {
			names = append(names, f.Name)
			if f.Required || slices.Contains(ds.Key, f.Name) {
				t.Errorf("%s.%s: required %v, in key %v", ds.Name, f.Name, f.Required, slices.Contains(ds.Key, f.Name))
			}
		}
		if !slices.Equal(names, []string{"name", "gender", "birth_date"}) {
			t.Errorf("%s: linkage fields %v", ds.Name, names)
		}
		n := len(ds.Fields)
		if ds.Fields[n-3].Name != "name" || ds.Fields[n-1].Name != "birth_date" {
			t.Errorf("%s: linkage fields are not last", ds.Name)
		}
		if g, _ := ds.Field("gender"); g.Type != Enum || g.Aliases["女"] != "female" {
			t.Errorf("%s: gender %+v", ds.Name, g)
		}
		if _, ok := ds.Field("id_number"); !ok {
			t.Errorf("%s: linkable without id_number", ds.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("linkable datasets %v, want %v", got, want)
	}
}

// goodID is a valid ID number of the test county; badCheck the same with
// another check character.
var goodID = func() string {
	c, err := idnum.CheckChar("34079919870727347")
	if err != nil {
		panic(err)
	}
	return "34079919870727347" + string(c)
}()

func badCheck(id string) string {
	c := "0"
	if id[17] == '0' {
		c = "1"
	}
	return id[:17] + c
}

func employmentMapper(t *testing.T, header []string, cols map[string]string) *Mapper {
	t.Helper()
	ds, _ := Lookup("employment")
	m, err := NewMapper(ds, header, Mapping{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var empLinkCols = map[string]string{"id_number": "身份证号", "name": "姓名", "gender": "性别", "birth_date": "出生日期",
	"event": "业务类型", "event_date": "业务日期"}

var empLinkHeader = []string{"身份证号", "姓名", "性别", "出生日期", "业务类型", "业务日期"}

// TestUnresolvedRows: a row whose only problem is its ID number and which
// has a name maps with id_number "?" + the ID text and a key holding the
// name; without a name, or with another problem, it is a problem as
// before.
func TestUnresolvedRows(t *testing.T) {
	if _, err := parseCheck(goodID); err != nil {
		t.Fatalf("test ID: %v", err)
	}
	m := employmentMapper(t, empLinkHeader, empLinkCols)
	out := make([]any, len(m.Dataset().Fields))
	cases := []struct {
		name  string
		row   []string
		kinds []connectors.CellKind
		id    string // "" when the row is a problem
		code  string // the problem, or the unresolved ID's problem
		col   string
		key   string
	}{
		{name: "valid", row: []string{goodID, "张三", "女", "1987-07-27", "失业登记", "2026-03-01"}, id: goodID,
			key: goodID + "\x1funemployed\x1f2026-03-01"},
		{name: "missing ID, name", row: []string{"", "李四", "", "", "失业登记", "2026-03-02"}, id: "?", code: MissingRequired,
			key: "?\x1e李四\x1funemployed\x1f2026-03-02"},
		{name: "a word for none, name", row: []string{"无", "李四", "", "", "失业登记", "2026-03-02"}, id: "?", code: BadID,
			key: "?\x1e李四\x1funemployed\x1f2026-03-02"},
		{name: "wrong check character, name", row: []string{strings.ToLower(badCheck(goodID)), "王五", "男", "", "失业登记", "2026-03-03"},
			id: "?" + badCheck(goodID), code: BadCheckDigit},
		{name: "full-width and spaced", row: []string{"３４０７９９ " + badCheck(goodID)[6:], "王五", "", "", "失业登记", "2026-03-03"},
			id: "?" + badCheck(goodID), code: BadCheckDigit},
		{name: "scientific text, name", row: []string{"3.40799198707273E+17", "赵六", "", "", "失业登记", "2026-03-04"},
			id: "?340799198707273000", code: DamagedNumber},
		{name: "number cell, name", row: []string{"340799198707273000", "赵六", "", "", "失业登记", "2026-03-04"},
			kinds: []connectors.CellKind{connectors.KindNumber}, id: "?340799198707273000", code: DamagedNumber},
		{name: "not an ID, name", row: []string{"12345", "钱七", "", "", "失业登记", "2026-03-05"}, id: "?12345", code: BadID},
		{name: "bad ID, no name", row: []string{"12345", "", "", "", "失业登记", "2026-03-05"}, code: BadID, col: "身份证号"},
		{name: "missing ID, no name", row: []string{"", " ", "", "", "失业登记", "2026-03-05"}, code: MissingRequired, col: "身份证号"},
		{name: "missing ID, a total row's word", row: []string{"", "合计", "", "", "失业登记", "2026-03-05"}, code: MissingRequired, col: "身份证号"},
		{name: "missing ID, an ID in the name column", row: []string{"", goodID, "", "", "失业登记", "2026-03-05"}, code: MissingRequired, col: "身份证号"},
		{name: "bad ID and a bad date, name", row: []string{"12345", "孙八", "", "", "失业登记", "2026年2月30日"}, code: ImpossibleDate, col: "业务日期"},
		{name: "bad ID and a bad date, no name", row: []string{"12345", "", "", "", "失业登记", "2026年2月30日"}, code: BadID, col: "身份证号"},
		{name: "bad ID and a bad gender, name", row: []string{"12345", "孙八", "未知", "", "失业登记", "2026-03-05"}, code: BadValue, col: "性别"},
		{name: "valid ID, bad birth date", row: []string{goodID, "张三", "", "1987-02-30", "失业登记", "2026-03-01"}, code: ImpossibleDate, col: "出生日期"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var kinds []connectors.CellKind
			if c.kinds != nil {
				kinds = append(c.kinds, make([]connectors.CellKind, len(c.row)-len(c.kinds))...)
			}
			key, p := m.MapRow(c.row, kinds, out)
			if c.id == "" {
				if p == nil || p.Code != c.code || p.Column != c.col {
					t.Fatalf("problem %+v, want %s in %s", p, c.code, c.col)
				}
				if strings.Contains(p.Reason, "12345") || strings.Contains(p.Reason, goodID) {
					t.Errorf("reason quotes the ID: %s", p.Reason)
				}
				if m.Unresolved() != nil {
					t.Errorf("a quarantined row reports Unresolved %+v", m.Unresolved())
				}
				return
			}
			if p != nil {
				t.Fatalf("problem %+v", p)
			}
			if out[0] != c.id {
				t.Errorf("id_number %q, want %q", out[0], c.id)
			}
			u := m.Unresolved()
			switch {
			case c.code == "" && u != nil:
				t.Errorf("a valid row reports Unresolved %+v", u)
			case c.code != "" && (u == nil || u.Code != c.code || u.Column != "身份证号"):
				t.Errorf("Unresolved %+v, want %s", u, c.code)
			case c.code != "" && !IsUnresolved(out[0].(string)):
				t.Errorf("IsUnresolved(%q) is false", out[0])
			}
			if c.key != "" && key != c.key {
				t.Errorf("key %q, want %q", key, c.key)
			}
			if c.code != "" && !strings.HasPrefix(key, c.id+"\x1e"+out[3].(string)+"\x1f") {
				t.Errorf("key %q does not begin with the ID text and the name", key)
			}
		})
	}
	// The same damaged ID text under two names: two keys.
	k1, p1 := m.MapRow([]string{"12345", "周一", "", "", "失业登记", "2026-03-05"}, nil, out)
	k2, p2 := m.MapRow([]string{"12345", "吴二", "", "", "失业登记", "2026-03-05"}, nil, out)
	if p1 != nil || p2 != nil || k1 == k2 {
		t.Errorf("two people with one bad ID text: keys %q %q (%v %v)", k1, k2, p1, p2)
	}
}

// TestUnresolvedNeedsTheNameColumn: a source that does not map the name
// quarantines rows with an unusable ID as before; the registry, and the
// datasets without linkage fields, always do.
func TestUnresolvedNeedsTheNameColumn(t *testing.T) {
	cols := map[string]string{"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"}
	m := employmentMapper(t, empLinkHeader, cols)
	out := make([]any, len(m.Dataset().Fields))
	if _, p := m.MapRow([]string{badCheck(goodID), "王五", "", "", "失业登记", "2026-03-03"}, nil, out); p == nil || p.Code != BadCheckDigit {
		t.Errorf("name not mapped: %+v", p)
	}
	reg, _ := Lookup("registry")
	rm, err := NewMapper(reg, []string{"公民身份号码", "姓名", "户号", "乡镇街道代码"},
		Mapping{Columns: map[string]string{"id_number": "公民身份号码", "name": "姓名", "household_id": "户号", "township_code": "乡镇街道代码"}})
	if err != nil {
		t.Fatal(err)
	}
	out = make([]any, len(reg.Fields))
	if _, p := rm.MapRow([]string{badCheck(goodID), "王五", "3407990010010001", "340799001"}, nil, out); p == nil || p.Code != BadCheckDigit {
		t.Errorf("registry: %+v", p)
	}
	sr, _ := Lookup("staff_relatives")
	if sr.Linkable() {
		t.Error("staff_relatives is linkable")
	}
}

// TestUnresolvedOutsideIDOrder: in a dataset whose id_number is not its
// first field, a row with an unusable ID and no name is quarantined for
// the first problem in field order, as before.
func TestUnresolvedOutsideIDOrder(t *testing.T) {
	ds, _ := Lookup("vehicles")
	cols := map[string]string{"plate": "号牌号码", "name": "所有人", "id_number": "所有人身份证号", "vehicle_type": "车辆类型", "registered_date": "初次登记日期"}
	m, err := NewMapper(ds, []string{"号牌号码", "所有人", "所有人身份证号", "车辆类型", "初次登记日期"}, Mapping{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	key, p := m.MapRow([]string{"皖A12345", "张三", "", "小型轿车", "2020-05-01"}, nil, out)
	if p != nil || out[1] != "?" || key != "皖A12345\x1f?\x1e张三\x1f2020-05-01\x1f\x1f" {
		t.Errorf("vehicle with no owner ID: %q %+v %v", key, p, out[1])
	}
	if _, p := m.MapRow([]string{"", "", "", "小型轿车", "2020-05-01"}, nil, out); p == nil || p.Field != "plate" {
		t.Errorf("no plate, no ID, no name: %+v", p)
	}
	if _, p := m.MapRow([]string{"", "张三", "", "小型轿车", "2020-05-01"}, nil, out); p == nil || p.Field != "plate" {
		t.Errorf("no plate, no ID: %+v", p)
	}
}

func parseCheck(id string) (string, error) {
	ds, _ := Lookup("employment")
	m, err := NewMapper(ds, []string{"身份证号", "业务类型", "业务日期"}, Mapping{Columns: map[string]string{"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"}})
	if err != nil {
		return "", err
	}
	out := make([]any, len(ds.Fields))
	if _, p := m.MapRow([]string{id, "失业登记", "2026-03-01"}, nil, out); p != nil {
		return "", p
	}
	return out[0].(string), nil
}
