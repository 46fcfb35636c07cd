//! PostgreSQL databases for tests.
//!
//! Tests of the PostgreSQL backend need a server. [`fresh_database`] reads the URL of
//! one from `SEJAHTERA_TEST_PG_URL` (a role allowed to `CREATE DATABASE`), creates an
//! empty database for the calling test and returns its URL. Without the variable the
//! test is skipped — except under CI (`CI` set), where a PostgreSQL test must fail
//! rather than pass without running.
//!
//! ```text
//! SEJAHTERA_TEST_PG_URL='postgres://sejahtera@/postgres?host=/tmp/pgsock' cargo test -p …
//! ```

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

/// The variable naming the test server.
pub const URL_VAR: &str = "SEJAHTERA_TEST_PG_URL";

/// PostgreSQL's longest identifier, in bytes.
const MAX_NAME: usize = 63;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates a new, empty database on the server of `SEJAHTERA_TEST_PG_URL` and returns
/// its URL (the server's URL with the database replaced; query parameters such as
/// `?host=/socket/dir` kept). The name is `sjt_<label>_<pid>_<counter>`, lower case;
/// a database of that name left by an earlier run is dropped first.
///
/// Returns `None` when the variable is unset (print "skipped: SEJAHTERA_TEST_PG_URL
/// not set" and return), and panics when it is unset while `CI` is set, or when the
/// server cannot be reached or refuses to create the database.
pub async fn fresh_database(label: &str) -> Option<String> {
    let base = match std::env::var(URL_VAR) {
        Ok(u) if !u.trim().is_empty() => u,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{URL_VAR} is not set but CI is: PostgreSQL tests must run under CI. \
                     Set {URL_VAR} to the URL of a server where the role may CREATE DATABASE, \
                     e.g. postgres://USER:PASS@localhost:5432/postgres"
                );
            }
            return None;
        }
    };
    let name = database_name(
        label,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
    );
    let opts = PgConnectOptions::from_str(&without_empty_host(&base))
        .unwrap_or_else(|e| panic!("{URL_VAR} is not a PostgreSQL URL: {e}"));
    let mut conn = PgConnection::connect_with(&opts)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the server named by {URL_VAR}: {e}"));
    // Sejahtera needs a UTF-8 database; a server whose default is not gets one anyway.
    let template_encoding: String = sqlx::query_scalar(
        "SELECT pg_encoding_to_char(encoding)::TEXT FROM pg_database WHERE datname = 'template1'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("cannot read the server's default encoding: {e}"));
    let create = if template_encoding == "UTF8" {
        format!("CREATE DATABASE \"{name}\"")
    } else {
        format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' \
             LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    };
    for sql in [format!("DROP DATABASE IF EXISTS \"{name}\""), create] {
        conn.execute(sql.as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    }
    let _ = conn.close().await;
    Some(with_database(&base, &name))
}

/// sqlx's URL parser refuses a user with an empty host (`postgres://USER@/DB?host=/dir`,
/// a form libpq accepts): such a URL is rewritten as `postgres:///DB?user=USER&…` (the
/// same rewrite as `sejahtera_store_postgres::connect_options`, which this dev-only
/// crate cannot depend on).
pub fn without_empty_host(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let Some((userinfo, hostport)) = url[start..end].rsplit_once('@') else {
        return url.to_string();
    };
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, ""));
    if !host.is_empty() {
        return url.to_string();
    }
    // Query values are form-decoded: keep `+`, `&`, `=` and `#` literal.
    let enc = |s: &str| {
        s.replace('+', "%2B")
            .replace('&', "%26")
            .replace('=', "%3D")
            .replace('#', "%23")
    };
    let mut params = Vec::new();
    let (user, password) = userinfo
        .split_once(':')
        .map_or((userinfo, None), |(u, p)| (u, Some(p)));
    if !user.is_empty() {
        params.push(format!("user={}", enc(user)));
    }
    if let Some(p) = password {
        params.push(format!("password={}", enc(p)));
    }
    if !port.is_empty() {
        params.push(format!("port={port}"));
    }
    let rest = &url[end..];
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // Parameters of the query come later and so take precedence, as in libpq.
    if !query.is_empty() {
        params.push(query.to_string());
    }
    format!("{}{path}?{}", &url[..start], params.join("&"))
}

/// `sjt_<label>_<pid>_<n>`: lower case, `[a-z0-9_]` only, at most 63 bytes.
fn database_name(label: &str, pid: u32, n: u32) -> String {
    let tail = format!("_{pid}_{n}");
    let mut label: String = label
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() { c } else { '_' }
        })
        .collect();
    label.truncate(MAX_NAME - "sjt_".len() - tail.len());
    format!("sjt_{label}{tail}")
}

/// The URL with its database (the path, and any `dbname=` parameter) replaced by
/// `name`; everything else kept.
fn with_database(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        panic!("{URL_VAR} must be a URL (postgres://…)");
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let (head, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    let authority = head.split_once('/').map_or(head, |(a, _)| a);
    let mut out = format!("{scheme}{authority}/{name}");
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| {
                !kv.is_empty()
                    && !kv
                        .split('=')
                        .next()
                        .is_some_and(|k| k.eq_ignore_ascii_case("dbname"))
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_identifiers() {
        assert_eq!(database_name("Bulk Import", 42, 7), "sjt_bulk_import_42_7");
        let long = database_name(&"x".repeat(200), u32::MAX, u32::MAX);
        assert_eq!(long.len(), MAX_NAME);
        assert!(long.ends_with(&format!("_{}_{}", u32::MAX, u32::MAX)));
    }

    #[test]
    fn database_replaced_parameters_kept() {
        for (url, want) in [
            (
                "postgres://sejahtera@/postgres?host=/tmp/pgsock",
                "postgres://sejahtera@/t1?host=/tmp/pgsock",
            ),
            (
                "postgres://u:p@localhost:5432/postgres?sslmode=disable",
                "postgres://u:p@localhost:5432/t1?sslmode=disable",
            ),
            ("postgresql://localhost", "postgresql://localhost/t1"),
            ("postgres://h:5432/", "postgres://h:5432/t1"),
            (
                "postgres:///postgres?host=/run/pg&dbname=x&user=me",
                "postgres:///t1?host=/run/pg&user=me",
            ),
        ] {
            assert_eq!(with_database(url, "t1"), want, "{url}");
        }
    }

    #[test]
    fn empty_host_urls_become_parameters() {
        assert_eq!(
            without_empty_host("postgres://sj:a+b@/postgres?host=/tmp/pgsock"),
            "postgres:///postgres?user=sj&password=a%2Bb&host=/tmp/pgsock"
        );
        assert_eq!(
            without_empty_host("postgres://sj@:5433/db"),
            "postgres:///db?user=sj&port=5433"
        );
        for same in [
            "postgres://u:p@h/db",
            "postgres:///db?host=/x",
            "postgres://h",
        ] {
            assert_eq!(without_empty_host(same), same);
        }
        let o = PgConnectOptions::from_str(&without_empty_host(
            "postgres://sj:a+b@/postgres?host=/tmp/pgsock",
        ))
        .unwrap();
        assert_eq!(o.get_username(), "sj");
        assert_eq!(o.get_database(), Some("postgres"));
    }

    #[tokio::test]
    async fn unset_variable_skips_outside_ci() {
        if std::env::var_os(URL_VAR).is_some() || std::env::var_os("CI").is_some() {
            return;
        }
        assert_eq!(fresh_database("skip").await, None);
    }
}
