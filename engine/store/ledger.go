package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Loaded reports whether stream of source was already loaded successfully
// with exactly this content hash, so that reading it again would add nothing.
func (s *Store) Loaded(ctx context.Context, source, stream, hash string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM loads
		WHERE source = ? AND stream = ? AND content_hash = ? AND status = 'ok'`, source, stream, hash).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("ledger: %w", err)
	}
	return n > 0, nil
}

// SourceStatus summarises a source's last load for `lipwatch sources`.
type SourceStatus struct {
	Source      string
	LastStarted time.Time
	LastStatus  string
	LastError   string
	Streams     int   // streams in the last load
	Rows        int64 // rows of this source in its dataset table
	Quarantined int64 // quarantine entries of this source
}

// SourceStatuses returns the last load of every source that has one.
func (s *Store) SourceStatuses(ctx context.Context) (map[string]SourceStatus, error) {
	rows, err := s.db.QueryContext(ctx, `
		WITH last AS (
			SELECT source, max(started_at) AS started FROM loads GROUP BY source
		), runs AS (
			-- the streams of the last load attempt: everything started within
			-- the minute before the last start of that source
			SELECT l.source, count(*) AS streams,
			       bool_or(l.status = 'failed') AS failed,
			       string_agg(DISTINCT l.error, '; ') FILTER (WHERE l.error IS NOT NULL) AS errors,
			       max(l.started_at) AS started
			FROM loads l JOIN last USING (source)
			WHERE l.started_at >= last.started - INTERVAL 1 MINUTE
			GROUP BY l.source
		)
		SELECT r.source, r.started, CASE WHEN r.failed THEN 'failed' ELSE 'ok' END, coalesce(r.errors, ''), r.streams,
		       (SELECT count(*) FROM quarantine q WHERE q.source = r.source)
		FROM runs r`)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	out := map[string]SourceStatus{}
	for rows.Next() {
		var st SourceStatus
		if err := rows.Scan(&st.Source, &st.LastStarted, &st.LastStatus, &st.LastError, &st.Streams, &st.Quarantined); err != nil {
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
