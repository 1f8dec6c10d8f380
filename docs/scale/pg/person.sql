WITH ids AS (
  SELECT id_number FROM registry UNION SELECT id_number FROM medical
  UNION SELECT id_number FROM disability UNION SELECT id_number FROM employment
  UNION SELECT id_number FROM fishers UNION SELECT id_number FROM assistance
), reg AS (SELECT * FROM registry_current)   -- each person's newest registry row
SELECT ids.id_number,
       reg.id_number IS NOT NULL AS in_registry,
       -- a death or cancellation dated after the evaluation date has not happened yet
       CASE WHEN reg.status_date > as_of() THEN 'active' ELSE coalesce(reg.status, 'active') END AS status,
       coalesce(reg.household_id, '') AS household_id,
       coalesce(reg.township_code, '') AS township_code,
       coalesce(reg.village_code, '') AS village_code,
       CASE WHEN reg.birth_date IS NULL THEN -1
            ELSE extract(year FROM as_of())::int - extract(year FROM reg.birth_date)::int   -- rewrite: year(), year()
                 - CASE WHEN to_char(as_of(), 'MMDD') < to_char(reg.birth_date, 'MMDD') THEN 1 ELSE 0 END   -- rewrite: strftime, strftime
       END AS age
FROM ids LEFT JOIN reg USING (id_number)
