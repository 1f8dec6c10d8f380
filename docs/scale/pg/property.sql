WITH reg AS (SELECT id_number, household_id FROM registry_current WHERE household_id <> ''), p AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY cert_number, id_number ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM property) x
  WHERE rn = 1
)
SELECT reg.household_id,
       count(DISTINCT p.cert_number) FILTER (WHERE p.purpose = 'residential') AS homes,
       count(DISTINCT p.cert_number) FILTER (WHERE p.purpose IN ('shop', 'garage', 'office', 'industrial')) AS non_residential,
       coalesce(sum(p.area) FILTER (WHERE p.purpose = 'residential'), 0)::float8 AS home_area   -- rewrite: ::DOUBLE
FROM p JOIN reg USING (id_number)
WHERE p.registered_date <= as_of()
  AND (p.cancelled_date > as_of() OR (p.cancelled_date IS NULL AND coalesce(p.status, 'active') = 'active'))
GROUP BY reg.household_id
