WITH b AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY credit_code, id_number ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM business) x
  WHERE rn = 1
)
SELECT id_number,
       count(*) FILTER (WHERE coalesce(employees, 0) > 0) AS with_employees,
       count(*) FILTER (WHERE coalesce(employees, 0) = 0) AS without_employees,
       coalesce(max(employees), 0) AS employees
FROM b
WHERE established_date <= as_of()
  AND (cancelled_date > as_of() OR (cancelled_date IS NULL AND status = 'active'))
GROUP BY id_number
