-- 0023: identity resolution (身份识别, engine/link). Every department row
-- whose ID number matched nobody (missing or unusable, kept as "?…"; valid
-- but of no registry person; or a registry person's whose name disagrees
-- with the row's) has one row here with the linker's outcome:
--   linked     auto-linked: the row's id_number was set to person_id
--   pending    waits in the clerical review queue (band review)
--   unmatched  no candidate good enough (band none)
--   confirmed  an analyst linked it to person_id (applied like linked)
--   rejected   an analyst refuted the link: the row names nobody, and is not
--              proposed again
-- The row's id_number as the department sent it is raw_id: undoing a link
-- writes it back. A link applied to a dataset row changes that row's
-- _load_id to the ledger row (origin 'link') that applied it, so the
-- incremental night and the quality guards see the change.
CREATE SEQUENCE link_id_seq START 1;
CREATE TABLE links (
    link_id      BIGINT NOT NULL,
    dataset      VARCHAR NOT NULL,
    row_key      VARCHAR NOT NULL,   -- the dataset row's _key
    raw_id       VARCHAR NOT NULL,   -- id_number as loaded ("?…" when unusable)
    band         VARCHAR NOT NULL,   -- the linker's outcome: auto | review | none
    status       VARCHAR NOT NULL,   -- linked | pending | unmatched | confirmed | rejected
    person_id    VARCHAR,            -- linked/confirmed: the person; else the best candidate
    probability  DOUBLE,             -- of the best candidate
    bits         DOUBLE,
    why          VARCHAR,            -- why not linked automatically
    candidates   VARCHAR NOT NULL,   -- JSON: the best candidates with their comparison levels
    model_id     BIGINT,             -- link_models row that scored it
    decided_by   VARCHAR,            -- the analyst who confirmed or rejected
    decided_at   TIMESTAMP,
    note         VARCHAR,
    applied_load BIGINT,             -- loads row of the last change of the dataset row
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX links_row ON links (dataset, row_key);
CREATE TABLE link_models (
    model_id   BIGINT NOT NULL,
    made_at    TIMESTAMP NOT NULL,
    source     VARCHAR NOT NULL,     -- estimated | default …
    people     BIGINT NOT NULL,
    records    BIGINT NOT NULL,
    pairs      BIGINT NOT NULL,
    model      VARCHAR NOT NULL      -- JSON of link.Model
);
-- The pinyin of every registry name the linker has compared, kept so that
-- a night computes only new names' (engine/link: Options.PinyinTable).
CREATE TABLE link_pinyin (name VARCHAR NOT NULL, pinyin VARCHAR NOT NULL);
-- Each registry person as the last pass saw them (a hash of the fields
-- compared): the rows waiting or unmatched are linked again only when a
-- person new or changed since shares a blocking value with them.
CREATE TABLE link_registry (person_id VARCHAR NOT NULL, h UBIGINT NOT NULL);
