//! Two-period difference-in-differences with covariates on panel data
//! (Sant'Anna & Zhao 2020; Abadie 2005; Heckman, Ichimura & Todd 1997).
//!
//! Every estimator returns the ATT and its influence function, computed
//! exactly as R `DRDID` (≥ 1.2) and Python `drdid` do, including the
//! propensity-score cap `min(ps, 1 − 1e-6)` and the trimming of comparison
//! units whose propensity score is at or above `trim_level` (0.995).
//!
//! Standard errors: `sd(IF)·√(n−1)/n`, i.e. `√(Σ(IFᵢ − mean)²)/n`, for
//! `reg`, `ipw`, `std_ipw` and `dr_trad` (DRDID's current convention), and
//! `sd(IF)/√n` for `dr_imp` (DRDID's `drdid_imp_panel`).

use crate::linalg::{self, Design, dot, inverse_checked};
use crate::stats::norm_quantile;
use crate::{Error, Result};

/// Default trimming level for comparison units' propensity scores.
pub const TRIM_LEVEL: f64 = 0.995;

/// The two-period estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrDidMethod {
    /// Outcome regression (`reg_did_panel`).
    Reg,
    /// Abadie's (2005) Horvitz–Thompson IPW (`ipw_did_panel`).
    Ipw,
    /// Standardized (Hájek) IPW (`std_ipw_did_panel`).
    StdIpw,
    /// Doubly robust, logit propensity score and OLS (`drdid_panel`).
    DrTrad,
    /// Improved, locally efficient doubly robust with inverse probability
    /// tilting (`drdid_imp_panel`).
    DrImp,
}

impl DrDidMethod {
    /// Parse `reg | ipw | std_ipw | dr_trad | dr_imp` (also `dr` = `dr_imp`).
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "reg" => DrDidMethod::Reg,
            "ipw" => DrDidMethod::Ipw,
            "std_ipw" => DrDidMethod::StdIpw,
            "dr_trad" => DrDidMethod::DrTrad,
            "dr_imp" | "dr" => DrDidMethod::DrImp,
            other => {
                return Err(Error::Invalid(format!(
                    "unknown method `{other}` (expected reg, ipw, std_ipw, dr_trad or dr_imp)"
                )));
            }
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            DrDidMethod::Reg => "reg",
            DrDidMethod::Ipw => "ipw",
            DrDidMethod::StdIpw => "std_ipw",
            DrDidMethod::DrTrad => "dr_trad",
            DrDidMethod::DrImp => "dr_imp",
        }
    }
}

/// A two-period panel: post and pre outcomes, treatment indicator and a
/// design matrix whose first column is the intercept.
#[derive(Debug, Clone)]
pub struct TwoPeriodPanel {
    /// Post-period outcome.
    pub y1: Vec<f64>,
    /// Pre-period outcome.
    pub y0: Vec<f64>,
    /// Treatment indicator.
    pub d: Vec<bool>,
    /// Covariates with intercept.
    pub x: Design,
}

impl TwoPeriodPanel {
    /// Build from columns; an intercept is prepended to `covariates`.
    pub fn new(y1: &[f64], y0: &[f64], d: &[bool], covariates: &[&[f64]]) -> Result<Self> {
        let n = d.len();
        for (name, col) in [("y1", y1), ("y0", y0)] {
            if col.len() != n {
                return Err(Error::Length {
                    name,
                    got: col.len(),
                    expected: n,
                });
            }
            if let Some(row) = col.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    name: name.into(),
                    row,
                });
            }
        }
        for (j, c) in covariates.iter().enumerate() {
            if let Some(row) = c.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    name: format!("covariate {}", j + 1),
                    row,
                });
            }
        }
        let x = Design::intercept_n(n, covariates)?;
        Self::from_design(y1.to_vec(), y0.to_vec(), d.to_vec(), x)
    }

    /// Build from a ready design matrix (first column must be the intercept).
    pub fn from_design(y1: Vec<f64>, y0: Vec<f64>, d: Vec<bool>, x: Design) -> Result<Self> {
        let n = d.len();
        if x.nrows() != n {
            return Err(Error::Length {
                name: "covariates",
                got: x.nrows(),
                expected: n,
            });
        }
        let nt = d.iter().filter(|v| **v).count();
        if nt == 0 {
            return Err(Error::EmptyGroup("no treated units".into()));
        }
        if nt == n {
            return Err(Error::EmptyGroup("no comparison units".into()));
        }
        Ok(TwoPeriodPanel { y1, y0, d, x })
    }

    /// Number of units.
    pub fn n(&self) -> usize {
        self.d.len()
    }
}

/// An ATT estimate with its influence function.
#[derive(Debug, Clone, PartialEq)]
pub struct DidEstimate {
    /// Average treatment effect on the treated.
    pub att: f64,
    /// Standard error.
    pub se: f64,
    /// Influence function (one value per unit, in input order).
    pub inf_func: Vec<f64>,
    /// Number of units.
    pub n: usize,
    /// Number of treated units.
    pub n_treated: usize,
}

impl DidEstimate {
    /// Two-sided `1 − alpha` normal confidence interval.
    pub fn ci(&self, alpha: f64) -> (f64, f64) {
        let z = norm_quantile(1.0 - alpha / 2.0);
        (self.att - z * self.se, self.att + z * self.se)
    }
}

/// Estimate the ATT with `method` (trim level 0.995 where it applies).
pub fn estimate(p: &TwoPeriodPanel, method: DrDidMethod) -> Result<DidEstimate> {
    let (att, inf) = att_and_if(p, method, TRIM_LEVEL)?;
    let n = p.n();
    let se = match method {
        DrDidMethod::DrImp => sd(&inf) / (n as f64).sqrt(),
        _ => centered_ss(&inf).sqrt() / n as f64,
    };
    Ok(DidEstimate {
        att,
        se,
        inf_func: inf,
        n,
        n_treated: p.d.iter().filter(|v| **v).count(),
    })
}

fn centered_ss(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| (x - m) * (x - m)).sum()
}

fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    (centered_ss(v) / (v.len() - 1) as f64).sqrt()
}

/// ATT and its influence function for `method` with the given trim level.
pub fn att_and_if(
    p: &TwoPeriodPanel,
    method: DrDidMethod,
    trim_level: f64,
) -> Result<(f64, Vec<f64>)> {
    att_and_if_overlap(p, method, trim_level, false)
}

/// Like [`att_and_if`]; with `overlap_check`, refuses (as R `did` does for
/// each ATT(g,t) cell) when the fitted logit propensity score reaches 0.999.
pub(crate) fn att_and_if_overlap(
    p: &TwoPeriodPanel,
    method: DrDidMethod,
    trim_level: f64,
    overlap_check: bool,
) -> Result<(f64, Vec<f64>)> {
    match method {
        DrDidMethod::Reg => reg_panel(p),
        DrDidMethod::Ipw => ipw_panel(p, trim_level, false, overlap_check),
        DrDidMethod::StdIpw => ipw_panel(p, trim_level, true, overlap_check),
        DrDidMethod::DrTrad => dr_trad_panel(p, trim_level, overlap_check),
        DrDidMethod::DrImp => dr_imp_panel(p),
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn delta_y(p: &TwoPeriodPanel) -> Vec<f64> {
    p.y1.iter().zip(&p.y0).map(|(a, b)| a - b).collect()
}

fn ind(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Outcome regression on controls: coefficients, fitted values for all and
/// the asymptotic linear representation `wols_ex · (X'WX/n)⁻¹` (n × k, row-major).
struct Ols {
    fitted: Vec<f64>,
    asy: Vec<f64>,
}

fn control_ols(x: &Design, dy: &[f64], w_ols: &[f64]) -> Result<Ols> {
    let n = x.nrows();
    let k = x.ncols();
    let beta = linalg::wls(x, dy, w_ols)?;
    let fitted = x.mul_vec(&beta);
    let xpx = x.gram(w_ols) / n as f64;
    let inv = inverse_checked(&xpx, "regression")?;
    let mut asy = vec![0.0; n * k];
    for i in 0..n {
        let wi = w_ols[i];
        if wi == 0.0 {
            continue;
        }
        let e = wi * (dy[i] - fitted[i]);
        let r = x.row(i);
        for b in 0..k {
            let mut s = 0.0;
            for a in 0..k {
                s += r[a] * inv[(a, b)];
            }
            asy[i * k + b] = e * s;
        }
    }
    Ok(Ols { fitted, asy })
}

/// `asy (n × k) · m (k)`.
fn asy_dot(asy: &[f64], k: usize, m: &[f64]) -> Vec<f64> {
    asy.chunks(k).map(|r| dot(r, m)).collect()
}

struct Pscore {
    ps: Vec<f64>,
    trim: Vec<bool>,
    /// score_ps · Hessian (n × k, row-major)
    asy: Vec<f64>,
}

/// Logit propensity score with DRDID's cap, trimming and linear representation.
fn pscore(x: &Design, d: &[bool], trim_level: f64, overlap_check: bool) -> Result<Pscore> {
    let n = x.nrows();
    let k = x.ncols();
    let ones = vec![1.0; n];
    let beta = linalg::logit(x, d, &ones)?;
    let raw = linalg::logistic_fitted(x, &beta);
    if overlap_check && raw.iter().any(|p| *p >= 0.999) {
        return Err(Error::Invalid(
            "overlap condition violated: a propensity score reaches 0.999".into(),
        ));
    }
    let ps: Vec<f64> = raw.into_iter().map(|p| p.min(1.0 - 1e-6)).collect();
    let trim: Vec<bool> = ps
        .iter()
        .zip(d)
        .map(|(p, di)| *di || *p < trim_level)
        .collect();
    let wh: Vec<f64> = ps.iter().map(|p| p * (1.0 - p)).collect();
    let info = x.gram(&wh);
    let hess = inverse_checked(&info, "propensity score")? * n as f64;
    let mut asy = vec![0.0; n * k];
    for i in 0..n {
        let s = ind(d[i]) - ps[i];
        let r = x.row(i);
        for b in 0..k {
            let mut acc = 0.0;
            for a in 0..k {
                acc += r[a] * hess[(a, b)];
            }
            asy[i * k + b] = s * acc;
        }
    }
    Ok(Pscore { ps, trim, asy })
}

fn reg_panel(p: &TwoPeriodPanel) -> Result<(f64, Vec<f64>)> {
    let n = p.n();
    let k = p.x.ncols();
    let dy = delta_y(p);
    let w_ols: Vec<f64> = p.d.iter().map(|d| 1.0 - ind(*d)).collect();
    let ols = control_ols(&p.x, &dy, &w_ols)?;
    let w_treat: Vec<f64> = p.d.iter().map(|d| ind(*d)).collect();
    let mw = mean(&w_treat);
    let att_treat: Vec<f64> = (0..n).map(|i| w_treat[i] * dy[i]).collect();
    let att_cont: Vec<f64> = (0..n).map(|i| w_treat[i] * ols.fitted[i]).collect();
    let eta_treat = mean(&att_treat) / mw;
    let eta_cont = mean(&att_cont) / mw;
    let att = eta_treat - eta_cont;
    let m1: Vec<f64> =
        p.x.weighted_col_sums(&w_treat)
            .iter()
            .map(|v| v / n as f64)
            .collect();
    let est = asy_dot(&ols.asy, k, &m1);
    let inf = (0..n)
        .map(|i| {
            let inf_treat = (att_treat[i] - w_treat[i] * eta_treat) / mw;
            let inf_cont = (att_cont[i] - w_treat[i] * eta_cont + est[i]) / mw;
            inf_treat - inf_cont
        })
        .collect();
    Ok((att, inf))
}

fn ipw_panel(
    p: &TwoPeriodPanel,
    trim_level: f64,
    standardized: bool,
    oc: bool,
) -> Result<(f64, Vec<f64>)> {
    let n = p.n();
    let k = p.x.ncols();
    let dy = delta_y(p);
    let ps = pscore(&p.x, &p.d, trim_level, oc)?;
    let w_treat: Vec<f64> = (0..n).map(|i| ind(ps.trim[i]) * ind(p.d[i])).collect();
    let w_cont: Vec<f64> = (0..n)
        .map(|i| ind(ps.trim[i]) * ps.ps[i] * (1.0 - ind(p.d[i])) / (1.0 - ps.ps[i]))
        .collect();
    let att_treat: Vec<f64> = (0..n).map(|i| w_treat[i] * dy[i]).collect();
    let att_cont: Vec<f64> = (0..n).map(|i| w_cont[i] * dy[i]).collect();
    if standardized {
        let mwt = mean(&w_treat);
        let mwc = mean(&w_cont);
        if mwt <= 0.0 || mwc <= 0.0 {
            return Err(Error::EmptyGroup(
                "no treated or comparison weight left after trimming".into(),
            ));
        }
        let eta_treat = mean(&att_treat) / mwt;
        let eta_cont = mean(&att_cont) / mwc;
        let att = eta_treat - eta_cont;
        let pre_m2: Vec<f64> = (0..n).map(|i| w_cont[i] * (dy[i] - eta_cont)).collect();
        let m2: Vec<f64> =
            p.x.weighted_col_sums(&pre_m2)
                .iter()
                .map(|v| v / n as f64)
                .collect();
        let c2 = asy_dot(&ps.asy, k, &m2);
        let inf = (0..n)
            .map(|i| {
                let it = (att_treat[i] - w_treat[i] * eta_treat) / mwt;
                let ic = (att_cont[i] - w_cont[i] * eta_cont + c2[i]) / mwc;
                it - ic
            })
            .collect();
        Ok((att, inf))
    } else {
        let md = mean(&p.d.iter().map(|d| ind(*d)).collect::<Vec<_>>());
        let eta_treat = mean(&att_treat) / md;
        let eta_cont = mean(&att_cont) / md;
        let att = eta_treat - eta_cont;
        let mom: Vec<f64> =
            p.x.weighted_col_sums(&att_cont)
                .iter()
                .map(|v| v / n as f64)
                .collect();
        let lin2 = asy_dot(&ps.asy, k, &mom);
        let inf = (0..n)
            .map(|i| (att_treat[i] - att_cont[i] - lin2[i] - ind(p.d[i]) * att) / md)
            .collect();
        Ok((att, inf))
    }
}

fn dr_trad_panel(p: &TwoPeriodPanel, trim_level: f64, oc: bool) -> Result<(f64, Vec<f64>)> {
    let n = p.n();
    let k = p.x.ncols();
    let dy = delta_y(p);
    let ps = pscore(&p.x, &p.d, trim_level, oc)?;
    let w_ols: Vec<f64> = p.d.iter().map(|d| 1.0 - ind(*d)).collect();
    let ols = control_ols(&p.x, &dy, &w_ols)?;
    let w_treat: Vec<f64> = (0..n).map(|i| ind(ps.trim[i]) * ind(p.d[i])).collect();
    let w_cont: Vec<f64> = (0..n)
        .map(|i| ind(ps.trim[i]) * ps.ps[i] * (1.0 - ind(p.d[i])) / (1.0 - ps.ps[i]))
        .collect();
    let mwt = mean(&w_treat);
    let mwc = mean(&w_cont);
    if mwt <= 0.0 || mwc <= 0.0 {
        return Err(Error::EmptyGroup(
            "no treated or comparison weight left after trimming".into(),
        ));
    }
    let resid: Vec<f64> = (0..n).map(|i| dy[i] - ols.fitted[i]).collect();
    let a_treat: Vec<f64> = (0..n).map(|i| w_treat[i] * resid[i]).collect();
    let a_cont: Vec<f64> = (0..n).map(|i| w_cont[i] * resid[i]).collect();
    let eta_treat = mean(&a_treat) / mwt;
    let eta_cont = mean(&a_cont) / mwc;
    let att = eta_treat - eta_cont;
    let nf = n as f64;
    let m1: Vec<f64> =
        p.x.weighted_col_sums(&w_treat)
            .iter()
            .map(|v| v / nf)
            .collect();
    let t2 = asy_dot(&ols.asy, k, &m1);
    let pre_m2: Vec<f64> = (0..n).map(|i| w_cont[i] * (resid[i] - eta_cont)).collect();
    let m2: Vec<f64> =
        p.x.weighted_col_sums(&pre_m2)
            .iter()
            .map(|v| v / nf)
            .collect();
    let c2 = asy_dot(&ps.asy, k, &m2);
    let m3: Vec<f64> =
        p.x.weighted_col_sums(&w_cont)
            .iter()
            .map(|v| v / nf)
            .collect();
    let c3 = asy_dot(&ols.asy, k, &m3);
    let inf = (0..n)
        .map(|i| {
            let it = (a_treat[i] - w_treat[i] * eta_treat - t2[i]) / mwt;
            let ic = (a_cont[i] - w_cont[i] * eta_cont + c2[i] - c3[i]) / mwc;
            it - ic
        })
        .collect();
    Ok((att, inf))
}

fn dr_imp_panel(p: &TwoPeriodPanel) -> Result<(f64, Vec<f64>)> {
    let n = p.n();
    let dy = delta_y(p);
    let ones = vec![1.0; n];
    let gamma = linalg::ipt(&p.x, &p.d, &ones)?;
    let ps: Vec<f64> = linalg::logistic_fitted(&p.x, &gamma)
        .into_iter()
        .map(|v| v.min(1.0 - 1e-6))
        .collect();
    let w_ols: Vec<f64> = (0..n)
        .map(|i| if p.d[i] { 0.0 } else { ps[i] / (1.0 - ps[i]) })
        .collect();
    let beta = linalg::wls(&p.x, &dy, &w_ols)?;
    let out = p.x.mul_vec(&beta);
    let md = mean(&p.d.iter().map(|d| ind(*d)).collect::<Vec<_>>());
    let summand: Vec<f64> = (0..n)
        .map(|i| (1.0 - (1.0 - ind(p.d[i])) / (1.0 - ps[i])) * (dy[i] - out[i]))
        .collect();
    let att = mean(&summand) / md;
    let inf = (0..n)
        .map(|i| (summand[i] - ind(p.d[i]) * att) / md)
        .collect();
    Ok((att, inf))
}
