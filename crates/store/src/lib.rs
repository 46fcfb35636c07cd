//! Persistence of the Sejahtera registry.
//!
//! [`Store`] is the SQLite backend (the embedded default): WAL journal, foreign keys
//! on, migrations embedded in the binary. The SQL is kept portable (standard
//! `INSERT … ON CONFLICT … DO UPDATE`, `IS DISTINCT FROM`, no SQLite-only functions
//! in queries) so that the PostgreSQL backend can mirror it.
//!
//! Bulk writes go through multi-row `INSERT` statements inside one transaction:
//! either every row of an import is stored or none is.
#![warn(missing_docs)]

mod accounts;
mod delivery;
mod programs;
mod registry;
mod rows;
mod staff;
pub mod welfare;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{NewUser, SessionRecord, UserRecord};
pub use delivery::ReferralUpdate;
pub use programs::EnrollmentTx;
pub use registry::{
    BulkWrite, Counts, DistrictCount, GENERATION_KEY, HouseholdCodes, ImportRun, MemberCodes,
    PersonKeys, WriteStats,
};
pub use staff::{HouseholdFilter, HouseholdHit};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// Stored data could not be read back into domain types.
    #[error("corrupt stored row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the error is a UNIQUE constraint that refused a duplicate.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite registry store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store> {
        let opts = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                source: e,
            })?
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
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                source: e,
            })?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool })
    }

    /// The connection pool, for use cases that need their own queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// A value from the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Sets a value in the `meta` table.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
