//! Alkire–Foster multidimensional poverty (adjusted headcount M0).

use rayon::prelude::*;

use crate::MeasureError;
use crate::engine::Partition;
use crate::sum::Sum;

/// Tolerance of the poverty cutoff: a deprivation score c is poor when
/// c ≥ k − 1e-9, so that scores equal to the cutoff in exact arithmetic are
/// not lost to decimal rounding of the weights (e.g. three weights of 1/3).
pub const CUTOFF_TOLERANCE: f64 = 1e-9;

/// Indicator names, their weights (positive, summing to 1) and the cutoff k.
#[derive(Debug, Clone, PartialEq)]
pub struct MpiSpec {
    names: Vec<String>,
    weights: Vec<f64>,
    cutoff: f64,
}

impl MpiSpec {
    /// Validates the specification: at least one indicator, finite positive
    /// weights summing to 1 (within 1e-6) and a cutoff in (0, 1].
    ///
    /// ```
    /// use sejahtera_measure::MpiSpec;
    /// assert!(MpiSpec::new(vec![("water".into(), 0.5), ("school".into(), 0.5)], 0.5).is_ok());
    /// assert!(MpiSpec::new(vec![("water".into(), 0.5)], 0.5).is_err());
    /// ```
    pub fn new(indicators: Vec<(String, f64)>, cutoff: f64) -> Result<MpiSpec, MeasureError> {
        if indicators.is_empty() {
            return Err(MeasureError::InvalidMpiWeights("no indicator".into()));
        }
        let mut sum = Sum::default();
        for (name, w) in &indicators {
            if !(w.is_finite() && *w > 0.0) {
                return Err(MeasureError::InvalidMpiWeights(format!(
                    "weight of `{name}` is {w}, not positive"
                )));
            }
            sum.add(*w);
        }
        if (sum.value() - 1.0).abs() > 1e-6 {
            return Err(MeasureError::InvalidMpiWeights(format!(
                "weights sum to {}, not 1",
                sum.value()
            )));
        }
        if !(cutoff > 0.0 && cutoff <= 1.0) {
            return Err(MeasureError::InvalidCutoff(cutoff));
        }
        let (names, weights) = indicators.into_iter().unzip();
        Ok(MpiSpec {
            names,
            weights,
            cutoff,
        })
    }

    /// Indicator names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Indicator weights, in order.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The poverty cutoff k.
    pub fn cutoff(&self) -> f64 {
        self.cutoff
    }
}

/// Alkire–Foster results of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Mpi {
    /// Number of rows.
    pub n: usize,
    /// Σ w.
    pub population: f64,
    /// Σ w over the multidimensionally poor (score c ≥ k).
    pub poor_population: f64,
    /// Headcount ratio H = poor population / population.
    pub h: f64,
    /// Intensity A: mean score of the poor; `None` when nobody is poor.
    pub a: Option<f64>,
    /// Adjusted headcount M0 = H·A = (1/W) Σ_poor w·c.
    pub m0: f64,
    /// Censored headcount of each indicator: (1/W) Σ_poor w·d_j.
    pub censored_headcount: Vec<f64>,
    /// Contribution of each indicator to M0: w_j·CH_j / M0; `None` when M0 = 0.
    pub contribution: Vec<Option<f64>>,
}

/// MPI of every group and of the whole sample.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedMpi {
    /// Results of group code `g` at index `g`; `None` for a code without rows.
    pub groups: Vec<Option<Mpi>>,
    /// Results of all rows (`None` when there are no rows).
    pub total: Option<Mpi>,
}

#[derive(Debug, Clone)]
struct MpiAcc {
    n: usize,
    w: Sum,
    poor_w: Sum,
    poor_wc: Sum,
    poor_wd: Vec<Sum>,
}

impl MpiAcc {
    fn new(k: usize) -> Self {
        MpiAcc {
            n: 0,
            w: Sum::default(),
            poor_w: Sum::default(),
            poor_wc: Sum::default(),
            poor_wd: vec![Sum::default(); k],
        }
    }

    fn add_row(&mut self, spec: &MpiSpec, d: &[&[f64]], w: f64, i: usize) {
        self.n += 1;
        self.w.add(w);
        let c: f64 = spec
            .weights
            .iter()
            .zip(d)
            .map(|(wj, col)| wj * col[i])
            .sum();
        if c >= spec.cutoff - CUTOFF_TOLERANCE {
            self.poor_w.add(w);
            self.poor_wc.add(w * c);
            for (acc, col) in self.poor_wd.iter_mut().zip(d) {
                acc.add(w * col[i]);
            }
        }
    }

    fn merge(mut self, o: MpiAcc) -> MpiAcc {
        self.n += o.n;
        self.w.merge(o.w);
        self.poor_w.merge(o.poor_w);
        self.poor_wc.merge(o.poor_wc);
        for (a, b) in self.poor_wd.iter_mut().zip(o.poor_wd) {
            a.merge(b);
        }
        self
    }

    fn finish(&self, spec: &MpiSpec) -> Mpi {
        let w = self.w.value();
        let poor = self.poor_w.value();
        let m0 = self.poor_wc.value() / w;
        let ch: Vec<f64> = self.poor_wd.iter().map(|s| s.value() / w).collect();
        Mpi {
            n: self.n,
            population: w,
            poor_population: poor,
            h: poor / w,
            a: (poor > 0.0).then(|| self.poor_wc.value() / poor),
            m0,
            contribution: ch
                .iter()
                .zip(&spec.weights)
                .map(|(c, wj)| (m0 > 0.0).then(|| wj * c / m0))
                .collect(),
            censored_headcount: ch,
        }
    }
}

fn validate(spec: &MpiSpec, d: &[&[f64]], weight: Option<&[f64]>) -> Result<usize, MeasureError> {
    if d.len() != spec.weights.len() {
        return Err(MeasureError::InvalidMpiWeights(format!(
            "{} indicator columns for {} weights",
            d.len(),
            spec.weights.len()
        )));
    }
    let n = d[0].len();
    for (j, col) in d.iter().enumerate() {
        if col.len() != n {
            return Err(MeasureError::LengthMismatch {
                column: "indicator",
                expected: n,
                actual: col.len(),
            });
        }
        if let Some(i) = col.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(MeasureError::InvalidDeprivation {
                row: i,
                indicator: spec.names[j].clone(),
                value: col[i],
            });
        }
    }
    if let Some(w) = weight {
        if w.len() != n {
            return Err(MeasureError::LengthMismatch {
                column: "weight",
                expected: n,
                actual: w.len(),
            });
        }
        if let Some(i) = w.iter().position(|&v| !(v > 0.0 && v.is_finite())) {
            return Err(MeasureError::InvalidWeight {
                row: i,
                value: w[i],
            });
        }
    }
    Ok(n)
}

/// Alkire–Foster MPI of one sample. `deprivations[j][i]` is 1 when row `i` is
/// deprived in indicator `j`, else 0; `weight` are optional sampling weights.
///
/// ```
/// use sejahtera_measure::{mpi, MpiSpec};
/// let spec = MpiSpec::new(vec![("water".into(), 0.5), ("school".into(), 0.25), ("health".into(), 0.25)], 0.5).unwrap();
/// let water = [1.0, 1.0, 0.0, 0.0];
/// let school = [1.0, 0.0, 1.0, 0.0];
/// let health = [0.0, 0.0, 1.0, 0.0];
/// let r = mpi(&spec, &[&water, &school, &health], None).unwrap().unwrap();
/// assert_eq!(r.h, 0.75);            // scores 0.75, 0.5, 0.5, 0
/// assert_eq!(r.m0, 1.75 / 4.0);
/// assert_eq!(r.censored_headcount, vec![0.5, 0.5, 0.25]);
/// ```
pub fn mpi(
    spec: &MpiSpec,
    deprivations: &[&[f64]],
    weight: Option<&[f64]>,
) -> Result<Option<Mpi>, MeasureError> {
    let n = validate(spec, deprivations, weight)?;
    if n == 0 {
        return Ok(None);
    }
    let acc = (0..n)
        .into_par_iter()
        .fold(
            || MpiAcc::new(spec.weights.len()),
            |mut a, i| {
                a.add_row(spec, deprivations, weight.map_or(1.0, |w| w[i]), i);
                a
            },
        )
        .reduce(|| MpiAcc::new(spec.weights.len()), MpiAcc::merge);
    Ok(Some(acc.finish(spec)))
}

/// [`mpi`] of every group (`groups[i]` in `0..n_groups`) and of all rows.
///
/// ```
/// use sejahtera_measure::{mpi_by, MpiSpec};
/// let spec = MpiSpec::new(vec![("a".into(), 0.5), ("b".into(), 0.5)], 1.0).unwrap();
/// let (a, b) = ([1.0, 1.0, 0.0], [1.0, 0.0, 0.0]);
/// let r = mpi_by(&spec, &[&a, &b], None, &[0, 1, 1], 2).unwrap();
/// assert_eq!(r.groups[0].as_ref().unwrap().h, 1.0);
/// assert_eq!(r.groups[1].as_ref().unwrap().h, 0.0);
/// assert!((r.total.unwrap().h - 1.0 / 3.0).abs() < 1e-15);
/// ```
pub fn mpi_by(
    spec: &MpiSpec,
    deprivations: &[&[f64]],
    weight: Option<&[f64]>,
    groups: &[u32],
    n_groups: usize,
) -> Result<GroupedMpi, MeasureError> {
    let total = mpi(spec, deprivations, weight)?;
    let n = total.as_ref().map_or(0, |t| t.n);
    let part = Partition::new(groups, n_groups, n)?;
    let by = (0..n_groups)
        .into_par_iter()
        .map(|g| {
            let rows = &part.rows[part.offsets[g]..part.offsets[g + 1]];
            (!rows.is_empty()).then(|| {
                let mut acc = MpiAcc::new(spec.weights.len());
                for &r in rows {
                    let r = r as usize;
                    acc.add_row(spec, deprivations, weight.map_or(1.0, |w| w[r]), r);
                }
                acc.finish(spec)
            })
        })
        .collect();
    Ok(GroupedMpi { groups: by, total })
}
