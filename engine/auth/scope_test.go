package auth

import (
	"errors"
	"strings"
	"testing"
)

const (
	town   = "340799001"
	other  = "340799002"
	vil1   = "340799001001"
	vil2   = "340799001002"
	vilOth = "340799002001"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
		ok   bool
	}{
		{"admin", Admin, true},
		{" Analyst ", Analyst, true},
		{"TOWNSHIP", Township, true},
		{"village", Village, true},
		{"县级管理员", Admin, true},
		{"县级分析员", Analyst, true},
		{"乡镇经办人", Township, true},
		{"村协理员", Village, true},
		{"", "", false},
		{"root", "", false},
		{"county", "", false},
	}
	for _, tt := range tests {
		got, err := ParseRole(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, r := range Roles {
		if !r.Valid() || r.Chinese() == "" {
			t.Errorf("role %q: valid %v, Chinese %q", r, r.Valid(), r.Chinese())
		}
	}
	if Role("").Valid() || Role("root").Valid() {
		t.Error("an unknown role is valid")
	}
}

// TestScopeMatrix: what every role may see and do, case by case; the
// zero scope and half-filled scopes may do nothing.
func TestScopeMatrix(t *testing.T) {
	admin := Scope{Role: Admin}
	analyst := Scope{Role: Analyst}
	officer := Scope{Role: Township, Township: town}
	assistant := Scope{Role: Village, Township: town, Villages: []string{vil1}}
	type place struct{ township, village string }
	places := []place{
		{town, vil1},     // 0: the assistant's village
		{town, vil2},     // 1: another village of the township
		{town, ""},       // 2: the township, village unknown
		{other, vilOth},  // 3: another township
		{"", ""},         // 4: the county queue
		{other, vil1},    // 5: her village code, but routed to another township
		{"34079900", ""}, // 6: a malformed code
	}
	tests := []struct {
		name                      string
		s                         Scope
		county, admin, close, rep bool
		ext                       bool
		seeTown                   []bool // town, other, ""
		seeCase                   []bool // per place
	}{
		{"admin", admin, true, true, true, true, false,
			[]bool{true, true, true}, []bool{true, true, true, true, true, true, true}},
		{"analyst", analyst, true, false, false, false, false,
			[]bool{true, true, true}, []bool{true, true, true, true, true, true, true}},
		{"township officer", officer, false, false, true, true, true,
			[]bool{true, false, false}, []bool{true, true, true, false, false, false, false}},
		{"village assistant", assistant, false, false, false, true, false,
			[]bool{false, false, false}, []bool{true, false, false, false, false, false, false}},
		{"zero scope", Scope{}, false, false, false, false, false,
			[]bool{false, false, false}, []bool{false, false, false, false, false, false, false}},
		{"unknown role", Scope{Role: "root", Township: town}, false, false, false, false, false,
			[]bool{false, false, false}, []bool{false, false, false, false, false, false, false}},
		{"officer without township", Scope{Role: Township}, false, false, true, true, true,
			[]bool{false, false, false}, []bool{false, false, false, false, false, false, false}},
		{"assistant without villages", Scope{Role: Village, Township: town}, false, false, false, true, false,
			[]bool{false, false, false}, []bool{false, false, false, false, false, false, false}},
		{"assistant without township", Scope{Role: Village, Villages: []string{vil1}}, false, false, false, true, false,
			[]bool{false, false, false}, []bool{false, false, false, false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s.IsCounty() != tt.county || s.CanAdmin() != tt.admin || s.CanClose() != tt.close ||
				s.CanReport() != tt.rep || s.CanRequestExtension() != tt.ext {
				t.Errorf("county %v admin %v close %v report %v extension %v", s.IsCounty(), s.CanAdmin(), s.CanClose(), s.CanReport(), s.CanRequestExtension())
			}
			for i, code := range []string{town, other, ""} {
				if got := s.CanSeeTownship(code); got != tt.seeTown[i] {
					t.Errorf("CanSeeTownship(%q) = %v", code, got)
				}
			}
			for i, p := range places {
				if got := s.CanSeeCase(p.township, p.village); got != tt.seeCase[i] {
					t.Errorf("CanSeeCase(%q, %q) = %v", p.township, p.village, got)
				}
				if got := s.CanCloseCase(p.township, p.village); got != (tt.close && tt.seeCase[i]) {
					t.Errorf("CanCloseCase(%q, %q) = %v", p.township, p.village, got)
				}
			}
		})
	}
}

func TestScopeString(t *testing.T) {
	for s, want := range map[*Scope]string{
		{Role: Admin}:                    "admin county",
		{Role: Township, Township: town}: "township 340799001",
		{Role: Village, Township: town, Villages: []string{vil1, vil2}}: "village 340799001 [340799001001,340799001002]",
		{}: "no role",
	} {
		if got := s.String(); got != want {
			t.Errorf("%+v: %q, want %q", *s, got, want)
		}
	}
}

func TestScopeValidate(t *testing.T) {
	tests := []struct {
		name  string
		s     Scope
		field Field // "" = valid
		msg   string
	}{
		{"admin", Scope{Role: Admin}, "", ""},
		{"analyst", Scope{Role: Analyst}, "", ""},
		{"officer", Scope{Role: Township, Township: town}, "", ""},
		{"assistant", Scope{Role: Village, Township: town, Villages: []string{vil1, vil2}}, "", ""},
		{"no role", Scope{}, FieldRole, "unknown role"},
		{"bad role", Scope{Role: "root"}, FieldRole, "unknown role"},
		{"admin with township", Scope{Role: Admin, Township: town}, FieldTownship, "has no township"},
		{"analyst with villages", Scope{Role: Analyst, Villages: []string{vil1}}, FieldVillages, "has no villages"},
		{"officer without township", Scope{Role: Township}, FieldTownship, "required"},
		{"officer, short code", Scope{Role: Township, Township: "3407990"}, FieldTownship, "9-digit"},
		{"officer, letters", Scope{Role: Township, Township: "34079900a"}, FieldTownship, "9-digit"},
		{"officer with villages", Scope{Role: Township, Township: town, Villages: []string{vil1}}, FieldVillages, "only the village role"},
		{"assistant without township", Scope{Role: Village, Villages: []string{vil1}}, FieldTownship, "required"},
		{"assistant without villages", Scope{Role: Village, Township: town}, FieldVillages, "required"},
		{"village of another township", Scope{Role: Village, Township: town, Villages: []string{vil1, vilOth}}, FieldVillages, "is not in township"},
		{"village code too short", Scope{Role: Village, Township: town, Villages: []string{"34079900100"}}, FieldVillages, "12-digit"},
		{"village twice", Scope{Role: Village, Township: town, Villages: []string{vil1, vil1}}, FieldVillages, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			checkScopeErr(t, err, tt.field, tt.msg)
		})
	}
}

func checkScopeErr(t *testing.T, err error, field Field, msg string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var se *ScopeError
	if !errors.As(err, &se) {
		t.Fatalf("want a *ScopeError on %s, got %v", field, err)
	}
	if se.Field != field || !strings.Contains(se.Error(), msg) {
		t.Errorf("error %q on %s, want %s with %q", se.Error(), se.Field, field, msg)
	}
}

func TestScopeCheckKnown(t *testing.T) {
	k := Known{
		County:    "340799",
		Townships: map[string]string{town: "城关镇", other: "城东街道"},
		Villages:  map[string]string{vil1: "育才社区", vilOth: "x"},
	}
	noVillages := Known{County: "340799", Townships: k.Townships}
	tests := []struct {
		name  string
		s     Scope
		k     Known
		field Field
		msg   string
	}{
		{"admin", Scope{Role: Admin}, Known{}, "", ""},
		{"officer", Scope{Role: Township, Township: town}, k, "", ""},
		{"assistant", Scope{Role: Village, Township: town, Villages: []string{vil1}}, k, "", ""},
		{"assistant, villages not listed", Scope{Role: Village, Township: town, Villages: []string{vil2}}, noVillages, "", ""},
		{"shape first", Scope{Role: Township}, k, FieldTownship, "required"},
		{"township not configured", Scope{Role: Township, Township: "340799099"}, k, FieldTownship, "not a configured township"},
		{"township of another county", Scope{Role: Township, Township: "340800001"}, k, FieldTownship, "not in county 340799"},
		{"no townships configured", Scope{Role: Township, Township: town}, Known{County: "340799"}, FieldTownship, "no townships are configured"},
		{"village not in divisions", Scope{Role: Village, Township: town, Villages: []string{vil1, vil2}}, k, FieldVillages, "340799001002 is not in the divisions file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkScopeErr(t, tt.s.Check(tt.k), tt.field, tt.msg)
		})
	}
}
