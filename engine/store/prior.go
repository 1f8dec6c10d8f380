package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// Prior is what an evaluation leaves for the next night: its date, the
// rule files' version and the data signature it saw, the number of people
// it evaluated and every hit it computed, in order. See evaluate.Prior.
type Prior struct {
	AsOf        time.Time
	PackVersion string
	Data        string
	People      int
	Hits        []cases.Hit
}

// SavePrior replaces the recorded prior evaluation by p, in one
// transaction; the hits go through the Appender.
func (s *Store) SavePrior(ctx context.Context, p *Prior) (err error) {
	dc, err := s.connector.Connect(ctx)
	if err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	defer dc.Close()
	exec := func(q string, args ...any) error {
		_, err := dc.(driver.ExecerContext).ExecContext(ctx, q, named(args))
		return err
	}
	if err := exec(`BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	defer func() {
		if err != nil {
			dc.(driver.ExecerContext).ExecContext(context.WithoutCancel(ctx), `ROLLBACK`, nil)
		}
	}()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`DELETE FROM eval_prior_hits`, nil},
		{`DELETE FROM eval_prior`, nil},
		{`INSERT INTO eval_prior VALUES (?, ?, ?, ?, ?)`, []any{p.AsOf, p.PackVersion, p.Data, int64(p.People), time.Now().UTC()}},
	} {
		if err = exec(st.q, st.args...); err != nil {
			return fmt.Errorf("save prior evaluation: %w", err)
		}
	}
	app, err := duckdb.NewAppender(dc, "", "main", "eval_prior_hits")
	if err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	for i, h := range p.Hits {
		if err = app.AppendRow(h.RuleID, int64(h.RuleVersion), h.Level, h.Reason, h.IDNumber, h.HouseholdID, h.TownshipCode,
			h.Facts, h.Evidence, h.Severity, h.Mark, h.Route, int64(i)); err != nil {
			app.Close()
			return fmt.Errorf("save prior evaluation: %w", err)
		}
	}
	if err = app.Close(); err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	if err = exec(`COMMIT`); err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	return nil
}

// ForgetPrior removes the recorded prior evaluation: the next night is a
// full one.
func (s *Store) ForgetPrior(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM eval_prior_hits; DELETE FROM eval_prior; DELETE FROM eval_prior_facts`); err != nil {
		return fmt.Errorf("forget prior evaluation: %w", err)
	}
	return nil
}

// LoadPrior returns the recorded prior evaluation, or nil when there is
// none.
func (s *Store) LoadPrior(ctx context.Context) (*Prior, error) {
	p := &Prior{}
	var people int64
	// The facts kept beside it must stand for the same evaluation, and be
	// there (a restored store has the record, not the facts).
	err := s.db.QueryRowContext(ctx, `SELECT as_of, pack_version, data, people FROM eval_prior
		JOIN eval_prior_facts USING (as_of, pack_version, data)
		WHERE EXISTS (SELECT 1 FROM duckdb_tables() WHERE database_name = current_database()
		              AND schema_name = 'eval_prior' AND table_name = 'person')`).Scan(&p.AsOf, &p.PackVersion, &p.Data, &people)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prior evaluation: %w", err)
	}
	p.People = int(people)
	rows, err := s.db.QueryContext(ctx, `SELECT rule_id, rule_version, level, reason, id_number, household_id, township_code,
		facts, evidence, severity, mark, route FROM eval_prior_hits ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("prior evaluation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h cases.Hit
		var v int64
		if err := rows.Scan(&h.RuleID, &v, &h.Level, &h.Reason, &h.IDNumber, &h.HouseholdID, &h.TownshipCode,
			&h.Facts, &h.Evidence, &h.Severity, &h.Mark, &h.Route); err != nil {
			return nil, fmt.Errorf("prior evaluation: %w", err)
		}
		h.RuleVersion = int(v)
		p.Hits = append(p.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("prior evaluation: %w", err)
	}
	return p, nil
}
