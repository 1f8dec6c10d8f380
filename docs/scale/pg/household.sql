WITH reg AS (SELECT * FROM registry_current), v AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, category, start_date ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM assistance) a
  WHERE rn = 1
), cur AS (   -- the household's assistance in force, whoever of it receives it
  SELECT coalesce(reg.household_id, v.household_id) AS household_id,
         string_agg(DISTINCT v.category, ',' ORDER BY v.category) AS categories,
         bool_or(v.category IN ('dibao', 'tekun', 'dibian', 'rigid')) AS aided
  FROM v LEFT JOIN reg USING (id_number)
  WHERE v.start_date <= as_of() AND (v.end_date IS NULL OR v.end_date >= as_of())
  GROUP BY 1
), income AS (   -- the newest assessment made by as_of (a later one is not known yet)
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY household_id   -- rewrite: QUALIFY
                                 ORDER BY income_assessed_date DESC NULLS LAST, _load_id DESC) AS rn
    FROM households
    WHERE income_assessed_date IS NULL OR income_assessed_date <= as_of()) h
  WHERE rn = 1
), hh AS (
  SELECT household_id, min(township_code) AS township_code,   -- rewrite: any_value
         count(*) FILTER (WHERE (coalesce(status, 'active') = 'active' OR coalesce(status_date > as_of(), false))) AS members
  FROM reg GROUP BY household_id
)
SELECT hh.household_id,
       cur.household_id IS NOT NULL AS covered,
       coalesce(cur.aided, false) AS aided,
       coalesce(cur.categories, '') AS aid_categories,
       hh.members,
       income.annual_income IS NOT NULL AND coalesce(income.members, hh.members) > 0 AS income_known,
       coalesce(income.annual_income / nullif(coalesce(income.members, hh.members), 0) / 12, -1)::float8 AS income_per_capita_month   -- rewrite: ::DOUBLE
FROM hh
LEFT JOIN cur USING (household_id)
LEFT JOIN income USING (household_id)
