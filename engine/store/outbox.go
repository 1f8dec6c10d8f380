package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Event is a notification to record: its message (notify.Message as
// JSON), who hears it, and, for a night's chasing, the marks that say
// which cases it chased (so that none is chased twice for one deadline).
type Event struct {
	Key       string // unique; an event whose key is recorded is skipped
	Kind      string
	Audience  string // a township code, county or ops
	Message   []byte
	Receivers []string
	Marks     []NotifyMark
}

// NotifyMark is one case chased: reminded ("remind:3") or escalated
// ("escalate:1") for a deadline.
type NotifyMark struct {
	CaseID   string
	What     string
	Deadline time.Time
}

// addEvents records events in tx with a pending delivery to each of their
// receivers, skipping those whose key is already recorded; it returns how
// many it recorded.
func addEvents(ctx context.Context, tx *sql.Tx, evs []Event) (int, error) {
	n := 0
	now := time.Now().UTC()
	for _, e := range evs {
		var seen int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM notify_events WHERE event_key = ?`, e.Key).Scan(&seen); err != nil {
			return n, fmt.Errorf("notify event %s: %w", e.Key, err)
		}
		if seen > 0 {
			continue
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT nextval('notify_event_seq')`).Scan(&id); err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_events VALUES (?, ?, ?, ?, ?, ?)`,
			id, e.Key, e.Kind, e.Audience, now, string(e.Message)); err != nil {
			return n, fmt.Errorf("notify event %s: %w", e.Key, err)
		}
		for _, r := range e.Receivers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_deliveries VALUES (?, ?, 'pending', 0, ?, NULL, NULL, false)`,
				id, r, now); err != nil {
				return n, fmt.Errorf("notify event %s: %w", e.Key, err)
			}
		}
		for _, m := range e.Marks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_marks VALUES (?, ?, ?, ?)`, m.CaseID, m.What, m.Deadline, id); err != nil {
				return n, fmt.Errorf("notify event %s: %w", e.Key, err)
			}
		}
		n++
	}
	return n, nil
}

// AddEvents records events (see addEvents) in one transaction.
func (s *Store) AddEvents(ctx context.Context, evs []Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := addEvents(ctx, tx, evs)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// NotifyMarks returns the marks recorded, as "case|what|deadline".
func (s *Store) NotifyMarks(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, what, deadline FROM notify_marks`)
	if err != nil {
		return nil, fmt.Errorf("notify marks: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var m NotifyMark
		if err := rows.Scan(&m.CaseID, &m.What, &m.Deadline); err != nil {
			return nil, err
		}
		out[m.Key()] = true
	}
	return out, rows.Err()
}

// Key is the mark as NotifyMarks indexes it.
func (m NotifyMark) Key() string {
	return m.CaseID + "|" + m.What + "|" + m.Deadline.Format(time.DateOnly)
}

// Delivery is one event's delivery to one receiver.
type Delivery struct {
	EventID   int64
	Key       string
	Kind      string
	Audience  string
	Created   time.Time
	Message   []byte
	Receiver  string
	State     string // pending | sending | sent | failed
	Attempts  int
	NextAt    time.Time
	LastError string
	SentAt    time.Time
	Resent    bool
}

const deliveryColumns = `e.event_id, e.event_key, e.kind, e.audience, e.created_at, e.message, d.receiver, d.state, d.attempts,
	d.next_at, coalesce(d.last_error, ''), d.sent_at, d.resent`

func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var msg string
		var sent sql.NullTime
		if err := rows.Scan(&d.EventID, &d.Key, &d.Kind, &d.Audience, &d.Created, &msg, &d.Receiver, &d.State, &d.Attempts,
			&d.NextAt, &d.LastError, &sent, &d.Resent); err != nil {
			return nil, err
		}
		d.Message, d.SentAt = []byte(msg), sent.Time
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueDeliveries returns the deliveries to try at now: pending ones due,
// and any left sending (by a process that died in the middle of a send),
// oldest event first.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM notify_deliveries d JOIN notify_events e USING (event_id)
		WHERE (d.state = 'pending' AND d.next_at <= ?) OR d.state = 'sending' ORDER BY e.event_id, d.receiver`, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("notify deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// DeliveryFilter selects deliveries for `lipwatch notify list`.
type DeliveryFilter struct {
	Receiver, State string
	Limit           int // default 50
}

// Deliveries lists deliveries, newest event first.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM notify_deliveries d JOIN notify_events e USING (event_id)
		WHERE ($1 = '' OR d.receiver = $1) AND ($2 = '' OR d.state = $2)
		ORDER BY e.event_id DESC, d.receiver LIMIT $3`, f.Receiver, f.State, limit)
	if err != nil {
		return nil, fmt.Errorf("notify deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// ClaimDelivery marks a delivery as being sent (one attempt more) before
// the send; it reports whether the delivery was already being sent — by
// a process that died, so that the receiver may have it already.
func (s *Store) ClaimDelivery(ctx context.Context, eventID int64, receiver string) (again bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM notify_deliveries WHERE event_id = ? AND receiver = ?`, eventID, receiver).Scan(&state); err != nil {
		return false, fmt.Errorf("claim delivery %d to %s: %w", eventID, receiver, err)
	}
	if state != "pending" && state != "sending" {
		return false, fmt.Errorf("claim delivery %d to %s: it is %s", eventID, receiver, state)
	}
	again = state == "sending"
	if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'sending', attempts = attempts + 1, resent = resent OR ?
		WHERE event_id = ? AND receiver = ?`, again, eventID, receiver); err != nil {
		return false, err
	}
	return again, tx.Commit()
}

// DeliverySent marks a delivery sent.
func (s *Store) DeliverySent(ctx context.Context, eventID int64, receiver string, at time.Time) error {
	_, err := s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE notify_deliveries SET state = 'sent', sent_at = ?, last_error = NULL
		WHERE event_id = ? AND receiver = ?`, at.UTC(), eventID, receiver)
	return err
}

// DeliveryFailed records a failed attempt: pending again from next, or
// failed for good when giveUp. maybeGot marks an attempt that may have
// reached the receiver (it timed out waiting for the answer): the next
// copy is marked resent.
func (s *Store) DeliveryFailed(ctx context.Context, eventID int64, receiver string, msg string, next time.Time, giveUp, maybeGot bool) error {
	state := "pending"
	if giveUp {
		state = "failed"
	}
	_, err := s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE notify_deliveries SET state = ?, next_at = ?, last_error = ?, resent = resent OR ?
		WHERE event_id = ? AND receiver = ?`, state, next.UTC(), msg, maybeGot, eventID, receiver)
	return err
}

// RetryDeliveries makes failed deliveries, and pending ones waiting for
// their next try, pending now with their attempts reset: of receiver ("" every one), of the events given (none:
// every failed one). It returns how many.
func (s *Store) RetryDeliveries(ctx context.Context, receiver string, events []int64) (int, error) {
	if events == nil {
		events = []int64{}
	}
	res, err := s.db.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'pending', attempts = 0, next_at = $3
		WHERE state IN ('failed', 'pending') AND ($1 = '' OR receiver = $1) AND (len($2::BIGINT[]) = 0 OR list_contains($2::BIGINT[], event_id))`,
		receiver, events, time.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("retry deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// InterruptedRuns returns the runs marked interrupted (a process that
// died in the middle of one) that started at or after since, oldest
// first.
func (s *Store) InterruptedRuns(ctx context.Context, since time.Time) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, kind, as_of, started_at FROM runs
		WHERE status = 'interrupted' AND started_at >= ? ORDER BY run_id`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("interrupted runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r := Run{Status: "interrupted"}
		if err := rows.Scan(&r.ID, &r.Kind, &r.AsOf, &r.Started); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
