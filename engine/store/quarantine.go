package store

import (
	"context"
	"fmt"
	"time"
)

// Quarantined is one quarantine entry.
type Quarantined struct {
	LoadID   int64
	Source   string
	Dataset  string
	Stream   string
	Position int64
	Raw      string // JSON object: column -> value, in the source's column order
	Code     string
	Field    string
	Column   string
	Reason   string
	At       time.Time
}

// QuarantineRows lists quarantine entries, oldest first; empty filters
// match everything, limit <= 0 means no limit.
func (s *Store) QuarantineRows(ctx context.Context, source, code string, limit int) ([]Quarantined, error) {
	q := `SELECT load_id, source, dataset, stream, position, raw, reason_code, coalesce(field, ''), coalesce(column_name, ''),
		reason, quarantined_at FROM quarantine WHERE ($1 = '' OR source = $1) AND ($2 = '' OR reason_code = $2)
		ORDER BY source, stream, position`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.QueryContext(ctx, q, source, code)
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	defer rows.Close()
	var out []Quarantined
	for rows.Next() {
		var r Quarantined
		if err := rows.Scan(&r.LoadID, &r.Source, &r.Dataset, &r.Stream, &r.Position, &r.Raw, &r.Code, &r.Field,
			&r.Column, &r.Reason, &r.At); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Resolve marks a quarantined row of this stream as taken care of: Finish
// deletes it from quarantine in the load's transaction (after a retry
// loaded it, or found it already loaded).
func (sl *StreamLoad) Resolve(pos int64, raw string) {
	sl.resolved = append(sl.resolved, resolved{pos, raw})
}

type resolved struct {
	pos int64
	raw string
}

// KeepOrder gives the row loaded at pos the load id of the load that first
// read it (its quarantine entry's), when Finish has counted the stream: a
// row that a quarantine retry loads today is still as old as its file.
// Facts take the newest state by load order (the registry's newest row,
// the assistance roster's newest version), so a retried row must not
// overrule a later file that has loaded since.
// The row is found by its natural key and position: two versions of a
// file may hold different rows at the same position.
func (sl *StreamLoad) KeepOrder(pos int64, key string, loadID int64) {
	sl.reorder = append(sl.reorder, reorder{pos, key, loadID})
}

type reorder struct {
	pos    int64
	key    string
	loadID int64
}

func (sl *StreamLoad) applyOrder(ctx context.Context) error {
	for _, r := range sl.reorder {
		if _, err := sl.l.exec(ctx, `UPDATE `+sl.l.ds.Name+` SET _load_id = $1 WHERE _load_id = $2 AND _position = $3 AND _key = $4`,
			r.loadID, sl.load.ID, r.pos, r.key); err != nil {
			return err
		}
	}
	return nil
}

func (sl *StreamLoad) deleteResolved(ctx context.Context) (int64, error) {
	var n int64
	for _, r := range sl.resolved {
		k, err := sl.l.exec(ctx, `DELETE FROM quarantine WHERE source = $1 AND stream = $2 AND position = $3 AND raw = $4`,
			sl.load.Source, sl.load.Stream, r.pos, r.raw)
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}
