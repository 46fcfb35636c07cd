//! Targeting accuracy: how well a selection of households (a decile cut-off, an
//! eligibility expression, later a program's enrollees) reaches the truly poor.
//!
//! The truth is each household's true monthly consumption, known for the demo
//! (`household_truth`). A household is *poor* when its true per-capita consumption
//! (true consumption / stored members) is strictly below its regency's poverty line
//! ([`PoorRule::PovertyLine`], the default), or, with [`PoorRule::BottomShare`], when
//! it is among the poorest share of its regency's households by true per-capita
//! consumption. The unit is the household.
//!
//! - inclusion error = selected and not poor / selected (leakage);
//! - exclusion error = poor and not selected / poor (undercoverage).

use crate::error::Error;
use crate::messages::Msg;
use std::collections::HashMap;

use sejahtera_domain::RegionCode;
use sejahtera_domain::region::Level;
use sejahtera_store::Store;

use crate::regions::poverty_line_key;
use crate::snapshot::{Area, RegistrySnapshot};

/// Who counts as poor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PoorRule {
    /// True per-capita consumption below the regency's stored poverty line.
    PovertyLine,
    /// The poorest share (0–1) of each regency's households by true per-capita consumption.
    BottomShare(f64),
}

/// The confusion table of a selection against the truth (households).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confusion {
    /// Selected and poor.
    pub selected_poor: u64,
    /// Selected, not poor (inclusion errors).
    pub selected_not_poor: u64,
    /// Poor, not selected (exclusion errors).
    pub poor_not_selected: u64,
    /// Neither selected nor poor.
    pub not_selected_not_poor: u64,
}

impl Confusion {
    /// Households assessed.
    pub fn households(&self) -> u64 {
        self.selected_poor
            + self.selected_not_poor
            + self.poor_not_selected
            + self.not_selected_not_poor
    }
    /// Selected households.
    pub fn selected(&self) -> u64 {
        self.selected_poor + self.selected_not_poor
    }
    /// Poor households.
    pub fn poor(&self) -> u64 {
        self.selected_poor + self.poor_not_selected
    }
    /// Share of the selected who are not poor (`None` when nothing is selected).
    pub fn inclusion_error(&self) -> Option<f64> {
        let s = self.selected();
        (s > 0).then(|| self.selected_not_poor as f64 / s as f64)
    }
    /// Share of the poor who are not selected (`None` when nobody is poor).
    pub fn exclusion_error(&self) -> Option<f64> {
        let p = self.poor();
        (p > 0).then(|| self.poor_not_selected as f64 / p as f64)
    }
    fn add(&mut self, selected: bool, poor: bool) {
        match (selected, poor) {
            (true, true) => self.selected_poor += 1,
            (true, false) => self.selected_not_poor += 1,
            (false, true) => self.poor_not_selected += 1,
            (false, false) => self.not_selected_not_poor += 1,
        }
    }
}

/// One district's targeting.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictTargeting {
    /// The district.
    pub district: Area,
    /// Its confusion table.
    pub confusion: Confusion,
}

/// Targeting per district and in total.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetingReport {
    /// Districts (under the chosen region), in code order.
    pub districts: Vec<DistrictTargeting>,
    /// All of them.
    pub total: Confusion,
    /// Households left out because their true consumption is unknown or they have no members.
    pub unknown: u64,
}

/// Each regency's stored poverty line (index as `snap.regencies`).
pub async fn poverty_lines(
    store: &Store,
    snap: &RegistrySnapshot,
) -> crate::error::Result<Vec<Option<f64>>> {
    let mut out = Vec::with_capacity(snap.regencies.len());
    for r in &snap.regencies {
        out.push(
            store
                .meta(&poverty_line_key(&r.code))
                .await?
                .and_then(|v| v.parse().ok()),
        );
    }
    Ok(out)
}

/// Which households are poor by the truth (`None` where unknown).
pub fn poor_by_truth(
    snap: &RegistrySnapshot,
    truth: &HashMap<u64, i64>,
    lines: &[Option<f64>],
    rule: PoorRule,
) -> crate::error::Result<Vec<Option<bool>>> {
    let n = snap.cols.households();
    let (regencies, regency_of) = snap.areas(Level::Regency);
    let pc: Vec<Option<f64>> = (0..n)
        .map(|h| {
            let size = snap.cols.members(h).len();
            truth
                .get(&snap.no_kk[h])
                .filter(|_| size > 0)
                .map(|t| *t as f64 / size as f64)
        })
        .collect();
    let regency = |h: usize| regency_of[snap.cols.village[h] as usize] as usize;
    match rule {
        PoorRule::PovertyLine => {
            let mut out = Vec::with_capacity(n);
            for (h, x) in pc.iter().enumerate() {
                out.push(match x {
                    None => None,
                    Some(x) => match lines.get(regency(h)).copied().flatten() {
                        Some(z) => Some(*x < z),
                        None => {
                            return Err(Error::Invalid(
                                Msg::new("targeting.no_line")
                                    .arg("code", &regencies[regency(h)].code)
                                    .arg("name", &regencies[regency(h)].name),
                            ));
                        }
                    },
                });
            }
            Ok(out)
        }
        PoorRule::BottomShare(q) => {
            if !(0.0..=1.0).contains(&q) {
                return Err(Error::Invalid(
                    Msg::new("targeting.bad_share").arg("share", q),
                ));
            }
            let mut out = vec![None; n];
            let mut by_regency: Vec<Vec<usize>> = vec![Vec::new(); regencies.len()];
            for (h, x) in pc.iter().enumerate() {
                if x.is_some() {
                    by_regency[regency(h)].push(h);
                }
            }
            for hs in &mut by_regency {
                hs.sort_by(|&a, &b| {
                    pc[a]
                        .unwrap_or(0.0)
                        .total_cmp(&pc[b].unwrap_or(0.0))
                        .then(snap.no_kk[a].cmp(&snap.no_kk[b]))
                });
                let cut = (q * hs.len() as f64).floor() as usize;
                for (r, &h) in hs.iter().enumerate() {
                    out[h] = Some(r < cut);
                }
            }
            Ok(out)
        }
    }
}

/// Scores a selection (one `bool` per household) against the truth, per district
/// under `under` (the whole registry when `None`) and in total.
pub fn assess(
    snap: &RegistrySnapshot,
    selected: &[bool],
    poor: &[Option<bool>],
    under: Option<&RegionCode>,
) -> TargetingReport {
    let (districts, district_of) = snap.areas(Level::District);
    let mut per = vec![Confusion::default(); districts.len()];
    let within = snap.within(under);
    let mut unknown = 0;
    for h in 0..snap.cols.households() {
        if !within[h] {
            continue;
        }
        match poor[h] {
            Some(p) => per[district_of[snap.cols.village[h] as usize] as usize].add(selected[h], p),
            None => unknown += 1,
        }
    }
    let mut total = Confusion::default();
    let mut rows = Vec::new();
    for (d, c) in districts.iter().zip(per) {
        let shown = match under {
            None => true,
            Some(u) => &d.code == u || d.code.is_under(u) || u.is_under(&d.code),
        };
        if shown {
            total.selected_poor += c.selected_poor;
            total.selected_not_poor += c.selected_not_poor;
            total.poor_not_selected += c.poor_not_selected;
            total.not_selected_not_poor += c.not_selected_not_poor;
            rows.push(DistrictTargeting {
                district: d.clone(),
                confusion: c,
            });
        }
    }
    TargetingReport {
        districts: rows,
        total,
        unknown,
    }
}

/// The whole use case: loads the registry, selects with `expr`, scores the
/// selection against the truth (the CLI's `targeting` and the planners' page).
pub async fn run(
    store: &Store,
    regions: &sejahtera_domain::Regions,
    expr: &str,
    under: Option<&RegionCode>,
    rule: PoorRule,
    reference_date: chrono::NaiveDate,
) -> crate::error::Result<TargetingReport> {
    let program = crate::eligibility::compile(expr)?;
    let snap = crate::snapshot::load(store, regions, reference_date, false).await?;
    let truth = store.true_consumption().await?;
    if truth.is_empty() {
        return Err(Error::Invalid(Msg::new("targeting.no_truth")));
    }
    let lines = poverty_lines(store, &snap).await?;
    let selected = crate::eligibility::select(&snap, &program, under)?;
    let poor = poor_by_truth(&snap, &truth, &lines, rule)?;
    Ok(assess(&snap, &selected, &poor, under))
}

/// Scores a program's enrollees (every household that has held a place in it)
/// against the truth, like [`run`] scores an expression's matches.
pub async fn run_program(
    store: &Store,
    regions: &sejahtera_domain::Regions,
    program_id: i64,
    under: Option<&RegionCode>,
    rule: PoorRule,
    reference_date: chrono::NaiveDate,
) -> crate::error::Result<TargetingReport> {
    let program = crate::programs::find(store, program_id).await?;
    let state =
        sejahtera_domain::programs::Enrollments::from_events(&store.enrollment_events().await?);
    let snap = crate::snapshot::load(store, regions, reference_date, false).await?;
    let truth = store.true_consumption().await?;
    if truth.is_empty() {
        return Err(Error::Invalid(Msg::new("targeting.no_truth")));
    }
    let lines = poverty_lines(store, &snap).await?;
    let selected: Vec<bool> = snap
        .no_kk
        .iter()
        .map(|kk| state.ever_enrolled(program.id, *kk))
        .collect();
    let poor = poor_by_truth(&snap, &truth, &lines, rule)?;
    Ok(assess(&snap, &selected, &poor, under))
}
