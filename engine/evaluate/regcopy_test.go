package evaluate

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// TestCopyRegistryCurrent: the copy of registry_current the fact queries
// read (copyRegistryCurrent) holds the view's rows in the columns the
// queries use — the ranking's too — over the whole registry and over a
// shadow; the view is back, every column of it, once the copy is
// dropped; and a group that cannot be planned leaves the view alone.
func TestCopyRegistryCurrent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	for i, r := range []struct{ id, hh, status, date, name string }{
		{"A", "H1", "active", "2026-01-01", "甲"},
		{"B", "H1", "active", "2026-01-01", "乙"}, {"B", "H2", "moved_out", "2026-10-20", "乙"}, // a newer row
		{"C", "H3", "active", "2026-05-01", "丙"},
	} {
		if _, err := st.DB().Exec(`INSERT INTO registry (id_number, name, household_id, township_code, status, status_date,
			_key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, ?, ?, '340799001', ?, ?::DATE, ?, 'registry', nextval('load_id_seq'), now(), 'registry.csv', ?)`,
			r.id, r.name, r.hh, r.status, r.date, string(rune('a'+i)), i+1); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	group := func(name, sql string) *rule.Group {
		return &rule.Group{Name: name, Scope: rule.ScopeHousehold, SQL: sql, Query: sql}
	}
	households := group("g1", `SELECT household_id, count(*) AS members FROM registry_current WHERE status = 'active' GROUP BY ALL`)
	names := group("g2", `SELECT household_id, min(name) AS first_name FROM registry_current GROUP BY ALL`)
	broken := group("g3", `SELECT household_id, no_such_function(name) AS x FROM registry_current GROUP BY ALL`)
	// A column computed and not returned: the plan prunes it, the binder
	// needs it (the default household group's township_code).
	pruned := group("g4", `WITH hh AS (SELECT household_id, any_value(Address) AS a, count(*) AS n FROM registry_current GROUP BY household_id)
		SELECT household_id, n FROM hh`)
	pack := &rule.Pack{}
	for _, tc := range []struct {
		name   string
		groups []*rule.Group
		small  bool
		want   []string // the copy's columns; nil: no copy
	}{
		{"one group", []*rule.Group{households}, false, []string{"id_number", "household_id", "status", "status_date", "_load_id", "_position"}},
		{"two groups, small", []*rule.Group{households, names}, true, []string{"id_number", "name", "household_id", "status", "status_date", "_load_id", "_position"}},
		{"a group that cannot be planned", []*rule.Group{households, broken}, false, nil},
		{"a column the plan prunes", []*rule.Group{pruned}, false, []string{"id_number", "household_id", "address", "status_date", "_load_id", "_position"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := st.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			undoCur, err := wholeRegistryCurrent(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			defer undoCur()
			if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE view_rows AS SELECT * FROM registry_current`); err != nil {
				t.Fatal(err)
			}
			catalog, err := currentCatalog(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			undo, err := copyRegistryCurrent(ctx, conn, catalog, pack, tc.groups, day, tc.small)
			if err != nil {
				t.Fatal(err)
			}
			cols, err := columns(ctx, conn, "registry_current")
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if len(cols) < 10 {
					t.Fatalf("registry_current has %v: want the view's every column", cols)
				}
			} else {
				if !slices.Equal(cols, tc.want) {
					t.Fatalf("the copy's columns: %v, want %v", cols, tc.want)
				}
				var n, differ int
				list := quotedList(cols)
				if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM registry_current),
					(SELECT count(*) FROM (SELECT `+list+` FROM registry_current EXCEPT ALL SELECT `+list+` FROM view_rows))
					+ (SELECT count(*) FROM (SELECT `+list+` FROM view_rows EXCEPT ALL SELECT `+list+` FROM registry_current))`).Scan(&n, &differ); err != nil {
					t.Fatal(err)
				}
				if n != 3 || differ != 0 {
					t.Fatalf("%d rows, %d differ from the view's; want 3, 0", n, differ)
				}
				var hh string
				if err := conn.QueryRowContext(ctx, `SELECT household_id FROM registry_current WHERE id_number = 'B'`).Scan(&hh); err != nil || hh != "H2" {
					t.Fatalf("B's household: %q (%v), want the newer row's H2", hh, err)
				}
				// Every group's query runs over the copy.
				for _, g := range tc.groups {
					if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE probe AS `+g.Query); err != nil {
						t.Errorf("group %s over the copy: %v", g.Name, err)
					}
				}
			}
			undo()
			if cols, err := columns(ctx, conn, "registry_current"); err != nil || len(cols) < 10 {
				t.Errorf("after the copy, registry_current has %v (%v): want the view's every column", cols, err)
			}
		})
	}
}
