//! The SQLite backend of the Sejahtera store: the embedded default.
//!
//! One file, WAL journal, foreign keys on, migrations (`migrations/`) embedded in
//! the binary and run on open. Bulk writes go through multi-row `INSERT … ON
//! CONFLICT` statements inside one transaction: either every row of an import is
//! stored or none is. An enrollment decision runs in a `BEGIN IMMEDIATE`
//! transaction, which takes SQLite's single write lock before it reads, so
//! decisions of every process on the file are serialised by the database.
#![warn(missing_docs)]

mod accounts;
mod copy;
mod delivery;
mod households;
mod programs;
mod registry;
mod rows;
mod welfare;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sejahtera_store::{Backend, Database, EnrollmentCache, MetaStore, Result, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The enrollment log folded so far (by this process).
    enrollments: Arc<EnrollmentCache>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let open_err = |e: sqlx::Error| StoreError::Open {
            target: path.display().to_string(),
            reason: e.to_string(),
        };
        let opts = SqliteConnectOptions::from_str("sqlite:")
            .map_err(open_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(open_err)?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore {
            pool,
            enrollments: Arc::default(),
        })
    }
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Database for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
