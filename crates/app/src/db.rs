//! Opening the store a location names: a SQLite file or a PostgreSQL server.

use sejahtera_store::{DbUrl, Store, StoreError};
use sejahtera_store_postgres::PgStore;
use sejahtera_store_sqlite::SqliteStore;

/// Opens (creating a SQLite file if needed) the database at `url` and brings its
/// schema up to date: migrations run on every start.
pub async fn open(url: &DbUrl) -> Result<Store, StoreError> {
    match url {
        DbUrl::Sqlite(path) => Ok(Store::new(SqliteStore::open(path).await?)),
        DbUrl::Postgres(u) => Ok(Store::new(PgStore::open(u).await?)),
    }
}

/// Opens the database at `location` (a path, `sqlite://PATH` or `postgres://…`).
pub async fn open_str(location: &str) -> Result<Store, StoreError> {
    let url = DbUrl::parse(location).map_err(|e| StoreError::Open {
        target: location.to_string(),
        reason: e.to_string(),
    })?;
    open(&url).await
}

/// Rows copied into one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCount {
    /// The table.
    pub table: &'static str,
    /// Rows in the source, and copied.
    pub rows: u64,
}

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Source and target are the same database.
    #[error("source and target are the same database ({0})")]
    Same(String),
    /// The target already holds data: nothing was copied.
    #[error(
        "the target {target} already holds data ({rows} rows in table {table}); copy only into an empty database"
    )]
    NotEmpty {
        /// The target, password hidden.
        target: String,
        /// The first table found with rows.
        table: &'static str,
        /// Its rows.
        rows: u64,
    },
    /// After the copy the target does not hold what the source held.
    #[error(
        "table {table}: {source_rows} rows in the source but {target_rows} in the target after the copy"
    )]
    Mismatch {
        /// The table.
        table: &'static str,
        /// Rows in the source.
        source_rows: u64,
        /// Rows in the target.
        target_rows: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rows sent to the target per insert.
const COPY_BATCH: usize = 4096;

/// Copies a whole database (regions, registry, welfare ranking, accounts, programs
/// and their events, delivery, import runs) from `from` to `to`, in either direction
/// between SQLite and PostgreSQL. The target must be empty (its schema is created
/// by the migrations when it is opened); everything is loaded in one transaction,
/// so a failed copy leaves it empty. Returns the rows per table, checked against
/// the target after the commit.
pub async fn copy(
    from: &DbUrl,
    to: &DbUrl,
    progress: &dyn crate::Progress,
) -> Result<Vec<TableCount>, CopyError> {
    if from == to {
        return Err(CopyError::Same(from.redacted()));
    }
    let source = open(from).await?;
    let target = open(to).await?;
    let result = copy_open(&source, &target, &to.redacted(), progress).await;
    source.close().await;
    target.close().await;
    result
}

async fn copy_open(
    source: &Store,
    target: &Store,
    target_name: &str,
    progress: &dyn crate::Progress,
) -> Result<Vec<TableCount>, CopyError> {
    use futures_util::StreamExt;
    use sejahtera_store::copy::TABLES;

    for t in TABLES {
        let rows = target.row_count(t).await?;
        if rows > 0 {
            return Err(CopyError::NotEmpty {
                target: target_name.to_string(),
                table: t.name,
                rows,
            });
        }
    }
    let mut counts = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        counts.push(TableCount {
            table: t.name,
            rows: source.row_count(t).await?,
        });
    }
    let total = counts.iter().map(|c| c.rows).sum();
    progress.start("copying", Some(total));
    let mut load = target.begin_load().await?;
    for t in TABLES {
        let mut rows = source.read_rows(t);
        let mut batch = Vec::with_capacity(COPY_BATCH);
        while let Some(row) = rows.next().await {
            batch.push(row?);
            if batch.len() == COPY_BATCH {
                load.insert(t, &batch).await?;
                progress.advance(batch.len() as u64);
                batch.clear();
            }
        }
        if !batch.is_empty() {
            load.insert(t, &batch).await?;
            progress.advance(batch.len() as u64);
        }
    }
    load.commit().await?;
    progress.finish();
    for (t, c) in TABLES.iter().zip(&counts) {
        let now = target.row_count(t).await?;
        if now != c.rows {
            return Err(CopyError::Mismatch {
                table: t.name,
                source_rows: c.rows,
                target_rows: now,
            });
        }
    }
    Ok(counts)
}
