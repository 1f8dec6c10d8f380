SELECT id_number,
       sum(out_of_pocket)::float8 AS oop_12m,   -- rewrite: ::DOUBLE
       sum(total_cost)::float8 AS total_12m,   -- rewrite: ::DOUBLE
       count(*) AS claims_12m,
       max(out_of_pocket)::float8 AS max_oop_12m   -- rewrite: ::DOUBLE
FROM medical
WHERE settle_date > as_of() - make_interval(months => param('medical_window_months'))   -- rewrite: INTERVAL (x) MONTH
  AND settle_date <= as_of()
GROUP BY id_number
