-- What the fact queries read besides the dataset tables, on PostgreSQL 15.
-- as_of() and param('NAME') are created by gap.go as IMMUTABLE SQL functions
-- of the night's values, so the query texts keep them as written.

-- engine/store/migrations/0006_registry_current.sql: each person's newest registry row.
CREATE OR REPLACE VIEW registry_current AS
SELECT id_number, name, gender, birth_date, household_id, relation, township_code, village_code, address,
       status, status_date, _key, _source, _load_id, _loaded_at, _stream, _position
FROM (SELECT *, row_number() OVER (PARTITION BY id_number   -- rewrite: QUALIFY
                                   ORDER BY _load_id DESC, status_date DESC NULLS LAST, _position DESC) AS rn
      FROM registry) r
WHERE rn = 1;
