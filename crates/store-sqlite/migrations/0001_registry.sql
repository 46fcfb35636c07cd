-- Registry schema. Portable SQL: the PostgreSQL migrations mirror these tables.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province', 'regency', 'district', 'village')),
    parent_code TEXT REFERENCES regions (code),
    type        TEXT CHECK (type IN ('kelurahan', 'desa')),
    timezone    TEXT
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE households (
    no_kk               TEXT PRIMARY KEY,
    kode_wilayah        TEXT NOT NULL REFERENCES regions (code),
    rt                  TEXT,
    rw                  TEXT,
    alamat              TEXT,
    pengeluaran_bulanan BIGINT NOT NULL CHECK (pengeluaran_bulanan >= 0),
    lantai              TEXT,
    dinding             TEXT,
    atap                TEXT,
    sumber_air          TEXT,
    sanitasi            TEXT,
    listrik             TEXT,
    bahan_bakar         TEXT,
    status_rumah        TEXT
);
CREATE INDEX households_wilayah ON households (kode_wilayah);

CREATE TABLE persons (
    nik           TEXT PRIMARY KEY,
    no_kk         TEXT NOT NULL REFERENCES households (no_kk),
    nama          TEXT NOT NULL,
    jenis_kelamin TEXT NOT NULL CHECK (jenis_kelamin IN ('L', 'P')),
    tanggal_lahir TEXT NOT NULL,
    hubungan      TEXT,
    pendidikan    TEXT,
    pekerjaan     TEXT,
    sektor        TEXT,
    disabilitas   TEXT,
    status_kawin  TEXT,
    -- data-quality flags, comma separated (empty when none)
    flags         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX persons_kk ON persons (no_kk);

-- Demo only: each synthetic household's true monthly consumption, so that
-- targeting (proxy means tests, eligibility) can be scored against the truth.
CREATE TABLE household_truth (
    no_kk                 TEXT PRIMARY KEY REFERENCES households (no_kk),
    konsumsi_sebenarnya   BIGINT NOT NULL
);

-- One row per import run: what was read, accepted and rejected (no personal data).
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    accepted    BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    warnings    BIGINT NOT NULL,
    inserted    BIGINT NOT NULL,
    updated     BIGINT NOT NULL
);

-- Key/value facts about this database (e.g. the demo generator's seed and scale).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
