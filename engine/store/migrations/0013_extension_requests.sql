-- 0013: a township's requests for more time on a case (申请延期, issue 10),
-- decided by the county: approved moves the deadline to the extended one
-- (cases.extension_days working days from the dispatch).
CREATE SEQUENCE extension_request_seq START 1;

CREATE TABLE extension_requests (
    request_id    BIGINT NOT NULL,
    case_id       VARCHAR NOT NULL,
    requested_by  VARCHAR NOT NULL,  -- the account
    requested_at  TIMESTAMP NOT NULL,
    reason        VARCHAR NOT NULL,
    state         VARCHAR NOT NULL,  -- pending | approved | refused
    decided_by    VARCHAR,
    decided_at    TIMESTAMP,
    decision_note VARCHAR,
    new_deadline  DATE
);
