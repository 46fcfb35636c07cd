//! Callaway & Sant'Anna ATT(g,t): naive reference, invariances, coverage.

#![allow(clippy::needless_range_loop)]

mod common;

use proptest::prelude::*;
use sejahtera_evaluate::rng::Rng;
use sejahtera_evaluate::staggered::*;

fn opts(control: ControlGroup, method: Method) -> AttGtOptions {
    AttGtOptions {
        control,
        method,
        ..Default::default()
    }
}

/// Naive 2×2 mean comparison for one cell (no covariates).
fn naive_cell(g: &common::Gen, grp: i64, t: i64, base: i64, control: ControlGroup) -> f64 {
    let mean_change = |pick: &dyn Fn(i64) -> bool| {
        let mut s = 0.0;
        let mut c = 0.0;
        for r in 0..g.y.len() {
            if g.time[r] == t && pick(g.group[r]) {
                let r0 = (0..g.y.len())
                    .find(|&q| g.unit[q] == g.unit[r] && g.time[q] == base)
                    .unwrap();
                s += g.y[r] - g.y[r0];
                c += 1.0;
            }
        }
        s / c
    };
    let cut = t.max(base);
    mean_change(&|gi| gi == grp)
        - mean_change(&|gi| match control {
            ControlGroup::Never => gi == 0,
            ControlGroup::NotYet => gi == 0 || (gi > cut && gi != grp),
        })
}

#[test]
fn without_covariates_every_cell_equals_the_naive_two_by_two() {
    let g = common::staggered(80, 5, 1.0, 3);
    for control in [ControlGroup::Never, ControlGroup::NotYet] {
        for method in [Method::Reg, Method::Ipw, Method::Dr] {
            let p = LongPanel {
                unit: &g.unit,
                time: &g.time,
                group: &g.group,
                y: &g.y,
                covariates: &[],
            };
            let r = att_gt(&p, &opts(control, method)).unwrap();
            for c in &r.cells {
                let base = if c.time >= c.group {
                    c.group - 1
                } else {
                    c.time - 1
                };
                let want = naive_cell(&g, c.group, c.time, base, control);
                assert!(
                    (c.att - want).abs() < 1e-10,
                    "{control:?} {method:?} {c:?} want {want}"
                );
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_row_order() {
    let g = common::staggered(120, 5, 1.0, 9);
    for control in [ControlGroup::Never, ControlGroup::NotYet] {
        for method in [Method::Reg, Method::Ipw, Method::Dr] {
            row_order_invariance(&g, &opts(control, method));
        }
    }
}

fn row_order_invariance(g: &common::Gen, o: &AttGtOptions) {
    let x = [g.x1.as_slice()];
    let p = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &x,
    };
    let a = att_gt(&p, o).unwrap();
    let mut perm: Vec<usize> = (0..g.y.len()).collect();
    let mut r = Rng::new(5);
    for i in (1..perm.len()).rev() {
        perm.swap(i, r.below(i + 1));
    }
    let sh = |v: &[f64]| perm.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let (u, t, gr) = (
        perm.iter().map(|&i| g.unit[i]).collect::<Vec<_>>(),
        perm.iter().map(|&i| g.time[i]).collect::<Vec<_>>(),
        perm.iter().map(|&i| g.group[i]).collect::<Vec<_>>(),
    );
    let (y, x1) = (sh(&g.y), sh(&g.x1));
    let x2 = [x1.as_slice()];
    let q = LongPanel {
        unit: &u,
        time: &t,
        group: &gr,
        y: &y,
        covariates: &x2,
    };
    let b = att_gt(&q, o).unwrap();
    assert_eq!(a.cells.len(), b.cells.len());
    for (c, d) in a.cells.iter().zip(&b.cells) {
        assert_eq!((c.group, c.time), (d.group, d.time));
        assert!((c.att - d.att).abs() < 1e-12 && (c.se - d.se).abs() < 1e-12);
    }
    for kind in [
        AggregationType::Simple,
        AggregationType::Group,
        AggregationType::Dynamic,
        AggregationType::Calendar,
    ] {
        let (x, y) = (
            aggregate(&a, kind, &Default::default()).unwrap(),
            aggregate(&b, kind, &Default::default()).unwrap(),
        );
        assert!((x.att - y.att).abs() < 1e-12 && (x.se - y.se).abs() < 1e-12);
    }
}

/// A second covariate that changes over time (so cells whose base periods
/// differ have different designs).
fn time_varying(g: &common::Gen, seed: u64) -> Vec<f64> {
    let mut r = Rng::new(seed);
    g.time
        .iter()
        .zip(&g.x1)
        .map(|(t, x)| 0.5 * x + 0.1 * *t as f64 + r.normal())
        .collect()
}

/// Every ATT(g,t) and its standard error equal the two-period estimator of
/// [`sejahtera_evaluate::drdid`] run on the cell's own subsample (cohort and
/// comparison units, the two periods, covariates of the earlier period).
#[test]
fn cells_equal_the_two_period_estimator_on_their_subsample() {
    use sejahtera_evaluate::drdid::{self, DrDidMethod, TwoPeriodPanel};
    let g = common::staggered(150, 5, 1.0, 17);
    let x2 = time_varying(&g, 3);
    for (covs, tv) in [
        (vec![g.x1.as_slice()], false),
        (vec![g.x1.as_slice(), x2.as_slice()], true),
    ] {
        let p = LongPanel {
            unit: &g.unit,
            time: &g.time,
            group: &g.group,
            y: &g.y,
            covariates: &covs,
        };
        for control in [ControlGroup::Never, ControlGroup::NotYet] {
            for method in [Method::Reg, Method::Ipw, Method::Dr] {
                let r = att_gt(&p, &opts(control, method)).unwrap();
                for c in &r.cells {
                    let base = if c.time >= c.group {
                        c.group - 1
                    } else {
                        c.time - 1
                    };
                    let cut = c.time.max(base);
                    let at = |u: u64, s: i64| {
                        (0..g.y.len())
                            .find(|&q| g.unit[q] == u && g.time[q] == s)
                            .unwrap()
                    };
                    let rows: Vec<usize> = (0..g.y.len())
                        .filter(|&q| g.time[q] == c.time)
                        .filter(|&q| {
                            let gi = g.group[q];
                            gi == c.group
                                || match control {
                                    ControlGroup::Never => gi == 0,
                                    ControlGroup::NotYet => gi == 0 || (gi > cut && gi != c.group),
                                }
                        })
                        .collect();
                    let y1: Vec<f64> = rows.iter().map(|&q| g.y[q]).collect();
                    let y0: Vec<f64> = rows.iter().map(|&q| g.y[at(g.unit[q], base)]).collect();
                    let d: Vec<bool> = rows.iter().map(|&q| g.group[q] == c.group).collect();
                    let early = c.time.min(base);
                    let xs: Vec<Vec<f64>> = covs
                        .iter()
                        .map(|col| rows.iter().map(|&q| col[at(g.unit[q], early)]).collect())
                        .collect();
                    let xr: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
                    let two = TwoPeriodPanel::new(&y1, &y0, &d, &xr).unwrap();
                    let m = match method {
                        Method::Reg => DrDidMethod::Reg,
                        Method::Ipw => DrDidMethod::StdIpw,
                        Method::Dr => DrDidMethod::DrTrad,
                    };
                    let (att, inf) = drdid::att_and_if(&two, m, drdid::TRIM_LEVEL).unwrap();
                    let se = inf.iter().map(|v| v * v).sum::<f64>().sqrt() / rows.len() as f64;
                    assert!(
                        (c.att - att).abs() < 1e-9 && (c.se / se - 1.0).abs() < 1e-9,
                        "tv={tv} {control:?} {method:?} {c:?}: want {att} se {se}"
                    );
                }
            }
        }
    }
}

/// On a panel large enough for the warm-started propensity-score fit, the
/// doubly robust and IPW cells still equal the two-period estimator on their
/// subsample.
#[test]
fn large_panel_cells_equal_the_two_period_estimator() {
    use sejahtera_evaluate::drdid::{self, DrDidMethod, TwoPeriodPanel};
    let n = 12_000;
    let g = common::staggered(n, 3, 1.0, 31);
    let x = [g.x1.as_slice()];
    let p = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &x,
    };
    for (method, m) in [
        (Method::Dr, DrDidMethod::DrTrad),
        (Method::Ipw, DrDidMethod::StdIpw),
    ] {
        let r = att_gt(&p, &opts(ControlGroup::Never, method)).unwrap();
        for c in &r.cells {
            // rows are period-major: row (s − 1)·n + i
            let base = if c.time >= c.group {
                c.group - 1
            } else {
                c.time - 1
            };
            let row = |s: i64, i: usize| (s as usize - 1) * n + i;
            let units: Vec<usize> = (0..n)
                .filter(|&i| g.group[i] == c.group || g.group[i] == 0)
                .collect();
            let y1: Vec<f64> = units.iter().map(|&i| g.y[row(c.time, i)]).collect();
            let y0: Vec<f64> = units.iter().map(|&i| g.y[row(base, i)]).collect();
            let d: Vec<bool> = units.iter().map(|&i| g.group[i] == c.group).collect();
            let x1: Vec<f64> = units
                .iter()
                .map(|&i| g.x1[row(base.min(c.time), i)])
                .collect();
            let two = TwoPeriodPanel::new(&y1, &y0, &d, &[&x1]).unwrap();
            let (att, inf) = drdid::att_and_if(&two, m, drdid::TRIM_LEVEL).unwrap();
            let se = inf.iter().map(|v| v * v).sum::<f64>().sqrt() / units.len() as f64;
            assert!(
                (c.att - att).abs() < 1e-9 && (c.se / se - 1.0).abs() < 1e-9,
                "{method:?} {c:?}: want {att} se {se}"
            );
        }
    }
}

/// The Wald pre-test equals `n · aᵀ V⁻¹ a` with `V` built from the dense
/// influence functions.
#[test]
fn pretest_matches_the_dense_covariance() {
    let g = common::staggered(200, 6, 1.0, 23);
    let x = [g.x1.as_slice()];
    let p = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &x,
    };
    for control in [ControlGroup::Never, ControlGroup::NotYet] {
        let r = att_gt(&p, &opts(control, Method::Dr)).unwrap();
        let pre: Vec<usize> = (0..r.cells.len())
            .filter(|&j| r.cells[j].time < r.cells[j].group)
            .collect();
        let dense: Vec<Vec<f64>> = pre.iter().map(|&j| r.inf_func[j].to_dense(r.n)).collect();
        let q = pre.len();
        let n = r.n as f64;
        let v = nalgebra::DMatrix::from_fn(q, q, |a, b| {
            dense[a]
                .iter()
                .zip(&dense[b])
                .map(|(x, y)| x * y)
                .sum::<f64>()
                / n
        });
        let a = nalgebra::DVector::from_iterator(q, pre.iter().map(|&j| r.cells[j].att));
        let want = n * (a.transpose() * v.try_inverse().unwrap() * &a)[(0, 0)];
        let got = pretest(&r).unwrap();
        assert_eq!(got.df, q);
        assert!(
            (got.statistic / want - 1.0).abs() < 1e-9,
            "{got:?} vs {want}"
        );
    }
}

#[test]
fn simple_aggregate_is_the_cohort_size_weighted_mean_of_post_cells() {
    let g = common::staggered(150, 5, 2.0, 11);
    let p = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &[],
    };
    let r = att_gt(&p, &opts(ControlGroup::Never, Method::Reg)).unwrap();
    let size = |gr: i64| r.unit_group.iter().filter(|x| **x == gr).count() as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for c in r.cells.iter().filter(|c| c.post) {
        num += size(c.group) * c.att;
        den += size(c.group);
    }
    let a = aggregate(&r, AggregationType::Simple, &Default::default()).unwrap();
    assert!((a.att - num / den).abs() < 1e-12);
    // dynamic overall = mean of e >= 0 event-time effects
    let d = aggregate(&r, AggregationType::Dynamic, &Default::default()).unwrap();
    let pos: Vec<f64> = d
        .items
        .iter()
        .filter(|i| i.label >= 0)
        .map(|i| i.att)
        .collect();
    assert!((d.att - pos.iter().sum::<f64>() / pos.len() as f64).abs() < 1e-12);
}

#[test]
fn universal_base_period_has_a_zero_reference_cell() {
    let g = common::staggered(100, 5, 1.0, 2);
    let p = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &[],
    };
    let o = AttGtOptions {
        base_period: BasePeriod::Universal,
        method: Method::Reg,
        ..Default::default()
    };
    let r = att_gt(&p, &o).unwrap();
    for c in r.cells.iter().filter(|c| c.time == c.group - 1) {
        assert_eq!(c.att, 0.0);
        assert!(c.se.is_nan());
    }
    // post cells coincide with the varying base period (same reference period)
    let v = att_gt(&p, &opts(ControlGroup::Never, Method::Reg)).unwrap();
    for c in r.cells.iter().filter(|c| c.post) {
        let w = v
            .cells
            .iter()
            .find(|d| d.group == c.group && d.time == c.time)
            .unwrap();
        assert!((c.att - w.att).abs() < 1e-12);
    }
}

#[test]
fn unbalanced_or_inconsistent_panels_are_rejected_with_the_row() {
    let g = common::staggered(10, 4, 1.0, 1);
    let n = g.y.len() - 1;
    let p = LongPanel {
        unit: &g.unit[..n],
        time: &g.time[..n],
        group: &g.group[..n],
        y: &g.y[..n],
        covariates: &[],
    };
    assert!(matches!(
        att_gt(&p, &AttGtOptions::default()),
        Err(sejahtera_evaluate::Error::Panel(_))
    ));
    let mut grp = g.group.clone();
    let last = grp.len() - 1;
    grp[last] = if grp[last] == 0 { 3 } else { 0 };
    let q = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &grp,
        y: &g.y,
        covariates: &[],
    };
    let e = att_gt(&q, &AttGtOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("row {last}")), "{e}");
}

#[test]
fn bootstrap_is_seeded_and_close_to_the_analytic_se() {
    let g = common::staggered(400, 4, 1.0, 21);
    let p = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &[],
    };
    let r = att_gt(&p, &opts(ControlGroup::Never, Method::Reg)).unwrap();
    let dense: Vec<Vec<f64>> = r.inf_func.iter().map(|f| f.to_dense(r.n)).collect();
    let infs: Vec<&[f64]> = dense.iter().map(Vec::as_slice).collect();
    let a = multiplier_bootstrap(&infs, 499, 7, 0.05).unwrap();
    let b = multiplier_bootstrap(&infs, 499, 7, 0.05).unwrap();
    assert_eq!(a, b);
    for (c, s) in r.cells.iter().zip(&a.se) {
        assert!((s / c.se - 1.0).abs() < 0.15, "{s} vs {}", c.se);
    }
    // the uniform band is wider than the pointwise one
    assert!(a.crit_val > 1.96);
}

#[test]
fn pretest_does_not_reject_under_parallel_trends_and_rejects_without_covariates() {
    let g = common::staggered(600, 5, 1.0, 8);
    let x = [g.x1.as_slice()];
    let with = LongPanel {
        unit: &g.unit,
        time: &g.time,
        group: &g.group,
        y: &g.y,
        covariates: &x,
    };
    let r = att_gt(&with, &AttGtOptions::default()).unwrap();
    let pt = pretest(&r).unwrap();
    assert!(pt.p_value > 0.01, "{pt:?}");
    // selection on x with x-specific trends breaks unconditional parallel trends
    let without = LongPanel {
        covariates: &[],
        ..with
    };
    let r2 = att_gt(&without, &opts(ControlGroup::Never, Method::Reg)).unwrap();
    assert!(pretest(&r2).unwrap().p_value < 0.01);
}

/// A known injected effect is recovered within its 95% CI in ≥ 93% of 200 seeded simulations.
#[test]
fn coverage_of_the_simple_aggregate_ci_is_at_least_93_percent() {
    let mut covered = 0;
    for seed in 0..200 {
        let g = common::staggered(160, 4, 1.5, 1000 + seed);
        let x = [g.x1.as_slice()];
        let p = LongPanel {
            unit: &g.unit,
            time: &g.time,
            group: &g.group,
            y: &g.y,
            covariates: &x,
        };
        let r = att_gt(&p, &AttGtOptions::default()).unwrap();
        let a = aggregate(&r, AggregationType::Simple, &Default::default()).unwrap();
        if (a.att - 1.5).abs() <= 1.959964 * a.se {
            covered += 1;
        }
    }
    assert!(covered >= 186, "covered {covered} of 200");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn reg_cells_match_naive_for_random_panels(seed in 0u64..10_000, n in 30usize..60) {
        let g = common::staggered(n, 4, 0.7, seed);
        let p = LongPanel { unit: &g.unit, time: &g.time, group: &g.group, y: &g.y, covariates: &[] };
        if let Ok(r) = att_gt(&p, &opts(ControlGroup::NotYet, Method::Reg)) {
            for c in r.cells.iter().filter(|c| c.att.is_finite()) {
                let base = if c.time >= c.group { c.group - 1 } else { c.time - 1 };
                let want = naive_cell(&g, c.group, c.time, base, ControlGroup::NotYet);
                prop_assert!((c.att - want).abs() < 1e-9);
            }
        }
    }
}
