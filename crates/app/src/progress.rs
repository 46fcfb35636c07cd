//! Progress reporting for long work, implemented by the adapters (a terminal
//! progress bar in the CLI, nothing in tests).

/// Receives progress of a long operation.
pub trait Progress: Send + Sync {
    /// A new phase starts; `total` units if known.
    fn start(&self, phase: &str, total: Option<u64>);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The phase is over.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _phase: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}
