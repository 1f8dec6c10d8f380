package store

import (
	"context"
	"database/sql"
	"encoding/json"
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

// NoteSameContent is the note on the load of a stream whose content was
// loaded before under another name (SameContent).
const NoteSameContent = "same_content"

// SameContent finds the newest committed load of source with content hash
// hash under a stream other than stream: a file copied or renamed — or
// every file once config.yaml has moved, as a file's stream name is its
// path from the config's directory. Its rows are then duplicates of that
// load's. ok is false when there is none; at is when that load finished.
func (s *Store) SameContent(ctx context.Context, source, stream, hash string) (other string, at time.Time, ok bool, err error) {
	if hash == "" {
		return "", time.Time{}, false, nil
	}
	err = s.db.QueryRowContext(ctx, `SELECT stream, finished_at FROM loads
		WHERE source = ? AND content_hash = ? AND stream <> ? AND status IN ('ok', 'degraded')
		  AND coalesce(origin, 'sync') = 'sync' AND finished_at IS NOT NULL
		ORDER BY load_id DESC LIMIT 1`, source, hash, stream).Scan(&other, &at)
	if err == sql.ErrNoRows {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("ledger: %w", err)
	}
	return other, at, true, nil
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
		WITH own AS (SELECT * FROM loads WHERE coalesce(origin, 'sync') NOT IN ('reconcile', 'link')),
		last AS (SELECT source, max(sync_id) AS sync_id FROM own GROUP BY source)
		SELECT l.source, min(l.started_at),
		       CASE WHEN bool_and(l.status = 'failed') THEN 'failed'
		            WHEN bool_or(l.status IN ('failed', 'degraded')) THEN 'degraded'
		            WHEN bool_and(l.status = 'unchanged') THEN 'unchanged' ELSE 'ok' END,
		       coalesce(string_agg(DISTINCT l.error, '; '), ''), count(*), sum(l.rows_loaded),
		       (SELECT count(*) FROM quarantine q WHERE q.source = l.source)
		FROM own l JOIN last USING (source, sync_id)
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

// watermarkNotes are the load notes that say what an incremental read
// could not use: the codes of connectors.Note* (kept as text here, so
// that the store does not import the connectors).
var watermarkNotes = map[string]bool{
	"future_watermark": true, "null_watermark": true, "bad_watermark": true,
	"reread": true, "watermark_reset": true, "null_watermark_unread": true, "total_below_read": true,
}

// IncrementalState is one incremental stream as `sources check` shows it.
type IncrementalState struct {
	Stream    string
	Watermark string    // as saved, "" for none
	SavedAt   time.Time // when the watermark was saved (UTC)
	// Notes are the watermark notes of the stream's last committed load:
	// records with future, missing or unreadable watermark values, a
	// re-read, a reset watermark.
	Notes []Note
	// LastFullRead is when the stream was last read in full (first load,
	// sync --full or reconciliation), zero if never; FullRead that load's
	// NoteFullRead note: why, and (Count) the rows it loaded that were not
	// loaded before.
	LastFullRead time.Time
	FullRead     Note
	// ReconcileFailed is the error of a reconciliation that failed after
	// the last full read, "" if none did; ReconcileFailedAt its time.
	ReconcileFailed   string
	ReconcileFailedAt time.Time
}

// IncrementalStates lists the incremental streams of a source, by name:
// the saved watermark, what the last load noted about watermark values,
// and the last full read.
func (s *Store) IncrementalStates(ctx context.Context, source string) ([]IncrementalState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT st.stream, st.watermark, st.updated_at,
		    (SELECT coalesce(l.notes, '') FROM loads l WHERE l.source = st.source AND l.stream = st.stream
		        AND l.status IN ('ok', 'degraded') ORDER BY l.load_id DESC LIMIT 1),
		    (SELECT max(l.finished_at) FROM loads l WHERE l.source = st.source AND l.stream = st.stream
		        AND l.status IN ('ok', 'degraded') AND l.notes LIKE '%"code":"full_read"%'),
		    (SELECT l.notes FROM loads l WHERE l.source = st.source AND l.stream = st.stream
		        AND l.status IN ('ok', 'degraded') AND l.notes LIKE '%"code":"full_read"%' ORDER BY l.load_id DESC LIMIT 1),
		    (SELECT l.error FROM loads l WHERE l.source = st.source AND l.stream = st.stream AND l.origin = 'reconcile'
		        ORDER BY l.load_id DESC LIMIT 1),
		    (SELECT max(l.finished_at) FROM loads l WHERE l.source = st.source AND l.stream = st.stream AND l.origin = 'reconcile')
		FROM source_state st WHERE st.source = ? ORDER BY st.stream`, source)
	if err != nil {
		return nil, fmt.Errorf("source state: %w", err)
	}
	defer rows.Close()
	var out []IncrementalState
	for rows.Next() {
		var st IncrementalState
		var last, fullNotes, failed sql.NullString
		var fullAt, failedAt sql.NullTime
		if err := rows.Scan(&st.Stream, &st.Watermark, &st.SavedAt, &last, &fullAt, &fullNotes, &failed, &failedAt); err != nil {
			return nil, fmt.Errorf("source state: %w", err)
		}
		if failedAt.Valid && (!fullAt.Valid || failedAt.Time.After(fullAt.Time)) {
			st.ReconcileFailed, st.ReconcileFailedAt = failed.String, failedAt.Time
		}
		for _, n := range parseNotes(last.String) {
			if watermarkNotes[n.Code] {
				st.Notes = append(st.Notes, n)
			}
		}
		if fullAt.Valid {
			st.LastFullRead = fullAt.Time
			for _, n := range parseNotes(fullNotes.String) {
				if n.Code == NoteFullRead {
					st.FullRead = n
				}
			}
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// LastFullRead is when any incremental stream of source was last read in
// full (first load, sync --full or reconciliation); zero if never.
func (s *Store) LastFullRead(ctx context.Context, source string) (time.Time, error) {
	var t sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT max(finished_at) FROM loads WHERE source = ?
		AND status IN ('ok', 'degraded') AND notes LIKE '%"code":"full_read"%'`, source).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("last full read of %s: %w", source, err)
	}
	return t.Time, nil
}

// parseNotes reads a load's notes column; "" or bad JSON is none.
func parseNotes(text string) []Note {
	var notes []Note
	if text != "" && json.Unmarshal([]byte(text), &notes) != nil {
		return nil
	}
	return notes
}

// RunBusy is the run-ledger status of a try that found the store held by
// another process: a scheduled run records it, with the holder in its
// error, once it gets the store (see RecordRuns).
const RunBusy = "busy"

// RecordRuns adds runs that have already ended to the run ledger, as they
// were (kind, as-of, times, status, summary, error), in one transaction.
// A try that found the store busy could not write to it then: `lipwatch
// serve` keeps such tries and records them here when it next holds the
// store, before the run it then starts, so the ledger reads in order.
func (s *Store) RecordRuns(ctx context.Context, runs []Run) error {
	if len(runs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	defer tx.Rollback()
	for _, r := range runs {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT nextval('run_id_seq')`).Scan(&id); err != nil {
			return fmt.Errorf("run ledger: %w", err)
		}
		var fin any
		if !r.Finished.IsZero() {
			fin = r.Finished.UTC()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO runs (run_id, kind, as_of, started_at, finished_at, status, summary, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.Kind, r.AsOf, r.Started.UTC(), fin, r.Status, nullable(r.Summary), nullable(r.Error)); err != nil {
			return fmt.Errorf("run ledger: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	return nil
}

// LastAsOf returns the latest as-of date of the runs of a kind with the
// given status, among dates not after notAfter (so that a run for a
// future date, a test of tomorrow's rules, is not taken for tonight's);
// false if there is none. The nightly catch-up goes by it: a run for the
// 28th that started after midnight, having waited for the store, is the
// 28th's night.
func (s *Store) LastAsOf(ctx context.Context, kind, status string, notAfter time.Time) (time.Time, bool, error) {
	var d sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT max(as_of) FROM runs WHERE kind = ? AND status = ? AND as_of <= ?`,
		kind, status, notAfter).Scan(&d)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("run ledger: %w", err)
	}
	return d.Time, d.Valid, nil
}
