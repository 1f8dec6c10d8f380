package evaluate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// The rules' SQL pre-filter must let through every person some rule hits
// or fails for (an over-approximation), whatever the facts: NULL (a
// person without a row in a group: the defaults), NaN and ±Inf, values at
// the params' edges, the largest ints. These tests put random facts into
// DuckDB as the night's fact tables, run every rule in Go over every
// person (the truth) and check each rule's predicate, evaluated by DuckDB
// on the same rows, and the night's WHERE (buildPrefilter) against it.

var prefilterDay = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// prefilterStats are what one check found, per rule.
type prefilterStats struct {
	exact      map[string]bool // the rule's predicate claims to be exact
	hits       map[string]int  // people the rule hits or fails for
	passed     map[string]int  // people its predicate lets through
	people     int
	candidates int // people the night's WHERE lets through
	needed     int // people some rule hits or fails for
	kept       int // people the anchors kept (keepPeople); -1: not narrowed
}

// factRows are random fact tables for pack: per group, rows of the key
// and each field's value (nil for NULL).
type factRows map[string][][]any

// randomFacts makes rows for n people in n/3 households. Values are drawn
// from pool per type, NULL at times; a person has a row in a person group
// other than person with probability 0.75, a household in a household
// group 0.8.
func randomFacts(rng *rand.Rand, pack *rule.Pack, n int, pool valuePool) factRows {
	rows := factRows{}
	households := max(1, n/3)
	for _, g := range pack.Groups {
		keys := n
		if g.Scope == "household" {
			keys = households
		}
		for k := 0; k < keys; k++ {
			if g.Name != "person" && rng.Float64() > 0.78 {
				continue
			}
			key := fmt.Sprintf("p%05d", k)
			if g.Scope == "household" {
				key = fmt.Sprintf("h%04d", k)
			}
			row := []any{key}
			for _, f := range g.Fields {
				var v any
				switch {
				case g.Name == "person" && f.Name == "household_id":
					if rng.IntN(10) > 0 {
						v = fmt.Sprintf("h%04d", rng.IntN(households+households/10+1))
					}
				case rng.IntN(8) == 0:
					v = nil
				default:
					v = pool.draw(rng, f.Type)
				}
				row = append(row, v)
			}
			rows[g.Name] = append(rows[g.Name], row)
		}
	}
	return rows
}

// valuePool holds the values facts are drawn from.
type valuePool struct {
	numbers []float64
	ints    []int64
	strings []string
}

func (p valuePool) draw(rng *rand.Rand, t rule.Type) any {
	switch t {
	case rule.Number:
		switch rng.IntN(40) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1 - 2*rng.IntN(2))
		case 2:
			return (rng.Float64() - 0.5) * 1e6
		case 3, 4:
			return []float64{1e308, -1e308, math.MaxFloat64, 1e200, -1e160}[rng.IntN(5)]
		}
		return p.numbers[rng.IntN(len(p.numbers))]
	case rule.Int:
		if rng.IntN(10) == 0 {
			return rng.Int64N(200) - 100
		}
		return p.ints[rng.IntN(len(p.ints))]
	case rule.Bool:
		return rng.IntN(5) < 3
	}
	return p.strings[rng.IntN(len(p.strings))]
}

// newPool gathers the edges: the params' values at the day and their
// neighbours, the literals of the rules' conditions, the facts' defaults.
func newPool(pack *rule.Pack, extra ...string) valuePool {
	p := valuePool{
		numbers: []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 2, 1e308, -1e308, 1.7976931348623157e308, 5e-324, 9007199254740993, 1 << 62},
		ints:    []int64{0, 1, 2, 3, -1, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, 1 << 53, 1<<53 + 1, 1 << 32},
		strings: append([]string{"", "active", "deceased", "cancelled", "unemployed", "é", "Z", "a'b", `\`, "dibao,tekun", "active "}, extra...),
	}
	addNum := func(x float64) {
		p.numbers = append(p.numbers, x, math.Nextafter(x, math.Inf(1)), math.Nextafter(x, math.Inf(-1)), x-1, x+1, x-0.01)
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			p.ints = append(p.ints, int64(x), int64(x)-1, int64(x)+1)
		}
	}
	for _, f := range pack.Fields() {
		switch d := f.Default.(type) {
		case float64:
			addNum(d)
		case int64:
			addNum(float64(d))
		case string:
			p.strings = append(p.strings, d)
		}
	}
	lit := regexp.MustCompile(`"([^"\\]*)"|\b(\d+(?:\.\d+)?)\b`)
	for _, r := range pack.Rules {
		for _, m := range lit.FindAllStringSubmatch(r.When, -1) {
			if m[2] != "" {
				x, _ := strconv.ParseFloat(m[2], 64)
				addNum(x)
			} else {
				p.strings = append(p.strings, m[1])
			}
		}
		for _, in := range r.Inputs() {
			group, name, _ := strings.Cut(in, ".")
			if group != "params" {
				continue
			}
			v, err := pack.Params[name].At(prefilterDay)
			if err != nil {
				continue
			}
			switch x := v.(type) {
			case float64:
				addNum(x)
			case int64:
				addNum(float64(x))
			case string:
				p.strings = append(p.strings, x)
			}
		}
	}
	// Products and shares of params meet facts at their edges too.
	names := slices.Sorted(maps.Keys(pack.Params))
	for _, a := range names {
		for _, b := range names {
			x, ok1 := numberOf(pack.Params[a], prefilterDay)
			y, ok2 := numberOf(pack.Params[b], prefilterDay)
			if ok1 && ok2 && a != b {
				addNum(x * y)
			}
		}
	}
	return p
}

func numberOf(p *rule.Param, day time.Time) (float64, bool) {
	v, err := p.At(day)
	if err != nil {
		return 0, false
	}
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// loadFacts creates the fact tables f_GROUP on conn from rows, with each
// field's column of the type colType gives (a cast of the declared one;
// a value that does not cast is NULL).
func loadFacts(t *testing.T, conn *sql.Conn, pack *rule.Pack, rows factRows, colType func(g *rule.Group, f *rule.Field) string) {
	t.Helper()
	ctx := context.Background()
	for _, g := range pack.Groups {
		cols := []string{keyColumn(g) + " VARCHAR"}
		casts := []string{keyColumn(g)}
		for k := range g.Fields {
			f := &g.Fields[k]
			cols = append(cols, fmt.Sprintf(`"%s" %s`, f.Name, sqlType(f.Type)))
			casts = append(casts, fmt.Sprintf(`TRY_CAST("%[1]s" AS %[2]s) AS "%[1]s"`, f.Name, colType(g, f)))
		}
		mustExec(t, conn, `CREATE OR REPLACE TEMP TABLE raw_facts (`+strings.Join(cols, ", ")+`)`)
		marks := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		for rs := rows[g.Name]; len(rs) > 0; {
			batch := rs[:min(len(rs), 200)]
			rs = rs[len(batch):]
			var args []any
			for _, r := range batch {
				args = append(args, r...)
			}
			q := `INSERT INTO raw_facts VALUES ` + strings.TrimSuffix(strings.Repeat(marks+", ", len(batch)), ", ")
			if _, err := conn.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
		}
		mustExec(t, conn, `CREATE OR REPLACE TEMP TABLE `+table(g)+` AS SELECT `+strings.Join(casts, ", ")+` FROM raw_facts`)
	}
}

func mustExec(t *testing.T, conn *sql.Conn, q string) {
	t.Helper()
	if _, err := conn.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// checkPrefilter runs rules over every person of the fact tables on conn
// in Go and checks every rule's predicate and the night's WHERE against
// it. A predicate that claims to be exact must be TRUE exactly where the
// rule hits or fails.
func checkPrefilter(t *testing.T, conn *sql.Conn, pack *rule.Pack, rules []*rule.Rule) prefilterStats {
	t.Helper()
	ctx := context.Background()
	st := prefilterStats{exact: map[string]bool{}, hits: map[string]int{}, passed: map[string]int{}}
	env, err := pack.NewEnv(prefilterDay)
	if err != nil {
		t.Fatal(err)
	}
	// The truth: every rule on every person, as Hits runs them.
	q, fields := wideQuery(pack)
	truth := map[string][]bool{} // id → per rule: hit or failed
	var ids []string
	err = eachPerson(ctx, conn, q, fields, env, func(id string, _ []any) error {
		ids = append(ids, id)
		row := make([]bool, len(rules))
		for k, r := range rules {
			hit, _, err := r.Eval(env)
			var ee *rule.EvalError
			switch {
			case errors.As(err, &ee):
				row[k] = true
			case err != nil:
				return err
			case hit:
				row[k] = true
				if _, err := r.SeverityOf(env); err != nil && !errors.As(err, &ee) {
					return err
				}
			}
		}
		truth[id] = row
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.people = len(ids)

	// Each rule's predicate, evaluated by DuckDB on the same rows.
	pf, err := buildPrefilter(ctx, conn, pack, rules, prefilterDay, true)
	if err != nil {
		t.Fatal(err)
	}
	if pf.people != st.people {
		t.Errorf("buildPrefilter counts %d people, the wide query has %d", pf.people, st.people)
	}
	st.kept = pf.kept
	cols := map[string]string{}
	for _, g := range pack.Groups {
		types, err := columnTypes(ctx, conn, table(g))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range g.Fields {
			c, _ := factColumn(f.Type, fmt.Sprintf(`"g_%s"."%s"`, g.Name, f.Name), types[f.Name])
			cols[g.Name+"."+f.Name] = c
		}
	}
	var preds []string
	for _, r := range rules {
		p, exact := r.Prefilter(prefilterDay, func(g, f string) string { return cols[g+"."+f] })
		st.exact[r.ID] = exact
		preds = append(preds, fmt.Sprintf("(%s) AS c%d", p, len(preds)))
	}
	if len(preds) > 0 {
		rows, err := conn.QueryContext(ctx, `SELECT "g_person".id_number, `+strings.Join(preds, ",\n")+` FROM `+wideFrom(pack)+` ORDER BY 1`)
		if err != nil {
			t.Fatalf("the predicates do not run: %v", err)
		}
		vals := make([]sql.NullBool, len(rules))
		ptrs := []any{new(string)}
		for k := range vals {
			ptrs = append(ptrs, &vals[k])
		}
		bad := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			id := *ptrs[0].(*string)
			for k, r := range rules {
				if !vals[k].Valid {
					t.Fatalf("rule %s: the predicate is NULL for %s", r.ID, id)
				}
				want := truth[id][k]
				if want {
					st.hits[r.ID]++
				}
				if vals[k].Bool {
					st.passed[r.ID]++
				}
				if want && !vals[k].Bool || st.exact[r.ID] && want != vals[k].Bool {
					if bad++; bad <= 10 {
						t.Errorf("rule %s (%s): expr says hit-or-fail %v, the predicate (exact %v) %v on %s; facts %s\npredicate: %s",
							r.ID, r.When, want, st.exact[r.ID], vals[k].Bool, id, factsOf(t, conn, pack, id), preds[k])
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}

	// The night's WHERE keeps everybody some rule hits or fails for, in
	// the same order.
	q, _ = pf.query(pack)
	var kept []string
	if err := eachPerson(ctx, conn, q, fields, env, func(id string, _ []any) error {
		kept = append(kept, id)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st.candidates = len(kept)
	for _, id := range ids {
		if slices.Contains(truth[id], true) {
			st.needed++
			if _, found := slices.BinarySearch(kept, id); !found {
				t.Errorf("the night's WHERE leaves out %s, whom a rule hits or fails for", id)
			}
		}
	}
	if !slices.IsSorted(kept) {
		t.Errorf("candidates are not in ID order")
	}
	return st
}

// factsOf prints a person's wide row, for failures.
func factsOf(t *testing.T, conn *sql.Conn, pack *rule.Pack, id string) string {
	q, fields := wideQuery(pack)
	rows, err := conn.QueryContext(context.Background(), `SELECT * FROM (`+q+`) WHERE id_number = '`+id+`'`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	vals := make([]any, len(fields)+1)
	ptrs := make([]any, len(vals))
	for k := range vals {
		ptrs[k] = &vals[k]
	}
	if !rows.Next() {
		return "(none)"
	}
	rows.Scan(ptrs...)
	var b strings.Builder
	for k, f := range fields {
		if vals[k+1] != nil {
			fmt.Fprintf(&b, "%s.%s=%v ", f.Group, f.Name, vals[k+1])
		}
	}
	return b.String()
}

func memConn(t *testing.T) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func enabled(pack *rule.Pack) []*rule.Rule {
	var rs []*rule.Rule
	for _, r := range pack.Rules {
		if r.Enabled {
			rs = append(rs, r)
		}
	}
	return rs
}

// TestPrefilterDefaultPack: every rule of the shipped pack, on random
// facts at the edges of its params, with the fact columns in their
// declared types and in others the fact queries may give (INTEGER,
// DECIMAL, HUGEINT, FLOAT, ...). Reports how many predicates are exact
// and how tight each is.
func TestPrefilterDefaultPack(t *testing.T) {
	pack, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	rules := enabled(pack)
	pool := newPool(pack)
	variants := map[string]func(g *rule.Group, f *rule.Field) string{
		"declared": func(_ *rule.Group, f *rule.Field) string { return sqlType(f.Type) },
		"other types": func(g *rule.Group, f *rule.Field) string {
			h := len(g.Name) + len(f.Name)
			switch f.Type {
			case rule.Number:
				return []string{"DOUBLE", "DECIMAL(18,2)", "FLOAT", "BIGINT", "HUGEINT"}[h%5]
			case rule.Int:
				return []string{"BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "SMALLINT", "DECIMAL(9,0)"}[h%6]
			}
			return sqlType(f.Type)
		},
	}
	for name, colType := range variants {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				rng := rand.New(rand.NewPCG(seed, 14))
				conn := memConn(t)
				loadFacts(t, conn, pack, randomFacts(rng, pack, 3000, pool), colType)
				st := checkPrefilter(t, conn, pack, rules)
				if seed > 1 {
					continue
				}
				exact := 0
				for _, r := range rules {
					if st.exact[r.ID] {
						exact++
					}
					t.Logf("%-28s exact %-5v hit or failed %4d, predicate TRUE %4d", r.ID, st.exact[r.ID], st.hits[r.ID], st.passed[r.ID])
				}
				t.Logf("%d of %d rules exact; %d people, %d needed by some rule, %d kept by the anchors, %d candidates",
					exact, len(rules), st.people, st.needed, st.kept, st.candidates)
				if name == "declared" && exact != len(rules) {
					t.Errorf("%d of %d predicates of the shipped pack are exact: every one was", exact, len(rules))
				}
				if name == "declared" && (st.needed == 0 || st.candidates >= st.people) {
					t.Errorf("the facts are not telling: %d people, %d needed, %d candidates", st.people, st.needed, st.candidates)
				}
				if name == "declared" && (st.kept < 0 || st.kept >= st.people) {
					t.Errorf("the anchors kept %d of %d people: every shipped rule has an anchor, which keeps fewer", st.kept, st.people)
				}
			}
		})
	}
}

// TestPrefilterKeepsConversionFailures: a fact column whose values cannot
// be converted (text for a number) stops the evaluation as it did before
// the pre-filter, even for a person no rule could hit.
func TestPrefilterKeepsConversionFailures(t *testing.T) {
	pack, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	conn := memConn(t)
	rng := rand.New(rand.NewPCG(7, 7))
	rows := randomFacts(rng, pack, 50, newPool(pack))
	loadFacts(t, conn, pack, rows, func(_ *rule.Group, f *rule.Field) string { return sqlType(f.Type) })
	mustExec(t, conn, `CREATE OR REPLACE TEMP TABLE "f_property" AS SELECT * REPLACE ('a lot' AS home_area) FROM "f_property" LIMIT 1`)
	pf, err := buildPrefilter(context.Background(), conn, pack, enabled(pack), prefilterDay, true)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := pack.NewEnv(prefilterDay)
	q, fields := pf.query(pack)
	err = eachPerson(context.Background(), conn, q, fields, env, func(string, []any) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `property.home_area: want number, got text "a lot"`) {
		t.Errorf("got %v", err)
	}
}

// TestPrefilterRandomConditions: random conditions over the shipped facts
// and params of every type (arithmetic that overflows and divides by
// zero, NaN facts, ints at their limits, texts, in, ?:, min and max,
// helper functions the translation does not know), each checked as a
// rule against expr on random facts. Set LIPWATCH_PREFILTER_ROUNDS for a
// longer run.
func TestPrefilterRandomConditions(t *testing.T) {
	rounds := 4
	if s := os.Getenv("LIPWATCH_PREFILTER_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	shipped, err := os.ReadFile("../../rules/facts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := writePack(t, shipped, randomParams)
	exact, total, withAnchor, kept, people := 0, 0, 0, 0, 0
	for round := 0; round < rounds; round++ {
		rng := rand.New(rand.NewPCG(uint64(round), 99))
		g := &condGen{rng: rng, pack: base}
		var b strings.Builder
		b.WriteString(randomParams + "rules:\n")
		for k := 0; k < 150; k++ {
			fmt.Fprintf(&b, "  - id: R%d\n    title: t\n    level: red\n    when: %q\n", k, g.bool(4))
		}
		pack := writePack(t, shipped, b.String())
		conn := memConn(t)
		loadFacts(t, conn, pack, randomFacts(rng, pack, 400, newPool(pack, "ps", "a")), func(_ *rule.Group, f *rule.Field) string {
			return sqlType(f.Type)
		})
		st := checkPrefilter(t, conn, pack, pack.Rules)
		for _, r := range pack.Rules {
			total++
			if st.exact[r.ID] {
				exact++
			}
		}
		// The anchors: the rules that have one, ten at a time (a night
		// with a rule that has none is not narrowed).
		rs := anchoredRules(t, conn, pack, pack.Rules)
		withAnchor += len(rs)
		for len(rs) > 0 {
			chunk := rs[:min(10, len(rs))]
			rs = rs[len(chunk):]
			if st := checkPrefilter(t, conn, pack, chunk); st.kept < 0 {
				t.Errorf("rules that each have an anchor were not narrowed")
			} else {
				kept, people = kept+st.kept, people+st.people
			}
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("%d random conditions, %d of them translated exactly, %d with an anchor (which kept %d of %d people)",
		total, exact, withAnchor, kept, people)
}

// anchoredRules is the rules of rules that have an anchor on the fact
// tables on conn.
func anchoredRules(t *testing.T, conn *sql.Conn, pack *rule.Pack, rules []*rule.Rule) []*rule.Rule {
	t.Helper()
	ctx := context.Background()
	cols := map[string]map[string]string{}
	for _, g := range pack.Groups {
		gc, _, err := groupColumns(ctx, conn, g, table(g))
		if err != nil {
			t.Fatal(err)
		}
		cols[g.Name] = gc
	}
	all := anchors(pack, rules, prefilterDay, cols)
	if err := measure(ctx, conn, pack, all); err != nil {
		t.Fatal(err)
	}
	var out []*rule.Rule
	for _, a := range all {
		if a.valid && !slices.Contains(out, a.rule) {
			out = append(out, a.rule)
		}
	}
	return out
}

const randomParams = `params:
  pi: {values: {2024-01-01: 90}}
  pz: {values: {2024-01-01: 0}}
  pf: {values: {2024-01-01: 0.45}}
  pbig: {values: {2024-01-01: 9223372036854775807}}
  ps: {values: {2024-01-01: "active"}}
  pb: {values: {2024-01-01: true}}
`

// writePack writes facts.yaml and one rule file into a folder and loads it.
func writePack(t *testing.T, facts []byte, rules string) *rule.Pack {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "facts.yaml"), facts, 0o644)
	os.WriteFile(filepath.Join(dir, "random.yaml"), []byte(rules), 0o644)
	p, err := rule.Load(dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, rules)
	}
	return p
}

// condGen writes random well-typed conditions.
type condGen struct {
	rng  *rand.Rand
	pack *rule.Pack
}

func (g *condGen) field(t rule.Type) string {
	var names []string
	for _, f := range g.pack.Fields() {
		if f.Type == t {
			names = append(names, f.Group+"."+f.Name)
		}
	}
	return names[g.rng.IntN(len(names))]
}

func (g *condGen) pick(opts ...string) string { return opts[g.rng.IntN(len(opts))] }

func (g *condGen) bool(depth int) string {
	if depth <= 0 {
		return g.pick(g.field(rule.Bool), g.field(rule.Bool), "params.pb", "true", "false")
	}
	d := depth - 1
	switch g.rng.IntN(16) {
	case 0, 1:
		return g.bool(d) + " && " + g.bool(d)
	case 2:
		return "(" + g.bool(d) + " || " + g.bool(d) + ")"
	case 3:
		return "!(" + g.bool(d) + ")"
	case 4, 5, 6:
		a, _ := g.num(d)
		b, _ := g.num(d)
		return a + " " + g.pick("==", "!=", "<", "<=", ">", ">=") + " " + b
	case 7:
		return g.str(d) + " " + g.pick("==", "!=", "<", ">=") + " " + g.str(d)
	case 8:
		a, _ := g.num(d)
		return a + " in [" + g.lit() + ", " + g.lit() + "]"
	case 9:
		return g.field(rule.Int) + g.pick(" in ", " not in ") + g.pick("1..2", "0..0", "-5..params.pi", "params.pz..3")
	case 10:
		return g.str(d) + " in [" + g.strLit() + ", " + g.strLit() + "]"
	case 11:
		return "(" + g.bool(d) + " ? " + g.bool(d) + " : " + g.bool(d) + ")"
	case 12:
		return g.str(d) + " " + g.pick("contains", "startsWith", "endsWith") + " " + g.str(d)
	case 13:
		return "(" + g.bool(d) + ") == " + g.bool(0)
	case 14:
		return g.pick(`category_name(disability.category) == "肢体残疾"`, `len(person.status) > 3`, `abs(`+g.field(rule.Number)+`) > 1`,
			g.field(rule.Number)+" ** 2 > 4")
	}
	return g.bool(0)
}

// num is a number or int expression and whether it is an int.
func (g *condGen) num(depth int) (string, bool) {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		switch g.rng.IntN(6) {
		case 0, 1:
			return g.field(rule.Number), false
		case 2, 3:
			return g.field(rule.Int), true
		case 4:
			return g.pick("params.pi", "params.pz", "params.pbig"), true
		}
		l := g.lit()
		return l, !strings.ContainsAny(l, ".e")
	}
	d := depth - 1
	a, ai := g.num(d)
	b, bi := g.num(d)
	switch g.rng.IntN(9) {
	case 0, 1, 2:
		return "(" + a + " " + g.pick("+", "-", "*") + " " + b + ")", ai && bi
	case 3:
		if _, err := strconv.ParseFloat(b, 64); err == nil {
			b = g.pick(g.field(rule.Int), g.field(rule.Number), "params.pz", "3") // a literal 0 is refused at load
		}
		return "(" + g.field(rule.Number) + " / " + b + ")", false
	case 4:
		return "(" + g.field(rule.Int) + " % " + g.pick(g.field(rule.Int), "params.pz", "3", "-1") + ")", true
	case 5:
		return "-(" + a + ")", ai
	case 6:
		return g.pick("min", "max") + "(" + a + ", " + b + ")", ai && bi
	case 7:
		return "(" + g.bool(0) + " ? " + a + " : " + b + ")", ai && bi
	}
	return a + " * params.pf", false
}

func (g *condGen) lit() string {
	return g.pick("0", "1", "2", "-1", "90", "20000", "0.5", "1e308", "-1e308", "9223372036854775807", "-9223372036854775807",
		"4611686018427387904", "1e-300", "18591.3", "0.1", "3")
}

func (g *condGen) str(depth int) string {
	switch g.rng.IntN(5) {
	case 0, 1:
		return g.field(rule.String)
	case 2:
		return g.strLit()
	case 3:
		if depth > 0 {
			return "(" + g.str(depth-1) + " + " + g.str(depth-1) + ")"
		}
	}
	return "params.ps"
}

func (g *condGen) strLit() string {
	return strconv.Quote(g.pick("", "active", "a", "é", "a'b", `\`, "deceased", "dibao"))
}
