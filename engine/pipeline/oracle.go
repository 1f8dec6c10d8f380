package pipeline

// The hand-written SQL oracle: the default rule pack's hits computed in one
// DuckDB query, the baseline the evaluation is measured and checked against
// (BenchmarkEvaluate, lipwatch bench).

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// handSQL computes the default rule pack's hits (rules/*.yaml, every
// enabled rule, marks included) straight from the canonical tables in one
// query, as an analyst would write it by hand from the rules' wording and
// the datasets' meaning: it does not read facts.yaml. %[1]s is the
// evaluation date. Params are literals, each with its name beside it (the
// values in force on 2026-11-28); a param that changes must be changed here
// too. It returns one row per hit: rule_id, id_number and the person's
// household (户号 in the registry, NULL without one); a household rule's one
// hit lands on the household's head (户主) when the rule holds for the
// head, else on the member with the smallest ID number, as the engine's.
//
// Where facts.yaml departs from the documented meaning the query keeps the
// meaning, so that the two disagree on data that shows it (the synthetic
// county does not): a member of a household is one alive on the evaluation
// date as person.status says (no status is active, a death dated later has
// not happened), where the household, rigid and recusal facts count only
// registry rows whose status reads 'active'; and a disability certificate
// is read from its newest row, where the disability fact keeps a cancelled
// certificate's earlier 'valid' row.
const handSQL = `
WITH
-- Everyone the rules are evaluated for: the registry and the person-keyed
-- sources of the core rules (medical, disability, employment, fishers,
-- assistance). Someone only in the asset, school, rehabilitation or recusal
-- sources is not evaluated (and none of those rules could hold for her:
-- they need a household, which only the registry gives).
ids AS (
  SELECT id_number FROM registry UNION SELECT id_number FROM medical
  UNION SELECT id_number FROM disability UNION SELECT id_number FROM employment
  UNION SELECT id_number FROM fishers UNION SELECT id_number FROM assistance
),
-- Each registered person's current row: the newest load, then the latest
-- status date, then the last line. Status on the evaluation date: a death
-- or cancellation dated after it has not happened yet; no status is active.
reg AS (
  SELECT id_number, household_id, relation, township_code, status_date,
         CASE WHEN status_date > DATE '%[1]s' THEN 'active' ELSE coalesce(status, 'active') END AS status
  FROM registry
  QUALIFY row_number() OVER (PARTITION BY id_number
                             ORDER BY _load_id DESC, status_date DESC NULLS LAST, _position DESC) = 1
),
-- Assistance in force on the evaluation date (its start and end dates
-- both count), each grant (person, category, start) read from its newest
-- version, with the household it counts for: the recipient's household in
-- the registry, else the one the roster gives.
grants AS (
  SELECT a.id_number, coalesce(r.household_id, a.household_id) AS household_id, a.category, a.start_date
  FROM (SELECT * FROM assistance
        QUALIFY row_number() OVER (PARTITION BY id_number, category, start_date
                                   ORDER BY _load_id DESC, _position DESC) = 1) a
  LEFT JOIN reg r USING (id_number)
  WHERE a.start_date <= DATE '%[1]s' AND (a.end_date IS NULL OR a.end_date >= DATE '%[1]s')
),
-- Households (户号) as the registry's current rows give them: the head
-- (户主; the smaller ID number if two are so marked), who carries a
-- household rule's hit (else the member with the smallest ID number:
-- holder), the members alive on the evaluation date, covered (any grant in
-- force, 防返贫监测 and other included) and aided (低保, 特困, 低边 or
-- 刚性支出困难 in force).
house AS (
  SELECT household_id,
         min(id_number) FILTER (WHERE relation = '户主') AS head,
         coalesce(min(id_number) FILTER (WHERE relation = '户主'), min(id_number)) AS holder,
         count(*) FILTER (WHERE status = 'active') AS alive,
         household_id IN (SELECT household_id FROM grants WHERE household_id IS NOT NULL) AS covered,
         household_id IN (SELECT household_id FROM grants WHERE household_id IS NOT NULL
                          AND category IN ('dibao', 'tekun', 'dibian', 'rigid')) AS aided
  FROM reg GROUP BY household_id
),
person AS (
  SELECT ids.id_number, r.household_id, coalesce(r.status, 'active') AS status,
         coalesce(h.covered, false) AS covered, coalesce(h.aided, false) AS aided
  FROM ids LEFT JOIN reg r USING (id_number) LEFT JOIN house h USING (household_id)
),
-- The household's income as last assessed by the evaluation date (a later
-- assessment is not known yet; an undated one is the oldest), shared by
-- the people the assessment counts, else by the members alive; a household
-- without an income or with nobody to share it is not assessed.
income AS (
  SELECT i.household_id, i.annual_income, coalesce(i.members, h.alive) AS heads
  FROM (SELECT * FROM households
        WHERE income_assessed_date IS NULL OR income_assessed_date <= DATE '%[1]s'
        QUALIFY row_number() OVER (PARTITION BY household_id
                                   ORDER BY income_assessed_date DESC NULLS LAST, _load_id DESC, _position DESC) = 1) i
  JOIN house h USING (household_id)
  WHERE i.annual_income IS NOT NULL AND coalesce(i.members, h.alive) > 0
),
-- 近12个月 (medical_window_months: 12): settled after the day exactly 12
-- calendar months before the evaluation date, up to and including it.
med AS (
  SELECT id_number, sum(out_of_pocket) AS oop, max(out_of_pocket) AS top_stay
  FROM medical
  WHERE settle_date > DATE '%[1]s' - INTERVAL 12 MONTH AND settle_date <= DATE '%[1]s'
  GROUP BY id_number
),
-- Disability certificates issued by the evaluation date, each as its
-- newest row says (a cancellation comes as a new row of the certificate:
-- the same 证号, or without one the same category, level and issue date),
-- and of those still valid the one issued last.
cert AS (
  SELECT id_number, level::INTEGER AS level, issued_date
  FROM (SELECT * FROM disability
        WHERE issued_date <= DATE '%[1]s'
        QUALIFY row_number() OVER (PARTITION BY id_number, cert_number,
                                     CASE WHEN cert_number IS NULL THEN category END,
                                     CASE WHEN cert_number IS NULL THEN level END,
                                     CASE WHEN cert_number IS NULL THEN issued_date END
                                   ORDER BY _load_id DESC, _position DESC) = 1)
  WHERE coalesce(status, 'valid') = 'valid'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY issued_date DESC, _load_id DESC, _position DESC) = 1
),
-- Registered unemployed: the latest 失业 or 就业 registration by the
-- evaluation date is 失业, made within unemployed_window_days (365).
jobless AS (
  SELECT id_number FROM (
    SELECT id_number, event, event_date FROM employment
    WHERE event IN ('unemployed', 'employed') AND event_date <= DATE '%[1]s'
    QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY event_date DESC) = 1)
  WHERE event = 'unemployed' AND event_date >= DATE '%[1]s' - INTERVAL 365 DAY
),
-- A retired fisher's newest record among those retired by the evaluation date.
fisher AS (
  SELECT id_number, resettlement, pension_insured FROM fishers
  WHERE retired_date <= DATE '%[1]s'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY _load_id DESC, _position DESC) = 1
),
-- Owners of a car, truck or other motor vehicle in use on the evaluation
-- date (each plate's newest row per owner; registered by then and not
-- cancelled by then; cancelled without a date is cancelled). Mobility
-- vehicles, motorcycles and farm vehicles do not count.
car AS (
  SELECT DISTINCT id_number
  FROM (SELECT * FROM vehicles
        QUALIFY row_number() OVER (PARTITION BY plate, id_number ORDER BY _load_id DESC, _position DESC) = 1)
  WHERE vehicle_type IN ('car', 'truck', 'other') AND registered_date <= DATE '%[1]s'
    AND (cancelled_date > DATE '%[1]s' OR (cancelled_date IS NULL AND coalesce(status, 'active') = 'active'))
),
-- Per household, the property certificates in force that its registered
-- people hold (one certificate held jointly is one).
estate AS (
  SELECT r.household_id,
         count(DISTINCT p.cert_number) FILTER (WHERE p.purpose = 'residential') AS homes,
         count(DISTINCT p.cert_number) FILTER (WHERE p.purpose IN ('shop', 'garage', 'office', 'industrial')) AS other
  FROM (SELECT * FROM property
        QUALIFY row_number() OVER (PARTITION BY cert_number, id_number ORDER BY _load_id DESC, _position DESC) = 1) p
  JOIN reg r USING (id_number)
  WHERE p.registered_date <= DATE '%[1]s'
    AND (p.cancelled_date > DATE '%[1]s' OR (p.cancelled_date IS NULL AND coalesce(p.status, 'active') = 'active'))
  GROUP BY r.household_id
),
-- Market entities a person runs that exist on the evaluation date, with
-- and without registered employees.
firm AS (
  SELECT id_number,
         count(*) FILTER (WHERE employees >= 1) AS staffed,
         count(*) FILTER (WHERE employees IS NULL OR employees = 0) AS unstaffed
  FROM (SELECT * FROM business
        QUALIFY row_number() OVER (PARTITION BY credit_code, id_number ORDER BY _load_id DESC, _position DESC) = 1)
  WHERE established_date <= DATE '%[1]s'
    AND (cancelled_date > DATE '%[1]s' OR (cancelled_date IS NULL AND status = 'active'))
  GROUP BY id_number
),
-- Public employees on the evaluation date (the day they leave still counts).
official AS (
  SELECT DISTINCT id_number
  FROM (SELECT * FROM public_employees
        QUALIFY row_number() OVER (PARTITION BY id_number, employer, start_date ORDER BY _load_id DESC, _position DESC) = 1)
  WHERE start_date <= DATE '%[1]s' AND (end_date IS NULL OR end_date >= DATE '%[1]s')
),
-- Steady wages: in the evaluation date's month and the 11 before, at least
-- steady_wage_months (6) months of employee pension or housing fund
-- contributions on a base of at least steady_wage_line (2000).
wage AS (
  SELECT id_number FROM contributions
  WHERE scheme IN ('employee_pension', 'housing_fund') AND base_monthly >= 2000
    AND month >= date_trunc('month', DATE '%[1]s') - INTERVAL 11 MONTH AND month <= DATE '%[1]s'
  GROUP BY id_number
  HAVING count(DISTINCT date_trunc('month', month)) >= 6
),
-- Education: each enrolment (its newest version) counts its yearly fees
-- once when a school year of it — the enrolment date or an anniversary of
-- it, when that year's fees are paid — began in the 12-month window
-- (medical_window_months) by the evaluation date and before the pupil left.
enrolment AS (
  SELECT *, year(DATE '%[1]s') - year(enrolled_date) AS years
  FROM students
  WHERE enrolled_date <= DATE '%[1]s'
  QUALIFY row_number() OVER (PARTITION BY id_number, school, level, enrolled_date ORDER BY _load_id DESC, _position DESC) = 1
),
school AS (
  SELECT e.id_number, sum(coalesce(e.fees_yearly, 0)) AS fees
  FROM enrolment e
  WHERE EXISTS (
    SELECT 1 FROM (VALUES (0), (1)) t(back)
    WHERE e.years - t.back >= 0
      AND e.enrolled_date + to_years(e.years - t.back) > DATE '%[1]s' - INTERVAL 12 MONTH
      AND e.enrolled_date + to_years(e.years - t.back) <= DATE '%[1]s'
      AND (e.left_date IS NULL OR e.enrolled_date + to_years(e.years - t.back) < e.left_date))
  GROUP BY e.id_number
),
rehab AS (
  SELECT id_number, sum(self_paid) AS paid FROM rehabilitation
  WHERE service_date > DATE '%[1]s' - INTERVAL 12 MONTH AND service_date <= DATE '%[1]s'
  GROUP BY id_number
),
-- A household's rigid spending: what it paid in the window for its members
-- alive on the evaluation date — medical care, school, rehabilitation — and
-- for those who died in the window — their medical care and rehabilitation
-- (a family's bills for the member it lost are its own); the largest
-- member's medical total and the largest single settlement among them.
burden AS (
  SELECT r.household_id,
         sum(coalesce(m.oop, 0) + coalesce(b.paid, 0)
             + CASE WHEN r.status = 'active' THEN coalesce(s.fees, 0) ELSE 0 END) AS spending,
         max(coalesce(m.oop, 0)) AS top_member, max(coalesce(m.top_stay, 0)) AS top_stay
  FROM reg r LEFT JOIN med m USING (id_number) LEFT JOIN school s USING (id_number) LEFT JOIN rehab b USING (id_number)
  WHERE r.status = 'active'
     OR (r.status = 'deceased' AND r.status_date > DATE '%[1]s' - INTERVAL 12 MONTH)
  GROUP BY r.household_id
),
-- 刚性支出困难 in force for 12 months or more (rigid_review_months): the
-- newest start among a person's own rigid grants in force.
overdue AS (
  SELECT p.id_number, p.household_id
  FROM person p JOIN (SELECT id_number, max(start_date) AS since FROM grants WHERE category = 'rigid' GROUP BY id_number) g
    USING (id_number)
  WHERE g.since + INTERVAL 12 MONTH <= DATE '%[1]s'
),
-- Recusal: a (relative, staff member) pair may have been declared several
-- times; each period (备案日期) is as its 终止 row says when it has one (the
-- newest such), else as its newest row, whatever order the file lists them
-- in. A period is in force from its registration (none: always) to the day
-- before its end; the pair is declared on the evaluation date when one of
-- its periods is, as the latest of those says. Households where a member
-- alive is the relative or the staff member are related; own_township when
-- the staff member handles assistance in a unit inside that member's
-- township (a 9- or 12-digit code beginning with it).
period AS (
  SELECT * FROM staff_relatives
  QUALIFY row_number() OVER (PARTITION BY id_number, staff_id_number, registered_date
                             ORDER BY ended_date IS NOT NULL DESC, _load_id DESC, _position DESC) = 1
),
pair AS (
  SELECT * FROM period
  WHERE (registered_date IS NULL OR registered_date <= DATE '%[1]s')
    AND (ended_date IS NULL OR ended_date > DATE '%[1]s')
  QUALIFY row_number() OVER (PARTITION BY id_number, staff_id_number ORDER BY registered_date DESC NULLS LAST) = 1
),
tie AS (
  SELECT r.household_id,
         bool_or(d.staff_role = 'assistance_staff' AND length(d.staff_unit_code) >= 9
                 AND left(d.staff_unit_code, 9) = r.township_code) AS own_township
  FROM (SELECT id_number AS member, * FROM pair UNION ALL SELECT staff_id_number AS member, * FROM pair) d
  JOIN reg r ON r.id_number = d.member
  WHERE r.status = 'active'
  GROUP BY r.household_id
)
-- medical_oop_threshold: 20000; medical_oop_income_share: 0.45 of
-- disposable_income_per_capita: 41314; medical_single_oop_threshold: 10000
SELECT 'MED-OOP-UNCOVERED' AS rule_id, p.id_number, p.household_id FROM person p JOIN med m USING (id_number)
WHERE m.oop >= 20000 AND NOT p.covered
UNION ALL
SELECT 'MED-OOP-RELATIVE-UNCOVERED', p.id_number, p.household_id FROM person p JOIN med m USING (id_number)
WHERE m.oop >= 0.45 * 41314 AND m.oop < 20000 AND NOT p.covered
UNION ALL
SELECT 'MED-SINGLE-STAY-UNCOVERED', p.id_number, p.household_id FROM person p JOIN med m USING (id_number)
WHERE m.top_stay >= 10000 AND m.oop < 20000 AND m.oop < 0.45 * 41314 AND NOT p.covered
UNION ALL
-- level 1 or 2, issued within new_disability_days (90)
SELECT 'DIS-NEW-SEVERE-UNCOVERED', p.id_number, p.household_id FROM person p JOIN cert c USING (id_number)
WHERE c.level IN (1, 2) AND c.issued_date >= DATE '%[1]s' - INTERVAL 90 DAY AND NOT p.covered AND p.status = 'active'
UNION ALL
-- per-capita monthly income below low_income_line (1170 from 2026-01-01)
SELECT 'UNEMP-LOWINC-UNCOVERED', p.id_number, p.household_id FROM person p JOIN jobless USING (id_number) JOIN income i USING (household_id)
WHERE i.annual_income < 1170 * 12 * i.heads AND NOT p.covered AND p.status = 'active'
UNION ALL
SELECT 'FISHER-UNRESETTLED', p.id_number, p.household_id FROM person p JOIN fisher f USING (id_number)
WHERE f.resettlement = 'unemployed' AND f.pension_insured IS NOT TRUE AND NOT p.covered AND p.status = 'active'
UNION ALL
SELECT 'INTEGRITY-DECEASED-RECIPIENT', p.id_number, p.household_id FROM person p
WHERE p.status IN ('deceased', 'cancelled') AND p.id_number IN (SELECT id_number FROM grants)
UNION ALL
SELECT 'INTEGRITY-VEHICLE', p.id_number, p.household_id FROM person p
WHERE p.aided AND p.id_number IN (SELECT id_number FROM car)
UNION ALL
SELECT 'INTEGRITY-PROPERTY', h.holder, h.household_id FROM house h JOIN estate e USING (household_id)
WHERE h.aided AND (e.homes >= 2 OR e.other >= 1)
UNION ALL
SELECT 'INTEGRITY-BUSINESS', p.id_number, p.household_id FROM person p JOIN firm f USING (id_number)
WHERE p.aided AND f.staffed >= 1
UNION ALL
SELECT 'INTEGRITY-FAMILY-SHOP', p.id_number, p.household_id FROM person p JOIN firm f USING (id_number)
WHERE p.aided AND f.staffed = 0 AND f.unstaffed >= 1
UNION ALL
SELECT 'INTEGRITY-PUBLIC-EMPLOYEE', p.id_number, p.household_id FROM person p
WHERE p.aided AND p.id_number IN (SELECT id_number FROM official)
UNION ALL
SELECT 'INTEGRITY-STEADY-WAGE', p.id_number, p.household_id FROM person p
WHERE p.aided AND p.id_number IN (SELECT id_number FROM wage)
UNION ALL
-- per-capita yearly income below disposable_income_per_capita (41314);
-- spending above rigid_spending_income_share (0.6) of the yearly income;
-- no member at a medical line (the medical rules warn of those costs)
SELECT 'RIGID-SPENDING-UNCOVERED', h.holder, h.household_id
FROM house h JOIN income i USING (household_id) LEFT JOIN burden b USING (household_id)
WHERE NOT h.covered
  AND i.annual_income < 41314 * i.heads
  AND coalesce(b.spending, 0) > 0.6 * i.annual_income
  AND coalesce(b.top_member, 0) < least(20000, 0.45 * 41314)
  AND coalesce(b.top_stay, 0) < 10000
UNION ALL
-- one per household (the head if overdue, else the smallest ID number of
-- those overdue); someone outside the registry stands for herself
SELECT 'RIGID-REVIEW-OVERDUE', o.id_number, NULL FROM overdue o WHERE o.household_id IS NULL
UNION ALL
SELECT 'RIGID-REVIEW-OVERDUE', coalesce(min(o.id_number) FILTER (WHERE o.id_number = h.head), min(o.id_number)), o.household_id
FROM overdue o JOIN house h USING (household_id) GROUP BY o.household_id, h.head
UNION ALL
SELECT 'RECUSAL-AIDED', h.holder, h.household_id FROM house h JOIN tie t USING (household_id) WHERE h.aided
UNION ALL
SELECT 'RECUSAL-ROUTE-COUNTY', h.holder, h.household_id FROM house h JOIN tie t USING (household_id) WHERE t.own_township
UNION ALL
SELECT 'RECUSAL-NOTE', h.holder, h.household_id FROM house h JOIN tie t USING (household_id) WHERE NOT t.own_township
`

// HandSQL is handSQL for the evaluation date day (only its calendar date
// is used). Like the evaluation, it reads no row kept with an unusable ID
// number (id_number "?…", waiting for identity resolution): each linkable
// dataset is shadowed by a CTE of its other rows.
func HandSQL(day time.Time) string {
	var shadows strings.Builder
	for _, ds := range dataset.All() {
		if ds.Linkable() {
			fmt.Fprintf(&shadows, "%[1]s AS (SELECT * FROM main.%[1]s WHERE %[2]s),\n", ds.Name, dataset.ResolvedSQL("id_number"))
		}
	}
	q := strings.Replace(handSQL, "WITH\n", "WITH\n"+shadows.String(), 1)
	return fmt.Sprintf(q, day.Format(time.DateOnly))
}

// HandHit is one hit of the hand-written SQL: the rule, the person's ID
// number and her household (户号; "" without one).
type HandHit struct {
	Rule, IDNumber, HouseholdID string
}

// HandHits runs the hand-written SQL of the default rule pack at day on db
// (a store's tables) and returns its hits, in no particular order. The
// night's holds are not applied: a held rule's hits and those of people
// whose own rows are in quarantine are among them, as they are in
// evaluate.Result.HitsByRule. Errors are the query's.
func HandHits(ctx context.Context, db *sql.DB, day time.Time) ([]HandHit, error) {
	rows, err := db.QueryContext(ctx, HandSQL(day))
	if err != nil {
		return nil, fmt.Errorf("hand-written SQL: %w", err)
	}
	defer rows.Close()
	var hits []HandHit
	for rows.Next() {
		var h HandHit
		var household sql.NullString
		if err := rows.Scan(&h.Rule, &h.IDNumber, &household); err != nil {
			return nil, fmt.Errorf("hand-written SQL: %w", err)
		}
		h.HouseholdID = household.String
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hand-written SQL: %w", err)
	}
	return hits, nil
}
