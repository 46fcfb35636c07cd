//! Connection options from a PostgreSQL URL in any form libpq accepts.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

/// The connection options of `url`, a PostgreSQL URL in any form libpq accepts:
/// `postgres://USER:PASS@HOST:PORT/DB?…`, `postgres:///DB?host=/SOCKET/DIR&user=…`,
/// and `postgres://USER[:PASS]@/DB?host=/SOCKET/DIR` — a user with an empty host,
/// which the URL parser sqlx relies on refuses ("empty host"): that form is read as
/// `postgres:///DB?host=…` with the user (and password, port) of the authority, a
/// `user=`, `password=` or `port=` parameter taking precedence as in libpq.
pub fn connect_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let Some(split) = split_empty_host(url) else {
        return PgConnectOptions::from_str(url);
    };
    let mut opts = PgConnectOptions::from_str(&split.rest)?;
    let has = |key: &str| split.query_keys.iter().any(|k| k == key);
    if !split.user.is_empty() && !has("user") {
        opts = opts.username(&percent_decode(split.user)?);
    }
    if let Some(p) = split.password.filter(|_| !has("password")) {
        opts = opts.password(&percent_decode(p)?);
    }
    if let Some(port) = split.port.filter(|p| !p.is_empty() && !has("port")) {
        let port = port
            .parse()
            .map_err(|_| sqlx::Error::Configuration(format!("invalid port {port:?}").into()))?;
        opts = opts.port(port);
    }
    Ok(opts)
}

/// A URL whose authority has a user but no host, taken apart.
struct EmptyHost<'a> {
    /// The URL without its authority (`postgres:///DB?…`).
    rest: String,
    user: &'a str,
    password: Option<&'a str>,
    port: Option<&'a str>,
    query_keys: Vec<String>,
}

fn split_empty_host(url: &str) -> Option<EmptyHost<'_>> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let (userinfo, hostport) = url[start..end].rsplit_once('@')?;
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    };
    if !host.is_empty() {
        return None;
    }
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let query = url[end..]
        .split_once('?')
        .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
    Some(EmptyHost {
        rest: format!("{}{}", &url[..start], &url[end..]),
        user,
        password,
        port,
        query_keys: query
            .split('&')
            .map(|kv| kv.split('=').next().unwrap_or("").to_string())
            .collect(),
    })
}

fn percent_decode(s: &str) -> Result<String, sqlx::Error> {
    let bad = || sqlx::Error::Configuration("invalid percent-encoding in the URL".into());
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_without_host_is_a_socket_url() {
        let o = connect_options("postgres://sj%40x:p%3Aw@/data?host=/run/pg").unwrap();
        assert_eq!(o.get_username(), "sj@x");
        assert_eq!(o.get_database(), Some("data"));
        assert_eq!(
            o.get_socket().map(|p| p.display().to_string()).as_deref(),
            Some("/run/pg")
        );
        let o = connect_options("postgresql://sj@:5433/data?host=/run/pg&user=other").unwrap();
        assert_eq!(o.get_username(), "other");
        assert_eq!(o.get_port(), 5433);
    }

    #[test]
    fn other_forms_are_read_by_sqlx() {
        let o = connect_options("postgres://u:p@db.local:5444/sj?sslmode=disable").unwrap();
        assert_eq!(
            (o.get_host(), o.get_port(), o.get_username()),
            ("db.local", 5444, "u")
        );
        let o = connect_options("postgres:///sj?host=/tmp&user=me").unwrap();
        assert_eq!(o.get_username(), "me");
        assert!(connect_options("postgres://u@/db?port=x").is_err());
        assert!(connect_options("postgres://u:%zz@/db").is_err());
    }
}
