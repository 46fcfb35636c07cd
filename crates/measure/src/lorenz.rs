//! Lorenz curves for charts and subgroup decompositions.

use crate::engine::{Scattered, group_offsets};
use crate::stats::{Indicators, sort_pairs};
use crate::sum::Sum;
use crate::{MeasureError, Sample};

/// One point of a Lorenz curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LorenzPoint {
    /// Cumulative population share p.
    pub population_share: f64,
    /// Cumulative income share L(p).
    pub income_share: f64,
}

/// Cumulative income T(p) at each population share of `ps` (ascending, in
/// [0, 1]) over (income, weight) pairs sorted by income: the Lorenz curve
/// through (0, 0) and every observation, linearly interpolated, times T.
fn cumulative_income_at(sorted: &[(f64, f64)], ps: &[f64]) -> (Vec<f64>, f64) {
    let mut w = Sum::default();
    let mut t = Sum::default();
    for &(y, wi) in sorted {
        w.add(wi);
        t.add(wi * y);
    }
    let (w, t) = (w.value(), t.value());
    let mut out = vec![t; ps.len()];
    let mut next = 0;
    while next < ps.len() && ps[next] <= 0.0 {
        out[next] = 0.0;
        next += 1;
    }
    let mut s = Sum::default();
    let mut cum = Sum::default();
    for &(y, wi) in sorted {
        if next == ps.len() {
            break;
        }
        let (s_prev, t_prev) = (s.value(), cum.value());
        s.add(wi);
        cum.add(wi * y);
        let s_now = s.value();
        while next < ps.len() && ps[next] < 1.0 && s_now >= ps[next] * w {
            out[next] = t_prev + (ps[next] * w - s_prev) * y;
            next += 1;
        }
    }
    (out, t)
}

/// The Lorenz curve of a sample sampled at `segments + 1` equally spaced
/// population shares 0, 1/segments, …, 1 (exact values of the interpolated
/// curve, suitable for charts). `None` when the sample is empty or its total
/// income is zero.
///
/// ```
/// use sejahtera_measure::{lorenz_curve, Line, Sample};
/// let income = [1.0, 3.0];
/// let pts = lorenz_curve(&Sample::new(&income, Line::Constant(1.0)), 2).unwrap().unwrap();
/// assert_eq!(pts[1].population_share, 0.5);
/// assert_eq!(pts[1].income_share, 0.25);
/// assert_eq!(pts[2].income_share, 1.0);
/// ```
pub fn lorenz_curve(
    sample: &Sample<'_>,
    segments: usize,
) -> Result<Option<Vec<LorenzPoint>>, MeasureError> {
    sample.validate()?;
    Ok(lorenz_of(sample, segments, &mut Vec::new()))
}

fn lorenz_of(
    s: &Sample<'_>,
    segments: usize,
    pairs: &mut Vec<(f64, f64)>,
) -> Option<Vec<LorenzPoint>> {
    if s.is_empty() {
        return None;
    }
    let segments = segments.max(1);
    pairs.clear();
    pairs.extend((0..s.len()).map(|i| (s.income[i], s.w(i))));
    sort_pairs(pairs);
    let ps: Vec<f64> = (0..=segments).map(|k| k as f64 / segments as f64).collect();
    let (cum, t) = cumulative_income_at(pairs, &ps);
    (t > 0.0).then(|| {
        ps.iter()
            .zip(cum)
            .map(|(&p, c)| LorenzPoint {
                population_share: p,
                income_share: if p >= 1.0 { 1.0 } else { c / t },
            })
            .collect()
    })
}

/// [`lorenz_curve`] of every group (`groups[i]` in `0..n_groups` is the group
/// of row `i`).
pub fn lorenz_curve_by(
    sample: &Sample<'_>,
    groups: &[u32],
    n_groups: usize,
    segments: usize,
) -> Result<Vec<Option<Vec<LorenzPoint>>>, MeasureError> {
    sample.validate()?;
    let offsets = group_offsets(groups, n_groups, sample.len())?;
    let by = Scattered::new(sample, groups, &offsets)
        .map_groups(|s, pairs| lorenz_of(s, segments, pairs));
    Ok(by.into_iter().map(Option::flatten).collect())
}

/// A group's share of the population and of each total FGT index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FgtContribution {
    /// W_g / W.
    pub population_share: f64,
    /// W_g·P_{α,g} / (W·P_α) for α = 0, 1, 2; `None` when the total index is 0.
    pub share: [Option<f64>; 3],
}

/// Each group's contribution to the total FGT indices (FGT indices are
/// additively decomposable: P_α = Σ_g (W_g/W) P_{α,g}). Groups without rows
/// give `None`.
///
/// ```
/// use sejahtera_measure::{fgt_contributions, measure_by, Line, Sample};
/// let income = [10.0, 20.0, 30.0, 40.0];
/// let r = measure_by(&Sample::new(&income, Line::Constant(25.0)), &[0, 0, 0, 1], 2).unwrap();
/// let c = fgt_contributions(&r.groups, r.total.as_ref().unwrap());
/// assert_eq!(c[0].unwrap().share[0], Some(1.0));
/// assert_eq!(c[1].unwrap().population_share, 0.25);
/// ```
pub fn fgt_contributions(
    groups: &[Option<Indicators>],
    total: &Indicators,
) -> Vec<Option<FgtContribution>> {
    groups
        .iter()
        .map(|g| {
            g.as_ref().map(|g| FgtContribution {
                population_share: g.population / total.population,
                share: std::array::from_fn(|k| {
                    let tot = total.population * total.fgt[k];
                    (tot > 0.0).then(|| g.population * g.fgt[k] / tot)
                }),
            })
        })
        .collect()
}

/// Theil T split into the inequality within groups and between group means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TheilDecomposition {
    /// Σ_g s_g T_g with s_g the group's income share.
    pub within: f64,
    /// Σ_g s_g ln(μ_g / μ).
    pub between: f64,
}

/// Decomposes the total Theil T index over the groups: `within + between`
/// equals the total's `theil_t`. `None` when the total income is zero.
///
/// ```
/// use sejahtera_measure::{measure_by, theil_decomposition, Line, Sample};
/// let income = [1.0, 2.0, 3.0, 6.0];
/// let r = measure_by(&Sample::new(&income, Line::Constant(2.0)), &[0, 0, 1, 1], 2).unwrap();
/// let total = r.total.unwrap();
/// let d = theil_decomposition(&r.groups, &total).unwrap();
/// assert!((d.within + d.between - total.theil_t.unwrap()).abs() < 1e-15);
/// ```
pub fn theil_decomposition(
    groups: &[Option<Indicators>],
    total: &Indicators,
) -> Option<TheilDecomposition> {
    if total.income <= 0.0 {
        return None;
    }
    let mut within = Sum::default();
    let mut between = Sum::default();
    for g in groups.iter().flatten() {
        if g.income > 0.0 {
            let share = g.income / total.income;
            within.add(share * g.theil_t.unwrap_or(0.0));
            between.add(share * (g.mean / total.mean).ln());
        }
    }
    Some(TheilDecomposition {
        within: within.value(),
        between: between.value(),
    })
}
