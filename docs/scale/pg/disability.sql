WITH cert AS (   -- each certificate's newest row: a cancellation comes as a new row beside the valid one
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, cert_number, issued_date ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM disability) d
  WHERE rn = 1
)
SELECT id_number,
       (array_agg(level::INTEGER ORDER BY issued_date DESC) FILTER (WHERE level IS NOT NULL AND issued_date IS NOT NULL))[1] AS level,   -- rewrite: arg_max
       (array_agg(category::INTEGER ORDER BY issued_date DESC) FILTER (WHERE category IS NOT NULL AND issued_date IS NOT NULL))[1] AS category,   -- rewrite: arg_max
       as_of() - max(issued_date) AS days_since_issued   -- rewrite: date_diff
FROM cert
WHERE coalesce(status, 'valid') = 'valid' AND issued_date <= as_of()
GROUP BY id_number
