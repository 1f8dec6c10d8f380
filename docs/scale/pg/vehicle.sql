WITH v AS (   -- each registration's newest row, per owner
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY plate, id_number ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
    FROM vehicles) x
  WHERE rn = 1
)
SELECT id_number,
       count(*) FILTER (WHERE vehicle_type IN ('car', 'truck', 'other')) AS cars,
       count(*) FILTER (WHERE vehicle_type = 'motorcycle') AS motorcycles,
       count(*) FILTER (WHERE vehicle_type = 'disabled_mobility') AS mobility,
       count(*) FILTER (WHERE vehicle_type = 'farm') AS farm
FROM v
WHERE registered_date <= as_of()
  AND (cancelled_date > as_of() OR (cancelled_date IS NULL AND coalesce(status, 'active') = 'active'))
GROUP BY id_number
