//! Whole-table reads and loads for copies between backends.

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sejahtera_store::copy::{CopyStore, Kind, Table, TableLoad, Value};
use sejahtera_store::{Result, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use crate::SqliteStore;

/// Rows per multi-row `INSERT` (bound values stay well under SQLite's limit).
fn chunk_rows(table: &Table) -> usize {
    (30_000 / table.columns.len().max(1)).max(1)
}

fn select(table: &Table) -> String {
    let cols: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        table.name,
        table.key.join(", ")
    )
}

fn values(table: &Table, r: &SqliteRow) -> Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Int | Kind::Flag => r
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Value::Null, Value::Int),
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
impl CopyStore for SqliteStore {
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
        Ok(Box::new(SqliteLoad {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
        }))
    }
}

struct SqliteLoad {
    tx: Transaction<'static, Sqlite>,
}

#[async_trait]
impl TableLoad for SqliteLoad {
    async fn insert(&mut self, table: &Table, rows: &[Vec<Value>]) -> Result<()> {
        let cols: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        for chunk in rows.chunks(chunk_rows(table)) {
            let mut qb: QueryBuilder<'_, Sqlite> =
                QueryBuilder::new(format!("INSERT INTO {} ({}) ", table.name, cols.join(", ")));
            let mut bad = None;
            qb.push_values(chunk, |mut b, row| {
                if row.len() != table.columns.len() {
                    bad = Some(row.len());
                }
                for v in row {
                    match v {
                        Value::Null => b.push_bind(None::<i64>),
                        Value::Int(n) => b.push_bind(*n),
                        Value::Real(x) => b.push_bind(*x),
                        Value::Text(s) => b.push_bind(s.clone()),
                        Value::Blob(v) => b.push_bind(v.clone()),
                    };
                }
            });
            if let Some(n) = bad {
                return Err(StoreError::Corrupt(format!(
                    "a row of {} has {n} values, {} expected",
                    table.name,
                    table.columns.len()
                )));
            }
            qb.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
