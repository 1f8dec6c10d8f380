package evaluate

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestWholeRegistryCurrent: the evaluation's registry_current (read
// without the view's window where an ID has one row) has the view's rows,
// over the whole registry and over the registry as known at a past moment
// (rules backtest's shadow), where a person's newer row is not yet known.
func TestWholeRegistryCurrent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	early := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	late := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := []struct {
		id, status string
		date       any
		loaded     time.Time
		pos        int
	}{
		{"A", "active", nil, early, 1},
		{"B", "active", "2026-01-01", early, 2}, {"B", "moved_out", "2026-10-20", late, 1}, // newer, known later
		{"C", "active", "2026-05-01", early, 3}, {"C", "deceased", "2026-04-01", early, 4}, // a newer load wins
		{"D", "active", nil, late, 2},
	}
	for i, r := range rows {
		if _, err := st.DB().Exec(`INSERT INTO registry (id_number, name, household_id, township_code, status, status_date,
			_key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, '甲', 'H1', '340799001', ?, ?::DATE, ?, 'registry', nextval('load_id_seq'), ?, 'registry.csv', ?)`,
			r.id, r.status, r.date, fmt.Sprint(i), r.loaded, r.pos); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		cutoff time.Time
		want   map[string]string
	}{
		{"whole", time.Time{}, map[string]string{"A": "active", "B": "moved_out", "C": "deceased", "D": "active"}},
		{"known at 2026-10-15", early.AddDate(0, 0, 14), map[string]string{"A": "active", "B": "active", "C": "deceased"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := st.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			undo, err := knownBy(ctx, conn, tc.cutoff)
			if err != nil {
				t.Fatal(err)
			}
			defer undo()
			// The view as the shadows make it, before the fast one
			// takes its name.
			if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE view_rows AS SELECT * FROM registry_current`); err != nil {
				t.Fatal(err)
			}
			defer conn.ExecContext(ctx, `DROP TABLE temp.main.view_rows`)
			undoCur, err := wholeRegistryCurrent(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			var n, differ int
			if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM registry_current),
				(SELECT count(*) FROM (SELECT * FROM registry_current EXCEPT ALL SELECT * FROM view_rows))
				+ (SELECT count(*) FROM (SELECT * FROM view_rows EXCEPT ALL SELECT * FROM registry_current))`).Scan(&n, &differ); err != nil {
				t.Fatal(err)
			}
			if n != len(tc.want) || differ != 0 {
				t.Fatalf("%d rows, %d differ from the view's; want %d, 0", n, differ, len(tc.want))
			}
			for id, want := range tc.want {
				var status string
				if err := conn.QueryRowContext(ctx, `SELECT status FROM registry_current WHERE id_number = ?`, id).Scan(&status); err != nil {
					t.Fatal(err)
				}
				if status != want {
					t.Errorf("%s: %s, want %s", id, status, want)
				}
			}
			undoCur()
			var left int
			conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = 'registry_current'`).Scan(&left)
			if left != 0 {
				t.Error("the evaluation's registry_current outlived it")
			}
		})
	}
}
