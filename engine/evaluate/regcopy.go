package evaluate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// copyRegistryCurrent makes registry_current on conn, for the queries of
// groups at day, a temp table (eval_registry_current) of each person's
// newest row of the registry the evaluation reads (the store's, or its
// shadow: a backtest's rows known by a moment, an incremental night's
// reached households), in the columns those queries read
// (registryColumns). Through the view every group reading
// registry_current ranks the registry again and reads every column of
// it (store.CurrentColumns says why); the copy reads it once, in the
// columns needed. The rows are the view's: store.CurrentColumns over the
// whole registry; over a shadow (few), with small set, its window alone.
// It does nothing when no group reads the registry. The returned function
// points registry_current back at the registry and drops the copy; call it
// before anything else reads registry_current (the rules, the evidence),
// which may read other columns.
func copyRegistryCurrent(ctx context.Context, conn *sql.Conn, catalog string, pack *rule.Pack, groups []*rule.Group, day time.Time, small bool) (func(), error) {
	undo := func() {
		err := repointRegistryCurrent(context.WithoutCancel(ctx), conn)
		if _, derr := conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.main.eval_registry_current`); errors.Join(err, derr) != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	reg, err := registryRelation(ctx, conn, catalog)
	if err != nil {
		return undo, err
	}
	// The window alone, not CurrentRows' UNION ALL: DuckDB's plan of it
	// reads only the columns a query uses, which registryColumns reads
	// off the plans.
	window := `SELECT * FROM ` + reg + ` QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY ` + store.CurrentRowOrder + `) = 1`
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP VIEW registry_current AS `+window); err != nil {
		return undo, fmt.Errorf("registry_current: %w", err)
	}
	cols, err := registryColumns(ctx, conn, catalog, pack, groups, day)
	if err != nil || len(cols) == 0 {
		return undo, errors.Join(err, repointRegistryCurrent(ctx, conn))
	}
	list := quotedList(cols)
	rows := store.CurrentColumns(reg, list)
	if small {
		rows = `SELECT ` + list + ` FROM temp.main.registry_current`
	}
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE eval_registry_current AS ` + rows,
		`CREATE OR REPLACE TEMP VIEW registry_current AS SELECT * FROM temp.main.eval_registry_current`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return undo, fmt.Errorf("registry_current: %w", err)
		}
	}
	return undo, nil
}

// registryColumns returns the registry's columns the queries of groups
// read at day: every registry column a query names (DuckDB binds them all,
// whether the plan uses them or not), and those DuckDB's plans read
// (EXPLAIN (FORMAT JSON): every column named in a scan of the registry,
// its projections and its filters — a star's columns the query returns or
// compares), and the columns store.CurrentRows ranks by. It returns nil when no group
// reads the registry or some group's query cannot be planned (it fails
// when computed, with its own error), and every column when a plan does
// not say (a format it does not know).
func registryColumns(ctx context.Context, conn *sql.Conn, catalog string, pack *rule.Pack, groups []*rule.Group, day time.Time) ([]string, error) {
	all, err := columns(ctx, conn, quoteIdent(catalog)+`.main.registry`)
	if err != nil {
		return nil, err
	}
	need := map[string]bool{}
	mark := func(text string) { // every registry column text names
		for _, c := range all {
			if wordIn(text, c) {
				need[c] = true
			}
		}
	}
	scans := 0
	for _, g := range groups {
		// A query that names no registry reads none (registry_current is
		// the only view over it): not planned, which costs a few
		// milliseconds a group.
		text := strings.ToLower(g.Query)
		if !strings.Contains(text, "registry") {
			continue
		}
		// Every column the query names, wherever: DuckDB binds a column
		// the plan then prunes (the household group's township_code,
		// computed and not returned) and fails when it is not there.
		mark(text)
		args, err := pack.FactArgs(g, day)
		if err != nil {
			return nil, err
		}
		var plan string
		rows, err := conn.QueryContext(ctx, "EXPLAIN (FORMAT JSON)\n"+g.Query, args...)
		if err != nil {
			// The group fails when computed, with its own error, which
			// a narrower registry_current could change: no copy.
			return nil, nil
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			plan += v
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		var doc any
		if err := json.Unmarshal([]byte(plan), &doc); err != nil {
			return all, nil
		}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case []any:
				for _, c := range x {
					walk(c)
				}
			case map[string]any:
				if info, ok := x["extra_info"].(map[string]any); ok {
					if t, ok := info["Table"].(string); ok && (t == "registry" || strings.HasSuffix(t, ".registry")) {
						scans++
						text, _ := json.Marshal(info)
						mark(string(text))
					}
				}
				walk(x["children"])
			}
		}
		walk(doc)
	}
	if scans == 0 {
		return nil, nil
	}
	var out []string
	for _, c := range all {
		if need[c] || c == "id_number" || wordIn(store.CurrentRowOrder, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// wordIn says whether word appears in text as a whole identifier.
func wordIn(text, word string) bool {
	ident := func(b byte) bool {
		return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(word)
		if (j == 0 || !ident(text[j-1])) && (end == len(text) || !ident(text[end])) {
			return true
		}
		i = j + 1
	}
}
