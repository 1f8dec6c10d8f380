-- 0025: link_registry keeps each registry person as two 64-bit hashes, of
-- the ID number (pk) and of the fields compared (h), instead of the ID
-- number and h. A first identity-resolution pass writes one row per person:
-- at a million people the ID text cost 0.36 s of writing and committing,
-- the hash 0.08 s (issue 15). Two people whose IDs' hashes collide (odds
-- about n^2 / 2^65: 3e-8 at a million people) share a pk and each keeps a
-- row of their own (pk, h): a change of one makes the pass look again at
-- the rows that may be the other's too, and nothing else (store.Link reads
-- the table by (pk, h), never joins people on pk alone). The table no
-- longer holds ID numbers either.
CREATE TABLE link_registry_0025 (pk UBIGINT NOT NULL, h UBIGINT NOT NULL);
INSERT INTO link_registry_0025 SELECT hash(person_id), h FROM link_registry;
DROP TABLE link_registry;
ALTER TABLE link_registry_0025 RENAME TO link_registry;
