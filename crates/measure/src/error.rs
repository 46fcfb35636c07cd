//! Typed errors of the measurement engine.

use thiserror::Error;

/// Why a sample, a grouping or an MPI specification was rejected.
///
/// Row numbers are 0-based positions in the input columns; adapters that read
/// files translate them to the line numbers their users see.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MeasureError {
    /// Two columns that must have one value per row differ in length.
    #[error("column `{column}` has {actual} values, expected {expected} (one per row)")]
    LengthMismatch {
        /// Name of the offending column.
        column: &'static str,
        /// Number of rows of the income column.
        expected: usize,
        /// Number of values found.
        actual: usize,
    },
    /// An income that is negative, NaN or infinite.
    #[error("row {row}: income {value} is not a finite non-negative number")]
    InvalidIncome {
        /// 0-based row.
        row: usize,
        /// The value found.
        value: f64,
    },
    /// A weight that is zero, negative, NaN or infinite.
    #[error("row {row}: weight {value} is not a finite positive number")]
    InvalidWeight {
        /// 0-based row.
        row: usize,
        /// The value found.
        value: f64,
    },
    /// A poverty line that is zero, negative, NaN or infinite.
    #[error("row {row}: poverty line {value} is not a finite positive number")]
    InvalidLine {
        /// 0-based row (0 for a constant line).
        row: usize,
        /// The value found.
        value: f64,
    },
    /// A group code outside `0..n_groups`.
    #[error("row {row}: group code {code} is not below the number of groups {n_groups}")]
    InvalidGroup {
        /// 0-based row.
        row: usize,
        /// The code found.
        code: u32,
        /// The declared number of groups.
        n_groups: usize,
    },
    /// A deprivation indicator that is not 0 or 1.
    #[error("row {row}: indicator `{indicator}` is {value}, expected 0 or 1")]
    InvalidDeprivation {
        /// 0-based row.
        row: usize,
        /// Name of the indicator.
        indicator: String,
        /// The value found.
        value: f64,
    },
    /// MPI indicator weights that are not positive or do not sum to 1.
    #[error("invalid MPI indicator weights: {0}")]
    InvalidMpiWeights(String),
    /// An MPI poverty cutoff outside (0, 1].
    #[error("MPI cutoff {0} is not in (0, 1]")]
    InvalidCutoff(f64),
}
