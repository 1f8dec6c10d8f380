package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/gen"
)

// handSQL computes the default rule pack's hits straight from the
// canonical tables in one query: what an analyst would write by hand.
const handSQL = `
WITH reg AS (
  SELECT * FROM registry
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY _load_id DESC, status_date DESC NULLS LAST, _position DESC) = 1
), asst AS (
  SELECT * FROM assistance
  QUALIFY row_number() OVER (PARTITION BY id_number, category, start_date ORDER BY _load_id DESC, _position DESC) = 1
), cur AS (
  SELECT * FROM asst WHERE start_date <= DATE '%[1]s' AND (end_date IS NULL OR end_date >= DATE '%[1]s')
), covered AS (
  SELECT DISTINCT coalesce(reg.household_id, cur.household_id) AS household_id FROM cur LEFT JOIN reg USING (id_number)
), inc AS (
  SELECT h.household_id, h.annual_income / nullif(coalesce(h.members, m.n), 0) / 12 AS pcm
  FROM (SELECT * FROM households QUALIFY row_number() OVER (PARTITION BY household_id ORDER BY income_assessed_date DESC NULLS LAST, _load_id DESC) = 1) h
  LEFT JOIN (SELECT household_id, count(*) FILTER (WHERE status = 'active') AS n FROM reg GROUP BY household_id) m USING (household_id)
), people AS (
  SELECT id_number, reg.household_id,
         CASE WHEN reg.status_date > DATE '%[1]s' THEN 'active' ELSE coalesce(reg.status, 'active') END AS status,
         reg.household_id IS NOT NULL AND reg.household_id IN (SELECT household_id FROM covered) AS covered
  FROM (SELECT id_number FROM registry UNION SELECT id_number FROM medical UNION SELECT id_number FROM disability
        UNION SELECT id_number FROM employment UNION SELECT id_number FROM fishers UNION SELECT id_number FROM assistance) ids
  LEFT JOIN reg USING (id_number)
)
SELECT 'MED-OOP-UNCOVERED' AS rule_id, p.id_number FROM people p JOIN (
  SELECT id_number, sum(out_of_pocket) AS oop FROM medical
  WHERE settle_date > DATE '%[1]s' - INTERVAL 12 MONTH AND settle_date <= DATE '%[1]s' GROUP BY id_number) m USING (id_number)
WHERE m.oop >= 20000 AND NOT p.covered
UNION ALL
SELECT 'DIS-NEW-SEVERE-UNCOVERED', p.id_number FROM people p JOIN (
  SELECT id_number, arg_max(level::INT, issued_date) AS level, max(issued_date) AS issued FROM disability
  WHERE coalesce(status, 'valid') = 'valid' AND issued_date <= DATE '%[1]s' GROUP BY id_number) d USING (id_number)
WHERE d.level BETWEEN 1 AND 2 AND date_diff('day', d.issued, DATE '%[1]s') <= 90 AND NOT p.covered AND p.status = 'active'
UNION ALL
SELECT 'UNEMP-LOWINC-UNCOVERED', p.id_number FROM people p JOIN (
  SELECT id_number FROM employment WHERE event_date <= DATE '%[1]s' GROUP BY id_number
  HAVING arg_max(event, event_date) FILTER (WHERE event IN ('unemployed', 'employed')) = 'unemployed'
     AND date_diff('day', max(event_date) FILTER (WHERE event = 'unemployed'), DATE '%[1]s') <= 365) e USING (id_number)
JOIN inc ON inc.household_id = p.household_id
WHERE inc.pcm < 1170 AND NOT p.covered AND p.status = 'active'
UNION ALL
SELECT 'FISHER-UNRESETTLED', p.id_number FROM people p JOIN (
  SELECT * FROM fishers WHERE retired_date <= DATE '%[1]s'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY _load_id DESC, _position DESC) = 1) f USING (id_number)
WHERE f.resettlement = 'unemployed' AND NOT coalesce(f.pension_insured, false) AND NOT p.covered AND p.status = 'active'
UNION ALL
SELECT 'INTEGRITY-DECEASED-RECIPIENT', p.id_number FROM people p
WHERE p.status IN ('deceased', 'cancelled') AND p.id_number IN (SELECT id_number FROM cur)
`

// benchCounty generates (once, cached in the temp dir) a county of n
// households and syncs it into a store, returning a pipeline on it.
func benchCounty(b *testing.B, n int) *Pipeline {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "lipwatch-bench", fmt.Sprintf("county-%d", n))
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if _, err := os.Stat(filepath.Join(dir, "truth.json")); err != nil {
		if _, err := gen.Generate(context.Background(), gen.Options{Seed: 1, Households: n, AsOf: day, Dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
	b.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "store", "lw.duckdb"))
	b.Setenv("LIPWATCH_DISPATCH_DIR", b.TempDir())
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for name, src := range cfg.Sources {
		if p, ok := src.Options["path"].(string); ok {
			src.Options["path"] = filepath.Join(dir, strings.TrimPrefix(p, "testdata/county/"))
		}
		cfg.Sources[name] = src
	}
	p, err := Open(context.Background(), cfg, nil, "bench")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	res, err := p.Sync(context.Background(), nil, false) // loads nothing once the store is cached
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	b.Logf("county of %d households synced in %s", n, time.Since(t0).Round(time.Millisecond))
	return p
}

// BenchmarkEvaluate times `lipwatch evaluate` (facts, rules, case plan;
// dry, so every iteration does the same work) on a county of 100,000
// households and, in the same run, the hand-written SQL computing the same
// hits; it fails if the two disagree.
func BenchmarkEvaluate(b *testing.B) {
	n := 100_000
	if s := os.Getenv("LIPWATCH_BENCH_HOUSEHOLDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	p := benchCounty(b, n)
	defer p.Close()
	ctx := context.Background()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	var evalTotal, sqlTotal time.Duration
	var people int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := p.Evaluate(ctx, day, true)
		if err != nil {
			b.Fatal(err)
		}
		evalTotal += time.Since(t0)
		people = res.People
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.RuleID+" "+h.IDNumber)
		}

		t0 = time.Now()
		rows, err := p.Store.DB().QueryContext(ctx, fmt.Sprintf(handSQL, day.Format(time.DateOnly)))
		if err != nil {
			b.Fatal(err)
		}
		var want []string
		for rows.Next() {
			var r, id string
			if err := rows.Scan(&r, &id); err != nil {
				b.Fatal(err)
			}
			want = append(want, r+" "+id)
		}
		rows.Close()
		sqlTotal += time.Since(t0)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			b.Fatalf("evaluate found %d hits, the hand-written SQL %d", len(got), len(want))
		}
		if i == 0 {
			b.Logf("%d people, %d hits", people, len(got))
		}
	}
	b.ReportMetric(evalTotal.Seconds()/float64(b.N), "evaluate_s")
	b.ReportMetric(sqlTotal.Seconds()/float64(b.N), "hand_sql_s")
	b.ReportMetric(evalTotal.Seconds()/sqlTotal.Seconds(), "ratio")
}
