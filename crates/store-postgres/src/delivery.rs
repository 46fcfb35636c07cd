//! Running programs: partners, sessions and attendance, mentoring visits,
//! referrals (with their append-only status log) and outcomes (append-only).

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sejahtera_domain::Rupiah;
use sejahtera_domain::codes::{Code, JenisKelamin};
use sejahtera_domain::delivery::{
    Outcome, OutcomeSource, Partner, PartnerKind, Referral, ReferralStatus, Service, Session, Visit,
};
use sqlx::Row;

use async_trait::async_trait;
use sejahtera_store::prelude::*;
use sejahtera_store::{ReferralUpdate, Result};

use crate::PgStore;

use crate::rows::{
    SESSION_SELECT, corrupt, day, key_text as kk_text, key_u64 as kk, session_from_row,
};

#[async_trait]
impl DeliveryStore for PgStore {
    /// Stores a partner; returns its id.
    async fn create_partner(&self, p: &Partner) -> Result<i64> {
        let services: Vec<&str> = p.services.iter().map(|s| s.as_str()).collect();
        Ok(sqlx::query_scalar(
            "INSERT INTO partners (name, kind, services, contact, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(&p.name)
        .bind(p.kind.as_str())
        .bind(services.join(","))
        .bind(&p.contact)
        .bind(Utc::now().to_rfc3339())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every partner, by id.
    async fn partners(&self) -> Result<Vec<Partner>> {
        let rows =
            sqlx::query("SELECT id, name, kind, services, contact FROM partners ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let services: &str = r.try_get(3)?;
                Ok(Partner {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    kind: PartnerKind::parse(r.try_get::<&str, _>(2)?).map_err(corrupt)?,
                    services: services
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| Service::parse(s).map_err(corrupt))
                        .collect::<Result<BTreeSet<_>>>()?,
                    contact: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Stores a training session; returns its id.
    async fn create_training_session(&self, s: &Session, actor: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO program_sessions (program_id, day, topic, place, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(s.program)
        .bind(s.date.to_string())
        .bind(&s.topic)
        .bind(&s.place)
        .bind(actor)
        .bind(Utc::now().to_rfc3339())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The sessions of a program, by day.
    async fn training_sessions(&self, program: i64) -> Result<Vec<Session>> {
        let rows = sqlx::query(&format!(
            "{SESSION_SELECT} WHERE program_id = $1 ORDER BY day, id"
        ))
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// The session with this id.
    async fn training_session(&self, id: i64) -> Result<Option<Session>> {
        let row = sqlx::query(&format!("{SESSION_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Records the attendance of households at a session, in one transaction;
    /// a second record for the same household replaces the first.
    async fn record_attendance(
        &self,
        session: i64,
        marks: &[(u64, bool)],
        actor: i64,
    ) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.pool.begin().await?;
        for (hh, present) in marks {
            sqlx::query(
                "INSERT INTO attendance (session_id, no_kk, present, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, no_kk) DO UPDATE SET \
                 present = excluded.present, recorded_by = excluded.recorded_by, \
                 recorded_at = excluded.recorded_at",
            )
            .bind(session)
            .bind(kk_text(*hh))
            .bind(*present)
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Attendance at the sessions of a program: (session, household, present).
    async fn attendance(&self, program: i64) -> Result<Vec<(i64, u64, bool)>> {
        let rows = sqlx::query(
            "SELECT a.session_id, a.no_kk, a.present FROM attendance a \
             JOIN program_sessions s ON s.id = a.session_id WHERE s.program_id = $1 \
             ORDER BY a.session_id, a.no_kk",
        )
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, kk(r.try_get(1)?)?, r.try_get::<bool, _>(2)?)))
            .collect()
    }

    /// Stores a mentoring visit; returns its id.
    async fn add_visit(&self, v: &Visit) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO mentoring_visits (program_id, no_kk, day, mentor, notes, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(v.program)
        .bind(kk_text(v.household))
        .bind(v.date.to_string())
        .bind(v.mentor)
        .bind(&v.notes)
        .bind(Utc::now().to_rfc3339())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The mentoring visits of a program, by day.
    async fn visits(&self, program: i64) -> Result<Vec<Visit>> {
        let rows = sqlx::query(
            "SELECT id, program_id, no_kk, day, mentor, notes FROM mentoring_visits \
             WHERE program_id = $1 ORDER BY day, id",
        )
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Visit {
                    id: r.try_get(0)?,
                    program: r.try_get(1)?,
                    household: kk(r.try_get(2)?)?,
                    date: day(r.try_get(3)?)?,
                    mentor: r.try_get(4)?,
                    notes: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Stores a referral and its first status (`referred`) in one transaction;
    /// returns its id.
    async fn create_referral(&self, r: &Referral, actor: i64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO referrals (program_id, no_kk, partner_id, service, referred_on, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(r.program)
        .bind(kk_text(r.household))
        .bind(r.partner)
        .bind(r.service.as_str())
        .bind(r.referred_on.to_string())
        .bind(actor)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO referral_events (referral_id, status, result, amount, day, actor, at) \
             VALUES ($1, 'referred', NULL, NULL, $2, $3, $4)",
        )
        .bind(id)
        .bind(r.referred_on.to_string())
        .bind(actor)
        .bind(Utc::now().to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Appends a new status to a referral.
    async fn update_referral(&self, u: &ReferralUpdate<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO referral_events (referral_id, status, result, amount, day, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(u.referral)
        .bind(u.status.as_str())
        .bind(u.result)
        .bind(u.amount.map(|a| a.get()))
        .bind(u.day.to_string())
        .bind(u.actor)
        .bind(Utc::now().to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Referrals with their current status, optionally of one program and/or
    /// addressed to one partner, by id.
    async fn referrals(&self, program: Option<i64>, partner: Option<i64>) -> Result<Vec<Referral>> {
        self.referrals_where(None, program, partner).await
    }

    /// One referral with its current status.
    async fn referral(&self, id: i64) -> Result<Option<Referral>> {
        Ok(self.referrals_where(Some(id), None, None).await?.pop())
    }

    /// Appends outcomes in one transaction (all or none); returns how many.
    async fn append_outcomes(&self, outcomes: &[Outcome], actor: i64) -> Result<u64> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.pool.begin().await?;
        for o in outcomes {
            sqlx::query(
                "INSERT INTO outcomes (program_id, no_kk, day, business, income, employed, source, \
                 actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(o.program)
            .bind(kk_text(o.household))
            .bind(o.date.to_string())
            .bind(o.business)
            .bind(o.income.map(|r| r.get()))
            .bind(o.employed)
            .bind(o.source.as_str())
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(outcomes.len() as u64)
    }

    /// The outcomes of a program in the order recorded (a later row for the
    /// same household and day corrects an earlier one).
    async fn outcomes(&self, program: i64) -> Result<Vec<Outcome>> {
        let rows = sqlx::query(
            "SELECT program_id, no_kk, day, business, income, employed, source FROM outcomes \
             WHERE program_id = $1 ORDER BY id",
        )
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Outcome {
                    program: r.try_get(0)?,
                    household: kk(r.try_get(1)?)?,
                    date: day(r.try_get(2)?)?,
                    business: r.try_get(3)?,
                    income: r.try_get::<Option<i64>, _>(4)?.map(Rupiah::new),
                    employed: r.try_get(5)?,
                    source: OutcomeSource::parse(r.try_get::<&str, _>(6)?).map_err(corrupt)?,
                })
            })
            .collect()
    }

    /// The sex of every member recorded as a program's participant, by NIK.
    async fn participant_sexes(&self, program: i64) -> Result<HashMap<u64, JenisKelamin>> {
        let rows = sqlx::query(
            "SELECT nik, jenis_kelamin FROM persons WHERE nik IN \
             (SELECT DISTINCT participant FROM enrollment_events \
              WHERE program_id = $1 AND participant IS NOT NULL)",
        )
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<&str, _>(0)?.parse().map_err(corrupt)?,
                    JenisKelamin::parse(r.try_get::<&str, _>(1)?).map_err(corrupt)?,
                ))
            })
            .collect()
    }
}

impl PgStore {
    pub(crate) async fn referrals_where(
        &self,
        id: Option<i64>,
        program: Option<i64>,
        partner: Option<i64>,
    ) -> Result<Vec<Referral>> {
        let rows = sqlx::query(
            "SELECT r.id, r.program_id, r.no_kk, r.partner_id, r.service, r.referred_on, \
                    e.status, e.result, e.amount, e.day \
             FROM referrals r JOIN referral_events e ON e.id = \
                 (SELECT MAX(id) FROM referral_events WHERE referral_id = r.id) \
             WHERE ($1::BIGINT IS NULL OR r.id = $1) AND ($2::BIGINT IS NULL OR r.program_id = $2) \
               AND ($3::BIGINT IS NULL OR r.partner_id = $3) \
             ORDER BY r.id",
        )
        .bind(id)
        .bind(program)
        .bind(partner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Referral {
                    id: r.try_get(0)?,
                    program: r.try_get(1)?,
                    household: kk(r.try_get(2)?)?,
                    partner: r.try_get(3)?,
                    service: Service::parse(r.try_get::<&str, _>(4)?).map_err(corrupt)?,
                    referred_on: day(r.try_get(5)?)?,
                    status: ReferralStatus::parse(r.try_get::<&str, _>(6)?).map_err(corrupt)?,
                    result: r.try_get(7)?,
                    amount: r.try_get::<Option<i64>, _>(8)?.map(Rupiah::new),
                    updated_on: day(r.try_get(9)?)?,
                })
            })
            .collect()
    }
}
