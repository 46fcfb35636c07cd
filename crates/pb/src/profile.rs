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
    /// Per group `g`: the projects its ballot lists (membership), sorted, are
    /// `ballot_items[ballot_ends[g - 1]..ballot_ends[g]]` (see [`Prepared::ballot`]).
    ballot_items: Vec<u32>,
    ballot_ends: Vec<u32>,
    /// Per project: total satisfaction over all voters (any sign).
    total: Vec<Q>,
    /// Per project: total satisfaction over its supporters (positive utility) and their number.
    positive: Vec<(Q, u64)>,
}

/// A fast non-cryptographic hasher (the `FxHash` multiply-rotate scheme) for the ballot index;
/// the keys come from the input file, but a collision flood only costs time, never correctness.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n.into());
    }
    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

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
        let mut mult: Vec<u64> = Vec::new();
        // The ballot of each group, flat: `keys_flat[key_ends[g - 1]..key_ends[g]]`.
        let mut keys_flat: Vec<(u32, u32)> = Vec::new();
        let mut key_ends: Vec<u32> = Vec::new();
        if sat != Satisfaction::Points && e.projects.len() <= 128 {
            // Approval-like ballots over at most 128 projects: the ballot is a bit set.
            let mut index: HashMap<u128, u32, FxBuild> = HashMap::default();
            let mut sets: Vec<u128> = Vec::new();
            for v in &e.votes {
                let set = v.projects.iter().fold(0u128, |s, &p| s | (1u128 << p));
                let next = mult.len() as u32;
                let g = *index.entry(set).or_insert(next);
                if g == next {
                    mult.push(1);
                    sets.push(set);
                } else {
                    mult[g as usize] += 1;
                }
            }
            for mut set in sets {
                while set != 0 {
                    let p = set.trailing_zeros();
                    keys_flat.push((p, fixed[p as usize]));
                    set &= set - 1;
                }
                key_ends.push(keys_flat.len() as u32);
            }
        } else {
            let mut index: HashMap<Vec<(u32, u32)>, usize, FxBuild> = HashMap::default();
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
                        keys_flat.extend_from_slice(&key);
                        key_ends.push(keys_flat.len() as u32);
                    }
                }
            }
        }
        let mut util: Vec<Vec<(u32, u32)>> = vec![Vec::new(); e.projects.len()];
        let zero: Vec<bool> = vals.iter().map(|v| v.is_zero()).collect();
        let mut start = 0;
        for (g, &end) in key_ends.iter().enumerate() {
            for &(p, vi) in &keys_flat[start..end as usize] {
                if !zero[vi as usize] {
                    util[p as usize].push((g as u32, vi));
                }
            }
            start = end as usize;
        }
        let ballot_items: Vec<u32> = keys_flat.iter().map(|(p, _)| *p).collect();
        let ballot_ends = key_ends;
        let mut total = Vec::with_capacity(util.len());
        let mut positive = Vec::with_capacity(util.len());
        let mut per = vec![0u64; vals.len()];
        for list in &util {
            per.iter_mut().for_each(|c| *c = 0);
            for (g, vi) in list {
                per[*vi as usize] += mult[*g as usize];
            }
            let (mut t, mut pt, mut n) = (Q::zero(), Q::zero(), 0u64);
            for (vi, &m) in per.iter().enumerate() {
                if m == 0 {
                    continue;
                }
                let x = &vals[vi] * Q::from_integer(m.into());
                if vals[vi].is_positive() {
                    pt += &x;
                    n += m;
                }
                t += x;
            }
            total.push(t);
            positive.push((pt, n));
        }
        Ok(Prepared {
            n_voters: e.votes.len() as u64,
            mult,
            vals,
            util,
            ballot_items,
            ballot_ends,
            total,
            positive,
        })
    }

    /// Total satisfaction of project `p` over all voters (any sign).
    pub(crate) fn total_sat(&self, p: usize) -> Q {
        self.total[p].clone()
    }

    /// Total satisfaction of `p` over its supporters (positive utility) and their number.
    pub(crate) fn positive_sat(&self, p: usize) -> (Q, u64) {
        self.positive[p].clone()
    }

    /// The projects group `g`'s ballot lists, sorted.
    pub(crate) fn ballot(&self, g: usize) -> &[u32] {
        let start = if g == 0 {
            0
        } else {
            self.ballot_ends[g - 1] as usize
        };
        &self.ballot_items[start..self.ballot_ends[g] as usize]
    }

    /// Number of voters listing `p` on their ballot.
    pub(crate) fn approval_score(&self, p: usize) -> u64 {
        self.util[p]
            .iter()
            .map(|(g, _)| self.mult[*g as usize])
            .sum()
    }
}
