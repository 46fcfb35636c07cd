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

use std::borrow::Cow;
use std::collections::HashMap;

use num_traits::{Signed, ToPrimitive, Zero};

use crate::number::{Q, to_f64};
use crate::profile::{FxBuild, Prepared, UtilIdx};
use crate::rules::MesPayment;

/// The result of one MES run at a fixed per-voter budget.
#[derive(Debug, Clone)]
pub(crate) struct MesRun {
    pub selected: Vec<usize>,
    pub payments: Vec<MesPayment>,
    /// Budget left at the end: voter group `g` has `class_budget[final_class[g]]` (the fast
    /// path's budget classes; the exact path has one class per group).
    pub final_class: Vec<u32>,
    pub class_budget: Vec<f64>,
    /// Whether the exact path produced this run.
    pub exact: bool,
}

impl MesRun {
    pub(crate) fn empty(groups: usize, b0: &Q) -> Self {
        MesRun {
            selected: Vec::new(),
            payments: Vec::new(),
            final_class: vec![0; groups],
            class_budget: vec![to_f64(b0)],
            exact: false,
        }
    }

    /// Budget left to voter group `g` at the end.
    pub(crate) fn final_budget(&self, g: usize) -> f64 {
        self.class_budget[self.final_class[g] as usize]
    }

    /// Budget left per voter group at the end.
    #[cfg(test)]
    pub(crate) fn final_budgets(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.final_class.len()).map(|g| self.final_budget(g))
    }
}

/// Precomputed tables for repeated MES runs (Add1 runs MES once per budget increment).
pub(crate) struct Engine<'a> {
    prep: &'a Prepared,
    ids: &'a [&'a str],
    cands: Vec<usize>,
    costs: &'a [Q],
    /// Supporters (positive utility) per project: `(group, utility index)`, built when the exact
    /// path first needs it.
    sup: std::cell::OnceCell<Vec<Vec<(u32, u32)>>>,
    total: Vec<Q>,
    /// Fast path data; `None` when the inputs are not exactly representable in `f64`.
    fast: Option<Fast<'a>>,
    scratch: std::cell::RefCell<Scratch>,
}

struct Fast<'a> {
    /// Per project with differing utilities: (group, utility) of every supporter (empty when
    /// all supporters have the same utility `umin`).
    sup: Vec<Vec<(u32, f64)>>,
    /// Per project: the group of every supporter (the hot loop of uniform projects), borrowed
    /// from [`Prepared::sup`] unless some listed group has a negative utility.
    sup_g: Vec<Cow<'a, [u32]>>,
    cost: Vec<f64>,
    total: Vec<f64>,
    umin: Vec<f64>,
    umax: Vec<f64>,
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
        let mut total = vec![Q::zero(); np];
        for &p in cands {
            total[p] = prep.positive_sat(p).0;
        }
        let positive: Vec<bool> = prep.vals.iter().map(|v| v.is_positive()).collect();
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
            sup_g: vec![Cow::Borrowed(&[][..]); np],
            cost: vec![0.0; np],
            total: vec![0.0; np],
            umin: vec![0.0; np],
            umax: vec![0.0; np],
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
            let mut all_positive = true;
            // The utility indices of the supporters (one for all under cost or cardinality).
            let vis: &[u32] = match &prep.uidx[p] {
                _ if prep.sup[p].is_empty() => &[],
                UtilIdx::Same(vi) => std::slice::from_ref(vi),
                UtilIdx::Each(each) => each,
            };
            for &vi in vis {
                if !positive[vi as usize] {
                    all_positive = false;
                    continue;
                }
                let Some(uf) = vals_f[vi as usize] else {
                    fast_ok = false;
                    break;
                };
                umin = umin.min(uf);
                umax = umax.max(uf);
            }
            let sup = prep.util(p).filter(|(_, vi)| positive[*vi as usize]);
            f.sup_g[p] = if all_positive {
                Cow::Borrowed(&prep.sup[p][..])
            } else {
                Cow::Owned(sup.clone().map(|(g, _)| g).collect())
            };
            f.umin[p] = umin;
            f.umax[p] = umax;
            f.uniform[p] = umin == umax;
            if !f.uniform[p] {
                // Per-supporter utilities are only needed when they differ.
                f.sup[p] = sup
                    .map(|(g, vi)| (g, vals_f[vi as usize].unwrap_or(f64::NAN)))
                    .collect();
            }
        }
        Engine {
            prep,
            ids,
            cands: cands.to_vec(),
            costs,
            sup: std::cell::OnceCell::new(),
            total,
            fast: fast_ok.then_some(f),
            scratch: Default::default(),
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
        let mut sup = self
            .sup
            .get_or_init(|| {
                let mut sup = vec![Vec::new(); self.costs.len()];
                for &p in &self.cands {
                    sup[p] = self
                        .prep
                        .util(p)
                        .filter(|(_, vi)| self.prep.vals[*vi as usize].is_positive())
                        .collect();
                }
                sup
            })
            .clone();
        let mut remaining = self.cands.clone();
        let mut run = MesRun {
            selected: Vec::new(),
            payments: Vec::new(),
            final_class: Vec::new(),
            class_budget: Vec::new(),
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
        run.final_class = (0..budget.len() as u32).collect();
        run.class_budget = budget.iter().map(to_f64).collect();
        run
    }

    /// The fast path. Voter groups whose budgets (and error bounds) are bit-identical share a
    /// *budget class*: every group starts in class 0, and a purchase moves all supporters of one
    /// class (with the same utility for the bought project) to the same new class. A project's
    /// supporters are then summarised as a few cells (class, utility, multiplicity), and the
    /// affordability is computed over the cells instead of the voter groups; the arithmetic is
    /// the same as over the groups one by one (see [`afford_cells`]).
    fn run_fast(&self, f: &Fast<'_>, b0: f64) -> Option<MesRun> {
        let eps = f64::EPSILON;
        let groups = self.prep.mult.len();
        // Buffers reused from run to run (Add1 makes hundreds of runs).
        let mut scratch = self.scratch.borrow_mut();
        let Scratch {
            class_of,
            cls,
            hist,
            touched,
            cells,
            merge,
            trans,
            moves,
            trans_set,
            trans_map,
        } = &mut *scratch;
        class_of.clear();
        class_of.resize(groups, 0);
        // Per class: budget and an upper bound on its absolute error.
        // Class 1 is "certainly nothing left" (budget 0, no error), shared by all who reach it.
        cls.clear();
        cls.extend([(b0, 2.0 * eps * b0), (0.0, 0.0)]);
        hist.clear();
        hist.resize(2, 0);
        touched.clear();
        // Per class, during a purchase: its entry in `moves` (u32::MAX = none yet).
        trans.clear();
        trans.resize(2, u32::MAX);
        trans_set.clear();
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
        let mut run = MesRun {
            selected: Vec::new(),
            payments: Vec::new(),
            final_class: Vec::new(),
            class_budget: Vec::new(),
            exact: false,
        };
        let mut evals: Vec<(usize, f64, f64, bool)> = Vec::new();
        let mut dropped = Vec::new();
        loop {
            remaining.sort_by(|&a, &c| stale[a].0.total_cmp(&stale[c].0));
            let mut best_upper = f64::INFINITY;
            // (project, rho, err, rho is exactly cost/total)
            evals.clear();
            dropped.clear();
            for &p in &remaining {
                // Projects are scanned by increasing stale affordability, a lower bound of the
                // current one: once it exceeds the best upper bound found, so do all later ones.
                // (pabutools checks this after the drop test below; an unaffordable project is
                // never bought, so dropping it a round later changes nothing.)
                if stale[p].0 - stale[p].1 > best_upper {
                    break;
                }
                let cost = f.cost[p];
                // The supporters as cells of equal budget class and utility.
                cells.clear();
                if f.uniform[p] {
                    let u = f.umin[p];
                    histogram(&f.sup_g[p], &self.prep.mult, class_of, hist, touched);
                    for c in touched.drain(..) {
                        let m = std::mem::take(&mut hist[c as usize]);
                        let (b, e) = cls[c as usize];
                        cells.push(Cell::new(b, e, u, m as f64));
                    }
                } else {
                    merge.clear();
                    merge.extend(f.sup[p].iter().map(|&(g, u)| {
                        (
                            class_of[g as usize],
                            u.to_bits(),
                            u,
                            self.prep.mult[g as usize],
                        )
                    }));
                    merge.sort_unstable_by_key(|x| (x.0, x.1));
                    let mut i = 0;
                    while i < merge.len() {
                        let (c, ub, u, mut m) = merge[i];
                        i += 1;
                        while i < merge.len() && merge[i].0 == c && merge[i].1 == ub {
                            m += merge[i].3;
                            i += 1;
                        }
                        let (b, e) = cls[c as usize];
                        cells.push(Cell::new(b, e, u, m as f64));
                    }
                }
                let mut avail = 0.0;
                let mut avail_err = 0.0;
                let mut tau_lo = f64::INFINITY;
                for c in cells.iter() {
                    avail += c.m * c.b;
                    avail_err += c.m * c.e;
                    tau_lo = tau_lo.min(c.lo);
                }
                let terms = f.sup_g[p].len() as f64;
                let delta = avail_err + (terms + 4.0) * eps * avail + eps * cost;
                if avail + delta < cost {
                    dropped.push(p);
                    continue;
                }
                if avail - delta < cost {
                    return None;
                }
                let (rho, err, exact) = afford_cells(cost, f.total[p], tau_lo, stale[p].0, cells)?;
                stale[p] = (rho, err);
                best_upper = best_upper.min(rho + err);
                evals.push((p, rho, err, exact));
            }
            if !dropped.is_empty() {
                remaining.retain(|p| !dropped.contains(p));
            }
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
            trans.resize(cls.len(), u32::MAX);
            trans_map.clear();
            moves.clear();
            let mult = &self.prep.mult;
            if f.uniform[chosen] {
                // One move per class of supporters, with the class's voters counted first, so
                // that moving the groups is a loop without branches.
                let u = f.umin[chosen];
                let sup = &f.sup_g[chosen];
                histogram(sup, mult, class_of, hist, touched);
                for c in touched.drain(..) {
                    let mass = std::mem::take(&mut hist[c as usize]);
                    let mv = if c == 1 {
                        // Exactly nothing left: pays nothing and stays.
                        moves.push(Move {
                            to: 1,
                            had: 0.0,
                            paid: 0.0,
                            full: true,
                            mass: 0,
                        });
                        moves.len() as u32 - 1
                    } else {
                        new_move(cls, hist, moves, c, u, rho, err, b0)
                    };
                    moves[mv as usize].mass = mass;
                    trans[c as usize] = mv;
                    trans_set.push(c);
                }
                for &g in sup.iter() {
                    let c = &mut class_of[g as usize];
                    *c = moves[trans[*c as usize] as usize].to;
                }
            } else {
                for &(g, u) in f.sup[chosen].iter() {
                    let g = g as usize;
                    let c = class_of[g];
                    if c == 1 {
                        continue; // exactly nothing left: pays nothing and stays
                    }
                    let mv = match trans_map.get(&(c, u.to_bits())) {
                        Some(&mv) => mv,
                        None => {
                            let mv = new_move(cls, hist, moves, c, u, rho, err, b0);
                            trans_map.insert((c, u.to_bits()), mv);
                            mv
                        }
                    };
                    let mv = &mut moves[mv as usize];
                    mv.mass += mult[g];
                    class_of[g] = mv.to;
                }
            }
            for c in trans_set.drain(..) {
                trans[c as usize] = u32::MAX;
            }
            for mv in moves.iter() {
                if mv.had > 0.0 {
                    pay.payers += mv.mass;
                    if mv.full {
                        pay.full_budget_payers += mv.mass;
                    }
                }
                any_share |= !mv.full;
                pay.paid_total += mv.paid * mv.mass as f64;
            }
            if any_share && f.uniform[chosen] {
                pay.share_per_voter = Some(rho * f.umin[chosen]);
            }
            run.selected.push(chosen);
            run.payments.push(pay);
            remaining.retain(|&p| p != chosen);
        }
        run.class_budget = cls.iter().map(|c| c.0).collect();
        run.final_class = std::mem::take(class_of);
        Some(run)
    }
}

/// The working buffers of [`Engine::run_fast`] (see there).
#[derive(Default)]
struct Scratch {
    class_of: Vec<u32>,
    cls: Vec<(f64, f64)>,
    hist: Vec<u64>,
    touched: Vec<u32>,
    cells: Vec<Cell>,
    merge: Vec<(u32, u64, f64, u64)>,
    trans: Vec<u32>,
    moves: Vec<Move>,
    trans_set: Vec<u32>,
    trans_map: HashMap<(u32, u64), u32, FxBuild>,
}

/// During a purchase at price `rho` (error bound `err`): where the supporters of class `c` with
/// utility `u` go. Adds the move (and a new class unless they certainly end with nothing) and
/// returns its index in `moves`.
#[allow(clippy::too_many_arguments)]
fn new_move(
    cls: &mut Vec<(f64, f64)>,
    hist: &mut Vec<u64>,
    moves: &mut Vec<Move>,
    c: u32,
    u: f64,
    rho: f64,
    err: f64,
    b0: f64,
) -> u32 {
    let eps = f64::EPSILON;
    let (b, e) = cls[c as usize];
    let share = rho * u;
    let share_err = u * err + 4.0 * eps * share;
    let (nb, ne, paid, full) = if b + e < share - share_err {
        // certainly poor: pays everything, the new budget is exactly 0
        (0.0, 0.0, b, true)
    } else if share > b {
        (0.0, e + share_err + 2.0 * eps * b0, b, true)
    } else {
        (
            (b - share).max(0.0),
            e + share_err + 2.0 * eps * b0,
            share,
            false,
        )
    };
    let to = if (nb, ne) == (0.0, 0.0) {
        1
    } else {
        cls.push((nb, ne));
        hist.push(0);
        cls.len() as u32 - 1
    };
    moves.push(Move {
        to,
        had: b,
        paid,
        full,
        mass: 0,
    });
    moves.len() as u32 - 1
}

/// During a purchase: where the supporters of one budget class (and utility) go.
struct Move {
    /// The new class.
    to: u32,
    /// Budget before paying.
    had: f64,
    /// Amount each paid.
    paid: f64,
    /// Whether they paid everything they had.
    full: bool,
    /// Voters moved.
    mass: u64,
}

/// Supporters of one project with the same budget class and utility.
#[derive(Clone, Copy)]
struct Cell {
    /// b/u: the price per unit of satisfaction at which these supporters run out of money.
    r: f64,
    /// Budget and its error bound.
    b: f64,
    e: f64,
    /// Utility.
    u: f64,
    /// Number of voters.
    m: f64,
    /// A certain lower bound of b/u.
    lo: f64,
}

impl Cell {
    fn new(b: f64, e: f64, u: f64, m: f64) -> Self {
        Cell {
            r: b / u,
            b,
            e,
            u,
            m,
            lo: (b - e - 4.0 * f64::EPSILON * b) / u,
        }
    }
}

/// Affordability over a project's cells in `f64` with an error bound; `None` when it cannot be
/// certified.
///
/// ρ = (cost − Σ poor budgets) / D_rich, so only the poor supporters' budget errors move it:
/// by at most their error mass over D_rich, provided every rich supporter stays rich (checked
/// with each cell's own error bound) — otherwise the caller falls back to exact arithmetic.
/// Cells are processed in order of b/u exactly as pabutools processes voters; voters with equal
/// b/u are either all poor or all rich, so treating a cell at once gives the same ρ.
fn afford_cells(
    cost: f64,
    total: f64,
    tau_lo: f64,
    hint: f64,
    cells: &mut [Cell],
) -> Option<(f64, f64, bool)> {
    let eps = f64::EPSILON;
    let rho0 = cost / total;
    // All supporters certainly rich: ρ = cost/total exactly (one rounding).
    if tau_lo > rho0 * (1.0 + 8.0 * eps) {
        return Some((rho0, 2.0 * eps * rho0, true));
    }
    // Process the cells in increasing b/u, sorting only those below a threshold that grows
    // until a rich cell is found (the poor cells are the ones with the smallest b/u). ρ is at
    // least `hint` (the project's affordability in an earlier round: budgets only shrink), so
    // the first threshold starts a little above it.
    let mut contrib = 0.0;
    let mut denom = total;
    let mut poor_err = 0.0;
    let mut poor_len = 0.0;
    let mut found = None;
    let mut done = 0;
    let mut threshold = rho0.max(hint) * 1.25;
    'outer: while done < cells.len() {
        let rest = &mut cells[done..];
        let mut k = 0;
        for i in 0..rest.len() {
            if rest[i].r <= threshold {
                rest.swap(i, k);
                k += 1;
            }
        }
        if k == 0 {
            // Nothing below the threshold: take the smallest remaining cell.
            let i = (0..rest.len())
                .min_by(|&x, &y| rest[x].r.total_cmp(&rest[y].r))
                .expect("non-empty");
            rest.swap(0, i);
            k = 1;
        }
        rest[..k].sort_unstable_by(|x, y| x.r.total_cmp(&y.r));
        for (i, c) in cells.iter().enumerate().skip(done).take(k) {
            let af = (cost - contrib) / denom;
            if af * c.u <= c.b {
                found = Some((af, i));
                break 'outer;
            }
            contrib += c.m * c.b;
            denom -= c.m * c.u;
            poor_err += c.m * c.e;
            poor_len += 1.0;
        }
        done += k;
        let af = (cost - contrib) / denom;
        threshold = if af.is_finite() {
            (threshold * 2.0).max(af * 2.0)
        } else {
            f64::INFINITY
        };
    }
    let (rho, first_rich) = found?;
    let delta = poor_err + (poor_len + 4.0) * eps * (contrib + cost);
    let shift = delta / denom;
    let err = shift + 8.0 * eps * rho;
    // Every rich supporter must stay rich under every admissible error.
    let rich_lo = cells[first_rich..]
        .iter()
        .map(|c| c.lo)
        .fold(f64::INFINITY, f64::min);
    if rich_lo <= rho + 2.0 * err {
        return None;
    }
    Some((rho, err, false))
}

/// Adds each supporter's multiplicity to its budget class; `touched` lists the classes seen.
#[inline(never)]
fn histogram(
    sup: &[u32],
    mult: &[u64],
    class_of: &[u32],
    hist: &mut [u64],
    touched: &mut Vec<u32>,
) {
    // Branch-free: every class is written at the end of `touched`, which only grows when the
    // class is new (whether it is new is unpredictable).
    let mut n = touched.len();
    touched.resize(n + sup.len(), 0);
    for &g in sup {
        let c = class_of[g as usize];
        let h = &mut hist[c as usize];
        touched[n] = c;
        n += usize::from(*h == 0);
        *h += mult[g as usize];
    }
    touched.truncate(n);
}
