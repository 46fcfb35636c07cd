//! The demo of Sejahtera: a deterministic synthetic registry of Kota Kupang and
//! Kabupaten Sarolangun calibrated to published statistics, with its welfare
//! ranking ([`registry`]), the demo's programs, partners, enrollments and outcomes
//! ([`programs`]) and the demo accounts ([`accounts`]). See `docs/demo.md`.
//!
//! The demo is built on the use cases of `sejahtera-app` and on the store; the
//! application does not depend on it. `sejahtera demo` and the test suites use it.
#![warn(missing_docs)]

pub mod accounts;
pub mod programs;
pub mod registry;
