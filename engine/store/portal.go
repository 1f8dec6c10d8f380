package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Members returns a household's people from the registry's newest rows,
// the head first, then by birth date.
func (s *Store) Members(ctx context.Context, householdID string) ([]Person, error) {
	if householdID == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id_number, name, household_id, coalesce(relation, ''), coalesce(village_code, ''),
		coalesce(address, ''), coalesce(status, 'active')
		FROM registry_current WHERE household_id = ?
		ORDER BY relation <> '户主', birth_date NULLS LAST, id_number`, householdID)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", householdID, err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		var p Person
		if err := rows.Scan(&p.IDNumber, &p.Name, &p.HouseholdID, &p.Relation, &p.VillageCode, &p.Address, &p.Status); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CaseEvent is one step in a case's history.
type CaseEvent struct {
	On    time.Time
	What  string // opened | dispatched | extended | reopened | closed
	Batch string // dispatched: the batch id
	// Deadline is the deadline a dispatch or an extension carried.
	Deadline time.Time
	Actor    string // extended, closed: who
	Outcome  string // closed: the outcome code; reopened: the outcome undone
	Note     string // closed: the 核实说明; reopened: the reason
}

// CaseHistory returns a case's steps in order: opened, each dispatch
// batch it was on, extensions, and its closing.
func (s *Store) CaseHistory(ctx context.Context, id string) ([]CaseEvent, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT opened_on::TIMESTAMP, 'opened', '', NULL::DATE, '', '', 0 AS ord, '' AS note FROM cases WHERE case_id = $1
		UNION ALL
		SELECT b.as_of::TIMESTAMP, 'dispatched', b.batch_id, bc.deadline, '', '', 1, ''
		FROM dispatch_batch_cases bc JOIN dispatch_batches b USING (batch_id) WHERE bc.case_id = $1
		UNION ALL
		SELECT at_time, 'extended', '', TRY_CAST(json_extract_string(detail, '$.deadline') AS DATE), actor, '', 2, ''
		FROM audit WHERE action = 'cases_extend' AND subject = $1
		UNION ALL
		SELECT at_time::DATE::TIMESTAMP, 'reopened', '', TRY_CAST(json_extract_string(detail, '$.deadline') AS DATE), actor,
			coalesce(json_extract_string(detail, '$.outcome'), ''), 2, coalesce(json_extract_string(detail, '$.reason'), '')
		FROM audit WHERE action = 'case_reopened' AND subject = $1
		UNION ALL
		SELECT closed_on::TIMESTAMP, 'closed', '', NULL::DATE, coalesce(verified_by, ''), coalesce(outcome, ''), 3, coalesce(outcome_note, '')
		FROM cases WHERE case_id = $1 AND state = 'closed'
		ORDER BY 1, 7`, id)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	defer rows.Close()
	var out []CaseEvent
	for rows.Next() {
		var e CaseEvent
		var deadline sql.NullTime
		var ord int
		if err := rows.Scan(&e.On, &e.What, &e.Batch, &deadline, &e.Actor, &e.Outcome, &ord, &e.Note); err != nil {
			return nil, err
		}
		e.Deadline = deadline.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastBatchFor is the newest dispatch batch that sent a list to township
// town (” = the county queue); "" when none did.
func (s *Store) LastBatchFor(ctx context.Context, town string) (string, error) {
	var id sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT b.batch_id FROM dispatch_batches b
		WHERE EXISTS (SELECT 1 FROM dispatch_batch_cases c WHERE c.batch_id = b.batch_id AND c.township_code = ?)
		ORDER BY b.as_of DESC, b.created_at DESC LIMIT 1`, town).Scan(&id)
	if err != nil && err != sql.ErrNoRows {
		return "", fmt.Errorf("last batch of %s: %w", town, err)
	}
	return id.String, nil
}

// RecentRuns returns the newest n runs of the ledger, newest first.
func (s *Store) RecentRuns(ctx context.Context, n int) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, kind, as_of, started_at, finished_at, status, coalesce(summary, ''), coalesce(error, '')
		FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var fin sql.NullTime
		if err := rows.Scan(&r.ID, &r.Kind, &r.AsOf, &r.Started, &fin, &r.Status, &r.Summary, &r.Error); err != nil {
			return nil, err
		}
		r.Finished = fin.Time
		out = append(out, r)
	}
	return out, rows.Err()
}
