package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RunFilter selects rows of the run ledger for `lipwatch runs`.
type RunFilter struct {
	Kinds    []string  // any of these kinds; all when empty
	Statuses []string  // any of these statuses; all when empty
	Since    time.Time // started at or after; zero for no bound
	Limit    int       // at most this many, newest first; 0 for all
}

// Runs returns the runs of the ledger f selects, newest first.
func (s *Store) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	q := `SELECT run_id, kind, as_of, started_at, finished_at, status, coalesce(summary, ''), coalesce(error, '') FROM runs WHERE true`
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		q += ` AND ` + col + ` IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + `)`
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("kind", f.Kinds)
	in("status", f.Statuses)
	if !f.Since.IsZero() {
		q += ` AND started_at >= ?`
		args = append(args, f.Since.UTC())
	}
	q += ` ORDER BY started_at DESC, run_id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("run ledger: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("run ledger: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrNoRun reports a run id the ledger does not have.
var ErrNoRun = errors.New("no such run")

// RunByID returns one run of the ledger.
func (s *Store) RunByID(ctx context.Context, id int64) (Run, error) {
	row := s.db.QueryRowContext(ctx, `SELECT run_id, kind, as_of, started_at, finished_at, status, coalesce(summary, ''), coalesce(error, '')
		FROM runs WHERE run_id = ?`, id)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run %d: %w", id, ErrNoRun)
	}
	if err != nil {
		return Run{}, fmt.Errorf("run ledger: %w", err)
	}
	return r, nil
}

// RunValues lists the distinct kinds and statuses the ledger holds, for a
// filter that matched nothing to say what it could have been.
func (s *Store) RunValues(ctx context.Context) (kinds, statuses []string, err error) {
	for _, c := range []struct {
		col string
		out *[]string
	}{{"kind", &kinds}, {"status", &statuses}} {
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT `+c.col+` FROM runs ORDER BY 1`)
		if err != nil {
			return nil, nil, fmt.Errorf("run ledger: %w", err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, nil, err
			}
			*c.out = append(*c.out, v)
		}
		rows.Close()
	}
	return kinds, statuses, nil
}

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var fin sql.NullTime
	err := row.Scan(&r.ID, &r.Kind, &r.AsOf, &r.Started, &fin, &r.Status, &r.Summary, &r.Error)
	r.Finished = fin.Time
	return r, err
}
