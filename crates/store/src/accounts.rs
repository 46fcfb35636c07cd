//! Users, their villages, sessions and sign-in attempt counters.

use std::collections::BTreeSet;

use sejahtera_domain::RegionCode;
use sejahtera_domain::access::Role;

use async_trait::async_trait;

use crate::Result;

/// A stored user.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown in the console.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// Villages assigned (village operators).
    pub villages: BTreeSet<RegionCode>,
    /// The agency (agency operators).
    pub agency: Option<String>,
    /// The region an agency operator works for.
    pub region: Option<RegionCode>,
    /// The partner organisation (partner accounts).
    pub partner: Option<i64>,
}

/// A new user to store.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name (unique).
    pub username: &'a str,
    /// Name shown in the console.
    pub display_name: &'a str,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Villages (village operators).
    pub villages: &'a BTreeSet<RegionCode>,
    /// The agency (agency operators).
    pub agency: Option<&'a str>,
    /// The region an agency operator works for.
    pub region: Option<&'a RegionCode>,
    /// The partner organisation (partner accounts).
    pub partner: Option<i64>,
}

/// A stored session and its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The user.
    pub user: UserRecord,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Expiry (RFC 3339, UTC).
    pub expires_at: String,
}

/// Users, sessions and sign-in throttling.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a user; fails if the username exists.
    async fn create_user(&self, u: &NewUser<'_>) -> Result<i64>;

    /// Whether a username is taken.
    async fn username_exists(&self, username: &str) -> Result<bool>;

    /// Number of users.
    async fn user_count(&self) -> Result<u64>;

    /// A user by login name.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>>;

    /// A user by id.
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>>;

    /// Every user, by username.
    async fn users(&self) -> Result<Vec<UserRecord>>;

    /// Enables or disables a user (a disabled user's sessions end).
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<bool>;

    /// Stores a session (by the hash of its token).
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<()>;

    /// A live session by the hash of its token (expired sessions are not returned).
    async fn session(&self, token_hash: &str, now: &str) -> Result<Option<SessionRecord>>;

    /// Sets (or clears) the region of a user; false when there is no such user.
    async fn set_user_region(&self, id: i64, region: Option<&RegionCode>) -> Result<bool>;

    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// Deletes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now: &str) -> Result<u64>;

    /// Counts one sign-in attempt under `key` and returns the attempts within the
    /// window (this one included) and the window's start (Unix seconds). A window
    /// older than `window_secs` starts again at `now`. One statement: parallel
    /// attempts each get their own count, so a limit cannot be passed by racing.
    async fn take_login_attempt(&self, key: &str, now: i64, window_secs: i64)
    -> Result<(i64, i64)>;

    /// The attempts counted under `key` and the window's start, if any.
    async fn login_attempts(&self, key: &str) -> Result<Option<(i64, i64)>>;

    /// Gives back one attempt counted under `key` (a successful sign-in does not
    /// count against its address).
    async fn return_login_attempt(&self, key: &str) -> Result<()>;

    /// Forgets the attempts counted under `key`.
    async fn clear_login_attempts(&self, key: &str) -> Result<()>;

    /// Deletes attempt counters whose window started before `before` (Unix seconds).
    async fn delete_old_login_attempts(&self, before: i64) -> Result<u64>;
}
