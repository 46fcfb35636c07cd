-- The region (a regency or province) an agency operator works for: households
-- outside it never enter that operator's programs. Portable SQL.
ALTER TABLE users ADD COLUMN region TEXT REFERENCES regions (code);
