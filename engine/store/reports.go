package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
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
	// FoundBy says how the reporter named the person: "id" (the ID
	// number) or "name" (name and village, picked in the registry). Only
	// audited.
	FoundBy string
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
	if err := audit(ctx, tx, r.ReportedBy, "ground_report", fmt.Sprint(id), map[string]any{"kind": r.Kind, "found_by": cmp.Or(r.FoundBy, "id")}); err != nil {
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

// Namesake is a person of the registry found by name and village, for a
// reporter to pick: enough to tell namesakes apart, nothing more.
type Namesake struct {
	IDNumber  string
	Name      string
	Gender    string // as the registry has it: male / female / ""
	BirthYear int    // 0 when unknown
	Relation  string // to the head of household, e.g. 户主, 子, 配偶
}

// NamesakesLimit is the most namesakes PeopleNamed returns: past it, a
// reporter must give the ID number.
const NamesakesLimit = 20

// PeopleNamed returns the living people of the registry whose name is
// name in village (a 12-digit code), by ID number; names compare without
// spaces (half- or full-width) and with the middle dot of minority names
// written any common way (·•・.). At most NamesakesLimit+1 are returned,
// so that the caller can tell "too many".
func (s *Store) PeopleNamed(ctx context.Context, name, village string) ([]Namesake, error) {
	name = NormalizeName(name)
	if name == "" || village == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id_number, name, coalesce(gender, ''), coalesce(year(birth_date), 0), coalesce(relation, '')
		FROM registry_current
		WHERE village_code = ? AND coalesce(status, 'active') = 'active'
		  AND regexp_replace(regexp_replace(name, '[\s\x{3000}]', '', 'g'), '[•・.．]', '·', 'g') = ?
		ORDER BY id_number LIMIT ?`, village, name, NamesakesLimit+1)
	if err != nil {
		return nil, fmt.Errorf("people named in %s: %w", village, err)
	}
	defer rows.Close()
	var out []Namesake
	for rows.Next() {
		var n Namesake
		if err := rows.Scan(&n.IDNumber, &n.Name, &n.Gender, &n.BirthYear, &n.Relation); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// NormalizeName is a person's name as PeopleNamed compares it: no spaces
// (half- or full-width), one middle dot (·).
func NormalizeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsSpace(r) || r == '\u3000':
		case strings.ContainsRune("•・.．", r):
			b.WriteRune('·')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ReportedSince reports whether account filed a report of person id with
// kind at or after since, whatever became of it.
func (s *Store) ReportedSince(ctx context.Context, account, id, kind string, since time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM ground_reports WHERE reported_by = ? AND id_number = ? AND kind = ? AND reported_at >= ?`,
		account, id, kind, since.UTC()).Scan(&n)
	return n > 0, err
}
