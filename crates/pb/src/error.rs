//! Typed errors of the crate.

use thiserror::Error;

/// Everything that can go wrong while reading a `.pb` file or running a rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PbError {
    /// The `.pb` text is malformed; `line` is 1-based, `column` names the field when known.
    #[error("line {line}{}: {reason}", column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Parse {
        /// 1-based line number in the input.
        line: usize,
        /// Name of the offending column, when the error concerns one field.
        column: Option<String>,
        /// Human-readable reason.
        reason: String,
    },
    /// The election as a whole is inconsistent (missing budget, unknown vote type …).
    #[error("invalid election: {0}")]
    Invalid(String),
    /// The requested rule/satisfaction combination is not defined for this ballot type.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl PbError {
    pub(crate) fn parse(line: usize, column: Option<&str>, reason: impl Into<String>) -> Self {
        PbError::Parse {
            line,
            column: column.map(str::to_owned),
            reason: reason.into(),
        }
    }
}
