//! Types and rules of the Sejahtera policy domain.
//!
//! Everything here is pure and validated: values are parsed once at the boundary
//! (an import, a form, a CLI flag) into newtypes that cannot hold an invalid value.
//!
//! - [`region`]: Kemendagri region codes, the region hierarchy, village type and time zone.
//! - [`ids`]: NIK (national identity number) and KK (family card) numbers.
//! - [`money`]: integer Rupiah, Indonesian number parsing and display.
//! - [`date`]: the date formats accepted in imported files.
//! - [`codes`]: the coded columns of the registry (floor material, relation to head, …).
//! - [`registry`]: validated household and person records.
//! - [`access`]: roles and what each may see and do.
//! - [`programs`]: programs and the enrollment lifecycle (append-only decisions).
#![warn(missing_docs)]

pub mod access;
pub mod codes;
pub mod date;
pub mod delivery;
pub mod eligibility;
pub mod ids;
pub mod money;
pub mod pmt;
pub mod programs;
pub mod region;
pub mod registry;

pub use ids::{Nik, NoKk};
pub use money::Rupiah;
pub use region::{RegionCode, Regions};
