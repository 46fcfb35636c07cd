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
    /// Per project: the groups with a non-zero utility, in increasing order.
    pub sup: Vec<Vec<u32>>,
    /// Per project: the utility indices of those groups (see [`Prepared::util`]).
    pub uidx: Vec<UtilIdx>,
    /// Per group: the projects its ballot lists (see [`Prepared::ballot`]).
    ballots: Ballots,
    /// Per project: total satisfaction over all voters (any sign).
    total: Vec<Q>,
    /// Per project: total satisfaction over its supporters (positive utility) and their number.
    positive: Vec<(Q, u64)>,
}

/// The utility indices of one project's groups in [`Prepared::sup`].
#[derive(Debug, Clone)]
pub(crate) enum UtilIdx {
    /// The same for all (cost and cardinality satisfaction).
    Same(u32),
    /// One per group, parallel to the groups.
    Each(Vec<u32>),
}

/// The ballots of the voter groups.
#[derive(Debug, Clone)]
enum Ballots {
    /// Approval ballots over at most 128 projects: bit `p` of a set is project `p`.
    Sets(Vec<u128>),
    /// Otherwise: the projects of group `g` are `items[ends[g - 1]..ends[g]]`, sorted.
    Lists { items: Vec<u32>, ends: Vec<u32> },
    /// Not kept: approval ballots not grouped (see [`Grouping`]).
    Ungrouped,
}

/// Whether [`Prepared::new`] groups identical approval ballots (other ballots are always
/// grouped; [`Prepared::ballot`], used by Phragmén, needs grouping). Grouping never changes an outcome; it costs a hash-table lookup per ballot and
/// saves work per supporter in every MES run, so it pays for Add1 (hundreds of runs) or when
/// many ballots coincide, but not for one run over mostly distinct ballots (Warszawa 2026:
/// 61,668 ballots, 51,202 distinct).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grouping {
    Always,
    #[cfg_attr(not(test), allow(dead_code))]
    Never,
    /// When at least half of a sample of ballots repeat an earlier one.
    IfCommon,
}

/// Whether among the first 2,048 approval ballots at least half repeat an earlier one.
fn duplicates_common(e: &Election) -> bool {
    let mut sample: Vec<u128> = e
        .votes
        .iter()
        .take(2048)
        .map(|v| v.projects.iter().fold(0u128, |s, &p| s | (1u128 << p)))
        .collect();
    let n = sample.len();
    sample.sort_unstable();
    sample.dedup();
    2 * sample.len() <= n
}

/// The members of a bit set, in increasing order.
fn bits(mut set: u128) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (set != 0).then(|| {
            let p = set.trailing_zeros();
            set &= set - 1;
            p
        })
    })
}

/// Groups approval ballots (over at most 128 projects) by their bit set, in order of first
/// appearance: returns each group's set and adds its multiplicity to `mult`.
///
/// A plain open-addressing table of group numbers (linear probing, at most half full) keyed by
/// the sets stored once in the result: four bytes per slot, where a general hash map of
/// `u128 → u32` takes 32 (page faults of a fresh table cost more than the lookups here).
fn group_sets(e: &Election, mult: &mut Vec<u64>) -> Vec<u128> {
    let n = e.votes.len();
    let bits_n = (2 * n).next_power_of_two().max(16).trailing_zeros();
    let mask = (1usize << bits_n) - 1;
    let mut table: Vec<u32> = vec![u32::MAX; mask + 1];
    let mut sets: Vec<u128> = Vec::with_capacity(n);
    mult.reserve(n);
    for v in e.votes.iter() {
        let set = v.projects.iter().fold(0u128, |s, &p| s | (1u128 << p));
        // Multiplicative hash of both halves; the top bits index the table.
        let h = ((set as u64) ^ ((set >> 64) as u64).rotate_left(29))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut slot = (h >> (64 - bits_n)) as usize;
        loop {
            let g = table[slot];
            if g == u32::MAX {
                table[slot] = sets.len() as u32;
                sets.push(set);
                mult.push(1);
                break;
            }
            if sets[g as usize] == set {
                mult[g as usize] += 1;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    sets
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
    pub(crate) fn new(
        e: &Election,
        sat: Satisfaction,
        grouping: Grouping,
    ) -> Result<Self, PbError> {
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
        let zero: Vec<bool> = vals.iter().map(|v| v.is_zero()).collect();
        let np = e.projects.len();
        let (sup, uidx, ballots) = if sat != Satisfaction::Points && np <= 128 {
            // Approval-like ballots over at most 128 projects: the ballot is a bit set.
            let group = match grouping {
                Grouping::Always => true,
                Grouping::Never => false,
                Grouping::IfCommon => duplicates_common(e),
            };
            let (sup, ballots) = if group {
                let sets = group_sets(e, &mut mult);
                let mut count = vec![0usize; np];
                for &set in &sets {
                    for p in bits(set) {
                        count[p as usize] += 1;
                    }
                }
                // Projects of utility 0 (cost 0 under cost satisfaction) have no entries.
                let mut sup: Vec<Vec<u32>> = (0..np)
                    .map(|p| Vec::with_capacity(if zero[fixed[p] as usize] { 0 } else { count[p] }))
                    .collect();
                for (g, &set) in sets.iter().enumerate() {
                    for p in bits(set) {
                        if !zero[fixed[p as usize] as usize] {
                            sup[p as usize].push(g as u32);
                        }
                    }
                }
                (sup, Ballots::Sets(sets))
            } else {
                // Every ballot its own group.
                mult = vec![1; e.votes.len()];
                // (An upper bound: a ballot may list a project twice.)
                let mut count = vec![0usize; np];
                for &p in e.votes.all_projects() {
                    count[p as usize] += 1;
                }
                let mut sup: Vec<Vec<u32>> = (0..np)
                    .map(|p| Vec::with_capacity(if zero[fixed[p] as usize] { 0 } else { count[p] }))
                    .collect();
                for (g, v) in e.votes.iter().enumerate() {
                    let mut seen = 0u128;
                    for &p in v.projects {
                        let bit = 1u128 << p;
                        if seen & bit == 0 && !zero[fixed[p as usize] as usize] {
                            sup[p as usize].push(g as u32);
                        }
                        seen |= bit;
                    }
                }
                (sup, Ballots::Ungrouped)
            };
            let uidx: Vec<UtilIdx> = fixed.iter().map(|&vi| UtilIdx::Same(vi)).collect();
            (sup, uidx, ballots)
        } else {
            // The ballot of each group, flat: `keys_flat[key_ends[g - 1]..key_ends[g]]`.
            let mut keys_flat: Vec<(u32, u32)> = Vec::new();
            let mut key_ends: Vec<u32> = Vec::new();
            let mut index: HashMap<Vec<(u32, u32)>, usize, FxBuild> = HashMap::default();
            let mut key: Vec<(u32, u32)> = Vec::new();
            for v in e.votes.iter() {
                key.clear();
                match sat {
                    Satisfaction::Points => {
                        // A cumulative ballot is a dict: a later entry for the same project wins.
                        if let Some(pts) = v.points {
                            for (&p, q) in v.projects.iter().zip(pts).rev() {
                                if !key.iter().any(|(kp, _)| *kp == p) {
                                    let vi = intern(q, &mut vals);
                                    key.push((p, vi));
                                }
                            }
                        }
                    }
                    _ => key.extend(v.projects.iter().map(|&p| (p, fixed[p as usize]))),
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
            let zero: Vec<bool> = vals.iter().map(|v| v.is_zero()).collect();
            let mut sup: Vec<Vec<u32>> = vec![Vec::new(); np];
            let mut each: Vec<Vec<u32>> = vec![Vec::new(); np];
            let mut start = 0;
            for (g, &end) in key_ends.iter().enumerate() {
                for &(p, vi) in &keys_flat[start..end as usize] {
                    if !zero[vi as usize] {
                        sup[p as usize].push(g as u32);
                        each[p as usize].push(vi);
                    }
                }
                start = end as usize;
            }
            let uidx: Vec<UtilIdx> = each.into_iter().map(UtilIdx::Each).collect();
            let items = keys_flat.iter().map(|(p, _)| *p).collect();
            (
                sup,
                uidx,
                Ballots::Lists {
                    items,
                    ends: key_ends,
                },
            )
        };
        let mut total = Vec::with_capacity(np);
        let mut positive = Vec::with_capacity(np);
        let mut per = vec![0u64; vals.len()];
        for p in 0..np {
            per.iter_mut().for_each(|c| *c = 0);
            match &uidx[p] {
                UtilIdx::Same(vi) => {
                    per[*vi as usize] = sup[p].iter().map(|&g| mult[g as usize]).sum()
                }
                UtilIdx::Each(each) => {
                    for (&g, &vi) in sup[p].iter().zip(each) {
                        per[vi as usize] += mult[g as usize];
                    }
                }
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
            sup,
            uidx,
            ballots,
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

    /// The projects group `g`'s ballot lists, in increasing order (not available for approval
    /// ballots prepared without grouping).
    pub(crate) fn ballot(&self, g: usize) -> impl Iterator<Item = u32> + '_ {
        let (set, list): (u128, &[u32]) = match &self.ballots {
            Ballots::Ungrouped => panic!("ballots of ungrouped voters are not kept"),
            Ballots::Sets(sets) => (sets[g], &[]),
            Ballots::Lists { items, ends } => {
                let start = if g == 0 { 0 } else { ends[g - 1] as usize };
                (0, &items[start..ends[g] as usize])
            }
        };
        bits(set).chain(list.iter().copied())
    }

    /// Number of voters listing `p` on their ballot.
    pub(crate) fn approval_score(&self, p: usize) -> u64 {
        self.sup[p].iter().map(|&g| self.mult[g as usize]).sum()
    }

    /// `(group, utility index)` for every group with a non-zero utility for `p`.
    pub(crate) fn util(&self, p: usize) -> impl Iterator<Item = (u32, u32)> + Clone + '_ {
        let (same, each): (Option<u32>, &[u32]) = match &self.uidx[p] {
            UtilIdx::Same(vi) => (Some(*vi), &[]),
            UtilIdx::Each(each) => (None, each),
        };
        self.sup[p]
            .iter()
            .enumerate()
            .map(move |(k, &g)| (g, same.unwrap_or_else(|| each[k])))
    }
}
