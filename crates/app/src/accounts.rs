//! Accounts: users with roles, argon2id passwords, sessions, login throttling.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sejahtera_domain::RegionCode;
use sejahtera_domain::access::{Actor, Role};
use sejahtera_domain::region::{Level, Regions};
use sejahtera_store::{NewUser, Store, UserRecord};
use sha2::{Digest, Sha256};

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The username is taken.
    #[error("username {0:?} already exists")]
    Exists(String),
    /// The username has characters other than a-z, 0-9, '.', '_' and '-', or a bad length.
    #[error("username {0:?} must be 3–40 characters of a-z, 0-9, '.', '_' or '-'")]
    BadUsername(String),
    /// The password is too short.
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    WeakPassword,
    /// A village code is unknown or not a village.
    #[error("{0} is not a known village code")]
    BadVillage(String),
    /// A role is given the wrong assignment (villages, agency, partner).
    #[error("{0}")]
    Assignment(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sejahtera_store::StoreError),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Every account, in id order (administrators list them).
pub async fn users(store: &Store) -> Result<Vec<UserRecord>, sejahtera_store::StoreError> {
    store.users().await
}

/// The account with this username, if any.
pub async fn user_by_username(
    store: &Store,
    username: &str,
) -> Result<Option<UserRecord>, sejahtera_store::StoreError> {
    store.user_by_username(username).await
}

/// Why an account's status was not changed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// Only administrators enable or disable accounts.
    #[error("only administrators enable or disable accounts")]
    Forbidden,
    /// An administrator cannot lock themselves out.
    #[error("you cannot disable your own account")]
    OwnAccount,
    /// No account with this id.
    #[error("no such account")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sejahtera_store::StoreError),
}

/// Disables (or enables again) account `id`; a disabled account cannot sign in
/// and its sessions end. Administrators only, never their own account.
pub async fn set_disabled(
    store: &Store,
    actor: &Actor,
    id: i64,
    disabled: bool,
) -> Result<(), StatusError> {
    if actor.role != Role::Admin {
        return Err(StatusError::Forbidden);
    }
    if id == actor.user_id && disabled {
        return Err(StatusError::OwnAccount);
    }
    if !store.set_user_disabled(id, disabled).await? {
        return Err(StatusError::NotFound);
    }
    Ok(())
}

/// Deletes sessions that expired before `now` (RFC 3339); returns how many.
pub async fn sweep_sessions(store: &Store, now: &str) -> Result<u64, sejahtera_store::StoreError> {
    store.delete_expired_sessions(now).await
}

/// Hashes a password with argon2id (default parameters, random salt) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A request to create a user.
#[derive(Debug, Clone)]
pub struct CreateUser {
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Villages (village operators only; at least one).
    pub villages: Vec<String>,
    /// Password (plain; hashed here).
    pub password: String,
    /// The agency (OPD) of an agency operator, as its programs name it.
    pub agency: Option<String>,
    /// The region (regency or province code) an agency operator works for.
    pub region: Option<String>,
    /// The partner organisation of a partner account.
    pub partner: Option<i64>,
}

fn valid_username(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Creates a user after validating every field.
pub async fn create_user(
    store: &Store,
    regions: &Regions,
    req: &CreateUser,
) -> Result<i64, AccountError> {
    if !valid_username(&req.username) {
        return Err(AccountError::BadUsername(req.username.clone()));
    }
    if req.password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AccountError::WeakPassword);
    }
    let mut villages = BTreeSet::new();
    for v in &req.villages {
        let code = RegionCode::parse(v.trim())
            .ok()
            .filter(|c| c.level() == Level::Village && regions.get(c).is_some())
            .ok_or_else(|| AccountError::BadVillage(v.clone()))?;
        villages.insert(code);
    }
    match (req.role, villages.is_empty()) {
        (Role::VillageOperator, true) => {
            return Err(AccountError::Assignment(
                "a village operator needs at least one village (--villages CODE,CODE…)".into(),
            ));
        }
        (r, false) if r != Role::VillageOperator => {
            return Err(AccountError::Assignment(format!(
                "only village operators are assigned villages, not {r}"
            )));
        }
        _ => {}
    }
    let agency = req
        .agency
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    match (req.role, agency) {
        (Role::AgencyOperator, None) => {
            return Err(AccountError::Assignment(
                "an agency operator needs the agency (OPD) it works for (--agency NAME)".into(),
            ));
        }
        (r, Some(_)) if r != Role::AgencyOperator => {
            return Err(AccountError::Assignment(format!(
                "only agency operators are assigned an agency, not {r}"
            )));
        }
        _ => {}
    }
    let region = match req
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(r) => Some(
            RegionCode::parse(r)
                .ok()
                .filter(|c| {
                    matches!(c.level(), Level::Regency | Level::Province)
                        && regions.get(c).is_some()
                })
                .ok_or_else(|| {
                    AccountError::Assignment(format!(
                        "{r} is not a known regency or province code (e.g. 53.71)"
                    ))
                })?,
        ),
    };
    match (req.role, &region) {
        (Role::AgencyOperator, None) => {
            return Err(AccountError::Assignment(
                "an agency operator needs the region it works for (--region CODE, e.g. 53.71)"
                    .into(),
            ));
        }
        (r, Some(_)) if r != Role::AgencyOperator => {
            return Err(AccountError::Assignment(format!(
                "only agency operators are assigned a region, not {r}"
            )));
        }
        _ => {}
    }
    match (req.role, req.partner) {
        (Role::Partner, None) => {
            return Err(AccountError::Assignment(
                "a partner account needs the partner it speaks for (--partner ID)".into(),
            ));
        }
        (Role::Partner, Some(p)) if !store.partners().await?.iter().any(|x| x.id == p) => {
            return Err(AccountError::Assignment(format!(
                "partner {p}: no such partner (see `sejahtera partner list`)"
            )));
        }
        (Role::Partner, Some(_)) => {}
        (r, Some(_)) => {
            return Err(AccountError::Assignment(format!(
                "only partner accounts speak for a partner, not {r}"
            )));
        }
        _ => {}
    }
    if store.username_exists(&req.username).await? {
        return Err(AccountError::Exists(req.username.clone()));
    }
    let hash = {
        let p = req.password.clone();
        tokio::task::spawn_blocking(move || hash_password(&p))
            .await
            .map_err(|e| AccountError::Hash(e.to_string()))??
    };
    let display = if req.display_name.trim().is_empty() {
        req.username.clone()
    } else {
        req.display_name.trim().to_string()
    };
    Ok(store
        .create_user(&NewUser {
            username: &req.username,
            display_name: &display,
            role: req.role,
            password_hash: &hash,
            villages: &villages,
            agency,
            region: region.as_ref(),
            partner: req.partner,
        })
        .await?)
}

/// Sets the region an agency operator works for (accounts created before
/// regions were assigned have none, and take no new households until they do).
pub async fn set_region(
    store: &Store,
    regions: &Regions,
    username: &str,
    region: &str,
) -> Result<(), AccountError> {
    let user = store
        .user_by_username(username)
        .await?
        .ok_or_else(|| AccountError::Assignment(format!("no user named {username:?}")))?;
    if user.role != Role::AgencyOperator {
        return Err(AccountError::Assignment(format!(
            "only agency operators are assigned a region, not {}",
            user.role
        )));
    }
    let code = RegionCode::parse(region.trim())
        .ok()
        .filter(|c| {
            matches!(c.level(), Level::Regency | Level::Province) && regions.get(c).is_some()
        })
        .ok_or_else(|| {
            AccountError::Assignment(format!(
                "{region} is not a known regency or province code (e.g. 53.71)"
            ))
        })?;
    store.set_user_region(user.id, Some(&code)).await?;
    Ok(())
}

/// The actor of a stored user.
pub fn actor_of(u: &UserRecord) -> Actor {
    Actor {
        user_id: u.id,
        username: u.username.clone(),
        role: u.role,
        villages: u.villages.clone(),
        agency: u.agency.clone(),
        region: u.region.clone(),
        partner: u.partner,
    }
}

/// Limits of the login throttle.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures of one account within `window` that lock it.
    pub per_account: u32,
    /// Failures from one address within `window` that lock it.
    pub per_address: u32,
    /// The counting window, and how long a lock lasts.
    pub window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> ThrottlePolicy {
        ThrottlePolicy {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Counts sign-in attempts per account and per client address in the database;
/// once a limit is reached, further attempts are refused (even with the right
/// password) until the window has passed.
///
/// An attempt is counted *before* its password is checked, in the one statement
/// that reads the count ([`Store::take_login_attempt`]): parallel attempts —
/// from one server or several processes sharing the database — each take their
/// own place, so no more than the limit are ever checked. A successful sign-in
/// clears the account's count and gives its place back to the address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
}

/// Longest password checked (longer ones are refused without hashing).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Password checks running at once, at most.
static VERIFY_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(4));

fn account_key(username: &str) -> String {
    format!("account:{username}")
}

/// The key of a client address: an IPv4 address (also when mapped into IPv6),
/// or an IPv6 address's /64 network — one household or office gets one /64, and
/// counting each of its 2^64 addresses apart would give an attacker an unlimited
/// budget.
fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => format!("address:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl LoginThrottle {
    /// A throttle with the given limits.
    pub fn new(policy: ThrottlePolicy) -> LoginThrottle {
        LoginThrottle { policy }
    }

    /// The limits.
    pub fn policy(&self) -> ThrottlePolicy {
        self.policy
    }

    /// Counts an attempt for `username` from `addr`; if either is over its limit,
    /// how long until the window ends.
    pub async fn take(
        &self,
        store: &Store,
        username: &str,
        addr: IpAddr,
        now: i64,
    ) -> Result<Option<Duration>, sejahtera_store::StoreError> {
        let p = self.policy;
        let window = p.window.as_secs().max(1) as i64;
        let wait = |first: i64| Duration::from_secs((first + window - now).max(1) as u64);
        if let Some(wait) = self.take_address(store, addr, now).await? {
            // A blocked address writes nothing more.
            return Ok(Some(wait));
        }
        let (by_account, first_account) = store
            .take_login_attempt(&account_key(username), now, window)
            .await?;
        Ok((by_account > i64::from(p.per_account)).then(|| wait(first_account)))
    }

    /// Counts an attempt from `addr` alone (for a username that cannot exist); if
    /// the address is over its limit, how long until the window ends. Once it is,
    /// attempts are no longer written.
    pub async fn take_address(
        &self,
        store: &Store,
        addr: IpAddr,
        now: i64,
    ) -> Result<Option<Duration>, sejahtera_store::StoreError> {
        let p = self.policy;
        let window = p.window.as_secs().max(1) as i64;
        let key = address_key(addr);
        if let Some((count, first)) = store.login_attempts(&key).await?
            && first > now - window
            && count > i64::from(p.per_address)
        {
            return Ok(Some(Duration::from_secs(
                (first + window - now).max(1) as u64
            )));
        }
        let (count, first) = store.take_login_attempt(&key, now, window).await?;
        Ok((count > i64::from(p.per_address))
            .then(|| Duration::from_secs((first + window - now).max(1) as u64)))
    }

    /// A successful sign-in: clears the account's count and returns the address's place.
    pub async fn succeeded(
        &self,
        store: &Store,
        username: &str,
        addr: IpAddr,
    ) -> Result<(), sejahtera_store::StoreError> {
        store.clear_login_attempts(&account_key(username)).await?;
        store.return_login_attempt(&address_key(addr)).await
    }

    /// Deletes counters whose window has passed.
    pub async fn sweep(&self, store: &Store, now: i64) -> Result<u64, sejahtera_store::StoreError> {
        let window = self.policy.window.as_secs().max(1) as i64;
        store.delete_old_login_attempts(now - window).await
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong username or password (deliberately not saying which).
    #[error("wrong username or password")]
    Invalid,
    /// Too many failures; try again later.
    #[error("too many failed attempts; try again in {} minutes", .0.as_secs().div_ceil(60))]
    Throttled(Duration),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sejahtera_store::StoreError),
}

/// A new session: the cookie token (only its hash is stored) and the CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Secret for the cookie.
    pub token: String,
    /// CSRF token for forms and API calls.
    pub csrf_token: String,
    /// The signed-in actor.
    pub actor: Actor,
    /// Display name.
    pub display_name: String,
}

/// A random 32-byte token, hex encoded (from the thread-local CSPRNG, which is
/// seeded from the operating system).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex(&b)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A hash of a random secret, verified against for unknown users so that a login
/// takes as long whether or not the user exists.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_token()).unwrap_or_default());

/// Checks credentials (subject to the throttle) and opens a session.
pub async fn login(
    store: &Store,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    addr: IpAddr,
    clock: &dyn crate::clock::Clock,
) -> Result<NewSession, LoginError> {
    let now = clock.now().timestamp();
    if !valid_username(username) || password.len() > MAX_PASSWORD_LEN {
        // No such account can exist (usernames follow `valid_username`), or no
        // such password: counted against the address only — never under a key
        // the client chooses freely — and no password hash is computed.
        if let Some(wait) = throttle.take_address(store, addr, now).await? {
            return Err(LoginError::Throttled(wait));
        }
        return Err(LoginError::Invalid);
    }
    if let Some(wait) = throttle.take(store, username, addr, now).await? {
        return Err(LoginError::Throttled(wait));
    }
    let user = store.user_by_username(username).await?;
    let (phc, enabled) = match &user {
        Some(u) => (u.password_hash.clone(), !u.disabled),
        None => (DUMMY_HASH.clone(), false),
    };
    let pw = password.to_string();
    // At most a few password checks run at once (each takes ~19 MiB and tens of
    // milliseconds): a flood of sign-ins waits instead of exhausting memory.
    let ok = {
        let _permit = VERIFY_SLOTS.acquire().await;
        tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
            .await
            .unwrap_or(false)
    };
    let user = match user {
        Some(u) if ok && enabled => u,
        // The attempt stays counted.
        _ => return Err(LoginError::Invalid),
    };
    throttle.succeeded(store, username, addr).await?;
    let token = random_token();
    let csrf_token = random_token();
    let expires = (clock.now() + chrono::Duration::hours(SESSION_HOURS)).to_rfc3339();
    store
        .create_session(&token_hash(&token), user.id, &csrf_token, &expires)
        .await?;
    Ok(NewSession {
        token,
        csrf_token,
        actor: actor_of(&user),
        display_name: user.display_name.clone(),
    })
}

/// A live session found from its cookie token.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The actor.
    pub actor: Actor,
    /// Display name.
    pub display_name: String,
    /// CSRF token of the session.
    pub csrf_token: String,
}

/// The session of a cookie token, if live.
pub async fn session(
    store: &Store,
    token: &str,
    clock: &dyn crate::clock::Clock,
) -> Result<Option<SessionInfo>, LoginError> {
    let now = clock.now().to_rfc3339();
    Ok(store
        .session(&token_hash(token), &now)
        .await?
        .map(|s| SessionInfo {
            actor: actor_of(&s.user),
            display_name: s.user.display_name.clone(),
            csrf_token: s.csrf_token,
        }))
}

/// Ends a session.
pub async fn logout(store: &Store, token: &str) -> Result<(), LoginError> {
    store.delete_session(&token_hash(token)).await?;
    Ok(())
}

/// Constant-time comparison of two tokens.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", &DUMMY_HASH));
    }

    #[test]
    fn usernames_are_checked() {
        assert!(valid_username("operator.oebobo"));
        assert!(!valid_username("Op"));
        assert!(!valid_username("a b c"));
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_equal("abc", "abc"));
        assert!(!tokens_equal("abc", "abd"));
        assert!(!tokens_equal("abc", "ab"));
    }
}
