-- The province's partition step, measured on one county's synced store
-- (docs/SCALE.md, "The partition step"). Run by partition.go, one statement
-- at a time (statements end with a line holding only ';'), each timed.
--
-- The store's dataset tables stand for the province's synced department
-- data. The route of a person is the county of their newest registry row
-- (registry_current): left(township_code, 6). The synthetic county has one
-- county code, so to exercise a real fan-out this script routes by the
-- township instead (:LEVEL = 9: twelve "counties"); run with -level 6 on a
-- province store for the real routing. A record whose ID number has no
-- registry row goes to the partition 'none' (the province's no-county
-- queue), never to a county guessed from the ID number's birth area code.
--
-- Output: DIR/<dataset>/county=<code>/*.parquet, what each county's
-- lipwatch would read with a file source (format parquet).

CREATE TEMP TABLE route AS
SELECT id_number, household_id, left(township_code, :LEVEL) AS county FROM registry_current
;
-- Registry rows go to the county they belong to (the row's own township),
-- so a county keeps the 迁出 (cancelled) rows of people who moved away: its
-- integrity rules read them to stop payments.
COPY (SELECT left(township_code, :LEVEL) AS county, * EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position) FROM registry)
TO ':DIR/registry' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
-- Department records about one person: to that person's current county.
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM medical d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/medical' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM contributions d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/contributions' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
-- A certificate owned by two people registered in two counties is sent to
-- both: one row per (certificate, owner), each routed by its owner.
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM property d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/property' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM students d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/students' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM employment d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/employment' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
-- The smaller department datasets, the same way (fishers' own household_id
-- column is the fishery bureau's, not the registry's: the person decides).
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM disability d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/disability' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM vehicles d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/vehicles' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM business d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/business' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM public_employees d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/public_employees' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM rehabilitation d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/rehabilitation' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM fishers d LEFT JOIN (SELECT id_number, county FROM route) r USING (id_number))
TO ':DIR/fishers' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
-- A declaration names two people (the relative and the staff member): it
-- goes to each one's county (once where both live in the same county); to
-- the no-county partition only when neither has a registry row.
COPY (WITH x AS (
        SELECT d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position), r1.county AS c1, r2.county AS c2
        FROM staff_relatives d
        LEFT JOIN (SELECT id_number, county FROM route) r1 ON r1.id_number = d.id_number
        LEFT JOIN (SELECT id_number, county FROM route) r2 ON r2.id_number = d.staff_id_number)
      SELECT coalesce(c1, c2, 'none') AS county, * EXCLUDE (c1, c2) FROM x
      UNION ALL   -- the staff member's county too, when it is another
      SELECT c2, * EXCLUDE (c1, c2) FROM x WHERE c1 IS NOT NULL AND c2 IS NOT NULL AND c1 <> c2)
TO ':DIR/staff_relatives' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
-- Income assessments are about a household: to its members' county.
COPY (SELECT coalesce(r.county, 'none') AS county, d.* EXCLUDE (_key, _source, _load_id, _loaded_at, _stream, _position)
      FROM households d LEFT JOIN (SELECT household_id, min(county) AS county FROM route GROUP BY household_id) r USING (household_id))
TO ':DIR/households' (FORMAT parquet, PARTITION_BY (county), OVERWRITE_OR_IGNORE)
;
-- The assistance roster is the county's own (民政 pays it): it stays where it
-- is, no partition.
