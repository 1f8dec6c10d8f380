package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// CasesToDispatch returns the open cases a township has not seen in their
// current form: new ones, and dispatched ones whose hits or level changed
// since. With all, every open case. Only the cases themselves are loaded,
// not their hits: a dispatch takes the hits from the cases it renders.
func (s *Store) CasesToDispatch(ctx context.Context, all bool) ([]*cases.Case, error) {
	if all {
		return s.loadCaseHeads(ctx, `state <> 'closed'`)
	}
	return s.loadCaseHeads(ctx, `state = 'new' OR (state = 'dispatched' AND version > dispatched_version)`)
}

// CasesWhere lists cases by the filters of `lipwatch cases list`; empty
// filters match everything. overdueOn, when not zero, keeps open cases
// whose deadline passed before it.
func (s *Store) CasesWhere(ctx context.Context, township, state, level string, overdueOn time.Time) ([]*cases.Case, error) {
	where := `($1 = '' OR township_code = $1) AND ($2 = '' OR state = $2) AND ($3 = '' OR level = $3)`
	args := []any{township, state, level}
	if !overdueOn.IsZero() {
		where += ` AND state <> 'closed' AND deadline < $4`
		args = append(args, overdueOn)
	}
	return s.loadCases(ctx, where, args...)
}

// CaseHeadsWhere is CasesWhere without the hits: for a list that sorts
// and pages thousands of cases before it shows a hundred.
func (s *Store) CaseHeadsWhere(ctx context.Context, township, state, level string) ([]*cases.Case, error) {
	return s.loadCaseHeads(ctx, `($1 = '' OR township_code = $1) AND ($2 = '' OR state = $2) AND ($3 = '' OR level = $3)`,
		township, state, level)
}

// CasesByID loads the cases of ids that exist, with their hits, by id.
func (s *Store) CasesByID(ctx context.Context, ids []string) ([]*cases.Case, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.loadCases(ctx, `case_id IN (SELECT unnest($1::VARCHAR[]))`, ids)
}

// Case loads one case by id.
func (s *Store) Case(ctx context.Context, id string) (*cases.Case, error) {
	cs, err := s.loadCases(ctx, `case_id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("case %s: %w", id, ErrNoCase)
	}
	return cs[0], nil
}

// CaseHome is where a case is: its township code and household ("" for
// a person without one).
type CaseHome struct{ Township, Household string }

// CaseHomes returns the township and household of each of ids that is a
// case (one query, for a returned list's thousands of rows).
func (s *Store) CaseHomes(ctx context.Context, ids []string) (map[string]CaseHome, error) {
	out := map[string]CaseHome{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, township_code, coalesce(household_id, '') FROM cases
		WHERE case_id IN (SELECT unnest(?::VARCHAR[]))`, ids)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var h CaseHome
		if err := rows.Scan(&id, &h.Township, &h.Household); err != nil {
			return nil, err
		}
		out[id] = h
	}
	return out, rows.Err()
}

// ErrNoCase reports an unknown case id.
var ErrNoCase = errors.New("no such case")

// ErrRecusal refuses to give a case routed to the county's queue by a
// rule (route: county: the household is related to the township's own
// assistance staff) to that township.
var ErrRecusal = errors.New("the household is related to that township's own assistance staff (recusal): the county checks it or gives it to another township")

// Dispatched records that a case went out on day with its deadline. A case
// already dispatched keeps its first dispatch day and deadline: a change
// to it is news for the township, not a new clock.
type Dispatched struct {
	CaseID   string
	Version  int
	Day      time.Time
	Deadline time.Time
	Township string // the township whose list carried it ('' = county queue)
}

// markDispatched records dispatches in tx, in one statement: a batch's
// thousands of cases (14,000 on a county's first night) took 12 s as one
// UPDATE each. A case closed meanwhile is left alone; a zero Deadline
// leaves the case's deadline as it is (NULL stays NULL).
func markDispatched(ctx context.Context, tx *sql.Tx, ds []Dispatched) error {
	if len(ds) == 0 {
		return nil
	}
	ids, versions := make([]string, len(ds)), make([]int32, len(ds))
	days, deadlines := make([]string, len(ds)), make([]string, len(ds))
	for i, d := range ds {
		ids[i], versions[i] = d.CaseID, int32(d.Version)
		days[i] = dateOrEmpty(d.Day)
		deadlines[i] = dateOrEmpty(d.Deadline)
	}
	_, err := tx.ExecContext(ctx, `UPDATE cases SET state = 'dispatched', dispatched_on = coalesce(cases.dispatched_on, d.day),
			deadline = coalesce(cases.deadline, d.deadline), dispatched_version = d.version, last_dispatched_on = d.day, updated_at = $5
		FROM (SELECT unnest($1::VARCHAR[]) AS case_id, unnest($2::INTEGER[]) AS version,
			nullif(unnest($3::VARCHAR[]), '')::DATE AS day, nullif(unnest($4::VARCHAR[]), '')::DATE AS deadline) d
		WHERE cases.case_id = d.case_id AND cases.state <> 'closed'`,
		ids, versions, days, deadlines, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("mark %d cases dispatched: %w", len(ds), err)
	}
	return nil
}

// dateOrEmpty is t's calendar date as YYYY-MM-DD, or "" for the zero time.
func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Closing is a verified outcome to apply to a case.
type Closing struct {
	CaseID     string
	Outcome    string
	Note       string
	VerifiedBy string
	On         time.Time
	// Until is the day the closed case's hits stop being suppressed.
	Until time.Time
}

// CloseCase closes a case with its outcome and suppresses each of its
// active hits until c.Until (unless the evidence worsens). Closing a case
// again with the same outcome changes nothing and reports false; another
// outcome on a closed case is an error.
func (s *Store) CloseCase(ctx context.Context, c Closing) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	closed, err := closeCase(ctx, tx, c)
	if err != nil {
		return false, err
	}
	return closed, tx.Commit()
}

// ClosingResult is what ApplyOutcomes did with one Closing: Closed when it
// closed the case, neither when the same outcome was already applied, Err
// (wrapping ErrNoCase or a *CaseStateError) when the case cannot take it.
type ClosingResult struct {
	Closed bool
	Err    error
}

// ApplyOutcomes closes cases from one returned list and writes its audit
// row in one transaction: a crash leaves either every outcome of the list
// and its audit row, or none of them. detail gets the results, in the
// order of cs, and returns the audit row's detail. The error is for the
// store; a case that cannot take its outcome is a ClosingResult.Err.
func (s *Store) ApplyOutcomes(ctx context.Context, cs []Closing, actor, action, subject string,
	detail func([]ClosingResult) any) ([]ClosingResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]ClosingResult, len(cs))
	for i, c := range cs {
		closed, err := closeCase(ctx, tx, c)
		var state *CaseStateError
		switch {
		case errors.Is(err, ErrNoCase), errors.As(err, &state):
			out[i].Err = err
		case err != nil:
			return nil, err
		default:
			out[i].Closed = closed
		}
	}
	if err := audit(ctx, tx, actor, action, subject, detail(out)); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// closeCase is CloseCase within tx. A case-state refusal is returned
// before anything is written, so tx stays usable.
func closeCase(ctx context.Context, tx *sql.Tx, c Closing) (bool, error) {
	var state cases.State
	var outcome sql.NullString
	var dispatched, lastSent sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT state, outcome, dispatched_on, coalesce(last_dispatched_on, dispatched_on)
		FROM cases WHERE case_id = ?`, c.CaseID).Scan(&state, &outcome, &dispatched, &lastSent)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("case %s: %w", c.CaseID, ErrNoCase)
	}
	if err != nil {
		return false, err
	}
	if state == cases.StateClosed {
		if outcome.String == c.Outcome {
			return false, nil
		}
		return false, &CaseStateError{CaseID: c.CaseID, Reason: "already closed as " + outcome.String}
	}
	if state != cases.StateDispatched {
		return false, &CaseStateError{CaseID: c.CaseID, Reason: "not dispatched yet"}
	}
	if c.On.Before(dispatched.Time) {
		return false, &CaseStateError{CaseID: c.CaseID, Reason: fmt.Sprintf("dispatched on %s: a verification on %s is before it",
			dispatched.Time.Format(time.DateOnly), c.On.Format(time.DateOnly))}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = 'closed', closed_on = ?, outcome = ?, outcome_note = ?,
		verified_by = ?, verified_on = ?, updated_at = ? WHERE case_id = ?`,
		c.On, c.Outcome, nullable(c.Note), nullable(c.VerifiedBy), c.On, time.Now().UTC(), c.CaseID); err != nil {
		return false, err
	}
	// Only hits the township had on its last list are settled: a hit that
	// joined the case after it was last sent has not been verified.
	if _, err := tx.ExecContext(ctx, `INSERT INTO suppressions
		SELECT c.subject, h.rule_id, h.id_number, ?, h.severity, c.case_id
		FROM case_hits h JOIN cases c USING (case_id) WHERE c.case_id = ? AND h.active AND NOT h.mark AND h.first_seen <= ?`,
		c.Until, c.CaseID, lastSent.Time); err != nil {
		return false, err
	}
	// The reports from the ground behind it are answered.
	if err := settleGroundReports(ctx, tx, c.CaseID); err != nil {
		return false, err
	}
	return true, nil
}

// CaseStateError reports a case that cannot take an outcome in its state.
type CaseStateError struct {
	CaseID string
	Reason string
}

func (e *CaseStateError) Error() string { return "case " + e.CaseID + " is " + e.Reason }

// Person is what a list shows of a person: from the newest registry row.
type Person struct {
	IDNumber    string
	Name        string
	HouseholdID string
	Relation    string
	VillageCode string
	Address     string
	Status      string
}

// People returns the registry's newest row for each of ids that it knows.
func (s *Store) People(ctx context.Context, ids []string) (map[string]Person, error) {
	// PeopleAndHouseholds picks the people's rows before ranking them; the
	// view's window, reached by no filter on a subquery, ranked the whole
	// registry (4,828 people of a million: 1.0 s -> 0.17 s, a night's
	// health check, issue 14).
	people, _, err := s.PeopleAndHouseholds(ctx, ids, nil)
	return people, err
}

// Household is a household's head and size for lists.
type Household struct {
	ID      string
	Head    Person
	Members int // active members
}

// PeopleAndHouseholds returns, in one query, the registry's current row
// of each of ids that it knows (as People), by ID number, and the head and
// size of each of hhs that has members, by household. Its work follows
// the ids and households asked for, not the registry: registry_current is
// a window over every registry row, and People with the households query
// it replaces took three passes over it (1.7 s each for a county's
// million people; 5 s of a 14,000-case dispatch). The same rows are
// picked here from the rows of the people concerned only — those asked
// for and every person with a row, current or not, in one of the
// households — in the view's own order (CurrentRowOrder;
// TestPeopleAndHouseholdsAsTheView holds the two together). A household's
// head is the first of its current members ordered by 户主 first, then
// active ones, then the oldest, then the smallest ID number; Members
// counts its active members. ids and hhs may repeat.
func (s *Store) PeopleAndHouseholds(ctx context.Context, ids, hhs []string) (map[string]Person, map[string]Household, error) {
	people, households := map[string]Person{}, map[string]Household{}
	if len(ids) == 0 && len(hhs) == 0 {
		return people, households, nil
	}
	if ids == nil {
		ids = []string{} // a NULL list is not an empty one to DuckDB
	}
	if hhs == nil {
		hhs = []string{}
	}
	rows, err := s.db.QueryContext(ctx, `WITH
		concerned AS (
			SELECT DISTINCT id_number FROM registry
			WHERE id_number IN (SELECT unnest($1::VARCHAR[])) OR household_id IN (SELECT unnest($2::VARCHAR[]))),
		cur AS MATERIALIZED (
			SELECT id_number, name, household_id,
				coalesce(relation, '') AS relation, coalesce(village_code, '') AS village_code, coalesce(address, '') AS address,
				coalesce(status, 'active') AS status, (relation <> '户主', status <> 'active', birth_date, id_number) AS head_rank
			FROM registry WHERE id_number IN (SELECT id_number FROM concerned)
			QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY `+CurrentRowOrder+`) = 1)
		SELECT false, id_number, name, household_id, relation, village_code, address, status, 0
		FROM cur WHERE id_number IN (SELECT unnest($1::VARCHAR[]))
		UNION ALL
		SELECT true, h.id_number, h.name, household_id, h.relation, h.village_code, h.address, h.status, members
		FROM (SELECT household_id,
				arg_min({'id_number': id_number, 'name': name, 'relation': relation, 'village_code': village_code,
					'address': address, 'status': status}, head_rank) AS h,
				count(*) FILTER (WHERE status = 'active') AS members
			FROM cur WHERE household_id IN (SELECT unnest($2::VARCHAR[])) GROUP BY household_id)`, ids, hhs)
	if err != nil {
		return nil, nil, fmt.Errorf("people and households: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var head bool
		var p Person
		var members int
		if err := rows.Scan(&head, &p.IDNumber, &p.Name, &p.HouseholdID, &p.Relation, &p.VillageCode, &p.Address, &p.Status,
			&members); err != nil {
			return nil, nil, fmt.Errorf("people and households: %w", err)
		}
		if head {
			households[p.HouseholdID] = Household{ID: p.HouseholdID, Head: p, Members: members}
		} else {
			people[p.IDNumber] = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("people and households: %w", err)
	}
	return people, households, nil
}

// CurrentRowOrder orders a person's registry rows newest first: the
// order of the view registry_current (migration 0006), whose first row is
// the person's current one.
const CurrentRowOrder = `_load_id DESC, status_date DESC NULLS LAST, _position DESC`

// ExtendCase moves a dispatched case's deadline to the extended one (the
// county allows 25 working days instead of 15 in special cases).
func (s *Store) ExtendCase(ctx context.Context, id string, deadline func(dispatched time.Time) (time.Time, error)) (time.Time, error) {
	c, err := s.Case(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	if c.State != cases.StateDispatched {
		return time.Time{}, &CaseStateError{CaseID: id, Reason: string(c.State) + ", not dispatched and open"}
	}
	d, err := deadline(c.DispatchedOn)
	if err != nil {
		return time.Time{}, err
	}
	if d.Before(c.Deadline) {
		// An extension never brings a deadline forward (one moved later
		// by a reopening, say).
		d = c.Deadline
	}
	// A new version, so the next dispatch lists the case again (更新) with
	// the new deadline.
	_, err = s.db.ExecContext(ctx, `UPDATE cases SET deadline = ?, extended = true, version = version + 1, updated_at = ?
		WHERE case_id = ?`, d, time.Now().UTC(), id)
	return d, err
}

// ReopenCase undoes a case's closing, for the county to correct an
// outcome recorded by mistake: the case is open again (dispatched), its
// outcome, 核实人 and 核实说明 cleared, its deadline the one given
// (counted from today by the caller), a new version so that the next
// dispatch lists it again; the suppressions its closing made are lifted
// and the ground reports it settled are open again. One transaction with
// its audit row (case_reopened: the reason and the outcome undone). Its
// dispatch day becomes day, the reopening's: an extension is counted from
// it, not from the first dispatch. A case
// not closed, or whose household has another case open, is refused
// (*CaseStateError).
func (s *Store) ReopenCase(ctx context.Context, actor, id, reason string, day, deadline time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var state cases.State
	var subject string
	var outcome sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT state, subject, outcome FROM cases WHERE case_id = ?`, id).Scan(&state, &subject, &outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("case %s: %w", id, ErrNoCase)
	}
	if err != nil {
		return err
	}
	if state != cases.StateClosed {
		return &CaseStateError{CaseID: id, Reason: "not closed"}
	}
	var other sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT min(case_id) FROM cases WHERE subject = ? AND state <> 'closed' AND case_id <> ?`,
		subject, id).Scan(&other); err != nil {
		return err
	}
	if other.Valid {
		return &CaseStateError{CaseID: id, Reason: "of a household with another open case, " + other.String}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = 'dispatched', closed_on = NULL, outcome = NULL, outcome_note = NULL,
		verified_by = NULL, verified_on = NULL, dispatched_on = ?, deadline = ?, version = version + 1, updated_at = ? WHERE case_id = ?`,
		day, deadline, time.Now().UTC(), id); err != nil {
		return fmt.Errorf("reopen %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE case_id = ?`, id); err != nil {
		return fmt.Errorf("reopen %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ground_reports SET state = 'open', settled_case = NULL WHERE settled_case = ?`, id); err != nil {
		return fmt.Errorf("reopen %s: %w", id, err)
	}
	if err := audit(ctx, tx, actor, "case_reopened", id, map[string]any{"reason": reason, "outcome": outcome.String,
		"deadline": deadline.Format(time.DateOnly)}); err != nil {
		return err
	}
	return tx.Commit()
}
