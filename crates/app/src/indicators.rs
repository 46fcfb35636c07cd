//! Headline welfare indicators of every region (regency, district, village),
//! computed from the registry with the measure engine, with small-cell
//! protection, and cached until the registry changes.
//!
//! Per-capita consumption of a household (monthly consumption / stored members)
//! is counted once per member (population weighting), against the regency's
//! official poverty line.

use crate::clock::Clock;
use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use sejahtera_domain::RegionCode;
use sejahtera_domain::region::{Level, Regions};
use sejahtera_measure::{Line, Sample, lorenz_curve_by, measure_by};
use sejahtera_store::Store;
use serde::Serialize;

use crate::regions::{PovertyLine, poverty_line_key};

/// Figures computed from fewer households than this are not shown.
pub const MIN_HOUSEHOLDS: u64 = 10;

/// Points of each Lorenz curve (segments + 1).
pub const LORENZ_SEGMENTS: usize = 20;

/// Bins of the distribution chart: per-capita consumption as a multiple of the
/// poverty line, in steps of 0.25 from 0 to 4 (the last bin is open-ended).
pub const DISTRIBUTION_BINS: usize = 16;

/// Width of one distribution bin, in multiples of the poverty line.
pub const DISTRIBUTION_STEP: f64 = 0.25;

/// The figures of one region. Every figure is `None` when the region has fewer
/// than [`MIN_HOUSEHOLDS`] households (`suppressed` is then true).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionFigures {
    /// Region code.
    pub code: String,
    /// Region name.
    pub name: String,
    /// `regency`, `district` or `village`.
    pub level: String,
    /// Parent region code.
    pub parent: Option<String>,
    /// True when the region has too few households to publish anything.
    pub suppressed: bool,
    /// Households.
    pub households: Option<u64>,
    /// Persons.
    pub population: Option<u64>,
    /// Mean per-capita monthly consumption (Rupiah).
    pub mean_consumption: Option<f64>,
    /// Headcount ratio P0.
    pub p0: Option<f64>,
    /// Poverty gap P1.
    pub p1: Option<f64>,
    /// Poverty severity P2.
    pub p2: Option<f64>,
    /// Standard error of P0.
    pub p0_se: Option<f64>,
    /// Gini coefficient.
    pub gini: Option<f64>,
    /// Lorenz curve (population share, consumption share), for regencies and districts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lorenz: Option<Vec<(f64, f64)>>,
    /// Persons per distribution bin (see [`DISTRIBUTION_BINS`]), for regencies and districts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Vec<u64>>,
}

/// The poverty line a regency's figures use.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LineUsed {
    /// Regency code.
    pub regency: String,
    /// Rupiah per capita per month.
    pub amount: i64,
    /// Reference period.
    pub period: String,
    /// Source.
    pub source: String,
}

/// Figures of every region, computed at one registry generation.
#[derive(Debug, Clone, Default)]
pub struct IndicatorTables {
    /// The registry generation they were computed at.
    pub generation: u64,
    /// When they were computed.
    pub computed_at: chrono::DateTime<chrono::Utc>,
    /// By region code.
    pub regions: HashMap<String, RegionFigures>,
    /// Poverty line per regency code.
    pub lines: HashMap<String, LineUsed>,
}

impl IndicatorTables {
    /// The figures of a region.
    pub fn get(&self, code: &RegionCode) -> Option<&RegionFigures> {
        self.regions.get(code.as_str())
    }

    /// The poverty line used for a region (that of its regency).
    pub fn line_for(&self, code: &RegionCode) -> Option<&LineUsed> {
        code.at_level(Level::Regency)
            .and_then(|r| self.lines.get(r.as_str()))
    }

    /// Figures of the children of `code` (in code order).
    pub fn children(&self, regions: &Regions, code: &RegionCode) -> Vec<&RegionFigures> {
        regions
            .children(code)
            .filter_map(|r| self.regions.get(r.code.as_str()))
            .collect()
    }
}

/// Computes every region's figures from the registry.
pub async fn compute(
    store: &Store,
    regions: &Regions,
    shipped_lines: &[PovertyLine],
    clock: &dyn Clock,
) -> crate::error::Result<IndicatorTables> {
    let generation = store.registry_generation().await?;
    let households = store
        .household_consumption()
        .await
        .context("reading consumption from the registry")?;
    let mut lines = HashMap::new();
    for r in regions.iter().filter(|r| r.level == Level::Regency) {
        let stored = store
            .meta(&poverty_line_key(&r.code))
            .await?
            .and_then(|v| v.parse::<i64>().ok());
        let shipped = shipped_lines.iter().find(|l| l.code == r.code);
        let amount = stored.or(shipped.map(|l| l.amount));
        if let Some(amount) = amount {
            lines.insert(
                r.code.to_string(),
                LineUsed {
                    regency: r.code.to_string(),
                    amount,
                    period: shipped.map(|l| l.period.clone()).unwrap_or_default(),
                    source: shipped.map(|l| l.source.clone()).unwrap_or_default(),
                },
            );
        }
    }
    let regions = regions.clone();
    let computed_at = clock.now();
    tokio::task::spawn_blocking(move || {
        compute_tables(&regions, &households, lines, generation, computed_at)
    })
    .await
    .context("computing indicators")?
    .map_err(crate::error::Error::from)
}

/// The computation itself, on household columns (village, consumption, members).
pub fn compute_tables(
    regions: &Regions,
    households: &[(RegionCode, i64, i64)],
    lines: HashMap<String, LineUsed>,
    generation: u64,
    computed_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<IndicatorTables> {
    let mut out = IndicatorTables {
        generation,
        computed_at,
        regions: HashMap::new(),
        lines,
    };
    // Only households of known villages (whose district and regency are then known
    // too) whose regency has a poverty line can be measured.
    let rows: Vec<(&RegionCode, f64, f64, f64)> = households
        .iter()
        .filter(|(village, _, size)| *size > 0 && regions.is_village(village))
        .filter_map(|(village, consumption, size)| {
            let regency = village.at_level(Level::Regency)?;
            let line = out.lines.get(regency.as_str())?.amount as f64;
            Some((
                village,
                *consumption as f64 / *size as f64,
                *size as f64,
                line,
            ))
        })
        .collect();
    let income: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let weight: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let line: Vec<f64> = rows.iter().map(|r| r.3).collect();
    let sample = Sample::new(&income, Line::PerRow(&line)).with_weight(&weight);
    for level in [Level::Regency, Level::District, Level::Village] {
        let codes: Vec<&RegionCode> = regions
            .iter()
            .filter(|r| r.level == level)
            .map(|r| &r.code)
            .collect();
        let index: HashMap<&str, u32> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i as u32))
            .collect();
        let groups = rows
            .iter()
            .map(|r| {
                r.0.at_level(level)
                    .and_then(|c| index.get(c.as_str()).copied())
                    .with_context(|| {
                        format!("village {} has no {} in the regions", r.0, level.as_str())
                    })
            })
            .collect::<anyhow::Result<Vec<u32>>>()?;
        let measured = measure_by(&sample, &groups, codes.len())?;
        let charts = level != Level::Village;
        let lorenz = if charts {
            lorenz_curve_by(&sample, &groups, codes.len(), LORENZ_SEGMENTS)?
        } else {
            Vec::new()
        };
        let mut hh = vec![0u64; codes.len()];
        let mut dist = vec![vec![0u64; DISTRIBUTION_BINS]; if charts { codes.len() } else { 0 }];
        for (k, &g) in groups.iter().enumerate() {
            hh[g as usize] += 1;
            if charts {
                let ratio = income[k] / line[k];
                let bin = ((ratio / DISTRIBUTION_STEP) as usize).min(DISTRIBUTION_BINS - 1);
                dist[g as usize][bin] += weight[k] as u64;
            }
        }
        for (g, code) in codes.iter().enumerate() {
            let region = regions.get(code).expect("listed from regions");
            let ind = measured.groups[g].as_ref();
            let shown = hh[g] >= MIN_HOUSEHOLDS && ind.is_some();
            let f = |v: Option<f64>| if shown { v } else { None };
            out.regions.insert(
                code.to_string(),
                RegionFigures {
                    code: code.to_string(),
                    name: region.name.clone(),
                    level: level.as_str().to_string(),
                    parent: code.parent().map(|p| p.to_string()),
                    suppressed: !shown,
                    households: shown.then_some(hh[g]),
                    population: if shown {
                        ind.map(|i| i.population.round() as u64)
                    } else {
                        None
                    },
                    mean_consumption: f(ind.map(|i| i.mean)),
                    p0: f(ind.map(|i| i.fgt[0])),
                    p1: f(ind.map(|i| i.fgt[1])),
                    p2: f(ind.map(|i| i.fgt[2])),
                    p0_se: f(ind.map(|i| i.fgt_se[0])),
                    gini: f(ind.and_then(|i| i.gini)),
                    lorenz: if shown && charts {
                        lorenz[g].as_ref().map(|pts| {
                            pts.iter()
                                .map(|p| (p.population_share, p.income_share))
                                .collect()
                        })
                    } else {
                        None
                    },
                    distribution: (shown && charts).then(|| dist[g].clone()),
                },
            );
        }
    }
    Ok(out)
}

/// A cache of [`IndicatorTables`] keyed by the registry generation: computed
/// once, recomputed only when the registry has changed. Concurrent callers
/// wait for one computation instead of each starting their own.
#[derive(Debug, Default)]
pub struct IndicatorCache {
    current: std::sync::RwLock<Option<Arc<IndicatorTables>>>,
    computing: tokio::sync::Mutex<()>,
}

impl IndicatorCache {
    /// A new, empty cache.
    pub fn new() -> IndicatorCache {
        IndicatorCache::default()
    }

    /// The tables if they were computed at `generation`.
    pub fn peek(&self, generation: u64) -> Option<Arc<IndicatorTables>> {
        let cur = self.current.read().unwrap_or_else(|e| e.into_inner());
        cur.as_ref().filter(|t| t.generation == generation).cloned()
    }

    /// The tables at `generation`, computing them if the cached ones are older.
    pub async fn get(
        &self,
        generation: u64,
        store: &Store,
        regions: &Regions,
        lines: &[PovertyLine],
        clock: &dyn Clock,
    ) -> crate::error::Result<Arc<IndicatorTables>> {
        if let Some(t) = self.peek(generation) {
            return Ok(t);
        }
        let _guard = self.computing.lock().await;
        if let Some(t) = self.peek(generation) {
            return Ok(t);
        }
        let tables = Arc::new(compute(store, regions, lines, clock).await?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(tables.clone());
        Ok(tables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sejahtera_domain::region::Region;

    fn regions() -> Regions {
        let text = "code,name,level,parent_code\n53,NTT,province,\n53.71,Kota Kupang,regency,53\n\
                    53.71.01,Alak,district,53.71\n53.71.01.1001,Namosain,village,53.71.01\n\
                    53.71.01.1002,Nunbaun Sabu,village,53.71.01\n";
        let rows: Vec<Region> = Regions::parse_csv("t", text).unwrap();
        Regions::from_regions(rows).unwrap()
    }

    fn lines() -> HashMap<String, LineUsed> {
        HashMap::from([(
            "53.71".to_string(),
            LineUsed {
                regency: "53.71".into(),
                amount: 100,
                period: "2024".into(),
                source: "test".into(),
            },
        )])
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn small_cells_are_suppressed_and_large_ones_shown() {
        // 12 households in village 1001 (half poor), 9 in 1002.
        let mut hh = Vec::new();
        for i in 0..12 {
            hh.push((code("53.71.01.1001"), if i % 2 == 0 { 100 } else { 400 }, 2));
        }
        for _ in 0..9 {
            hh.push((code("53.71.01.1002"), 1000, 4));
        }
        let t = compute_tables(&regions(), &hh, lines(), 7, chrono::Utc::now()).unwrap();
        assert_eq!(t.generation, 7);
        let v1 = t.get(&code("53.71.01.1001")).unwrap();
        assert!(!v1.suppressed);
        assert_eq!(v1.households, Some(12));
        assert_eq!(v1.population, Some(24));
        assert_eq!(v1.p0, Some(0.5));
        let v2 = t.get(&code("53.71.01.1002")).unwrap();
        assert!(v2.suppressed);
        assert_eq!(v2.households, None);
        assert_eq!(v2.p0, None);
        assert_eq!(v2.gini, None);
        // The district has 21 households: shown, and includes the small village.
        let d = t.get(&code("53.71.01")).unwrap();
        assert_eq!(d.households, Some(21));
        assert_eq!(d.population, Some(24 + 36));
        assert!((d.p0.unwrap() - 12.0 / 60.0).abs() < 1e-12);
        let dist = d.distribution.as_ref().unwrap();
        assert_eq!(dist.iter().sum::<u64>(), 60);
        // 50/100 = 0.5 → bin 2; 200/100 = 2 → bin 8; 250/100 → bin 10.
        assert_eq!(dist[2], 12);
        assert_eq!(dist[8], 12);
        assert_eq!(dist[10], 36);
        assert_eq!(d.lorenz.as_ref().unwrap().len(), LORENZ_SEGMENTS + 1);
    }

    #[test]
    fn a_region_without_households_is_suppressed() {
        let t = compute_tables(&regions(), &[], lines(), 0, chrono::Utc::now()).unwrap();
        assert!(t.get(&code("53.71")).unwrap().suppressed);
    }
}
