SELECT id_number,
       coalesce((array_agg(event ORDER BY event_date DESC) FILTER (WHERE event IN ('unemployed', 'employed')))[1] = 'unemployed', false) AS unemployed,   -- rewrite: arg_max
       coalesce(as_of() - max(event_date) FILTER (WHERE event = 'unemployed'), 99999) AS days_since_registered   -- rewrite: date_diff
FROM employment
WHERE event_date <= as_of()
GROUP BY id_number
