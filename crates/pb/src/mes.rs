//! The Method of Equal Shares: an exact reference and a certified floating-point fast path.
//!
//! Both follow `pabutools.rules.mes.mes_rule.mes_inner_algo`: every voter starts with the same
//! budget; in each round the project with the smallest affordability ρ is bought (ρ is the
//! smallest price per unit of satisfaction such that `Σ min(budget_i, ρ·u_i) = cost` over its
//! supporters), ties go to the lexicographically smallest project id, and each supporter pays
//! `min(budget_i, ρ·u_i)`. Projects whose supporters hold less than the cost are dropped.
//!
//! **Exactness.** pabutools computes with `gmpy2.mpq` rationals. The exact path does the same
//! with `BigRational`. The fast path computes in `f64` and carries, next to every voter group's
//! budget, an upper bound on its absolute error, and next to every ρ an error bound (see
//! `afford_fast`): ρ = (cost − Σ poor budgets)/D moves by at most the poor supporters' error mass
//! over D (D = satisfaction of the supporters that stay rich, certified with their own bounds);
//! a supporter that certainly cannot pay its share ends with exactly 0 and no error. Every decision
//! (drop a project, stop scanning, pick the minimum) is taken only when the compared values are
//! further apart than their error bounds. A tie that the bounds cannot separate is settled
//! exactly when both values are `cost/total_satisfaction` (all supporters rich, the common case
//! in which real ties occur); any other undecidable comparison makes the run start again with
//! exact arithmetic. So the fast path returns either the exact outcome or nothing.

use num_traits::{Signed, ToPrimitive, Zero};

use crate::number::{Q, to_f64};
use crate::profile::Prepared;
use crate::rules::MesPayment;

/// The result of one MES run at a fixed per-voter budget.
#[derive(Debug, Clone)]
pub(crate) struct MesRun {
    pub selected: Vec<usize>,
    pub payments: Vec<MesPayment>,
    /// Budget left per voter group at the end.
    pub final_budgets: Vec<f64>,
    /// Whether the exact path produced this run.
    pub exact: bool,
}

impl MesRun {
    pub(crate) fn empty(groups: usize, b0: &Q) -> Self {
        MesRun {
            selected: Vec::new(),
            payments: Vec::new(),
            final_budgets: vec![to_f64(b0); groups],
            exact: false,
        }
    }
}

/// Precomputed tables for repeated MES runs (Add1 runs MES once per budget increment).
pub(crate) struct Engine<'a> {
    prep: &'a Prepared,
    ids: &'a [&'a str],
    cands: Vec<usize>,
    costs: &'a [Q],
    /// Supporters (positive utility) per project: `(group, utility index)`.
    sup: Vec<Vec<(u32, u32)>>,
    total: Vec<Q>,
    /// Fast path data; `None` when the inputs are not exactly representable in `f64`.
    fast: Option<Fast>,
}

struct Fast {
    sup: Vec<Vec<(u32, f64)>>,
    cost: Vec<f64>,
    total: Vec<f64>,
    umin: Vec<f64>,
    umax: Vec<f64>,
    nsup: Vec<f64>,
    mult: Vec<f64>,
    uniform: Vec<bool>,
}

/// Largest integer magnitude for which sums of utilities stay exact in `f64`.
const EXACT_LIMIT: f64 = 4_503_599_627_370_496.0; // 2^52

impl<'a> Engine<'a> {
    pub(crate) fn new(
        prep: &'a Prepared,
        costs: &'a [Q],
        ids: &'a [&'a str],
        cands: &[usize],
    ) -> Self {
        let np = costs.len();
        let mut sup = vec![Vec::new(); np];
        let mut total = vec![Q::zero(); np];
        for &p in cands {
            sup[p] = prep.util[p]
                .iter()
                .filter(|(_, vi)| prep.vals[*vi as usize].is_positive())
                .copied()
                .collect();
            total[p] = prep.positive_sat(p).0;
        }
        let mut fast_ok = true;
        let as_exact_int = |q: &Q| -> Option<f64> {
            if q.is_integer() {
                let f = q.to_f64()?;
                (f.abs() < EXACT_LIMIT).then_some(f)
            } else {
                None
            }
        };
        let mut f = Fast {
            sup: vec![Vec::new(); np],
            cost: vec![0.0; np],
            total: vec![0.0; np],
            umin: vec![0.0; np],
            umax: vec![0.0; np],
            nsup: vec![0.0; np],
            mult: prep.mult.iter().map(|&m| m as f64).collect(),
            uniform: vec![true; np],
        };
        let vals_f: Vec<Option<f64>> = prep.vals.iter().map(as_exact_int).collect();
        for &p in cands {
            match (as_exact_int(&costs[p]), as_exact_int(&total[p])) {
                (Some(c), Some(t)) => {
                    f.cost[p] = c;
                    f.total[p] = t;
                }
                _ => fast_ok = false,
            }
            let mut umin = f64::INFINITY;
            let mut umax: f64 = 0.0;
            for (g, vi) in &sup[p] {
                let Some(uf) = vals_f[*vi as usize] else {
                    fast_ok = false;
                    break;
                };
                umin = umin.min(uf);
                umax = umax.max(uf);
                f.nsup[p] += f.mult[*g as usize];
                f.sup[p].push((*g, uf));
            }
            f.umin[p] = umin;
            f.umax[p] = umax;
            f.uniform[p] = umin == umax;
        }
        Engine {
            prep,
            ids,
            cands: cands.to_vec(),
            costs,
            sup,
            total,
            fast: fast_ok.then_some(f),
        }
    }

    /// One MES run with per-voter budget `b0`: the fast path, or the exact one when the fast path
    /// cannot certify a decision.
    pub(crate) fn run(&self, b0: &Q) -> MesRun {
        if let Some(f) = &self.fast
            && let Some(r) = self.run_fast(f, to_f64(b0))
        {
            return r;
        }
        self.run_exact(b0)
    }

    fn id_cmp(&self, a: usize, b: usize) -> std::cmp::Ordering {
        self.ids[a].cmp(self.ids[b])
    }

    /// Exact rational MES, a line-by-line port of pabutools' inner loop (with voters grouped by
    /// identical ballots, which never changes the outcome).
    pub(crate) fn run_exact(&self, b0: &Q) -> MesRun {
        let mult: Vec<Q> = self
            .prep
            .mult
            .iter()
            .map(|&m| Q::from_integer(m.into()))
            .collect();
        let mut budget: Vec<Q> = vec![b0.clone(); mult.len()];
        let mut afford: Vec<Q> = (0..self.costs.len())
            .map(|p| {
                if self.total[p].is_zero() {
                    Q::zero()
                } else {
                    &self.costs[p] / &self.total[p]
                }
            })
            .collect();
        let mut sup = self.sup.clone();
        let mut remaining = self.cands.clone();
        let mut run = MesRun {
            selected: Vec::new(),
            payments: Vec::new(),
            final_budgets: Vec::new(),
            exact: true,
        };
        loop {
            remaining.sort_by(|&a, &b| afford[a].cmp(&afford[b]));
            let mut best: Option<Q> = None;
            let mut tied: Vec<usize> = Vec::new();
            let mut dropped = Vec::new();
            for &p in &remaining {
                let cost = &self.costs[p];
                let avail: Q = sup[p]
                    .iter()
                    .map(|(g, _)| &mult[*g as usize] * &budget[*g as usize])
                    .sum();
                if &avail < cost {
                    dropped.push(p);
                    continue;
                }
                if let Some(b) = &best
                    && &afford[p] > b
                {
                    break;
                }
                let vals = &self.prep.vals;
                sup[p].sort_by(|(g1, u1), (g2, u2)| {
                    (&budget[*g1 as usize] * &vals[*u2 as usize])
                        .cmp(&(&budget[*g2 as usize] * &vals[*u1 as usize]))
                });
                let mut contrib = Q::zero();
                let mut denom = self.total[p].clone();
                for (g, vi) in &sup[p] {
                    let g = *g as usize;
                    let u = &vals[*vi as usize];
                    let af = (cost - &contrib) / &denom;
                    if &af * u <= budget[g] {
                        match &best {
                            Some(b) if &af > b => {}
                            Some(b) if &af == b => tied.push(p),
                            _ => {
                                best = Some(af.clone());
                                tied = vec![p];
                            }
                        }
                        afford[p] = af;
                        break;
                    }
                    contrib += &mult[g] * &budget[g];
                    denom -= &mult[g] * u;
                }
            }
            remaining.retain(|p| !dropped.contains(p));
            let Some(rho) = best else { break };
            let chosen = *tied
                .iter()
                .min_by(|&&a, &&b| self.id_cmp(a, b))
                .expect("non-empty");
            let mut pay = MesPayment {
                rho: to_f64(&rho),
                payers: 0,
                full_budget_payers: 0,
                share_per_voter: None,
                paid_total: 0.0,
            };
            let mut shares = Vec::new();
            for (g, vi) in &sup[chosen] {
                let g = *g as usize;
                let share = &rho * &self.prep.vals[*vi as usize];
                let m = self.prep.mult[g];
                if budget[g].is_positive() {
                    pay.payers += m;
                }
                let paid = if share > budget[g] {
                    if budget[g].is_positive() {
                        pay.full_budget_payers += m;
                    }
                    std::mem::take(&mut budget[g])
                } else {
                    shares.push(share.clone());
                    budget[g] -= &share;
                    share
                };
                pay.paid_total += to_f64(&paid) * m as f64;
            }
            if !shares.is_empty() && shares.iter().all(|s| s == &shares[0]) {
                pay.share_per_voter = Some(to_f64(&shares[0]));
            }
            run.selected.push(chosen);
            run.payments.push(pay);
            remaining.retain(|&p| p != chosen);
        }
        run.final_budgets = budget.iter().map(to_f64).collect();
        run
    }

    fn run_fast(&self, f: &Fast, b0: f64) -> Option<MesRun> {
        let eps = f64::EPSILON;
        let groups = self.prep.mult.len();
        let mut b = vec![b0; groups];
        // Per-group bound on the absolute error of `b`.
        let mut e = vec![2.0 * eps * b0; groups];
        let np = self.costs.len();
        // (stale affordability, its error bound): a lower bound of the current affordability.
        let mut stale: Vec<(f64, f64)> = (0..np)
            .map(|p| {
                let a = if f.total[p] > 0.0 {
                    f.cost[p] / f.total[p]
                } else {
                    0.0
                };
                (a, 2.0 * eps * a)
            })
            .collect();
        let mut remaining = self.cands.clone();
        let mut scratch: Vec<(f64, u32, f64)> = Vec::new();
        let mut run = MesRun {
            selected: Vec::new(),
            payments: Vec::new(),
            final_budgets: Vec::new(),
            exact: false,
        };
        loop {
            remaining.sort_by(|&a, &c| stale[a].0.total_cmp(&stale[c].0));
            let mut best_upper = f64::INFINITY;
            // (project, rho, err, rho is exactly cost/total)
            let mut evals: Vec<(usize, f64, f64, bool)> = Vec::new();
            let mut dropped = Vec::new();
            for &p in &remaining {
                let cost = f.cost[p];
                let mut avail = 0.0;
                let mut avail_err = 0.0;
                for &(g, _) in &f.sup[p] {
                    avail += f.mult[g as usize] * b[g as usize];
                    avail_err += f.mult[g as usize] * e[g as usize];
                }
                let delta = avail_err + (f.sup[p].len() as f64 + 4.0) * eps * avail + eps * cost;
                if avail + delta < cost {
                    dropped.push(p);
                    continue;
                }
                if avail - delta < cost {
                    return None;
                }
                if stale[p].0 - stale[p].1 > best_upper {
                    break;
                }
                let (rho, err, exact) = afford_fast(f, p, &b, &e, &mut scratch)?;
                stale[p] = (rho, err);
                best_upper = best_upper.min(rho + err);
                evals.push((p, rho, err, exact));
            }
            remaining.retain(|p| !dropped.contains(p));
            if evals.is_empty() {
                break;
            }
            let tied: Vec<&(usize, f64, f64, bool)> =
                evals.iter().filter(|e| e.1 - e.2 <= best_upper).collect();
            let &(chosen, rho, err, _) = if tied.len() == 1 {
                tied[0]
            } else if tied.iter().all(|e| e.3) {
                // Every candidate's ρ is exactly cost/total: compare those rationals.
                let key = |p: usize| &self.costs[p] / &self.total[p];
                tied.iter()
                    .copied()
                    .min_by(|x, y| key(x.0).cmp(&key(y.0)).then_with(|| self.id_cmp(x.0, y.0)))
                    .expect("non-empty")
            } else {
                return None;
            };
            let mut pay = MesPayment {
                rho,
                payers: 0,
                full_budget_payers: 0,
                share_per_voter: None,
                paid_total: 0.0,
            };
            let mut any_share = false;
            for &(g, u) in &f.sup[chosen] {
                let g = g as usize;
                let m = self.prep.mult[g];
                let share = rho * u;
                let share_err = u * err + 4.0 * eps * share;
                if b[g] > 0.0 {
                    pay.payers += m;
                }
                let paid = if b[g] + e[g] < share - share_err {
                    // certainly poor: pays everything, the new budget is exactly 0
                    if b[g] > 0.0 {
                        pay.full_budget_payers += m;
                    }
                    e[g] = 0.0;
                    std::mem::take(&mut b[g])
                } else if share > b[g] {
                    if b[g] > 0.0 {
                        pay.full_budget_payers += m;
                    }
                    e[g] += share_err + 2.0 * eps * b0;
                    std::mem::take(&mut b[g])
                } else {
                    any_share = true;
                    b[g] = (b[g] - share).max(0.0);
                    e[g] += share_err + 2.0 * eps * b0;
                    share
                };
                pay.paid_total += paid * m as f64;
            }
            if any_share && f.uniform[chosen] {
                pay.share_per_voter = Some(rho * f.umin[chosen]);
            }
            run.selected.push(chosen);
            run.payments.push(pay);
            remaining.retain(|&p| p != chosen);
        }
        run.final_budgets = b;
        Some(run)
    }
}

/// Affordability of `p` in `f64` with an error bound; `None` when it cannot be certified.
///
/// ρ = (cost − Σ poor budgets) / D_rich, so only the poor supporters' budget errors move it:
/// by at most their error mass over D_rich, provided every rich supporter stays rich (checked
/// with each supporter's own error bound) — otherwise the caller falls back to exact arithmetic.
fn afford_fast(
    f: &Fast,
    p: usize,
    b: &[f64],
    e: &[f64],
    scratch: &mut Vec<(f64, u32, f64)>,
) -> Option<(f64, f64, bool)> {
    let eps = f64::EPSILON;
    let cost = f.cost[p];
    let total = f.total[p];
    let rho0 = cost / total;
    let mut tau_lo = f64::INFINITY;
    for &(g, u) in &f.sup[p] {
        let g = g as usize;
        let r = (b[g] - e[g] - 4.0 * eps * b[g]) / u;
        if r < tau_lo {
            tau_lo = r;
        }
    }
    // All supporters certainly rich: ρ = cost/total exactly (one rounding).
    if tau_lo > rho0 * (1.0 + 8.0 * eps) {
        return Some((rho0, 2.0 * eps * rho0, true));
    }
    scratch.clear();
    scratch.extend(f.sup[p].iter().map(|&(g, u)| (b[g as usize] / u, g, u)));
    scratch.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut contrib = 0.0;
    let mut denom = total;
    let mut poor_err = 0.0;
    let mut poor_len = 0.0;
    let mut found = None;
    for (i, &(_, g, u)) in scratch.iter().enumerate() {
        let g = g as usize;
        let af = (cost - contrib) / denom;
        if af * u <= b[g] {
            found = Some((af, i));
            break;
        }
        contrib += f.mult[g] * b[g];
        denom -= f.mult[g] * u;
        poor_err += f.mult[g] * e[g];
        poor_len += 1.0;
    }
    let (rho, first_rich) = found?;
    let delta = poor_err + (poor_len + 4.0) * eps * (contrib + cost);
    let shift = delta / denom;
    let err = shift + 8.0 * eps * rho;
    // Every rich supporter must stay rich under every admissible error.
    let rich_lo = scratch[first_rich..]
        .iter()
        .map(|&(_, g, u)| (b[g as usize] - e[g as usize] - 4.0 * eps * b[g as usize]) / u)
        .fold(f64::INFINITY, f64::min);
    if rich_lo <= rho + 2.0 * err {
        return None;
    }
    Some((rho, err, false))
}
