//! Use cases of Sejahtera: what a user can do, composed from the domain, the store
//! and the engines. The CLI and the web server are thin adapters over these.
#![warn(missing_docs)]

pub mod analytics;
pub mod demo;
pub mod export;
pub mod import;
pub mod input;
pub mod progress;
pub mod regions;
pub mod summary;

pub use progress::{NoProgress, Progress};
