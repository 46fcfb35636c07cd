//! Columns for the analytics engines, taken from the registry.

use crate::error::{Error, Result};
use sejahtera_domain::region::Level;
use sejahtera_store::Store;

use crate::regions::poverty_line_key;

/// One row per stored person: per-capita consumption of the person's household,
/// the region at the chosen level, and the regency's stored poverty line.
#[derive(Debug, Default)]
pub struct PerCapitaColumns {
    /// Monthly household consumption divided by the number of stored members.
    pub income: Vec<f64>,
    /// Region code at the chosen level.
    pub region: Vec<String>,
    /// The regency's poverty line (Rupiah per capita per month), if stored.
    pub poverty_line: Vec<Option<f64>>,
}

/// Builds per-person columns from the registry (weight 1 per person).
pub async fn per_capita_by_person(store: &Store, level: Level) -> Result<PerCapitaColumns> {
    if level == Level::Province {
        return Err(Error::invalid_text(
            "--level must be regency, district or village",
        ));
    }
    let households = store.household_consumption().await?;
    let mut cols = PerCapitaColumns::default();
    let mut lines: std::collections::HashMap<String, Option<f64>> =
        std::collections::HashMap::new();
    for (village, consumption, size) in households {
        let regency = village
            .at_level(Level::Regency)
            .map(|c| c.to_string())
            .unwrap_or_default();
        let line = match lines.get(&regency) {
            Some(l) => *l,
            None => {
                let code =
                    sejahtera_domain::RegionCode::parse(&regency).map_err(Error::unexpected)?;
                let l = store
                    .meta(&poverty_line_key(&code))
                    .await?
                    .and_then(|v| v.parse::<f64>().ok());
                lines.insert(regency.clone(), l);
                l
            }
        };
        let group = village
            .at_level(level)
            .map(|c| c.to_string())
            .unwrap_or_default();
        let pc = consumption as f64 / size as f64;
        for _ in 0..size {
            cols.income.push(pc);
            cols.region.push(group.clone());
            cols.poverty_line.push(line);
        }
    }
    Ok(cols)
}
