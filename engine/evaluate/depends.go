package evaluate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/rule"
)

// queryRower is a *sql.DB or a *sql.Conn.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// views maps the store's views onto the dataset they read.
var views = map[string]string{"registry_current": "registry"}

// GroupDatasets returns, for each fact group, the canonical datasets its SQL
// reads, as DuckDB's own parser sees the query (json_serialize_sql): every
// base table in FROM and JOIN clauses, CTEs and subqueries included; names
// that are CTEs rather than tables are left out because they are not
// datasets. The person group is the exception: it lists everyone who
// appears in any dataset, but what it says about a person comes from the
// registry alone, so it depends on the registry alone.
func GroupDatasets(ctx context.Context, db queryRower, pack *rule.Pack) (map[string][]string, error) {
	out := map[string][]string{}
	for _, g := range pack.Groups {
		if g.Name == "person" {
			out[g.Name] = []string{"registry"}
			continue
		}
		tables, err := queryTables(ctx, db, g.SQL)
		if err != nil {
			return nil, fmt.Errorf("facts group %s (%s:%d): %w", g.Name, g.Pos.File, g.Pos.Line, err)
		}
		seen := map[string]bool{}
		for _, t := range tables {
			t = strings.ToLower(t)
			if v, ok := views[t]; ok {
				t = v
			}
			if _, ok := dataset.Lookup(t); ok && !seen[t] {
				seen[t] = true
				out[g.Name] = append(out[g.Name], t)
			}
		}
		sort.Strings(out[g.Name])
	}
	return out, nil
}

// RuleDatasets returns, for each rule, the datasets it depends on: those of
// the fact groups it reads, and the registry (every rule is evaluated for
// the registry's people and routed by it).
func RuleDatasets(ctx context.Context, db queryRower, pack *rule.Pack) (map[string][]string, error) {
	groups, err := GroupDatasets(ctx, db, pack)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range pack.Rules {
		seen := map[string]bool{"registry": true}
		ds := []string{"registry"}
		for _, in := range r.Inputs() {
			group, _, _ := strings.Cut(in, ".")
			for _, d := range groups[group] {
				if !seen[d] {
					seen[d] = true
					ds = append(ds, d)
				}
			}
		}
		sort.Strings(ds)
		out[r.ID] = ds
	}
	return out, nil
}

// queryTables lists the table names a SELECT statement reads.
func queryTables(ctx context.Context, db queryRower, query string) ([]string, error) {
	var text string
	if err := db.QueryRowContext(ctx, `SELECT json_serialize_sql($1::VARCHAR)::VARCHAR`, query).Scan(&text); err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if m, ok := doc.(map[string]any); ok && m["error"] == true {
		return nil, fmt.Errorf("parse: %v", m["error_message"])
	}
	var tables []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "BASE_TABLE" {
				if name, ok := x["table_name"].(string); ok {
					tables = append(tables, name)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	return tables, nil
}

// Hold is a rule held back on a night, and why.
type Hold struct {
	Rule     string
	Reason   string   // plain words: which datasets and sources, and their state
	Datasets []string // the datasets in trouble that the rule reads
}

// DatasetState is how much a dataset can be trusted tonight: "" when all is
// well, else plain words (its source failed, is degraded, never loaded, or
// no source feeds it).
type DatasetState map[string]string

// HeldRules lists the enabled rules that read a dataset in trouble; they
// raise no new warnings tonight from the gap (as Alertmanager inhibits
// alerts whose cause is known).
func HeldRules(pack *rule.Pack, deps map[string][]string, state DatasetState) []Hold {
	var out []Hold
	for _, r := range pack.Rules {
		if !r.Enabled {
			continue
		}
		var why, sets []string
		for _, d := range deps[r.ID] {
			if s := state[d]; s != "" {
				why = append(why, d+": "+s)
				sets = append(sets, d)
			}
		}
		if len(why) > 0 {
			out = append(out, Hold{Rule: r.ID, Reason: strings.Join(why, "; "), Datasets: sets})
		}
	}
	return out
}
