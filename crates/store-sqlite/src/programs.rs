//! Programs and the append-only enrollment log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sejahtera_domain::codes::Code;
use sejahtera_domain::programs::{Enrollments, Event, Program, ProgramKind, Sector, Status};
use sejahtera_domain::{RegionCode, Rupiah};
use sqlx::Row;

use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::{EnrollmentCache, Result};

use crate::SqliteStore;

use crate::rows::corrupt;

#[async_trait]
impl ProgramStore for SqliteStore {
    /// Stores a new program (its id is assigned here; `p.id` is ignored) with its
    /// quotas and exclusions, in one transaction.
    async fn create_program(&self, p: &Program, created_by: i64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO programs (name, sector, agency, kind, start_date, end_date, budget, capacity, \
             eligibility, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&p.name)
        .bind(p.sector.as_str())
        .bind(&p.agency)
        .bind(p.kind.as_str())
        .bind(p.start.to_string())
        .bind(p.end.to_string())
        .bind(p.budget.get())
        .bind(p.capacity as i64)
        .bind(&p.eligibility)
        .bind(created_by)
        .bind(Utc::now().to_rfc3339())
        .fetch_one(&mut *tx)
        .await?;
        for (v, q) in &p.quotas {
            sqlx::query(
                "INSERT INTO program_quotas (program_id, village_code, quota) VALUES (?, ?, ?)",
            )
            .bind(id)
            .bind(v.as_str())
            .bind(*q as i64)
            .execute(&mut *tx)
            .await?;
        }
        for partner in &p.partners {
            sqlx::query("INSERT INTO program_partners (program_id, partner_id) VALUES (?, ?)")
                .bind(id)
                .bind(*partner)
                .execute(&mut *tx)
                .await?;
        }
        for other in &p.exclusive_with {
            sqlx::query("INSERT INTO program_exclusions (program_id, other_id) VALUES (?, ?)")
                .bind(id)
                .bind(*other)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Every program, by id.
    async fn programs(&self) -> Result<Vec<Program>> {
        let mut c = self.pool.acquire().await?;
        load_programs(&mut c).await
    }

    /// Appends enrollment events in one transaction (all or none).
    async fn append_enrollment_events(&self, events: &[Event]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for e in events {
            insert_event(e).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Appends an enrollment event; returns its id.
    async fn append_enrollment_event(&self, e: &Event) -> Result<i64> {
        Ok(insert_event(e)
            .execute(&self.pool)
            .await?
            .last_insert_rowid())
    }

    /// Every enrollment event, in the order recorded.
    async fn enrollment_events(&self) -> Result<Vec<Event>> {
        let mut c = self.pool.acquire().await?;
        load_events(&mut c).await
    }

    /// The folded log, read from the events appended since the last call (see
    /// [`EnrollmentCache`]: one writer at a time, and no event is ever deleted, so
    /// ids grow in commit order).
    async fn enrollments(&self) -> Result<Enrollments> {
        let mut c = self.pool.acquire().await?;
        let tail = load_events_after(&mut c, self.enrollments.last_id()).await?;
        Ok(self.enrollments.advance(&tail))
    }

    /// Opens the write transaction in which one enrollment decision is made:
    /// `BEGIN IMMEDIATE` takes SQLite's write lock at once, so the programs and
    /// the log read through it cannot change until the decision is appended
    /// and committed — by this process or any other. Capacity, quotas,
    /// exclusivity and the lifecycle are therefore decided in the transaction
    /// that records the event, never by an in-process lock. Dropping it
    /// without [`EnrollmentTx::commit`] rolls back.
    async fn begin_enrollment(&self) -> Result<Box<dyn EnrollmentTx + '_>> {
        Ok(Box::new(SqliteEnrollment {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            cache: self.enrollments.clone(),
            appended: false,
        }))
    }
}

async fn load_programs(c: &mut sqlx::SqliteConnection) -> Result<Vec<Program>> {
    let rows = sqlx::query(
        "SELECT id, name, sector, agency, kind, start_date, end_date, budget, capacity, eligibility \
         FROM programs ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await?;
    let quotas = sqlx::query("SELECT program_id, village_code, quota FROM program_quotas")
        .fetch_all(&mut *c)
        .await?;
    let exclusions = sqlx::query("SELECT program_id, other_id FROM program_exclusions")
        .fetch_all(&mut *c)
        .await?;
    let partners = sqlx::query("SELECT program_id, partner_id FROM program_partners")
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let date =
            |i: usize| -> Result<NaiveDate> { r.try_get::<&str, _>(i)?.parse().map_err(corrupt) };
        let mut q = BTreeMap::new();
        for row in quotas
            .iter()
            .filter(|x| x.try_get::<i64, _>(0).ok() == Some(id))
        {
            q.insert(
                RegionCode::parse(row.try_get::<&str, _>(1)?).map_err(corrupt)?,
                row.try_get::<i64, _>(2)? as u32,
            );
        }
        let mut ex = BTreeSet::new();
        for row in exclusions
            .iter()
            .filter(|x| x.try_get::<i64, _>(0).ok() == Some(id))
        {
            ex.insert(row.try_get::<i64, _>(1)?);
        }
        let mut with = BTreeSet::new();
        for row in partners
            .iter()
            .filter(|x| x.try_get::<i64, _>(0).ok() == Some(id))
        {
            with.insert(row.try_get::<i64, _>(1)?);
        }
        out.push(Program {
            id,
            name: r.try_get(1)?,
            sector: Sector::parse(r.try_get::<&str, _>(2)?).map_err(corrupt)?,
            agency: r.try_get(3)?,
            kind: ProgramKind::parse(r.try_get::<&str, _>(4)?).map_err(corrupt)?,
            start: date(5)?,
            end: date(6)?,
            budget: Rupiah::new(r.try_get(7)?),
            capacity: r.try_get::<i64, _>(8)? as u32,
            eligibility: r.try_get(9)?,
            quotas: q,
            exclusive_with: ex,
            partners: with,
        });
    }
    Ok(out)
}

async fn load_events(c: &mut sqlx::SqliteConnection) -> Result<Vec<Event>> {
    Ok(load_events_after(c, 0)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// The events with an id above `after`, with their ids, in id order.
async fn load_events_after(
    c: &mut sqlx::SqliteConnection,
    after: i64,
) -> Result<Vec<(i64, Event)>> {
    let rows = sqlx::query(
        "SELECT program_id, no_kk, village_code, status, reason, actor, at, why, participant, id \
         FROM enrollment_events WHERE id > ? ORDER BY id",
    )
    .bind(after)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let e = Event {
                program: r.try_get(0)?,
                household: r.try_get::<&str, _>(1)?.parse().map_err(corrupt)?,
                village: RegionCode::parse(r.try_get::<&str, _>(2)?).map_err(corrupt)?,
                status: Status::parse(r.try_get::<&str, _>(3)?).map_err(corrupt)?,
                reason: r.try_get(4)?,
                actor: r.try_get(5)?,
                at: DateTime::parse_from_rfc3339(r.try_get::<&str, _>(6)?)
                    .map_err(corrupt)?
                    .with_timezone(&Utc),
                why: r.try_get(7)?,
                participant: r
                    .try_get::<Option<&str>, _>(8)?
                    .map(|s| s.parse().map_err(corrupt))
                    .transpose()?,
            };
            Ok((r.try_get(9)?, e))
        })
        .collect()
}

/// A decision in progress on the enrollment log: a `BEGIN IMMEDIATE` transaction.
struct SqliteEnrollment {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    cache: Arc<EnrollmentCache>,
    /// Whether this transaction appended (its events must not reach the cache).
    appended: bool,
}

#[async_trait]
impl EnrollmentTx for SqliteEnrollment {
    async fn programs(&mut self) -> Result<Vec<Program>> {
        load_programs(&mut self.tx).await
    }

    async fn enrollment_events(&mut self) -> Result<Vec<Event>> {
        load_events(&mut self.tx).await
    }

    /// Under the write lock every committed event is visible: the events after
    /// the cache's last one are read and folded in.
    async fn enrollments(&mut self) -> Result<Enrollments> {
        if self.appended {
            return Ok(Enrollments::from_events(&load_events(&mut self.tx).await?));
        }
        let tail = load_events_after(&mut self.tx, self.cache.last_id()).await?;
        Ok(self.cache.advance(&tail))
    }

    async fn append(&mut self, e: &Event) -> Result<i64> {
        self.appended = true;
        Ok(insert_event(e)
            .execute(&mut *self.tx)
            .await?
            .last_insert_rowid())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

fn insert_event(
    e: &Event,
) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
    sqlx::query(
        "INSERT INTO enrollment_events (program_id, no_kk, village_code, status, reason, actor, at, why, \
         participant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.program)
    .bind(format!("{:016}", e.household))
    .bind(e.village.as_str())
    .bind(e.status.as_str())
    .bind(e.reason.as_deref())
    .bind(e.actor)
    .bind(e.at.to_rfc3339())
    .bind(&e.why)
    .bind(e.participant.map(|n| format!("{n:016}")))
}
