-- 0015: ground reports (主动发现, issue 10): a township officer or a
-- village assistant reports a person in difficulty found on the ground.
-- An open report is a hit of the built-in rule GRID-REPORT every night
-- (and at once when filed), in the household's case like any other; the
-- case's closing settles it.
CREATE SEQUENCE ground_report_seq START 1;

CREATE TABLE ground_reports (
    report_id     BIGINT NOT NULL,
    reported_by   VARCHAR NOT NULL,   -- the account
    reported_at   TIMESTAMP NOT NULL,
    id_number     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,   -- illness | disability | accident | disaster | income | care | housing | other
    note          VARCHAR,
    state         VARCHAR NOT NULL,   -- open | settled
    settled_case  VARCHAR             -- the case whose closing settled it
);
