//! Regions, households and persons: bulk writes, key lookups, exports and counts.

use std::collections::{HashMap, HashSet};

use futures_util::TryStreamExt;
use sejahtera_domain::codes::Code;
use sejahtera_domain::region::{Level, Region, Regions};
use sejahtera_domain::registry::{HOUSEHOLD_COLUMNS, Household, PERSON_COLUMNS, Person};
use sejahtera_domain::{NoKk, RegionCode};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use crate::rows::{HOUSEHOLD_SELECT, PERSON_SELECT, household_from_row, opt_code, person_from_row};
use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::registry::stats_of;
use sejahtera_store::{
    Counts, DistrictCount, GENERATION_KEY, HouseholdCodes, ImportRun, MemberCodes, PersonKeys,
    Result, StoreError, WriteStats,
};

use crate::SqliteStore;

/// Rows per multi-row `INSERT` (keeps bound parameters well under SQLite's limit).
const CHUNK: usize = 512;

use crate::rows::key_u64;

#[async_trait]
impl RegistryStore for SqliteStore {
    /// Stores the region hierarchy (inserting new codes, updating names of known ones).
    async fn save_regions(&self, regions: &Regions) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let all: Vec<&Region> = regions.iter().collect();
        for chunk in all.chunks(CHUNK) {
            let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
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
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored region hierarchy.
    async fn regions(&self) -> Result<Regions> {
        let rows = sqlx::query("SELECT code, name, level, parent_code FROM regions ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let code = RegionCode::parse(r.try_get::<&str, _>(0)?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let level_s: &str = r.try_get(2)?;
            let level = Level::parse(level_s)
                .ok_or_else(|| StoreError::Corrupt(format!("level {level_s}")))?;
            let parent: Option<String> = r.try_get(3)?;
            let parent_code = parent
                .map(|p| RegionCode::parse(&p))
                .transpose()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push(Region {
                code,
                name: r.try_get(1)?,
                level,
                parent_code,
            });
        }
        Regions::from_regions(out).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Every stored household key (`no_kk` as an integer).
    async fn household_keys(&self) -> Result<HashSet<u64>> {
        let mut rows = sqlx::query("SELECT no_kk FROM households").fetch(&self.pool);
        let mut out = HashSet::new();
        while let Some(r) = rows.try_next().await? {
            out.insert(key_u64(r.try_get::<&str, _>(0)?)?);
        }
        Ok(out)
    }

    /// Stored persons' households and each household's head.
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

    /// Writes a whole synthetic registry (households, persons, true consumption)
    /// and meta facts in one transaction.
    async fn write_demo(
        &self,
        households: &[Household],
        persons: &[Person],
        truth: &[(NoKk, i64)],
        meta: &[(String, String)],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        upsert_households(&mut tx, households, progress).await?;
        upsert_persons(&mut tx, persons, progress).await?;
        for chunk in truth.chunks(CHUNK) {
            let mut qb: QueryBuilder<'_, Sqlite> =
                QueryBuilder::new("INSERT INTO household_truth (no_kk, konsumsi_sebenarnya) ");
            qb.push_values(chunk, |mut b, (kk, c)| {
                b.push_bind(kk.as_str()).push_bind(*c);
            });
            qb.push(" ON CONFLICT (no_kk) DO UPDATE SET konsumsi_sebenarnya = excluded.konsumsi_sebenarnya");
            qb.build().execute(&mut *tx).await?;
        }
        for (k, v) in meta {
            sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(k.as_str())
                .bind(v.as_str())
                .execute(&mut *tx)
                .await?;
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Calls `f` for every stored household in `no_kk` order.
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

    /// Calls `f` for every household in `no_kk` order with what a columnar snapshot
    /// needs: village, reported consumption, the housing codes and the stored
    /// welfare ranking (score, decile), packed by SQLite into few values per row.
    async fn for_each_household_codes(
        &self,
        f: &mut (dyn for<'a, 'b> FnMut(u64, &'b HouseholdCodes<'a>) -> Result<()> + Send),
    ) -> Result<()> {
        let mut rows = sqlx::query(
            "SELECT h.no_kk, h.kode_wilayah || '|' || h.pengeluaran_bulanan || '|' || \
                 ifnull(h.lantai, '') || '|' || ifnull(h.dinding, '') || '|' || \
                 ifnull(h.atap, '') || '|' || ifnull(h.sumber_air, '') || '|' || \
                 ifnull(h.sanitasi, '') || '|' || ifnull(h.listrik, '') || '|' || \
                 ifnull(h.bahan_bakar, '') || '|' || ifnull(h.status_rumah, ''), \
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
            let packed: &str = r.try_get(1)?;
            let mut it = packed.split('|');
            let mut next = || it.next().unwrap_or("");
            let village = next();
            let pengeluaran = next()
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("pengeluaran_bulanan of {kk:016}")))?;
            let housing = [(); 8].map(|_| next());
            let welfare = match (
                r.try_get::<Option<f64>, _>(2)?,
                r.try_get::<Option<i64>, _>(3)?,
            ) {
                (Some(s), Some(d)) => Some((s, d as u8)),
                _ => None,
            };
            f(
                kk,
                &HouseholdCodes {
                    village,
                    pengeluaran,
                    housing,
                    welfare,
                },
            )?;
        }
        Ok(())
    }

    /// Calls `f` for every household with stored persons, in `no_kk` order, with the
    /// coded fields of its members in `nik` order — what a columnar snapshot needs,
    /// without names or NIK. SQLite packs each household's members into one text
    /// value, so a full registry arrives as one row per household instead of twelve
    /// values per person (the per-value cost of a row made a full scan take 11 s for
    /// 773k persons; this takes about a fifth of it).
    async fn for_each_household_members(
        &self,
        f: &mut (dyn for<'a, 'b> FnMut(u64, &'b [MemberCodes<'a>]) -> Result<()> + Send),
    ) -> Result<()> {
        let mut rows = sqlx::query(
            "SELECT no_kk, group_concat(tanggal_lahir || '|' || jenis_kelamin || '|' || \
                 ifnull(hubungan, '') || '|' || ifnull(pendidikan, '') || '|' || \
                 ifnull(sektor, '') || '|' || ifnull(disabilitas, '') || '|' || \
                 ifnull(status_kawin, ''), ';' ORDER BY nik) \
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

    /// Calls `f` for every stored person in (`no_kk`, `nik`) order.
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

    /// Every household with at least one stored person: its village code, monthly
    /// consumption and number of stored persons (for per-capita analytics).
    async fn household_consumption(&self) -> Result<Vec<(RegionCode, i64, i64)>> {
        let mut rows = sqlx::query(
            "SELECT h.kode_wilayah, h.pengeluaran_bulanan, COUNT(*) FROM households h \
             JOIN persons p ON p.no_kk = h.no_kk GROUP BY h.no_kk, h.kode_wilayah, h.pengeluaran_bulanan",
        )
        .fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let code = RegionCode::parse(r.try_get::<&str, _>(0)?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push((code, r.try_get(1)?, r.try_get(2)?));
        }
        Ok(out)
    }

    /// The registry generation (see [`GENERATION_KEY`]); 0 before the first change.
    async fn registry_generation(&self) -> Result<u64> {
        Ok(self
            .meta(GENERATION_KEY)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Keys of stored households whose village is not one of `villages`.
    async fn household_keys_outside(&self, villages: &[String]) -> Result<HashSet<u64>> {
        if villages.is_empty() {
            // Every household is outside no village (`NOT IN ()` is not SQL).
            return self.household_keys().await;
        }
        let mut qb: QueryBuilder<'_, Sqlite> =
            QueryBuilder::new("SELECT no_kk FROM households WHERE kode_wilayah NOT IN (");
        let mut sep = qb.separated(", ");
        for v in villages {
            sep.push_bind(v.clone());
        }
        qb.push(")");
        let mut rows = qb.build_query_scalar::<String>().fetch(&self.pool);
        let mut out = HashSet::new();
        while let Some(k) = rows.try_next().await? {
            out.insert(key_u64(&k)?);
        }
        Ok(out)
    }

    /// Numbers of stored households and persons.
    async fn totals(&self) -> Result<(u64, u64)> {
        let h: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households")
            .fetch_one(&self.pool)
            .await?;
        let p: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
            .fetch_one(&self.pool)
            .await?;
        Ok((h as u64, p as u64))
    }

    /// Households, persons, women and flagged persons per district, in code order.
    /// Districts without households are listed with zeros.
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
            let code = RegionCode::parse(v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
        Ok(Box::new(self.begin_bulk_write().await?))
    }
}

async fn record_run(
    tx: &mut Transaction<'_, Sqlite>,
    run: &ImportRun,
    stats: WriteStats,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO import_runs (kind, file_name, started_at, accepted, rejected, warnings, inserted, updated) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&run.kind)
    .bind(&run.file_name)
    .bind(chrono::Utc::now().to_rfc3339())
    .bind(run.accepted as i64)
    .bind(run.rejected as i64)
    .bind(run.warnings as i64)
    .bind(stats.inserted as i64)
    .bind(stats.updated as i64)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

async fn bump_generation(tx: &mut Transaction<'_, Sqlite>) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE \
         SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)",
    )
    .bind(GENERATION_KEY)
    .execute(&mut **tx)
    .await?;
    Ok(())
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

/// Inserts or updates households; returns the rows inserted or changed.
async fn upsert_households(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[Household],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    // Every column but the key (the first) is updated.
    let clause = upsert_clause("households", "no_kk", &HOUSEHOLD_COLUMNS[1..]);
    let mut changed = 0u64;
    for chunk in rows.chunks(CHUNK) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "INSERT INTO households (no_kk, kode_wilayah, rt, rw, alamat, pengeluaran_bulanan, lantai, dinding, atap, \
             sumber_air, sanitasi, listrik, bahan_bakar, status_rumah) ",
        );
        qb.push_values(chunk, |mut b, h| {
            b.push_bind(h.no_kk.as_str())
                .push_bind(h.kode_wilayah.as_str())
                .push_bind(h.rt.as_deref())
                .push_bind(h.rw.as_deref())
                .push_bind(h.alamat.as_deref())
                .push_bind(h.pengeluaran_bulanan.get())
                .push_bind(opt_code(h.lantai))
                .push_bind(opt_code(h.dinding))
                .push_bind(opt_code(h.atap))
                .push_bind(opt_code(h.sumber_air))
                .push_bind(opt_code(h.sanitasi))
                .push_bind(opt_code(h.listrik))
                .push_bind(opt_code(h.bahan_bakar))
                .push_bind(opt_code(h.status_rumah));
        });
        qb.push(&clause);
        changed += qb.build().execute(&mut **tx).await?.rows_affected();
        progress(chunk.len() as u64);
    }
    Ok(changed)
}

/// Inserts or updates persons; returns the rows inserted or changed.
async fn upsert_persons(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[Person],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    // Every column but the key (the first) is updated, and the data-quality flags.
    let update: Vec<&str> = PERSON_COLUMNS[1..]
        .iter()
        .copied()
        .chain(["flags"])
        .collect();
    let clause = upsert_clause("persons", "nik", &update);
    let mut changed = 0u64;
    for chunk in rows.chunks(CHUNK) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "INSERT INTO persons (nik, no_kk, nama, jenis_kelamin, tanggal_lahir, hubungan, pendidikan, pekerjaan, \
             sektor, disabilitas, status_kawin, flags) ",
        );
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(p.nik.as_str())
                .push_bind(p.no_kk.as_str())
                .push_bind(p.nama.as_str())
                .push_bind(p.jenis_kelamin.as_str())
                .push_bind(p.tanggal_lahir.format("%Y-%m-%d").to_string())
                .push_bind(opt_code(p.hubungan))
                .push_bind(opt_code(p.pendidikan))
                .push_bind(p.pekerjaan.as_deref())
                .push_bind(opt_code(p.sektor))
                .push_bind(opt_code(p.disabilitas))
                .push_bind(opt_code(p.status_kawin))
                .push_bind(p.flags_text());
        });
        qb.push(&clause);
        changed += qb.build().execute(&mut **tx).await?.rows_affected();
        progress(chunk.len() as u64);
    }
    Ok(changed)
}

/// The SQLite bulk write: one transaction, multi-row `INSERT … ON CONFLICT` per batch.
pub(crate) struct SqliteBulk {
    tx: Transaction<'static, Sqlite>,
    run_id: Option<i64>,
}

impl SqliteStore {
    pub(crate) async fn begin_bulk_write(&self) -> Result<SqliteBulk> {
        Ok(SqliteBulk {
            tx: self.pool.begin().await?,
            run_id: None,
        })
    }
}

#[async_trait]
impl BulkWrite for SqliteBulk {
    async fn households(&mut self, rows: &[Household]) -> Result<u64> {
        upsert_households(&mut self.tx, rows, &mut |_| {}).await
    }

    async fn persons(&mut self, rows: &[Person]) -> Result<u64> {
        upsert_persons(&mut self.tx, rows, &mut |_| {}).await
    }

    async fn finish(&mut self) -> Result<u64> {
        Ok(0)
    }

    async fn record_run(
        &mut self,
        run: &ImportRun,
        rows: u64,
        inserted: u64,
        changed: u64,
    ) -> Result<WriteStats> {
        let stats = stats_of(rows, inserted, changed);
        self.run_id = Some(record_run(&mut self.tx, run, stats).await?);
        Ok(stats)
    }

    fn run_id(&self) -> Option<i64> {
        self.run_id
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        bump_generation(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
