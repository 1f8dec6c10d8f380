-- 0004: when a case was last sent (first dispatch keeps its deadline; a
-- later change is sent again), so that an outcome only silences the hits
-- the township had on its list.
ALTER TABLE cases ADD COLUMN last_dispatched_on DATE;
