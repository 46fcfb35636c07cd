//! The PostgreSQL backend of the Sejahtera store: a server shared by several processes.
//!
//! A pool of up to 16 connections to one database, opened from any URL libpq accepts
//! (`postgres://USER:PASS@HOST:PORT/DB`, or a Unix socket:
//! `postgres://USER@/DB?host=/SOCKET/DIR`). The migrations (`migrations/`) are
//! embedded in the binary and run on open; sqlx holds an advisory lock while it
//! migrates, so processes opening the same database at once do not race.
//!
//! Values are stored exactly as the SQLite backend stores them — keys, codes, dates
//! (`YYYY-MM-DD`) and timestamps (RFC 3339) as TEXT in the `"C"` collation, money and
//! counts as BIGINT — so every read returns byte-identical values on both backends,
//! in the same order.
//!
//! Bulk writes stream their rows with `COPY … FROM STDIN` into temporary staging
//! tables of their transaction; [`BulkWrite::finish`](sejahtera_store::BulkWrite::finish)
//! merges them into the registry with one `INSERT … SELECT … ON CONFLICT DO UPDATE …
//! WHERE … IS DISTINCT FROM …` per table. A table that is empty when a bulk write
//! first writes to it (a first load) is locked against other writers for the rest
//! of the transaction and its rows are copied straight into it; only a key written
//! twice goes through staging. Either every row of an import is stored or none is.
//!
//! An enrollment decision runs in a transaction that first takes
//! `LOCK TABLE enrollment_events IN SHARE ROW EXCLUSIVE MODE`, before it reads the
//! programs and the log. That mode conflicts with itself and with the `ROW EXCLUSIVE`
//! lock every insert takes, so the decisions of every process connected to the
//! database are serialised by the database, while readers (`ACCESS SHARE`) carry on.
//! Plain appends take the same lock, so events are committed in id order and a
//! process keeps the log folded, reading only the events after the last it saw
//! ([`sejahtera_store::EnrollmentCache`]). Under `READ COMMITTED`
//! every statement after the lock sees every decision committed before it. The lock
//! is released by commit or rollback. A decision waits at most 10 s for the lock
//! (SQLite's busy timeout) and then fails with
//! [`StoreError::Conflict`], which may be retried.
#![warn(missing_docs)]

mod accounts;
mod copy;
mod delivery;
mod households;
mod programs;
mod registry;
mod rows;
mod table_copy;
mod url;
mod welfare;

pub use url::connect_options;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sejahtera_store::{Backend, Database, DbUrl, EnrollmentCache, MetaStore, Result, StoreError};
use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Most connections of the pool.
const MAX_CONNECTIONS: u32 = 16;

/// How long an operation waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    target: String,
    /// The enrollment log folded so far (by this process).
    enrollments: Arc<EnrollmentCache>,
}

impl PgStore {
    /// Connects to the database at `url` (any form libpq accepts, see
    /// [`connect_options`]) and brings its schema up to date. Errors name the server
    /// without its password.
    pub async fn open(url: &str) -> Result<PgStore> {
        let target = match DbUrl::parse(url) {
            Ok(u) => u.redacted(),
            Err(e) => {
                return Err(StoreError::Open {
                    target: String::new(),
                    reason: e.to_string(),
                });
            }
        };
        let open_err = |reason: String| StoreError::Open {
            target: target.clone(),
            reason,
        };
        let mut opts = connect_options(url).map_err(|e| open_err(e.to_string()))?;
        if opts.get_application_name().is_none() {
            opts = opts.application_name("sejahtera");
        }
        // One connection first: an unreachable server or a refused login fails at
        // once with its cause (a pool would retry until its acquire timeout), and the
        // same connection checks the encoding and runs the migrations.
        let mut first = PgConnection::connect_with(&opts)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        // Text is compared and stored as UTF-8 bytes, like SQLite does.
        let encoding: String = sqlx::query_scalar("SHOW server_encoding")
            .fetch_one(&mut first)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        if !encoding.eq_ignore_ascii_case("UTF8") {
            let _ = first.close().await;
            return Err(open_err(format!(
                "the database encoding is {encoding}; Sejahtera needs UTF8 \
                 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)"
            )));
        }
        MIGRATOR.run(&mut first).await?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(opts);
        Ok(PgStore {
            pool,
            target,
            enrollments: Arc::default(),
        })
    }

    /// The server and database, without password.
    pub fn target(&self) -> &str {
        &self.target
    }
}

#[async_trait]
impl MetaStore for PgStore {
    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Database for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
