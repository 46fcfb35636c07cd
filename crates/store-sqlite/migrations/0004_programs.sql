-- Programs and the append-only enrollment log (issue 6). Portable SQL except the
-- two triggers, which the PostgreSQL migrations express as rules/triggers of their own.

CREATE TABLE programs (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    sector      TEXT NOT NULL,
    agency      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    budget      BIGINT NOT NULL CHECK (budget >= 0),
    -- 0: no limit
    capacity    INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    eligibility TEXT NOT NULL,
    created_by  INTEGER,
    created_at  TEXT NOT NULL
);

CREATE TABLE program_quotas (
    program_id   INTEGER NOT NULL REFERENCES programs (id),
    village_code TEXT NOT NULL REFERENCES regions (code),
    quota        INTEGER NOT NULL CHECK (quota >= 0),
    PRIMARY KEY (program_id, village_code)
);

CREATE TABLE program_exclusions (
    program_id INTEGER NOT NULL REFERENCES programs (id),
    other_id   INTEGER NOT NULL REFERENCES programs (id),
    PRIMARY KEY (program_id, other_id)
);

-- Every decision about a household in a program; never updated or deleted.
CREATE TABLE enrollment_events (
    id           INTEGER PRIMARY KEY,
    program_id   INTEGER NOT NULL REFERENCES programs (id),
    no_kk        TEXT NOT NULL REFERENCES households (no_kk),
    village_code TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('candidate', 'enrolled', 'active', 'graduated', 'exited')),
    reason       TEXT,
    actor        INTEGER NOT NULL,
    at           TEXT NOT NULL,
    why          TEXT NOT NULL
);
CREATE INDEX enrollment_events_program ON enrollment_events (program_id, no_kk);
CREATE INDEX enrollment_events_household ON enrollment_events (no_kk);

CREATE TRIGGER enrollment_events_no_update BEFORE UPDATE ON enrollment_events
BEGIN
    SELECT RAISE(ABORT, 'enrollment_events is append-only: record a correction as a new event');
END;
CREATE TRIGGER enrollment_events_no_delete BEFORE DELETE ON enrollment_events
BEGIN
    SELECT RAISE(ABORT, 'enrollment_events is append-only: record a correction as a new event');
END;
