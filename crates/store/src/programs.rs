//! Programs and the append-only enrollment log.

use std::sync::Mutex;

use async_trait::async_trait;
use sejahtera_domain::programs::{Enrollments, Event, Program};

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

    /// The current status of every household in every program: the log folded
    /// in order, as [`Enrollments::from_events`] folds [`ProgramStore::enrollment_events`]
    /// (which is what this default does; a backend may keep the folded log and
    /// read only the events appended since, see [`EnrollmentCache`]).
    async fn enrollments(&self) -> Result<Enrollments> {
        Ok(Enrollments::from_events(&self.enrollment_events().await?))
    }

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

    /// The log as of this transaction, folded (see [`ProgramStore::enrollments`]).
    async fn enrollments(&mut self) -> Result<Enrollments> {
        Ok(Enrollments::from_events(&self.enrollment_events().await?))
    }

    /// Appends an event; returns its id.
    async fn append(&mut self, e: &Event) -> Result<i64>;

    /// Commits the decision.
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// The enrollment log of one process, folded up to the last event read, so that
/// reading the current state costs the events appended since instead of the whole
/// log (every decision and every delivery record reads it).
///
/// It relies on what both backends guarantee: events are never updated or deleted
/// (triggers refuse it), and their ids are committed in increasing order — SQLite
/// has one writer at a time, and on PostgreSQL every insert into the log holds
/// `SHARE ROW EXCLUSIVE` on it until commit. So whatever a reader sees is the log
/// up to some id, and the events after the cached id are all it misses. A
/// transaction that has appended to the log must not feed its own (uncommitted)
/// events in.
#[derive(Debug, Default)]
pub struct EnrollmentCache {
    inner: Mutex<Folded>,
}

#[derive(Debug, Default)]
struct Folded {
    last_id: i64,
    state: Enrollments,
}

impl EnrollmentCache {
    /// The id of the last event folded in (0: none); read the events after it.
    pub fn last_id(&self) -> i64 {
        self.lock().last_id
    }

    /// Folds in `tail`, events in id order read after [`EnrollmentCache::last_id`]
    /// (events another reader folded in meanwhile are skipped), and returns the
    /// state. A reader whose snapshot is older than the cache gets the cache's
    /// newer state.
    pub fn advance(&self, tail: &[(i64, Event)]) -> Enrollments {
        let mut f = self.lock();
        for (id, e) in tail {
            if *id > f.last_id {
                f.state.apply(e);
                f.last_id = *id;
            }
        }
        f.state.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Folded> {
        // The state is consistent after every apply: a panic elsewhere leaves it usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use sejahtera_domain::RegionCode;
    use sejahtera_domain::programs::Status;

    fn event(program: i64, household: u64, status: Status) -> Event {
        Event {
            program,
            household,
            village: RegionCode::parse("53.71.01.1001").unwrap(),
            status,
            reason: None,
            actor: 1,
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            why: String::new(),
            participant: None,
        }
    }

    #[test]
    fn the_cache_folds_each_event_once_in_id_order() {
        let c = EnrollmentCache::default();
        assert_eq!(c.last_id(), 0);
        let s = c.advance(&[
            (1, event(1, 7, Status::Candidate)),
            (3, event(1, 7, Status::Enrolled)),
        ]);
        assert_eq!(s.status(1, 7), Some(Status::Enrolled));
        assert_eq!(c.last_id(), 3);
        // A reader that started from id 1 brings events the cache has: skipped.
        let s = c.advance(&[
            (3, event(1, 7, Status::Enrolled)),
            (4, event(1, 7, Status::Exited)),
        ]);
        assert_eq!(s.status(1, 7), Some(Status::Exited));
        assert_eq!(s.places(1, None), 0);
        // An older snapshot gets the newer state.
        let s = c.advance(&[]);
        assert_eq!(s.status(1, 7), Some(Status::Exited));
        assert!(s.ever_enrolled(1, 7));
        assert_eq!(c.last_id(), 4);
    }
}
