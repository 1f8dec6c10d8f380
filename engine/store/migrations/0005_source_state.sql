-- 0005: where each incremental stream stopped (its watermark: a timestamp,
-- an id, a cursor), saved in the same transaction as the rows it covers.
CREATE TABLE source_state (
    source     VARCHAR NOT NULL,
    stream     VARCHAR NOT NULL,
    watermark  VARCHAR NOT NULL,
    load_id    BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, stream)
);
