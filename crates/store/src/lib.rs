//! The store interface of Sejahtera: what the application asks of a database.
//!
//! One trait per aggregate ([`RegistryStore`], [`AccountStore`], [`ProgramStore`],
//! [`DeliveryStore`], [`HouseholdStore`], [`WelfareStore`], [`MetaStore`]) with its
//! row types, and a typed [`StoreError`]. Each backend implements all of them in
//! its own crate, with its own migrations: `sejahtera-store-sqlite` (the embedded
//! default) and `sejahtera-store-postgres`. [`Store`] is a cheap, cloneable handle
//! on whichever backend was opened; no connection pool is visible through it.
//!
//! Rules of the kind "at most N" or "only once" are decided inside the database
//! transaction that records them ([`ProgramStore::begin_enrollment`]), never by a
//! lock in one process.
#![warn(missing_docs)]

pub mod accounts;
pub mod copy;
pub mod delivery;
pub mod households;
pub mod programs;
pub mod registry;
pub mod rows;
pub mod url;
pub mod welfare;

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use async_trait::async_trait;

pub use accounts::{AccountStore, NewUser, SessionRecord, UserRecord};
pub use copy::{CopyStore, TableLoad};
pub use delivery::{DeliveryStore, ReferralUpdate};
pub use households::{HouseholdFilter, HouseholdHit, HouseholdStore};
pub use programs::{EnrollmentTx, ProgramStore};
pub use registry::{
    BulkWrite, Counts, DistrictCount, GENERATION_KEY, HouseholdCodes, ImportRun, MemberCodes,
    PersonKeys, RegistryStore, WriteStats,
};
pub use url::{DbUrl, UrlError};
pub use welfare::{WelfareRow, WelfareStore};

/// Every trait of the interface, for `use sejahtera_store::prelude::*`.
pub mod prelude {
    pub use crate::{
        AccountStore, BulkWrite, CopyStore, Database, DeliveryStore, EnrollmentTx, HouseholdStore,
        MetaStore, ProgramStore, RegistryStore, WelfareStore,
    };
}

/// Errors of the store, whatever the backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("cannot open database {target}: {reason}")]
    Open {
        /// The file or server (never with a password).
        target: String,
        /// The cause.
        reason: String,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(String),
    /// A uniqueness rule refused a duplicate.
    #[error("duplicate refused by the database: {0}")]
    Unique(String),
    /// Concurrent transactions conflicted and this one was rolled back; retrying
    /// it may succeed.
    #[error("concurrent transactions conflicted: {0}")]
    Conflict(String),
    /// Any other failure of the database.
    #[error("database error: {0}")]
    Backend(String),
    /// Stored data could not be read back into domain types.
    #[error("corrupt stored row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the error is a uniqueness rule that refused a duplicate.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Unique(_))
    }

    /// Whether the transaction may succeed when retried.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return StoreError::Unique(d.message().to_string());
            }
            // PostgreSQL: serialization_failure, deadlock_detected;
            // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6) after the busy timeout.
            if matches!(d.code().as_deref(), Some("40001" | "40P01" | "5" | "6")) {
                return StoreError::Conflict(d.message().to_string());
            }
        }
        StoreError::Backend(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migrate(e.to_string())
    }
}

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Installation facts kept as key–value pairs.
#[async_trait]
pub trait MetaStore: Send + Sync {
    /// A value from the `meta` table.
    async fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Sets a value in the `meta` table.
    async fn set_meta(&self, key: &str, value: &str) -> Result<()>;
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded (one file).
    Sqlite,
    /// PostgreSQL, a server.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A whole database behind one interface: every aggregate's store.
#[async_trait]
pub trait Database:
    MetaStore
    + CopyStore
    + RegistryStore
    + AccountStore
    + ProgramStore
    + DeliveryStore
    + HouseholdStore
    + WelfareStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Closes every connection (SQLite checkpoints its WAL).
    async fn close(&self);
}

/// A handle on an open store (cheap to clone, shared by every task).
#[derive(Clone)]
pub struct Store(Arc<dyn Database>);

impl Store {
    /// Wraps a backend.
    pub fn new(db: impl Database) -> Store {
        Store(Arc::new(db))
    }
}

impl Deref for Store {
    type Target = dyn Database;
    fn deref(&self) -> &(dyn Database + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Store({})", self.0.backend().as_str())
    }
}
