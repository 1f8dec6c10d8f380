// Package auth holds the rules of the portal's accounts that need no
// store: the four roles and what each may see and do (Scope, the one
// check every request goes through), password hashing with Argon2id
// (through github.com/alexedwards/argon2id, never our own crypto), the
// password policy, username rules and one-time passwords.
//
// The package is pure: no I/O besides crypto/rand, no DuckDB, so the
// portal's handlers and their tests can use it without the store.
package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what an account may do and where. The zero Role is no role: a
// Scope with it may see and do nothing.
type Role string

// The roles (docs: DESIGN.md "Portal and roles").
const (
	// Admin is the county administrator (县级管理员): the whole county,
	// everything, accounts, the county queue, extensions.
	Admin Role = "admin"
	// Analyst is the county analyst (县级分析员): reads the whole county,
	// rules tools, source health, statistics; records no outcome.
	Analyst Role = "analyst"
	// Township is the township officer (乡镇经办人): one township's cases,
	// records their outcomes, asks extensions, ground reports.
	Township Role = "township"
	// Village is the village assistant (村协理员): cases of some villages
	// of one township; views them and files ground reports, closes none.
	Village Role = "village"
)

// Roles lists every role, the county's first.
var Roles = []Role{Admin, Analyst, Township, Village}

var roleNames = map[Role]string{
	Admin:    "县级管理员",
	Analyst:  "县级分析员",
	Township: "乡镇经办人",
	Village:  "村协理员",
}

// ParseRole reads a role by its code (admin, analyst, township, village;
// any case) or its Chinese name (县级管理员 …).
func ParseRole(s string) (Role, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, r := range Roles {
		if t == string(r) || strings.TrimSpace(s) == roleNames[r] {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: want admin (县级管理员), analyst (县级分析员), township (乡镇经办人) or village (村协理员)", s)
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { _, ok := roleNames[r]; return ok }

// Chinese is the role's name for users (县级管理员 …), "" for no role.
func (r Role) Chinese() string { return roleNames[r] }

// County reports whether r works at county level (admin, analyst).
func (r Role) County() bool { return r == Admin || r == Analyst }

// Scope is one account's role and where it applies: the county (admin,
// analyst), one township (township), or some villages of one township
// (village). Every page and action of the portal asks its Scope; the
// answers deny by default: a Scope without a valid role, or a township or
// village role without its township, may see nothing.
//
// Township and village codes are the 9- and 12-digit division codes. A
// case's township is the one it is routed to (route.Router.Township of the
// case's township code: "" is the county's own queue, which only county
// roles see).
type Scope struct {
	Role     Role
	Township string   // township and village roles: the 9-digit township code
	Villages []string // village role: 12-digit village codes of Township
}

// IsCounty reports whether the scope is the whole county (admin, analyst).
func (s Scope) IsCounty() bool { return s.Role.County() }

// CanAdmin reports whether the scope may manage accounts, assign the
// county queue, approve extensions and reload: the county admin only.
func (s Scope) CanAdmin() bool { return s.Role == Admin }

// CanSeeTownship reports whether the scope may see a whole township: all
// its cases, its list (and its xlsx download), its statistics. County roles
// see every township and the county queue (code ""); a township officer
// only hers. A village assistant sees no whole township, only her
// villages' cases (CanSeeCase): a page that shows a township's cases to
// her must filter them case by case.
func (s Scope) CanSeeTownship(code string) bool {
	switch s.Role {
	case Admin, Analyst:
		return true
	case Township:
		return s.Township != "" && code == s.Township
	}
	return false
}

// CanSeeCase reports whether the scope may see a case routed to township
// townshipCode ("" for the county queue) whose household lives in village
// villageCode ("" when unknown). A village assistant sees only cases of
// her villages in her township: a case without a known village is her
// township officer's.
func (s Scope) CanSeeCase(townshipCode, villageCode string) bool {
	switch s.Role {
	case Admin, Analyst:
		return true
	case Township:
		return s.CanSeeTownship(townshipCode)
	case Village:
		return s.Township != "" && townshipCode == s.Township && s.HasVillage(villageCode)
	}
	return false
}

// HasVillage reports whether code is one of a village role's villages.
func (s Scope) HasVillage(code string) bool {
	return s.Role == Village && code != "" && slices.Contains(s.Villages, code)
}

// CanClose reports whether the scope may record a verification outcome
// (and so close a case): the county admin and township officers. The
// analyst reads only; a village assistant reports, a township decides.
// The case must also be in scope: see CanCloseCase.
func (s Scope) CanClose() bool { return s.Role == Admin || s.Role == Township }

// CanCloseCase is CanClose for one case: allowed and in scope.
func (s Scope) CanCloseCase(townshipCode, villageCode string) bool {
	return s.CanClose() && s.CanSeeCase(townshipCode, villageCode)
}

// CanReport reports whether the scope may file a ground report (主动发现):
// the county admin, township officers and village assistants. Where the
// report goes is decided by routing, not by the reporter's scope.
func (s Scope) CanReport() bool {
	return s.Role == Admin || s.Role == Township || s.Role == Village
}

// CanRequestExtension reports whether the scope may ask the county for
// more time on a case in its scope: township officers.
func (s Scope) CanRequestExtension() bool { return s.Role == Township }

// String describes the scope for logs, e.g. "township 340799001".
func (s Scope) String() string {
	switch s.Role {
	case Admin, Analyst:
		return string(s.Role) + " county"
	case Township:
		return "township " + s.Township
	case Village:
		return "village " + s.Township + " [" + strings.Join(s.Villages, ",") + "]"
	}
	return "no role"
}

// Field names the part of a scope a ScopeError is about.
type Field string

// The fields of a Scope, as a ScopeError names them.
const (
	FieldRole     Field = "role"
	FieldTownship Field = "township"
	FieldVillages Field = "villages"
)

// ScopeError is a scope that cannot be granted, naming the field at fault
// (so that a command line can name its flag and a form its input).
type ScopeError struct {
	Field Field
	Msg   string
}

func (e *ScopeError) Error() string { return string(e.Field) + ": " + e.Msg }

func scopeErr(f Field, format string, args ...any) error {
	return &ScopeError{Field: f, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks the scope's shape: a valid role; county roles with no
// township and no villages; a township role with a 9-digit township and no
// villages; a village role with a 9-digit township and one or more
// distinct 12-digit villages that belong to it (their code starts with
// the township's). The error is a *ScopeError.
func (s Scope) Validate() error {
	if !s.Role.Valid() {
		return scopeErr(FieldRole, "unknown role %q: want admin, analyst, township or village", s.Role)
	}
	if s.Role.County() {
		if s.Township != "" {
			return scopeErr(FieldTownship, "a county role (%s, %s) has no township; it sees the whole county", s.Role, s.Role.Chinese())
		}
		if len(s.Villages) > 0 {
			return scopeErr(FieldVillages, "a county role (%s, %s) has no villages", s.Role, s.Role.Chinese())
		}
		return nil
	}
	if s.Township == "" {
		return scopeErr(FieldTownship, "required for the %s role (%s): the 9-digit township code", s.Role, s.Role.Chinese())
	}
	if !digits(s.Township, 9) {
		return scopeErr(FieldTownship, "%q is not a 9-digit township code", s.Township)
	}
	if s.Role == Township {
		if len(s.Villages) > 0 {
			return scopeErr(FieldVillages, "only the village role (村协理员) has villages; a township officer sees her whole township")
		}
		return nil
	}
	if len(s.Villages) == 0 {
		return scopeErr(FieldVillages, "required for the village role (村协理员): one or more 12-digit village codes of township %s", s.Township)
	}
	seen := map[string]bool{}
	for _, v := range s.Villages {
		switch {
		case !digits(v, 12):
			return scopeErr(FieldVillages, "%q is not a 12-digit village code", v)
		case !strings.HasPrefix(v, s.Township):
			return scopeErr(FieldVillages, "village %s is not in township %s: its code must start with %s", v, s.Township, s.Township)
		case seen[v]:
			return scopeErr(FieldVillages, "village %s is listed twice", v)
		}
		seen[v] = true
	}
	return nil
}

// Known is what the county's configuration knows of its divisions: the
// townships accounts may be scoped to and, when a divisions file lists
// them, its villages.
type Known struct {
	County    string            // the six-digit county code
	Townships map[string]string // 9-digit code -> name (county.townships and the divisions file)
	Villages  map[string]string // 12-digit code -> name; empty when no divisions file lists villages
}

// Check validates the scope (Validate) and against the county: the
// township must be one of k.Townships in the county, and when k lists
// villages, every village must be one of them. The error is a *ScopeError.
func (s Scope) Check(k Known) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Role.County() {
		return nil
	}
	if k.County != "" && !strings.HasPrefix(s.Township, k.County) {
		return scopeErr(FieldTownship, "township %s is not in county %s", s.Township, k.County)
	}
	if len(k.Townships) == 0 {
		return scopeErr(FieldTownship, "no townships are configured (county.townships or county.divisions), so no account can be scoped to township %s", s.Township)
	}
	if _, ok := k.Townships[s.Township]; !ok {
		return scopeErr(FieldTownship, "%s is not a configured township of the county (county.townships, county.divisions)", s.Township)
	}
	if s.Role == Village && len(k.Villages) > 0 {
		for _, v := range s.Villages {
			if _, ok := k.Villages[v]; !ok {
				return scopeErr(FieldVillages, "village %s is not in the divisions file (county.divisions)", v)
			}
		}
	}
	return nil
}

// digits reports whether s is exactly n ASCII digits.
func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
