//! Eligibility expressions: a small, safe language over household and member fields.
//!
//! ```text
//! desil <= 4 and kepala.jenis_kelamin == "P" and any(anggota, umur >= 18 and umur <= 55)
//! ```
//!
//! The grammar, the fields, the functions and the error messages are documented in
//! `docs/eligibility.md`. The pipeline is:
//!
//! 1. [`parse`](parser::parse) the text into a syntax tree (errors carry the line and column);
//! 2. check it against the known fields ([`Program::compile`] does both steps);
//! 3. evaluate it, either on a columnar [`Snapshot`] of the whole registry
//!    ([`Snapshot::matches`]) or on one [`HouseholdRow`] ([`eval_household`], the
//!    naive reference the columnar evaluator is tested against).
//!
//! Missing values never match: a comparison, `in` or coded test on a missing value
//! is false (so `not (desil <= 4)` holds for a household without a decile).
//!
//! ```
//! use sejahtera_domain::eligibility::{HouseholdRow, MemberRow, Program, Snapshot, eval_household};
//! use sejahtera_domain::RegionCode;
//!
//! let p = Program::compile(r#"desil <= 4 and any(anggota, umur >= 18 and jenis_kelamin == "P")"#).unwrap();
//! let h = HouseholdRow {
//!     village: RegionCode::parse("53.71.02.1001").unwrap(),
//!     desil: Some(3),
//!     skor_pmt: None,
//!     pengeluaran_bulanan: 1_500_000,
//!     housing: [0; 8],
//!     // jenis_kelamin 2 = P, hubungan 1 = kepala
//!     members: vec![MemberRow { umur: Some(34), codes: [2, 1, 0, 0, 0, 0] }],
//! };
//! assert!(eval_household(&p, &h));
//! assert_eq!(Snapshot::from_rows(&[h]).matches(&p), vec![true]);
//! ```

pub mod check;
pub mod columnar;
pub mod error;
pub mod fields;
pub mod lexer;
pub mod parser;
pub mod row;

pub use check::Program;
pub use columnar::Snapshot;
pub use error::{ExprError, Span};
pub use row::{HouseholdRow, MemberRow, eval_household};

#[cfg(test)]
mod proptests;
