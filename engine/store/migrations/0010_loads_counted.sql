-- 0010: rows a load only counted (issue 9): past the first 100 copies of
-- one blank or bad row, a file's further copies are counted, not
-- quarantined one by one. rows_read counts them, and so do rows_bad and
-- rows_blank: read = loaded + duplicate + quarantined + counted.
ALTER TABLE loads ADD COLUMN rows_counted BIGINT DEFAULT 0;
