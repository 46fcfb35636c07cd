//! Queries of the staff console: household search and detail, pseudonymous
//! household references, rejects reports of web imports.

use sejahtera_domain::registry::{Household, Person};
use sejahtera_domain::{NoKk, RegionCode};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::rows::{HOUSEHOLD_SELECT, PERSON_SELECT, household_from_row, person_from_row};
use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::{HouseholdFilter, HouseholdHit, Result, StoreError};

use crate::PgStore;

/// Rows per multi-row `INSERT` of references.
const CHUNK: usize = 1024;

fn push_filter(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &HouseholdFilter,
    villages: Option<&[String]>,
) {
    match filter {
        HouseholdFilter::Number(n) => {
            qb.push(" WHERE (h.no_kk = ");
            qb.push_bind(n.clone());
            qb.push(" OR h.no_kk IN (SELECT no_kk FROM persons WHERE nik = ");
            qb.push_bind(n.clone());
            qb.push("))");
        }
        HouseholdFilter::Name(s) => {
            let pattern = format!(
                "%{}%",
                s.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            qb.push(" WHERE h.no_kk IN (SELECT no_kk FROM persons WHERE LOWER(nama) LIKE ");
            qb.push_bind(pattern);
            // A backslash, whatever `standard_conforming_strings` says.
            qb.push(" ESCAPE chr(92))");
        }
    }
    if let Some(v) = villages {
        // An empty list matches nothing, as SQLite's `IN (NULL)`.
        qb.push(" AND h.kode_wilayah = ANY(");
        qb.push_bind(v.to_vec());
        qb.push(")");
    }
}

#[async_trait]
impl HouseholdStore for PgStore {
    /// Households matching `filter`, limited to `villages` when given, in KK order,
    /// one page (`limit`, `offset`), with the total number of matches.
    async fn search_households(
        &self,
        filter: &HouseholdFilter,
        villages: Option<&[String]>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<HouseholdHit>, u64)> {
        let mut count: QueryBuilder<'_, Postgres> =
            QueryBuilder::new("SELECT COUNT(*) FROM households h");
        push_filter(&mut count, filter, villages);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT h.no_kk, h.kode_wilayah, \
             (SELECT nama FROM persons k WHERE k.no_kk = h.no_kk AND k.hubungan = 'kepala' ORDER BY k.nik LIMIT 1), \
             (SELECT COUNT(*) FROM persons m WHERE m.no_kk = h.no_kk) \
             FROM households h",
        );
        push_filter(&mut qb, filter, villages);
        qb.push(" ORDER BY h.no_kk LIMIT ");
        qb.push_bind(limit as i64);
        qb.push(" OFFSET ");
        qb.push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = qb.build().fetch_all(&self.pool).await?;
        let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
        let mut hits = Vec::with_capacity(rows.len());
        for r in rows {
            hits.push(HouseholdHit {
                no_kk: NoKk::parse(r.try_get::<&str, _>(0)?).map_err(|e| corrupt(&e))?,
                kode_wilayah: RegionCode::parse(r.try_get::<&str, _>(1)?)
                    .map_err(|e| corrupt(&e))?,
                head_name: r.try_get(2)?,
                members: r.try_get::<i64, _>(3)? as u64,
            });
        }
        Ok((hits, total as u64))
    }

    /// A household and its members (by NIK).
    async fn household_detail(&self, no_kk: &NoKk) -> Result<Option<(Household, Vec<Person>)>> {
        let sql = format!("{HOUSEHOLD_SELECT} WHERE no_kk = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(no_kk.as_str())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let household = household_from_row(&row)?;
        let sql = format!("{PERSON_SELECT} WHERE no_kk = $1 ORDER BY nik");
        let rows = sqlx::query(&sql)
            .bind(no_kk.as_str())
            .fetch_all(&self.pool)
            .await?;
        let members = rows
            .iter()
            .map(person_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((household, members)))
    }

    /// Records pseudonymous references of households (`ref` → KK number); known ones are kept.
    async fn save_household_refs(&self, refs: &[(String, NoKk)]) -> Result<()> {
        if refs.is_empty() {
            return Ok(());
        }
        // One transaction, like SQLite's single statement: all or none.
        let mut tx = self.pool.begin().await?;
        for chunk in refs.chunks(CHUNK) {
            let mut qb: QueryBuilder<'_, Postgres> =
                QueryBuilder::new("INSERT INTO household_refs (ref, no_kk) ");
            qb.push_values(chunk, |mut b, (r, kk)| {
                b.push_bind(r.clone()).push_bind(kk.as_str().to_string());
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The KK number behind a pseudonymous reference.
    async fn household_of_ref(&self, r: &str) -> Result<Option<NoKk>> {
        let kk: Option<String> =
            sqlx::query_scalar("SELECT no_kk FROM household_refs WHERE ref = $1")
                .bind(r)
                .fetch_optional(&self.pool)
                .await?;
        kk.map(|k| NoKk::parse(&k).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// Stores the rejects report of an import run made by `user_id`.
    async fn save_import_rejects(&self, run_id: i64, user_id: i64, content: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO import_rejects (run_id, user_id, content) VALUES ($1, $2, $3)")
            .bind(run_id)
            .bind(user_id)
            .bind(content)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The rejects report of an import run and the user who made it.
    async fn import_rejects(&self, run_id: i64) -> Result<Option<(Option<i64>, Vec<u8>)>> {
        let row = sqlx::query("SELECT user_id, content FROM import_rejects WHERE run_id = $1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}
