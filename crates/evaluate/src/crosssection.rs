//! Cross-section program effects: logit propensity scores, inverse
//! probability weighting and doubly robust ATT, nearest-neighbour matching on
//! the propensity score with a caliper, and a covariate balance table.
//!
//! The IPW and doubly robust ATT are the two-period estimators of
//! [`crate::drdid`] with a zero pre-period outcome (standardized IPW and the
//! traditional doubly robust estimator), so they carry the same exact
//! influence functions, including the estimation effect of the propensity
//! score and outcome regression.

use crate::drdid::{self, DidEstimate, DrDidMethod, TwoPeriodPanel};
use crate::linalg::{self, Design};
use crate::{Error, Result};

/// Outcome, treatment and covariates of one cross-section.
#[derive(Debug, Clone)]
pub struct CrossSection {
    y: Vec<f64>,
    d: Vec<bool>,
    x: Design,
    cov: Vec<Vec<f64>>,
}

impl CrossSection {
    /// Build from columns (an intercept is added to `covariates`).
    pub fn new(y: &[f64], d: &[bool], covariates: &[&[f64]]) -> Result<Self> {
        let zero = vec![0.0; y.len()];
        let p = TwoPeriodPanel::new(y, &zero, d, covariates)?;
        Ok(CrossSection {
            y: p.y1,
            d: p.d,
            x: p.x,
            cov: covariates.iter().map(|c| c.to_vec()).collect(),
        })
    }

    fn as_panel(&self) -> TwoPeriodPanel {
        TwoPeriodPanel {
            y1: self.y.clone(),
            y0: vec![0.0; self.y.len()],
            d: self.d.clone(),
            x: self.x.clone(),
        }
    }
}

/// Logit propensity scores `P(D = 1 | X)`.
pub fn propensity_scores(cs: &CrossSection) -> Result<Vec<f64>> {
    let ones = vec![1.0; cs.d.len()];
    let b = linalg::logit(&cs.x, &cs.d, &ones)?;
    Ok(linalg::logistic_fitted(&cs.x, &b))
}

/// Normalized (Hájek) IPW estimate of the ATT.
pub fn ipw_att(cs: &CrossSection) -> Result<DidEstimate> {
    drdid::estimate(&cs.as_panel(), DrDidMethod::StdIpw)
}

/// Doubly robust (augmented IPW) estimate of the ATT.
pub fn dr_att(cs: &CrossSection) -> Result<DidEstimate> {
    drdid::estimate(&cs.as_panel(), DrDidMethod::DrTrad)
}

/// Result of [`match_att`].
#[derive(Debug, Clone, PartialEq)]
pub struct MatchResult {
    /// ATT over the matched treated units.
    pub att: f64,
    /// Abadie–Imbens (2006) standard error (see [`match_att`]).
    pub se: f64,
    /// Treated units matched (within the caliper).
    pub n_matched: usize,
    /// Treated units dropped for lack of a control within the caliper.
    pub n_unmatched: usize,
    /// Matching weight of every unit: 1 for matched treated units, `K/M`
    /// for a control used `K` times, 0 otherwise.
    pub weights: Vec<f64>,
}

/// Nearest-neighbour matching on the propensity score, `m` neighbours with
/// replacement, ties broken by lower row index. `caliper` (in standard
/// deviations of the propensity score) drops treated units whose nearest
/// control is farther. Standard error: Abadie & Imbens (2006) for the ATT,
/// `V = N₁⁻² [Σ_treated (Yᵢ − Ŷ₀ᵢ − τ)² + Σ_controls K(K−1)/M² σ̂²ⱼ]`, with
/// `σ̂²ⱼ` from the nearest other control (`(Yⱼ − Yₗ)²/2`).
pub fn match_att(cs: &CrossSection, m: usize, caliper: Option<f64>) -> Result<MatchResult> {
    if m == 0 {
        return Err(Error::Invalid("at least one neighbour is needed".into()));
    }
    let ps = propensity_scores(cs)?;
    let n = ps.len();
    let mean = ps.iter().sum::<f64>() / n as f64;
    let sd = (ps.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let mut controls: Vec<usize> = (0..n).filter(|&i| !cs.d[i]).collect();
    controls.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]).then(a.cmp(&b)));
    if controls.len() < m + 1 {
        return Err(Error::EmptyGroup(
            "too few comparison units to match".into(),
        ));
    }
    let nearest = |p: f64, k: usize, skip: Option<usize>| -> Vec<usize> {
        // expand from the insertion point in the sorted controls
        let pos = controls.partition_point(|&c| ps[c] < p);
        let (mut lo, mut hi) = (pos, pos);
        let mut out = Vec::with_capacity(k);
        while out.len() < k && (lo > 0 || hi < controls.len()) {
            let left = if lo > 0 { Some(controls[lo - 1]) } else { None };
            let right = if hi < controls.len() {
                Some(controls[hi])
            } else {
                None
            };
            let pick_left = match (left, right) {
                (Some(l), Some(r)) => {
                    let (dl, dr) = ((p - ps[l]).abs(), (ps[r] - p).abs());
                    dl < dr || (dl == dr && l < r)
                }
                (Some(_), None) => true,
                _ => false,
            };
            let c = if pick_left {
                lo -= 1;
                controls[lo]
            } else {
                hi += 1;
                controls[hi - 1]
            };
            if Some(c) != skip {
                out.push(c);
            }
        }
        out
    };
    let mut weights = vec![0.0; n];
    let mut k_used = vec![0usize; n];
    let mut diffs = Vec::new();
    let mut unmatched = 0;
    for i in (0..n).filter(|&i| cs.d[i]) {
        let nb = nearest(ps[i], m, None);
        if let Some(c) = caliper
            && nb.iter().any(|&j| (ps[j] - ps[i]).abs() > c * sd)
        {
            unmatched += 1;
            continue;
        }
        let y0 = nb.iter().map(|&j| cs.y[j]).sum::<f64>() / m as f64;
        for &j in &nb {
            k_used[j] += 1;
        }
        weights[i] = 1.0;
        diffs.push(cs.y[i] - y0);
    }
    let n1 = diffs.len();
    if n1 == 0 {
        return Err(Error::EmptyGroup(
            "no treated unit has a match within the caliper".into(),
        ));
    }
    let att = diffs.iter().sum::<f64>() / n1 as f64;
    let mf = m as f64;
    let mut v = diffs.iter().map(|d| (d - att).powi(2)).sum::<f64>();
    for &j in &controls {
        if k_used[j] > 0 {
            weights[j] = k_used[j] as f64 / mf;
            let k = k_used[j] as f64;
            let l = nearest(ps[j], 1, Some(j))[0];
            let s2 = (cs.y[j] - cs.y[l]).powi(2) / 2.0;
            v += k * (k - 1.0) / (mf * mf) * s2;
        }
    }
    Ok(MatchResult {
        att,
        se: v.sqrt() / n1 as f64,
        n_matched: n1,
        n_unmatched: unmatched,
        weights,
    })
}

/// One row of the balance table.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceRow {
    /// Covariate index (0-based, in the order given).
    pub covariate: usize,
    /// Treated mean.
    pub mean_treated: f64,
    /// Comparison mean before adjustment.
    pub mean_control: f64,
    /// Comparison mean after adjustment (weighted by `weights`).
    pub mean_control_adjusted: f64,
    /// Standardized difference before: `(m₁ − m₀)/√((s₁² + s₀²)/2)`.
    pub std_diff_before: f64,
    /// Standardized difference after adjustment (same denominator).
    pub std_diff_after: f64,
}

/// Balance of each covariate before and after adjustment. `weights` are
/// unit weights after adjustment (e.g. [`MatchResult::weights`], or
/// `ps/(1 − ps)` for comparison units and 1 for treated units for IPW);
/// treated means after adjustment use the treated units' weights too.
pub fn balance_table(cs: &CrossSection, weights: &[f64]) -> Result<Vec<BalanceRow>> {
    let n = cs.d.len();
    if weights.len() != n {
        return Err(Error::Length {
            name: "weights",
            got: weights.len(),
            expected: n,
        });
    }
    let wmean = |col: &[f64], pick: bool, w: Option<&[f64]>| {
        let (mut s, mut c) = (0.0, 0.0);
        for i in (0..n).filter(|&i| cs.d[i] == pick) {
            let wi = w.map_or(1.0, |w| w[i]);
            s += wi * col[i];
            c += wi;
        }
        s / c
    };
    let var = |col: &[f64], pick: bool| {
        let m = wmean(col, pick, None);
        let v: Vec<f64> = (0..n)
            .filter(|&i| cs.d[i] == pick)
            .map(|i| (col[i] - m).powi(2))
            .collect();
        v.iter().sum::<f64>() / (v.len() as f64 - 1.0)
    };
    Ok(cs
        .cov
        .iter()
        .enumerate()
        .map(|(j, col)| {
            let (m1, m0) = (wmean(col, true, None), wmean(col, false, None));
            let m1a = wmean(col, true, Some(weights));
            let m0a = wmean(col, false, Some(weights));
            let den = ((var(col, true) + var(col, false)) / 2.0).sqrt();
            BalanceRow {
                covariate: j,
                mean_treated: m1,
                mean_control: m0,
                mean_control_adjusted: m0a,
                std_diff_before: (m1 - m0) / den,
                std_diff_after: (m1a - m0a) / den,
            }
        })
        .collect())
}

/// IPW balancing weights for the ATT: 1 for treated units, `ps/(1 − ps)` for
/// comparison units.
pub fn ipw_weights(cs: &CrossSection) -> Result<Vec<f64>> {
    let ps = propensity_scores(cs)?;
    Ok(ps
        .iter()
        .zip(&cs.d)
        .map(|(p, d)| if *d { 1.0 } else { p / (1.0 - p) })
        .collect())
}
