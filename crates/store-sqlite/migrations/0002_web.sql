-- Accounts, sessions and the web console's bookkeeping. Portable SQL.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'agency_operator',
                      'village_operator', 'auditor', 'partner', 'citizen')),
    -- argon2id PHC string
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

-- The villages a village operator may see and edit.
CREATE TABLE user_villages (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    village_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (user_id, village_code)
);

-- Sessions: only the SHA-256 of the cookie token is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Pseudonymous references of households for URLs (keyed hash of the KK number):
-- a KK number never appears in a URL or a log line.
CREATE TABLE household_refs (
    ref   TEXT PRIMARY KEY,
    no_kk TEXT NOT NULL UNIQUE REFERENCES households (no_kk)
);

-- The rejects report of an import made through the web console (personal data:
-- readable only by the user who uploaded it and by admins).
CREATE TABLE import_rejects (
    run_id   INTEGER PRIMARY KEY REFERENCES import_runs (id),
    user_id  INTEGER REFERENCES users (id),
    content  BLOB NOT NULL
);
