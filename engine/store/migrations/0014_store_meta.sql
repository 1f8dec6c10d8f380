-- 0014: the store's identity (issue 9). store_id tells this store's lists
-- from those of another store of the same county (a trial, a rebuilt one)
-- whose batch and case ids look alike; list_key signs the marks written
-- into lists (HMAC), so that a list cannot be re-bound to another township
-- by editing it. Made once, kept for the store's life.
CREATE TABLE store_meta (
    key   VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
INSERT INTO store_meta VALUES
    ('store_id', replace(gen_random_uuid()::VARCHAR, '-', '')),
    ('list_key', replace(gen_random_uuid()::VARCHAR, '-', '') || replace(gen_random_uuid()::VARCHAR, '-', ''));
