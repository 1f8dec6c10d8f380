-- 0016: the notification outbox (issue 11). An event is written in the
-- same transaction as the change that causes it (a dispatch batch, a run
-- finishing, a night's reminders and escalations), with one delivery per
-- receiver that hears it; deliveries are then sent, retried with backoff,
-- and marked. A delivery left 'sending' by a crash is sent again marked
-- resent (at least once; webhooks get the event key to drop a copy).
CREATE SEQUENCE notify_event_seq START 1;

CREATE TABLE notify_events (
    event_id    BIGINT NOT NULL,
    event_key   VARCHAR NOT NULL,   -- unique: dispatch:PD-20261128-1:340799001, remind:340799001:2026-12-15:3 …
    kind        VARCHAR NOT NULL,   -- dispatch | reminder | overdue | escalation | digest | source | run | calendar
    audience    VARCHAR NOT NULL,   -- a township code, county or ops
    created_at  TIMESTAMP NOT NULL,
    message     VARCHAR NOT NULL    -- notify.Message as JSON: counts, levels, deadlines, a link; never a name or ID number
);

CREATE TABLE notify_deliveries (
    event_id    BIGINT NOT NULL,
    receiver    VARCHAR NOT NULL,
    state       VARCHAR NOT NULL,   -- pending | sending | sent | failed (gave up after notify.max_attempts)
    attempts    INTEGER NOT NULL,
    next_at     TIMESTAMP NOT NULL, -- pending: not before
    last_error  VARCHAR,
    sent_at     TIMESTAMP,
    resent      BOOLEAN NOT NULL    -- sent again after a crash in the middle of a send
);

-- What a night has chased, so that a case is reminded once per reminder
-- day and escalated once per level, for each deadline it has.
CREATE TABLE notify_marks (
    case_id     VARCHAR NOT NULL,
    what        VARCHAR NOT NULL,   -- remind:3 | escalate:1 | escalate:2
    deadline    DATE NOT NULL,
    event_id    BIGINT NOT NULL
);
