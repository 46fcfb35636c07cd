//! Synthetic control, synthetic difference-in-differences (Arkhangelsky,
//! Athey, Hirshberg, Imbens & Wager 2021) and plain DiD for one treated unit,
//! following the `synthdid` reference implementation: Frank–Wolfe solver for
//! simplex weights with ridge regularization `ζ`, noise level from the
//! controls' first differences, `ζ_ω = (N₁T₁)^{1/4}·σ`, `ζ_λ = 10⁻⁶·σ`,
//! intercepts, 100 iterations, sparsification (weights ≤ max/4 set to zero)
//! and a restart with up to 10 000 iterations. Placebo standard errors
//! re-estimate with a randomly drawn control playing the treated unit.

use crate::rng::Rng;
use crate::{Error, Result};

/// Estimator for [`estimate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynthMethod {
    /// Classic synthetic control: simplex unit weights, no intercept, no time weights.
    Sc,
    /// Synthetic difference-in-differences.
    Sdid,
    /// Difference-in-differences with uniform weights.
    Did,
}

/// Outcome matrix with controls first and the treated unit last.
#[derive(Debug, Clone)]
pub struct SynthPanel {
    /// `y[i * t + s]`: unit `i` (controls `0..n0`, treated `n0`), period `s`.
    y: Vec<f64>,
    n0: usize,
    t: usize,
    t0: usize,
    control_ids: Vec<u64>,
    times: Vec<i64>,
}

impl SynthPanel {
    /// Build from a balanced long panel; `treated` is the treated unit's id
    /// and `from` its first treated period.
    pub fn from_long(
        unit: &[u64],
        time: &[i64],
        y: &[f64],
        treated: u64,
        from: i64,
    ) -> Result<Self> {
        let rows = unit.len();
        if time.len() != rows || y.len() != rows {
            return Err(Error::Length {
                name: "time/y",
                got: time.len().min(y.len()),
                expected: rows,
            });
        }
        if let Some(r) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                name: "y".into(),
                row: r,
            });
        }
        let mut ids: Vec<u64> = unit.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut times: Vec<i64> = time.to_vec();
        times.sort_unstable();
        times.dedup();
        if !ids.contains(&treated) {
            return Err(Error::Invalid(format!(
                "treated unit {treated} is not in the panel"
            )));
        }
        let controls: Vec<u64> = ids.iter().copied().filter(|u| *u != treated).collect();
        let n0 = controls.len();
        let t = times.len();
        if n0 < 2 {
            return Err(Error::EmptyGroup(
                "at least two comparison units are needed".into(),
            ));
        }
        if rows != (n0 + 1) * t {
            return Err(Error::Panel(format!(
                "the panel is not balanced: {rows} rows for {} units and {t} periods",
                n0 + 1
            )));
        }
        let t0 = times.iter().filter(|s| **s < from).count();
        if t0 < 2 {
            return Err(Error::Invalid(format!(
                "at least two periods before {from} are needed"
            )));
        }
        if t0 == t {
            return Err(Error::Invalid(format!("no period at or after {from}")));
        }
        let pos = |u: u64| {
            if u == treated {
                n0
            } else {
                controls.binary_search(&u).unwrap_or(usize::MAX)
            }
        };
        let mut m = vec![f64::NAN; (n0 + 1) * t];
        for r in 0..rows {
            let i = pos(unit[r]);
            let s = times.binary_search(&time[r]).unwrap_or(usize::MAX);
            if i == usize::MAX || s == usize::MAX || !m[i * t + s].is_nan() {
                return Err(Error::Panel(format!(
                    "row {r}: duplicate unit-period ({}, {})",
                    unit[r], time[r]
                )));
            }
            m[i * t + s] = y[r];
        }
        Ok(SynthPanel {
            y: m,
            n0,
            t,
            t0,
            control_ids: controls,
            times,
        })
    }

    /// Comparison unit ids, in weight order.
    pub fn control_ids(&self) -> &[u64] {
        &self.control_ids
    }

    /// Pre-treatment periods, in time-weight order.
    pub fn pre_times(&self) -> &[i64] {
        &self.times[..self.t0]
    }

    /// Number of post-treatment periods.
    pub fn n_post(&self) -> usize {
        self.t - self.t0
    }

    fn at(&self, i: usize, s: usize) -> f64 {
        self.y[i * self.t + s]
    }
}

/// Estimated effect and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthEstimate {
    /// Average effect on the treated unit over the post-treatment periods.
    pub att: f64,
    /// Weights of the comparison units (sum to one).
    pub unit_weights: Vec<f64>,
    /// Weights of the pre-treatment periods (sum to one; zero for `sc`).
    pub time_weights: Vec<f64>,
}

/// Frank–Wolfe for `min ζ²‖x‖² + ‖A x − b‖²/n` over the simplex (synthdid's `sc.weight.fw`).
/// `a` is row-major `n × k`.
#[allow(clippy::too_many_arguments)]
fn sc_weight_fw(
    a: &[f64],
    b: &[f64],
    n: usize,
    k: usize,
    x0: Option<Vec<f64>>,
    intercept: bool,
    zeta: f64,
    min_decrease: f64,
    max_iter: usize,
) -> Vec<f64> {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    if intercept {
        for j in 0..k {
            let m = (0..n).map(|i| a[i * k + j]).sum::<f64>() / n as f64;
            for i in 0..n {
                a[i * k + j] -= m;
            }
        }
        let mb = b.iter().sum::<f64>() / n as f64;
        b.iter_mut().for_each(|v| *v -= mb);
    }
    let mut x = x0.unwrap_or_else(|| vec![1.0 / k as f64; k]);
    let eta = n as f64 * zeta * zeta;
    let mut vals: Vec<f64> = Vec::new();
    let mut t = 0;
    loop {
        if t >= max_iter {
            break;
        }
        if t >= 2 && vals[t - 2] - vals[t - 1] <= min_decrease * min_decrease {
            break;
        }
        t += 1;
        // fw step
        let ax: Vec<f64> = (0..n)
            .map(|i| (0..k).map(|j| a[i * k + j] * x[j]).sum())
            .collect();
        let mut best = 0;
        let mut best_v = f64::INFINITY;
        for j in 0..k {
            let g: f64 = (0..n).map(|i| (ax[i] - b[i]) * a[i * k + j]).sum::<f64>() + eta * x[j];
            if g < best_v {
                best_v = g;
                best = j;
            }
        }
        let mut dx: Vec<f64> = x.iter().map(|v| -v).collect();
        dx[best] = 1.0 - x[best];
        if dx.iter().all(|v| *v == 0.0) {
            let err: f64 = (0..n).map(|i| (ax[i] - b[i]).powi(2)).sum();
            vals.push(zeta * zeta * x.iter().map(|v| v * v).sum::<f64>() + err / n as f64);
            continue;
        }
        let derr: Vec<f64> = (0..n).map(|i| a[i * k + best] - ax[i]).collect();
        // exact line search of ‖Ax − b‖² + η‖x‖² along dx
        let num: f64 = -((0..n).map(|i| derr[i] * (ax[i] - b[i])).sum::<f64>()
            + eta * x.iter().zip(&dx).map(|(a, d)| a * d).sum::<f64>());
        let den: f64 =
            derr.iter().map(|v| v * v).sum::<f64>() + eta * dx.iter().map(|v| v * v).sum::<f64>();
        let step = (num / den).clamp(0.0, 1.0);
        let step = if step.is_finite() { step } else { 0.0 };
        for j in 0..k {
            x[j] += step * dx[j];
        }
        let err: f64 = (0..n)
            .map(|i| {
                let v: f64 = (0..k).map(|j| a[i * k + j] * x[j]).sum::<f64>() - b[i];
                v * v
            })
            .sum();
        vals.push(zeta * zeta * x.iter().map(|v| v * v).sum::<f64>() + err / n as f64);
    }
    x
}

fn sparsify(v: &[f64]) -> Vec<f64> {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = v
        .iter()
        .map(|x| if *x <= m / 4.0 { 0.0 } else { *x })
        .collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|x| x / s).collect()
}

/// Estimate the effect on the treated unit.
pub fn estimate(p: &SynthPanel, method: SynthMethod) -> Result<SynthEstimate> {
    let (n0, t0, t) = (p.n0, p.t0, p.t);
    let t1 = t - t0;
    // noise level: sd of first differences of the controls' pre-period outcomes
    let diffs: Vec<f64> = (0..n0)
        .flat_map(|i| (1..t0).map(move |s| (i, s)))
        .map(|(i, s)| p.at(i, s) - p.at(i, s - 1))
        .collect();
    let md = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let noise = if diffs.len() > 1 {
        (diffs.iter().map(|d| (d - md).powi(2)).sum::<f64>() / (diffs.len() - 1) as f64).sqrt()
    } else {
        0.0
    };
    let min_decrease = 1e-5 * noise;
    let treated_pre: Vec<f64> = (0..t0).map(|s| p.at(n0, s)).collect();
    // unit-weight problem: rows = pre periods, columns = controls
    let mut ao = vec![0.0; t0 * n0];
    for s in 0..t0 {
        for i in 0..n0 {
            ao[s * n0 + i] = p.at(i, s);
        }
    }
    let (omega, lambda) = match method {
        SynthMethod::Did => (vec![1.0 / n0 as f64; n0], vec![1.0 / t0 as f64; t0]),
        SynthMethod::Sc => {
            let zeta = 1e-6 * noise;
            let w = sc_weight_fw(
                &ao,
                &treated_pre,
                t0,
                n0,
                None,
                false,
                zeta,
                min_decrease,
                100,
            );
            let w = sc_weight_fw(
                &ao,
                &treated_pre,
                t0,
                n0,
                Some(sparsify(&w)),
                false,
                zeta,
                min_decrease,
                10_000,
            );
            (w, vec![0.0; t0])
        }
        SynthMethod::Sdid => {
            let zeta_o = (t1 as f64).powf(0.25) * noise;
            let zeta_l = 1e-6 * noise;
            let w = sc_weight_fw(
                &ao,
                &treated_pre,
                t0,
                n0,
                None,
                true,
                zeta_o,
                min_decrease,
                100,
            );
            let w = sc_weight_fw(
                &ao,
                &treated_pre,
                t0,
                n0,
                Some(sparsify(&w)),
                true,
                zeta_o,
                min_decrease,
                10_000,
            );
            // time-weight problem: rows = controls, columns = pre periods, target = post mean
            let mut al = vec![0.0; n0 * t0];
            let mut bl = vec![0.0; n0];
            for i in 0..n0 {
                for s in 0..t0 {
                    al[i * t0 + s] = p.at(i, s);
                }
                bl[i] = (t0..t).map(|s| p.at(i, s)).sum::<f64>() / t1 as f64;
            }
            let l = sc_weight_fw(&al, &bl, n0, t0, None, true, zeta_l, min_decrease, 100);
            let l = sc_weight_fw(
                &al,
                &bl,
                n0,
                t0,
                Some(sparsify(&l)),
                true,
                zeta_l,
                min_decrease,
                10_000,
            );
            (w, l)
        }
    };
    // tau = (−ω, 1)ᵀ Y (−λ, 1/T1)
    let unit_contrast =
        |s: usize| p.at(n0, s) - (0..n0).map(|i| omega[i] * p.at(i, s)).sum::<f64>();
    let post: f64 = (t0..t).map(unit_contrast).sum::<f64>() / t1 as f64;
    let pre: f64 = (0..t0).map(|s| lambda[s] * unit_contrast(s)).sum();
    Ok(SynthEstimate {
        att: post - pre,
        unit_weights: omega,
        time_weights: lambda,
    })
}

/// Placebo standard error (synthdid's `vcov(method = "placebo")`): in each
/// of `reps` replications a randomly drawn comparison unit is treated as if
/// it were the treated one, the estimator is re-run on the comparison units
/// only, and the standard error is `√((r−1)/r) · sd(placebo estimates)`.
pub fn placebo_se(p: &SynthPanel, method: SynthMethod, reps: usize, seed: u64) -> Result<f64> {
    if p.n0 < 3 {
        return Err(Error::EmptyGroup(
            "placebo standard errors need at least three comparison units".into(),
        ));
    }
    if reps < 2 {
        return Err(Error::Invalid(
            "at least two placebo replications are needed".into(),
        ));
    }
    let mut rng = Rng::new(seed);
    let mut est = Vec::with_capacity(reps);
    for _ in 0..reps {
        let pick = rng.below(p.n0);
        let mut y = Vec::with_capacity(p.n0 * p.t);
        for i in (0..p.n0).filter(|i| *i != pick) {
            y.extend_from_slice(&p.y[i * p.t..(i + 1) * p.t]);
        }
        y.extend_from_slice(&p.y[pick * p.t..(pick + 1) * p.t]);
        let q = SynthPanel {
            y,
            n0: p.n0 - 1,
            t: p.t,
            t0: p.t0,
            control_ids: vec![],
            times: p.times.clone(),
        };
        est.push(estimate(&q, method)?.att);
    }
    let r = est.len() as f64;
    let m = est.iter().sum::<f64>() / r;
    let sd = (est.iter().map(|e| (e - m).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    Ok(((r - 1.0) / r).sqrt() * sd)
}
