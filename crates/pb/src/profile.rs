//! Satisfaction measures and the per-project utility tables the rules work on.

use std::collections::HashMap;

use num_traits::{One, Signed, Zero};

use crate::error::PbError;
use crate::number::Q;
use crate::pabulib::{Election, VoteType};

/// How much a voter is satisfied by a funded project (pabutools' additive satisfaction classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Satisfaction {
    /// `Cost_Sat`: the project's cost if the voter supports it (listed it on the ballot).
    Cost,
    /// `Cardinality_Sat`: 1 if the voter supports it.
    Cardinality,
    /// `Additive_Cardinal_Sat`: the points the voter gave it (cumulative and scoring ballots).
    Points,
}

impl Satisfaction {
    /// The default for a ballot type: points for cumulative/scoring ballots, cost otherwise.
    pub fn default_for(vote_type: VoteType) -> Self {
        if vote_type.has_points() {
            Satisfaction::Points
        } else {
            Satisfaction::Cost
        }
    }

    /// Name of the pabutools class.
    pub fn pabutools_name(self) -> &'static str {
        match self {
            Satisfaction::Cost => "Cost_Sat",
            Satisfaction::Cardinality => "Cardinality_Sat",
            Satisfaction::Points => "Additive_Cardinal_Sat",
        }
    }
}

/// Voters grouped by identical ballots, with each project's non-zero utilities.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Number of voters (ballots).
    pub n_voters: u64,
    /// Multiplicity of each group of identical ballots.
    pub mult: Vec<u64>,
    /// Distinct utility values (interned; utilities below are indices into this table).
    pub vals: Vec<Q>,
    /// Per project: `(group, utility index)` for every group with a non-zero utility.
    pub util: Vec<Vec<(u32, u32)>>,
    /// Per group: the projects its ballot lists (membership), sorted.
    pub ballots: Vec<Vec<u32>>,
}

impl Prepared {
    pub(crate) fn new(e: &Election, sat: Satisfaction) -> Result<Self, PbError> {
        if sat == Satisfaction::Points && !e.vote_type.has_points() {
            return Err(PbError::Unsupported(format!(
                "points satisfaction needs cumulative or scoring ballots, this election has {} ballots",
                e.vote_type.as_str()
            )));
        }
        let mut vals: Vec<Q> = Vec::new();
        let mut val_index: HashMap<Q, u32> = HashMap::new();
        let mut intern = |q: &Q, vals: &mut Vec<Q>| -> u32 {
            if let Some(&i) = val_index.get(q) {
                return i;
            }
            let i = vals.len() as u32;
            vals.push(q.clone());
            val_index.insert(q.clone(), i);
            i
        };
        // Utility index of each project under cost / cardinality satisfaction.
        let fixed: Vec<u32> = match sat {
            Satisfaction::Cost => e
                .projects
                .iter()
                .map(|p| intern(&p.cost, &mut vals))
                .collect(),
            Satisfaction::Cardinality => {
                let one = intern(&Q::one(), &mut vals);
                vec![one; e.projects.len()]
            }
            Satisfaction::Points => Vec::new(),
        };
        let mut index: HashMap<Vec<(u32, u32)>, usize> = HashMap::new();
        let mut mult: Vec<u64> = Vec::new();
        let mut keys: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut key: Vec<(u32, u32)> = Vec::new();
        for v in &e.votes {
            key.clear();
            match sat {
                Satisfaction::Points => {
                    // A cumulative ballot is a dict: a later entry for the same project wins.
                    if let Some(pts) = &v.points {
                        for (&p, q) in v.projects.iter().zip(pts).rev() {
                            if !key.iter().any(|(kp, _)| *kp == p as u32) {
                                let vi = intern(q, &mut vals);
                                key.push((p as u32, vi));
                            }
                        }
                    }
                }
                _ => key.extend(v.projects.iter().map(|&p| (p as u32, fixed[p]))),
            }
            key.sort_unstable_by_key(|(p, _)| *p);
            key.dedup_by_key(|(p, _)| *p);
            match index.get(&key) {
                Some(&g) => mult[g] += 1,
                None => {
                    index.insert(key.clone(), mult.len());
                    mult.push(1);
                    keys.push(key.clone());
                }
            }
        }
        let mut util: Vec<Vec<(u32, u32)>> = vec![Vec::new(); e.projects.len()];
        let mut ballots = Vec::with_capacity(keys.len());
        for (g, key) in keys.into_iter().enumerate() {
            ballots.push(key.iter().map(|(p, _)| *p).collect());
            for (p, vi) in key {
                if !vals[vi as usize].is_zero() {
                    util[p as usize].push((g as u32, vi));
                }
            }
        }
        Ok(Prepared {
            n_voters: e.votes.len() as u64,
            mult,
            vals,
            util,
            ballots,
        })
    }

    /// Σ multiplicity per utility value of project `p`, keeping values accepted by `keep`.
    fn weighted(&self, p: usize, keep: impl Fn(&Q) -> bool) -> (Q, u64) {
        let mut per: HashMap<u32, u64> = HashMap::new();
        for (g, vi) in &self.util[p] {
            *per.entry(*vi).or_default() += self.mult[*g as usize];
        }
        let mut t = Q::zero();
        let mut n = 0;
        for (vi, m) in per {
            let v = &self.vals[vi as usize];
            if keep(v) {
                t += v * Q::from_integer(m.into());
                n += m;
            }
        }
        (t, n)
    }

    /// Total satisfaction of project `p` over all voters (any sign).
    pub(crate) fn total_sat(&self, p: usize) -> Q {
        self.weighted(p, |_| true).0
    }

    /// Total satisfaction of `p` over its supporters (positive utility) and their number.
    pub(crate) fn positive_sat(&self, p: usize) -> (Q, u64) {
        self.weighted(p, |v| v.is_positive())
    }

    /// Number of voters listing `p` on their ballot.
    pub(crate) fn approval_score(&self, p: usize) -> u64 {
        self.util[p]
            .iter()
            .map(|(g, _)| self.mult[*g as usize])
            .sum()
    }
}
