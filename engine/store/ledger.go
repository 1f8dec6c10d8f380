package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Loaded reports whether stream's last committed load (of a sync) had
// exactly this content hash, so that reading it again would add nothing.
func (s *Store) Loaded(ctx context.Context, source, stream, hash string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	// The last committed load's content, not any earlier one: a file that
	// goes back to an older version is read again (its state is the newest).
	var last sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT content_hash FROM loads
		WHERE source = ? AND stream = ? AND status IN ('ok', 'degraded') AND coalesce(origin, 'sync') = 'sync'
		ORDER BY load_id DESC LIMIT 1`, source, stream).Scan(&last)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger: %w", err)
	}
	return last.String == hash, nil
}

// SourceStatus summarises a source's last sync for `lipwatch sources`.
type SourceStatus struct {
	Source      string
	LastSync    time.Time
	Status      string // ok | degraded (a file failed, or was degraded) | unchanged | failed
	Error       string
	Streams     int   // streams in the last sync
	Loaded      int64 // rows loaded by the last sync
	Quarantined int64 // quarantine entries of this source, all syncs
}

// SourceStatuses returns the last sync of every source that has one.
func (s *Store) SourceStatuses(ctx context.Context) (map[string]SourceStatus, error) {
	rows, err := s.db.QueryContext(ctx, `
		WITH last AS (SELECT source, max(sync_id) AS sync_id FROM loads GROUP BY source)
		SELECT l.source, min(l.started_at),
		       CASE WHEN bool_and(l.status = 'failed') THEN 'failed'
		            WHEN bool_or(l.status IN ('failed', 'degraded')) THEN 'degraded'
		            WHEN bool_and(l.status = 'unchanged') THEN 'unchanged' ELSE 'ok' END,
		       coalesce(string_agg(DISTINCT l.error, '; '), ''), count(*), sum(l.rows_loaded),
		       (SELECT count(*) FROM quarantine q WHERE q.source = l.source)
		FROM loads l JOIN last USING (source, sync_id)
		GROUP BY l.source`)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	out := map[string]SourceStatus{}
	for rows.Next() {
		var st SourceStatus
		if err := rows.Scan(&st.Source, &st.LastSync, &st.Status, &st.Error, &st.Streams, &st.Loaded, &st.Quarantined); err != nil {
			return nil, err
		}
		out[st.Source] = st
	}
	return out, rows.Err()
}

// CountRows counts the rows a source has in a dataset table.
func (s *Store) CountRows(ctx context.Context, dataset, source string) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE _source = ?`, dataset), source).Scan(&n)
	return n.Int64, err
}

// PruneQuarantine deletes quarantine entries recorded before cutoff. Bad
// rows hold personal data; they are kept only as long as someone may still
// fix and re-send them (sync.quarantine_keep).
func (s *Store) PruneQuarantine(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM quarantine WHERE quarantined_at < ?`, cutoff.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune quarantine: %w", err)
	}
	return res.RowsAffected()
}

// Watermark returns where an incremental stream's last committed load
// stopped, or "" when it has none.
func (s *Store) Watermark(ctx context.Context, source, stream string) (string, error) {
	var w sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT watermark FROM source_state WHERE source = ? AND stream = ?`, source, stream).Scan(&w)
	if err != nil && err != sql.ErrNoRows {
		return "", fmt.Errorf("source state: %w", err)
	}
	return w.String, nil
}
