WITH reg AS (SELECT * FROM registry_current), mem AS (
  -- the active members, and for medical and rehabilitation costs also those who died in the
  -- window: a household's bills for a member it lost are its own (因病致贫 after a death)
  SELECT id_number, household_id, (coalesce(status, 'active') = 'active' OR coalesce(status_date > as_of(), false)) AS active FROM reg
  WHERE (coalesce(status, 'active') = 'active' OR coalesce(status_date > as_of(), false))
     OR (status = 'deceased' AND status_date > as_of() - make_interval(months => param('medical_window_months')))   -- rewrite: INTERVAL (x) MONTH
), med AS (   -- each person's medical out-of-pocket in the window, as facts.medical
  SELECT id_number, sum(out_of_pocket) AS oop, max(out_of_pocket) AS max_oop
  FROM medical
  WHERE settle_date > as_of() - make_interval(months => param('medical_window_months'))   -- rewrite: INTERVAL (x) MONTH
    AND settle_date <= as_of()
  GROUP BY id_number
), enrolment AS (   -- each enrolment's newest version
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, school, level, enrolled_date   -- rewrite: QUALIFY
                                 ORDER BY _load_id DESC, _position DESC) AS rn
    FROM students) s
  WHERE rn = 1
), years AS (   -- the latest school year each enrolment began by as_of: on the enrolment date or an anniversary of it
  SELECT *, (CASE WHEN a > as_of() THEN enrolled_date + make_interval(years => extract(year FROM as_of())::int - extract(year FROM enrolled_date)::int - 1)   -- rewrite: INTERVAL (x) YEAR, year(), year()
                  ELSE a END)::DATE AS year_start
  FROM (SELECT *, enrolled_date + make_interval(years => extract(year FROM as_of())::int - extract(year FROM enrolled_date)::int) AS a   -- rewrite: INTERVAL (x) YEAR, year(), year()
        FROM enrolment WHERE enrolled_date <= as_of()) e
), edu AS (   -- the fees of the school years that began in the window (a year's fees are paid when it begins), before leaving
  SELECT id_number, sum(coalesce(fees_yearly, 0)) AS fees
  FROM years
  WHERE year_start > as_of() - make_interval(months => param('medical_window_months'))   -- rewrite: INTERVAL (x) MONTH
    AND (left_date IS NULL OR year_start < left_date)
  GROUP BY id_number
), rehab AS (   -- what the family paid for rehabilitation in the window
  SELECT id_number, sum(self_paid) AS paid
  FROM rehabilitation
  WHERE service_date > as_of() - make_interval(months => param('medical_window_months'))   -- rewrite: INTERVAL (x) MONTH
    AND service_date <= as_of()
  GROUP BY id_number
), spend AS (
  SELECT mem.household_id,
         coalesce(sum(med.oop), 0) AS medical,
         coalesce(sum(edu.fees) FILTER (WHERE mem.active), 0) AS education,
         coalesce(sum(rehab.paid), 0) AS rehab,
         coalesce(max(med.oop), 0) AS max_member_oop,
         coalesce(max(med.max_oop), 0) AS max_single_oop
  FROM mem
  LEFT JOIN med USING (id_number) LEFT JOIN edu USING (id_number) LEFT JOIN rehab USING (id_number)
  GROUP BY mem.household_id
), income AS (   -- the newest assessment made by as_of (a later one is not known yet)
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY household_id   -- rewrite: QUALIFY
                                 ORDER BY income_assessed_date DESC NULLS LAST, _load_id DESC) AS rn
    FROM households
    WHERE income_assessed_date IS NULL OR income_assessed_date <= as_of()) h
  WHERE rn = 1
), hh AS (
  SELECT household_id, count(*) FILTER (WHERE (coalesce(status, 'active') = 'active' OR coalesce(status_date > as_of(), false))) AS members
  FROM reg GROUP BY household_id
)
SELECT hh.household_id,
       coalesce(spend.medical, 0)::float8 AS medical_12m,   -- rewrite: ::DOUBLE
       coalesce(spend.education, 0)::float8 AS education_12m,   -- rewrite: ::DOUBLE
       coalesce(spend.rehab, 0)::float8 AS rehab_12m,   -- rewrite: ::DOUBLE
       coalesce(spend.medical + spend.education + spend.rehab, 0)::float8 AS spending_12m,   -- rewrite: ::DOUBLE
       income.annual_income IS NOT NULL AND coalesce(income.members, hh.members) > 0 AS income_known,
       coalesce(income.annual_income, -1)::float8 AS annual_income,   -- rewrite: ::DOUBLE
       coalesce(income.annual_income / nullif(coalesce(income.members, hh.members), 0), -1)::float8 AS income_per_capita_year,   -- rewrite: ::DOUBLE
       coalesce(spend.max_member_oop, 0)::float8 AS max_member_oop_12m,   -- rewrite: ::DOUBLE
       coalesce(spend.max_single_oop, 0)::float8 AS max_single_oop_12m   -- rewrite: ::DOUBLE
FROM hh
LEFT JOIN spend USING (household_id)
LEFT JOIN income USING (household_id)
