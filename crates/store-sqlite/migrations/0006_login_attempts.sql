-- Sign-in attempts per account and per client address within a window. An attempt
-- is counted (reserved) in the same statement that reads the count, before the
-- password is checked, so parallel attempts cannot pass the limit. Portable SQL.

CREATE TABLE login_attempts (
    -- 'account:<username>' or 'address:<ip>'
    key       TEXT PRIMARY KEY,
    count     INTEGER NOT NULL CHECK (count >= 0),
    -- start of the window, Unix seconds
    first_at  INTEGER NOT NULL
);
CREATE INDEX login_attempts_first ON login_attempts (first_at);
