//! Property tests of every statistic against a naive O(n²) reference written
//! straight from the definitions, plus hand-computed cases.

// Index loops mirror the formulas of the definitions.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use sejahtera_measure::*;

/// A row of a test sample.
#[derive(Debug, Clone)]
struct Row {
    y: f64,
    w: f64,
    z: f64,
    h: u32,
    c: u32,
    g: u32,
}

/// The naive reference: definitions of the issue, no cleverness.
#[derive(Debug)]
struct Naive {
    n: usize,
    population: f64,
    mean: f64,
    median: f64,
    fgt: [f64; 3],
    se: [f64; 3],
    poor: f64,
    gini: Option<f64>,
    theil: Option<f64>,
    mld: Option<f64>,
    atk: [Option<f64>; 3],
    palma: Option<f64>,
    deciles: Option<Vec<f64>>,
}

fn naive_lorenz(rows: &[Row], p: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = rows.iter().map(|r| (r.y, r.w)).collect();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    let w: f64 = v.iter().map(|r| r.1).sum();
    let t: f64 = v.iter().map(|r| r.0 * r.1).sum();
    // points (0,0), (P_k, L_k)
    let mut pts = vec![(0.0, 0.0)];
    let (mut s, mut c) = (0.0, 0.0);
    for (y, wi) in &v {
        s += wi;
        c += wi * y;
        pts.push((s / w, c / t));
    }
    if p >= 1.0 {
        return 1.0;
    }
    for k in 1..pts.len() {
        let (p0, l0) = pts[k - 1];
        let (p1, l1) = pts[k];
        if p <= p1 {
            return l0 + (p - p0) / (p1 - p0) * (l1 - l0);
        }
    }
    1.0
}

fn naive(rows: &[Row], clustered: bool, stratified: bool) -> Naive {
    let w: f64 = rows.iter().map(|r| r.w).sum();
    let t: f64 = rows.iter().map(|r| r.w * r.y).sum();
    let mu = t / w;
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| a.y.partial_cmp(&b.y).unwrap());
    let mut cum = 0.0;
    let mut median = f64::NAN;
    for r in &sorted {
        cum += r.w;
        if cum >= w / 2.0 {
            median = r.y;
            break;
        }
    }
    let x = |r: &Row, a: i32| {
        if r.y < r.z {
            ((r.z - r.y) / r.z).powi(a)
        } else {
            0.0
        }
    };
    let fgt: [f64; 3] =
        std::array::from_fn(|a| rows.iter().map(|r| r.w * x(r, a as i32)).sum::<f64>() / w);
    let se: [f64; 3] = std::array::from_fn(|a| {
        // clusters identified by (stratum, cluster) or by row
        let mut clusters: BTreeMap<(u32, usize), f64> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            let h = if stratified { r.h } else { 0 };
            let c = if clustered { r.c as usize } else { i };
            *clusters.entry((h, c)).or_default() += r.w * (x(r, a as i32) - fgt[a]) / w;
        }
        let mut strata: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for ((h, _), u) in clusters {
            strata.entry(h).or_default().push(u);
        }
        let mut v = 0.0;
        for us in strata.values() {
            let nh = us.len() as f64;
            if us.len() > 1 {
                let m = us.iter().sum::<f64>() / nh;
                v += nh / (nh - 1.0) * us.iter().map(|u| (u - m).powi(2)).sum::<f64>();
            }
        }
        v.sqrt()
    });
    let positive = t > 0.0;
    let zeros = rows.iter().any(|r| r.y == 0.0);
    let mut dbl = 0.0;
    for a in rows {
        for b in rows {
            dbl += a.w * b.w * (a.y - b.y).abs();
        }
    }
    let gini = positive.then(|| dbl / (2.0 * w * w * mu));
    let theil = positive.then(|| {
        rows.iter()
            .map(|r| {
                if r.y > 0.0 {
                    r.w * (r.y / mu) * (r.y / mu).ln()
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            / w
    });
    let mld =
        (positive && !zeros).then(|| rows.iter().map(|r| r.w * (mu / r.y).ln()).sum::<f64>() / w);
    let atk_eps = |e: f64| {
        if e == 1.0 {
            1.0 - (rows.iter().map(|r| r.w * r.y.ln()).sum::<f64>() / w).exp() / mu
        } else {
            1.0 - (rows.iter().map(|r| r.w * r.y.powf(1.0 - e)).sum::<f64>() / w)
                .powf(1.0 / (1.0 - e))
                / mu
        }
    };
    let atk = [
        positive.then(|| atk_eps(0.5)),
        (positive && !zeros).then(|| atk_eps(1.0)),
        (positive && !zeros).then(|| atk_eps(2.0)),
    ];
    let palma = if positive {
        let l4 = naive_lorenz(rows, 0.4);
        (l4 > 0.0).then(|| (1.0 - naive_lorenz(rows, 0.9)) / l4)
    } else {
        None
    };
    let deciles = positive.then(|| {
        (1..=10)
            .map(|k| {
                naive_lorenz(rows, k as f64 / 10.0) - naive_lorenz(rows, (k - 1) as f64 / 10.0)
            })
            .collect()
    });
    Naive {
        n: rows.len(),
        population: w,
        mean: mu,
        median,
        fgt,
        se,
        poor: rows.iter().filter(|r| r.y < r.z).map(|r| r.w).sum(),
        gini,
        theil,
        mld,
        atk,
        palma,
        deciles,
    }
}

/// |a − b| ≤ 1e-9 · max(|a|, |b|) + abs_floor.
fn close(a: f64, b: f64, floor: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + floor
}

fn close_opt(a: Option<f64>, b: Option<f64>, floor: f64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b, floor),
        (None, None) => true,
        _ => false,
    }
}

fn check(ind: &Indicators, nv: &Naive) -> Result<(), TestCaseError> {
    // Statistics that are differences (inequality indices, SEs) can be exactly
    // zero in theory and ~1e-16 after rounding: allow a tiny absolute floor.
    let f = 1e-12;
    prop_assert_eq!(ind.n, nv.n);
    prop_assert!(
        close(ind.population, nv.population, 0.0),
        "population {} vs {}",
        ind.population,
        nv.population
    );
    prop_assert!(
        close(ind.mean, nv.mean, 0.0),
        "mean {} vs {}",
        ind.mean,
        nv.mean
    );
    prop_assert_eq!(ind.median, nv.median);
    for k in 0..3 {
        prop_assert!(
            close(ind.fgt[k], nv.fgt[k], f),
            "P{} {} vs {}",
            k,
            ind.fgt[k],
            nv.fgt[k]
        );
        prop_assert!(
            close(ind.fgt_se[k], nv.se[k], f),
            "SE{} {} vs {}",
            k,
            ind.fgt_se[k],
            nv.se[k]
        );
    }
    prop_assert!(close(ind.poor_population, nv.poor, 0.0));
    prop_assert!(
        close_opt(ind.gini, nv.gini, f),
        "gini {:?} vs {:?}",
        ind.gini,
        nv.gini
    );
    prop_assert!(
        close_opt(ind.theil_t, nv.theil, f),
        "theil {:?} vs {:?}",
        ind.theil_t,
        nv.theil
    );
    prop_assert!(
        close_opt(ind.mld, nv.mld, f),
        "mld {:?} vs {:?}",
        ind.mld,
        nv.mld
    );
    for k in 0..3 {
        prop_assert!(
            close_opt(ind.atkinson[k], nv.atk[k], f),
            "atk{} {:?} vs {:?}",
            k,
            ind.atkinson[k],
            nv.atk[k]
        );
    }
    prop_assert!(
        close_opt(ind.palma, nv.palma, f),
        "palma {:?} vs {:?}",
        ind.palma,
        nv.palma
    );
    match (&ind.decile_shares, &nv.deciles) {
        (Some(a), Some(b)) => {
            for k in 0..10 {
                prop_assert!(close(a[k], b[k], f), "decile {} {} vs {}", k, a[k], b[k]);
            }
        }
        (None, None) => {}
        (a, b) => prop_assert!(false, "deciles {:?} vs {:?}", a, b),
    }
    Ok(())
}

/// Incomes with many ties and zeros, weights spanning 12 orders of magnitude,
/// per-row lines, a few strata, clusters and groups.
fn rows_strategy(max: usize) -> impl Strategy<Value = Vec<Row>> {
    let income = prop_oneof![
        2 => Just(0.0),
        3 => (0u32..5).prop_map(|k| 50.0 * k as f64),
        5 => 0.01f64..1e6,
    ];
    let weight = prop_oneof![
        3 => Just(1.0),
        3 => 0.5f64..3.0,
        1 => (-6i32..=6).prop_map(|e| 10f64.powi(e)),
    ];
    let line = prop_oneof![Just(100.0), 1.0f64..2e5];
    prop::collection::vec(
        (income, weight, line, 0u32..3, 0u32..5, 0u32..4).prop_map(|(y, w, z, h, c, g)| Row {
            y,
            w,
            z,
            h,
            c,
            g,
        }),
        1..max,
    )
}

fn run(rows: &[Row], clustered: bool, stratified: bool) -> Result<(), TestCaseError> {
    let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
    let w: Vec<f64> = rows.iter().map(|r| r.w).collect();
    let z: Vec<f64> = rows.iter().map(|r| r.z).collect();
    let h: Vec<u32> = rows.iter().map(|r| r.h).collect();
    let c: Vec<u32> = rows.iter().map(|r| r.c).collect();
    let g: Vec<u32> = rows.iter().map(|r| r.g).collect();
    let mut s = Sample::new(&y, Line::PerRow(&z)).with_weight(&w);
    if clustered {
        s = s.with_cluster(&c);
    }
    if stratified {
        s = s.with_strata(&h);
    }
    let r = measure_by(&s, &g, 4).unwrap();
    check(
        r.total.as_ref().unwrap(),
        &naive(rows, clustered, stratified),
    )?;
    for gi in 0..4u32 {
        let sub: Vec<Row> = rows.iter().filter(|r| r.g == gi).cloned().collect();
        match &r.groups[gi as usize] {
            None => prop_assert!(sub.is_empty()),
            Some(ind) => check(ind, &naive(&sub, clustered, stratified))?,
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_statistic_matches_naive_reference(rows in rows_strategy(60), clustered: bool, stratified: bool) {
        run(&rows, clustered, stratified)?;
    }

    #[test]
    fn single_row_groups_match_naive_reference(rows in rows_strategy(4)) {
        run(&rows, false, false)?;
        run(&rows, true, true)?;
    }

    #[test]
    fn theil_within_plus_between_equals_total(rows in rows_strategy(60)) {
        let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
        let g: Vec<u32> = rows.iter().map(|r| r.g).collect();
        let r = measure_by(&Sample::new(&y, Line::Constant(100.0)), &g, 4).unwrap();
        let total = r.total.unwrap();
        match theil_decomposition(&r.groups, &total) {
            Some(d) => prop_assert!(close(d.within + d.between, total.theil_t.unwrap(), 1e-12)),
            None => prop_assert!(total.theil_t.is_none()),
        }
    }

    #[test]
    fn fgt_contributions_sum_to_one(rows in rows_strategy(60)) {
        let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
        let w: Vec<f64> = rows.iter().map(|r| r.w).collect();
        let g: Vec<u32> = rows.iter().map(|r| r.g).collect();
        let r = measure_by(&Sample::new(&y, Line::Constant(100.0)).with_weight(&w), &g, 4).unwrap();
        let c = fgt_contributions(&r.groups, r.total.as_ref().unwrap());
        let pop: f64 = c.iter().flatten().map(|c| c.population_share).sum();
        prop_assert!(close(pop, 1.0, 1e-12));
        for k in 0..3 {
            let shares: Vec<f64> = c.iter().flatten().filter_map(|c| c.share[k]).collect();
            if !shares.is_empty() {
                prop_assert!(close(shares.iter().sum(), 1.0, 1e-12));
            }
        }
    }

    #[test]
    fn lorenz_points_match_naive_interpolation(rows in rows_strategy(40)) {
        let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
        let w: Vec<f64> = rows.iter().map(|r| r.w).collect();
        let pts = lorenz_curve(&Sample::new(&y, Line::Constant(1.0)).with_weight(&w), 20).unwrap();
        match pts {
            None => prop_assert!(y.iter().all(|&v| v == 0.0)),
            Some(pts) => {
                prop_assert_eq!(pts.len(), 21);
                for p in pts {
                    let want = naive_lorenz(&rows, p.population_share);
                    prop_assert!(close(p.income_share, want, 1e-12), "L({}) {} vs {}", p.population_share, p.income_share, want);
                }
            }
        }
    }

    #[test]
    fn mpi_matches_naive_definition(
        d in prop::collection::vec((0u8..2, 0u8..2, 0u8..2, 0.1f64..10.0, 0u32..3), 1..50),
        k in prop_oneof![Just(0.25), Just(0.5), Just(0.75), Just(1.0)],
    ) {
        let wts = [0.5, 0.25, 0.25];
        let spec = MpiSpec::new(vec![("a".into(), wts[0]), ("b".into(), wts[1]), ("c".into(), wts[2])], k).unwrap();
        let cols: Vec<Vec<f64>> = (0..3).map(|j| d.iter().map(|r| [r.0, r.1, r.2][j] as f64).collect()).collect();
        let w: Vec<f64> = d.iter().map(|r| r.3).collect();
        let g: Vec<u32> = d.iter().map(|r| r.4).collect();
        let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let r = mpi_by(&spec, &refs, Some(&w), &g, 3).unwrap();
        let check = |idx: &[usize], m: &Mpi| -> Result<(), TestCaseError> {
            let pop: f64 = idx.iter().map(|&i| w[i]).sum();
            let score = |i: usize| (0..3).map(|j| wts[j] * cols[j][i]).sum::<f64>();
            let poor: Vec<usize> = idx.iter().copied().filter(|&i| score(i) >= k).collect();
            let h = poor.iter().map(|&i| w[i]).sum::<f64>() / pop;
            let m0 = poor.iter().map(|&i| w[i] * score(i)).sum::<f64>() / pop;
            prop_assert!(close(m.h, h, 1e-15));
            prop_assert!(close(m.m0, m0, 1e-15));
            prop_assert!(close_opt(m.a, (h > 0.0).then(|| m0 / h), 1e-15));
            let mut contrib = 0.0;
            for j in 0..3 {
                let ch = poor.iter().map(|&i| w[i] * cols[j][i]).sum::<f64>() / pop;
                prop_assert!(close(m.censored_headcount[j], ch, 1e-15));
                contrib += m.contribution[j].unwrap_or(0.0);
            }
            if m0 > 0.0 { prop_assert!(close(contrib, 1.0, 1e-12)); }
            Ok(())
        };
        check(&(0..d.len()).collect::<Vec<_>>(), r.total.as_ref().unwrap())?;
        for gi in 0..3u32 {
            let idx: Vec<usize> = (0..d.len()).filter(|&i| g[i] == gi).collect();
            match &r.groups[gi as usize] {
                None => prop_assert!(idx.is_empty()),
                Some(m) => check(&idx, m)?,
            }
        }
    }
}

#[test]
fn hand_computed_unweighted_sample() {
    // y = 1, 2, 3, 4 (μ = 2.5), z = 2.5: poor are 1 and 2.
    let y = [4.0, 1.0, 3.0, 2.0];
    let r = measure(&Sample::new(&y, Line::Constant(2.5)))
        .unwrap()
        .unwrap();
    assert_eq!(r.n, 4);
    assert_eq!(r.population, 4.0);
    assert_eq!(r.mean, 2.5);
    assert_eq!(r.median, 2.0);
    assert_eq!(r.fgt[0], 0.5);
    // gaps 0.6 and 0.2 → P1 = 0.8/4, P2 = (0.36 + 0.04)/4
    assert!((r.fgt[1] - 0.2).abs() < 1e-15);
    assert!((r.fgt[2] - 0.1).abs() < 1e-15);
    // x0 = (1,1,0,0): u_i = ±0.125, SE = sqrt(4/3 · 4 · 0.015625) = sqrt(1/12)
    assert!((r.fgt_se[0] - (1.0f64 / 12.0).sqrt()).abs() < 1e-15);
    // Σ|yi − yj| over ordered pairs = 20 → G = 20 / (2·16·2.5) = 0.25
    assert!((r.gini.unwrap() - 0.25).abs() < 1e-15);
    // Lorenz: L(0.4) = (1 + 0.6·2)/10 = 0.22, L(0.9) = (6 + 0.6·4)/10 = 0.84
    assert!((r.palma.unwrap() - 0.16 / 0.22).abs() < 1e-14);
    let theil = [1.0f64, 2.0, 3.0, 4.0]
        .iter()
        .map(|y| y / 2.5 * (y / 2.5).ln())
        .sum::<f64>()
        / 4.0;
    assert!((r.theil_t.unwrap() - theil).abs() < 1e-15);
    let mld = [1.0f64, 2.0, 3.0, 4.0]
        .iter()
        .map(|y| (2.5 / y).ln())
        .sum::<f64>()
        / 4.0;
    assert!((r.mld.unwrap() - mld).abs() < 1e-15);
    // A_2: harmonic mean 4 / (1 + 1/2 + 1/3 + 1/4) = 48/25
    assert!((r.atkinson[2].unwrap() - (1.0 - 48.0 / 25.0 / 2.5)).abs() < 1e-15);
    assert_eq!(r.poor_population, 2.0);
}

#[test]
fn weighted_median_takes_smallest_income_reaching_half_the_weight() {
    let y = [10.0, 20.0, 30.0];
    let w = [1.0, 1.0, 2.0];
    let r = measure(&Sample::new(&y, Line::Constant(1.0)).with_weight(&w))
        .unwrap()
        .unwrap();
    assert_eq!(r.median, 20.0); // cumulative 1, 2 ≥ 4/2
    let w = [1.0, 0.999, 2.0];
    let r = measure(&Sample::new(&y, Line::Constant(1.0)).with_weight(&w))
        .unwrap()
        .unwrap();
    assert_eq!(r.median, 30.0);
}

#[test]
fn income_equal_to_line_is_not_poor() {
    let y = [100.0, 99.0];
    let r = measure(&Sample::new(&y, Line::Constant(100.0)))
        .unwrap()
        .unwrap();
    assert_eq!(r.fgt[0], 0.5);
    assert_eq!(r.poor_population, 1.0);
}

#[test]
fn zero_income_makes_mld_and_atkinson_above_one_undefined() {
    let y = [0.0, 10.0, 20.0];
    let r = measure(&Sample::new(&y, Line::Constant(5.0)))
        .unwrap()
        .unwrap();
    assert!(r.mld.is_none());
    assert!(r.atkinson[1].is_none() && r.atkinson[2].is_none());
    assert!(r.atkinson[0].is_some() && r.theil_t.is_some() && r.gini.is_some());
}

#[test]
fn all_zero_incomes_leave_inequality_undefined() {
    let y = [0.0, 0.0];
    let r = measure(&Sample::new(&y, Line::Constant(5.0)))
        .unwrap()
        .unwrap();
    assert_eq!(r.fgt, [1.0, 1.0, 1.0]);
    assert!(
        r.gini.is_none() && r.theil_t.is_none() && r.palma.is_none() && r.decile_shares.is_none()
    );
    assert_eq!(r.median, 0.0);
}

#[test]
fn palma_is_undefined_when_bottom_forty_percent_has_no_income() {
    let y = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let r = measure(&Sample::new(&y, Line::Constant(5.0)))
        .unwrap()
        .unwrap();
    assert!(r.palma.is_none());
    assert!((r.gini.unwrap() - 0.5).abs() < 1e-15);
}

#[test]
fn single_stratum_with_one_cluster_has_zero_standard_error() {
    let y = [1.0, 5.0, 9.0];
    let c = [7, 7, 7];
    let r = measure(&Sample::new(&y, Line::Constant(6.0)).with_cluster(&c))
        .unwrap()
        .unwrap();
    assert_eq!(r.fgt_se, [0.0; 3]);
}

#[test]
fn same_cluster_code_in_two_strata_is_two_clusters() {
    let y = [1.0, 9.0, 1.0, 9.0];
    let h = [0, 0, 1, 1];
    let c = [1, 2, 1, 2];
    let s = Sample::new(&y, Line::Constant(5.0))
        .with_cluster(&c)
        .with_strata(&h);
    let r = measure(&s).unwrap().unwrap();
    // u = ±0.125 in each stratum: V = 2 · 2 · 2·0.125² = 0.125
    assert!((r.fgt_se[0] - 0.125f64.sqrt()).abs() < 1e-15);
}

#[test]
fn errors_name_the_first_bad_row() {
    let y = [1.0, 2.0, f64::NAN];
    let e = measure(&Sample::new(&y, Line::Constant(1.0))).unwrap_err();
    assert!(matches!(e, MeasureError::InvalidIncome { row: 2, .. }));
    let y = [1.0, 2.0];
    let w = [1.0, 0.0];
    let e = measure(&Sample::new(&y, Line::Constant(1.0)).with_weight(&w)).unwrap_err();
    assert_eq!(e, MeasureError::InvalidWeight { row: 1, value: 0.0 });
    let z = [1.0, -3.0];
    let e = measure(&Sample::new(&y, Line::PerRow(&z))).unwrap_err();
    assert_eq!(
        e,
        MeasureError::InvalidLine {
            row: 1,
            value: -3.0
        }
    );
    let e = measure(&Sample::new(&y, Line::Constant(0.0))).unwrap_err();
    assert_eq!(e, MeasureError::InvalidLine { row: 0, value: 0.0 });
    let e = measure_by(&Sample::new(&y, Line::Constant(1.0)), &[0, 5], 2).unwrap_err();
    assert_eq!(
        e,
        MeasureError::InvalidGroup {
            row: 1,
            code: 5,
            n_groups: 2
        }
    );
}

#[test]
fn large_sample_takes_parallel_paths_and_matches_sequential_groups() {
    // 300k rows cross the chunk and parallel-sort thresholds; the same data as
    // one group must give the same numbers as the total.
    let n = 300_000;
    let y: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 100_003) as f64 * 3.7)
        .collect();
    let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 13) as f64 / 7.0).collect();
    let c: Vec<u32> = (0..n).map(|i| (i / 50) as u32).collect();
    let g = vec![0u32; n];
    let s = Sample::new(&y, Line::Constant(150_000.0))
        .with_weight(&w)
        .with_cluster(&c);
    let r = measure_by(&s, &g, 1).unwrap();
    let (a, b) = (r.total.unwrap(), r.groups[0].clone().unwrap());
    let rel = |x: f64, y: f64| (x - y).abs() / x.abs().max(1e-300);
    assert_eq!(a.median, b.median);
    assert!(rel(a.gini.unwrap(), b.gini.unwrap()) < 1e-12);
    assert!(rel(a.fgt_se[0], b.fgt_se[0]) < 1e-12);
    assert!(rel(a.theil_t.unwrap(), b.theil_t.unwrap()) < 1e-12);
    assert!(rel(a.palma.unwrap(), b.palma.unwrap()) < 1e-12);
}
