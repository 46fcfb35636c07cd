//! Which database to open, from `--db` / `SEJAHTERA_DB`.

use std::fmt;
use std::path::PathBuf;

/// A database location: a SQLite file or a PostgreSQL connection URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A SQLite database file (`PATH` or `sqlite://PATH`).
    Sqlite(PathBuf),
    /// A PostgreSQL URL in a form libpq accepts (`postgres://USER:PASS@HOST:PORT/DB`,
    /// `postgres://USER@/DB?host=/SOCKET/DIR`, `postgresql://…`).
    Postgres(String),
}

/// A database location that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Nothing was given.
    #[error("the database location is empty")]
    Empty,
    /// A scheme other than `sqlite`, `postgres` or `postgresql`.
    #[error(
        "unknown database scheme {scheme:?} in {url:?}; allowed: a file path, sqlite://PATH, postgres://…, postgresql://…"
    )]
    Scheme {
        /// The scheme given.
        scheme: String,
        /// The location, password hidden.
        url: String,
    },
}

/// The default database: `./sejahtera.db`.
pub const DEFAULT_DB: &str = "sejahtera.db";

impl DbUrl {
    /// Reads a location: a path, `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or
    /// `postgresql://…`.
    pub fn parse(s: &str) -> Result<DbUrl, UrlError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(UrlError::Empty);
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(t.to_string()));
        }
        if let Some(rest) =
            strip_prefix_ci(t, "sqlite://").or_else(|| strip_prefix_ci(t, "sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(UrlError::Empty);
            }
            return Ok(DbUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = t.split_once("://")
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        {
            return Err(UrlError::Scheme {
                scheme: scheme.to_string(),
                url: redact(t),
            });
        }
        Ok(DbUrl::Sqlite(PathBuf::from(t)))
    }

    /// The location with any password replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => p.display().to_string(),
            DbUrl::Postgres(u) => redact(u),
        }
    }
}

impl Default for DbUrl {
    fn default() -> DbUrl {
        DbUrl::Sqlite(PathBuf::from(DEFAULT_DB))
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl From<&std::path::Path> for DbUrl {
    fn from(p: &std::path::Path) -> DbUrl {
        DbUrl::Sqlite(p.to_path_buf())
    }
}

impl From<&PathBuf> for DbUrl {
    fn from(p: &PathBuf) -> DbUrl {
        DbUrl::Sqlite(p.clone())
    }
}

impl From<PathBuf> for DbUrl {
    fn from(p: PathBuf) -> DbUrl {
        DbUrl::Sqlite(p)
    }
}

impl From<&DbUrl> for DbUrl {
    fn from(u: &DbUrl) -> DbUrl {
        u.clone()
    }
}

impl std::str::FromStr for DbUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<DbUrl, UrlError> {
        DbUrl::parse(s)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

/// Hides the password of `scheme://user:password@host…` and any `password=` parameter.
fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@').map(|i| start + i)
            && let Some(colon) = out[start..at].find(':').map(|i| start + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sqlite_urls_are_sqlite() {
        assert_eq!(
            DbUrl::parse("sejahtera.db").unwrap(),
            DbUrl::Sqlite("sejahtera.db".into())
        );
        assert_eq!(
            DbUrl::parse("/var/lib/s.db").unwrap(),
            DbUrl::Sqlite("/var/lib/s.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///var/lib/s.db").unwrap(),
            DbUrl::Sqlite("/var/lib/s.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite://s.db").unwrap(),
            DbUrl::Sqlite("s.db".into())
        );
        assert_eq!(
            DbUrl::parse("SQLITE:s.db").unwrap(),
            DbUrl::Sqlite("s.db".into())
        );
        assert_eq!(DbUrl::default(), DbUrl::Sqlite("sejahtera.db".into()));
    }

    #[test]
    fn postgres_urls_in_libpq_forms() {
        for u in [
            "postgres://u:p@localhost:5432/db",
            "postgresql://u@/db?host=/run/postgresql",
            "postgres:///db?host=/tmp&user=sejahtera",
            "POSTGRES://h/db",
        ] {
            assert_eq!(
                DbUrl::parse(u).unwrap(),
                DbUrl::Postgres(u.to_string()),
                "{u}"
            );
        }
    }

    #[test]
    fn unknown_schemes_and_empty_are_errors() {
        assert!(matches!(
            DbUrl::parse("mysql://u@h/db"),
            Err(UrlError::Scheme { .. })
        ));
        assert_eq!(DbUrl::parse("  "), Err(UrlError::Empty));
        assert_eq!(DbUrl::parse("sqlite://"), Err(UrlError::Empty));
    }

    #[test]
    fn passwords_never_show() {
        let u = DbUrl::parse("postgres://sj:s3cret@db.local:5432/sj?sslmode=require&password=x9")
            .unwrap();
        let shown = u.to_string();
        assert!(
            !shown.contains("s3cret") && !shown.contains("x9"),
            "{shown}"
        );
        assert_eq!(
            shown,
            "postgres://sj:***@db.local:5432/sj?sslmode=require&password=***"
        );
        let e = DbUrl::parse("mysql://a:topsecret@h/d")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("topsecret"), "{e}");
    }
}
