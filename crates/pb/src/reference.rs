//! Naive reference implementations (voter by voter, exact rationals, no grouping, no laziness),
//! written directly from pabutools' `naive_mes`, `greedy_utilitarian_scheme_additive` and
//! `sequential_phragmen`, used by the property tests to check the optimised rules.

use num_traits::{Signed, Zero};

use crate::number::Q;
use crate::pabulib::Election;
use crate::profile::Satisfaction;

fn util(e: &Election, sat: Satisfaction, v: usize, p: usize) -> Q {
    let vote = e.votes.get(v);
    let p32 = p as u32;
    match sat {
        Satisfaction::Cost => {
            if vote.projects.contains(&p32) {
                e.projects[p].cost.clone()
            } else {
                Q::zero()
            }
        }
        Satisfaction::Cardinality => {
            if vote.projects.contains(&p32) {
                Q::from_integer(1.into())
            } else {
                Q::zero()
            }
        }
        Satisfaction::Points => {
            let pts = vote.points.expect("points ballots");
            vote.projects
                .iter()
                .zip(pts)
                .filter(|(q, _)| **q == p32)
                .map(|(_, x)| x.clone())
                .next_back()
                .unwrap_or_default()
        }
    }
}

/// pabutools' `naive_mes` (poor/rich affordability recomputed for every project every round),
/// with lexicographic tie-breaking. Returns selected project indices in order.
pub(crate) fn naive_mes(e: &Election, sat: Satisfaction, b0: &Q) -> Vec<usize> {
    let n = e.votes.len();
    let np = e.projects.len();
    let mut budget = vec![b0.clone(); n];
    let u: Vec<Vec<Q>> = (0..n)
        .map(|v| (0..np).map(|p| util(e, sat, v, p)).collect())
        .collect();
    let mut remaining: Vec<usize> = (0..np)
        .filter(|&p| e.projects[p].cost.is_positive() && (0..n).any(|v| u[v][p].is_positive()))
        .collect();
    let mut out = Vec::new();
    loop {
        let mut best: Option<(Q, usize)> = None;
        let mut keep = Vec::new();
        for &p in &remaining {
            let sup: Vec<usize> = (0..n).filter(|&v| u[v][p].is_positive()).collect();
            let avail: Q = sup.iter().map(|&v| budget[v].clone()).sum();
            if avail < e.projects[p].cost {
                continue;
            }
            keep.push(p);
            // poor/rich fixpoint
            let mut rich: Vec<usize> = sup.clone();
            let mut poor_budget = Q::zero();
            let rho = loop {
                let denom: Q = rich.iter().map(|&v| u[v][p].clone()).sum();
                let rho = (&e.projects[p].cost - &poor_budget) / denom;
                let new_poor: Vec<usize> = rich
                    .iter()
                    .copied()
                    .filter(|&v| budget[v] < &rho * &u[v][p])
                    .collect();
                if new_poor.is_empty() {
                    break rho;
                }
                for v in &new_poor {
                    poor_budget += &budget[*v];
                }
                rich.retain(|v| !new_poor.contains(v));
            };
            let better = match &best {
                None => true,
                Some((b, q)) => rho < *b || (rho == *b && e.projects[p].id < e.projects[*q].id),
            };
            if better {
                best = Some((rho, p));
            }
        }
        remaining = keep;
        let Some((rho, p)) = best else { return out };
        for v in 0..n {
            if u[v][p].is_positive() {
                let share = &rho * &u[v][p];
                let pay = if share < budget[v] {
                    share
                } else {
                    budget[v].clone()
                };
                budget[v] -= pay;
            }
        }
        out.push(p);
        remaining.retain(|&q| q != p);
    }
}

/// Greedy utilitarian welfare (additive satisfaction) from scratch.
pub(crate) fn naive_greedy(e: &Election, sat: Satisfaction, initial: &[usize]) -> Vec<usize> {
    let n = e.votes.len();
    let np = e.projects.len();
    let key = |p: usize| -> (u8, Q) {
        let t: Q = (0..n).map(|v| util(e, sat, v, p)).sum();
        if t.is_positive() {
            if e.projects[p].cost.is_positive() {
                (0, &t / &e.projects[p].cost)
            } else {
                (1, Q::zero())
            }
        } else {
            (0, Q::zero())
        }
    };
    let mut order: Vec<usize> = (0..np).filter(|p| !initial.contains(p)).collect();
    order.sort_by(|&a, &b| {
        key(b)
            .cmp(&key(a))
            .then_with(|| e.projects[a].id.cmp(&e.projects[b].id))
    });
    let mut out = initial.to_vec();
    let mut left = &e.budget
        - initial
            .iter()
            .map(|&p| e.projects[p].cost.clone())
            .sum::<Q>();
    for p in order {
        if e.projects[p].cost <= left {
            left -= &e.projects[p].cost;
            out.push(p);
        }
    }
    out
}

/// Sequential Phragmén, voter by voter.
pub(crate) fn naive_phragmen(e: &Election) -> Vec<usize> {
    let n = e.votes.len();
    let mut load = vec![Q::zero(); n];
    let mut remaining: Vec<usize> = (0..e.projects.len())
        .filter(|&p| e.projects[p].cost <= e.budget)
        .collect();
    let mut cost = Q::zero();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let val = |p: usize| -> Option<Q> {
            let sup: Vec<usize> = (0..n)
                .filter(|&v| e.votes.get(v).projects.contains(&(p as u32)))
                .collect();
            if sup.is_empty() {
                return None;
            }
            let s: Q = sup.iter().map(|&v| load[v].clone()).sum::<Q>() + &e.projects[p].cost;
            Some(s / Q::from_integer((sup.len() as i64).into()))
        };
        let vals: Vec<(usize, Option<Q>)> = remaining.iter().map(|&p| (p, val(p))).collect();
        let best = vals
            .iter()
            .map(|(_, v)| v.clone())
            .min_by(|a, b| match (a, b) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => x.cmp(y),
            })
            .expect("non-empty");
        let tied: Vec<usize> = vals
            .iter()
            .filter(|(_, v)| *v == best)
            .map(|(p, _)| *p)
            .collect();
        if tied.iter().any(|&p| &cost + &e.projects[p].cost > e.budget) {
            break;
        }
        let p = *tied
            .iter()
            .min_by(|&&a, &&b| e.projects[a].id.cmp(&e.projects[b].id))
            .expect("non-empty");
        if let Some(l) = &best {
            for (v, lv) in load.iter_mut().enumerate() {
                if e.votes.get(v).projects.contains(&(p as u32)) {
                    *lv = l.clone();
                }
            }
        }
        cost += &e.projects[p].cost;
        out.push(p);
        remaining.retain(|&q| q != p);
    }
    out
}
