//! The statistics of one sample: order-free moments (FGT, Theil, MLD,
//! Atkinson), linearized standard errors, and order statistics over the
//! income-sorted observations (median, Gini, Lorenz curve, Palma, shares).

use rayon::prelude::*;

use crate::Sample;
use crate::sum::Sum;
use crate::table::{Acc, Table};

/// Rows per parallel chunk.
const CHUNK: usize = 1 << 16;
/// Rows summed naively before being added to a compensated sum.
const BLOCK: usize = 256;

/// Every statistic of one group (or of the whole sample).
///
/// `None` marks a value that is undefined for the group: inequality measures
/// when every income is zero, MLD and Atkinson ε ≥ 1 when some income is
/// zero, Palma when the poorest 40 % hold no income.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicators {
    /// Number of rows.
    pub n: usize,
    /// Σ w (the weighted population).
    pub population: f64,
    /// Σ w·y (the weighted total income); used by decompositions.
    pub income: f64,
    /// Weighted mean income μ = Σ w·y / Σ w.
    pub mean: f64,
    /// Smallest income whose cumulative weight (ascending) reaches half the population.
    pub median: f64,
    /// FGT indices P0 (headcount), P1 (gap), P2 (severity).
    pub fgt: [f64; 3],
    /// Taylor-linearized standard errors of `fgt` (Stata `svy` definition).
    pub fgt_se: [f64; 3],
    /// Weighted population strictly below the line.
    pub poor_population: f64,
    /// Gini coefficient.
    pub gini: Option<f64>,
    /// Theil T index (GE(1)).
    pub theil_t: Option<f64>,
    /// Mean log deviation (GE(0)).
    pub mld: Option<f64>,
    /// Atkinson indices for ε = 0.5, 1 and 2.
    pub atkinson: [Option<f64>; 3],
    /// Palma ratio (1 − L(0.9)) / L(0.4).
    pub palma: Option<f64>,
    /// Income share of each population decile, from the Lorenz curve.
    pub decile_shares: Option<[f64; 10]>,
}

impl Indicators {
    /// Income share of each population quintile (sum of two decile shares,
    /// i.e. the same Lorenz-curve interpolation).
    ///
    /// ```
    /// use sejahtera_measure::{measure, Line, Sample};
    /// let income = [1.0, 2.0, 3.0, 4.0, 5.0];
    /// let ind = measure(&Sample::new(&income, Line::Constant(2.5))).unwrap().unwrap();
    /// let q = ind.quintile_shares().unwrap();
    /// assert!((q[0] - 1.0 / 15.0).abs() < 1e-15);
    /// ```
    pub fn quintile_shares(&self) -> Option<[f64; 5]> {
        let d = self.decile_shares?;
        Some(std::array::from_fn(|q| d[2 * q] + d[2 * q + 1]))
    }
}

/// Order-free sums of one sample.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Moments {
    pub(crate) n: usize,
    pub(crate) zeros: usize,
    pub(crate) w: Sum,
    pub(crate) wy: Sum,
    pub(crate) wx: [Sum; 3],
    pub(crate) wylny: Sum,
    pub(crate) wlny: Sum,
    pub(crate) wsqrt: Sum,
    pub(crate) winv: Sum,
}

impl Moments {
    fn merge(mut self, o: Moments) -> Moments {
        self.n += o.n;
        self.zeros += o.zeros;
        self.w.merge(o.w);
        self.wy.merge(o.wy);
        for k in 0..3 {
            self.wx[k].merge(o.wx[k]);
        }
        self.wylny.merge(o.wylny);
        self.wlny.merge(o.wlny);
        self.wsqrt.merge(o.wsqrt);
        self.winv.merge(o.winv);
        self
    }
}

/// The FGT variables of one row: (1, g, g²) below the line, zeros otherwise.
#[inline(always)]
pub(crate) fn fgt_x(y: f64, z: f64) -> [f64; 3] {
    if y < z {
        let g = (z - y) / z;
        [1.0, g, g * g]
    } else {
        [0.0; 3]
    }
}

fn moments_range(s: &Sample<'_>, lo: usize, hi: usize) -> Moments {
    let mut m = Moments {
        n: hi - lo,
        ..Moments::default()
    };
    let mut start = lo;
    while start < hi {
        let end = (start + BLOCK).min(hi);
        let (mut w, mut wy, mut wx0, mut wx1, mut wx2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut wylny, mut wlny, mut wsqrt, mut winv) = (0.0, 0.0, 0.0, 0.0);
        for i in start..end {
            let y = s.income[i];
            let wi = s.w(i);
            let x = fgt_x(y, s.line.at(i));
            w += wi;
            wy += wi * y;
            wx0 += wi * x[0];
            wx1 += wi * x[1];
            wx2 += wi * x[2];
            wsqrt += wi * y.sqrt();
            if y > 0.0 {
                let l = y.ln();
                wylny += wi * y * l;
                wlny += wi * l;
                winv += wi / y;
            } else {
                m.zeros += 1;
            }
        }
        m.w.add(w);
        m.wy.add(wy);
        m.wx[0].add(wx0);
        m.wx[1].add(wx1);
        m.wx[2].add(wx2);
        m.wylny.add(wylny);
        m.wlny.add(wlny);
        m.wsqrt.add(wsqrt);
        m.winv.add(winv);
        start = end;
    }
    m
}

fn chunks(n: usize) -> impl IndexedParallelIterator<Item = (usize, usize)> {
    (0..n.div_ceil(CHUNK).max(1))
        .into_par_iter()
        .map(move |c| (c * CHUNK, ((c + 1) * CHUNK).min(n)))
}

pub(crate) fn moments(s: &Sample<'_>) -> Moments {
    let n = s.len();
    if n <= CHUNK {
        return moments_range(s, 0, n);
    }
    chunks(n)
        .map(|(lo, hi)| moments_range(s, lo, hi))
        .reduce(Moments::default, Moments::merge)
}

/// Design key of row `i`: (stratum, cluster), the cluster part 0 when rows are
/// their own clusters.
#[inline(always)]
fn design_key(s: &Sample<'_>, i: usize, clustered: bool) -> u64 {
    let h = s.strata.map_or(0, |st| st[i]) as u64;
    let c = if clustered {
        s.cluster.map_or(0, |c| c[i]) as u64
    } else {
        0
    };
    h << 32 | c
}

fn design_sums_range(s: &Sample<'_>, lo: usize, hi: usize) -> Table {
    let mut t = Table::default();
    design_sums_into(s, lo, hi, &mut t);
    t
}

fn design_sums_into(s: &Sample<'_>, lo: usize, hi: usize, t: &mut Table) {
    let clustered = s.cluster.is_some();
    let mut last_key = u64::MAX;
    let mut last_idx = 0;
    for i in lo..hi {
        let key = design_key(s, i, clustered);
        if key != last_key {
            last_idx = t.index(key);
            last_key = key;
        }
        let wi = s.w(i);
        let x = fgt_x(s.income[i], s.line.at(i));
        let acc = &mut t.vals[last_idx];
        acc.a[0] += wi * x[0];
        acc.a[1] += wi * x[1];
        acc.a[2] += wi * x[2];
        acc.b += wi;
        acc.n += 1;
    }
}

pub(crate) fn design_sums(s: &Sample<'_>) -> Table {
    let n = s.len();
    if n <= CHUNK {
        return design_sums_range(s, 0, n);
    }
    chunks(n)
        .fold(Table::default, |mut t, (lo, hi)| {
            design_sums_into(s, lo, hi, &mut t);
            t
        })
        .reduce(Table::default, |mut a, b| {
            if a.len() < b.len() {
                let mut b = b;
                b.merge(&a);
                b
            } else {
                a.merge(&b);
                a
            }
        })
}

/// Σ over strata of n_h/(n_h − 1) Σ_c (U_c − Ū_h)², given each PSU's stratum
/// and U values.
fn stratified_variance(strata: &[u64], u: &[[f64; 3]]) -> [f64; 3] {
    let mut st = Table::default();
    let mut sums: Vec<[f64; 3]> = Vec::new();
    let idx: Vec<usize> = strata
        .iter()
        .zip(u)
        .map(|(h, uc)| {
            let i = st.index(*h);
            if i == sums.len() {
                sums.push([0.0; 3]);
            }
            st.vals[i].n += 1;
            for k in 0..3 {
                sums[i][k] += uc[k];
            }
            i
        })
        .collect();
    let means: Vec<[f64; 3]> = sums
        .iter()
        .zip(&st.vals)
        .map(|(s, a)| std::array::from_fn(|k| s[k] / a.n as f64))
        .collect();
    let mut ss = vec![[Sum::default(); 3]; sums.len()];
    for (i, uc) in idx.iter().zip(u) {
        for k in 0..3 {
            let d = uc[k] - means[*i][k];
            ss[*i][k].add(d * d);
        }
    }
    combine_strata(&st.vals, &ss)
}

fn combine_strata(strata: &[Acc], ss: &[[Sum; 3]]) -> [f64; 3] {
    let mut v = [Sum::default(); 3];
    for (a, s) in strata.iter().zip(ss) {
        if a.n > 1 {
            let f = a.n as f64 / (a.n as f64 - 1.0);
            for k in 0..3 {
                v[k].add(f * s[k].value());
            }
        }
    }
    std::array::from_fn(|k| v[k].value().max(0.0).sqrt())
}

/// Linearized standard errors of the FGT indices `p` of a sample with total
/// weight `w_total`.
/// `sums` are the design sums of [`design_sums`] when already known (for a
/// clustered design they are all that is needed; rows are not read again).
pub(crate) fn fgt_se(s: &Sample<'_>, p: [f64; 3], w_total: f64, sums: &Table) -> [f64; 3] {
    let u_of = |a: &Acc| -> [f64; 3] { std::array::from_fn(|k| (a.a[k] - p[k] * a.b) / w_total) };
    if s.cluster.is_some() {
        let strata: Vec<u64> = sums.keys.iter().map(|k| k >> 32).collect();
        let u: Vec<[f64; 3]> = sums.vals.iter().map(u_of).collect();
        return stratified_variance(&strata, &u);
    }
    // Every row is its own PSU: `sums` holds one entry per stratum; centre each
    // row's u_i on its stratum mean in a second pass.
    let means: Vec<[f64; 3]> = sums
        .vals
        .iter()
        .map(|a| {
            let u = u_of(a);
            std::array::from_fn(|k| u[k] / a.n as f64)
        })
        .collect();
    let pass = |lo: usize, hi: usize| -> Vec<[Sum; 3]> {
        let mut ss = vec![[Sum::default(); 3]; means.len()];
        let mut blk = vec![[0.0f64; 3]; means.len()];
        let mut last_key = u64::MAX;
        let mut h = 0;
        for i in lo..hi {
            let key = design_key(s, i, false);
            if key != last_key {
                h = sums.find(key).expect("stratum seen in the first pass");
                last_key = key;
            }
            let wi = s.w(i);
            let x = fgt_x(s.income[i], s.line.at(i));
            for k in 0..3 {
                let d = wi * (x[k] - p[k]) / w_total - means[h][k];
                blk[h][k] += d * d;
            }
            if (i - lo) % BLOCK == BLOCK - 1 {
                for (acc, b) in ss.iter_mut().zip(blk.iter_mut()) {
                    for k in 0..3 {
                        acc[k].add(b[k]);
                        b[k] = 0.0;
                    }
                }
            }
        }
        for (acc, b) in ss.iter_mut().zip(&blk) {
            for k in 0..3 {
                acc[k].add(b[k]);
            }
        }
        ss
    };
    let n = s.len();
    let ss = if n <= CHUNK {
        pass(0, n)
    } else {
        chunks(n).map(|(lo, hi)| pass(lo, hi)).reduce(
            || vec![[Sum::default(); 3]; means.len()],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for k in 0..3 {
                        x[k].merge(y[k]);
                    }
                }
                a
            },
        )
    };
    combine_strata(&sums.vals, &ss)
}

/// Sort key of a non-negative income: IEEE bits order like the numbers
/// (−0 is mapped to 0).
#[inline(always)]
pub(crate) fn income_key(y: f64) -> u64 {
    if y == 0.0 { 0 } else { y.to_bits() }
}

/// Sorts (income, weight) pairs by income.
pub(crate) fn sort_pairs(pairs: &mut [(f64, f64)]) {
    if pairs.len() > 4 * CHUNK {
        pairs.par_sort_unstable_by_key(|p| income_key(p.0));
    } else {
        pairs.sort_unstable_by_key(|p| income_key(p.0));
    }
}

/// Statistics of the income-sorted observations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderStats {
    pub(crate) median: f64,
    /// Σ_k w_k y_k (S_{k−1} + S_k − W), i.e. half the Gini double sum.
    pub(crate) gini_num: f64,
    pub(crate) w: f64,
    pub(crate) t: f64,
    /// Cumulative income T(p) at p = 0, 0.1, …, 1.
    pub(crate) t_at: [f64; 11],
}

/// The part of the order statistics found in one run of the sorted pairs.
struct OrderPart {
    gini: Sum,
    median: Option<f64>,
    t_at: [Option<f64>; 10],
}

/// Scans `run`, whose cumulative weight and income before its first element
/// are `start`, for the Gini terms, the median and the Lorenz boundaries.
fn scan_run(run: &[(f64, f64)], start: (Sum, Sum), w: f64, targets: &[f64; 10]) -> OrderPart {
    let (mut s, mut cum_t) = start;
    let mut part = OrderPart {
        gini: Sum::default(),
        median: None,
        t_at: [None; 10],
    };
    // Start at the first boundary not clearly reached before this run; one
    // that the previous run already placed is placed again and the earlier
    // placement wins (this guards against the run's start and the previous
    // run's end differing in the last bit).
    let guard = s.value() - 1e-12 * w;
    let mut next = targets
        .iter()
        .position(|&t| t >= guard)
        .unwrap_or(10)
        .max(1);
    let mut blk = 0.0;
    for (k, &(y, wi)) in run.iter().enumerate() {
        let s_prev = s.value();
        let t_prev = cum_t.value();
        s.add(wi);
        cum_t.add(wi * y);
        let s_now = s.value();
        blk += wi * y * ((s_prev + s_now) - w);
        if k % BLOCK == BLOCK - 1 {
            part.gini.add(blk);
            blk = 0.0;
        }
        if part.median.is_none() && 2.0 * s_now >= w {
            part.median = Some(y);
        }
        while next < 10 && s_now >= targets[next] {
            part.t_at[next] = Some(t_prev + (targets[next] - s_prev) * y);
            next += 1;
        }
    }
    part.gini.add(blk);
    part
}

/// Order statistics of (income, weight) pairs sorted by income (non-empty).
/// Long inputs are scanned in parallel runs, each starting from the
/// compensated cumulative sums of the runs before it.
pub(crate) fn order_stats(sorted: &[(f64, f64)]) -> OrderStats {
    const RUN: usize = 1 << 20;
    let n = sorted.len();
    let runs: Vec<&[(f64, f64)]> = sorted.chunks(RUN).collect();
    let sums = |run: &[(f64, f64)]| {
        let (mut w, mut t) = (Sum::default(), Sum::default());
        for &(y, wi) in run {
            w.add(wi);
            t.add(wi * y);
        }
        (w, t)
    };
    let totals: Vec<(Sum, Sum)> = if n > RUN {
        runs.par_iter().map(|r| sums(r)).collect()
    } else {
        runs.iter().map(|r| sums(r)).collect()
    };
    let mut starts = Vec::with_capacity(runs.len());
    let (mut w, mut t) = (Sum::default(), Sum::default());
    for (rw, rt) in &totals {
        starts.push((w, t));
        w.merge(*rw);
        t.merge(*rt);
    }
    let (w, t) = (w.value(), t.value());
    let targets: [f64; 10] = std::array::from_fn(|k| k as f64 / 10.0 * w);
    let scan = |(r, start): (&&[(f64, f64)], &(Sum, Sum))| scan_run(r, *start, w, &targets);
    let parts: Vec<OrderPart> = if n > RUN {
        runs.par_iter().zip(starts.par_iter()).map(scan).collect()
    } else {
        runs.iter().zip(starts.iter()).map(scan).collect()
    };
    let mut gini = Sum::default();
    let mut median = None;
    let mut t_at: [Option<f64>; 10] = [None; 10];
    for part in &parts {
        gini.merge(part.gini);
        median = median.or(part.median);
        for (acc, found) in t_at.iter_mut().zip(part.t_at) {
            *acc = acc.or(found);
        }
    }
    // Rounding can leave a boundary unplaced when S_n falls a hair short of p·W.
    let mut t_out = [t; 11];
    t_out[0] = 0.0;
    for (out, found) in t_out.iter_mut().zip(t_at).skip(1) {
        *out = found.unwrap_or(t);
    }
    OrderStats {
        median: median.unwrap_or(sorted[n - 1].0),
        gini_num: gini.value(),
        w,
        t,
        t_at: t_out,
    }
}

/// Computes every indicator of a non-empty, validated sample. `pairs` is a
/// scratch buffer.
pub(crate) fn summarize(s: &Sample<'_>, pairs: &mut Vec<(f64, f64)>) -> Indicators {
    summarize_with(s, pairs, None).0
}

/// [`summarize`], taking the design sums if already known and returning them
/// (so that the clusters of the groups can be merged for the total).
pub(crate) fn summarize_with(
    s: &Sample<'_>,
    pairs: &mut Vec<(f64, f64)>,
    design: Option<Table>,
) -> (Indicators, Table) {
    let m = moments(s);
    let w = m.w.value();
    let p: [f64; 3] = std::array::from_fn(|k| m.wx[k].value() / w);
    let design = design.unwrap_or_else(|| design_sums(s));
    let se = fgt_se(s, p, w, &design);
    pairs.clear();
    let n = s.len();
    if n > 4 * CHUNK {
        (0..n)
            .into_par_iter()
            .map(|i| (s.income[i], s.w(i)))
            .collect_into_vec(pairs);
    } else {
        pairs.extend((0..n).map(|i| (s.income[i], s.w(i))));
    }
    sort_pairs(pairs);
    let o = order_stats(pairs);
    (assemble(&m, p, se, &o), design)
}

pub(crate) fn assemble(m: &Moments, p: [f64; 3], se: [f64; 3], o: &OrderStats) -> Indicators {
    let w = m.w.value();
    let t = m.wy.value();
    let mu = t / w;
    let positive = t > 0.0;
    let no_zeros = m.zeros == 0;
    let ln_mu = mu.ln();
    let gini = positive.then(|| o.gini_num / (o.w * o.t));
    let theil_t = positive.then(|| m.wylny.value() / t - ln_mu);
    let mld = (positive && no_zeros).then(|| ln_mu - m.wlny.value() / w);
    let atk_half = positive.then(|| {
        let r = m.wsqrt.value() / w;
        1.0 - r * r / mu
    });
    let atk_one = mld.map(|d| -(-d).exp_m1());
    let atk_two = (positive && no_zeros).then(|| 1.0 - 1.0 / (mu * (m.winv.value() / w)));
    let palma = (positive && o.t_at[4] > 0.0).then(|| (o.t - o.t_at[9]) / o.t_at[4]);
    let decile_shares =
        positive.then(|| std::array::from_fn(|k| (o.t_at[k + 1] - o.t_at[k]) / o.t));
    Indicators {
        n: m.n,
        population: w,
        income: t,
        mean: mu,
        median: o.median,
        fgt: p,
        fgt_se: se,
        poor_population: m.wx[0].value(),
        gini,
        theil_t,
        mld,
        atkinson: [atk_half, atk_one, atk_two],
        palma,
        decile_shares,
    }
}
