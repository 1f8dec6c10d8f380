-- 0029: a fingerprint of what each case hit says (its rule version, the rule
-- files' hash, level, reason, facts, evidence, severity, first sight, state,
-- mark and route; FNV-1a 128, store.hitFingerprint). A night that sees a
-- hit again as it was moves its last_seen and keeps its row, instead of
-- writing every open case's hits again (9 MB of a 1m night's write-ahead
-- log). Rows written before it have none and are written again once.
ALTER TABLE case_hits ADD COLUMN fingerprint VARCHAR;
