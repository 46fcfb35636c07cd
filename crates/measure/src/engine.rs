//! Measurement of a whole sample and of every group of a sample, in parallel.

use rayon::prelude::*;

use crate::stats::{Indicators, summarize, summarize_with};
use crate::table::Table;
use crate::{Line, MeasureError, Sample};

/// Every indicator of one sample.
///
/// An empty sample has no indicators: `Ok(None)`.
///
/// ```
/// use sejahtera_measure::{measure, Line, Sample};
/// let income = [50.0, 100.0, 150.0, 200.0];
/// let ind = measure(&Sample::new(&income, Line::Constant(120.0))).unwrap().unwrap();
/// assert_eq!(ind.fgt[0], 0.5); // two of four below the line
/// assert_eq!(ind.median, 100.0);
/// assert!((ind.gini.unwrap() - 0.25).abs() < 1e-15);
/// ```
pub fn measure(sample: &Sample<'_>) -> Result<Option<Indicators>, MeasureError> {
    sample.validate()?;
    if sample.is_empty() {
        return Ok(None);
    }
    Ok(Some(summarize(sample, &mut Vec::new())))
}

/// Indicators of every group and of the whole sample.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedIndicators {
    /// Indicators of group code `g` at index `g`; `None` for a code without rows.
    pub groups: Vec<Option<Indicators>>,
    /// Indicators of all rows together (`None` for an empty sample).
    pub total: Option<Indicators>,
}

/// Every indicator of each group of a sample, and of the whole sample.
///
/// `groups[i]` is the group code of row `i`, in `0..n_groups` (adapters map
/// their group keys to dense codes). Each group is measured as its own sample,
/// including its standard errors. Groups are measured in parallel on the
/// current rayon pool; the whole sample is measured alongside.
///
/// ```
/// use sejahtera_measure::{measure_by, Line, Sample};
/// let income = [10.0, 20.0, 30.0, 40.0];
/// let groups = [0, 1, 0, 1];
/// let r = measure_by(&Sample::new(&income, Line::Constant(25.0)), &groups, 2).unwrap();
/// assert_eq!(r.groups[0].as_ref().unwrap().mean, 20.0);
/// assert_eq!(r.groups[1].as_ref().unwrap().mean, 30.0);
/// assert_eq!(r.total.unwrap().fgt[0], 0.5);
/// ```
pub fn measure_by(
    sample: &Sample<'_>,
    groups: &[u32],
    n_groups: usize,
) -> Result<GroupedIndicators, MeasureError> {
    sample.validate()?;
    let offsets = group_offsets(groups, n_groups, sample.len())?;
    // Every group on a contiguous copy of its rows, then the whole sample
    // (the copy is freed before the total's sorted copy is made: peak memory
    // stays below one extra copy of the input columns). With clusters, the
    // total's cluster sums are the merged cluster sums of the groups.
    let clustered = sample.cluster.is_some();
    let by = Scattered::new(sample, groups, &offsets).map_groups(|s, pairs| {
        let (ind, design) = summarize_with(s, pairs, None);
        (ind, clustered.then_some(design))
    });
    let mut design = clustered.then(Table::default);
    let by: Vec<Option<Indicators>> = by
        .into_iter()
        .map(|g| {
            g.map(|(ind, t)| {
                if let (Some(d), Some(t)) = (design.as_mut(), t) {
                    d.merge(&t);
                }
                ind
            })
        })
        .collect();
    let total = (!sample.is_empty()).then(|| summarize_with(sample, &mut Vec::new(), design).0);
    Ok(GroupedIndicators { groups: by, total })
}

/// Start of each group's rows in group order (`n_groups + 1` offsets);
/// checks the codes.
pub(crate) fn group_offsets(
    groups: &[u32],
    n_groups: usize,
    n: usize,
) -> Result<Vec<usize>, MeasureError> {
    if groups.len() != n {
        return Err(MeasureError::LengthMismatch {
            column: "groups",
            expected: n,
            actual: groups.len(),
        });
    }
    if n > u32::MAX as usize {
        return Err(MeasureError::LengthMismatch {
            column: "income",
            expected: u32::MAX as usize,
            actual: n,
        });
    }
    const CHUNK: usize = 1 << 16;
    let counts = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut counts = vec![0usize; n_groups];
            let lo = c * CHUNK;
            for (i, &g) in groups[lo..(lo + CHUNK).min(n)].iter().enumerate() {
                match counts.get_mut(g as usize) {
                    Some(x) => *x += 1,
                    None => {
                        return Err(MeasureError::InvalidGroup {
                            row: lo + i,
                            code: g,
                            n_groups,
                        });
                    }
                }
            }
            Ok(counts)
        })
        .try_reduce(
            || vec![0usize; n_groups],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                Ok(a)
            },
        )?;
    let mut offsets = Vec::with_capacity(n_groups + 1);
    let mut acc = 0;
    offsets.push(0);
    for c in &counts {
        acc += c;
        offsets.push(acc);
    }
    Ok(offsets)
}

/// Splits the groups into contiguous ranges of about equal row counts, one per
/// thread: boundaries `g_0 = 0 < g_1 < … = n_groups`.
fn thread_ranges(offsets: &[usize]) -> Vec<usize> {
    let n_groups = offsets.len() - 1;
    let n = offsets[n_groups];
    let parts = rayon::current_num_threads().clamp(1, 8);
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let target = n * p / parts;
        let g = offsets.partition_point(|&o| o < target).min(n_groups);
        if g > *bounds.last().expect("non-empty") && g < n_groups {
            bounds.push(g);
        }
    }
    bounds.push(n_groups);
    bounds
}

/// Splits `v` into the consecutive pieces `[cuts[k]..cuts[k + 1]]`.
fn split_at_cuts<'a, T>(mut v: &'a mut [T], cuts: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(cuts.len());
    for win in cuts.windows(2) {
        let (head, tail) = v.split_at_mut(win[1] - win[0]);
        out.push(head);
        v = tail;
    }
    out
}

/// The sample's columns copied in group order: group `g` is the contiguous
/// range `offsets[g]..offsets[g + 1]`, rows in their original order.
pub(crate) struct Scattered<'s> {
    offsets: &'s [usize],
    y: Vec<f64>,
    w: Option<Vec<f64>>,
    z: Option<Vec<f64>>,
    constant_line: f64,
    strata: Option<Vec<u32>>,
    cluster: Option<Vec<u32>>,
}

/// One thread's share of the scattered columns.
struct Piece<'a> {
    g_lo: usize,
    g_hi: usize,
    y: &'a mut [f64],
    w: Option<&'a mut [f64]>,
    z: Option<&'a mut [f64]>,
    strata: Option<&'a mut [u32]>,
    cluster: Option<&'a mut [u32]>,
}

impl<'s> Scattered<'s> {
    /// Counting-sort scatter: each thread owns a range of groups, scans the
    /// group codes once and copies its rows (one sequential read of the input,
    /// writes to one cursor per group).
    pub(crate) fn new(s: &Sample<'_>, groups: &[u32], offsets: &'s [usize]) -> Scattered<'s> {
        let n = s.len();
        let bounds = thread_ranges(offsets);
        let cuts: Vec<usize> = bounds.iter().map(|&g| offsets[g]).collect();
        let mut y = vec![0.0; n];
        let mut w = s.weight.map(|_| vec![0.0; n]);
        let mut z = match s.line {
            Line::PerRow(_) => Some(vec![0.0; n]),
            Line::Constant(_) => None,
        };
        let mut strata = s.strata.map(|_| vec![0u32; n]);
        let mut cluster = s.cluster.map(|_| vec![0u32; n]);
        {
            let mut ys = split_at_cuts(&mut y, &cuts).into_iter();
            let mut ws = w.as_mut().map(|v| split_at_cuts(v, &cuts).into_iter());
            let mut zs = z.as_mut().map(|v| split_at_cuts(v, &cuts).into_iter());
            let mut hs = strata.as_mut().map(|v| split_at_cuts(v, &cuts).into_iter());
            let mut cs = cluster
                .as_mut()
                .map(|v| split_at_cuts(v, &cuts).into_iter());
            let pieces: Vec<Piece<'_>> = bounds
                .windows(2)
                .map(|win| Piece {
                    g_lo: win[0],
                    g_hi: win[1],
                    y: ys.next().expect("one piece per range"),
                    w: ws.as_mut().and_then(Iterator::next),
                    z: zs.as_mut().and_then(Iterator::next),
                    strata: hs.as_mut().and_then(Iterator::next),
                    cluster: cs.as_mut().and_then(Iterator::next),
                })
                .collect();
            pieces.into_par_iter().for_each(|mut p| {
                let base = offsets[p.g_lo];
                let mut cursor: Vec<usize> =
                    offsets[p.g_lo..p.g_hi].iter().map(|o| o - base).collect();
                let (lo, hi) = (p.g_lo as u32, p.g_hi as u32);
                for (i, &g) in groups.iter().enumerate() {
                    if g >= lo && g < hi {
                        let c = &mut cursor[(g - lo) as usize];
                        let k = *c;
                        *c += 1;
                        p.y[k] = s.income[i];
                        if let (Some(dst), Some(src)) = (p.w.as_deref_mut(), s.weight) {
                            dst[k] = src[i];
                        }
                        if let (Some(dst), Line::PerRow(src)) = (p.z.as_deref_mut(), s.line) {
                            dst[k] = src[i];
                        }
                        if let (Some(dst), Some(src)) = (p.strata.as_deref_mut(), s.strata) {
                            dst[k] = src[i];
                        }
                        if let (Some(dst), Some(src)) = (p.cluster.as_deref_mut(), s.cluster) {
                            dst[k] = src[i];
                        }
                    }
                }
            });
        }
        let constant_line = match s.line {
            Line::Constant(z) => z,
            Line::PerRow(_) => f64::NAN,
        };
        Scattered {
            offsets,
            y,
            w,
            z,
            constant_line,
            strata,
            cluster,
        }
    }

    /// Applies `f` to every group's sub-sample, in parallel.
    pub(crate) fn map_groups<T, F>(&self, f: F) -> Vec<Option<T>>
    where
        T: Send,
        F: Fn(&Sample<'_>, &mut Vec<(f64, f64)>) -> T + Sync,
    {
        let n_groups = self.offsets.len() - 1;
        (0..n_groups)
            .into_par_iter()
            .map_init(Vec::new, |pairs, g| {
                let (lo, hi) = (self.offsets[g], self.offsets[g + 1]);
                if lo == hi {
                    return None;
                }
                let sub = Sample {
                    income: &self.y[lo..hi],
                    weight: self.w.as_ref().map(|v| &v[lo..hi]),
                    line: match &self.z {
                        Some(v) => Line::PerRow(&v[lo..hi]),
                        None => Line::Constant(self.constant_line),
                    },
                    strata: self.strata.as_ref().map(|v| &v[lo..hi]),
                    cluster: self.cluster.as_ref().map(|v| &v[lo..hi]),
                };
                Some(f(&sub, pairs))
            })
            .collect()
    }
}

/// Rows of each group: `rows[offsets[g]..offsets[g + 1]]` are the rows of
/// group `g` in ascending order.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub(crate) offsets: Vec<usize>,
    pub(crate) rows: Vec<u32>,
}

impl Partition {
    /// Counting-sort partition of row numbers by group code.
    pub(crate) fn new(
        groups: &[u32],
        n_groups: usize,
        n: usize,
    ) -> Result<Partition, MeasureError> {
        let offsets = group_offsets(groups, n_groups, n)?;
        let bounds = thread_ranges(&offsets);
        let mut rows = vec![0u32; n];
        let mut slices = Vec::with_capacity(bounds.len());
        let mut rest: &mut [u32] = &mut rows;
        for win in bounds.windows(2) {
            let len = offsets[win[1]] - offsets[win[0]];
            let (head, tail) = rest.split_at_mut(len);
            slices.push((win[0], win[1], head));
            rest = tail;
        }
        slices.into_par_iter().for_each(|(g_lo, g_hi, out)| {
            let base = offsets[g_lo];
            let mut cursor: Vec<usize> = offsets[g_lo..g_hi].iter().map(|o| o - base).collect();
            let (lo, hi) = (g_lo as u32, g_hi as u32);
            for (i, &g) in groups.iter().enumerate() {
                if g >= lo && g < hi {
                    let c = &mut cursor[(g - lo) as usize];
                    out[*c] = i as u32;
                    *c += 1;
                }
            }
        });
        Ok(Partition { offsets, rows })
    }
}
