-- 0007: rows that replaced a loaded row with the same natural key (sources
-- with on_conflict: replace, which send corrections or updates).
ALTER TABLE loads ADD COLUMN rows_replaced BIGINT DEFAULT 0;
