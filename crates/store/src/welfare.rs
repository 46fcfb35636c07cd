//! Welfare ranking (PMT scores and deciles) and the demo's true consumption.

use std::collections::HashMap;

use sejahtera_domain::{NoKk, RegionCode};

use async_trait::async_trait;

use crate::Result;

/// One household's PMT score and decile.
#[derive(Debug, Clone, PartialEq)]
pub struct WelfareRow {
    /// The household.
    pub no_kk: NoKk,
    /// Predicted natural log of monthly per-capita consumption.
    pub skor_pmt: f64,
    /// Decile 1–10 (1 = poorest) within `area`.
    pub desil: u8,
    /// The region the decile is ranked within.
    pub area: RegionCode,
}

/// PMT scores and deciles.
#[async_trait]
pub trait WelfareStore: Send + Sync {
    /// Replaces every stored score and decile with `rows`, and sets `meta`, in one transaction.
    async fn replace_welfare(&self, rows: &[WelfareRow], meta: &[(String, String)]) -> Result<()>;

    /// Stored score and decile per household (`no_kk` as an integer).
    async fn welfare(&self) -> Result<HashMap<u64, (f64, u8)>>;

    /// The stored score and decile of one household.
    async fn welfare_of(&self, no_kk: &sejahtera_domain::NoKk) -> Result<Option<(f64, u8)>>;

    /// Number of households with a stored decile.
    async fn welfare_count(&self) -> Result<u64>;

    /// True monthly consumption per household (`no_kk` as an integer), where known
    /// (the demo stores it in `household_truth`).
    async fn true_consumption(&self) -> Result<HashMap<u64, i64>>;
}
