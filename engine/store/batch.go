package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A dispatch batch is one dispatch's set of lists. It is recorded — its
// cases with their deadlines, its file names, its audit row — before any
// file is written; the files are then written and the batch marked
// written. A process killed in between leaves the batch unwritten, and
// the next dispatch writes the same files from the stored payload
// (PendingBatches) instead of a second set with new deadlines.

// Batch is a recorded dispatch batch.
type Batch struct {
	ID      string    // PD-20261128-1: the as-of day and its sequence that day
	AsOf    time.Time // the dispatch day
	Dir     string    // folder of the files
	Files   []string  // paths of every file the batch writes
	Cases   int       // cases on the township lists
	Written bool      // every file is in place
	// Payload is what the files hold, in the caller's encoding, kept
	// until the batch is written; nil afterwards.
	Payload []byte
	// Townships maps each township code on the batch's lists to the
	// number of its cases; '' is the county's own queue.
	Townships map[string]int
}

// BatchID is the id of the seq-th batch dispatched on day.
func BatchID(day time.Time, seq int) string {
	return fmt.Sprintf("PD-%s-%d", day.Format("20060102"), seq)
}

// BatchesOn returns how many batches were recorded for the dispatch day.
func (s *Store) BatchesOn(ctx context.Context, day time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM dispatch_batches WHERE as_of = ?`, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("dispatch batches: %w", err)
	}
	return n, nil
}

// RecordBatch records b, its cases (marked dispatched as ds says), its
// audit row and its notifications (events) in one transaction. b.ID must
// be new.
func (s *Store) RecordBatch(ctx context.Context, b Batch, ds []Dispatched, actor string, auditDetail any, events ...Event) error {
	files, err := json.Marshal(b.Files)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM dispatch_batches WHERE batch_id = ?`, b.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("dispatch batch %s already recorded", b.ID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dispatch_batches VALUES (?, ?, ?, ?, ?, ?, NULL, ?)`,
		b.ID, b.AsOf, b.Dir, string(files), b.Cases, time.Now().UTC(), b.Payload); err != nil {
		return fmt.Errorf("record dispatch batch %s: %w", b.ID, err)
	}
	if len(ds) > 0 {
		ids, versions, towns, deadlines := make([]string, len(ds)), make([]int32, len(ds)), make([]string, len(ds)), make([]string, len(ds))
		for i, d := range ds {
			ids[i], versions[i], towns[i] = d.CaseID, int32(d.Version), d.Township
			if !d.Deadline.IsZero() {
				deadlines[i] = d.Deadline.Format(time.DateOnly)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dispatch_batch_cases
			SELECT ?, unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]), nullif(unnest(?::VARCHAR[]), '')::DATE`,
			b.ID, ids, versions, towns, deadlines); err != nil {
			return fmt.Errorf("record dispatch batch %s: %w", b.ID, err)
		}
	}
	if err := markDispatched(ctx, tx, ds); err != nil {
		return err
	}
	if err := audit(ctx, tx, actor, "dispatch", b.ID, auditDetail); err != nil {
		return err
	}
	if _, err := addEvents(ctx, tx, events); err != nil {
		return err
	}
	return tx.Commit()
}

// BatchWritten marks a batch's files as all in place and drops its
// payload (the files hold it now; the store keeps no second copy).
func (s *Store) BatchWritten(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE dispatch_batches SET written_at = ?, payload = NULL WHERE batch_id = ?`,
		time.Now().UTC(), id)
	if err != nil {
		return fmt.Errorf("dispatch batch %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("dispatch batch %s: %w", id, ErrNoBatch)
	}
	return nil
}

// ErrNoBatch reports an unknown dispatch batch id.
var ErrNoBatch = errors.New("no such dispatch batch")

// PendingBatches returns the batches recorded but not written, oldest
// first, with their payloads.
func (s *Store) PendingBatches(ctx context.Context) ([]Batch, error) {
	return s.batches(ctx, `written_at IS NULL`)
}

// LoadBatch returns one batch by id, or ErrNoBatch.
func (s *Store) LoadBatch(ctx context.Context, id string) (Batch, error) {
	bs, err := s.batches(ctx, `batch_id = ?`, id)
	if err != nil {
		return Batch{}, err
	}
	if len(bs) == 0 {
		return Batch{}, fmt.Errorf("dispatch batch %s: %w", id, ErrNoBatch)
	}
	return bs[0], nil
}

// BatchesBetween returns the batches dispatched from day from to day to,
// inclusive, oldest first, without payloads.
func (s *Store) BatchesBetween(ctx context.Context, from, to time.Time) ([]Batch, error) {
	bs, err := s.batches(ctx, `as_of BETWEEN ? AND ?`, from, to)
	for i := range bs {
		bs[i].Payload = nil
	}
	return bs, err
}

func (s *Store) batches(ctx context.Context, where string, args ...any) ([]Batch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT batch_id, as_of, dir, files, cases, written_at IS NOT NULL, payload
		FROM dispatch_batches WHERE `+where+` ORDER BY as_of, created_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("dispatch batches: %w", err)
	}
	var out []Batch
	for rows.Next() {
		var b Batch
		var files string
		if err := rows.Scan(&b.ID, &b.AsOf, &b.Dir, &files, &b.Cases, &b.Written, &b.Payload); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(files), &b.Files); err != nil {
			rows.Close()
			return nil, fmt.Errorf("dispatch batch %s: files: %w", b.ID, err)
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Townships, err = s.batchTownships(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) batchTownships(ctx context.Context, id string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT township_code, count(*) FROM dispatch_batch_cases WHERE batch_id = ? GROUP BY 1`, id)
	if err != nil {
		return nil, fmt.Errorf("dispatch batch %s: %w", id, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// RelocateBatch records that a batch's files are written to dir, under
// files, instead of where it was recorded (the folder could no longer be
// made); audited with both places.
func (s *Store) RelocateBatch(ctx context.Context, actor, id, dir string, files []string, from string) error {
	b, err := json.Marshal(files)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE dispatch_batches SET dir = ?, files = ? WHERE batch_id = ?`, dir, string(b), id); err != nil {
		return fmt.Errorf("dispatch batch %s: %w", id, err)
	}
	if err := audit(ctx, tx, actor, "dispatch_relocated", id, map[string]any{"from": from, "to": dir, "files": files}); err != nil {
		return err
	}
	return tx.Commit()
}

// BatchCases returns the case ids of a batch.
func (s *Store) BatchCases(ctx context.Context, id string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id FROM dispatch_batch_cases WHERE batch_id = ? ORDER BY case_id`, id)
	if err != nil {
		return nil, fmt.Errorf("dispatch batch %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
