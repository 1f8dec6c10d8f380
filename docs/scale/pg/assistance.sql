WITH v AS (   -- newest version of each assistance record
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, category, start_date ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM assistance) a
  WHERE rn = 1
)
SELECT id_number, true AS current, string_agg(DISTINCT category, ',' ORDER BY category) AS categories,
       -- 刚性支出困难: the newest start among this person's rigid rows in force
       coalesce(to_char(max(start_date) FILTER (WHERE category = 'rigid'), 'YYYY-MM-DD'), '') AS rigid_since,   -- rewrite: strftime
       coalesce(max(start_date) FILTER (WHERE category = 'rigid')
                + make_interval(months => param('rigid_review_months')) <= as_of(), false) AS rigid_overdue   -- rewrite: INTERVAL (x) MONTH
FROM v
WHERE start_date <= as_of() AND (end_date IS NULL OR end_date >= as_of())
GROUP BY id_number
