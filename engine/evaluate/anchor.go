package evaluate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// The pre-filter's anchors. The wide query joins every group's facts onto
// every person before its WHERE keeps the candidates: on a night of a
// million people, 13 joins of a million rows each (1.1–1.4 s) for 21,671
// candidates. keepPeople first finds, group by group, a superset of the
// candidates, and the wide query then reads those people alone.
//
// A rule's anchor is a group g its condition reads such that the rule's
// pre-filter with g's facts alone known (every other fact unknown: any
// value) is FALSE where g's facts keep their defaults, as they do for a
// person without a row in g. The rule can then hold or fail only for a
// person whose row in g passes that predicate, which one scan of g's
// table finds. So the people kept are, for each rule, those whose rows
// pass the predicates of every anchor of the rule (found from its
// smallest anchor's keys, in one pass over the people); and, whatever the
// rules, everyone with a number fact that is NaN or ±Inf (a rule reading
// it fails, and the predicate of a fact it does not know does not say so)
// or a value that cannot be converted (the night stops on it, as it did
// without the pre-filter). A night where some rule has no anchor is not
// narrowed, nor an incremental one (buildPrefilter says why). The wide query's WHERE is then applied to the people kept:
// the candidates are every person some rule could hold or fail for, as
// without the anchors (and, where a predicate is not exact, maybe fewer
// of the others).

// householdPeople weighs a household anchor's households as people when a
// rule's smallest anchor is chosen: the synthetic county has 2.84 people
// a household (993,865 in 350,000). Only the choice depends on it.
const householdPeople = 3

// anchor is a group that could anchor a rule.
type anchor struct {
	rule  *rule.Rule
	group *rule.Group
	where string // the rule's pre-filter over the group's facts alone
	empty string // the same where the group's facts keep their defaults
	valid bool   // empty is FALSE: the group anchors the rule
	rows  int64  // keys of the group's table where `where` holds
}

// anchors returns, for each rule of rules at day, the groups that could
// anchor it: those its condition reads whose predicate is not TRUE, from
// the fact tables' columns cols (groupColumns', per group). measure says
// which do.
func anchors(pack *rule.Pack, rules []*rule.Rule, day time.Time, cols map[string]map[string]string) []*anchor {
	var all []*anchor
	for _, r := range rules {
		for _, g := range pack.Groups {
			if !r.ConditionReads(g.Name) {
				continue
			}
			types := map[string]rule.Type{}
			for _, f := range g.Fields {
				types[f.Name] = f.Type
			}
			known := func(group, field string) string {
				if group != g.Name {
					return ""
				}
				return cols[g.Name][field]
			}
			defaults := func(group, field string) string {
				if group != g.Name || cols[g.Name][field] == "" {
					return ""
				}
				return "CAST(NULL AS " + sqlType(types[field]) + ")"
			}
			w, _ := r.Prefilter(day, known)
			if w == "TRUE" {
				continue
			}
			e, _ := r.Prefilter(day, defaults)
			all = append(all, &anchor{rule: r, group: g, where: w, empty: e})
		}
	}
	return all
}

// measure sets each anchor's valid and rows in one query on conn: the
// constants of validity and, in one scan of each group's table, the keys
// its predicates keep. (Each statement costs DuckDB a few milliseconds
// whatever it reads: a statement per group made the anchors cost 0.3 s a
// night even for 21,299 people, issue 14.)
func measure(ctx context.Context, conn *sql.Conn, pack *rule.Pack, all []*anchor) error {
	if len(all) == 0 {
		return nil
	}
	var sel, from []string
	for i, a := range all {
		sel = append(sel, fmt.Sprintf("(%s) AS v%d", a.empty, i))
	}
	for gi, g := range pack.Groups {
		var counts []string
		for i, a := range all {
			if a.group == g {
				counts = append(counts, fmt.Sprintf("count(*) FILTER (WHERE %s) AS c%d", a.where, i))
				sel = append(sel, fmt.Sprintf("c%d", i))
			}
		}
		if len(counts) > 0 {
			from = append(from, fmt.Sprintf(`(SELECT %s FROM %s "g_%s") q%d`, strings.Join(counts, ", "), table(g), g.Name, gi))
		}
	}
	valid := make([]sql.NullBool, len(all))
	var ptrs []any
	for i := range valid {
		ptrs = append(ptrs, &valid[i])
	}
	for gi := range pack.Groups {
		for _, a := range all {
			if a.group == pack.Groups[gi] {
				ptrs = append(ptrs, &a.rows)
			}
		}
	}
	if err := conn.QueryRowContext(ctx, `SELECT `+strings.Join(sel, ",\n")+` FROM `+strings.Join(from, ", ")).Scan(ptrs...); err != nil {
		return fmt.Errorf("pre-filter anchors: %w", err)
	}
	for i, a := range all {
		a.valid = valid[i].Valid && !valid[i].Bool
	}
	return nil
}

// keepPeople makes the temp tables eval_kept (id_number, household_id: a
// superset of the people some rule of rules could hold or fail for at
// day, and of everyone with a troubled fact) and eval_kept_households
// (their 户号) from the fact tables on conn, as the comment above says.
// cols are groupColumns' columns of each group's fields, troubles its
// conversion trouble. It returns how many people it kept, or -1 when some
// rule has no anchor (no table is made).
func keepPeople(ctx context.Context, conn *sql.Conn, pack *rule.Pack, rules []*rule.Rule, day time.Time,
	cols map[string]map[string]string, troubles map[string]string) (int, error) {
	all := anchors(pack, rules, day, cols)
	if err := measure(ctx, conn, pack, all); err != nil {
		return 0, err
	}
	// Each rule's smallest anchor gives a superset of the people kept: one
	// pass over the people. Then every anchor of each rule narrows it.
	flag := map[*anchor]string{} // a valid anchor → its column in its group's keys
	chosen := map[*rule.Group][]string{}
	var refine []string // per rule: every anchor's flag
	for _, r := range rules {
		var best *anchor
		var each []string
		for i, a := range all {
			if a.rule != r || !a.valid {
				continue
			}
			if best == nil || weight(a) < weight(best) {
				best = a
			}
			flag[a] = fmt.Sprintf("a%d", i)
			each = append(each, fmt.Sprintf("coalesce(x%d.a%d, false)", slices.Index(pack.Groups, a.group), i))
		}
		if best == nil {
			return -1, nil
		}
		chosen[best.group] = append(chosen[best.group], flag[best])
		refine = append(refine, "("+strings.Join(each, " AND ")+")")
	}
	// Each group's keys that pass some valid anchor's predicate or have a
	// troubled fact, with a flag per anchor (one scan of each group).
	var with, people, households, joins []string
	for i, g := range pack.Groups {
		trouble := troubleOf(g, cols[g.Name], troubles[g.Name])
		sel, pass := []string{keyColumn(g) + " AS k", "(" + trouble + ") AS t"}, []string{"(" + trouble + ")"}
		for j, a := range all {
			if a.group == g && flag[a] != "" {
				sel = append(sel, fmt.Sprintf("(%s) AS a%d", a.where, j))
				pass = append(pass, "("+a.where+")")
			}
		}
		if len(sel) == 2 && trouble == "FALSE" {
			continue
		}
		with = append(with, fmt.Sprintf(`x%d AS (SELECT %s FROM %s "g_%s" WHERE %s)`, i, strings.Join(sel, ", "), table(g), g.Name,
			strings.Join(pass, "\n OR ")))
		q := fmt.Sprintf(`SELECT k FROM x%d WHERE %s`, i, strings.Join(append(chosen[g], "t"), " OR "))
		on := "id_number"
		if g.Scope == "household" {
			households, on = append(households, q), "household_id"
		} else {
			people = append(people, q)
		}
		joins = append(joins, fmt.Sprintf(`LEFT JOIN x%d ON x%d.k = kept.%s`, i, i, on))
		refine = append(refine, fmt.Sprintf("coalesce(x%d.t, false)", i))
	}
	in := []string{"FALSE"}
	if len(people) > 0 {
		in = append(in, `id_number IN (`+strings.Join(people, "\nUNION ALL\n")+`)`)
	}
	if len(households) > 0 {
		in = append(in, `household_id IN (`+strings.Join(households, "\nUNION ALL\n")+`)`)
	}
	with = append(with, `kept AS (SELECT id_number, household_id FROM "f_person" WHERE `+strings.Join(in, " OR ")+`)`)
	var kept int
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE eval_kept AS WITH ` + strings.Join(with, ",\n") + `
		SELECT kept.id_number, kept.household_id FROM kept ` + strings.Join(joins, " ") + `
		WHERE ` + strings.Join(append(refine, "FALSE"), "\n OR "),
		`CREATE OR REPLACE TEMP TABLE eval_kept_households AS SELECT DISTINCT household_id FROM temp.main.eval_kept`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("pre-filter anchors: %w", err)
		}
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM temp.main.eval_kept`).Scan(&kept); err != nil {
		return 0, fmt.Errorf("pre-filter anchors: %w", err)
	}
	return kept, nil
}

// troubleOf is the SQL condition over group g's facts (cols, groupColumns'
// trouble) holding where a fact's value cannot be converted or a number
// fact is NaN or ±Inf; "FALSE" when none can be.
func troubleOf(g *rule.Group, cols map[string]string, trouble string) string {
	if trouble == "" {
		trouble = "FALSE"
	}
	for _, f := range g.Fields {
		if c := cols[f.Name]; f.Type == rule.Number && c != "" {
			trouble = orSQL(trouble, "(NOT isfinite(coalesce("+c+", CAST(0 AS DOUBLE))))")
		}
	}
	return trouble
}

// weight is the people an anchor keeps, households counted as
// householdPeople people.
func weight(a *anchor) int64 {
	if a.group.Scope == "household" {
		return a.rows * householdPeople
	}
	return a.rows
}

// sqlType is the DuckDB type a fact of type t is declared in, and of the
// pre-filter's column of it (factColumn).
func sqlType(t rule.Type) string {
	switch t {
	case rule.Number:
		return "DOUBLE"
	case rule.Int:
		return "BIGINT"
	case rule.Bool:
		return "BOOLEAN"
	}
	return "VARCHAR"
}
