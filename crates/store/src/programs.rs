//! Programs and the append-only enrollment log.

use async_trait::async_trait;
use sejahtera_domain::programs::{Event, Program};

use crate::Result;

/// Programs and their enrollment log.
#[async_trait]
pub trait ProgramStore: Send + Sync {
    /// Stores a new program (its id is assigned here; `p.id` is ignored) with its
    /// quotas and exclusions, in one transaction.
    async fn create_program(&self, p: &Program, created_by: i64) -> Result<i64>;

    /// Every program, by id.
    async fn programs(&self) -> Result<Vec<Program>>;

    /// Appends enrollment events in one transaction (all or none).
    async fn append_enrollment_events(&self, events: &[Event]) -> Result<()>;

    /// Appends an enrollment event; returns its id.
    async fn append_enrollment_event(&self, e: &Event) -> Result<i64>;

    /// Every enrollment event, in the order recorded.
    async fn enrollment_events(&self) -> Result<Vec<Event>>;

    /// Opens the write transaction in which one enrollment decision is made.
    /// The programs and the log read through it cannot change until the
    /// decision is appended and committed — by this process or any other
    /// (each backend documents how it serialises decisions). Capacity, quotas,
    /// exclusivity and the lifecycle are therefore decided in the transaction
    /// that records the event, never by an in-process lock. Dropping it
    /// without [`EnrollmentTx::commit`] rolls back.
    async fn begin_enrollment(&self) -> Result<Box<dyn EnrollmentTx + '_>>;
}

/// A decision in progress on the enrollment log (see [`ProgramStore::begin_enrollment`]).
#[async_trait]
pub trait EnrollmentTx: Send {
    /// Every program, as of this transaction.
    async fn programs(&mut self) -> Result<Vec<Program>>;

    /// Every enrollment event, as of this transaction.
    async fn enrollment_events(&mut self) -> Result<Vec<Event>>;

    /// Appends an event; returns its id.
    async fn append(&mut self, e: &Event) -> Result<i64>;

    /// Commits the decision.
    async fn commit(self: Box<Self>) -> Result<()>;
}
