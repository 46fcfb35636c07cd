//! Users, their villages, sessions and sign-in attempt counters.

use sejahtera_domain::RegionCode;
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use sqlx::Row;

use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::{NewUser, Result, SessionRecord, StoreError, UserRecord};

use crate::PgStore;

const USER_SELECT: &str = "SELECT id, username, display_name, role, password_hash, disabled, created_at, agency, partner_id, region FROM users";

#[async_trait]
impl AccountStore for PgStore {
    /// Creates a user; fails if the username exists.
    async fn create_user(&self, u: &NewUser<'_>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, disabled, created_at, \
             agency, partner_id, region) VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7, $8) RETURNING id",
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
            sqlx::query("INSERT INTO user_villages (user_id, village_code) VALUES ($1, $2)")
                .bind(id)
                .bind(v.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Whether a username is taken.
    async fn username_exists(&self, username: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Number of users.
    async fn user_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// A user by login name.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let sql = format!("{USER_SELECT} WHERE username = $1");
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
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        let sql = format!("{USER_SELECT} WHERE id = $1");
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
    async fn users(&self) -> Result<Vec<UserRecord>> {
        let sql = format!("{USER_SELECT} ORDER BY username");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.user_from_row(r).await?);
        }
        Ok(out)
    }

    /// Enables or disables a user (a disabled user's sessions end).
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Stores a session (by the hash of its token).
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
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
    async fn session(&self, token_hash: &str, now: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
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
    async fn set_user_region(&self, id: i64, region: Option<&RegionCode>) -> Result<bool> {
        Ok(sqlx::query("UPDATE users SET region = $1 WHERE id = $2")
            .bind(region.map(|r| r.as_str()))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Counts one sign-in attempt under `key` and returns the attempts within the
    /// window (this one included) and the window's start (Unix seconds). A window
    /// older than `window_secs` starts again at `now`. One statement: parallel
    /// attempts each get their own count, so a limit cannot be passed by racing.
    async fn take_login_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "INSERT INTO login_attempts (key, count, first_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN login_attempts.first_at <= $2 - $3 THEN 1 \
                            ELSE login_attempts.count + 1 END, \
               first_at = CASE WHEN login_attempts.first_at <= $2 - $3 THEN $2 \
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
    async fn login_attempts(&self, key: &str) -> Result<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT count, first_at FROM login_attempts WHERE key = $1")
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
    async fn return_login_attempt(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE login_attempts SET count = count - 1 WHERE key = $1 AND count > 0")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the attempts counted under `key`.
    async fn clear_login_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes attempt counters whose window started before `before` (Unix seconds).
    async fn delete_old_login_attempts(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM login_attempts WHERE first_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

impl PgStore {
    pub(crate) async fn user_from_row(&self, r: &sqlx::postgres::PgRow) -> Result<UserRecord> {
        let id: i64 = r.try_get(0)?;
        let role: String = r.try_get(3)?;
        let villages: Vec<String> = sqlx::query_scalar(
            "SELECT village_code FROM user_villages WHERE user_id = $1 ORDER BY village_code",
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
            disabled: r.try_get(5)?,
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
}
