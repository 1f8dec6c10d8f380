-- 0020: a case the county gave to a township (分派) is marked, so that a
-- case routed to the county's queue by a rule (recusal) keeps the township
-- the county chose for a cross-check (交叉核查), while a case whose
-- household merely moved goes to the queue.
ALTER TABLE cases ADD COLUMN assigned BOOLEAN DEFAULT false;
