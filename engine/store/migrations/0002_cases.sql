-- 0002: warning cases, their hits, suppressions after closing, and the run
-- ledger of evaluate / dispatch / run.

CREATE SEQUENCE run_id_seq START 1;

CREATE TABLE runs (
    run_id      BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,     -- run | evaluate | dispatch | feedback
    as_of       DATE NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,     -- running | ok | failed
    summary     VARCHAR,              -- JSON
    error       VARCHAR
);

CREATE TABLE cases (
    case_id            VARCHAR PRIMARY KEY,  -- YJ-20261128-0001
    subject            VARCHAR NOT NULL,     -- household_id, or P:<id_number> without a household
    household_id       VARCHAR,
    township_code      VARCHAR NOT NULL,     -- '' = the county's own queue
    level              VARCHAR NOT NULL,     -- red | orange | yellow
    state              VARCHAR NOT NULL,     -- new | dispatched | closed
    opened_on          DATE NOT NULL,
    dispatched_on      DATE,
    deadline           DATE,
    extended           BOOLEAN NOT NULL DEFAULT false,
    closed_on          DATE,
    outcome            VARCHAR,
    outcome_note       VARCHAR,
    verified_by        VARCHAR,
    verified_on        DATE,
    version            INTEGER NOT NULL,
    dispatched_version INTEGER NOT NULL DEFAULT 0,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE case_hits (
    case_id      VARCHAR NOT NULL,
    rule_id      VARCHAR NOT NULL,
    id_number    VARCHAR NOT NULL,
    rule_version INTEGER NOT NULL,
    rules_hash   VARCHAR NOT NULL,   -- the rule files' version when last seen
    level        VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    facts        VARCHAR NOT NULL,   -- JSON: fact values the rule saw
    evidence     VARCHAR NOT NULL,   -- JSON: source rows behind the facts
    severity     DOUBLE NOT NULL,
    first_seen   DATE NOT NULL,
    last_seen    DATE NOT NULL,
    active       BOOLEAN NOT NULL
);

CREATE TABLE suppressions (
    subject   VARCHAR NOT NULL,
    rule_id   VARCHAR NOT NULL,
    id_number VARCHAR NOT NULL,
    until     DATE NOT NULL,
    severity  DOUBLE NOT NULL,
    case_id   VARCHAR NOT NULL
);
