//! The ATT(g,t) cell estimators of [`crate::staggered::att_gt`] specialised
//! for a balanced panel.
//!
//! Every cell of a cohort with the same comparison units and the same
//! covariate values shares its design: the member list, the covariate rows,
//! the logit propensity score (with its Hessian and weights) and the Gram
//! matrix of the outcome regression on comparison units. A [`Context`] holds
//! them once; each cell then needs only the outcome change of its two
//! periods, read straight from the unit × period matrix, in two passes over
//! the members — one gathering the outcome change and accumulating every
//! moment, one writing the influence function — with fixed-size `K`-vector
//! arithmetic and no per-cell `n`-vector besides the influence function
//! (which holds the outcome change between the passes). Treated members come
//! first, so neither pass branches on treatment.
//!
//! The algebra is that of [`crate::drdid`]'s `reg`, `std_ipw` and `dr_trad`
//! panel estimators (themselves R `DRDID` / `did`), rearranged only where a
//! sum over units factors through a `K`-vector or matrix:
//! `Σ aᵢ (xᵢ·M)·m = Σ aᵢ xᵢ·(M m)` and
//! `Σ wᵢ (Δyᵢ − xᵢ·β) xᵢ = Σ wᵢ Δyᵢ xᵢ − (Σ wᵢ xᵢ xᵢᵀ) β`. The logit starts from
//! a fit on a subsample of large designs; it converges to the same maximum.

use std::sync::Arc;

use nalgebra::DMatrix;

use crate::linalg::{self, Design, inverse_checked};
use crate::{Error, Result};

/// Which pieces a context prepares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Outcome regression.
    Reg,
    /// Standardized IPW.
    StdIpw,
    /// Traditional doubly robust.
    DrTrad,
}

/// Shared design of the cells of one cohort, comparison set and covariate period.
pub(crate) struct Context {
    /// Panel unit index of each member: the treated units, then the
    /// comparison units (each in ascending order).
    pub members: Arc<Vec<usize>>,
    /// Number of treated members (they come first).
    nt: usize,
    /// Member covariate rows with the intercept (`n1 × k`).
    x: Design,
    /// Treated indicator per member.
    d: Vec<bool>,
    /// Prepared pieces, or why the cells cannot be estimated.
    prep: Result<Prep>,
}

struct Prep {
    /// Inverse of the unscaled Gram matrix of comparison units (Reg, DrTrad).
    ols_ginv: Option<DMatrix<f64>>,
    /// `trim · ps · (1 − d) / (1 − ps)` (StdIpw, DrTrad); empty for Reg.
    w_cont: Vec<f64>,
    /// `d − ps` (StdIpw, DrTrad).
    psr: Vec<f64>,
    /// `Σ w_cont x xᵀ` (DrTrad).
    wxx: Option<DMatrix<f64>>,
    /// `n · (Σ ps(1−ps) x xᵀ)⁻¹` (StdIpw, DrTrad).
    hess: Option<DMatrix<f64>>,
    /// Mean of the treated weights.
    mwt: f64,
    /// Mean of the comparison weights (StdIpw, DrTrad).
    mwc: f64,
    /// `Σ w_treat x / n`.
    m1: Vec<f64>,
    /// `Σ w_cont x / n`.
    m3: Vec<f64>,
}

impl Context {
    /// Gather the members' covariates (period slice offset `x_off` into each
    /// `n_all × periods` covariate matrix) and prepare what `kind` needs.
    pub fn build(
        members: Vec<usize>,
        d: Vec<bool>,
        covs: &[std::borrow::Cow<'_, [f64]>],
        x_off: usize,
        kind: Kind,
        trim_level: f64,
    ) -> Context {
        let k = covs.len() + 1;
        // Treated units first, so the passes over members need no branch.
        let nt = d.iter().filter(|v| **v).count();
        let members: Vec<usize> = members
            .iter()
            .zip(&d)
            .filter(|(_, t)| **t)
            .chain(members.iter().zip(&d).filter(|(_, t)| !**t))
            .map(|(i, _)| *i)
            .collect();
        let d: Vec<bool> = (0..members.len()).map(|j| j < nt).collect();
        let mut x = Vec::with_capacity(members.len() * k);
        for &i in &members {
            x.push(1.0);
            for c in covs {
                x.push(c[x_off + i]);
            }
        }
        let x = Design::new(members.len(), k, x).expect("n1 × k values");
        let prep = prepare(&x, &d, kind, trim_level);
        Context {
            members: Arc::new(members),
            nt,
            x,
            d,
            prep,
        }
    }
}

fn prepare(design: &Design, d: &[bool], kind: Kind, trim_level: f64) -> Result<Prep> {
    let n = d.len();
    let nt = d.iter().filter(|v| **v).count();
    if nt == 0 {
        return Err(Error::EmptyGroup("no treated units".into()));
    }
    if nt == n {
        return Err(Error::EmptyGroup("no comparison units".into()));
    }
    let nf = n as f64;
    let mut prep = Prep {
        ols_ginv: None,
        w_cont: Vec::new(),
        psr: Vec::new(),
        wxx: None,
        hess: None,
        mwt: nt as f64 / nf,
        mwc: f64::NAN,
        m1: Vec::new(),
        m3: Vec::new(),
    };
    let w_treat: Vec<f64> = d.iter().map(|v| if *v { 1.0 } else { 0.0 }).collect();
    if kind != Kind::Reg {
        // Logit propensity score with DRDID's overlap check, cap and trimming.
        let ones = vec![1.0; n];
        let beta = linalg::logit_from(design, d, &ones, warm_start(design, d))?;
        let raw = linalg::logistic_fitted(design, &beta);
        if raw.iter().any(|p| *p >= 0.999) {
            return Err(Error::Invalid(
                "overlap condition violated: a propensity score reaches 0.999".into(),
            ));
        }
        let ps: Vec<f64> = raw.into_iter().map(|p| p.min(1.0 - 1e-6)).collect();
        let wh: Vec<f64> = ps.iter().map(|p| p * (1.0 - p)).collect();
        let info = design.gram(&wh);
        prep.hess = Some(inverse_checked(&info, "propensity score")? * nf);
        prep.w_cont = ps
            .iter()
            .zip(d)
            .map(|(p, di)| {
                let trim = *di || *p < trim_level;
                if trim && !*di { p / (1.0 - p) } else { 0.0 }
            })
            .collect();
        prep.psr = ps
            .iter()
            .zip(d)
            .map(|(p, di)| if *di { 1.0 - p } else { -p })
            .collect();
    }
    if kind != Kind::StdIpw {
        let w_ols: Vec<f64> = d.iter().map(|v| if *v { 0.0 } else { 1.0 }).collect();
        prep.ols_ginv = Some(inverse_checked(&design.gram(&w_ols), "regression")?);
    }
    if kind != Kind::Reg {
        prep.mwc = prep.w_cont.iter().sum::<f64>() / nf;
        if prep.mwt <= 0.0 || prep.mwc <= 0.0 {
            return Err(Error::EmptyGroup(
                "no treated or comparison weight left after trimming".into(),
            ));
        }
        if kind == Kind::DrTrad {
            prep.wxx = Some(design.gram(&prep.w_cont));
        }
        prep.m3 = design
            .weighted_col_sums(&prep.w_cont)
            .iter()
            .map(|v| v / nf)
            .collect();
    }
    prep.m1 = design
        .weighted_col_sums(&w_treat)
        .iter()
        .map(|v| v / nf)
        .collect();
    Ok(prep)
}

/// Logit coefficients fitted on every 16th member of a large design: a
/// start from which Newton–Raphson on all members needs only a few passes
/// (zero when the design is small or the subsample fit fails).
fn warm_start(design: &Design, d: &[bool]) -> Vec<f64> {
    const STEP: usize = 16;
    let (n, k) = (design.nrows(), design.ncols());
    let zero = vec![0.0; k];
    if n < 5_000 {
        return zero;
    }
    let idx: Vec<usize> = (0..n).step_by(STEP).collect();
    let sub = design.select(&idx);
    let ds: Vec<bool> = idx.iter().map(|&i| d[i]).collect();
    if ds.iter().all(|v| *v) || !ds.iter().any(|v| *v) {
        return zero;
    }
    let ones = vec![1.0; idx.len()];
    match linalg::logit(&sub, &ds, &ones) {
        Ok(b) if b.iter().all(|v| v.is_finite()) => b,
        _ => zero,
    }
}

fn mat_vec<const K: usize>(m: &DMatrix<f64>, v: &[f64], scale: f64) -> [f64; K] {
    let mut out = [0.0; K];
    for a in 0..K {
        let mut s = 0.0;
        for b in 0..K {
            s += m[(a, b)] * v[b];
        }
        out[a] = scale * s;
    }
    out
}

#[inline(always)]
fn dotk<const K: usize>(r: &[f64; K], b: &[f64; K]) -> f64 {
    let mut s = 0.0;
    for j in 0..K {
        s += r[j] * b[j];
    }
    s
}

/// Estimate one cell: `y1`, `y0` are the post and base period outcome rows
/// (indexed by panel unit). Writes `scale · IF` of member `j` into `out[j]`
/// and returns the ATT.
pub(crate) fn estimate(
    ctx: &Context,
    kind: Kind,
    y1: &[f64],
    y0: &[f64],
    out: &mut [f64],
    scale: f64,
) -> Result<f64> {
    let k = ctx.x.ncols();
    macro_rules! go {
        ($($k:literal),*) => {
            match k {
                $($k => estimate_k::<$k>(ctx, kind, y1, y0, out, scale),)*
                _ => unreachable!("context built for an unsupported number of columns"),
            }
        };
    }
    go!(1, 2, 3, 4, 5, 6, 7, 8)
}

/// Largest number of design columns (intercept included) handled here.
pub(crate) const MAX_K: usize = 8;

fn estimate_k<const K: usize>(
    ctx: &Context,
    kind: Kind,
    y1: &[f64],
    y0: &[f64],
    out: &mut [f64],
    scale: f64,
) -> Result<f64> {
    let p = match &ctx.prep {
        Ok(p) => p,
        Err(e) => return Err(e.clone()),
    };
    let n = ctx.d.len();
    let nf = n as f64;
    let rows_from = |start: usize| {
        ctx.x.as_slice()[start * K..]
            .chunks_exact(K)
            .map(|r| <&[f64; K]>::try_from(r).expect("row of K"))
    };
    let rows = || rows_from(0);
    // Pass 1 gathers the outcome change into `out` and accumulates every
    // moment the estimate needs; residual moments follow from the regression
    // coefficients by linearity (Σ w (Δy − xᵀβ) x = Σ w Δy x − (Σ w x xᵀ) β).
    let nt = ctx.nt;
    let m = ctx.members.as_slice();
    let (out_t, out_c) = out.split_at_mut(nt);
    let rows_c = || rows_from(nt);
    let mut s_t = 0.0; // Σ_treated Δy
    for (o, &i) in out_t.iter_mut().zip(&m[..nt]) {
        let v = y1[i] - y0[i];
        *o = v;
        s_t += v;
    }
    let mut rhs = [0.0; K]; // Σ_controls Δy x
    let mut s_c = 0.0; // Σ w_cont Δy
    let mut u = [0.0; K]; // Σ w_cont Δy x
    let wc_c = p.w_cont.get(nt..).unwrap_or(&[]);
    match kind {
        Kind::Reg => {
            for ((o, &i), r) in out_c.iter_mut().zip(&m[nt..]).zip(rows_c()) {
                let v = y1[i] - y0[i];
                *o = v;
                for a in 0..K {
                    rhs[a] += v * r[a];
                }
            }
        }
        Kind::StdIpw => {
            for (((o, &i), r), w) in out_c.iter_mut().zip(&m[nt..]).zip(rows_c()).zip(wc_c) {
                let v = y1[i] - y0[i];
                *o = v;
                let wc = w * v;
                s_c += wc;
                for a in 0..K {
                    u[a] += wc * r[a];
                }
            }
        }
        Kind::DrTrad => {
            for (((o, &i), r), w) in out_c.iter_mut().zip(&m[nt..]).zip(rows_c()).zip(wc_c) {
                let v = y1[i] - y0[i];
                *o = v;
                let wc = w * v;
                s_c += wc;
                for a in 0..K {
                    rhs[a] += v * r[a];
                    u[a] += wc * r[a];
                }
            }
        }
    }
    let mut m1 = [0.0; K];
    m1.copy_from_slice(&p.m1);
    let mut m3 = [0.0; K];
    if kind != Kind::Reg {
        m3.copy_from_slice(&p.m3);
    }
    let beta: [f64; K] = match &p.ols_ginv {
        Some(ginv) => mat_vec::<K>(ginv, &rhs, 1.0),
        None => [0.0; K],
    };
    let psr_t = p.psr.get(..nt).unwrap_or(&[]);
    let psr_c = p.psr.get(nt..).unwrap_or(&[]);
    // Pass 2: the influence function, treated then comparison units.
    match kind {
        Kind::Reg => {
            // inv(X'WX / n) · m1
            let a1 = mat_vec::<K>(p.ols_ginv.as_ref().expect("ols"), &m1, nf);
            let mw = p.mwt;
            let eta_treat = s_t / nf / mw;
            // Σ_treated xᵀβ = n · m1ᵀβ
            let eta_cont = dotk(&m1, &beta) / mw;
            let f = scale / mw;
            for (o, r) in out_t.iter_mut().zip(rows()) {
                let fit = dotk(r, &beta);
                *o = f * ((*o - eta_treat) - (fit - eta_cont));
            }
            for (o, r) in out_c.iter_mut().zip(rows_c()) {
                let fit = dotk(r, &beta);
                *o = -f * ((*o - fit) * dotk(r, &a1));
            }
            Ok(eta_treat - eta_cont)
        }
        Kind::StdIpw => {
            let (mwt, mwc) = (p.mwt, p.mwc);
            let eta_treat = s_t / nf / mwt;
            let eta_cont = s_c / nf / mwc;
            let mut m2 = [0.0; K];
            for a in 0..K {
                m2[a] = u[a] / nf - eta_cont * m3[a];
            }
            let h2 = mat_vec::<K>(p.hess.as_ref().expect("pscore"), &m2, 1.0);
            let (ft, fc) = (scale / mwt, scale / mwc);
            for ((o, r), ps) in out_t.iter_mut().zip(rows()).zip(psr_t) {
                *o = ft * (*o - eta_treat) - fc * (ps * dotk(r, &h2));
            }
            for (((o, r), ps), w) in out_c.iter_mut().zip(rows_c()).zip(psr_c).zip(wc_c) {
                let c2 = ps * dotk(r, &h2);
                *o = -fc * (w * *o - w * eta_cont + c2);
            }
            Ok(eta_treat - eta_cont)
        }
        Kind::DrTrad => {
            let ginv = p.ols_ginv.as_ref().expect("ols");
            let a1 = mat_vec::<K>(ginv, &m1, nf);
            let a3 = mat_vec::<K>(ginv, &m3, nf);
            let wxx = p.wxx.as_ref().expect("pscore");
            // Residual moments.
            let s_t = s_t - nf * dotk(&m1, &beta);
            let s_c = s_c - nf * dotk(&m3, &beta);
            let wb = mat_vec::<K>(wxx, &beta, 1.0);
            let (mwt, mwc) = (p.mwt, p.mwc);
            let eta_treat = s_t / nf / mwt;
            let eta_cont = s_c / nf / mwc;
            let mut m2 = [0.0; K];
            for a in 0..K {
                m2[a] = (u[a] - wb[a]) / nf - eta_cont * m3[a];
            }
            let h2 = mat_vec::<K>(p.hess.as_ref().expect("pscore"), &m2, 1.0);
            let (ft, fc) = (scale / mwt, scale / mwc);
            for ((o, r), ps) in out_t.iter_mut().zip(rows()).zip(psr_t) {
                let res = *o - dotk(r, &beta);
                *o = ft * (res - eta_treat) - fc * (ps * dotk(r, &h2));
            }
            for (((o, r), ps), w) in out_c.iter_mut().zip(rows_c()).zip(psr_c).zip(wc_c) {
                let res = *o - dotk(r, &beta);
                let c2 = ps * dotk(r, &h2);
                let t2 = res * dotk(r, &a1);
                let c3 = res * dotk(r, &a3);
                *o = -ft * t2 - fc * (w * res - w * eta_cont + c2 - c3);
            }
            Ok(eta_treat - eta_cont)
        }
    }
}
