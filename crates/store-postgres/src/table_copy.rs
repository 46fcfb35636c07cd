//! Whole-table reads and loads for copies between backends (`sejahtera db copy`).

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sejahtera_store::copy::{CopyStore, Kind, Table, TableLoad, Value};
use sejahtera_store::{Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

use crate::PgStore;

/// Rows per multi-row `INSERT` (bound values stay under PostgreSQL's 65,535).
fn chunk_rows(table: &Table) -> usize {
    (60_000 / table.columns.len().max(1)).max(1)
}

/// Every value is read in one type whatever the column's width (`INTEGER` or
/// `BIGINT`), flags as booleans.
fn select(table: &Table) -> String {
    let cols: Vec<String> = table
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Int => format!("{}::BIGINT", c.name),
            Kind::Real => format!("{}::DOUBLE PRECISION", c.name),
            Kind::Flag => format!("{}::BOOLEAN", c.name),
            Kind::Text | Kind::Blob => c.name.to_string(),
        })
        .collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        table.name,
        table.key.join(", ")
    )
}

fn values(table: &Table, r: &PgRow) -> Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Int => r
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Value::Null, Value::Int),
                Kind::Flag => r
                    .try_get::<Option<bool>, _>(i)?
                    .map_or(Value::Null, |b| Value::Int(b as i64)),
                Kind::Real => r
                    .try_get::<Option<f64>, _>(i)?
                    .map_or(Value::Null, Value::Real),
                Kind::Text => r
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Value::Null, Value::Text),
                Kind::Blob => r
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Value::Null, Value::Blob),
            })
        })
        .collect()
}

#[async_trait]
impl CopyStore for PgStore {
    async fn row_count(&self, table: &Table) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    fn read_rows<'a>(&'a self, table: &'a Table) -> BoxStream<'a, Result<Vec<Value>>> {
        // The query's text must outlive the stream: a task owns both and hands
        // rows over a small channel (back-pressure keeps memory flat).
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Value>>>(1024);
        let pool = self.pool.clone();
        let table = *table;
        tokio::spawn(async move {
            let sql = select(&table);
            let mut rows = sqlx::query(&sql).fetch(&pool);
            while let Some(r) = rows.next().await {
                let item = r.map_err(StoreError::from).and_then(|r| values(&table, &r));
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    break;
                }
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
            .boxed()
    }

    async fn begin_load(&self) -> Result<Box<dyn TableLoad + '_>> {
        Ok(Box::new(PgLoad {
            tx: self.pool.begin().await?,
            identities: Vec::new(),
        }))
    }
}

struct PgLoad {
    tx: Transaction<'static, Postgres>,
    identities: Vec<(&'static str, &'static str)>,
}

#[async_trait]
impl TableLoad for PgLoad {
    async fn insert(&mut self, table: &Table, rows: &[Vec<Value>]) -> Result<()> {
        if let Some(id) = table.identity
            && !self.identities.contains(&(table.name, id))
        {
            self.identities.push((table.name, id));
        }
        let cols: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        for chunk in rows.chunks(chunk_rows(table)) {
            if let Some(row) = chunk.iter().find(|r| r.len() != table.columns.len()) {
                return Err(StoreError::Corrupt(format!(
                    "a row of {} has {} values, {} expected",
                    table.name,
                    row.len(),
                    table.columns.len()
                )));
            }
            let mut qb: QueryBuilder<'_, Postgres> =
                QueryBuilder::new(format!("INSERT INTO {} ({}) ", table.name, cols.join(", ")));
            qb.push_values(chunk, |mut b, row| {
                for (v, c) in row.iter().zip(table.columns) {
                    match (c.kind, v) {
                        (Kind::Flag, Value::Int(n)) => b.push_bind(*n != 0),
                        (Kind::Flag, Value::Null) => b.push_bind(None::<bool>),
                        (Kind::Int, Value::Null) => b.push_bind(None::<i64>),
                        (Kind::Real, Value::Null) => b.push_bind(None::<f64>),
                        (Kind::Blob, Value::Null) => b.push_bind(None::<Vec<u8>>),
                        (_, Value::Null) => b.push_bind(None::<String>),
                        (_, Value::Int(n)) => b.push_bind(*n),
                        (_, Value::Real(x)) => b.push_bind(*x),
                        (_, Value::Text(s)) => b.push_bind(s.clone()),
                        (_, Value::Blob(v)) => b.push_bind(v.clone()),
                    };
                }
            });
            qb.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        // Ids were copied as they were: the next generated id follows the largest.
        for (table, id) in &self.identities {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{id}'), \
                 COALESCE((SELECT MAX({id}) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
