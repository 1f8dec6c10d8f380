-- 0028: what the file system said of each file stream (its size, times,
-- inode and device: connectors.FileStater) when its content was last hashed,
-- and that hash. A file that still stats the same has that content (a write
-- moves its change time, which no program sets back), so the sync takes the
-- hash from here instead of reading the whole file again: 4.9 GB a night at
-- ten million people, 11 s. Only files changed well before they were hashed
-- are recorded (a write in the same clock tick as the stat could leave the
-- times as they were). A cache: emptying it makes the next sync hash every
-- file again.
CREATE TABLE stream_stats (
    source       VARCHAR NOT NULL,
    stream       VARCHAR NOT NULL,
    stat         VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (source, stream)
);
