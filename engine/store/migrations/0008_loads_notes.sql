-- 0008: what a reader noticed about a stream (hidden rows loaded, hidden
-- sheets not read, merged cells filled, formulas computed, old Mac line
-- endings: JSON [{"code","count","text"}], never personal data), and where a
-- ledger row came from: a sync, or a quarantine retry. A stream whose rows
-- were mostly quarantined, or that had no data rows, has status 'degraded'
-- (committed like 'ok'; the reason is in error). rows_bad counts the bad
-- rows of this read of the stream, those already in quarantine from an
-- earlier version of the file included: what the file is worth now.
ALTER TABLE loads ADD COLUMN notes VARCHAR;
ALTER TABLE loads ADD COLUMN rows_bad BIGINT DEFAULT 0;
-- Blank rows (Excel's formatted empty rows below a table) are quarantined
-- as blank_row but are not data: rows_blank keeps them out of the shares.
ALTER TABLE loads ADD COLUMN rows_blank BIGINT DEFAULT 0;
ALTER TABLE loads ADD COLUMN origin VARCHAR DEFAULT 'sync';
