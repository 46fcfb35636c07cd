//! Use cases of Sejahtera: what a user can do, composed from the domain, the store
//! and the engines. The CLI and the web server are thin adapters over these.
#![warn(missing_docs)]

pub mod accounts;
pub mod analytics;
pub mod clock;
pub mod db;
pub mod delivery;
pub mod disclosure;
pub mod eligibility;
pub mod error;
pub mod export;
pub mod households;
pub mod import;
pub mod indicators;
pub mod input;
pub mod messages;
pub mod pmt;
pub mod programs;
pub mod progress;
pub mod regions;
pub mod snapshot;
pub mod summary;
pub mod targeting;
pub mod upload;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::Error;
pub use messages::{Lang, Msg};
pub use progress::{NoProgress, Progress};
pub use sejahtera_store::{DbUrl, Store, StoreError};
