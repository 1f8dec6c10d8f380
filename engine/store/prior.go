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
// it evaluated and every hit it computed (LoadPrior gives them in the
// order they were first recorded). See evaluate.Prior.
type Prior struct {
	AsOf        time.Time
	PackVersion string
	Data        string
	People      int
	Hits        []cases.Hit
	// Since is the recorded evaluation this one continues (an incremental
	// night's, as LoadPrior returned it), or nil: SavePrior then writes
	// only the hits that differ from its.
	Since   *Prior
	seqs    []int64   // LoadPrior's: each hit's row (eval_prior_hits.seq)
	savedAt time.Time // LoadPrior's: when the record was saved
}

// SavePrior replaces the recorded prior evaluation by p, in one
// transaction. When p continues the recorded one (p.Since, and the store
// still holds it), the hits both have keep their rows: only those gone are
// deleted and those new appended; a night with nothing new changes a few
// thousand of a county's tens of thousands, and the checkpoint that
// follows rewrites those alone (0.5 s of the night at a million people
// when every row was rewritten). Otherwise every row is replaced. The
// hits go through the Appender.
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
	add, gone, next, err := s.priorDelta(ctx, p)
	if err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
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
		{`DELETE FROM eval_prior`, nil},
		{`INSERT INTO eval_prior VALUES (?, ?, ?, ?, ?)`, []any{p.AsOf, p.PackVersion, p.Data, int64(p.People), time.Now().UTC()}},
	} {
		if err = exec(st.q, st.args...); err != nil {
			return fmt.Errorf("save prior evaluation: %w", err)
		}
	}
	switch {
	case gone == nil:
		err = exec(`DELETE FROM eval_prior_hits`)
	case len(gone) > 0:
		err = exec(`DELETE FROM eval_prior_hits WHERE seq IN (SELECT unnest(?::BIGINT[]))`, gone)
	}
	if err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	app, err := duckdb.NewAppender(dc, "", "main", "eval_prior_hits")
	if err != nil {
		return fmt.Errorf("save prior evaluation: %w", err)
	}
	for i, h := range add {
		if err = app.AppendRow(h.RuleID, int64(h.RuleVersion), h.Level, h.Reason, h.IDNumber, h.HouseholdID, h.TownshipCode,
			h.Facts, h.Evidence, h.Severity, h.Mark, h.Route, next+int64(i)); err != nil {
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

// priorDelta says what SavePrior writes of p's hits: those to append, from
// row number next on, and the rows (seq) to delete; gone is nil when every
// row is replaced (p continues no recorded evaluation, or the store no
// longer holds the one it continues: another process's evaluation since).
func (s *Store) priorDelta(ctx context.Context, p *Prior) (add []cases.Hit, gone []int64, next int64, err error) {
	b := p.Since
	if b == nil || len(b.seqs) != len(b.Hits) {
		return p.Hits, nil, 0, nil
	}
	// The record b was loaded from, saved at the same microsecond: not
	// another evaluation of the same inputs saved since.
	var holds bool
	var rows, maxSeq int64
	err = s.db.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM eval_prior WHERE as_of = $1 AND pack_version = $2 AND data = $3 AND saved_at = $4),
			(SELECT count(*) FROM eval_prior_hits), (SELECT coalesce(max(seq), -1) FROM eval_prior_hits)`,
		b.AsOf, b.PackVersion, b.Data, b.savedAt).Scan(&holds, &rows, &maxSeq)
	if err != nil {
		return nil, nil, 0, err
	}
	if !holds || rows != int64(len(b.Hits)) {
		return p.Hits, nil, 0, nil
	}
	have := make(map[cases.Hit][]int64, len(b.Hits))
	for i, h := range b.Hits {
		have[h] = append(have[h], b.seqs[i])
	}
	for _, h := range p.Hits {
		if q := have[h]; len(q) > 0 {
			have[h] = q[1:]
			continue
		}
		add = append(add, h)
	}
	gone = []int64{}
	for _, q := range have {
		gone = append(gone, q...)
	}
	return add, gone, maxSeq + 1, nil
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
	err := s.db.QueryRowContext(ctx, `SELECT as_of, pack_version, data, people, saved_at FROM eval_prior
		JOIN eval_prior_facts USING (as_of, pack_version, data)
		WHERE EXISTS (SELECT 1 FROM duckdb_tables() WHERE database_name = current_database()
		              AND schema_name = 'eval_prior' AND table_name = 'person')`).Scan(&p.AsOf, &p.PackVersion, &p.Data, &people, &p.savedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prior evaluation: %w", err)
	}
	p.People = int(people)
	rows, err := s.db.QueryContext(ctx, `SELECT rule_id, rule_version, level, reason, id_number, household_id, township_code,
		facts, evidence, severity, mark, route, seq FROM eval_prior_hits ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("prior evaluation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h cases.Hit
		var v, seq int64
		if err := rows.Scan(&h.RuleID, &v, &h.Level, &h.Reason, &h.IDNumber, &h.HouseholdID, &h.TownshipCode,
			&h.Facts, &h.Evidence, &h.Severity, &h.Mark, &h.Route, &seq); err != nil {
			return nil, fmt.Errorf("prior evaluation: %w", err)
		}
		h.RuleVersion = int(v)
		p.Hits = append(p.Hits, h)
		p.seqs = append(p.seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("prior evaluation: %w", err)
	}
	return p, nil
}
