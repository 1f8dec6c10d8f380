-- 0024: where the last identity-resolution pass stopped reading. A pass
-- looks at rows never linked only when they were loaded after it (load_id
-- greater than max_load_id) or name a registry person who changed or left
-- since: at a million people, reading every row of twelve datasets each
-- night took 36 s for nothing.
-- registry_rows is the registry table's row count then: a row deleted
-- (not re-sent) changes it without a newer load.
CREATE TABLE link_state (max_load_id BIGINT NOT NULL, registry_rows BIGINT NOT NULL);
