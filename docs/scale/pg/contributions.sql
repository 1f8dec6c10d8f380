SELECT id_number,
       count(DISTINCT month) FILTER (WHERE scheme IN ('employee_pension', 'housing_fund')
                                     AND base_monthly >= param('steady_wage_line')) AS wage_months_12m,
       coalesce(max(base_monthly) FILTER (WHERE scheme IN ('employee_pension', 'housing_fund')), 0)::float8 AS max_base_12m   -- rewrite: ::DOUBLE
FROM contributions
WHERE month > as_of() - INTERVAL '12 months' AND month <= as_of()   -- rewrite: INTERVAL n MONTH
GROUP BY id_number
