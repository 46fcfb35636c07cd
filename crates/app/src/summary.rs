//! The registry at a glance: households and persons per district, totals, and
//! the generation counter that changes with every write to the registry.

pub use sejahtera_store::{Counts, DistrictCount};
use sejahtera_store::{Store, StoreError};

/// The per-district counts (in code order) and their total.
pub async fn by_district(store: &Store) -> Result<(Vec<DistrictCount>, Counts), StoreError> {
    let rows = store.counts_by_district().await?;
    let mut total = Counts::default();
    for r in &rows {
        total += r.counts;
    }
    Ok((rows, total))
}

/// Households and persons in the registry.
pub async fn totals(store: &Store) -> Result<(u64, u64), StoreError> {
    store.totals().await
}

/// The registry generation: it grows with every import or change, so a cache
/// of figures computed from the registry knows when it is stale.
pub async fn registry_generation(store: &Store) -> Result<u64, StoreError> {
    store.registry_generation().await
}
