package evaluate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Fact queries are written by whoever edits rules/facts.yaml and run on
// the store that holds every ID number and the audit. They must only
// read. Three walls keep them so:
//
//  1. CheckFacts (rules check, and again before every evaluation): each
//     group's SQL is one SELECT (WITH ... SELECT) as DuckDB's own parser
//     sees it (json_serialize_sql), and every function it calls, anywhere
//     in the parse tree, is known to be a pure read. Scalar, aggregate and
//     window functions must be DuckDB's own and have no side effects and a
//     repeatable result (duckdb_functions(): has_side_effects, stability);
//     DuckDB's own macros are checked through their definitions; table
//     functions must be one of a short list (tableFunctions). Everything
//     else is refused: sequences (nextval), logging and profiling
//     (enable_logging), checkpoints, settings, secrets, extensions, files,
//     and SQL run from text (query, json_execute_serialized_sql).
//  2. The fact queries run in a READ ONLY transaction (factTables): what
//     would still write to the store fails there.
//  3. The store refuses file access (store.Open sets
//     enable_external_access to false), so no SELECT reads or writes files.

// queryer is what CheckFacts needs of a connection: an in-memory DuckDB
// (rules check) or the store's own.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// textSQLFunctions run SQL given as a string, out of the parser's sight.
var textSQLFunctions = map[string]bool{"query": true, "query_table": true, "json_execute_serialized_sql": true}

// settingsFunctions read the database's settings and variables: no fact.
var settingsFunctions = map[string]bool{"current_setting": true, "getvariable": true, "getenv": true}

// tableFunctions are the table functions a fact query may call in FROM:
// each makes rows from its arguments alone. Every other table function
// reads files, the catalog or the machine, or changes the database
// (checkpoint, enable_logging), and is refused.
var tableFunctions = []string{"generate_series", "json_each", "json_tree", "range", "unnest"}

// asOfMacro is the macro evaluation defines on its connection for the
// evaluation date (factTables); it is not in the catalog when a query is
// checked.
const asOfMacro = "as_of"

// paramFunc is how a fact query reads a param (rule.Group.Query has each
// call replaced by a bound parameter).
const paramFunc = "param"

// specialForms are written as function calls but bound by DuckDB as
// expressions of their own: unnest in a select list.
var specialForms = map[string]bool{"unnest": true, "unlist": true}

// CheckFacts checks every fact group's SQL of pack with DuckDB's parser
// (json_serialize_sql): one statement, a SELECT, calling only functions
// known to be pure reads. Errors name facts.yaml's line, the group and the
// function, all at once.
func CheckFacts(ctx context.Context, db queryer, pack *rule.Pack) error {
	var errs []error
	for _, ge := range checkGroups(ctx, db, pack) {
		errs = append(errs, fmt.Errorf("%s:%d: facts group %s: %w", ge.group.Pos.File, ge.group.Pos.Line, ge.group.Name, ge.err))
	}
	return errors.Join(errs...)
}

// groupError is a fact group's query refused by the checker.
type groupError struct {
	group *rule.Group
	err   error
}

// checkGroups checks every group's query (as run: params bound as $n)
// and returns the refused ones, in pack order.
func checkGroups(ctx context.Context, db queryer, pack *rule.Pack) []groupError {
	c := &checker{ctx: ctx, db: db, checked: map[string]error{}}
	var out []groupError
	for _, g := range pack.Groups {
		stmt, err := c.parse(g.Query)
		if err == nil {
			err = c.checkStmt(stmt)
		}
		if err == nil {
			err = checkCounts(g, stmt)
		}
		if err != nil {
			out = append(out, groupError{g, err})
		}
	}
	return out
}

// checkCounts checks that each field of g that counts days (counts:
// days) is, in the query's final SELECT, date_diff('day', <a date>,
// as_of()): a count that grows by one a day, which an incremental night
// moves instead of computing again (countShift). Any other column would be
// moved wrongly, night after night. stmt is the query as parsed
// (checker.parse).
func checkCounts(g *rule.Group, stmt any) error {
	counting := g.Counting()
	if len(counting) == 0 {
		return nil
	}
	node, _ := jsonField(stmt, "node").(map[string]any)
	list, _ := jsonField(node, "select_list").([]any)
	var errs []error
	for _, f := range counting {
		var col map[string]any
		for _, e := range list {
			m, _ := e.(map[string]any)
			if m == nil {
				continue
			}
			name, _ := m["alias"].(string)
			if name == "" {
				if cols, _ := m["column_names"].([]any); len(cols) > 0 {
					name, _ = cols[len(cols)-1].(string)
				}
			}
			if strings.EqualFold(name, f.Name) {
				col = m
			}
		}
		if !isDayCount(col) {
			errs = append(errs, fmt.Errorf("field %s: counts: days needs its column in the query's final SELECT to be date_diff('day', <a date>, as_of()) (NULL where there is no date), a count that grows by one a day; this column is not, and an incremental night would move it wrongly: write it so, or take counts: days away", f.Name))
		}
	}
	return errors.Join(errs...)
}

// isDayCount reports whether a serialized expression is
// date_diff('day', X, as_of()) (or datediff, 'days'), cast or not.
func isDayCount(e map[string]any) bool {
	if e != nil && e["class"] == "CAST" { // date_diff(…)::INTEGER
		e, _ = e["child"].(map[string]any)
	}
	if e == nil || e["class"] != "FUNCTION" {
		return false
	}
	fn, _ := e["function_name"].(string)
	if fn = strings.ToLower(fn); fn != "date_diff" && fn != "datediff" {
		return false
	}
	args, _ := e["children"].([]any)
	if len(args) != 3 {
		return false
	}
	unit, _ := args[0].(map[string]any)
	v, _ := jsonField(unit, "value").(map[string]any)
	if s, _ := v["value"].(string); unit["class"] != "CONSTANT" || (strings.ToLower(s) != "day" && strings.ToLower(s) != "days") {
		return false
	}
	end, _ := args[2].(map[string]any)
	name, _ := end["function_name"].(string)
	kids, _ := end["children"].([]any)
	return end["class"] == "FUNCTION" && strings.EqualFold(name, "as_of") && len(kids) == 0
}

// jsonField is m[key] when m is a JSON object, else nil.
func jsonField(m any, key string) any {
	if o, ok := m.(map[string]any); ok {
		return o[key]
	}
	return nil
}

// serialized is the part of json_serialize_sql's answer that is read.
type serialized struct {
	Error        bool              `json:"error"`
	ErrorType    string            `json:"error_type"`
	ErrorMessage string            `json:"error_message"`
	Statements   []json.RawMessage `json:"statements"`
}

// checker checks queries against the functions of one DuckDB, read once.
type checker struct {
	ctx     context.Context
	db      queryer
	funcs   map[string]*function // by lower-case name; nil until read
	checked map[string]error     // macros whose definitions were checked
	ctes    map[string]bool      // names of the query's WITH tables
}

// function is what duckdb_functions() says of all overloads of one name.
type function struct {
	callable bool     // a scalar, aggregate or window function (some overload)
	table    bool     // a table function or table macro (some overload)
	impure   bool     // some overload has side effects or a result that varies
	foreign  bool     // some overload is not DuckDB's own (a user macro)
	macros   []string // definitions of its scalar macros
}

// catalog reads duckdb_functions() of the connection once.
func (c *checker) catalog() (map[string]*function, error) {
	if c.funcs != nil {
		return c.funcs, nil
	}
	rows, err := c.db.QueryContext(c.ctx, `SELECT lower(function_name), function_type, coalesce(has_side_effects, false),
		coalesce(stability, ''), coalesce(macro_definition, ''), coalesce(internal, false) FROM duckdb_functions()`)
	if err != nil {
		return nil, fmt.Errorf("checking the query: listing DuckDB's functions: %w", err)
	}
	defer rows.Close()
	funcs := map[string]*function{}
	for rows.Next() {
		var name, kind, stability, macro string
		var sideEffects, internal bool
		if err := rows.Scan(&name, &kind, &sideEffects, &stability, &macro, &internal); err != nil {
			return nil, fmt.Errorf("checking the query: listing DuckDB's functions: %w", err)
		}
		f := funcs[name]
		if f == nil {
			f = &function{}
			funcs[name] = f
		}
		switch kind {
		case "scalar", "aggregate":
			f.callable = true
			if sideEffects || stability == "VOLATILE" {
				f.impure = true
			}
		case "macro":
			f.callable = true
			f.macros = append(f.macros, macro)
		case "table", "table_macro":
			f.table = true
		}
		if !internal {
			f.foreign = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checking the query: listing DuckDB's functions: %w", err)
	}
	c.funcs = funcs
	return funcs, nil
}

// checkQuery checks one fact query.
func (c *checker) checkQuery(q string) error {
	stmt, err := c.parse(q)
	if err != nil {
		return err
	}
	return c.checkStmt(stmt)
}

// checkStmt checks one fact query as parsed.
func (c *checker) checkStmt(stmt any) error {
	c.ctes = map[string]bool{}
	cteNames(stmt, c.ctes)
	// A WITH may not take the name of one of the store's own tables: WITH
	// names are gathered from the whole query, so one named audit in a
	// subquery would make the real audit look readable elsewhere.
	for _, n := range reservedNames() {
		if c.ctes[n] {
			if _, ok := dataset.Lookup(n); ok {
				continue // shadowing a dataset hides nothing
			}
			if _, ok := views[n]; ok {
				continue
			}
			return fmt.Errorf("the query names a WITH %s, the name of one of the store's own tables; give it another name", n)
		}
	}
	return c.walk(stmt)
}

// reservedNames are the store's own tables, views, sequences and macros.
func reservedNames() []string { return store.SchemaNames() }

// cteNames collects the names of the common table expressions (WITH)
// anywhere in a serialized statement.
func cteNames(v any, into map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		if m, ok := t["cte_map"].(map[string]any); ok {
			if entries, ok := m["map"].([]any); ok {
				for _, e := range entries {
					if e, ok := e.(map[string]any); ok {
						if k, ok := e["key"].(string); ok {
							into[strings.ToLower(k)] = true
						}
					}
				}
			}
		}
		for _, c := range t {
			cteNames(c, into)
		}
	case []any:
		for _, c := range t {
			cteNames(c, into)
		}
	}
}

// table checks a table a query reads (FROM or JOIN): one of its own CTEs,
// or a canonical dataset of the store (or a view of one). The store's
// other tables — the audit, accounts and sessions, the key that signs
// lists, cases — are no facts: a fact's value is written into cases and
// lists. DuckDB's own views (duckdb_settings, duckdb_logs, ...) and a
// file's name (read through a replacement scan) are refused too.
func (c *checker) table(t map[string]any) error {
	name, _ := t["table_name"].(string)
	schema, _ := t["schema_name"].(string)
	catalog, _ := t["catalog_name"].(string)
	n := strings.ToLower(name)
	switch {
	case strings.ContainsAny(name, `./\:`):
		return fmt.Errorf("the query reads %q, a file's name, not a table of the store; a fact query reads the store's datasets only", name)
	case schema == "" && catalog == "" && c.ctes[n]:
		return nil
	case catalog != "" || (schema != "" && !strings.EqualFold(schema, "main")):
		return fmt.Errorf("the query reads %s, not one of the store's datasets; a fact query reads the datasets only (%s)", qualified(catalog, schema, name), readable())
	}
	if _, ok := dataset.Lookup(n); ok {
		return nil
	}
	if _, ok := views[n]; ok {
		return nil
	}
	return fmt.Errorf("the query reads %s, which is not one of the store's datasets nor a WITH of the query; a fact query reads the datasets only (%s)", name, readable())
}

// qualified writes a table's name with its catalog and schema.
func qualified(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// readable lists the tables a fact query may read.
func readable() string {
	names := dataset.Names()
	for v := range views {
		names = append(names, v)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// parse serializes q with DuckDB's parser: exactly one SELECT.
func (c *checker) parse(q string) (any, error) {
	var text string
	if err := c.db.QueryRowContext(c.ctx, `SELECT json_serialize_sql($1::VARCHAR)::VARCHAR`, q).Scan(&text); err != nil {
		return nil, fmt.Errorf("checking the query: %w", err)
	}
	var s serialized
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, fmt.Errorf("checking the query: %w", err)
	}
	switch {
	case s.Error && strings.Contains(s.ErrorMessage, "Only SELECT"):
		return nil, errors.New("a fact query may only read: write one SELECT (or WITH ... SELECT); statements that change data, copy it to files or change settings are refused")
	case s.Error:
		return nil, fmt.Errorf("the query does not parse: %s", s.ErrorMessage)
	case len(s.Statements) != 1:
		return nil, fmt.Errorf("the query holds %d statements; a fact query is one SELECT (a ';' inside it starts another statement)", len(s.Statements))
	}
	var v any
	if err := json.Unmarshal(s.Statements[0], &v); err != nil {
		return nil, fmt.Errorf("checking the query: %w", err)
	}
	return v, nil
}

// walk checks every function call and table reference of a serialized
// statement: the first one refused is the error.
func (c *checker) walk(v any) error {
	switch t := v.(type) {
	case map[string]any:
		if t["type"] == "TABLE_FUNCTION" {
			if fn, ok := t["function"].(map[string]any); ok {
				if name, ok := fn["function_name"].(string); ok {
					if err := c.tableFunction(name); err != nil {
						return err
					}
					// Its arguments are expressions like any other.
					for k, a := range fn {
						if k != "function_name" {
							if err := c.walk(a); err != nil {
								return err
							}
						}
					}
					for k, a := range t {
						if k != "function" {
							if err := c.walk(a); err != nil {
								return err
							}
						}
					}
					return nil
				}
			}
		}
		if t["type"] == "BASE_TABLE" {
			if err := c.table(t); err != nil {
				return err
			}
		}
		if t["type"] == "SHOW_REF" {
			return fmt.Errorf("the query uses SHOW, DESCRIBE or SUMMARIZE, which read the catalog; a fact query reads the datasets only")
		}
		if name, ok := t["function_name"].(string); ok {
			if err := c.function(name); err != nil {
				return err
			}
		}
		for _, k := range sortedKeys(t) {
			if err := c.walk(t[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := c.walk(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortedKeys gives a map's keys in order, so that the same query always
// reports the same function first.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// function checks a scalar, aggregate or window function's name.
func (c *checker) function(name string) error {
	n := strings.ToLower(name)
	if textSQLFunctions[n] {
		return fmt.Errorf("the query calls %s(), which runs SQL given as text; write the SQL itself", name)
	}
	if settingsFunctions[n] {
		return fmt.Errorf("the query calls %s(), which reads the database's settings; a fact query reads the datasets only", name)
	}
	if n == asOfMacro || specialForms[n] {
		return nil
	}
	if n == paramFunc {
		// Load replaces every param('NAME') it can read by a bound
		// parameter: this one it could not.
		return fmt.Errorf("the query calls %s() in a way that cannot be read: write param('NAME') with one param's name in single quotes", name)
	}
	funcs, err := c.catalog()
	if err != nil {
		return err
	}
	f := funcs[n]
	switch {
	case f == nil:
		return fmt.Errorf("the query calls %s(), which is not one of DuckDB's functions; a fact query may call only DuckDB's own functions that just compute a value", name)
	case f.foreign:
		return fmt.Errorf("the query calls %s(), which is not one of DuckDB's own functions; a fact query may call only DuckDB's own functions that just compute a value", name)
	case !f.callable:
		return fmt.Errorf("the query calls %s(), a table function, as a value; it is refused in a fact query", name)
	case f.impure:
		return fmt.Errorf("the query calls %s(), which has side effects (it changes a sequence, a setting or the log, waits, fails on purpose, or gives another result at each call); a fact query may only read", name)
	}
	for _, def := range f.macros {
		if err := c.macro(n, def); err != nil {
			return fmt.Errorf("the query calls %s(), one of DuckDB's macros, which calls %s", name, strings.TrimPrefix(err.Error(), "the query calls "))
		}
	}
	return nil
}

// macro checks the definition of one of DuckDB's macros as it checks a
// query: what it calls counts as called by the query.
func (c *checker) macro(name, def string) error {
	key := name + "\x00" + def
	if err, done := c.checked[key]; done {
		return err
	}
	c.checked[key] = nil // a macro calling itself (or a scalar of its name) is checked once
	stmt, err := c.parse("SELECT " + def)
	if err == nil {
		outer := c.ctes
		c.ctes = map[string]bool{}
		cteNames(stmt, c.ctes)
		err = c.walk(stmt)
		c.ctes = outer
	}
	if err != nil && !strings.HasPrefix(err.Error(), "the query calls ") {
		err = fmt.Errorf("its definition %q: %w", def, err)
	}
	c.checked[key] = err
	return err
}

// tableFunction checks a table function's name (in FROM).
func (c *checker) tableFunction(name string) error {
	n := strings.ToLower(name)
	switch {
	case textSQLFunctions[n]:
		return fmt.Errorf("the query calls %s(), which runs SQL given as text; write the SQL itself", name)
	case slices.Contains(tableFunctions, n):
		return nil
	}
	return fmt.Errorf("the query calls the table function %s(), which is refused in a fact query: it reads files, settings or the catalog, or changes the database; a fact query reads the store's datasets and may call only %s in FROM",
		name, strings.Join(tableFunctions, "(), ")+"()")
}
