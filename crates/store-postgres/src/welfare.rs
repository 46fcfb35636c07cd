//! Welfare ranking (PMT scores and deciles) and the demo's true consumption.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sejahtera_domain::NoKk;
use sqlx::Row;

use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::{Result, WelfareRow};

use crate::PgStore;
use crate::copy::copy_in;
use crate::rows::key_u64;

#[async_trait]
impl WelfareStore for PgStore {
    /// Replaces every stored score and decile with `rows` (copied in with `COPY`),
    /// and sets `meta`, in one transaction.
    async fn replace_welfare(&self, rows: &[WelfareRow], meta: &[(String, String)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM household_welfare")
            .execute(&mut *tx)
            .await?;
        copy_in(
            &mut tx,
            "COPY household_welfare (no_kk, skor_pmt, desil, area) FROM STDIN",
            rows,
            |c, r| {
                c.str(r.no_kk.as_str())?
                    .float(r.skor_pmt)
                    .int(i64::from(r.desil))
                    .str(r.area.as_str())?;
                Ok(())
            },
            &mut |_| {},
        )
        .await?;
        for (k, v) in meta {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(k.as_str())
            .bind(v.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn welfare(&self) -> Result<HashMap<u64, (f64, u8)>> {
        let mut rows =
            sqlx::query("SELECT no_kk, skor_pmt, desil FROM household_welfare").fetch(&self.pool);
        let mut out = HashMap::new();
        while let Some(r) = rows.try_next().await? {
            let desil: i64 = r.try_get(2)?;
            out.insert(
                key_u64(r.try_get::<&str, _>(0)?)?,
                (r.try_get::<f64, _>(1)?, desil as u8),
            );
        }
        Ok(out)
    }

    async fn welfare_of(&self, no_kk: &NoKk) -> Result<Option<(f64, u8)>> {
        let row = sqlx::query("SELECT skor_pmt, desil FROM household_welfare WHERE no_kk = $1")
            .bind(no_kk.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((
                r.try_get::<f64, _>(0)?,
                r.try_get::<i64, _>(1)? as u8,
            ))),
            None => Ok(None),
        }
    }

    async fn welfare_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM household_welfare")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn true_consumption(&self) -> Result<HashMap<u64, i64>> {
        let mut rows =
            sqlx::query("SELECT no_kk, konsumsi_sebenarnya FROM household_truth").fetch(&self.pool);
        let mut out = HashMap::new();
        while let Some(r) = rows.try_next().await? {
            out.insert(key_u64(r.try_get::<&str, _>(0)?)?, r.try_get(1)?);
        }
        Ok(out)
    }
}
