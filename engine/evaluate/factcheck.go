package evaluate

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/internal/textdist"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// OpenEmptyStore opens a new, empty store with every migration applied,
// in a private temporary folder removed by the returned close: the
// schema the fact queries are checked and tested against, never the
// county's data. It refuses file access like every store.
func OpenEmptyStore(ctx context.Context, holder string) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "lipwatch-rules-")
	if err != nil {
		return nil, nil, fmt.Errorf("empty store for the fact queries: %w", err)
	}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "empty.duckdb"), Holder: holder, Threads: 1})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("empty store for the fact queries: %w", err)
	}
	return st, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// CheckFactQueries checks every fact group of pack on st (an empty store
// with the schema: OpenEmptyStore) as the night runs them: the sandbox's
// check (CheckFacts), then the query itself run in a read-only
// transaction, with as_of() and its params bound (their latest values).
// It reports, at their place in facts.yaml and all at once: a query
// DuckDB refuses (a misspelt column or table, a syntax error: at the
// character DuckDB points to, else the sql: key), a first column that is
// not the group's key, a declared field the query does not return, and a
// field whose type does not fit its column's. A column the query returns
// that no field declares is a warning.
func CheckFactQueries(ctx context.Context, st *store.Store, pack *rule.Pack) (rule.Errors, []*rule.Warning, error) {
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	var errs rule.Errors
	var warns []*rule.Warning
	refused := map[*rule.Group]bool{}
	for _, ge := range checkGroups(ctx, conn, pack) {
		refused[ge.group] = true
		errs = append(errs, pack.FactError(ge.group.SQLPos(0, 0), "group %s: sql: %v", ge.group.Name, ge.err))
	}
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION READ ONLY`); err != nil {
		return nil, nil, fmt.Errorf("facts: starting the read-only transaction: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO as_of() AS DATE '%s'`, time.Now().Format(time.DateOnly))); err != nil {
		return nil, nil, fmt.Errorf("facts: %w", err)
	}
	for _, g := range pack.Groups {
		if refused[g] {
			continue
		}
		cols, nullKeys, err := resultColumns(ctx, conn, g.Query, pack.LatestFactArgs(g))
		if err != nil {
			pos, msg := g.ErrorPos(err, 0)
			errs = append(errs, pack.FactError(pos, "group %s: sql: %s", g.Name, msg))
			continue
		}
		// A row the query makes up without data (a UNION SELECT of
		// literals) whose key is NULL: a person group's would stop the
		// night (computeGroup), so it is refused here, before any night.
		if nullKeys > 0 && keyColumn(g) == "id_number" {
			errs = append(errs, pack.FactError(g.SQLPos(0, 0), "group %s: sql: the query returns %d rows whose id_number is NULL even on an empty store: every row of a person group names its person", g.Name, nullKeys))
		}
		e, w := checkColumns(pack, g, cols)
		errs, warns = append(errs, e...), append(warns, w...)
	}
	errs = append(errs, checkGiven(pack)...)
	e, w := checkEdges(pack)
	errs, warns = append(errs, e...), append(warns, w...)
	if len(errs) > 0 {
		errs = pack.SortErrors(errs)
	}
	return errs, pack.SortWarnings(warns), nil
}

// resultColumns runs q (on an empty store: no rows, unless the query makes
// some up from literals) and returns its columns' names and DuckDB types,
// and how many of its rows have a NULL first column (the key).
func resultColumns(ctx context.Context, conn *sql.Conn, q string, args []any) ([]*sql.ColumnType, int, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, 0, err
	}
	vals := make([]any, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	nulls := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, err
		}
		if len(vals) > 0 && vals[0] == nil {
			nulls++
		}
	}
	return cols, nulls, rows.Err()
}

// checkColumns compares a query's columns with its group's key and fields.
func checkColumns(pack *rule.Pack, g *rule.Group, cols []*sql.ColumnType) (rule.Errors, []*rule.Warning) {
	var errs rule.Errors
	var warns []*rule.Warning
	names := make([]string, len(cols))
	types := map[string]string{}
	for i, c := range cols {
		names[i] = c.Name()
		types[c.Name()] = c.DatabaseTypeName()
	}
	key := keyColumn(g)
	if len(names) == 0 || names[0] != key {
		errs = append(errs, pack.FactError(g.SQLPos(0, 0), "group %s: sql: the query's first column must be %s (scope %s), not %s",
			g.Name, key, g.Scope, strings.Join(names[:min(1, len(names))], "")))
	}
	declared := map[string]bool{key: true}
	for i := range g.Fields {
		f := &g.Fields[i]
		declared[f.Name] = true
		t, ok := types[f.Name]
		if !ok {
			errs = append(errs, pack.FactError(f.Pos, "group %s: field %s: the query returns no column %s (it returns %s)%s",
				g.Name, f.Name, f.Name, strings.Join(names, ", "), suggest(f.Name, names)))
			continue
		}
		if !fits(f.Type, t) {
			errs = append(errs, pack.FactError(f.Pos, "group %s: field %s: declared %s, but the query's column is %s (%s)",
				g.Name, f.Name, f.Type, t, castHint(f.Type)))
		}
	}
	for _, n := range names[min(1, len(names)):] {
		if !declared[n] {
			warns = append(warns, pack.FactWarning(g.SQLPos(0, 0), "group %s: sql: the query returns column %s, which no field declares: rules cannot read it (declare it under fields:, or leave it out)", g.Name, n))
		}
	}
	return errs, warns
}

// suggest is " (did you mean x?)" for the column closest to name.
func suggest(name string, cols []string) string {
	best := textdist.Closest(name, cols)
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?: name the column with AS " + name + ")"
}

var (
	intTypes     = []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
	decimalScale = regexp.MustCompile(`^DECIMAL\(\d+,(\d+)\)$`)
)

// fits reports whether a column of DuckDB type t gives values a field of
// type ft takes (rule.Env.SetIndex): number takes any number, int the
// integers (and decimals without a fraction), bool BOOLEAN, string VARCHAR.
func fits(ft rule.Type, t string) bool {
	switch ft {
	case rule.Number:
		return slices.Contains(intTypes, t) || t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "DECIMAL")
	case rule.Int:
		if m := decimalScale.FindStringSubmatch(t); m != nil {
			return m[1] == "0"
		}
		return slices.Contains(intTypes, t)
	case rule.Bool:
		return t == "BOOLEAN"
	case rule.String:
		return t == "VARCHAR"
	}
	return false
}

// castHint says how to make a column fit a field's type.
func castHint(ft rule.Type) string {
	switch ft {
	case rule.Number:
		return "cast it: ::DOUBLE"
	case rule.Int:
		return "cast it: ::BIGINT, or round it first"
	case rule.Bool:
		return "compare it, e.g. x IS NOT NULL, or cast it: ::BOOLEAN"
	}
	return "cast it: ::VARCHAR"
}

// checkGiven checks the datasets and columns the fact tests give rows of
// (rules check; rules test reports the same as an ERROR of the test): an
// unknown one is an error at its place, with the closest name. Each
// unknown column is reported once per test.
func checkGiven(pack *rule.Pack) rule.Errors {
	var errs rule.Errors
	for _, g := range pack.Groups {
		for _, t := range g.Tests {
			seen := map[string]bool{}
			for _, gr := range t.Given {
				ds, ok := dataset.Lookup(gr.Dataset)
				if !ok {
					errs = append(errs, pack.FactError(gr.Pos, "group %s: test %q: given: %s is not a dataset%s", g.Name, t.Name,
						gr.Dataset, didYouMean(gr.Dataset, dataset.Names())))
					continue
				}
				names := append(ds.FieldNames(), "_load_id", "_position")
				for _, row := range gr.Rows {
					for _, c := range row.Cols {
						if slices.Contains(names, c.Name) || seen[gr.Dataset+"."+c.Name] {
							continue
						}
						seen[gr.Dataset+"."+c.Name] = true
						errs = append(errs, pack.FactError(c.Pos, "group %s: test %q: given: %s has no column %s%s", g.Name, t.Name,
							gr.Dataset, c.Name, didYouMean(c.Name, names)))
					}
				}
			}
		}
	}
	return errs
}

// didYouMean is " (did you mean X?)" for the closest of names, or "".
func didYouMean(word string, names []string) string {
	if best := textdist.Closest(word, names); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// checkEdges checks each group's changes_on against the datasets and
// params (rule.Edge): the dataset and its date column exist, a param
// offset names an int param. A group whose query reads as_of() without
// changes_on is a warning: every night after a night without new data is
// then a full evaluation.
func checkEdges(pack *rule.Pack) (rule.Errors, []*rule.Warning) {
	var errs rule.Errors
	var warns []*rule.Warning
	for _, g := range pack.Groups {
		switch {
		case g.UsesAsOf() && g.ChangesOn == nil:
			warns = append(warns, pack.FactWarning(g.Pos, "group %s reads as_of() but declares no changes_on: a night whose data did not change evaluates everyone (list how the date changes the group, see facts.yaml's header)", g.Name))
		case g.UsesAsOf() && len(g.ChangesOn) == 0:
			warns = append(warns, pack.FactWarning(g.Pos, "group %s reads as_of() but its changes_on is empty: an incremental night never computes it again when only the date moves (list how the date changes it, or leave changes_on out)", g.Name))
		}
		for _, e := range g.ChangesOn {
			ds, ok := dataset.Lookup(e.Dataset)
			if !ok {
				errs = append(errs, pack.FactError(e.Pos, "group %s: changes_on %s: no dataset %s%s", g.Name, e.Text, e.Dataset, didYouMean(e.Dataset, dataset.Names())))
				continue
			}
			_, hasID := ds.Field("id_number")
			_, hasHH := ds.Field("household_id")
			if !hasID && !hasHH {
				errs = append(errs, pack.FactError(e.Pos, "group %s: changes_on %s: dataset %s has neither id_number nor household_id", g.Name, e.Text, e.Dataset))
				continue
			}
			if e.Kind != rule.EdgeDaily {
				f, ok := ds.Field(e.Column)
				if !ok {
					errs = append(errs, pack.FactError(e.Pos, "group %s: changes_on %s: dataset %s has no column %s%s", g.Name, e.Text, e.Dataset, e.Column, didYouMean(e.Column, ds.FieldNames())))
					continue
				}
				if f.Type != dataset.Date && f.Type != dataset.Month {
					errs = append(errs, pack.FactError(e.Pos, "group %s: changes_on %s: %s.%s is not a date", g.Name, e.Text, e.Dataset, e.Column))
					continue
				}
			}
			if e.Param != "" {
				p, ok := pack.Params[e.Param]
				if !ok {
					errs = append(errs, pack.FactError(e.Pos, "group %s: changes_on %s: no param %s", g.Name, e.Text, e.Param))
				} else if p.Type != rule.Int {
					errs = append(errs, pack.FactError(e.Pos, "group %s: changes_on %s: param %s is %s, not int", g.Name, e.Text, e.Param, p.Type))
				}
			}
		}
	}
	return errs, warns
}
