//! Users, their villages, and sessions.

use std::collections::BTreeSet;

use sejahtera_domain::RegionCode;
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use sqlx::Row;

use crate::{Result, Store, StoreError};

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

const USER_SELECT: &str = "SELECT id, username, display_name, role, password_hash, disabled, created_at, agency, partner_id, region FROM users";

impl Store {
    /// Creates a user; fails if the username exists.
    pub async fn create_user(&self, u: &NewUser<'_>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, disabled, created_at, \
             agency, partner_id, region) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id",
        )
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.role.as_str())
        .bind(u.password_hash)
        .bind(chrono::Utc::now().to_rfc3339())
        .bind(u.agency)
        .bind(u.partner)
        .bind(u.region.map(|r| r.as_str()))
        .fetch_one(&mut *tx)
        .await?;
        for v in u.villages {
            sqlx::query("INSERT INTO user_villages (user_id, village_code) VALUES (?, ?)")
                .bind(id)
                .bind(v.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Whether a username is taken.
    pub async fn username_exists(&self, username: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = ?")
            .bind(username)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Number of users.
    pub async fn user_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// A user by login name.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let sql = format!("{USER_SELECT} WHERE username = ?");
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.user_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        let sql = format!("{USER_SELECT} WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.user_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    /// Every user, by username.
    pub async fn users(&self) -> Result<Vec<UserRecord>> {
        let sql = format!("{USER_SELECT} ORDER BY username");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.user_from_row(r).await?);
        }
        Ok(out)
    }

    /// Enables or disables a user (a disabled user's sessions end).
    pub async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE users SET disabled = ? WHERE id = ?")
            .bind(disabled as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn user_from_row(&self, r: &sqlx::sqlite::SqliteRow) -> Result<UserRecord> {
        let id: i64 = r.try_get(0)?;
        let role: String = r.try_get(3)?;
        let villages: Vec<String> = sqlx::query_scalar(
            "SELECT village_code FROM user_villages WHERE user_id = ? ORDER BY village_code",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(UserRecord {
            id,
            username: r.try_get(1)?,
            display_name: r.try_get(2)?,
            role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            password_hash: r.try_get(4)?,
            disabled: r.try_get::<i64, _>(5)? != 0,
            created_at: r.try_get(6)?,
            villages: villages
                .iter()
                .map(|v| RegionCode::parse(v).map_err(|e| StoreError::Corrupt(e.to_string())))
                .collect::<Result<_>>()?,
            agency: r.try_get(7)?,
            partner: r.try_get(8)?,
            region: r
                .try_get::<Option<&str>, _>(9)?
                .map(|c| RegionCode::parse(c).map_err(|e| StoreError::Corrupt(e.to_string())))
                .transpose()?,
        })
    }

    /// Stores a session (by the hash of its token).
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(chrono::Utc::now().to_rfc3339())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A live session by the hash of its token (expired sessions are not returned).
    pub async fn session(&self, token_hash: &str, now: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: i64 = row.try_get(0)?;
        let Some(user) = self.user_by_id(user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(SessionRecord {
            user,
            csrf_token: row.try_get(1)?,
            expires_at: row.try_get(2)?,
        }))
    }

    /// Sets (or clears) the region of a user; false when there is no such user.
    pub async fn set_user_region(&self, id: i64, region: Option<&RegionCode>) -> Result<bool> {
        Ok(sqlx::query("UPDATE users SET region = ? WHERE id = ?")
            .bind(region.map(|r| r.as_str()))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self, now: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Counts one sign-in attempt under `key` and returns the attempts within the
    /// window (this one included) and the window's start (Unix seconds). A window
    /// older than `window_secs` starts again at `now`. One statement: parallel
    /// attempts each get their own count, so a limit cannot be passed by racing.
    pub async fn take_login_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "INSERT INTO login_attempts (key, count, first_at) VALUES (?1, 1, ?2) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN login_attempts.first_at <= ?2 - ?3 THEN 1 \
                            ELSE login_attempts.count + 1 END, \
               first_at = CASE WHEN login_attempts.first_at <= ?2 - ?3 THEN ?2 \
                               ELSE login_attempts.first_at END \
             RETURNING count, first_at",
        )
        .bind(key)
        .bind(now)
        .bind(window_secs)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// The attempts counted under `key` and the window's start, if any.
    pub async fn login_attempts(&self, key: &str) -> Result<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT count, first_at FROM login_attempts WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?))),
            None => Ok(None),
        }
    }

    /// Gives back one attempt counted under `key` (a successful sign-in does not
    /// count against its address).
    pub async fn return_login_attempt(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE login_attempts SET count = count - 1 WHERE key = ? AND count > 0")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the attempts counted under `key`.
    pub async fn clear_login_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes attempt counters whose window started before `before` (Unix seconds).
    pub async fn delete_old_login_attempts(&self, before: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM login_attempts WHERE first_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
