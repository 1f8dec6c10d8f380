-- 0011: the portal's accounts (issue 10). One row per account; the
-- password only as an Argon2id hash (PHC string, engine/auth), never the
-- password. Every change to a row writes an audit row in the same
-- transaction (users_add, users_disable, users_enable,
-- users_reset_password, users_change_password, users_grant, login,
-- login_failed).

CREATE TABLE users (
    username             VARCHAR PRIMARY KEY,       -- lower case: ASCII letters, digits, . _ -; 3 to 32
    display_name         VARCHAR NOT NULL DEFAULT '',
    role                 VARCHAR NOT NULL,          -- admin | analyst | township | village
    township_code        VARCHAR NOT NULL DEFAULT '', -- township and village roles: 9 digits; '' for county roles
    villages             VARCHAR NOT NULL DEFAULT '[]', -- JSON array of 12-digit village codes (village role)
    password_hash        VARCHAR NOT NULL,          -- $argon2id$v=19$m=…,t=…,p=…$salt$tag
    must_change_password BOOLEAN NOT NULL,          -- a one-time password: changed at the next login
    disabled             BOOLEAN NOT NULL DEFAULT false,
    failed_logins        INTEGER NOT NULL DEFAULT 0, -- wrong passwords since the last login or lock
    locked_until         TIMESTAMP,                 -- UTC; no login before it
    last_login           TIMESTAMP,                 -- UTC
    password_changed_at  TIMESTAMP NOT NULL,        -- UTC
    created_at           TIMESTAMP NOT NULL,        -- UTC
    updated_at           TIMESTAMP NOT NULL         -- UTC
);
