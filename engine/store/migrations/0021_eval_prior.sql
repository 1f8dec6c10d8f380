-- 0021: what the last evaluation left for the next night (evaluate.Prior):
-- its date, the rule files and the data it saw, and every hit it computed.
-- A night whose data and rules are the same and whose date moved forward
-- evaluates only what the date reaches and keeps the other hits from here.
-- One evaluation at a time: the tables are replaced whole.
CREATE TABLE eval_prior (
    as_of        DATE NOT NULL,
    pack_version VARCHAR NOT NULL,
    data         VARCHAR NOT NULL,   -- evaluate.DataSignature
    people       BIGINT NOT NULL,
    saved_at     TIMESTAMP NOT NULL
);
CREATE TABLE eval_prior_hits (
    rule_id       VARCHAR NOT NULL,
    rule_version  BIGINT NOT NULL,
    level         VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    id_number     VARCHAR NOT NULL,
    household_id  VARCHAR NOT NULL,
    township_code VARCHAR NOT NULL,
    facts         VARCHAR NOT NULL,
    evidence      VARCHAR NOT NULL,
    severity      DOUBLE NOT NULL,
    mark          BOOLEAN NOT NULL,
    route         VARCHAR NOT NULL,
    seq           BIGINT NOT NULL    -- the hits' order
);
-- The facts of that evaluation are kept beside it, one table per fact group
-- in the schema eval_prior (eval_prior.<group>, written by the evaluation
-- itself; outside main, so backups leave them out: they are made again by the
-- next full night, and a restored store has none); this row says for
-- which date, rule files and data they stand, so that a crash between the
-- two writes leaves a night that evaluates everyone.
CREATE TABLE eval_prior_facts (
    as_of        DATE NOT NULL,
    pack_version VARCHAR NOT NULL,
    data         VARCHAR NOT NULL
);
CREATE SCHEMA eval_prior;

-- The data-quality guards that read whole datasets (registry matches, split
-- households), beside the signature of the rows they read: a night whose data
-- did not change reads them from here (store.Quality).
CREATE TABLE quality_cache (
    key    VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    count  BIGINT NOT NULL,
    "of"   BIGINT NOT NULL
);
