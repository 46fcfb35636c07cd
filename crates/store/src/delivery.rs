//! Running programs: partners, sessions and attendance, mentoring visits,
//! referrals (with their append-only status log) and outcomes (append-only).

use std::collections::HashMap;

use chrono::NaiveDate;
use sejahtera_domain::Rupiah;
use sejahtera_domain::codes::JenisKelamin;
use sejahtera_domain::delivery::{Outcome, Partner, Referral, ReferralStatus, Session, Visit};

use async_trait::async_trait;

use crate::Result;

/// A new status of a referral.
#[derive(Debug, Clone)]
pub struct ReferralUpdate<'a> {
    /// Referral id.
    pub referral: i64,
    /// New status.
    pub status: ReferralStatus,
    /// Result or reason.
    pub result: Option<&'a str>,
    /// Amount (credit disbursed, order value).
    pub amount: Option<Rupiah>,
    /// Day of the change.
    pub day: NaiveDate,
    /// Who recorded it.
    pub actor: i64,
}

/// Delivery of programs: partners, sessions, attendance, visits, referrals, outcomes.
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Stores a partner; returns its id.
    async fn create_partner(&self, p: &Partner) -> Result<i64>;

    /// Every partner, by id.
    async fn partners(&self) -> Result<Vec<Partner>>;

    /// Stores a training session; returns its id.
    async fn create_training_session(&self, s: &Session, actor: i64) -> Result<i64>;

    /// The sessions of a program, by day.
    async fn training_sessions(&self, program: i64) -> Result<Vec<Session>>;

    /// The session with this id.
    async fn training_session(&self, id: i64) -> Result<Option<Session>>;

    /// Records the attendance of households at a session, in one transaction;
    /// a second record for the same household replaces the first.
    async fn record_attendance(
        &self,
        session: i64,
        marks: &[(u64, bool)],
        actor: i64,
    ) -> Result<()>;

    /// Attendance at the sessions of a program: (session, household, present).
    async fn attendance(&self, program: i64) -> Result<Vec<(i64, u64, bool)>>;

    /// Stores a mentoring visit; returns its id.
    async fn add_visit(&self, v: &Visit) -> Result<i64>;

    /// The mentoring visits of a program, by day.
    async fn visits(&self, program: i64) -> Result<Vec<Visit>>;

    /// Stores a referral and its first status (`referred`) in one transaction;
    /// returns its id.
    async fn create_referral(&self, r: &Referral, actor: i64) -> Result<i64>;

    /// Appends a new status to a referral.
    async fn update_referral(&self, u: &ReferralUpdate<'_>) -> Result<()>;

    /// Referrals with their current status, optionally of one program and/or
    /// addressed to one partner, by id.
    async fn referrals(&self, program: Option<i64>, partner: Option<i64>) -> Result<Vec<Referral>>;

    /// One referral with its current status.
    async fn referral(&self, id: i64) -> Result<Option<Referral>>;

    /// Appends outcomes in one transaction (all or none); returns how many.
    async fn append_outcomes(&self, outcomes: &[Outcome], actor: i64) -> Result<u64>;

    /// The outcomes of a program in the order recorded (a later row for the
    /// same household and day corrects an earlier one).
    async fn outcomes(&self, program: i64) -> Result<Vec<Outcome>>;

    /// The sex of every member recorded as a program's participant, by NIK.
    async fn participant_sexes(&self, program: i64) -> Result<HashMap<u64, JenisKelamin>>;
}
