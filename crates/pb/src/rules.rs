//! The rules: greedy utilitarian welfare, the Method of Equal Shares (with Add1 and greedy
//! completion) and sequential Phragmén, with the semantics of pabutools 1.2.3 and its default
//! lexicographic tie-breaking on project ids.

use std::cmp::Ordering;

use num_traits::{Signed, Zero};

use crate::error::PbError;
use crate::mes::{self, MesRun};
use crate::number::Q;
use crate::pabulib::{Election, VoteType};
use crate::profile::{Grouping, Prepared, Satisfaction, UtilIdx};

/// Which rule to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// `greedy_utilitarian_welfare`: projects by satisfaction per unit of cost, skipping those that no longer fit.
    Greedy,
    /// `method_of_equal_shares`.
    Mes,
    /// `sequential_phragmen` (approval ballots only).
    Phragmen,
}

/// How a non-exhaustive MES outcome is completed (ignored by the other rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Completion {
    /// Plain MES.
    None,
    /// `voter_budget_increment=1`: raise every voter's budget by 1 until the outcome is exhaustive
    /// (return it) or exceeds the budget limit (return the previous one).
    Add1,
    /// `completion_by_rule_combination` with `greedy_utilitarian_welfare` (same satisfaction).
    Greedy,
}

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The rule.
    pub rule: Rule,
    /// Satisfaction measure (`Cost_Sat`, `Cardinality_Sat` or `Additive_Cardinal_Sat`). Phragmén ignores it.
    pub sat: Satisfaction,
    /// MES completion.
    pub completion: Completion,
}

/// How a project came to be funded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Picked by greedy (as the rule or as MES completion).
    Greedy {
        /// Satisfaction per unit of cost (`None` = infinite, a free project).
        density: Option<f64>,
        /// Budget left before it was funded.
        remaining_before: f64,
    },
    /// Bought by MES: its supporters paid for it.
    Mes(MesPayment),
    /// A zero-cost project with support, added before MES starts (as pabutools does).
    FreeProject,
    /// Picked by Phragmén at this maximal voter load.
    Phragmen {
        /// The new maximal load of its supporters (`None` = no supporters).
        load: Option<f64>,
    },
}

/// How the supporters of a project paid for it under MES.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MesPayment {
    /// The price per unit of satisfaction (pabutools' affordability ρ).
    pub rho: f64,
    /// Voters who paid something.
    pub payers: u64,
    /// Payers who paid their whole remaining budget (they could not afford the equal share).
    pub full_budget_payers: u64,
    /// What each other payer paid, when all supporters have the same satisfaction (approval ballots).
    pub share_per_voter: Option<f64>,
    /// Total paid (equals the cost up to rounding of this display value).
    pub paid_total: f64,
}

/// One funded project, in selection order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// Project index.
    pub project: usize,
    /// How it was funded.
    #[serde(flatten)]
    pub stage: Stage,
}

/// The result of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The options used.
    pub options: Options,
    /// Funded projects in selection order.
    pub steps: Vec<Step>,
    /// Exact total cost of the funded projects.
    pub total_cost: Q,
    /// The budget limit.
    pub budget: Q,
    /// MES only: the per-voter budget of the final run (larger than budget/voters after Add1).
    pub mes_voter_budget: Option<Q>,
    /// MES only: Add1 iterations performed (1 = no increment needed).
    pub mes_iterations: usize,
    /// MES only: the money each project's supporters had left at the end of MES, per project.
    pub mes_available_at_end: Vec<f64>,
    /// Greedy (rule or completion): budget left when a skipped project's turn came.
    pub greedy_skipped: Vec<(usize, f64)>,
    /// Phragmén: the project whose cost stopped the rule and the budget left at that moment.
    pub phragmen_stop: Option<(usize, f64)>,
    /// Supporters (voters giving positive satisfaction) per project.
    pub supporters: Vec<u64>,
    /// How many of the MES runs fell back to exact rational arithmetic (see `mes`).
    pub exact_fallbacks: usize,
}

impl Outcome {
    /// Funded project indices in selection order.
    pub fn selected(&self) -> Vec<usize> {
        self.steps.iter().map(|s| s.project).collect()
    }
}

fn cmp_id(e: &Election, a: usize, b: usize) -> Ordering {
    e.projects[a].id.cmp(&e.projects[b].id)
}

/// Runs a rule.
///
/// ```
/// use sejahtera_pb::{pabulib, solve, Options, Rule, Completion, Satisfaction};
/// let e = pabulib::parse("META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n\
///     a;60\nb;50\nc;40\nVOTES\nvoter_id;vote\n1;a\n2;a\n3;b,c\n").unwrap();
/// let opts = Options { rule: Rule::Mes, sat: Satisfaction::Cost, completion: Completion::None };
/// let out = solve(&e, &opts).unwrap();
/// let ids: Vec<&str> = out.selected().iter().map(|&i| e.projects[i].id.as_str()).collect();
/// assert_eq!(ids, ["a"]);
/// ```
pub fn solve(e: &Election, opts: &Options) -> Result<Outcome, PbError> {
    let sat = if opts.rule == Rule::Phragmen {
        Satisfaction::Cardinality
    } else {
        opts.sat
    };
    // One MES run, or greedy, groups identical ballots only when many coincide.
    let grouping = match (opts.rule, opts.completion) {
        (Rule::Mes, Completion::Add1) | (Rule::Phragmen, _) => Grouping::Always,
        _ => Grouping::IfCommon,
    };
    let prep = Prepared::new(e, sat, grouping)?;
    let supporters: Vec<u64> = (0..e.projects.len())
        .map(|p| prep.positive_sat(p).1)
        .collect();
    let mut out = Outcome {
        options: *opts,
        steps: Vec::new(),
        total_cost: Q::zero(),
        budget: e.budget.clone(),
        mes_voter_budget: None,
        mes_iterations: 0,
        mes_available_at_end: Vec::new(),
        greedy_skipped: Vec::new(),
        phragmen_stop: None,
        supporters,
        exact_fallbacks: 0,
    };
    match opts.rule {
        Rule::Greedy => greedy(e, &prep, &mut out),
        Rule::Phragmen => {
            if !matches!(e.vote_type, VoteType::Approval | VoteType::Choose1) {
                return Err(PbError::Unsupported(format!(
                    "sequential Phragmén applies to approval ballots only (this election has {} ballots)",
                    e.vote_type.as_str()
                )));
            }
            phragmen(e, &prep, &mut out);
        }
        Rule::Mes => {
            run_mes(e, &prep, opts.completion == Completion::Add1, &mut out);
            if opts.completion == Completion::Greedy && !is_exhaustive(e, &out, 0..e.projects.len())
            {
                greedy(e, &prep, &mut out);
            }
        }
    }
    Ok(out)
}

fn is_exhaustive(e: &Election, out: &Outcome, available: impl IntoIterator<Item = usize>) -> bool {
    let chosen: Vec<usize> = out.selected();
    available
        .into_iter()
        .all(|p| chosen.contains(&p) || &out.total_cost + &e.projects[p].cost > e.budget)
}

/// Greedy utilitarian welfare for additive satisfaction, continuing from `out.steps`.
fn greedy(e: &Election, prep: &Prepared, out: &mut Outcome) {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Density {
        Finite(Q),
        Infinite,
    }
    let chosen = out.selected();
    let density = |p: usize| {
        let t = prep.total_sat(p);
        if t.is_positive() {
            if e.projects[p].cost.is_positive() {
                Density::Finite(t / &e.projects[p].cost)
            } else {
                Density::Infinite
            }
        } else {
            Density::Finite(Q::zero())
        }
    };
    let mut order: Vec<(Density, usize)> = (0..e.projects.len())
        .filter(|p| !chosen.contains(p))
        .map(|p| (density(p), p))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| cmp_id(e, a.1, b.1)));
    let mut remaining = &e.budget - &out.total_cost;
    for (d, p) in order {
        let cost = &e.projects[p].cost;
        if cost <= &remaining {
            out.steps.push(Step {
                project: p,
                stage: Stage::Greedy {
                    density: match &d {
                        Density::Finite(q) => Some(crate::number::to_f64(q)),
                        Density::Infinite => None,
                    },
                    remaining_before: crate::number::to_f64(&remaining),
                },
            });
            remaining -= cost;
            out.total_cost += cost;
        } else {
            out.greedy_skipped
                .push((p, crate::number::to_f64(&remaining)));
        }
    }
}

fn run_mes(e: &Election, prep: &Prepared, add1: bool, out: &mut Outcome) {
    let mut cands = Vec::new();
    let mut free = Vec::new();
    for p in 0..e.projects.len() {
        let (t, _) = prep.positive_sat(p);
        if t.is_positive() {
            if e.projects[p].cost.is_positive() {
                cands.push(p)
            } else {
                free.push(p)
            }
        }
    }
    free.sort_by(|&a, &b| cmp_id(e, a, b));
    for &p in &free {
        out.steps.push(Step {
            project: p,
            stage: Stage::FreeProject,
        });
    }
    if prep.n_voters == 0 {
        return;
    }
    let ids: Vec<&str> = e.projects.iter().map(|p| p.id.as_str()).collect();
    let costs: Vec<Q> = e.projects.iter().map(|p| p.cost.clone()).collect();
    let engine = mes::Engine::new(prep, &costs, &ids, &cands);
    let base = &e.budget / Q::from_integer(prep.n_voters.into());
    let mut k: u64 = 0;
    let mut previous: Option<(MesRun, Q)> = None;
    let free_cost: Q = free.iter().map(|&p| e.projects[p].cost.clone()).sum();
    let (run, b0) = loop {
        let b0 = &base + Q::from_integer(k.into());
        let run = engine.run(&b0);
        out.mes_iterations += 1;
        out.exact_fallbacks += usize::from(run.exact);
        if !add1 {
            break (run, b0);
        }
        let total: Q = &free_cost + run.selected.iter().map(|&p| costs[p].clone()).sum::<Q>();
        if total > e.budget {
            // pabutools returns the previous outcome; before the first increment that is the
            // initial allocation (free projects only).
            break previous.unwrap_or((MesRun::empty(prep.mult.len(), &b0), b0));
        }
        let exhaustive = cands
            .iter()
            .all(|&p| run.selected.contains(&p) || &total + &costs[p] > e.budget);
        if exhaustive {
            break (run, b0);
        }
        previous = Some((run, b0));
        k += 1;
    };
    for (p, pay) in run.selected.iter().zip(run.payments.iter()) {
        out.steps.push(Step {
            project: *p,
            stage: Stage::Mes(pay.clone()),
        });
    }
    out.total_cost = out
        .steps
        .iter()
        .map(|s| e.projects[s.project].cost.clone())
        .sum();
    let positive: Vec<bool> = prep.vals.iter().map(|v| v.is_positive()).collect();
    let left = |g: u32| run.final_budget(g as usize) * prep.mult[g as usize] as f64;
    out.mes_available_at_end = (0..e.projects.len())
        .map(|p| match &prep.uidx[p] {
            UtilIdx::Same(vi) if positive[*vi as usize] => {
                prep.sup[p].iter().map(|&g| left(g)).sum()
            }
            _ => prep
                .util(p)
                .filter(|(_, vi)| positive[*vi as usize])
                .map(|(g, _)| left(g))
                .sum(),
        })
        .collect();
    out.mes_voter_budget = Some(b0);
}

/// Sequential Phragmén on approval ballots (pabutools' `sequential_phragmen`): stops as soon as a
/// project with the minimal new maximal load no longer fits the budget.
fn phragmen(e: &Election, prep: &Prepared, out: &mut Outcome) {
    let np = e.projects.len();
    let score: Vec<u64> = (0..np).map(|p| prep.approval_score(p)).collect();
    let mut remaining: Vec<usize> = (0..np)
        .filter(|&p| e.projects[p].cost <= e.budget)
        .collect();
    // Loads take only the values of past steps: a voter's load is the load of the last step that
    // funded one of its projects. cnt[p][k] = supporters of p whose last step is k (0 = load 0).
    let mut loads: Vec<Q> = vec![Q::zero()];
    let mut last: Vec<usize> = vec![0; prep.mult.len()];
    let mut cnt: Vec<Vec<u64>> = vec![Vec::new(); np];
    for (p, c) in cnt.iter_mut().enumerate() {
        c.push(score[p]);
    }
    let mut cost = Q::zero();
    while !remaining.is_empty() {
        // None = infinite (no supporters).
        let mut best: Option<Option<Q>> = None;
        let mut tied: Vec<usize> = Vec::new();
        for &p in &remaining {
            let val = if score[p] == 0 {
                None
            } else {
                let mut s = e.projects[p].cost.clone();
                for (k, &c) in cnt[p].iter().enumerate().skip(1) {
                    if c > 0 {
                        s += &loads[k] * Q::from_integer(c.into());
                    }
                }
                Some(s / Q::from_integer(score[p].into()))
            };
            let ord = match (&best, &val) {
                (None, _) => Ordering::Less,
                (Some(None), None) => Ordering::Equal,
                (Some(None), Some(_)) => Ordering::Less,
                (Some(Some(_)), None) => Ordering::Greater,
                (Some(Some(b)), Some(v)) => v.cmp(b),
            };
            match ord {
                Ordering::Less => {
                    best = Some(val);
                    tied = vec![p];
                }
                Ordering::Equal => tied.push(p),
                Ordering::Greater => {}
            }
        }
        if let Some(&stop) = tied
            .iter()
            .find(|&&p| &cost + &e.projects[p].cost > e.budget)
        {
            out.phragmen_stop = Some((stop, crate::number::to_f64(&(&e.budget - &cost))));
            break;
        }
        let chosen = *tied
            .iter()
            .min_by(|&&a, &&b| cmp_id(e, a, b))
            .expect("tied is non-empty");
        let load = best.flatten();
        if let Some(l) = &load {
            loads.push(l.clone());
            let k = loads.len() - 1;
            for &g in &prep.sup[chosen] {
                let g = g as usize;
                let old = last[g];
                let m = prep.mult[g];
                for q in prep.ballot(g) {
                    let c = &mut cnt[q as usize];
                    if c.len() <= k {
                        c.resize(k + 1, 0);
                    }
                    c[old] -= m;
                    c[k] += m;
                }
                last[g] = k;
            }
        }
        out.steps.push(Step {
            project: chosen,
            stage: Stage::Phragmen {
                load: load.as_ref().map(crate::number::to_f64),
            },
        });
        cost += &e.projects[chosen].cost;
        remaining.retain(|&p| p != chosen);
    }
    out.total_cost = cost;
}
