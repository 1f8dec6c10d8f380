package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// ExtensionRequest is a township's request for more time on a case.
type ExtensionRequest struct {
	ID          int64
	CaseID      string
	RequestedBy string
	RequestedAt time.Time
	Reason      string
	State       string // pending | approved | refused
	DecidedBy   string
	DecidedAt   time.Time
	Note        string
	NewDeadline time.Time
}

// Extension request states.
const (
	ExtensionPending  = "pending"
	ExtensionApproved = "approved"
	ExtensionRefused  = "refused"
)

// ErrNoRequest reports an unknown extension request.
var ErrNoRequest = errors.New("no such extension request")

// RequestExtension records account's request for more time on case id,
// audited (extension_request) in the same transaction. The case must be
// dispatched, open, not extended yet, and without a pending request: a
// *CaseStateError says which is not so.
func (s *Store) RequestExtension(ctx context.Context, account, id, reason string) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var state cases.State
	var extended bool
	err = tx.QueryRowContext(ctx, `SELECT state, extended FROM cases WHERE case_id = ?`, id).Scan(&state, &extended)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("case %s: %w", id, ErrNoCase)
	}
	if err != nil {
		return 0, err
	}
	var pending int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM extension_requests WHERE case_id = ? AND state = 'pending'`, id).Scan(&pending); err != nil {
		return 0, err
	}
	switch {
	case state != cases.StateDispatched:
		return 0, &CaseStateError{CaseID: id, Reason: string(state) + ", not dispatched and open"}
	case extended:
		return 0, &CaseStateError{CaseID: id, Reason: "extended already"}
	case pending > 0:
		return 0, &CaseStateError{CaseID: id, Reason: "waiting for the county's decision on an earlier request"}
	}
	var rid int64
	if err := tx.QueryRowContext(ctx, `SELECT nextval('extension_request_seq')`).Scan(&rid); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO extension_requests (request_id, case_id, requested_by, requested_at, reason, state)
		VALUES (?, ?, ?, ?, ?, 'pending')`, rid, id, account, time.Now().UTC(), reason); err != nil {
		return 0, err
	}
	if err := audit(ctx, tx, account, "extension_request", id, map[string]any{"request": rid}); err != nil {
		return 0, err
	}
	return rid, tx.Commit()
}

// ExtensionRequests lists requests in a state ("" for all), oldest first.
func (s *Store) ExtensionRequests(ctx context.Context, state string) ([]ExtensionRequest, error) {
	return s.extensionRequests(ctx, `$1 = '' OR state = $1`, state)
}

// CaseExtensionRequests lists a case's requests, oldest first.
func (s *Store) CaseExtensionRequests(ctx context.Context, id string) ([]ExtensionRequest, error) {
	return s.extensionRequests(ctx, `case_id = $1`, id)
}

func (s *Store) extensionRequests(ctx context.Context, where string, arg any) ([]ExtensionRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT request_id, case_id, requested_by, requested_at, reason, state,
		coalesce(decided_by, ''), decided_at, coalesce(decision_note, ''), new_deadline
		FROM extension_requests WHERE `+where+` ORDER BY request_id`, arg)
	if err != nil {
		return nil, fmt.Errorf("extension requests: %w", err)
	}
	defer rows.Close()
	var out []ExtensionRequest
	for rows.Next() {
		var r ExtensionRequest
		var decided, deadline sql.NullTime
		if err := rows.Scan(&r.ID, &r.CaseID, &r.RequestedBy, &r.RequestedAt, &r.Reason, &r.State, &r.DecidedBy, &decided, &r.Note, &deadline); err != nil {
			return nil, err
		}
		r.DecidedAt, r.NewDeadline = decided.Time, deadline.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// DecideExtension approves or refuses a pending request, by account,
// with a note. Approving moves the case's deadline to deadline(the case's
// dispatch day) and re-lists it (a new version, as `cases extend` does);
// the decision, the case and the audit rows (extension_decided, and
// cases_extend when approved) are one transaction. A request decided
// already, or a case no longer open, is a *CaseStateError.
func (s *Store) DecideExtension(ctx context.Context, account string, rid int64, approve bool, note string,
	deadline func(dispatched time.Time) (time.Time, error)) (ExtensionRequest, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ExtensionRequest{}, err
	}
	defer tx.Rollback()
	var r ExtensionRequest
	err = tx.QueryRowContext(ctx, `SELECT request_id, case_id, state FROM extension_requests WHERE request_id = ?`, rid).Scan(&r.ID, &r.CaseID, &r.State)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("extension request %d: %w", rid, ErrNoRequest)
	}
	if err != nil {
		return r, err
	}
	if r.State != ExtensionPending {
		return r, &CaseStateError{CaseID: r.CaseID, Reason: "its extension request was " + r.State + " already"}
	}
	now := time.Now().UTC()
	r.State, r.DecidedBy, r.DecidedAt, r.Note = ExtensionRefused, account, now, note
	if approve {
		var state cases.State
		var dispatched, current sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT state, dispatched_on, deadline FROM cases WHERE case_id = ?`, r.CaseID).Scan(&state, &dispatched, &current); err != nil {
			return r, err
		}
		if state != cases.StateDispatched {
			return r, &CaseStateError{CaseID: r.CaseID, Reason: string(state) + ", not dispatched and open"}
		}
		d, err := deadline(dispatched.Time)
		if err != nil {
			return r, err
		}
		if current.Valid && d.Before(current.Time) {
			d = current.Time // an extension never brings a deadline forward
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET deadline = ?, extended = true, version = version + 1, updated_at = ?
			WHERE case_id = ?`, d, now, r.CaseID); err != nil {
			return r, err
		}
		r.State, r.NewDeadline = ExtensionApproved, d
		if err := audit(ctx, tx, account, "cases_extend", r.CaseID, map[string]any{"deadline": d.Format(time.DateOnly), "request": rid}); err != nil {
			return r, err
		}
	}
	var nd any
	if !r.NewDeadline.IsZero() {
		nd = r.NewDeadline
	}
	if _, err := tx.ExecContext(ctx, `UPDATE extension_requests SET state = ?, decided_by = ?, decided_at = ?, decision_note = ?, new_deadline = ?
		WHERE request_id = ?`, r.State, account, now, nullable(note), nd, rid); err != nil {
		return r, err
	}
	if err := audit(ctx, tx, account, "extension_decided", r.CaseID, map[string]any{"request": rid, "state": r.State}); err != nil {
		return r, err
	}
	return r, tx.Commit()
}

// AssignTownship routes an open case of the county's own queue (no
// township could be found for its household) to township code town, by
// account; audited (case_assigned) in the same transaction. The case is
// re-listed (a new version), and re-evaluation keeps the township: hits
// without one do not move a case. fromQueue says whether the case's
// current township is the county queue's (the caller routes). A case
// routed to the queue by a rule (route: county, recusal) cannot go to its
// household's own township (ErrRecusal): the county checks it or gives it
// to another township.
func (s *Store) AssignTownship(ctx context.Context, account, id, town string, fromQueue func(code string) bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var state cases.State
	var current string
	err = tx.QueryRowContext(ctx, `SELECT state, township_code FROM cases WHERE case_id = ?`, id).Scan(&state, &current)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("case %s: %w", id, ErrNoCase)
	}
	if err != nil {
		return err
	}
	switch {
	case state == cases.StateClosed:
		return &CaseStateError{CaseID: id, Reason: "closed"}
	case !fromQueue(current):
		return &CaseStateError{CaseID: id, Reason: "routed to a township already"}
	}
	var household sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT household_id FROM cases WHERE case_id = ?`, id).Scan(&household); err != nil {
		return err
	}
	if household.Valid {
		recused, err := recusedTownships(ctx, tx, household.String)
		if err != nil {
			return err
		}
		if slices.Contains(recused, town) {
			return fmt.Errorf("case %s: %w", id, ErrRecusal)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET township_code = ?, assigned = true, version = version + 1, updated_at = ? WHERE case_id = ?`,
		town, time.Now().UTC(), id); err != nil {
		return err
	}
	if err := audit(ctx, tx, account, "case_assigned", id, map[string]any{"township": town, "was": current}); err != nil {
		return err
	}
	return tx.Commit()
}

// RecusedTownships are the townships a household's case must not be given
// to (回避): those whose assistance staff have declared an active member of
// the household as a close relative, or live in it, by a declaration not
// ended (staff_relatives). Sorted 9-digit codes; none without declarations.
func (s *Store) RecusedTownships(ctx context.Context, household string) ([]string, error) {
	return recusedTownships(ctx, s.db, household)
}

func recusedTownships(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, household string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT left(s.staff_unit_code, 9) AS town
		FROM staff_relatives s JOIN registry_current r ON s.id_number = r.id_number OR s.staff_id_number = r.id_number
		WHERE r.household_id = ? AND r.status = 'active' AND s.staff_role = 'assistance_staff'
		  AND length(s.staff_unit_code) >= 9 AND (s.ended_date IS NULL OR s.ended_date > current_date)
		ORDER BY town`, household)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
