//! Test databases on either backend, and a macro that runs a test on both.
//!
//! ```ignore
//! sejahtera_testkit::on_both_backends! {
//!     async fn imports_are_idempotent(db) {
//!         let (store, regions) = sejahtera_app::regions::init(&db.url, &data).await.unwrap();
//!         …
//!     }
//! }
//! ```
//! expands to a module `imports_are_idempotent` with two tests, `sqlite` and
//! `postgres`. The PostgreSQL one needs `SEJAHTERA_TEST_PG_URL` (see [`crate::pg`]):
//! without it the test is skipped, except under CI where it fails.

use std::path::Path;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// A database for one test, and a temporary folder for its other files.
#[derive(Debug)]
pub struct TestDb {
    /// The location to open: a SQLite file path or a PostgreSQL URL.
    pub url: String,
    /// The backend.
    pub backend: Backend,
    dir: tempfile::TempDir,
}

impl TestDb {
    /// A new, empty database on `backend`; `None` when PostgreSQL is not configured
    /// outside CI (the caller skips the test).
    pub async fn new(backend: Backend, label: &str) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = match backend {
            Backend::Sqlite => dir.path().join("t.db").display().to_string(),
            Backend::Postgres => crate::pg::fresh_database(label).await?,
        };
        Some(TestDb { url, backend, dir })
    }

    /// The temporary folder of the test (input files, rejects reports, …).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A raw connection pool on the same database, for checks a test makes behind
    /// the store's back. Write portable SQL (`$1` placeholders work on both).
    pub async fn raw(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.url),
            Backend::Postgres => crate::pg::without_empty_host(&self.url),
        };
        AnyPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("raw connection to the test database: {e}"))
    }
}

/// Runs each `async fn NAME(db) { … }` once on SQLite and once on PostgreSQL, as
/// the tests `NAME::sqlite` and `NAME::postgres`; `db` is a [`TestDb`].
#[macro_export]
macro_rules! on_both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($db:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn __on_both_backends_body($db: $crate::db::TestDb) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = $crate::db::TestDb::new($crate::db::Backend::Sqlite, stringify!($name))
                        .await
                        .expect("SQLite test database");
                    __on_both_backends_body(db).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    match $crate::db::TestDb::new($crate::db::Backend::Postgres, stringify!($name)).await {
                        Some(db) => __on_both_backends_body(db).await,
                        None => eprintln!("skipped: {} not set", $crate::pg::URL_VAR),
                    }
                }
            }
        )*
    };
}
