-- 0012: the portal's login sessions (issue 10), kept in the store so that
-- a restart of serve does not log every township out. token is the
-- SHA-256 of the cookie's value (a stolen copy of the store gives no
-- usable cookie); data is the session's encoded values.
CREATE TABLE sessions (
    token  VARCHAR NOT NULL,
    data   BLOB NOT NULL,
    expiry TIMESTAMP NOT NULL
);
