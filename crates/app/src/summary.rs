//! Households and persons per district.

use sejahtera_store::{DistrictCount, Store};

/// The per-district counts and the totals row.
pub async fn by_district(store: &Store) -> anyhow::Result<(Vec<DistrictCount>, DistrictCount)> {
    let rows = store.counts_by_district().await?;
    let mut total = DistrictCount {
        code: sejahtera_domain::RegionCode::parse("00").map_err(anyhow::Error::from)?,
        name: "(all)".into(),
        households: 0,
        persons: 0,
        women: 0,
        flagged: 0,
    };
    for r in &rows {
        total.households += r.households;
        total.persons += r.persons;
        total.women += r.women;
        total.flagged += r.flagged;
    }
    Ok((rows, total))
}
