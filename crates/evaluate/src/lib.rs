//! Program impact evaluation and indicator-target tracking for Sejahtera.
//!
//! A pure library (no I/O): every estimator takes plain columns and returns
//! estimates with their influence functions or standard errors.
//!
//! * [`drdid`] — two-period difference-in-differences with covariates on panel
//!   data (Sant'Anna & Zhao 2020): outcome regression, Abadie IPW, standardized
//!   IPW, doubly robust "traditional" and "improved" (inverse probability
//!   tilting) estimators with influence-function standard errors, matching R
//!   `DRDID` / Python `drdid`.
//! * [`staggered`] — Callaway & Sant'Anna (2021) group-time ATT(g,t) with
//!   never-treated or not-yet-treated controls, the simple / group / dynamic /
//!   calendar aggregations with analytic influence-function standard errors
//!   (including the estimated group weights, as R `did` does), the multiplier
//!   bootstrap with uniform bands, and the Wald pre-trend test.
//! * [`crosssection`] — cross-section propensity scores, IPW and doubly robust
//!   ATT, nearest-neighbour matching with a caliper, covariate balance table.
//! * [`synth`] — synthetic control, synthetic difference-in-differences
//!   (Arkhangelsky et al. 2021) and plain DiD for one treated unit, with
//!   placebo standard errors.
//! * [`target`] — indicator targets with polarity, achievement %, colour
//!   bands, gap to target and a linear projection to the end of the plan.
//!
//! ```
//! use sejahtera_evaluate::drdid::{TwoPeriodPanel, DrDidMethod, estimate};
//! // Four units, one covariate; the treated pair gains 2 more than the controls.
//! let y0 = [1.0, 2.0, 1.5, 2.5, 1.0, 3.0];
//! let y1 = [4.0, 5.0, 2.5, 3.5, 2.0, 4.0];
//! let d = [true, true, false, false, false, false];
//! let panel = TwoPeriodPanel::new(&y1, &y0, &d, &[]).unwrap();
//! let est = estimate(&panel, DrDidMethod::Reg).unwrap();
//! assert!((est.att - 2.0).abs() < 1e-12);
//! ```
#![warn(missing_docs)]
// Index loops mirror the published estimator formulas term by term.
#![allow(clippy::needless_range_loop)]

mod cellfast;
pub mod crosssection;
pub mod drdid;
pub mod linalg;
pub mod rng;
pub mod staggered;
pub mod stats;
pub mod synth;
pub mod target;

/// Errors raised by the estimators.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Input columns have different lengths.
    #[error("column `{name}` has {got} values, expected {expected}")]
    Length {
        /// Column name.
        name: &'static str,
        /// Number of values given.
        got: usize,
        /// Number of values expected.
        expected: usize,
    },
    /// A value is not finite (NaN or infinite).
    #[error("column `{name}` has a non-finite value at row {row}")]
    NonFinite {
        /// Column name.
        name: String,
        /// Zero-based row index.
        row: usize,
    },
    /// A design matrix is singular or numerically ill-conditioned.
    #[error("the {what} design matrix is singular; consider removing some covariates")]
    Singular {
        /// Which design (e.g. "propensity score", "regression").
        what: &'static str,
    },
    /// A required group is empty (e.g. no treated or no comparison units).
    #[error("{0}")]
    EmptyGroup(String),
    /// The panel is malformed (unbalanced, duplicated unit-period, time-varying group …).
    #[error("{0}")]
    Panel(String),
    /// An option is invalid.
    #[error("{0}")]
    Invalid(String),
    /// An iterative solver did not converge.
    #[error("{0} did not converge")]
    NoConvergence(&'static str),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
