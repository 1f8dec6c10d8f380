package rule

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/expr-lang/expr/builtin"
	"go.yaml.in/yaml/v3"
)

// Type is the type of a fact or param as conditions see it.
type Type string

// The types a fact or param can have.
const (
	Number Type = "number" // float64: yuan, ratios
	Int    Type = "int"    // int64: counts, days, levels
	Bool   Type = "bool"
	String Type = "string"
)

var types = []string{string(Number), string(Int), string(Bool), string(String)}

// goType is the Go type values of t are held in.
func (t Type) goType() reflect.Type {
	switch t {
	case Number:
		return reflect.TypeFor[float64]()
	case Int:
		return reflect.TypeFor[int64]()
	case Bool:
		return reflect.TypeFor[bool]()
	}
	return reflect.TypeFor[string]()
}

// zero is t's zero value.
func (t Type) zero() any {
	switch t {
	case Number:
		return 0.0
	case Int:
		return int64(0)
	case Bool:
		return false
	}
	return ""
}

// Field is one fact: a column of its group's query, referred to in
// conditions as Group.Name (e.g. medical.oop_12m).
type Field struct {
	Group, Name string
	Type        Type
	// Default is the value of a person or household the group's query
	// returns no row (or NULL) for, of the Go type of Type.
	Default any
	Doc     string
	// Counts is "days" for a count of days since a date (counts: days in
	// facts.yaml): where the group's rows did not change and no edge
	// reached its key, the value grows by the days the evaluation date
	// moved, and NULL (the default) stays NULL. An incremental night then
	// moves the kept value instead of computing the group again for every
	// key it holds (what DATASET daily would do). "" for any other field.
	Counts string
	Pos    Pos
	// Index is the field's place in Pack.Fields, for Env.SetIndex.
	Index int
}

// Group is one facts query and the fields it returns.
type Group struct {
	Name string
	// Scope is "person" (keyed by id_number) or "household" (keyed by
	// household_id).
	Scope string
	Doc   string
	// SQL is the query as written in facts.yaml; it returns the key column
	// first, then one column per field.
	SQL string
	// Query is SQL as run: each param('NAME') replaced by a positional
	// parameter ($1, $2, ... padded with spaces to the call's length, so
	// lines and columns are SQL's). Params names the param bound to each,
	// in order: FactArgs gives their values at a date.
	Query  string
	Params []string
	// ChangesOn are the ways the evaluation date alone changes the
	// group's result (see Edge); nil when not declared, empty when
	// declared empty (the group does not change with the date).
	ChangesOn []Edge
	Fields    []Field // in file order
	// Tests are the fact tests beside the group (tests: in facts.yaml).
	Tests []*FactTest
	Pos   Pos

	place    sqlPlace     // where SQL is in facts.yaml
	refs     []paramRef   // every param('NAME') in SQL
	problems []sqlProblem // param calls that could not be read
}

// The two scopes of a group.
const (
	ScopePerson    = "person"
	ScopeHousehold = "household"
)

// paramsName is the name conditions use for the params; no group may
// take it.
const paramsName = "params"

// parseFacts reads facts.yaml. Groups or fields with a problem are
// reported and left out; their names are returned in broken so that
// conditions using them are not reported a second time.
//
// facts.yaml may also define params (params:), as any rule file may: those
// its queries read (param('NAME')) belong beside them, so that the facts
// load and are tested with facts.yaml alone.
func parseFacts(f *yfile, root *yaml.Node, params map[string]*Param, brokenParams map[string]bool) (groups []*Group, broken map[string]bool) {
	broken = map[string]bool{}
	if root == nil {
		f.c.add(Pos{File: f.name, Line: 1, Col: 1}, "no facts: write \"facts:\" and one group per query")
		return nil, broken
	}
	top, ok := f.keys(root, "", "a mapping with the key facts (and params)", "facts", "params")
	if !ok {
		return nil, broken
	}
	if pp, has := top["params"]; has {
		parseParams(f, pp.val, params, brokenParams)
	}
	fp, ok := top["facts"]
	if !ok {
		f.errf(root, "", "missing key facts")
		return nil, broken
	}
	gs, _ := f.mapping(fp.val, "facts", "a mapping of group names to groups")
	for _, gp := range gs {
		g, ok := parseGroup(f, gp)
		if g == nil {
			broken[gp.key.Value] = true
			continue
		}
		if !ok {
			broken[g.Name] = true // its fields may be partly missing
		}
		groups = append(groups, g)
	}
	if fp.val != nil && !broken[ScopePerson] && !slices.ContainsFunc(groups, func(g *Group) bool { return g.Name == ScopePerson }) {
		f.errf(fp.key, "facts", "missing group person (its rows are the people rules are evaluated for)")
		broken[ScopePerson] = true // rules using it are not reported again
	}
	return groups, broken
}

// reservedGroup says why a group name cannot be used, or "".
func reservedGroup(name string) string {
	switch {
	case name == paramsName:
		return "is where conditions find the params"
	case helperNames[name]:
		return "is a helper function"
	case slices.Contains(builtin.Names, name):
		return "is a built-in function of the condition language"
	case isGuardName(name):
		return "names starting with __lw_ are lipwatch's own"
	}
	return ""
}

// parseGroup reads one group; ok is false if anything in it was wrong.
func parseGroup(f *yfile, gp pair) (*Group, bool) {
	name := gp.key.Value
	ctx := "group " + name
	if !f.checkName(gp.key, "facts", "group") {
		return nil, false
	}
	if why := reservedGroup(name); why != "" {
		f.errf(gp.key, "facts", "group %q cannot be used: %s", name, why)
		return nil, false
	}
	m, ok := f.keys(gp.val, ctx, "a mapping with scope, doc, sql, changes_on, fields and tests", "scope", "doc", "sql", "changes_on", "fields", "tests")
	if !ok {
		return nil, false
	}
	g := &Group{Name: name, Pos: f.pos(gp.key)}
	good := true
	if p, has := m["scope"]; !has {
		f.missing(gp.key, ctx, "scope", "missing scope (person or household)")
		good = false
	} else if s, ok := f.text(p, ctx); ok {
		if s != ScopePerson && s != ScopeHousehold {
			f.errf(p.val, ctx, "scope must be person or household, not %s", s)
			good = false
		}
		g.Scope = s
	} else {
		good = false
	}
	if name == ScopePerson && g.Scope == ScopeHousehold {
		f.errf(m["scope"].val, ctx, "the group person must have scope person")
		good = false
	}
	if p, has := m["doc"]; has {
		g.Doc, _ = f.text(p, ctx)
	}
	if p, has := m["sql"]; !has {
		f.missing(gp.key, ctx, "sql", "missing sql (the query computing the fields)")
		good = false
	} else if s, ok := f.text(p, ctx); ok {
		g.SQL = s
		g.place = placeSQL(f, p.key, p.val)
		g.Query, g.Params, g.refs, g.problems = rewriteParams(s)
	} else {
		good = false
	}
	if p, has := m["changes_on"]; has && !isNull(p.val) {
		good = parseEdges(f, g, p, nil) && good
	}
	fp, has := m["fields"]
	if !has || isNull(fp.val) {
		f.missing(gp.key, ctx, "fields", "missing fields (one per column of the query)")
		return g, false
	}
	fs, ok := f.mapping(fp.val, ctx, "a mapping of field names to {type, default, counts, doc}")
	good = good && ok
	for _, p := range fs {
		fd, ok := parseField(f, name, p)
		if !ok {
			good = false
			continue
		}
		g.Fields = append(g.Fields, fd)
	}
	if name == ScopePerson && ok && !slices.ContainsFunc(g.Fields, func(fd Field) bool { return fd.Name == "household_id" && fd.Type == String }) {
		f.errf(fp.key, ctx, "missing field household_id of type string (it links each person to the household facts)")
		good = false
	}
	if tp, has := m["tests"]; has {
		// A test's expected value of a field that is not (or no longer,
		// renamed) declared is reported only when every field is well.
		fieldsOK := ok && len(g.Fields) == len(fs)
		tests, ok := parseFactTests(f, g, tp.val, fieldsOK)
		g.Tests = tests
		good = good && ok
	}
	return g, good
}

// parseField reads one field of group.
func parseField(f *yfile, group string, p pair) (Field, bool) {
	ctx := "group " + group + ": field " + p.key.Value
	if !f.checkName(p.key, "group "+group, "field") {
		return Field{}, false
	}
	m, ok := f.keys(p.val, ctx, "a mapping {type, default, counts, doc}", "type", "default", "counts", "doc")
	if !ok {
		return Field{}, false
	}
	fd := Field{Group: group, Name: p.key.Value, Pos: f.pos(p.key)}
	tp, has := m["type"]
	if !has {
		f.missing(p.key, ctx, "type", "missing type (number, int, bool or string)")
		return fd, false
	}
	t, ok := f.text(tp, ctx)
	if !ok {
		return fd, false
	}
	if !slices.Contains(types, t) {
		f.errf(tp.val, ctx, "unknown type %s (want number, int, bool or string)%s", t, hint(t, types))
		return fd, false
	}
	fd.Type = Type(t)
	fd.Default = fd.Type.zero()
	if dp, has := m["default"]; has && !isNull(dp.val) {
		raw, err := scalarValue(dp.val)
		if err == nil {
			fd.Default, err = convert(raw, fd.Type)
		}
		if x, ok := fd.Default.(float64); err == nil && ok && !finite(x) {
			err = fmt.Errorf("%s is not a finite number", dp.val.Value)
		}
		if err != nil {
			f.errf(dp.val, ctx, "default: %v", err)
			return fd, false
		}
	}
	if cp, has := m["counts"]; has && !isNull(cp.val) {
		c, ok := f.text(cp, ctx)
		if !ok {
			return fd, false
		}
		if c != "days" {
			f.errf(cp.val, ctx, "counts: unknown %s (want days: a count of days since a date, which grows by one a day)", c)
			return fd, false
		}
		if fd.Type != Int {
			f.errf(cp.val, ctx, "counts: days needs type int, not %s", fd.Type)
			return fd, false
		}
		fd.Counts = c
	}
	if dp, has := m["doc"]; has {
		fd.Doc, _ = f.text(dp, ctx)
	}
	return fd, true
}

// Counting returns the group's fields that count days (Field.Counts), in
// the order declared.
func (g *Group) Counting() []*Field {
	var out []*Field
	for i := range g.Fields {
		if g.Fields[i].Counts != "" {
			out = append(out, &g.Fields[i])
		}
	}
	return out
}
