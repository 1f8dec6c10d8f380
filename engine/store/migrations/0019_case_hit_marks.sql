-- 0019: marks (issue 13, recusal): a case hit may be a mark — a rule's
-- note attached to the case, never its level — and may route its case to
-- the county's own queue while it is active.
ALTER TABLE case_hits ADD COLUMN mark BOOLEAN DEFAULT false;
ALTER TABLE case_hits ADD COLUMN route VARCHAR DEFAULT '';
