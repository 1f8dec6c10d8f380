package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GroundReport is a person in difficulty reported from the ground.
type GroundReport struct {
	ID         int64
	ReportedBy string // the account, e.g. portal:lina
	ReportedAt time.Time
	IDNumber   string
	Kind       string // a GroundKinds code
	Note       string
	State      string // open | settled
}

// AddGroundReport records a report, audited (ground_report) in the same
// transaction; it returns its id.
func (s *Store) AddGroundReport(ctx context.Context, r GroundReport) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT nextval('ground_report_seq')`).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ground_reports VALUES (?, ?, ?, ?, ?, ?, 'open', NULL)`,
		id, r.ReportedBy, r.ReportedAt.UTC(), r.IDNumber, r.Kind, nullable(r.Note)); err != nil {
		return 0, fmt.Errorf("ground report: %w", err)
	}
	if err := audit(ctx, tx, r.ReportedBy, "ground_report", fmt.Sprint(id), map[string]any{"kind": r.Kind}); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// OpenGroundReports are the reports not yet settled, filed by the end of
// day, oldest first.
func (s *Store) OpenGroundReports(ctx context.Context, day time.Time) ([]GroundReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT report_id, reported_by, reported_at, id_number, kind, coalesce(note, ''), state
		FROM ground_reports WHERE state = 'open' AND reported_at < ? ORDER BY report_id`, day.AddDate(0, 0, 1))
	if err != nil {
		return nil, fmt.Errorf("ground reports: %w", err)
	}
	defer rows.Close()
	var out []GroundReport
	for rows.Next() {
		var r GroundReport
		if err := rows.Scan(&r.ID, &r.ReportedBy, &r.ReportedAt, &r.IDNumber, &r.Kind, &r.Note, &r.State); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Home is where the registry places a person: household, township and
// village codes ("" when unknown).
type Home struct{ Household, Township, Village string }

// PersonHome returns a person's household, township and village from the
// registry's newest row; ok is false for a person it does not know.
func (s *Store) PersonHome(ctx context.Context, id string) (Home, bool, error) {
	var h Home
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(household_id, ''), coalesce(township_code, ''), coalesce(village_code, '')
		FROM registry_current WHERE id_number = ?`, id).Scan(&h.Household, &h.Township, &h.Village)
	if errors.Is(err, sql.ErrNoRows) {
		return h, false, nil
	}
	return h, err == nil, err
}

// settleGroundReports settles, in tx, the open reports of the people whose
// GRID-REPORT hits are on a case being closed.
func settleGroundReports(ctx context.Context, tx *sql.Tx, caseID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ground_reports SET state = 'settled', settled_case = ?
		WHERE state = 'open' AND id_number IN (SELECT id_number FROM case_hits WHERE case_id = ? AND rule_id = 'GRID-REPORT')`,
		caseID, caseID)
	return err
}
