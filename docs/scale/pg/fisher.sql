SELECT id_number, retired, resettlement, pension_insured
FROM (
  SELECT id_number, true AS retired, resettlement, coalesce(pension_insured, false) AS pension_insured,
         row_number() OVER (PARTITION BY id_number ORDER BY _load_id DESC, _position DESC) AS rn   -- rewrite: QUALIFY
  FROM fishers
  WHERE retired_date <= as_of()) f
WHERE rn = 1
