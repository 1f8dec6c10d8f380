package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// benchPlan is n new cases of two hits each, as a night at county scale
// opens them (10,000 cases is the 350,000-household county's first night).
func benchPlan(n int, day time.Time) cases.Plan {
	var p cases.Plan
	for i := range n {
		c := &cases.Case{Subject: fmt.Sprintf("34079900100%05d", i), HouseholdID: fmt.Sprintf("34079900100%05d", i),
			TownshipCode: "340799001", Level: "orange", State: cases.StateNew, OpenedOn: day, Version: 1}
		for r, rule := range []string{"MED-OOP-UNCOVERED", "DIS-NEW-SEVERE-UNCOVERED"} {
			c.Hits = append(c.Hits, cases.CaseHit{RuleID: rule, IDNumber: fmt.Sprintf("3407991960%02d%06d", r, i), RuleVersion: 1,
				Level: "orange", Reason: "近12个月医疗个人自付 25,000.00 元，家庭未纳入社会救助",
				Facts: `{"medical.oop_12m":25000,"household.covered":false}`, Evidence: `{"medical":["medical_2026-03.csv:45"]}`,
				Severity: 25000, FirstSeen: day, LastSeen: day, Active: true})
		}
		p.New = append(p.New, c)
	}
	return p
}

// applyPlanRowByRow is ApplyPlan as it was before issue 14: one INSERT a
// case and a hit, and for each updated or refreshed case an UPDATE, a
// DELETE and its hits' INSERTs — the baseline of BenchmarkApplyPlan.
func applyPlanRowByRow(ctx context.Context, s *Store, p cases.Plan, asOf time.Time, rulesHash string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	prefix := "YJ-" + asOf.Format("20060102") + "-"
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(CAST(split_part(case_id, '-', 3) AS BIGINT)) FROM cases
		WHERE starts_with(case_id, ?)`, prefix).Scan(&last); err != nil {
		return err
	}
	next := int(last.Int64) + 1
	now := time.Now().UTC()
	writeHits := func(c *cases.Case) error {
		for _, h := range c.Hits {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_hits (case_id, rule_id, id_number, rule_version, rules_hash, level,
				reason, facts, evidence, severity, first_seen, last_seen, active, mark, route)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, h.RuleID, h.IDNumber, h.RuleVersion, rulesHash, h.Level, h.Reason, h.Facts, h.Evidence,
				h.Severity, h.FirstSeen, h.LastSeen, h.Active, h.Mark, h.Route); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range p.New {
		c.ID = fmt.Sprintf("%s%04d", prefix, next)
		next++
		if _, err := tx.ExecContext(ctx, `INSERT INTO cases (case_id, subject, household_id, township_code, level, state,
			opened_on, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Subject, nullable(c.HouseholdID), c.TownshipCode, c.Level, c.State, c.OpenedOn, c.Version, now); err != nil {
			return err
		}
		if err := writeHits(c); err != nil {
			return err
		}
	}
	for _, group := range [][]*cases.Case{p.Updated, p.Refreshed} {
		for _, c := range group {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET level = ?, version = ?, township_code = ?, updated_at = ? WHERE case_id = ?`,
				c.Level, c.Version, c.TownshipCode, now, c.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM case_hits WHERE case_id = ?`, c.ID); err != nil {
				return err
			}
			if err := writeHits(c); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// applyPlanRewriteAll is ApplyPlan as it was before the narrower refresh
// (stop 33 of issue 14): the same stage tables, then every changed or
// refreshed case's hits deleted and written again whole — the second
// baseline of BenchmarkApplyPlan.
func applyPlanRewriteAll(ctx context.Context, s *Store, p cases.Plan, asOf time.Time, rulesHash string) error {
	dc, exec, err := s.stageTx(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	for i, c := range p.New {
		c.ID = fmt.Sprintf("YJ-%s-%04d", asOf.Format("20060102"), i+1)
	}
	if err := stageCases(dc, p, rulesHash); err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO cases (case_id, subject, household_id, township_code, level, state, opened_on, version, updated_at)
			SELECT case_id, subject, household_id, township_code, level, state, opened_on, version, ? FROM stage_case_heads WHERE is_new`, []any{now}},
		{`UPDATE cases SET level = s.level, version = s.version, township_code = s.township_code, updated_at = ?
			FROM stage_case_heads s WHERE cases.case_id = s.case_id AND NOT s.is_new`, []any{now}},
		{`DELETE FROM case_hits WHERE case_id IN (SELECT case_id FROM stage_case_heads WHERE NOT is_new)`, nil},
		{`INSERT INTO case_hits (case_id, rule_id, id_number, rule_version, rules_hash, level, reason, facts, evidence,
			severity, first_seen, last_seen, active, mark, route)
			SELECT case_id, rule_id, id_number, rule_version, ?, level, reason, facts, evidence,
			severity, first_seen, last_seen, active, mark, route FROM stage_case_hits`, []any{rulesHash}},
		{`COMMIT`, nil},
	} {
		if err := exec(st.q, st.args...); err != nil {
			exec(`ROLLBACK`)
			return err
		}
	}
	return nil
}

// BenchmarkApplyPlan writes a first night's cases (LIPWATCH_BENCH_CASES,
// default 10,000, two hits each) and then the next night's refresh of all
// of them (each seen again as it was: last_seen moves), through ApplyPlan
// and, in the same run, through the row-by-row baseline and the rewrite of
// every refreshed hit, each on a fresh store, each write followed by a
// CHECKPOINT (a night pays for its write-ahead log at a checkpoint, at the
// latest when the store closes); it fails unless the stores hold the same
// cases and hits. Metrics: new_s, refresh_s, the row-by-row baseline's
// base_new_s, base_refresh_s, and the rewrite's all_refresh_s.
func BenchmarkApplyPlan(b *testing.B) {
	n := 10_000
	if v := os.Getenv("LIPWATCH_BENCH_CASES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	apply := map[string]func(*Store, cases.Plan, time.Time) error{
		"set": func(s *Store, p cases.Plan, d time.Time) error { return s.ApplyPlan(ctx, p, d, "sha256:x") },
		"row": func(s *Store, p cases.Plan, d time.Time) error { return applyPlanRowByRow(ctx, s, p, d, "sha256:x") },
		"all": func(s *Store, p cases.Plan, d time.Time) error { return applyPlanRewriteAll(ctx, s, p, d, "sha256:x") },
	}
	checkpoint := func(s *Store) {
		if _, err := s.DB().Exec(`CHECKPOINT`); err != nil {
			b.Fatal(err)
		}
	}
	total := map[string][2]time.Duration{}
	sums := map[string]string{}
	for i := 0; i < b.N; i++ {
		for _, way := range []string{"set", "row", "all"} {
			st, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), way+".duckdb")})
			if err != nil {
				b.Fatal(err)
			}
			p := benchPlan(n, day)
			t0 := time.Now()
			if err := apply[way](st, p, day); err != nil {
				b.Fatal(err)
			}
			checkpoint(st)
			tNew := time.Since(t0)
			next := day.AddDate(0, 0, 1)
			refresh := cases.Plan{Refreshed: p.New}
			for _, c := range refresh.Refreshed {
				for j := range c.Hits {
					c.Hits[j].LastSeen = next
				}
			}
			t0 = time.Now()
			if err := apply[way](st, refresh, next); err != nil {
				b.Fatal(err)
			}
			checkpoint(st)
			tRefresh := time.Since(t0)
			t := total[way]
			total[way] = [2]time.Duration{t[0] + tNew, t[1] + tRefresh}
			var sum string
			if err := st.DB().QueryRow(`SELECT (SELECT count(*) || '/' || sum(version) FROM cases) || ' ' ||
				(SELECT count(*) || '/' || sum(severity) || '/' || count(*) FILTER (WHERE last_seen = DATE '2026-11-29') FROM case_hits)`).Scan(&sum); err != nil {
				b.Fatal(err)
			}
			sums[way] = sum
			st.Close()
		}
		if sums["set"] != sums["row"] || sums["set"] != sums["all"] {
			b.Fatalf("the stores differ: set-based %s, row by row %s, rewriting every hit %s", sums["set"], sums["row"], sums["all"])
		}
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(total["set"][0]), "new_s")
	b.ReportMetric(per(total["set"][1]), "refresh_s")
	b.ReportMetric(per(total["row"][0]), "base_new_s")
	b.ReportMetric(per(total["row"][1]), "base_refresh_s")
	b.ReportMetric(per(total["all"][1]), "all_refresh_s")
}
