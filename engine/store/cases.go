package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
)

const caseColumns = `case_id, subject, coalesce(household_id, ''), township_code, level, state, opened_on,
	dispatched_on, deadline, closed_on, coalesce(outcome, ''), version, dispatched_version, coalesce(assigned, false)`

// OpenCases loads every case not closed, with its hits.
func (s *Store) OpenCases(ctx context.Context) ([]*cases.Case, error) {
	return s.loadCases(ctx, `state <> 'closed'`)
}

// loadCases loads cases matching a SQL condition over the cases table (built
// by the caller from fixed fragments, never from user text) with args.
func (s *Store) loadCases(ctx context.Context, where string, args ...any) ([]*cases.Case, error) {
	return s.casesWithHits(ctx, true, where, args...)
}

// CaseOutlines loads every case, open and closed, with its hits' rules,
// people, marks and dates, but not what they say (reason, facts, evidence,
// empty in the hits returned): for counts over every case, such as the
// county summary and the yield. Every hit's facts and evidence are most
// of what the hits hold (at a million people the query for 17,000 hits
// took 0.62 s with them and 0.07 s without, issue 14); a list reads them
// for the cases it sends (CasesByID).
func (s *Store) CaseOutlines(ctx context.Context) ([]*cases.Case, error) {
	return s.casesWithHits(ctx, false, `true`)
}

// casesWithHits loads the cases matching where with their hits; said adds
// what the hits say (reason, facts, evidence).
func (s *Store) casesWithHits(ctx context.Context, said bool, where string, args ...any) ([]*cases.Case, error) {
	out, err := s.loadCaseHeads(ctx, where, args...)
	if err != nil || len(out) == 0 {
		return out, err
	}
	byID := make(map[string]*cases.Case, len(out))
	for _, c := range out {
		byID[c.ID] = c
	}
	saying := ""
	if said {
		saying = "reason, facts, evidence, "
	}
	hrows, err := s.db.QueryContext(ctx, `SELECT case_id, rule_id, id_number, rule_version, level, `+saying+`severity, first_seen, last_seen, active, mark, route
		FROM case_hits WHERE case_id IN (SELECT case_id FROM cases WHERE `+where+`)
		ORDER BY case_id, first_seen, rule_id, id_number`, args...)
	if err != nil {
		return nil, fmt.Errorf("case hits: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var id string
		var h cases.CaseHit
		dest := []any{&id, &h.RuleID, &h.IDNumber, &h.RuleVersion, &h.Level}
		if said {
			dest = append(dest, &h.Reason, &h.Facts, &h.Evidence)
		}
		dest = append(dest, &h.Severity, &h.FirstSeen, &h.LastSeen, &h.Active, &h.Mark, &h.Route)
		if err := hrows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("case hits: %w", err)
		}
		if c := byID[id]; c != nil {
			c.Hits = append(c.Hits, h)
		}
	}
	return out, hrows.Err()
}

// loadCaseHeads is loadCases without the hits.
func (s *Store) loadCaseHeads(ctx context.Context, where string, args ...any) ([]*cases.Case, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+where+` ORDER BY case_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	defer rows.Close()
	var out []*cases.Case
	for rows.Next() {
		c := &cases.Case{}
		var disp, dead, closed sql.NullTime
		if err := rows.Scan(&c.ID, &c.Subject, &c.HouseholdID, &c.TownshipCode, &c.Level, &c.State, &c.OpenedOn,
			&disp, &dead, &closed, &c.Outcome, &c.Version, &c.DispatchedVersion, &c.Assigned); err != nil {
			return nil, fmt.Errorf("cases: %w", err)
		}
		c.DispatchedOn, c.Deadline, c.ClosedOn = disp.Time, dead.Time, closed.Time
		out = append(out, c)
	}
	return out, rows.Err()
}

// PruneSuppressions deletes suppressions that ended before day: they hold
// ID numbers and are no longer needed.
func (s *Store) PruneSuppressions(ctx context.Context, day time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM suppressions WHERE until < ?`, day)
	return err
}

// Suppressions returns those still in force on day.
func (s *Store) Suppressions(ctx context.Context, day time.Time) ([]cases.Suppression, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT subject, rule_id, id_number, until, severity FROM suppressions WHERE until >= ?`, day)
	if err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	defer rows.Close()
	var out []cases.Suppression
	for rows.Next() {
		var sp cases.Suppression
		if err := rows.Scan(&sp.Subject, &sp.RuleID, &sp.IDNumber, &sp.Until, &sp.Severity); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// ApplyPlan writes an evaluation's plan in one transaction: new cases get
// readable ids (YJ-YYYYMMDD-NNNN, numbered per evaluation date); of the
// changed and refreshed cases, the hits that say something new (another
// fingerprint, hitFingerprint) are written again, and those seen again as
// they were only have last_seen moved. rulesHash records which rule files produced the hits. A case's
// updated_at moves when its level, version, desk or hits changed.
//
// The writes are set-based: the cases and their hits go through DuckDB's
// Appender into temporary stage tables on the store's own connection, and
// a handful of statements move them into cases and case_hits — not one
// statement a row (BenchmarkApplyPlan measures both, and the rewrite of
// every refreshed case's hits that preceded the narrower one).
func (s *Store) ApplyPlan(ctx context.Context, p cases.Plan, asOf time.Time, rulesHash string) (err error) {
	dc, exec, err := s.stageTx(ctx)
	if err != nil {
		return fmt.Errorf("apply cases: %w", err)
	}
	defer dc.Close()
	defer func() {
		if err != nil {
			dc.(driver.ExecerContext).ExecContext(context.WithoutCancel(ctx), `ROLLBACK`, nil)
		}
	}()
	prefix := "YJ-" + asOf.Format("20060102") + "-"
	var last int64 // numerically: ...-10000 comes after ...-9999
	rows, err := dc.(driver.QueryerContext).QueryContext(ctx, `SELECT coalesce(max(CAST(split_part(case_id, '-', 3) AS BIGINT)), 0)
		FROM cases WHERE starts_with(case_id, ?)`, named([]any{prefix}))
	if err != nil {
		return fmt.Errorf("apply cases: %w", err)
	}
	v := make([]driver.Value, 1)
	if err = rows.Next(v); err != nil {
		rows.Close()
		return fmt.Errorf("apply cases: %w", err)
	}
	rows.Close()
	last = toInt(v[0])
	for i, c := range p.New {
		c.ID = fmt.Sprintf("%s%04d", prefix, last+int64(i)+1)
	}
	if err = stageCases(dc, p, rulesHash); err != nil {
		return fmt.Errorf("apply cases: %w", err)
	}
	now := time.Now().UTC()
	// Most open cases are seen again each night as they were: only their
	// hits' last_seen moves. Those hits keep their rows (same) and have
	// last_seen updated, one column; the others are written again whole.
	// Rewriting every open case's hits, with their reasons, facts and
	// evidence, put 9 MB more into a 1m night's write-ahead log, whose
	// checkpoint the night pays (docs/SCALE.md 3.4.5).
	for _, st := range []struct {
		q    string
		args []any
	}{
		// Each staged hit beside its stored row, if any (hrow), and
		// whether that row already says what it says (the same
		// fingerprint).
		{`CREATE OR REPLACE TEMP TABLE stage_hit_flags AS SELECT s.rowid AS srow, s.case_id, s.last_seen, h.rowid AS hrow,
			h.last_seen AS stored_last_seen, coalesce(h.fingerprint = s.fingerprint, false) AS same
			FROM stage_case_hits s LEFT JOIN case_hits h ON h.case_id = s.case_id AND h.rule_id = s.rule_id AND h.id_number = s.id_number`, nil},
		// The stored hits of the staged cases that go: written again, or
		// no longer among the case's hits.
		{`CREATE OR REPLACE TEMP TABLE stage_hit_gone AS SELECT rowid AS hrow, case_id FROM case_hits
			WHERE case_id IN (SELECT case_id FROM stage_case_heads WHERE NOT is_new)
				AND rowid NOT IN (SELECT hrow FROM stage_hit_flags WHERE same)`, nil},
		{`INSERT INTO cases (case_id, subject, household_id, township_code, level, state, opened_on, version, updated_at)
			SELECT case_id, subject, household_id, township_code, level, state, opened_on, version, ? FROM stage_case_heads WHERE is_new`, []any{now}},
		{`UPDATE cases SET level = s.level, version = s.version, township_code = s.township_code, updated_at = ?
			FROM stage_case_heads s WHERE cases.case_id = s.case_id AND NOT s.is_new
				AND (cases.level <> s.level OR cases.version <> s.version OR cases.township_code <> s.township_code
					OR s.case_id IN (SELECT case_id FROM stage_hit_gone UNION ALL SELECT case_id FROM stage_hit_flags WHERE NOT same))`, []any{now}},
		{`UPDATE case_hits SET last_seen = f.last_seen FROM stage_hit_flags f
			WHERE f.same AND case_hits.rowid = f.hrow AND f.stored_last_seen <> f.last_seen`, nil},
		{`DELETE FROM case_hits WHERE rowid IN (SELECT hrow FROM stage_hit_gone)`, nil},
		{`INSERT INTO case_hits (case_id, rule_id, id_number, rule_version, rules_hash, level, reason, facts, evidence,
			severity, first_seen, last_seen, active, mark, route, fingerprint)
			SELECT case_id, rule_id, id_number, rule_version, ?, level, reason, facts, evidence,
			severity, first_seen, last_seen, active, mark, route, fingerprint FROM stage_case_hits
			WHERE rowid IN (SELECT srow FROM stage_hit_flags WHERE NOT same)`, []any{rulesHash}},
		{`COMMIT`, nil},
	} {
		if err = exec(st.q, st.args...); err != nil {
			return fmt.Errorf("apply cases: %w", err)
		}
	}
	return nil
}

// stageTx opens a connection of its own, makes on it the temp tables a
// plan is staged in (stageCases) and begins the transaction that moves
// them into cases and case_hits; exec runs a statement on it. The caller
// closes the connection.
func (s *Store) stageTx(ctx context.Context) (dc driver.Conn, exec func(q string, args ...any) error, err error) {
	dc, err = s.connector.Connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	exec = func(q string, args ...any) error {
		_, err := dc.(driver.ExecerContext).ExecContext(ctx, q, named(args))
		return err
	}
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE stage_case_heads (case_id VARCHAR, subject VARCHAR, household_id VARCHAR,
			township_code VARCHAR, level VARCHAR, state VARCHAR, opened_on DATE, version BIGINT, is_new BOOLEAN)`,
		`CREATE OR REPLACE TEMP TABLE stage_case_hits (case_id VARCHAR, rule_id VARCHAR, id_number VARCHAR, rule_version BIGINT,
			level VARCHAR, reason VARCHAR, facts VARCHAR, evidence VARCHAR, severity DOUBLE, first_seen DATE, last_seen DATE,
			active BOOLEAN, mark BOOLEAN, route VARCHAR, fingerprint VARCHAR)`,
		`BEGIN TRANSACTION`,
	} {
		if err := exec(q); err != nil {
			dc.Close()
			return nil, nil, err
		}
	}
	return dc, exec, nil
}

// hitFingerprint identifies what a case hit says under the rule files
// rulesHash: everything ApplyPlan writes but the case, the rule, the
// person (the hit's key) and last_seen. It is FNV-1a (128 bits) over the
// fields, each preceded by its length, as 32 hex digits. Computed in SQL
// (md5 of the fields as JSON) it took 0.18 s for a 1m night's 17,800
// hits; the whole ApplyPlan takes 0.17–0.19 s with it computed here.
func hitFingerprint(h cases.CaseHit, rulesHash string, buf []byte) (string, []byte) {
	buf = buf[:0]
	field := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = binary.AppendVarint(buf, int64(h.RuleVersion))
	field(rulesHash)
	field(h.Level)
	field(h.Reason)
	field(h.Facts)
	field(h.Evidence)
	buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(h.Severity))
	field(h.FirstSeen.Format(time.DateOnly))
	buf = append(buf, boolByte(h.Active), boolByte(h.Mark))
	field(h.Route)
	f := fnv.New128a()
	f.Write(buf)
	return hex.EncodeToString(f.Sum(nil)), buf
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// stageCases appends the plan's new, updated and refreshed cases and all
// their hits, with their fingerprints under rulesHash, to the stage tables.
func stageCases(dc driver.Conn, p cases.Plan, rulesHash string) error {
	heads, err := duckdb.NewAppender(dc, "temp", "main", "stage_case_heads")
	if err != nil {
		return err
	}
	hits, err := duckdb.NewAppender(dc, "temp", "main", "stage_case_hits")
	if err != nil {
		heads.Close()
		return err
	}
	var buf []byte
	add := func(c *cases.Case, isNew bool) error {
		var hh driver.Value
		if c.HouseholdID != "" {
			hh = c.HouseholdID
		}
		if err := heads.AppendRow(c.ID, c.Subject, hh, c.TownshipCode, c.Level, string(c.State), c.OpenedOn,
			int64(c.Version), isNew); err != nil {
			return err
		}
		for _, h := range c.Hits {
			var fp string
			fp, buf = hitFingerprint(h, rulesHash, buf)
			if err := hits.AppendRow(c.ID, h.RuleID, h.IDNumber, int64(h.RuleVersion), h.Level, h.Reason, h.Facts, h.Evidence,
				h.Severity, h.FirstSeen, h.LastSeen, h.Active, h.Mark, h.Route, fp); err != nil {
				return err
			}
		}
		return nil
	}
	err = func() error {
		for _, c := range p.New {
			if err := add(c, true); err != nil {
				return err
			}
		}
		for _, group := range [][]*cases.Case{p.Updated, p.Refreshed} {
			for _, c := range group {
				if err := add(c, false); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if cerr := heads.Close(); err == nil {
		err = cerr
	}
	if cerr := hits.Close(); err == nil {
		err = cerr
	}
	return err
}

// Run is one row of the run ledger.
type Run struct {
	ID       int64
	Kind     string
	AsOf     time.Time
	Started  time.Time
	Finished time.Time
	Status   string
	Summary  string
	Error    string
}

// BeginRun records the start of an evaluate, dispatch or nightly run.
func (s *Store) BeginRun(ctx context.Context, kind string, asOf time.Time) (int64, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT nextval('run_id_seq')`).Scan(&id); err != nil {
		return 0, err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO runs (run_id, kind, as_of, started_at, status) VALUES (?, ?, ?, ?, 'running')`,
		id, kind, asOf, time.Now().UTC())
	return id, err
}

// RunPartial is the ledger status of a run that was done, but partly, as
// its exit status 3 says: a feedback import that rejected rows or refused
// a list.
const RunPartial = "partial"

// PartialError is the error of a run that was done, but partly:
// FinishRun records it as RunPartial with its words, not as failed.
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// FinishRun closes a run with its summary (JSON) and error, if any: status
// ok, failed, or partial for a *PartialError.
func (s *Store) FinishRun(ctx context.Context, id int64, summary string, runErr error, events ...Event) error {
	status, msg := "ok", any(nil)
	var partial *PartialError
	switch {
	case errors.As(runErr, &partial):
		status, msg = RunPartial, runErr.Error()
	case runErr != nil:
		status, msg = "failed", runErr.Error()
	}
	ctx = context.WithoutCancel(ctx)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, status = ?, summary = ?, error = ? WHERE run_id = ?`,
		time.Now().UTC(), status, nullable(summary), msg, id); err != nil {
		return err
	}
	if _, err := addEvents(ctx, tx, events); err != nil {
		return err
	}
	return tx.Commit()
}

// LastRun returns the newest run of a kind with the given status, if any.
func (s *Store) LastRun(ctx context.Context, kind, status string) (Run, bool, error) {
	var r Run
	var fin sql.NullTime
	var sum, msg sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT run_id, kind, as_of, started_at, finished_at, status, summary, error
		FROM runs WHERE kind = ? AND status = ? ORDER BY run_id DESC LIMIT 1`, kind, status).
		Scan(&r.ID, &r.Kind, &r.AsOf, &r.Started, &fin, &r.Status, &sum, &msg)
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	r.Finished, r.Summary, r.Error = fin.Time, sum.String, msg.String
	return r, true, nil
}
