//! Regions, households and persons: COPY bulk writes, key lookups, exports and counts.

use std::collections::{HashMap, HashSet};

use futures_util::TryStreamExt;
use sejahtera_domain::codes::Code;
use sejahtera_domain::region::{Level, Region, Regions};
use sejahtera_domain::registry::{HOUSEHOLD_COLUMNS, Household, PERSON_COLUMNS, Person};
use sejahtera_domain::{NoKk, RegionCode};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row, Transaction};

use crate::copy::{CopyRows, copy_in};
use crate::rows::{
    HOUSEHOLD_SELECT, PERSON_SELECT, corrupt, day_text, household_from_row, key_u64, opt_code,
    person_from_row,
};
use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::registry::stats_of;
use sejahtera_store::{
    Counts, DistrictCount, GENERATION_KEY, HouseholdCodes, ImportRun, MemberCodes, PersonKeys,
    Result, StoreError, WriteStats,
};

use crate::PgStore;

/// Rows per multi-row `INSERT` of regions.
const CHUNK: usize = 512;

/// A table written through a staging table: rows are copied into
/// `stage_<table>` (same columns, plus `seq`, the order they were written in) and
/// merged by one upsert.
struct Staged {
    table: &'static str,
    key: &'static str,
    /// Every column written, key first.
    cols: Vec<&'static str>,
}

impl Staged {
    fn households() -> Staged {
        Staged {
            table: "households",
            key: "no_kk",
            cols: HOUSEHOLD_COLUMNS.to_vec(),
        }
    }

    fn persons() -> Staged {
        Staged {
            table: "persons",
            key: "nik",
            cols: PERSON_COLUMNS.iter().copied().chain(["flags"]).collect(),
        }
    }

    fn truth() -> Staged {
        Staged {
            table: "household_truth",
            key: "no_kk",
            cols: vec!["no_kk", "konsumsi_sebenarnya"],
        }
    }

    fn stage(&self) -> String {
        format!("stage_{}", self.table)
    }

    fn create_sql(&self) -> String {
        format!(
            "CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS, seq BIGINT NOT NULL) ON COMMIT DROP",
            self.stage(),
            self.table
        )
    }

    fn copy_sql(&self) -> String {
        format!(
            "COPY {} ({}, seq) FROM STDIN",
            self.stage(),
            self.cols.join(", ")
        )
    }

    /// Merges the staged rows into the table; returns the rows inserted or changed.
    ///
    /// A key staged more than once (an import may repeat a household: the later row
    /// replaces the earlier one) is applied in the order written, one round per
    /// occurrence, so the outcome and the count are those of SQLite's row-by-row
    /// upsert and the statement never affects a row twice.
    async fn merge(&self, conn: &mut PgConnection) -> Result<u64> {
        let stage = self.stage();
        let rounds: i64 = sqlx::query_scalar(&format!(
            "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM {stage} GROUP BY {}) t",
            self.key
        ))
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
        let cols = self.cols.join(", ");
        let clause = upsert_clause(self.table, self.key, &self.cols[1..]);
        let mut changed = 0;
        if rounds == 1 {
            let sql = format!(
                "INSERT INTO {} ({cols}) SELECT {cols} FROM {stage} ORDER BY {}{clause}",
                self.table, self.key
            );
            changed += sqlx::query(&sql)
                .persistent(false)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        } else {
            let sql = format!(
                "INSERT INTO {} ({cols}) SELECT {cols} FROM \
                 (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY seq) AS round \
                  FROM {stage}) s WHERE round = $1 ORDER BY {key}{clause}",
                self.table,
                key = self.key
            );
            for round in 1..=rounds {
                changed += sqlx::query(&sql)
                    .persistent(false)
                    .bind(round)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            }
        }
        sqlx::query(&format!("TRUNCATE {stage}"))
            .persistent(false)
            .execute(&mut *conn)
            .await?;
        Ok(changed)
    }
}

/// `ON CONFLICT … DO UPDATE SET c = excluded.c … WHERE <any column differs>`:
/// an identical row is left untouched, so a re-import changes nothing.
fn upsert_clause(table: &str, key: &str, cols: &[&str]) -> String {
    let set = cols
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let differs = cols
        .iter()
        .map(|c| format!("{table}.{c} IS DISTINCT FROM excluded.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(" ON CONFLICT ({key}) DO UPDATE SET {set} WHERE {differs}")
}

fn write_household(c: &mut CopyRows, h: &Household, seq: i64) -> Result<()> {
    c.str(h.no_kk.as_str())?
        .str(h.kode_wilayah.as_str())?
        .text(h.rt.as_deref())?
        .text(h.rw.as_deref())?
        .text(h.alamat.as_deref())?
        .int(h.pengeluaran_bulanan.get())
        .text(opt_code(h.lantai))?
        .text(opt_code(h.dinding))?
        .text(opt_code(h.atap))?
        .text(opt_code(h.sumber_air))?
        .text(opt_code(h.sanitasi))?
        .text(opt_code(h.listrik))?
        .text(opt_code(h.bahan_bakar))?
        .text(opt_code(h.status_rumah))?
        .int(seq);
    Ok(())
}

fn write_person(c: &mut CopyRows, p: &Person, seq: i64) -> Result<()> {
    c.str(p.nik.as_str())?
        .str(p.no_kk.as_str())?
        .str(&p.nama)?
        .str(p.jenis_kelamin.as_str())?
        .str(&day_text(p.tanggal_lahir))?
        .text(opt_code(p.hubungan))?
        .text(opt_code(p.pendidikan))?
        .text(p.pekerjaan.as_deref())?
        .text(opt_code(p.sektor))?
        .text(opt_code(p.disabilitas))?
        .text(opt_code(p.status_kawin))?
        .str(&p.flags_text())?
        .int(seq);
    Ok(())
}

async fn upsert_meta(conn: &mut PgConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds one to the registry generation (a missing or non-numeric value becomes 1,
/// as SQLite's `CAST(… AS INTEGER) + 1` makes it).
async fn bump_generation(conn: &mut PgConnection) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO UPDATE \
         SET value = CASE WHEN meta.value ~ '^[0-9]{1,18}$' \
                          THEN (CAST(meta.value AS BIGINT) + 1)::TEXT ELSE '1' END",
    )
    .bind(GENERATION_KEY)
    .execute(conn)
    .await?;
    Ok(())
}

async fn record_run(conn: &mut PgConnection, run: &ImportRun, stats: WriteStats) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO import_runs (kind, file_name, started_at, accepted, rejected, warnings, inserted, updated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&run.kind)
    .bind(&run.file_name)
    .bind(chrono::Utc::now().to_rfc3339())
    .bind(run.accepted as i64)
    .bind(run.rejected as i64)
    .bind(run.warnings as i64)
    .bind(stats.inserted as i64)
    .bind(stats.updated as i64)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[async_trait]
impl RegistryStore for PgStore {
    async fn save_regions(&self, regions: &Regions) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let all: Vec<&Region> = regions.iter().collect();
        for chunk in all.chunks(CHUNK) {
            let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
                "INSERT INTO regions (code, name, level, parent_code, type, timezone) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.code.as_str())
                    .push_bind(r.name.as_str())
                    .push_bind(r.level.as_str())
                    .push_bind(r.parent_code.as_ref().map(|c| c.as_str()))
                    .push_bind(r.village_type().map(|t| t.as_str()))
                    .push_bind(r.timezone().map(|t| t.iana()));
            });
            qb.push(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
                 parent_code = excluded.parent_code, type = excluded.type, timezone = excluded.timezone",
            );
            qb.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn regions(&self) -> Result<Regions> {
        let rows = sqlx::query("SELECT code, name, level, parent_code FROM regions ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let code = RegionCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt)?;
            let level_s: &str = r.try_get(2)?;
            let level = Level::parse(level_s)
                .ok_or_else(|| StoreError::Corrupt(format!("level {level_s}")))?;
            let parent: Option<String> = r.try_get(3)?;
            let parent_code = parent
                .map(|p| RegionCode::parse(&p))
                .transpose()
                .map_err(corrupt)?;
            out.push(Region {
                code,
                name: r.try_get(1)?,
                level,
                parent_code,
            });
        }
        Regions::from_regions(out).map_err(corrupt)
    }

    async fn household_keys(&self) -> Result<HashSet<u64>> {
        let mut rows = sqlx::query("SELECT no_kk FROM households").fetch(&self.pool);
        let mut out = HashSet::new();
        while let Some(r) = rows.try_next().await? {
            out.insert(key_u64(r.try_get::<&str, _>(0)?)?);
        }
        Ok(out)
    }

    async fn person_keys(&self) -> Result<PersonKeys> {
        let mut keys = PersonKeys::default();
        let mut rows = sqlx::query("SELECT nik, no_kk, hubungan FROM persons").fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let nik = key_u64(r.try_get::<&str, _>(0)?)?;
            let kk = key_u64(r.try_get::<&str, _>(1)?)?;
            keys.household_of.insert(nik, kk);
            if r.try_get::<Option<&str>, _>(2)? == Some("kepala") {
                keys.head_of.insert(kk, nik);
            }
        }
        Ok(keys)
    }

    /// Writes a whole synthetic registry in one transaction: households, persons and
    /// the true consumption are copied into staging tables (`COPY`) and merged by one
    /// upsert each.
    async fn write_demo(
        &self,
        households: &[Household],
        persons: &[Person],
        truth: &[(NoKk, i64)],
        meta: &[(String, String)],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<()> {
        let mut bulk = self.begin_pg_bulk().await?;
        bulk.stage_households(households, progress).await?;
        bulk.stage_persons(persons, progress).await?;
        bulk.flush().await?;
        if !truth.is_empty() {
            let t = Staged::truth();
            let conn: &mut PgConnection = &mut bulk.tx;
            sqlx::query(&t.create_sql())
                .persistent(false)
                .execute(&mut *conn)
                .await?;
            let mut seq = 0i64;
            copy_in(
                conn,
                &t.copy_sql(),
                truth,
                |c, (kk, v)| {
                    seq += 1;
                    c.str(kk.as_str())?.int(*v).int(seq);
                    Ok(())
                },
                &mut |_| {},
            )
            .await?;
            t.merge(conn).await?;
        }
        for (k, v) in meta {
            upsert_meta(&mut bulk.tx, k, v).await?;
        }
        Box::new(bulk).commit().await
    }

    async fn for_each_household(
        &self,
        f: &mut (dyn FnMut(Household) -> Result<()> + Send),
    ) -> Result<()> {
        let sql = format!("{HOUSEHOLD_SELECT} ORDER BY no_kk");
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            f(household_from_row(&r)?)?;
        }
        Ok(())
    }

    async fn for_each_household_codes(
        &self,
        f: &mut (dyn for<'a, 'b> FnMut(u64, &'b HouseholdCodes<'a>) -> Result<()> + Send),
    ) -> Result<()> {
        let mut rows = sqlx::query(
            "SELECT h.no_kk, h.kode_wilayah, h.pengeluaran_bulanan, \
                 COALESCE(h.lantai, ''), COALESCE(h.dinding, ''), COALESCE(h.atap, ''), \
                 COALESCE(h.sumber_air, ''), COALESCE(h.sanitasi, ''), COALESCE(h.listrik, ''), \
                 COALESCE(h.bahan_bakar, ''), COALESCE(h.status_rumah, ''), \
                 w.skor_pmt, w.desil \
             FROM households h LEFT JOIN household_welfare w ON w.no_kk = h.no_kk \
             ORDER BY h.no_kk",
        )
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let kk: &str = r.try_get(0)?;
            let kk: u64 = kk
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("no_kk {kk:?}")))?;
            let mut housing = [""; 8];
            for (i, h) in housing.iter_mut().enumerate() {
                *h = r.try_get(3 + i)?;
            }
            let welfare = match (
                r.try_get::<Option<f64>, _>(11)?,
                r.try_get::<Option<i64>, _>(12)?,
            ) {
                (Some(s), Some(d)) => Some((s, d as u8)),
                _ => None,
            };
            f(
                kk,
                &HouseholdCodes {
                    village: r.try_get(1)?,
                    pengeluaran: r.try_get(2)?,
                    housing,
                    welfare,
                },
            )?;
        }
        Ok(())
    }

    /// As SQLite does, each household's members arrive packed into one text value
    /// (`string_agg`), one row per household.
    async fn for_each_household_members(
        &self,
        f: &mut (dyn for<'a, 'b> FnMut(u64, &'b [MemberCodes<'a>]) -> Result<()> + Send),
    ) -> Result<()> {
        let mut rows = sqlx::query(
            "SELECT no_kk, string_agg(tanggal_lahir || '|' || jenis_kelamin || '|' || \
                 COALESCE(hubungan, '') || '|' || COALESCE(pendidikan, '') || '|' || \
                 COALESCE(sektor, '') || '|' || COALESCE(disabilitas, '') || '|' || \
                 COALESCE(status_kawin, ''), ';' ORDER BY nik) \
             FROM persons GROUP BY no_kk ORDER BY no_kk",
        )
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let kk: &str = r.try_get(0)?;
            let kk: u64 = kk
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("no_kk {kk:?}")))?;
            let text: &str = r.try_get(1)?;
            let mut members: Vec<MemberCodes<'_>> = Vec::with_capacity(8);
            for m in text.split(';') {
                let mut it = m.split('|');
                let mut next = || it.next().unwrap_or("");
                members.push(MemberCodes {
                    birth: next(),
                    sex: next(),
                    relation: next(),
                    education: next(),
                    sector: next(),
                    disability: next(),
                    marital: next(),
                });
            }
            f(kk, &members)?;
        }
        Ok(())
    }

    async fn for_each_person(
        &self,
        f: &mut (dyn FnMut(Person) -> Result<()> + Send),
    ) -> Result<()> {
        let sql = format!("{PERSON_SELECT} ORDER BY no_kk, nik");
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            f(person_from_row(&r)?)?;
        }
        Ok(())
    }

    /// In `no_kk` order (the order SQLite's grouping returns them in).
    async fn household_consumption(&self) -> Result<Vec<(RegionCode, i64, i64)>> {
        let mut rows = sqlx::query(
            "SELECT h.kode_wilayah, h.pengeluaran_bulanan, COUNT(*) FROM households h \
             JOIN persons p ON p.no_kk = h.no_kk \
             GROUP BY h.no_kk, h.kode_wilayah, h.pengeluaran_bulanan ORDER BY h.no_kk",
        )
        .fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let code = RegionCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt)?;
            out.push((code, r.try_get(1)?, r.try_get(2)?));
        }
        Ok(out)
    }

    async fn registry_generation(&self) -> Result<u64> {
        Ok(self
            .meta(GENERATION_KEY)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// As in SQLite (`NOT IN (NULL)`), an empty list of villages finds nothing.
    async fn household_keys_outside(&self, villages: &[String]) -> Result<HashSet<u64>> {
        // `<> ALL('{}')` holds for every row: every household is outside no village.
        let mut out = HashSet::new();
        let mut rows = sqlx::query_scalar::<_, String>(
            "SELECT no_kk FROM households WHERE kode_wilayah <> ALL($1)",
        )
        .bind(villages)
        .fetch(&self.pool);
        while let Some(k) = rows.try_next().await? {
            out.insert(key_u64(&k)?);
        }
        Ok(out)
    }

    async fn totals(&self) -> Result<(u64, u64)> {
        let h: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households")
            .fetch_one(&self.pool)
            .await?;
        let p: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
            .fetch_one(&self.pool)
            .await?;
        Ok((h as u64, p as u64))
    }

    async fn counts_by_district(&self) -> Result<Vec<DistrictCount>> {
        let regions = self.regions().await?;
        // Per village, then rolled up: villages are the stored unit.
        let hh = sqlx::query("SELECT kode_wilayah, COUNT(*) FROM households GROUP BY kode_wilayah")
            .fetch_all(&self.pool)
            .await?;
        let pp = sqlx::query(
            "SELECT h.kode_wilayah, COUNT(*), \
                    SUM(CASE WHEN p.jenis_kelamin = 'P' THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN p.flags <> '' THEN 1 ELSE 0 END) \
             FROM persons p JOIN households h ON h.no_kk = p.no_kk GROUP BY h.kode_wilayah",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_district: HashMap<String, [u64; 4]> = HashMap::new();
        let district_of = |v: &str| -> Result<String> {
            let code = RegionCode::parse(v).map_err(corrupt)?;
            Ok(code
                .at_level(Level::District)
                .map(|c| c.as_str().to_string())
                .unwrap_or_default())
        };
        for r in hh {
            let d = district_of(r.try_get::<&str, _>(0)?)?;
            by_district.entry(d).or_default()[0] += r.try_get::<i64, _>(1)? as u64;
        }
        for r in pp {
            let d = district_of(r.try_get::<&str, _>(0)?)?;
            let e = by_district.entry(d).or_default();
            e[1] += r.try_get::<i64, _>(1)? as u64;
            e[2] += r.try_get::<i64, _>(2)? as u64;
            e[3] += r.try_get::<i64, _>(3)? as u64;
        }
        Ok(regions
            .iter()
            .filter(|r| r.level == Level::District)
            .map(|r| {
                let c = by_district
                    .get(r.code.as_str())
                    .copied()
                    .unwrap_or_default();
                DistrictCount {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    counts: Counts {
                        households: c[0],
                        persons: c[1],
                        women: c[2],
                        flagged: c[3],
                    },
                }
            })
            .collect())
    }

    async fn begin_bulk(&self) -> Result<Box<dyn BulkWrite + '_>> {
        Ok(Box::new(self.begin_pg_bulk().await?))
    }
}

/// The PostgreSQL bulk write: one transaction; rows are copied (`COPY … FROM STDIN`)
/// into temporary staging tables (dropped at commit) and merged into the registry by
/// [`BulkWrite::finish`] — or, if the caller does not call it, by
/// [`BulkWrite::record_run`] and [`BulkWrite::commit`].
pub(crate) struct PgBulk {
    tx: Transaction<'static, Postgres>,
    households: Staged,
    persons: Staged,
    /// Order of the rows written (each staged row's `seq`).
    seq: i64,
    households_pending: bool,
    persons_pending: bool,
    run_id: Option<i64>,
}

impl PgStore {
    pub(crate) async fn begin_pg_bulk(&self) -> Result<PgBulk> {
        let mut tx = self.pool.begin().await?;
        let (households, persons) = (Staged::households(), Staged::persons());
        for s in [&households, &persons] {
            sqlx::query(&s.create_sql())
                .persistent(false)
                .execute(&mut *tx)
                .await?;
        }
        Ok(PgBulk {
            tx,
            households,
            persons,
            seq: 0,
            households_pending: false,
            persons_pending: false,
            run_id: None,
        })
    }
}

impl PgBulk {
    async fn stage_households(
        &mut self,
        rows: &[Household],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<()> {
        let mut seq = self.seq;
        copy_in(
            &mut self.tx,
            &self.households.copy_sql(),
            rows,
            |c, h| {
                seq += 1;
                write_household(c, h, seq)
            },
            progress,
        )
        .await?;
        self.seq = seq;
        self.households_pending |= !rows.is_empty();
        Ok(())
    }

    async fn stage_persons(
        &mut self,
        rows: &[Person],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<()> {
        let mut seq = self.seq;
        copy_in(
            &mut self.tx,
            &self.persons.copy_sql(),
            rows,
            |c, p| {
                seq += 1;
                write_person(c, p, seq)
            },
            progress,
        )
        .await?;
        self.seq = seq;
        self.persons_pending |= !rows.is_empty();
        Ok(())
    }

    /// Merges whatever is staged, households first (persons refer to them).
    async fn flush(&mut self) -> Result<u64> {
        let mut changed = 0;
        if self.households_pending {
            changed += self.households.merge(&mut self.tx).await?;
            self.households_pending = false;
        }
        if self.persons_pending {
            changed += self.persons.merge(&mut self.tx).await?;
            self.persons_pending = false;
        }
        Ok(changed)
    }
}

#[async_trait]
impl BulkWrite for PgBulk {
    /// Stages the rows; they are written by [`BulkWrite::finish`], so this returns 0.
    async fn households(&mut self, rows: &[Household]) -> Result<u64> {
        self.stage_households(rows, &mut |_| {}).await?;
        Ok(0)
    }

    /// Stages the rows; they are written by [`BulkWrite::finish`], so this returns 0.
    async fn persons(&mut self, rows: &[Person]) -> Result<u64> {
        self.stage_persons(rows, &mut |_| {}).await?;
        Ok(0)
    }

    async fn finish(&mut self) -> Result<u64> {
        self.flush().await
    }

    /// Rows still staged (no [`BulkWrite::finish`] since they were written) are
    /// merged first and counted in `changed`.
    async fn record_run(
        &mut self,
        run: &ImportRun,
        rows: u64,
        inserted: u64,
        changed: u64,
    ) -> Result<WriteStats> {
        let changed = changed + self.flush().await?;
        let stats = stats_of(rows, inserted, changed);
        self.run_id = Some(record_run(&mut self.tx, run, stats).await?);
        Ok(stats)
    }

    fn run_id(&self) -> Option<i64> {
        self.run_id
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.flush().await?;
        bump_generation(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
