-- Running programs (issue 6): partners, training sessions and attendance, mentoring visits,
-- referrals to partners and outcomes per participant. Portable SQL except the triggers
-- that keep the referral and outcome logs append-only.

CREATE TABLE partners (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('bank', 'koperasi', 'usaha', 'lainnya')),
    -- comma-separated service codes (kur, kredit, tabungan, akses_pasar, sarana, pelatihan)
    services   TEXT NOT NULL,
    contact    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE program_partners (
    program_id INTEGER NOT NULL REFERENCES programs (id),
    partner_id INTEGER NOT NULL REFERENCES partners (id),
    PRIMARY KEY (program_id, partner_id)
);

-- The member (NIK) who takes part for the household; set on enrollment.
ALTER TABLE enrollment_events ADD COLUMN participant TEXT;

-- The agency an agency operator works for; the partner a partner account speaks for.
ALTER TABLE users ADD COLUMN agency TEXT;
ALTER TABLE users ADD COLUMN partner_id INTEGER REFERENCES partners (id);

CREATE TABLE program_sessions (
    id         INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs (id),
    day        TEXT NOT NULL,
    topic      TEXT NOT NULL,
    place      TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX program_sessions_program ON program_sessions (program_id, day);

-- Latest record per (session, household) wins; who and when are kept.
CREATE TABLE attendance (
    session_id  INTEGER NOT NULL REFERENCES program_sessions (id),
    no_kk       TEXT NOT NULL REFERENCES households (no_kk),
    present     INTEGER NOT NULL CHECK (present IN (0, 1)),
    recorded_by INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (session_id, no_kk)
);

CREATE TABLE mentoring_visits (
    id          INTEGER PRIMARY KEY,
    program_id  INTEGER NOT NULL REFERENCES programs (id),
    no_kk       TEXT NOT NULL REFERENCES households (no_kk),
    day         TEXT NOT NULL,
    mentor      INTEGER NOT NULL,
    notes       TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX mentoring_visits_program ON mentoring_visits (program_id, no_kk);

CREATE TABLE referrals (
    id          INTEGER PRIMARY KEY,
    program_id  INTEGER NOT NULL REFERENCES programs (id),
    no_kk       TEXT NOT NULL REFERENCES households (no_kk),
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    service     TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    created_by  INTEGER NOT NULL
);
CREATE INDEX referrals_program ON referrals (program_id);
CREATE INDEX referrals_partner ON referrals (partner_id);

-- Every status of a referral, in order; the last one is current.
CREATE TABLE referral_events (
    id          INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals (id),
    status      TEXT NOT NULL CHECK (status IN ('referred', 'accepted', 'rejected', 'completed')),
    result      TEXT,
    amount      BIGINT CHECK (amount IS NULL OR amount >= 0),
    day         TEXT NOT NULL,
    actor       INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);

-- Observations of participants (and of candidates, the comparison group) over time.
-- A correction is a later row for the same household and day.
CREATE TABLE outcomes (
    id         INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs (id),
    no_kk      TEXT NOT NULL REFERENCES households (no_kk),
    day        TEXT NOT NULL,
    business   INTEGER CHECK (business IS NULL OR business IN (0, 1)),
    income     BIGINT CHECK (income IS NULL OR income >= 0),
    employed   INTEGER CHECK (employed IS NULL OR employed IN (0, 1)),
    source     TEXT NOT NULL CHECK (source IN ('entered', 'imported')),
    actor      INTEGER NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX outcomes_program ON outcomes (program_id, no_kk, day);

CREATE TRIGGER referral_events_no_update BEFORE UPDATE ON referral_events
BEGIN
    SELECT RAISE(ABORT, 'referral_events is append-only: record a new status');
END;
CREATE TRIGGER referral_events_no_delete BEFORE DELETE ON referral_events
BEGIN
    SELECT RAISE(ABORT, 'referral_events is append-only: record a new status');
END;
CREATE TRIGGER outcomes_no_update BEFORE UPDATE ON outcomes
BEGIN
    SELECT RAISE(ABORT, 'outcomes is append-only: record a correction as a new observation');
END;
CREATE TRIGGER outcomes_no_delete BEFORE DELETE ON outcomes
BEGIN
    SELECT RAISE(ABORT, 'outcomes is append-only: record a correction as a new observation');
END;
