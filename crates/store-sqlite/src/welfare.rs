//! Welfare ranking (PMT scores and deciles) and the demo's true consumption.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use sqlx::{QueryBuilder, Row, Sqlite};

use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::{Result, WelfareRow};

use crate::SqliteStore;

/// Rows per multi-row `INSERT`.
const CHUNK: usize = 512;

use crate::rows::key_u64;

#[async_trait]
impl WelfareStore for SqliteStore {
    /// Replaces every stored score and decile with `rows`, and sets `meta`, in one transaction.
    async fn replace_welfare(&self, rows: &[WelfareRow], meta: &[(String, String)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM household_welfare")
            .execute(&mut *tx)
            .await?;
        for chunk in rows.chunks(CHUNK) {
            let mut qb: QueryBuilder<'_, Sqlite> =
                QueryBuilder::new("INSERT INTO household_welfare (no_kk, skor_pmt, desil, area) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.no_kk.as_str())
                    .push_bind(r.skor_pmt)
                    .push_bind(i64::from(r.desil))
                    .push_bind(r.area.as_str());
            });
            qb.build().execute(&mut *tx).await?;
        }
        for (k, v) in meta {
            sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(k.as_str())
                .bind(v.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stored score and decile per household (`no_kk` as an integer).
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

    /// The stored score and decile of one household.
    async fn welfare_of(&self, no_kk: &sejahtera_domain::NoKk) -> Result<Option<(f64, u8)>> {
        let row = sqlx::query("SELECT skor_pmt, desil FROM household_welfare WHERE no_kk = ?")
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

    /// Number of households with a stored decile.
    async fn welfare_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM household_welfare")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// True monthly consumption per household (`no_kk` as an integer), where known
    /// (the demo stores it in `household_truth`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use sejahtera_domain::{NoKk, RegionCode};

    #[tokio::test]
    async fn welfare_is_replaced_as_a_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("w.db")).await.unwrap();
        let mut regions = sejahtera_domain::Regions::new();
        let csv = "code,name,level,parent_code\n53,NTT,province,\n53.71,Kota Kupang,regency,53\n53.71.01,Alak,district,53.71\n53.71.01.1001,Manulai II,village,53.71.01\n";
        regions.extend(sejahtera_domain::Regions::parse_csv("t", csv).unwrap());
        store.save_regions(&regions).await.unwrap();
        let kk = NoKk::parse("5371010101200001").unwrap();
        let village = RegionCode::parse("53.71.01.1001").unwrap();
        let h = sejahtera_domain::registry::Household {
            no_kk: kk,
            kode_wilayah: village,
            rt: None,
            rw: None,
            alamat: None,
            pengeluaran_bulanan: sejahtera_domain::Rupiah::new(1_000_000),
            lantai: None,
            dinding: None,
            atap: None,
            sumber_air: None,
            sanitasi: None,
            listrik: None,
            bahan_bakar: None,
            status_rumah: None,
        };
        store
            .write_demo(&[h], &[], &[(kk, 1_100_000)], &[], &mut |_| {})
            .await
            .unwrap();
        let row = |desil| WelfareRow {
            no_kk: kk,
            skor_pmt: 12.5,
            desil,
            area: RegionCode::parse("53.71").unwrap(),
        };
        store
            .replace_welfare(&[row(3)], &[("pmt:area".into(), "regency".into())])
            .await
            .unwrap();
        store.replace_welfare(&[row(4)], &[]).await.unwrap();
        let w = store.welfare().await.unwrap();
        assert_eq!(w.get(&5371010101200001), Some(&(12.5, 4)));
        assert_eq!(store.welfare_count().await.unwrap(), 1);
        assert_eq!(
            store.meta("pmt:area").await.unwrap().as_deref(),
            Some("regency")
        );
        assert_eq!(
            store
                .true_consumption()
                .await
                .unwrap()
                .get(&5371010101200001),
            Some(&1_100_000)
        );
    }
}
