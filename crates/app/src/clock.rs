//! Time as the use cases see it. Every "now" and "today" comes from a [`Clock`]
//! that the adapter passes in (the system clock in production, a fixed one in
//! tests and in a replay), never from the wall clock inside a use case.

use std::fmt::Debug;

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today in the easternmost Indonesian zone (WIT, UTC+9), so that nothing
    /// dated today anywhere in Indonesia is refused as "in the future".
    fn today(&self) -> NaiveDate {
        (self.now() + Duration::hours(9)).date_naive()
    }
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant (tests, replays, reproducible reports).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl FixedClock {
    /// A clock stopped at noon WIT of `day`.
    pub fn on(day: NaiveDate) -> FixedClock {
        FixedClock(
            day.and_hms_opt(3, 0, 0)
                .expect("03:00 exists on every day")
                .and_utc(),
        )
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_day_in_wit() {
        // 16:30 UTC is already the next day in Jayapura (UTC+9).
        let late = DateTime::parse_from_rfc3339("2026-12-31T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            FixedClock(late).today(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(FixedClock::on(day).today(), day);
    }
}
