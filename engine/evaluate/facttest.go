package evaluate

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// FactTestName is the name a fact test goes by in results and --run:
// "facts.GROUP/TEST".
func FactTestName(g *rule.Group, t *rule.FactTest) string { return "facts." + g.Name + "/" + t.Name }

// TestFacts runs the tests beside the fact groups (rule.FactTest) whose
// "facts.GROUP/TEST" name matches run (all when nil) on st, an empty store
// (OpenEmptyStore): each test's rows are loaded, the group's query runs as
// the night runs it (the sandbox's read-only transaction, as_of() and the
// params at the test's as_of), the values are compared with what the test
// expects, and the rows are deleted again. Results are rule.TestResults
// with Rule "facts.GROUP"; a test whose rows cannot be loaded (an unknown
// dataset or column, a value of the wrong type) is an ERROR at the row.
func TestFacts(ctx context.Context, st *store.Store, pack *rule.Pack, run *regexp.Regexp) ([]rule.TestResult, error) {
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	refused := map[string]error{}
	for _, ge := range checkGroups(ctx, conn, pack) {
		refused[ge.group.Name] = ge.err
	}
	schema := map[string][]column{}
	var out []rule.TestResult
	for _, g := range pack.Groups {
		for _, t := range g.Tests {
			res := rule.TestResult{Rule: "facts." + g.Name, Test: t.Name, Pos: t.Pos}
			if run != nil && !run.MatchString(res.Name()) {
				continue
			}
			if err := refused[g.Name]; err != nil {
				res.Status, res.Message = rule.StatusError, "the query is refused: "+err.Error()
			} else {
				res.Status, res.Message, res.Pos = runFactTest(ctx, conn, pack, g, t, schema)
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// column is one column of a dataset table.
type column struct {
	name, typ string
	notNull   bool
}

// tableColumns reads a dataset table's columns; none when it is no table.
func tableColumns(ctx context.Context, conn *sql.Conn, table string, cache map[string][]column) ([]column, error) {
	if cols, ok := cache[table]; ok {
		return cols, nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT column_name, data_type, NOT is_nullable FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 ORDER BY column_index`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ, &c.notNull); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	cache[table] = cols
	return cols, rows.Err()
}

// runFactTest runs one test; pos is where its result points: the test,
// or the row or value that could not be loaded, or the expected value
// that differs.
func runFactTest(ctx context.Context, conn *sql.Conn, pack *rule.Pack, g *rule.Group, t *rule.FactTest, schema map[string][]column) (status, msg string, pos rule.Pos) {
	pos = t.Pos
	args, err := pack.FactArgs(g, t.AsOf)
	if err != nil {
		return rule.StatusError, err.Error(), pos
	}
	// The rows are loaded and committed, read back in the night's
	// read-only transaction, and deleted whatever happened.
	var tables []string
	defer func() {
		for _, tb := range tables {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), `DELETE FROM "`+tb+`"`); err != nil && status == rule.StatusPass {
				status, msg = rule.StatusError, "removing the test's rows: "+err.Error()
			}
		}
	}()
	if p, err := loadRows(ctx, conn, t, schema, &tables); err != nil {
		return rule.StatusError, err.Error(), p
	}
	got, err := queryFacts(ctx, conn, g, t.AsOf, args)
	if err != nil {
		p, m := g.ErrorPos(err, 0)
		return rule.StatusError, fmt.Sprintf("the query failed at %s: %s", p, m), pos
	}
	var fails []string
	for _, e := range t.Expect {
		row := got[e.Key]
		for _, ef := range e.Fields {
			v, err := ef.Field.FactValue(row[ef.Field.Name])
			if err != nil {
				return rule.StatusError, fmt.Sprintf("%s: %s: %v", e.Key, ef.Field.Name, err), ef.Pos
			}
			if !sameValue(v, ef.Value) {
				how := ""
				if row == nil {
					how = " (no row for " + e.Key + ": the default)"
				}
				if len(fails) == 0 {
					pos = ef.Pos
				}
				fails = append(fails, fmt.Sprintf("%s: %s.%s = %v%s, want %v", e.Key, g.Name, ef.Field.Name, v, how, ef.Value))
			}
		}
	}
	if len(fails) > 0 {
		return rule.StatusFail, strings.Join(fails, "; "), pos
	}
	return rule.StatusPass, "", pos
}

// loadRows inserts a test's given rows, each given column cast to its
// type; columns not given are NULL, or when they cannot be, their type's
// zero (lineage columns: the test's own marks; a later row is newer).
// Dates that cannot be NULL must be given.
func loadRows(ctx context.Context, conn *sql.Conn, t *rule.FactTest, schema map[string][]column, tables *[]string) (rule.Pos, error) {
	for _, gr := range t.Given {
		cols, err := tableColumns(ctx, conn, gr.Dataset, schema)
		if err != nil {
			return gr.Pos, err
		}
		if _, known := dataset.Lookup(gr.Dataset); !known || len(cols) == 0 {
			return gr.Pos, fmt.Errorf("given: %s is not a dataset (%s)", gr.Dataset, strings.Join(dataset.Names(), ", "))
		}
		*tables = append(*tables, gr.Dataset)
		for i, row := range gr.Rows {
			var names, vals []string
			var args []any
			given := map[string]bool{}
			for _, c := range row.Cols {
				ci := slices.IndexFunc(cols, func(x column) bool { return x.name == c.Name })
				if ci < 0 || strings.HasPrefix(c.Name, "_") && !slices.Contains([]string{"_load_id", "_position"}, c.Name) {
					var names []string
					for _, x := range cols {
						if !strings.HasPrefix(x.name, "_") {
							names = append(names, x.name)
						}
					}
					return c.Pos, fmt.Errorf("given: %s has no column %s (it has %s, and _load_id, _position)", gr.Dataset, c.Name, strings.Join(names, ", "))
				}
				given[c.Name] = true
				names = append(names, `"`+c.Name+`"`)
				if c.Null {
					vals = append(vals, "NULL")
					continue
				}
				args = append(args, c.Value)
				vals = append(vals, fmt.Sprintf("CAST($%d AS %s)", len(args), cols[ci].typ))
			}
			for _, c := range cols {
				if given[c.name] || !c.notNull {
					continue
				}
				var v any
				switch c.name {
				case "_key":
					v = fmt.Sprintf("test:%d", row.Pos.Line)
				case "_source":
					v = "facts-test"
				case "_load_id":
					v = int64(1)
				case "_loaded_at":
					v = t.AsOf
				case "_stream":
					v = row.Pos.File
				case "_position":
					v = int64(i + 1)
				default:
					switch {
					case c.typ == "VARCHAR":
						v = ""
					case c.typ == "BOOLEAN":
						v = false
					case c.typ == "DATE" || strings.HasPrefix(c.typ, "TIMESTAMP"):
						return row.Pos, fmt.Errorf("given: %s row: give %s (it cannot be empty)", gr.Dataset, c.name)
					default:
						v = int64(0)
					}
				}
				args = append(args, v)
				names = append(names, `"`+c.name+`"`)
				vals = append(vals, fmt.Sprintf("CAST($%d AS %s)", len(args), c.typ))
			}
			q := fmt.Sprintf(`INSERT INTO "%s" (%s) VALUES (%s)`, gr.Dataset, strings.Join(names, ", "), strings.Join(vals, ", "))
			if _, err := conn.ExecContext(ctx, q, args...); err != nil {
				msg := err.Error()
				if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
					msg = msg[:i]
				}
				return row.Pos, fmt.Errorf("given: %s row: %s", gr.Dataset, strings.ReplaceAll(msg, "\n", "; "))
			}
		}
	}
	return rule.Pos{}, nil
}

// queryFacts runs g's query at day as the night does (read-only, as_of()
// and params bound) and returns each key's row by column name.
func queryFacts(ctx context.Context, conn *sql.Conn, g *rule.Group, day time.Time, args []any) (out map[string]map[string]any, err error) {
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION READ ONLY`); err != nil {
		return nil, err
	}
	defer func() {
		if _, xerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); xerr != nil && err == nil {
			err = xerr
		}
	}()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO as_of() AS DATE '%s'`, day.Format(time.DateOnly))); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, g.Query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out = map[string]map[string]any{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		key, _ := vals[0].(string)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("the query returns two rows for %s: a group gives one row per key", key)
		}
		row := map[string]any{}
		for i, c := range cols {
			row[c] = vals[i]
		}
		out[key] = row
	}
	return out, rows.Err()
}

// sameValue compares a fact with its expected value; numbers to a
// millionth of a yuan (sums of decimals cast to DOUBLE).
func sameValue(got, want any) bool {
	if g, ok := got.(float64); ok {
		if w, ok := want.(float64); ok {
			return g == w || math.Abs(g-w) <= 1e-6*math.Max(1, math.Abs(w))
		}
	}
	return got == want
}
