package evaluate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// The rules' pre-filter. Rather than stream every person's wide row into
// Go and run every rule on it, the wide query keeps only the candidates:
// the people for whom some rule's condition, translated into SQL by
// rule.Prefilter (a conservative over-approximation), could be true or
// could fail. The rules still run in Go on each candidate, so verdicts,
// reasons, severities and evaluation errors are exactly those of running
// every rule over every person; only people no rule could hit or fail for
// are skipped. Before it, the rules' anchors (anchor.go) find a superset of
// the candidates group by group, so that the wide query joins the facts of
// those people alone.

// prefilter is the wide query's WHERE for one night.
type prefilter struct {
	where  string // over the wide query's aliases; "TRUE" keeps everybody
	people int    // rows of f_person: the people evaluated
	exact  int    // rules whose predicate is exact (tight)
	kept   int    // people in eval_kept (keepPeople); -1: not narrowed
	// anchorErr is why keepPeople failed (the night is not narrowed).
	anchorErr error
}

// query is the night's wide query: wideQueryWhere, over the people kept
// alone when they were found (keepPeople).
func (pf prefilter) query(pack *rule.Pack) (string, []*rule.Field) {
	return wideQueryOf(pack, pf.where, pf.kept >= 0)
}

// prefilterOff makes every night keep every person (tests compare the
// two).
var prefilterOff = false

// buildPrefilter builds the WHERE that keeps the candidates of rules (the
// rules evaluated tonight) at day, from the fact tables computed on conn,
// and counts the people; with anchored, it finds the people the rules'
// anchors keep (keepPeople) for the wide query. An incremental night's
// facts are views over the prior facts of the people evaluated again,
// already narrowed (narrowWhere), which every scan computes again: there
// the anchors cost 0.3 s and saved 0.03 s (21,299 people, issue 14).
//
// A fact is read in the predicate only when its column's DuckDB type
// gives the values rule.Env.SetIndex gets (factColumn); a column of
// another type that could make SetIndex fail for some value (text for a
// number, say) keeps every person holding a non-NULL value in it, so that
// the evaluation stops on it as it would without the pre-filter.
func buildPrefilter(ctx context.Context, conn *sql.Conn, pack *rule.Pack, rules []*rule.Rule, day time.Time, anchored bool) (prefilter, error) {
	pf := prefilter{kept: -1}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM "f_person"`).Scan(&pf.people); err != nil {
		return pf, fmt.Errorf("facts: counting people: %w", err)
	}
	cols := map[string]string{}
	byGroup := map[string]map[string]string{}
	troubles := map[string]string{}
	where := "FALSE"
	for _, g := range pack.Groups {
		gc, trouble, err := groupColumns(ctx, conn, g, table(g))
		if err != nil {
			return pf, err
		}
		for f, c := range gc {
			cols[g.Name+"."+f] = c
		}
		byGroup[g.Name], troubles[g.Name] = gc, trouble
		if trouble != "FALSE" {
			where = orSQL(where, trouble)
		}
	}
	column := func(group, field string) string { return cols[group+"."+field] }
	for _, r := range rules {
		p, exact := r.Prefilter(day, column)
		if exact {
			pf.exact++
		}
		where = orSQL(where, p)
	}
	if prefilterOff {
		where = "TRUE"
	}
	pf.where = where
	if where == "TRUE" || !anchored {
		return pf, nil
	}
	// The anchors only spare work: when their query fails, everyone
	// reaches the wide query, as before them (Hits logs why).
	kept, err := keepPeople(ctx, conn, pack, rules, day, byGroup, troubles)
	switch {
	case ctx.Err() != nil:
		return pf, ctx.Err()
	case err != nil:
		pf.anchorErr = err
	default:
		pf.kept = kept
	}
	return pf, nil
}

// The narrowing of an incremental night. A date edge (or new rows)
// changes a group's facts for its keys; only the rules that read the
// group can give such a key another verdict, reason or severity than the
// prior evaluation gave it. A key's rules run again (its household's too,
// as before) when
//
//   - its facts of the group are not the prior evaluation's, field for
//     field, and some enabled rule whose condition reads the group could
//     hold or fail for it: the rule's pre-filter (rule.Prefilter), with the
//     group's fresh facts known and every other fact unknown, is TRUE for
//     it;
//   - it had a hit in the prior evaluation, or shares a household with one
//     who had (a rule reading the group only in its reason or severity, a
//     hit that ends);
//   - a new row names it.
//
// Any other key was not hit by a rule reading the group before (no prior
// hit) and is not now (its facts are those it had no hit on — the rules
// read nothing else, and a param that moves makes the night full — or the
// pre-filter, which over-approximates the condition, is FALSE), and
// the rules that do not read the group see the same facts: its hits are
// the prior evaluation's. The keys' facts are still replaced whole in the
// kept facts (keepFacts). TestIncrementalEqualsFull (engine/pipeline)
// compares the result with a full evaluation, day after day.

// narrowOff makes an incremental night run the rules again for every key
// a group's facts were computed for (tests compare the two).
var narrowOff = false

// narrowWithout takes one term out of the narrowing ("where": the
// pre-filter's, "prior": the prior hits', "same": the facts unchanged),
// for tests that show each is needed or works; "" in lipwatch.
var narrowWithout = ""

// narrowWhere is the SQL condition, over the group's fresh facts table
// aliased "g_<group>" (a LEFT JOIN: NULL columns where a key has no row,
// its facts keep their defaults), holding for every key some enabled rule
// whose condition reads the group could hold or fail for; "FALSE" when no
// rule's condition reads it.
func narrowWhere(ctx context.Context, conn *sql.Conn, pack *rule.Pack, g *rule.Group, day time.Time, fresh string) (string, error) {
	cols, where, err := groupColumns(ctx, conn, g, fresh)
	if err != nil {
		return "", err
	}
	column := func(group, field string) string {
		if group != g.Name {
			return "" // unknown: any value
		}
		return cols[field]
	}
	for _, r := range pack.Rules {
		if !r.Enabled || !r.ConditionReads(g.Name) {
			continue
		}
		p, _ := r.Prefilter(day, column)
		where = orSQL(where, p)
	}
	return where, nil
}

// groupColumns reads the pre-filter's columns of group g's facts from
// table, aliased "g_<group>" in the query: per field, the SQL of its value
// (factColumn; "" when unknown), and trouble, the SQL condition holding
// wherever converting some field's value could fail ("FALSE" when none
// can).
func groupColumns(ctx context.Context, conn *sql.Conn, g *rule.Group, table string) (cols map[string]string, trouble string, err error) {
	types, err := columnTypes(ctx, conn, table)
	if err != nil {
		return nil, "", fmt.Errorf("facts group %s: %w", g.Name, err)
	}
	cols, trouble = map[string]string{}, "FALSE"
	for i := range g.Fields {
		f := &g.Fields[i]
		ref := fmt.Sprintf(`"g_%s"."%s"`, g.Name, strings.ReplaceAll(f.Name, `"`, `""`))
		col, bad := factColumn(f.Type, ref, types[f.Name])
		cols[f.Name] = col
		if bad != "" {
			trouble = orSQL(trouble, bad)
		}
	}
	return cols, trouble, nil
}

func orSQL(a, b string) string {
	switch {
	case a == "TRUE" || b == "TRUE":
		return "TRUE"
	case a == "FALSE":
		return b
	}
	return a + "\n OR " + b
}

// columnTypes maps each column of a table to its DuckDB type name.
func columnTypes(ctx context.Context, conn *sql.Conn, table string) (map[string]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT * FROM `+table+` LIMIT 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, c := range cts {
		m[c.Name()] = c.DatabaseTypeName()
	}
	return m, rows.Err()
}

// factColumn is how the pre-filter reads a fact of type ft from the wide
// row's column ref of DuckDB type t: col is an SQL expression of the
// value the env gets (DOUBLE, BIGINT, BOOLEAN or VARCHAR; NULL where the
// fact keeps its default), "" when the SQL value could differ from the
// one Go converts (a DECIMAL read as a float64: the fact is then unknown
// to the pre-filter, and never NaN); trouble, when not "", is an SQL
// condition holding wherever converting the value could fail in
// rule.Env.SetIndex.
func factColumn(ft rule.Type, ref, t string) (col, trouble string) {
	exactInts := map[string]bool{"TINYINT": true, "SMALLINT": true, "INTEGER": true, "BIGINT": true,
		"UTINYINT": true, "USMALLINT": true, "UINTEGER": true}
	wideInts := map[string]bool{"UBIGINT": true, "HUGEINT": true, "UHUGEINT": true}
	switch ft {
	case rule.Number:
		switch {
		case t == "DOUBLE":
			return ref, ""
		case t == "FLOAT" || exactInts[t]:
			return "CAST(" + ref + " AS DOUBLE)", ""
		case wideInts[t] || strings.HasPrefix(t, "DECIMAL"):
			return "", "" // converted to float64 in Go, never fails
		}
	case rule.Int:
		switch {
		case exactInts[t]:
			return "CAST(" + ref + " AS BIGINT)", ""
		case wideInts[t]:
			// Go refuses a value outside int64.
			return "TRY_CAST(" + ref + " AS BIGINT)", "(" + ref + " IS NOT NULL AND TRY_CAST(" + ref + " AS BIGINT) IS NULL)"
		}
	case rule.Bool:
		if t == "BOOLEAN" {
			return ref, ""
		}
	case rule.String:
		if t == "VARCHAR" {
			return ref, ""
		}
	}
	return "", "(" + ref + " IS NOT NULL)"
}
