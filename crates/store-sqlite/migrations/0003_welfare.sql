-- Welfare ranking: each household's proxy-means-test score and decile (issue 6).
-- Replaced as a whole by every `pmt score` run; the weights used are kept in `meta`
-- (keys pmt:weights, pmt:area, pmt:scored_at).

CREATE TABLE household_welfare (
    no_kk     TEXT PRIMARY KEY REFERENCES households (no_kk),
    -- predicted natural log of monthly per-capita consumption
    skor_pmt  DOUBLE PRECISION NOT NULL,
    -- 1 = poorest tenth of the households of `area`, 10 = richest
    desil     INTEGER NOT NULL CHECK (desil BETWEEN 1 AND 10),
    -- the region code (regency or district) the decile is ranked within
    area      TEXT NOT NULL
);
CREATE INDEX household_welfare_area ON household_welfare (area, desil);
