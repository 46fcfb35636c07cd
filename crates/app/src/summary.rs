//! Households and persons per district.

use sejahtera_store::{Counts, DistrictCount, Store};

/// The per-district counts (in code order) and their total.
pub async fn by_district(store: &Store) -> anyhow::Result<(Vec<DistrictCount>, Counts)> {
    let rows = store.counts_by_district().await?;
    let mut total = Counts::default();
    for r in &rows {
        total += r.counts;
    }
    Ok((rows, total))
}
