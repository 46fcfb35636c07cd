//! Staggered difference-in-differences (Callaway & Sant'Anna 2021).
//!
//! [`att_gt`] estimates ATT(g,t) for every cohort `g` (first treated period)
//! and period `t` from a balanced long panel, following R `did` / Python
//! `csdid` exactly: the "varying" base period by default (pre-treatment cells
//! compare consecutive periods, post-treatment cells compare with the last
//! period before treatment), never-treated or not-yet-treated comparison
//! units, cohorts treated in the first period dropped, cohorts treated after
//! the last period counted as never treated, and each cell estimated by the
//! two-period panel estimator of [`crate::drdid`] (`reg` → outcome regression,
//! `ipw` → standardized IPW, `dr` → traditional doubly robust). Influence
//! functions are kept per unit, so [`aggregate`] can add the estimation
//! error of the cohort weights as R `did` does.
//!
//! ```
//! use sejahtera_evaluate::staggered::*;
//! // 3 units × 3 periods: unit 1 treated from period 2 (effect +5), units 2–3 never treated.
//! let unit = [1, 2, 3, 1, 2, 3, 1, 2, 3];
//! let time = [1, 1, 1, 2, 2, 2, 3, 3, 3];
//! let group = [2, 0, 0, 2, 0, 0, 2, 0, 0];
//! let y = [1.0, 2.0, 3.0, 7.0, 3.0, 4.0, 8.0, 4.0, 5.0];
//! let panel = LongPanel { unit: &unit, time: &time, group: &group, y: &y, covariates: &[] };
//! let opts = AttGtOptions { method: Method::Reg, ..Default::default() };
//! let r = att_gt(&panel, &opts).unwrap();
//! assert_eq!(r.cells.len(), 2); // (g=2, t=2) and (g=2, t=3)
//! assert!((r.cells[0].att - 5.0).abs() < 1e-12);
//! let simple = aggregate(&r, AggregationType::Simple, &AggregateOptions::default()).unwrap();
//! assert!((simple.att - 5.0).abs() < 1e-12);
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::cellfast;
use crate::drdid::{self, DrDidMethod, TwoPeriodPanel};
use crate::linalg::Design;
use crate::rng::Rng;
use crate::stats::{chi2_sf, norm_quantile, quantile_inverted_cdf};
use crate::{Error, Result};

/// Which units serve as comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlGroup {
    /// Units never treated (group 0).
    Never,
    /// Never treated and not yet treated by period `max(t, base) + anticipation`.
    NotYet,
}

/// Estimator used within each (g,t) cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Outcome regression.
    Reg,
    /// Standardized inverse probability weighting.
    Ipw,
    /// Doubly robust (traditional, Sant'Anna & Zhao 2020).
    Dr,
}

/// Base period convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasePeriod {
    /// R `did`'s default: pre-treatment cells use the previous period.
    Varying,
    /// Every cell of a cohort uses the last period before treatment.
    Universal,
}

/// Options of [`att_gt`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttGtOptions {
    /// Comparison group (default never treated).
    pub control: ControlGroup,
    /// Cell estimator (default doubly robust).
    pub method: Method,
    /// Base period (default varying).
    pub base_period: BasePeriod,
    /// Periods of anticipation (default 0).
    pub anticipation: i64,
}

impl Default for AttGtOptions {
    fn default() -> Self {
        AttGtOptions {
            control: ControlGroup::Never,
            method: Method::Dr,
            base_period: BasePeriod::Varying,
            anticipation: 0,
        }
    }
}

/// A long panel: one row per unit and period.
#[derive(Debug, Clone, Copy)]
pub struct LongPanel<'a> {
    /// Unit identifier per row.
    pub unit: &'a [u64],
    /// Period per row.
    pub time: &'a [i64],
    /// First treated period of the row's unit (0 = never treated).
    pub group: &'a [i64],
    /// Outcome per row.
    pub y: &'a [f64],
    /// Covariate columns (per row).
    pub covariates: &'a [&'a [f64]],
}

/// One group-time average treatment effect.
#[derive(Debug, Clone, PartialEq)]
pub struct AttGtCell {
    /// Cohort (first treated period).
    pub group: i64,
    /// Period.
    pub time: i64,
    /// ATT(g,t); NaN when the cell cannot be estimated.
    pub att: f64,
    /// Analytic standard error; NaN when undefined.
    pub se: f64,
    /// Whether `time >= group` (a post-treatment cell).
    pub post: bool,
    /// Why the cell is missing, if it is.
    pub note: Option<String>,
}

/// Result of [`att_gt`].
#[derive(Debug, Clone)]
pub struct AttGt {
    /// Cells in the order R `did` reports them (by group, then time).
    pub cells: Vec<AttGtCell>,
    /// Influence function per cell over the `n` units, scaled as R `did`
    /// (stored only where it can be non-zero).
    pub inf_func: Vec<CellInf>,
    /// Number of units used.
    pub n: usize,
    /// Cohort of each unit used (0 = never treated), units sorted by id.
    pub unit_group: Vec<i64>,
    /// Cohorts with estimated effects.
    pub groups: Vec<i64>,
    /// Periods.
    pub times: Vec<i64>,
    /// Options used.
    pub options: AttGtOptions,
    /// Units dropped because they were treated in the first period.
    pub dropped_first_period: usize,
}

/// The influence function of one ATT(g,t) over the panel's units. It is
/// zero outside the cell's cohort and comparison units, so only those values
/// are stored (cells of a cohort share the unit list).
#[derive(Debug, Clone, PartialEq)]
pub struct CellInf {
    /// Units with a stored value (indices into [`AttGt::unit_group`], each
    /// once, in a fixed order); `None` means every unit.
    support: Option<Arc<Vec<usize>>>,
    values: Vec<f64>,
}

impl CellInf {
    fn dense(values: Vec<f64>) -> Self {
        CellInf {
            support: None,
            values,
        }
    }

    /// `(unit index, value)` for every stored value.
    pub fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.values.iter().enumerate().map(|(j, v)| {
            let i = match &self.support {
                Some(s) => s[j],
                None => j,
            };
            (i, *v)
        })
    }

    /// The stored values (aligned with [`CellInf::iter`]).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The influence function as a dense vector over `n` units.
    pub fn to_dense(&self, n: usize) -> Vec<f64> {
        match &self.support {
            None => self.values.clone(),
            Some(_) => {
                let mut out = vec![0.0; n];
                self.add_scaled_to(&mut out, 1.0);
                out
            }
        }
    }

    /// `out += w · IF`.
    pub fn add_scaled_to(&self, out: &mut [f64], w: f64) {
        match &self.support {
            None => {
                for (o, v) in out.iter_mut().zip(&self.values) {
                    *o += w * v;
                }
            }
            Some(s) => {
                for (&i, v) in s.iter().zip(&self.values) {
                    out[i] += w * v;
                }
            }
        }
    }
}

struct Wide<'a> {
    ids: Vec<u64>,
    times: Vec<i64>,
    /// y[t * n + i] (the input column itself when rows are already in
    /// period-major, unit-sorted order)
    y: Cow<'a, [f64]>,
    /// x[c][t * n + i]
    x: Vec<Cow<'a, [f64]>>,
    g: Vec<i64>,
}

fn to_wide<'a>(p: &LongPanel<'a>) -> Result<Wide<'a>> {
    let rows = p.unit.len();
    for (name, len) in [
        ("time", p.time.len()),
        ("group", p.group.len()),
        ("y", p.y.len()),
    ] {
        if len != rows {
            return Err(Error::Length {
                name,
                got: len,
                expected: rows,
            });
        }
    }
    if let Some(r) = p.y.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            name: "y".into(),
            row: r,
        });
    }
    for (j, c) in p.covariates.iter().enumerate() {
        if c.len() != rows {
            return Err(Error::Length {
                name: "covariate",
                got: c.len(),
                expected: rows,
            });
        }
        if let Some(r) = c.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                name: format!("covariate {}", j + 1),
                row: r,
            });
        }
    }
    if rows == 0 {
        return Err(Error::Panel("the panel has no rows".into()));
    }
    let ids = sorted_unique_ids(p.unit);
    let mut times: Vec<i64> = Vec::new();
    for &t in p.time {
        if let Err(pos) = times.binary_search(&t) {
            times.insert(pos, t);
        }
    }
    let n = ids.len();
    let nt = times.len();
    if n * nt != rows {
        return Err(Error::Panel(format!(
            "the panel is not balanced: {rows} rows for {n} units and {nt} periods"
        )));
    }
    // Dense ids (the usual case) index a vector; sparse ids fall back to a hash map.
    let max_id = *ids.last().expect("non-empty");
    let dense: Option<Vec<usize>> = (max_id < 4 * rows as u64 + 16).then(|| {
        let mut v = vec![usize::MAX; max_id as usize + 1];
        for (i, u) in ids.iter().enumerate() {
            v[*u as usize] = i;
        }
        v
    });
    let sparse: HashMap<u64, usize> = if dense.is_none() {
        ids.iter().enumerate().map(|(i, u)| (*u, i)).collect()
    } else {
        HashMap::new()
    };
    let uidx = |u: u64| match &dense {
        Some(v) => v[u as usize],
        None => sparse[&u],
    };
    let tidx = |t: i64| times.binary_search(&t).expect("time present");
    // Rows already in period-major order with units sorted (the layout of a
    // panel written period by period) are used in place.
    let in_order = p
        .unit
        .chunks_exact(n)
        .zip(p.time.chunks_exact(n))
        .zip(&times)
        .all(|((u, tt), t)| u == ids.as_slice() && tt.iter().all(|x| x == t));
    if in_order {
        let mut g = vec![i64::MIN; n];
        for (r, i) in (0..rows).zip((0..n).cycle()) {
            check_group(p, r, i, &mut g)?;
        }
        return Ok(Wide {
            ids,
            times,
            y: Cow::Borrowed(p.y),
            x: p.covariates.iter().map(|c| Cow::Borrowed(*c)).collect(),
            g,
        });
    }
    let mut y = vec![f64::NAN; n * nt];
    let mut seen = vec![false; n * nt];
    let mut x = vec![vec![0.0; n * nt]; p.covariates.len()];
    let mut g = vec![i64::MIN; n];
    for r in 0..rows {
        let i = uidx(p.unit[r]);
        let t = tidx(p.time[r]);
        let cell = t * n + i;
        if seen[cell] {
            return Err(Error::Panel(format!(
                "row {r}: unit {} appears twice in period {}",
                p.unit[r], p.time[r]
            )));
        }
        seen[cell] = true;
        y[cell] = p.y[r];
        for (c, col) in p.covariates.iter().enumerate() {
            x[c][cell] = col[r];
        }
        check_group(p, r, i, &mut g)?;
    }
    if let Some(c) = seen.iter().position(|s| !s) {
        return Err(Error::Panel(format!(
            "the panel is not balanced: unit {} has no row for period {}",
            ids[c % n],
            times[c / n]
        )));
    }
    Ok(Wide {
        ids,
        times,
        y: Cow::Owned(y),
        x: x.into_iter().map(Cow::Owned).collect(),
        g,
    })
}

/// Record the group of row `r`'s unit `i`, refusing a group that changes
/// within a unit or is negative.
#[inline]
fn check_group(p: &LongPanel<'_>, r: usize, i: usize, g: &mut [i64]) -> Result<()> {
    if g[i] == i64::MIN {
        g[i] = p.group[r];
    } else if g[i] != p.group[r] {
        return Err(Error::Panel(format!(
            "row {r}: unit {} changes its group from {} to {}; the group must be constant within a unit",
            p.unit[r], g[i], p.group[r]
        )));
    }
    if p.group[r] < 0 {
        return Err(Error::Panel(format!(
            "row {r}: negative group {}",
            p.group[r]
        )));
    }
    Ok(())
}

/// Sorted distinct ids: a presence vector when ids are dense, a sort otherwise.
fn sorted_unique_ids(unit: &[u64]) -> Vec<u64> {
    let max = unit.iter().copied().max().unwrap_or(0);
    if max < 4 * unit.len() as u64 + 16 {
        let mut seen = vec![false; max as usize + 1];
        for &u in unit {
            seen[u as usize] = true;
        }
        seen.iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| i as u64)
            .collect()
    } else {
        let mut ids = unit.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Estimate every ATT(g,t) with analytic influence-function standard errors.
pub fn att_gt(panel: &LongPanel<'_>, opts: &AttGtOptions) -> Result<AttGt> {
    let mut w = to_wide(panel)?;
    let ant = opts.anticipation;
    if ant < 0 {
        return Err(Error::Invalid("anticipation must be non-negative".into()));
    }
    let max_t = *w.times.last().expect("non-empty");
    for g in w.g.iter_mut() {
        if *g > max_t + ant {
            *g = 0;
        }
    }
    // No never-treated units: the last cohort becomes the comparison group and
    // periods from its (anticipated) treatment on are dropped.
    let mut latest_excluded = None;
    if !w.g.contains(&0) {
        let latest = *w.g.iter().max().expect("non-empty");
        let cutoff = latest - ant;
        let keep_t: Vec<usize> = (0..w.times.len())
            .filter(|&t| w.times[t] < cutoff)
            .collect();
        if keep_t.is_empty() {
            return Err(Error::Panel(
                "no period before the last cohort's treatment remains".into(),
            ));
        }
        let n = w.ids.len();
        let mut y = Vec::with_capacity(keep_t.len() * n);
        let mut x = vec![Vec::with_capacity(keep_t.len() * n); w.x.len()];
        for &t in &keep_t {
            y.extend_from_slice(&w.y[t * n..(t + 1) * n]);
            for (c, xc) in x.iter_mut().enumerate() {
                xc.extend_from_slice(&w.x[c][t * n..(t + 1) * n]);
            }
        }
        w.times = keep_t.iter().map(|&t| w.times[t]).collect();
        w.y = Cow::Owned(y);
        w.x = x.into_iter().map(Cow::Owned).collect();
        if opts.control == ControlGroup::Never {
            for g in w.g.iter_mut() {
                if *g == latest {
                    *g = 0;
                }
            }
        } else {
            latest_excluded = Some(latest);
        }
    }
    // Drop units already treated in the first period.
    let first = w.times[0];
    let keep: Vec<usize> = (0..w.ids.len())
        .filter(|&i| !(w.g[i] != 0 && w.g[i] <= first + ant))
        .collect();
    let dropped = w.ids.len() - keep.len();
    if dropped > 0 {
        let n_old = w.ids.len();
        let nt = w.times.len();
        let mut y = Vec::with_capacity(nt * keep.len());
        let mut x = vec![Vec::with_capacity(nt * keep.len()); w.x.len()];
        for t in 0..nt {
            for &i in &keep {
                y.push(w.y[t * n_old + i]);
                for (c, xc) in x.iter_mut().enumerate() {
                    xc.push(w.x[c][t * n_old + i]);
                }
            }
        }
        w.ids = keep.iter().map(|&i| w.ids[i]).collect();
        w.g = keep.iter().map(|&i| w.g[i]).collect();
        w.y = Cow::Owned(y);
        w.x = x.into_iter().map(Cow::Owned).collect();
    }
    let n = w.ids.len();
    let mut glist: Vec<i64> =
        w.g.iter()
            .copied()
            .filter(|g| *g > 0 && *g > first + ant)
            .collect();
    glist.sort_unstable();
    glist.dedup();
    if let Some(l) = latest_excluded {
        glist.retain(|g| *g < l);
    }
    if glist.is_empty() {
        return Err(Error::Panel(
            "no valid groups: the group column must hold the first treated period (0 if never treated)".into(),
        ));
    }
    let tl = &w.times;
    let nt = tl.len();
    let universal = opts.base_period == BasePeriod::Universal;
    let (t_len, tfac) = if universal { (nt, 0) } else { (nt - 1, 1) };
    let cell_method = match opts.method {
        Method::Reg => DrDidMethod::Reg,
        Method::Ipw => DrDidMethod::StdIpw,
        Method::Dr => DrDidMethod::DrTrad,
    };
    // Plan the cells in R `did`'s order, then estimate them in parallel.
    struct Plan {
        g: i64,
        tn: i64,
        pret: usize,
        t_post: usize,
        post: bool,
        /// Shared design ([`cellfast::Context`]) of the cell, if any.
        ctx: Option<usize>,
    }
    let mut plans = Vec::new();
    let last_pre = |g: i64| -> Option<usize> { (0..nt).rev().find(|&j| tl[j] + ant < g) };
    for &g in &glist {
        for t_i in 0..t_len {
            let tn = tl[t_i + tfac];
            let mut pret = t_i;
            if universal || g - ant <= tn {
                match last_pre(g) {
                    Some(j) => pret = j,
                    None => break,
                }
            }
            plans.push(Plan {
                g,
                tn,
                pret,
                t_post: t_i + tfac,
                post: g <= tn,
                ctx: None,
            });
        }
    }
    // Cells sharing their cohort, comparison units and covariate values share
    // one design (members, propensity score, regression Gram matrix).
    let kind = match opts.method {
        Method::Reg => cellfast::Kind::Reg,
        Method::Ipw => cellfast::Kind::StdIpw,
        Method::Dr => cellfast::Kind::DrTrad,
    };
    let mut contexts = Vec::new();
    if w.x.len() < cellfast::MAX_K {
        // Covariate class of each period: the first period with identical values.
        let same = |s: usize, t: usize| {
            w.x.iter().all(|c| {
                c[s * n..(s + 1) * n]
                    .iter()
                    .zip(&c[t * n..(t + 1) * n])
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            })
        };
        let xclass: Vec<usize> = (0..nt)
            .map(|t| (0..=t).find(|&s| same(s, t)).unwrap_or(t))
            .collect();
        let mut ugroups = w.g.clone();
        ugroups.sort_unstable();
        ugroups.dedup();
        type Key = (i64, Vec<i64>, usize);
        let mut keys: Vec<Key> = Vec::new();
        let mut index: HashMap<Key, usize> = HashMap::new();
        for pl in plans.iter_mut() {
            if universal && tl[pl.pret] == pl.tn {
                continue;
            }
            let ctl_cut = pl.tn.max(tl[pl.pret]) + ant;
            let ctl: Vec<i64> = ugroups
                .iter()
                .copied()
                .filter(|&gi| {
                    gi != pl.g
                        && match opts.control {
                            ControlGroup::Never => gi == 0,
                            ControlGroup::NotYet => gi == 0 || gi > ctl_cut,
                        }
                })
                .collect();
            let key = (pl.g, ctl, xclass[pl.t_post.min(pl.pret)]);
            let next = keys.len();
            let id = *index.entry(key.clone()).or_insert(next);
            if id == next {
                keys.push(key);
            }
            pl.ctx = Some(id);
        }
        contexts = keys
            .par_iter()
            .map(|(g, ctl, xc)| {
                let members: Vec<usize> = (0..n)
                    .filter(|&i| w.g[i] == *g || ctl.contains(&w.g[i]))
                    .collect();
                let d = members.iter().map(|&i| w.g[i] == *g).collect();
                cellfast::Context::build(members, d, &w.x, xc * n, kind, drdid::TRIM_LEVEL)
            })
            .collect();
    }
    let estimate_cell = |pl: &Plan| -> (AttGtCell, CellInf) {
        let (g, tn, pret, post) = (pl.g, pl.tn, pl.pret, pl.post);
        let missing = |note: String| {
            (
                AttGtCell {
                    group: g,
                    time: tn,
                    att: f64::NAN,
                    se: f64::NAN,
                    post,
                    note: Some(note),
                },
                CellInf::dense(vec![f64::NAN; n]),
            )
        };
        let pret_year = tl[pret];
        if universal && pret_year == tn {
            let cell = AttGtCell {
                group: g,
                time: tn,
                att: 0.0,
                se: f64::NAN,
                post,
                note: None,
            };
            let zero = CellInf {
                support: Some(Arc::new(Vec::new())),
                values: Vec::new(),
            };
            return (cell, zero);
        }
        let t_post = pl.t_post;
        if let Some(ci) = pl.ctx {
            let ctx = &contexts[ci];
            let mut vals = vec![0.0; ctx.members.len()];
            let scale = n as f64 / ctx.members.len() as f64;
            let est = cellfast::estimate(
                ctx,
                kind,
                &w.y[t_post * n..(t_post + 1) * n],
                &w.y[pret * n..(pret + 1) * n],
                &mut vals,
                scale,
            );
            return match est {
                Ok(att) if att.is_finite() => {
                    let ss: f64 = vals.iter().map(|v| v * v).sum();
                    let se = ss.sqrt() / n as f64;
                    let se = if se > 0.0 && se.is_finite() {
                        se
                    } else {
                        f64::NAN
                    };
                    (
                        AttGtCell {
                            group: g,
                            time: tn,
                            att,
                            se,
                            post,
                            note: None,
                        },
                        CellInf {
                            support: Some(ctx.members.clone()),
                            values: vals,
                        },
                    )
                }
                Ok(_) => missing("estimate is not finite".into()),
                Err(e) => missing(e.to_string()),
            };
        }
        let ctl_cut = tn.max(pret_year) + ant;
        let members: Vec<usize> = (0..n)
            .filter(|&i| {
                let gi = w.g[i];
                gi == g
                    || match opts.control {
                        ControlGroup::Never => gi == 0,
                        ControlGroup::NotYet => gi == 0 || (gi > ctl_cut && gi != g),
                    }
            })
            .collect();
        let n1 = members.len();
        let t_early = t_post.min(pret);
        let y1: Vec<f64> = members.iter().map(|&i| w.y[t_post * n + i]).collect();
        let y0: Vec<f64> = members.iter().map(|&i| w.y[pret * n + i]).collect();
        let d: Vec<bool> = members.iter().map(|&i| w.g[i] == g).collect();
        let k_all = w.x.len() + 1;
        let mut xd = Vec::with_capacity(n1 * k_all);
        for &i in &members {
            xd.push(1.0);
            for xc in &w.x {
                xd.push(xc[t_early * n + i]);
            }
        }
        let est = Design::new(n1, k_all, xd)
            .and_then(|x| TwoPeriodPanel::from_design(y1, y0, d, x))
            .and_then(|p| {
                drdid::att_and_if_overlap(
                    &p,
                    cell_method,
                    drdid::TRIM_LEVEL,
                    matches!(opts.method, Method::Ipw | Method::Dr),
                )
            });
        match est {
            Ok((att, inf)) if att.is_finite() => {
                let scale = n as f64 / n1 as f64;
                let vals: Vec<f64> = inf.iter().map(|v| scale * v).collect();
                let se = (vals.iter().map(|v| v * v).sum::<f64>()).sqrt() / n as f64;
                let se = if se > 0.0 && se.is_finite() {
                    se
                } else {
                    f64::NAN
                };
                (
                    AttGtCell {
                        group: g,
                        time: tn,
                        att,
                        se,
                        post,
                        note: None,
                    },
                    CellInf {
                        support: Some(Arc::new(members)),
                        values: vals,
                    },
                )
            }
            Ok(_) => missing("estimate is not finite".into()),
            Err(e) => missing(e.to_string()),
        }
    };
    let (cells, infs): (Vec<AttGtCell>, Vec<CellInf>) = plans.par_iter().map(estimate_cell).unzip();
    Ok(AttGt {
        cells,
        inf_func: infs,
        n,
        unit_group: w.g,
        groups: glist,
        times: w.times,
        options: *opts,
        dropped_first_period: dropped,
    })
}

/// Aggregation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregationType {
    /// Weighted average of all post-treatment cells (weights: cohort sizes).
    Simple,
    /// Average effect per cohort, then averaged with cohort-size weights.
    Group,
    /// Event study: effect by length of exposure `e = t − g`.
    Dynamic,
    /// Effect by calendar period.
    Calendar,
}

impl AggregationType {
    /// Parse `simple | group | dynamic | calendar`.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "simple" => AggregationType::Simple,
            "group" => AggregationType::Group,
            "dynamic" => AggregationType::Dynamic,
            "calendar" => AggregationType::Calendar,
            o => {
                return Err(Error::Invalid(format!(
                    "unknown aggregation `{o}` (simple, group, dynamic, calendar)"
                )));
            }
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            AggregationType::Simple => "simple",
            AggregationType::Group => "group",
            AggregationType::Dynamic => "dynamic",
            AggregationType::Calendar => "calendar",
        }
    }
}

/// Options of [`aggregate`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AggregateOptions {
    /// For the dynamic aggregation: keep only cohorts observed for at least
    /// `balance_e` periods after treatment (R `balance_e`).
    pub balance_e: Option<i64>,
    /// Smallest event time kept (dynamic; default −∞).
    pub min_e: Option<i64>,
    /// Largest event time kept (default +∞).
    pub max_e: Option<i64>,
}

/// One component of an aggregation (a cohort, event time or period).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateItem {
    /// Cohort, event time or calendar period.
    pub label: i64,
    /// Effect.
    pub att: f64,
    /// Analytic standard error.
    pub se: f64,
    /// Influence function.
    pub inf_func: Vec<f64>,
}

/// An aggregated effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Aggregation type.
    pub kind: AggregationType,
    /// Overall effect.
    pub att: f64,
    /// Analytic standard error of the overall effect.
    pub se: f64,
    /// Influence function of the overall effect.
    pub inf_func: Vec<f64>,
    /// Per-cohort, per-event-time or per-period effects (empty for simple).
    pub items: Vec<AggregateItem>,
}

fn se_of(inf: &[f64]) -> f64 {
    let n = inf.len() as f64;
    let s = (inf.iter().map(|v| v * v).sum::<f64>() / n / n).sqrt();
    if s > 0.0 && s.is_finite() {
        s
    } else {
        f64::NAN
    }
}

/// Influence function of `Σ_j w_j att_j` over `keep` cells, plus the
/// estimation effect of the cohort-share weights when `with_wif`.
fn agg_if(r: &AttGt, keep: &[usize], pg: &[f64], with_wif: bool) -> Vec<f64> {
    let n = r.n;
    let s: f64 = keep.iter().map(|&j| pg[j]).sum();
    let mut out = vec![0.0; n];
    for &j in keep {
        r.inf_func[j].add_scaled_to(&mut out, pg[j] / s);
    }
    if with_wif {
        add_wif(
            &mut out,
            keep.iter()
                .map(|&j| (r.cells[j].group, pg[j], r.cells[j].att)),
            &r.unit_group,
        );
    }
    out
}

/// Adds `wif · att` (R `did`'s `wif`) for items `(group, pg, att)`.
fn add_wif(out: &mut [f64], items: impl Iterator<Item = (i64, f64, f64)>, unit_group: &[i64]) {
    let items: Vec<(i64, f64, f64)> = items.collect();
    let s: f64 = items.iter().map(|x| x.1).sum();
    let p_sum = s;
    let a_pg: f64 = items.iter().map(|x| x.2 * x.1).sum();
    let mut by_g: HashMap<i64, (f64, f64)> = HashMap::new();
    for &(g, _, att) in &items {
        let e = by_g.entry(g).or_insert((0.0, 0.0));
        e.0 += att;
        e.1 += 1.0;
    }
    for (o, g) in out.iter_mut().zip(unit_group) {
        let (a, c) = by_g.get(g).copied().unwrap_or((0.0, 0.0));
        let row_sum = c - p_sum;
        *o += (a - a_pg) / s - row_sum * a_pg / (s * s);
    }
}

/// Aggregate ATT(g,t) into a simple, group, dynamic or calendar summary.
pub fn aggregate(r: &AttGt, kind: AggregationType, o: &AggregateOptions) -> Result<Aggregate> {
    let n = r.n as f64;
    let mut sizes: HashMap<i64, usize> = HashMap::new();
    for g in &r.unit_group {
        *sizes.entry(*g).or_insert(0) += 1;
    }
    let pg_of = |g: i64| sizes.get(&g).copied().unwrap_or(0) as f64 / n;
    let pg: Vec<f64> = r.cells.iter().map(|c| pg_of(c.group)).collect();
    let min_e = o.min_e.unwrap_or(i64::MIN);
    let max_e = o.max_e.unwrap_or(i64::MAX);
    let missing: Vec<String> = r
        .cells
        .iter()
        .filter(|c| !c.att.is_finite())
        .map(|c| format!("({}, {})", c.group, c.time))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "missing ATT(g,t) for cells {}; cannot aggregate",
            missing.join(", ")
        )));
    }
    let in_window =
        |c: &AttGtCell| c.group <= c.time && c.time - c.group >= min_e && c.time - c.group <= max_e;
    match kind {
        AggregationType::Simple => {
            let keep: Vec<usize> = (0..r.cells.len())
                .filter(|&j| in_window(&r.cells[j]))
                .collect();
            if keep.is_empty() {
                return Err(Error::Invalid("no post-treatment ATT(g,t) cells".into()));
            }
            let s: f64 = keep.iter().map(|&j| pg[j]).sum();
            let att = keep.iter().map(|&j| r.cells[j].att * pg[j]).sum::<f64>() / s;
            let inf = agg_if(r, &keep, &pg, true);
            Ok(Aggregate {
                kind,
                att,
                se: se_of(&inf),
                inf_func: inf,
                items: vec![],
            })
        }
        AggregationType::Group => {
            let mut items = Vec::new();
            for &g in &r.groups {
                let keep: Vec<usize> = (0..r.cells.len())
                    .filter(|&j| r.cells[j].group == g && in_window(&r.cells[j]))
                    .collect();
                if keep.is_empty() {
                    return Err(Error::Invalid(format!(
                        "no post-treatment cells for group {g}"
                    )));
                }
                let att = keep.iter().map(|&j| r.cells[j].att).sum::<f64>() / keep.len() as f64;
                let inf = agg_if(r, &keep, &pg, false);
                items.push(AggregateItem {
                    label: g,
                    att,
                    se: se_of(&inf),
                    inf_func: inf,
                });
            }
            let pgg: Vec<f64> = r.groups.iter().map(|g| pg_of(*g)).collect();
            let s: f64 = pgg.iter().sum();
            let att = items
                .iter()
                .zip(&pgg)
                .map(|(it, p)| it.att * p)
                .sum::<f64>()
                / s;
            let mut inf = vec![0.0; r.n];
            for (it, p) in items.iter().zip(&pgg) {
                for (o, v) in inf.iter_mut().zip(&it.inf_func) {
                    *o += p / s * v;
                }
            }
            add_wif(
                &mut inf,
                r.groups
                    .iter()
                    .zip(&pgg)
                    .zip(&items)
                    .map(|((g, p), it)| (*g, *p, it.att)),
                &r.unit_group,
            );
            Ok(Aggregate {
                kind,
                att,
                se: se_of(&inf),
                inf_func: inf,
                items,
            })
        }
        AggregationType::Dynamic => {
            let max_t = *r.times.last().expect("times");
            let first_t = r.times[0].min(r.groups[0]);
            let include = |c: &AttGtCell| match o.balance_e {
                Some(b) => max_t - c.group >= b,
                None => true,
            };
            let mut eseq: Vec<i64> = r
                .cells
                .iter()
                .filter(|c| include(c))
                .map(|c| c.time - c.group)
                .collect();
            eseq.sort_unstable();
            eseq.dedup();
            if let Some(b) = o.balance_e {
                eseq.retain(|e| *e <= b && *e >= b - max_t + first_t);
            }
            eseq.retain(|e| *e >= min_e && *e <= max_e);
            if eseq.is_empty() {
                return Err(Error::Invalid(
                    "no event times in the requested window".into(),
                ));
            }
            let mut items = Vec::new();
            for &e in &eseq {
                let keep: Vec<usize> = (0..r.cells.len())
                    .filter(|&j| r.cells[j].time - r.cells[j].group == e && include(&r.cells[j]))
                    .collect();
                let s: f64 = keep.iter().map(|&j| pg[j]).sum();
                let att = keep.iter().map(|&j| r.cells[j].att * pg[j]).sum::<f64>() / s;
                let inf = agg_if(r, &keep, &pg, true);
                items.push(AggregateItem {
                    label: e,
                    att,
                    se: se_of(&inf),
                    inf_func: inf,
                });
            }
            let pos: Vec<&AggregateItem> = items.iter().filter(|it| it.label >= 0).collect();
            if pos.is_empty() {
                return Err(Error::Invalid("no post-treatment event times".into()));
            }
            let m = pos.len() as f64;
            let att = pos.iter().map(|it| it.att).sum::<f64>() / m;
            let mut inf = vec![0.0; r.n];
            for it in &pos {
                for (o, v) in inf.iter_mut().zip(&it.inf_func) {
                    *o += v / m;
                }
            }
            Ok(Aggregate {
                kind,
                att,
                se: se_of(&inf),
                inf_func: inf,
                items,
            })
        }
        AggregationType::Calendar => {
            let min_g = r.groups[0];
            let mut items = Vec::new();
            for &t in r.times.iter().filter(|t| **t >= min_g) {
                let keep: Vec<usize> = (0..r.cells.len())
                    .filter(|&j| r.cells[j].time == t && r.cells[j].group <= t)
                    .collect();
                if keep.is_empty() {
                    continue;
                }
                let s: f64 = keep.iter().map(|&j| pg[j]).sum();
                let att = keep.iter().map(|&j| r.cells[j].att * pg[j]).sum::<f64>() / s;
                let inf = agg_if(r, &keep, &pg, true);
                items.push(AggregateItem {
                    label: t,
                    att,
                    se: se_of(&inf),
                    inf_func: inf,
                });
            }
            if items.is_empty() {
                return Err(Error::Invalid("no post-treatment periods".into()));
            }
            let m = items.len() as f64;
            let att = items.iter().map(|it| it.att).sum::<f64>() / m;
            let mut inf = vec![0.0; r.n];
            for it in &items {
                for (o, v) in inf.iter_mut().zip(&it.inf_func) {
                    *o += v / m;
                }
            }
            Ok(Aggregate {
                kind,
                att,
                se: se_of(&inf),
                inf_func: inf,
                items,
            })
        }
    }
}

/// Wald pre-test of parallel trends: all pre-treatment ATT(g,t) jointly zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PreTest {
    /// Wald statistic `n · attᵀ V⁻¹ att`.
    pub statistic: f64,
    /// Degrees of freedom (number of pre-treatment cells used).
    pub df: usize,
    /// Chi-squared p-value.
    pub p_value: f64,
}

/// The Wald pre-trend test over pre-treatment cells with a finite, positive
/// variance (R `did`'s `W`, `Wpval`); `None` when there are no such cells or
/// their covariance is singular.
pub fn pretest(r: &AttGt) -> Option<PreTest> {
    let ant = r.options.anticipation;
    let pre: Vec<usize> = (0..r.cells.len())
        .filter(|&j| {
            let c = &r.cells[j];
            c.group - ant > c.time && c.se.is_finite() && c.se > 0.0 && c.att.is_finite()
        })
        .collect();
    if pre.is_empty() {
        return None;
    }
    let q = pre.len();
    let n = r.n as f64;
    // V = Σᵢ ψᵢ ψᵢᵀ / n. Cells sharing a unit list are grouped; for each
    // pair of lists the common units are matched once.
    let mut lists: Vec<Option<&Arc<Vec<usize>>>> = Vec::new();
    let mut list_of = Vec::with_capacity(q);
    for &j in &pre {
        let sup = r.inf_func[j].support.as_ref();
        let same = |l: &Option<&Arc<Vec<usize>>>| match (l, sup) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        let id = match lists.iter().position(same) {
            Some(id) => id,
            None => {
                lists.push(sup);
                lists.len() - 1
            }
        };
        list_of.push(id);
    }
    let cells_of: Vec<Vec<usize>> = (0..lists.len())
        .map(|l| (0..q).filter(|&a| list_of[a] == l).collect())
        .collect();
    let vals = |a: usize| r.inf_func[pre[a]].values.as_slice();
    let len_of = |l: usize| vals(cells_of[l][0]).len();
    let unit = |l: usize, p: usize| lists[l].map_or(p, |s| s[p]);
    // Block (la, lb) of V over the units common to both lists, found through
    // the position of each unit in list la.
    let blocks: Vec<(usize, usize, Vec<f64>)> = (0..lists.len())
        .into_par_iter()
        .flat_map_iter(|la| {
            let ca = &cells_of[la];
            let mut pos = vec![u32::MAX; r.n];
            for p in 0..len_of(la) {
                pos[unit(la, p)] = p as u32;
            }
            (la..lists.len())
                .map(|lb| {
                    let cb = &cells_of[lb];
                    let mut acc = vec![0.0; ca.len() * cb.len()];
                    if la == lb {
                        for (x, &a) in ca.iter().enumerate() {
                            for (y, &b) in cb.iter().enumerate().skip(x) {
                                acc[x * cb.len() + y] =
                                    vals(a).iter().zip(vals(b)).map(|(p, q)| p * q).sum();
                            }
                        }
                    } else {
                        let common: Vec<(u32, u32)> = (0..len_of(lb))
                            .filter_map(|pb| {
                                let pa = pos[unit(lb, pb)];
                                (pa != u32::MAX).then_some((pa, pb as u32))
                            })
                            .collect();
                        for (x, &a) in ca.iter().enumerate() {
                            for (y, &b) in cb.iter().enumerate() {
                                let (va, vb) = (vals(a), vals(b));
                                acc[x * cb.len() + y] = common
                                    .iter()
                                    .map(|&(pa, pb)| va[pa as usize] * vb[pb as usize])
                                    .sum();
                            }
                        }
                    }
                    (la, lb, acc)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut v = nalgebra::DMatrix::zeros(q, q);
    for (la, lb, acc) in blocks {
        let qb = cells_of[lb].len();
        for (x, &a) in cells_of[la].iter().enumerate() {
            for (y, &b) in cells_of[lb].iter().enumerate() {
                if la == lb && y < x {
                    continue;
                }
                let c = acc[x * qb + y] / n;
                v[(a, b)] = c;
                v[(b, a)] = c;
            }
        }
    }
    let inv = crate::linalg::inverse_checked(&v, "pre-test covariance").ok()?;
    let a = nalgebra::DVector::from_iterator(q, pre.iter().map(|&j| r.cells[j].att));
    let w = n * (a.transpose() * inv * &a)[(0, 0)];
    Some(PreTest {
        statistic: w,
        df: q,
        p_value: chi2_sf(w, q as f64),
    })
}

/// Multiplier-bootstrap result for a set of influence functions.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Bootstrap standard error per column (IQR-based, as R `did`).
    pub se: Vec<f64>,
    /// Critical value of the uniform (simultaneous) band.
    pub crit_val: f64,
}

/// Multiplier bootstrap with Rademacher weights (R `did`'s `mboot`): for
/// each draw `b`, `√n · mean(vᵢ ψᵢⱼ)`; standard errors from the interquartile
/// range, and the `1 − alpha` quantile of the maximal t-statistic over the
/// columns as the uniform-band critical value. Columns with a zero or
/// non-finite influence function get a NaN standard error and are left out
/// of the band.
pub fn multiplier_bootstrap(
    infs: &[&[f64]],
    iters: usize,
    seed: u64,
    alpha: f64,
) -> Result<Bootstrap> {
    let k = infs.len();
    let n = infs.first().map_or(0, |v| v.len());
    if iters < 2 {
        return Err(Error::Invalid(
            "the bootstrap needs at least 2 iterations".into(),
        ));
    }
    let ok: Vec<bool> = infs
        .iter()
        .map(|v| v.iter().all(|x| x.is_finite()) && v.iter().any(|x| *x != 0.0))
        .collect();
    let mut rng = Rng::new(seed);
    let mut v = vec![0.0; n];
    let mut bres = vec![vec![0.0; iters]; k];
    let sn = (n as f64).sqrt();
    for b in 0..iters {
        rng.rademacher(&mut v);
        for j in 0..k {
            if !ok[j] {
                continue;
            }
            let s: f64 = infs[j].iter().zip(&v).map(|(a, c)| a * c).sum();
            bres[j][b] = sn * s / n as f64;
        }
    }
    let zq = norm_quantile(0.75) - norm_quantile(0.25);
    let mut sigma = vec![f64::NAN; k];
    for j in 0..k {
        if !ok[j] {
            continue;
        }
        let mut col = bres[j].clone();
        let q75 = quantile_inverted_cdf(&mut col, 0.75);
        let q25 = quantile_inverted_cdf(&mut col, 0.25);
        let s = (q75 - q25) / zq;
        if s > 0.0 && s.is_finite() {
            sigma[j] = s;
        }
    }
    let mut bt: Vec<f64> = (0..iters)
        .map(|b| {
            (0..k)
                .filter(|&j| sigma[j].is_finite())
                .map(|j| (bres[j][b] / sigma[j]).abs())
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .filter(|x| x.is_finite())
        .collect();
    let crit_val = quantile_inverted_cdf(&mut bt, 1.0 - alpha);
    Ok(Bootstrap {
        se: sigma.iter().map(|s| s / sn).collect(),
        crit_val,
    })
}
