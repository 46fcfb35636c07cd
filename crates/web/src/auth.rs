//! Sessions, cookies and CSRF.
//!
//! The session cookie (`sj_session`) carries a random token; only its SHA-256 is
//! stored. It is `HttpOnly`, `SameSite=Lax`, and `Secure` behind TLS. Every
//! state-changing request must carry the session's CSRF token: as the form field
//! `csrf` for pages, as the `X-CSRF-Token` header for the API. The sign-in form,
//! which has no session yet, uses a double-submit cookie (`sj_csrf`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sejahtera_app::accounts::{self, SessionInfo, tokens_equal};

use crate::error::Failure;
use crate::i18n::Lang;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sj_session";
/// Name of the pre-session CSRF cookie of the sign-in form.
pub const PRE_CSRF_COOKIE: &str = "sj_csrf";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "sj_lang";
/// Header carrying the CSRF token on API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> String {
    let mut s = format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={max_age_secs}");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    s
}

/// The visitor's language (cookie `sj_lang`, default Indonesian).
#[derive(Debug, Clone, Copy)]
pub struct UiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(UiLang(
            cookie(&parts.headers, LANG_COOKIE)
                .and_then(|v| Lang::parse(&v))
                .unwrap_or_default(),
        ))
    }
}

/// The client's address: the socket peer, or — when the peer is one of the
/// configured trusted proxies — the address the proxy put in `X-Forwarded-For`
/// (the right-most entry that is not itself a trusted proxy). The header is never
/// believed from anyone else, so a client cannot choose its own address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = Failure;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| Failure::Internal(anyhow::anyhow!("no peer address on the request")))?;
        Ok(ClientAddr(client_addr(
            peer,
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

/// Hops of `X-Forwarded-For` read from the right, at most.
const MAX_FORWARDED_HOPS: usize = 16;

/// An IPv4 address mapped into IPv6 is the IPv4 address.
fn canonical(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, with or without a port, or an IPv6
/// address in brackets (`[2001:db8::1]:4711`).
fn forwarded_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(a) = hop.parse::<IpAddr>() {
        return Some(a);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    // `1.2.3.4:5678` (an IPv6 address without brackets was parsed above).
    hop.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// See [`ClientAddr`].
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[crate::TrustedProxy]) -> IpAddr {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|t| t.contains(a));
    let peer = canonical(peer);
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    // Several headers are one list, in order; each proxy appends on the right.
    let values: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    for hop in values
        .iter()
        .rev()
        .flat_map(|v| v.rsplit(','))
        .take(MAX_FORWARDED_HOPS)
    {
        let Some(addr) = forwarded_hop(hop).map(canonical) else {
            // A hop we cannot read: the last trusted hop's view is all we know.
            break;
        };
        client = addr;
        if !is_trusted(&addr) {
            break;
        }
    }
    client
}

/// The signed-in user, if any.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<SessionInfo>);

impl FromRequestParts<Arc<AppState>> for MaybeUser {
    type Rejection = Failure;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(MaybeUser(None));
        };
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(MaybeUser(None));
        }
        let s = accounts::session(&state.store, &token, &*state.clock)
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
        Ok(MaybeUser(s))
    }
}

impl MaybeUser {
    /// The session, or 401.
    pub fn required(self) -> Result<SessionInfo, Failure> {
        self.0.ok_or(Failure::Unauthorized)
    }

    /// A staff session (not a citizen or partner account), or 401/403.
    pub fn staff(self) -> Result<SessionInfo, Failure> {
        let s = self.required()?;
        if !s.actor.is_staff() {
            return Err(Failure::Forbidden(
                "the staff console is for government staff accounts".into(),
            ));
        }
        Ok(s)
    }
}

impl MaybeUser {
    fn staff_who(
        self,
        may: impl FnOnce(&sejahtera_domain::access::Actor) -> bool,
        refusal: &str,
    ) -> Result<SessionInfo, Failure> {
        let s = self.staff()?;
        if !may(&s.actor) {
            return Err(Failure::Forbidden(refusal.into()));
        }
        Ok(s)
    }

    /// An administrator's session, or 401/403.
    pub fn admin(self) -> Result<SessionInfo, Failure> {
        self.staff_who(|a| a.may_manage_users(), "only administrators manage users")
    }

    /// A session that may see region-wide planning analytics, or 401/403.
    pub fn planner(self) -> Result<SessionInfo, Failure> {
        self.staff_who(
            |a| a.may_plan(),
            "targeting accuracy is for planners, auditors and administrators",
        )
    }

    /// A session that may change the registry (imports), or 401/403.
    pub fn registry_writer(self) -> Result<SessionInfo, Failure> {
        self.staff_who(
            |a| a.registry_write_scope() != sejahtera_domain::access::RegistryScope::Nothing,
            "your role may not change the registry",
        )
    }

    /// A session that may read the registry (search), or 401/403.
    pub fn registry_reader(self) -> Result<SessionInfo, Failure> {
        self.staff_who(
            |a| a.may_search_registry(),
            "your role may not read the household registry",
        )
    }
}

/// Checks a form's CSRF token against the session's.
pub fn check_csrf(session: &SessionInfo, given: Option<&str>) -> Result<(), Failure> {
    match given {
        Some(g) if tokens_equal(g, &session.csrf_token) => Ok(()),
        _ => Err(Failure::Forbidden(
            "missing or invalid CSRF token; reload the page and try again".into(),
        )),
    }
}

/// Checks the API's `X-CSRF-Token` header against the session's.
pub fn check_csrf_header(session: &SessionInfo, headers: &HeaderMap) -> Result<(), Failure> {
    check_csrf(
        session,
        headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; sj_session=abc; sj_lang=en".parse().unwrap());
        assert_eq!(cookie(&h, "sj_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "sj_lang").as_deref(), Some("en"));
        assert_eq!(cookie(&h, "nope"), None);
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
        let t = |s: &str| -> crate::TrustedProxy { s.parse().unwrap() };
        let xff = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", v.parse().unwrap());
            h
        };
        let (proxy, client) = (ip("127.0.0.1"), ip("203.0.113.7"));
        let lo = [t("127.0.0.1")];
        let h = xff("198.51.100.1, 203.0.113.7");
        // Behind the proxy: the right-most address the proxy saw.
        assert_eq!(client_addr(proxy, &h, &lo), client);
        // A proxy seen through an IPv6 socket is the same proxy.
        assert_eq!(client_addr(ip("::ffff:127.0.0.1"), &h, &lo), client);
        // Without configuration, or from another peer, the header is ignored.
        assert_eq!(client_addr(proxy, &h, &[]), proxy);
        assert_eq!(client_addr(ip("192.0.2.9"), &h, &lo), ip("192.0.2.9"));
        // A chain of trusted proxies (a network of them) is walked from the right.
        let h = xff("1.2.3.4, 203.0.113.7, 10.1.1.1");
        assert_eq!(
            client_addr(proxy, &h, &[t("127.0.0.1"), t("10.0.0.0/8")]),
            client
        );
        // Ports and brackets are read.
        assert_eq!(client_addr(proxy, &xff("203.0.113.7:4711"), &lo), client);
        assert_eq!(
            client_addr(proxy, &xff("[2001:db8::1]:4711"), &lo),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_addr(proxy, &xff("[2001:db8::1]"), &lo),
            ip("2001:db8::1")
        );
        // Several headers are one list; a long list is read from its right end.
        let mut h = xff(&vec!["9.9.9.9"; 500].join(", "));
        h.append("x-forwarded-for", "203.0.113.7".parse().unwrap());
        assert_eq!(client_addr(proxy, &h, &lo), client);
        // Garbage stops the walk at what the trusted hops vouch for.
        assert_eq!(
            client_addr(proxy, &xff("203.0.113.7, not-an-ip"), &lo),
            proxy
        );
        // No header: the peer.
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &lo), proxy);
    }

    #[test]
    fn session_cookie_flags() {
        let c = set_cookie(SESSION_COOKIE, "t", 60, true, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        let c = set_cookie(SESSION_COOKIE, "t", 60, true, false);
        assert!(!c.contains("Secure"));
    }
}
