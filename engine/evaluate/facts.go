// Package evaluate computes the facts of rules/facts.yaml in DuckDB at an
// evaluation date, runs the analysts' rules over every person, and turns
// the hits into warning cases in the store. Facts are set-based SQL, one
// query per group; only the rule conditions run in Go, once per person.
package evaluate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// factTables computes every fact group into a temp table f_<group> on conn,
// with as_of() fixed to day, and checks that each query returns the
// columns its group declares, one row per key.
//
// Each query runs in a READ ONLY transaction of its own: whatever got past
// CheckFacts still cannot write to the store (temp tables, which are the
// connection's own, are allowed there), and one group that fails on the
// county's data does not take the others with it. Every transaction ends
// before factTables returns, so the connection is clean for the reads that
// follow and for the pool.
//
// A group other than person that fails (its query errs on tonight's data,
// returns too few columns or several rows for one key) is returned in
// failed, with a stand-in table of its columns and no rows: the rules
// that read it are held back tonight (Hits), the others run. The person
// group failing, or the store, is an error: nobody can be evaluated.
func factTables(ctx context.Context, conn *sql.Conn, pack *rule.Pack, day time.Time) (failed map[string]error, err error) {
	// A pack loaded from files that changed since rules check still only
	// reads: checked again here, before any of it runs.
	if err := CheckFacts(ctx, conn, pack); err != nil {
		return nil, err
	}
	catalog, err := currentCatalog(ctx, conn)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO as_of() AS DATE '%s'`, day.Format(time.DateOnly))); err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	// registry_current read once for every group (copyRegistryCurrent);
	// the view again for what follows.
	undo, err := copyRegistryCurrent(ctx, conn, catalog, pack, pack.Groups, day, false)
	defer undo()
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	return computeFacts(ctx, conn, pack, day)
}

// computeFacts runs the (checked) fact queries, each in its own read-only
// transaction.
func computeFacts(ctx context.Context, conn *sql.Conn, pack *rule.Pack, day time.Time) (map[string]error, error) {
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO as_of() AS DATE '%s'`, day.Format(time.DateOnly))); err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	failed := map[string]error{}
	for _, g := range pack.Groups {
		err := computeGroup(ctx, conn, pack, g, day)
		if err == nil {
			continue
		}
		if g.Name == "person" || ctx.Err() != nil {
			return nil, err
		}
		failed[g.Name] = err
		if serr := standIn(ctx, conn, g); serr != nil {
			return nil, errors.Join(err, serr)
		}
	}
	return failed, nil
}

// computeGroup computes one group's table in a read-only transaction and
// checks its columns and that it has one row per key.
func computeGroup(ctx context.Context, conn *sql.Conn, pack *rule.Pack, g *rule.Group, day time.Time) (err error) {
	args, err := pack.FactArgs(g, day)
	if err != nil {
		return fmt.Errorf("%s:%d: facts group %s: %w", g.Pos.File, g.Pos.Line, g.Name, err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION READ ONLY`); err != nil {
		return fmt.Errorf("facts: starting the read-only transaction: %w", err)
	}
	defer func() {
		end := `COMMIT`
		if err != nil {
			end = `ROLLBACK`
		}
		if _, xerr := conn.ExecContext(context.WithoutCancel(ctx), end); xerr != nil && err == nil {
			err = fmt.Errorf("facts: %w", xerr)
		}
	}()
	// The query starts on a line of its own, so that DuckDB's "LINE n"
	// is the query's line n+1 (factError places it in facts.yaml).
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE `+table(g)+" AS\n"+g.Query, args...); err != nil {
		return factError(g, err)
	}
	cols, err := columns(ctx, conn, table(g))
	if err != nil {
		return factError(g, err)
	}
	key := keyColumn(g)
	if len(cols) == 0 || cols[0] != key {
		return fmt.Errorf("%s:%d: facts group %s: the query's first column must be %s, got %v", g.Pos.File, g.Pos.Line, g.Name, key, cols)
	}
	var missing []string
	for _, f := range g.Fields {
		if !slices.Contains(cols, f.Name) {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s:%d: facts group %s: the query returns no column %s (it returns %s)", g.Pos.File, g.Pos.Line,
			g.Name, strings.Join(missing, ", "), strings.Join(cols, ", "))
	}
	// One row per key: the rules would otherwise see each person once per
	// extra row (a join that fans out), with wrong counts and no error.
	// rules check cannot see it on an empty store.
	// A person group's row without an ID number belongs to no one: the
	// person group's would stop the night when read, another group's would
	// be dropped in silence. A household group's NULL household_id is a
	// person without a household (a row no one joins), and is allowed.
	var keys, rows, nulls int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE n > 1 AND k IS NOT NULL), coalesce(sum(n) FILTER (WHERE n > 1 AND k IS NOT NULL), 0),
			coalesce(sum(n) FILTER (WHERE k IS NULL), 0)
		FROM (SELECT `+key+` AS k, count(*) AS n FROM `+table(g)+` GROUP BY `+key+`)`).Scan(&keys, &rows, &nulls); err != nil {
		return factError(g, err)
	}
	if nulls > 0 && key == "id_number" {
		return fmt.Errorf("%s:%d: facts group %s: the query returns %d rows whose id_number is NULL: every row of a person group names its person (filter them with WHERE id_number IS NOT NULL, or coalesce the join's key)",
			g.Pos.File, g.Pos.Line, g.Name, nulls)
	}
	if keys > 0 {
		return fmt.Errorf("%s:%d: facts group %s: the query returns more than one row for %d keys (%s; %d rows for them): a group gives one row per key — GROUP BY %s, or keep one row with QUALIFY row_number() OVER (PARTITION BY %s ...) = 1",
			g.Pos.File, g.Pos.Line, g.Name, keys, key, rows, key, key)
	}
	return nil
}

// standIn replaces a failed group's table by an empty one of its declared
// columns, so that the wide query still runs; the rules reading the group
// are held back, never evaluated on it.
func standIn(ctx context.Context, conn *sql.Conn, g *rule.Group) error {
	cols := []string{"NULL::VARCHAR AS " + keyColumn(g)}
	for _, f := range g.Fields {
		t := "VARCHAR"
		switch f.Type {
		case rule.Number:
			t = "DOUBLE"
		case rule.Int:
			t = "BIGINT"
		case rule.Bool:
			t = "BOOLEAN"
		}
		cols = append(cols, fmt.Sprintf(`NULL::%s AS "%s"`, t, f.Name))
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE `+table(g)+` AS SELECT `+strings.Join(cols, ", ")+` WHERE false`); err != nil {
		return fmt.Errorf("facts group %s: %w", g.Name, err)
	}
	return nil
}

// factError names the group and facts.yaml's line for an error of its
// query, and says why a write failed.
func factError(g *rule.Group, err error) error {
	why := ""
	if strings.Contains(err.Error(), "read-only") {
		why = " (fact queries run in a read-only transaction: they may only read)"
	}
	pos, msg := g.ErrorPos(err, 1)
	pos.Col = 0 // file:line, as the night's other errors
	// DuckDB quotes the value it failed on ("Could not convert string
	// '张三' to INT32"): on the county's data that is a name, an address
	// or an ID number, which must stay out of logs and the run ledger.
	msg = quotedValue.ReplaceAllString(msg, "'…'")
	return fmt.Errorf("%s: facts group %s: the query failed%s: %w", pos, g.Name, why, placedError{msg, scrubbed{err}})
}

// placedError is DuckDB's error with its "LINE n:" excerpt taken out (the
// place is in facts.yaml's terms before it); it unwraps to DuckDB's.
type placedError struct {
	msg string
	err error
}

func (e placedError) Error() string { return e.msg }

// quotedValue is a value DuckDB quotes in an error message.
var quotedValue = regexp.MustCompile(`'[^']*'`)

// scrubbed is a DuckDB error whose text has its quoted values taken out;
// it unwraps to the error itself, for errors.Is and errors.As.
type scrubbed struct{ err error }

func (e scrubbed) Error() string    { return quotedValue.ReplaceAllString(e.err.Error(), "'…'") }
func (e scrubbed) Unwrap() error    { return e.err }
func (e placedError) Unwrap() error { return e.err }

func table(g *rule.Group) string { return `"f_` + g.Name + `"` }

func keyColumn(g *rule.Group) string {
	if g.Scope == "household" {
		return "household_id"
	}
	return "id_number"
}

func columns(ctx context.Context, conn *sql.Conn, table string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT * FROM `+table+` LIMIT 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

// wideQuery joins every group's facts onto the person group: one row per
// person with household facts through person.household_id. Columns are
// id_number followed by the fields of each group in pack order.
func wideQuery(pack *rule.Pack) (string, []*rule.Field) {
	return wideQueryWhere(pack, "TRUE")
}

// wideQueryWhere is wideQuery keeping only the rows where is TRUE on: an
// SQL condition over the columns as `"g_GROUP"."FIELD"` (buildPrefilter).
// Rows stay in id_number order.
func wideQueryWhere(pack *rule.Pack, where string) (string, []*rule.Field) {
	return wideQueryOf(pack, where, false)
}

// wideQueryOf is wideQueryWhere; with kept, over the people of the temp
// table eval_kept alone (keepPeople), each group's table read for their
// keys alone.
func wideQueryOf(pack *rule.Pack, where string, kept bool) (string, []*rule.Field) {
	var sel []string
	var fields []*rule.Field
	for _, g := range pack.Groups {
		alias := `"g_` + g.Name + `"`
		for i := range g.Fields {
			f := &g.Fields[i]
			sel = append(sel, fmt.Sprintf(`%s."%s"`, alias, f.Name))
			fields = append(fields, f)
		}
	}
	from := wideFrom(pack)
	if kept {
		from = wideFromKept(pack)
	}
	q := `SELECT "g_person".id_number, ` + strings.Join(sel, ", ") + ` FROM ` + from
	if where != "TRUE" {
		q += "\nWHERE " + where + "\n"
	}
	return q + ` ORDER BY "g_person".id_number`, fields
}

// wideFrom is the wide query's FROM: f_person as "g_person" and every other
// group's table LEFT JOINed as "g_GROUP", by ID number or, for a group of
// scope household, by the person's household_id.
func wideFrom(pack *rule.Pack) string { return wideFromOf(pack, false) }

// wideFromKept is wideFrom over the people of eval_kept alone: each table
// read for the keys of those people (eval_kept's ID numbers, the 户号 of
// eval_kept_households), which are all the joins can match. Building the
// hash tables of the whole groups' tables cost the wide query more than
// the kept rows' joins (a 1M night: 0.33 s against 0.20-0.24 s for 21,671
// people, issue 14).
func wideFromKept(pack *rule.Pack) string { return wideFromOf(pack, true) }

func wideFromOf(pack *rule.Pack, kept bool) string {
	// from is group g's table, with kept only the rows of the kept keys.
	from := func(g *rule.Group) string {
		switch {
		case !kept:
			return table(g)
		case g.Scope == "household":
			return `(SELECT * FROM ` + table(g) + ` WHERE household_id IN (SELECT household_id FROM temp.main.eval_kept_households))`
		}
		return `(SELECT * FROM ` + table(g) + ` WHERE id_number IN (SELECT id_number FROM temp.main.eval_kept))`
	}
	person := `"f_person"`
	var joins []string
	for _, g := range pack.Groups {
		alias := `"g_` + g.Name + `"`
		switch {
		case g.Name == "person":
			person = from(g)
		case g.Scope == "household":
			joins = append(joins, fmt.Sprintf(`LEFT JOIN %s %s ON %s.household_id = "g_person".household_id`, from(g), alias, alias))
		default:
			joins = append(joins, fmt.Sprintf(`LEFT JOIN %s %s ON %s.id_number = "g_person".id_number`, from(g), alias, alias))
		}
	}
	return person + ` "g_person" ` + strings.Join(joins, " ")
}
