-- 0001: the load ledger, the quarantine and one canonical table per dataset.
-- Every canonical table ends with the same lineage columns: the row's natural
-- key, the source and load it came from, when, and where in the source.

CREATE SEQUENCE load_id_seq START 1;

CREATE TABLE loads (
    load_id          BIGINT PRIMARY KEY,
    sync_id          BIGINT NOT NULL,    -- one sync of one source: all its streams share it
    source           VARCHAR NOT NULL,
    dataset          VARCHAR NOT NULL,
    stream           VARCHAR NOT NULL,   -- file path (relative to the config) or endpoint
    content_hash     VARCHAR,            -- "sha256:..." when the connector knows it
    -- rows_read = rows_loaded + rows_duplicate + rows_quarantined
    rows_read        BIGINT NOT NULL DEFAULT 0,
    rows_loaded      BIGINT NOT NULL DEFAULT 0,   -- new rows in the dataset table
    rows_duplicate   BIGINT NOT NULL DEFAULT 0,   -- already loaded, or already quarantined
    rows_quarantined BIGINT NOT NULL DEFAULT 0,   -- newly quarantined (bad rows and key conflicts)
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    status           VARCHAR NOT NULL,   -- ok | unchanged | failed
    error            VARCHAR
);

CREATE TABLE quarantine (
    load_id      BIGINT NOT NULL,
    source       VARCHAR NOT NULL,
    dataset      VARCHAR NOT NULL,
    stream       VARCHAR NOT NULL,
    position     BIGINT NOT NULL,        -- CSV line / sheet row, as a person finds it
    raw          VARCHAR NOT NULL,       -- the row as read: JSON object column -> value
    reason_code  VARCHAR NOT NULL,
    field        VARCHAR,
    column_name  VARCHAR,
    reason       VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL
);

CREATE TABLE registry (
    id_number     VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    gender        VARCHAR,
    birth_date    DATE,
    household_id  VARCHAR NOT NULL,
    relation      VARCHAR,
    township_code VARCHAR NOT NULL,
    village_code  VARCHAR,
    address       VARCHAR,
    status        VARCHAR,
    status_date   DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE households (
    household_id         VARCHAR NOT NULL,
    annual_income        DECIMAL(14,2),
    members              BIGINT,
    income_assessed_date DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE assistance (
    id_number      VARCHAR NOT NULL,
    household_id   VARCHAR,
    category       VARCHAR NOT NULL,
    start_date     DATE NOT NULL,
    end_date       DATE,
    amount_monthly DECIMAL(14,2),
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE medical (
    claim_id              VARCHAR NOT NULL,
    id_number             VARCHAR NOT NULL,
    settle_date           DATE NOT NULL,
    hospital              VARCHAR,
    total_cost            DECIMAL(14,2) NOT NULL,
    fund_paid             DECIMAL(14,2),
    critical_illness_paid DECIMAL(14,2),
    assistance_paid       DECIMAL(14,2),
    out_of_pocket         DECIMAL(14,2) NOT NULL,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE disability (
    id_number   VARCHAR NOT NULL,
    cert_number VARCHAR,
    category    VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    issued_date DATE NOT NULL,
    status      VARCHAR,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE employment (
    id_number  VARCHAR NOT NULL,
    event      VARCHAR NOT NULL,
    event_date DATE NOT NULL,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE fishers (
    id_number       VARCHAR NOT NULL,
    household_id    VARCHAR,
    boat_cert       VARCHAR,
    retired_date    DATE NOT NULL,
    resettlement    VARCHAR NOT NULL,
    pension_insured BOOLEAN,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
