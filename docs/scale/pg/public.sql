WITH e AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, employer, start_date ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM public_employees) x
  WHERE rn = 1
)
SELECT id_number, true AS employed, (array_agg(coalesce(employer, '') ORDER BY start_date DESC))[1] AS employer   -- rewrite: arg_max
FROM e
WHERE start_date <= as_of() AND (end_date IS NULL OR end_date >= as_of())
GROUP BY id_number
