package evaluate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// Fact queries are written by whoever edits rules/facts.yaml and run on
// the store that holds every ID number and the audit. They must only
// read: each group's SQL is one SELECT (WITH ... SELECT), as DuckDB's own
// parser sees it, and calls no function that runs SQL given as text. The
// store itself refuses file access (store.Open sets
// enable_external_access to false), so a SELECT cannot read or write
// files either.

// queryer is what CheckFacts needs of a connection: an in-memory DuckDB
// (rules check) or the store's own.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// textSQLFunctions run SQL given as a string, out of the parser's sight.
var textSQLFunctions = map[string]bool{"query": true, "query_table": true}

// CheckFacts checks every fact group's SQL of pack with DuckDB's parser
// (json_serialize_sql): one statement, a SELECT, no function that runs SQL
// given as text. Errors name facts.yaml's line and the group, all at once.
func CheckFacts(ctx context.Context, db queryer, pack *rule.Pack) error {
	var errs []error
	for _, g := range pack.Groups {
		if err := checkFactSQL(ctx, db, g.SQL); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: facts group %s: %w", g.Pos.File, g.Pos.Line, g.Name, err))
		}
	}
	return errors.Join(errs...)
}

// serialized is the part of json_serialize_sql's answer that is read.
type serialized struct {
	Error        bool              `json:"error"`
	ErrorType    string            `json:"error_type"`
	ErrorMessage string            `json:"error_message"`
	Statements   []json.RawMessage `json:"statements"`
}

func checkFactSQL(ctx context.Context, db queryer, q string) error {
	var text string
	if err := db.QueryRowContext(ctx, `SELECT json_serialize_sql($1::VARCHAR)::VARCHAR`, q).Scan(&text); err != nil {
		return fmt.Errorf("checking the query: %w", err)
	}
	var s serialized
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return fmt.Errorf("checking the query: %w", err)
	}
	switch {
	case s.Error && strings.Contains(s.ErrorMessage, "Only SELECT"):
		return errors.New("a fact query may only read: write one SELECT (or WITH ... SELECT); statements that change data, copy it to files or change settings are refused")
	case s.Error:
		return fmt.Errorf("the query does not parse: %s", s.ErrorMessage)
	case len(s.Statements) != 1:
		return fmt.Errorf("the query holds %d statements; a fact query is one SELECT (a ';' inside it starts another statement)", len(s.Statements))
	}
	if name := textSQLFunction(s.Statements[0]); name != "" {
		return fmt.Errorf("the query calls %s(), which runs SQL given as text; write the SQL itself", name)
	}
	return nil
}

// textSQLFunction finds a call of a function that runs SQL given as text
// anywhere in a serialized statement, "" when there is none.
func textSQLFunction(stmt json.RawMessage) string {
	var v any
	if json.Unmarshal(stmt, &v) != nil {
		return ""
	}
	var walk func(v any) string
	walk = func(v any) string {
		switch t := v.(type) {
		case map[string]any:
			if name, ok := t["function_name"].(string); ok && textSQLFunctions[strings.ToLower(name)] {
				return name
			}
			for _, c := range t {
				if n := walk(c); n != "" {
					return n
				}
			}
		case []any:
			for _, c := range t {
				if n := walk(c); n != "" {
					return n
				}
			}
		}
		return ""
	}
	return walk(v)
}
