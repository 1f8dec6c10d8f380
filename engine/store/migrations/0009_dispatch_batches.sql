-- 0009: a dispatch is a recorded batch (issue 9). The batch, its cases'
-- deadlines, its file names and its audit row are written in one
-- transaction before any file; the files are then written and the batch
-- marked written. A run killed in between finds the batch unwritten and
-- writes the same files again from the payload, instead of a second set.

CREATE TABLE dispatch_batches (
    batch_id   VARCHAR NOT NULL,     -- PD-20261128-1: the as-of day and its sequence
    as_of      DATE NOT NULL,
    dir        VARCHAR NOT NULL,     -- the folder the files go to
    files      VARCHAR NOT NULL,     -- JSON array of the files' paths
    cases      INTEGER NOT NULL,     -- cases on the township lists
    created_at TIMESTAMP NOT NULL,
    written_at TIMESTAMP,            -- NULL until every file is in place
    payload    BLOB                  -- what the files hold (gzip JSON); NULL once written
);

-- Which cases went out in which batch, with the deadline they carried.
CREATE TABLE dispatch_batch_cases (
    batch_id      VARCHAR NOT NULL,
    case_id       VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    township_code VARCHAR NOT NULL,  -- the township the list went to ('' = county queue)
    deadline      DATE
);
