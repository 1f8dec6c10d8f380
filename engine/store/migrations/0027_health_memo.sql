-- 0027: the last health check of the sources (pipeline.CheckHealth), beside
-- the signature of everything it read (store.HealthInputs, the config and
-- the rule files): a night, a sources page or a `sources report` whose data
-- did not change since reads it from here instead of judging every source,
-- counting every table and parsing the quarantine again (about 10 s at ten
-- million people). It holds what the check found, the people held back one
-- by one among it ("P:" + ID number), as personal as the rest of the store.
-- One row: each check replaces it.
CREATE TABLE health_memo (
    key         VARCHAR NOT NULL,   -- sha256 of the inputs
    health      VARCHAR NOT NULL,   -- JSON of pipeline.Health
    computed_at TIMESTAMP NOT NULL
);
