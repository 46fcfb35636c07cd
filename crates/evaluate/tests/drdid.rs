//! Two-period DiD estimators: closed forms, balancing, invariances.

#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use sejahtera_evaluate::drdid::*;
use sejahtera_evaluate::linalg::{Design, ipt, logistic_fitted};
use sejahtera_evaluate::rng::Rng;

struct Two {
    y1: Vec<f64>,
    y0: Vec<f64>,
    d: Vec<bool>,
    x: Vec<f64>,
}

fn make(n: usize, tau: f64, seed: u64) -> Two {
    let mut r = Rng::new(seed);
    let mut t = Two {
        y1: vec![],
        y0: vec![],
        d: vec![],
        x: vec![],
    };
    for _ in 0..n {
        let x = r.normal();
        let d = r.uniform() < 1.0 / (1.0 + (-(0.5 * x - 0.3)).exp());
        let a = r.normal() + x;
        t.y0.push(a + r.normal());
        t.y1.push(a + 1.0 + 0.8 * x + if d { tau } else { 0.0 } + r.normal());
        t.d.push(d);
        t.x.push(x);
    }
    t
}

fn naive_did(t: &Two) -> f64 {
    let m = |pick: bool| {
        let v: Vec<f64> = (0..t.d.len())
            .filter(|&i| t.d[i] == pick)
            .map(|i| t.y1[i] - t.y0[i])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    m(true) - m(false)
}

const ALL: [DrDidMethod; 5] = [
    DrDidMethod::Reg,
    DrDidMethod::Ipw,
    DrDidMethod::StdIpw,
    DrDidMethod::DrTrad,
    DrDidMethod::DrImp,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Without covariates every estimator reduces to the difference of mean changes.
    #[test]
    fn without_covariates_all_estimators_equal_the_naive_did(seed in 0u64..100_000, n in 20usize..120) {
        let t = make(n, 1.0, seed);
        prop_assume!(t.d.iter().filter(|d| **d).count() >= 2 && t.d.iter().filter(|d| !**d).count() >= 2);
        let p = TwoPeriodPanel::new(&t.y1, &t.y0, &t.d, &[]).unwrap();
        let want = naive_did(&t);
        for m in ALL {
            let e = estimate(&p, m).unwrap();
            prop_assert!((e.att - want).abs() < 1e-9, "{m:?}: {} vs {want}", e.att);
            prop_assert!((e.inf_func.iter().sum::<f64>() / n as f64).abs() < 1e-9);
        }
    }
}

#[test]
fn ipw_without_covariates_has_the_two_sample_influence_function() {
    // Without covariates the IF of the DiD of means is known in closed form.
    let t = make(200, 2.0, 4);
    let p = TwoPeriodPanel::new(&t.y1, &t.y0, &t.d, &[]).unwrap();
    let n = 200.0;
    let pd = t.d.iter().filter(|d| **d).count() as f64 / n;
    let dy: Vec<f64> = t.y1.iter().zip(&t.y0).map(|(a, b)| a - b).collect();
    let mt = (0..200).filter(|&i| t.d[i]).map(|i| dy[i]).sum::<f64>() / (pd * n);
    let mc = (0..200).filter(|&i| !t.d[i]).map(|i| dy[i]).sum::<f64>() / ((1.0 - pd) * n);
    let want_se = ((0..200)
        .map(|i| {
            let v = if t.d[i] {
                (dy[i] - mt) / pd
            } else {
                -(dy[i] - mc) / (1.0 - pd)
            };
            v * v
        })
        .sum::<f64>())
    .sqrt()
        / n;
    for m in [
        DrDidMethod::Reg,
        DrDidMethod::StdIpw,
        DrDidMethod::DrTrad,
        DrDidMethod::Ipw,
    ] {
        let e = estimate(&p, m).unwrap();
        assert!(
            (e.se - want_se).abs() < 1e-10 * want_se.max(1.0),
            "{m:?} {} {want_se}",
            e.se
        );
    }
}

#[test]
fn ipt_propensity_score_balances_covariates_exactly() {
    let t = make(300, 1.0, 12);
    let x = Design::with_intercept(&[t.x.as_slice()]).unwrap();
    let w = vec![1.0; 300];
    let g = ipt(&x, &t.d, &w).unwrap();
    let ps = logistic_fitted(&x, &g);
    let (mut tr, mut co) = ([0.0; 2], [0.0; 2]);
    for i in 0..300 {
        let r = x.row(i);
        for j in 0..2 {
            if t.d[i] {
                tr[j] += r[j];
            } else {
                co[j] += ps[i] / (1.0 - ps[i]) * r[j];
            }
        }
    }
    for j in 0..2 {
        assert!((tr[j] - co[j]).abs() < 1e-8, "{tr:?} {co:?}");
    }
}

#[test]
fn doubly_robust_estimators_recover_the_effect_under_selection_on_x() {
    let t = make(4000, 1.5, 77);
    let xs = [t.x.as_slice()];
    let p = TwoPeriodPanel::new(&t.y1, &t.y0, &t.d, &xs).unwrap();
    // the naive DiD is biased by the x-specific trend …
    assert!((naive_did(&t) - 1.5).abs() > 0.1);
    // … every covariate-adjusted estimator is not
    for m in ALL {
        let e = estimate(&p, m).unwrap();
        let (lo, hi) = e.ci(0.01);
        assert!(lo < 1.5 && 1.5 < hi, "{m:?}: {} ± {}", e.att, e.se);
    }
}

#[test]
fn invalid_inputs_are_reported() {
    assert!(TwoPeriodPanel::new(&[1.0], &[1.0, 2.0], &[true], &[]).is_err());
    assert!(TwoPeriodPanel::new(&[1.0, 2.0], &[1.0, 2.0], &[true, true], &[]).is_err());
    let e = TwoPeriodPanel::new(&[1.0, f64::NAN], &[1.0, 2.0], &[true, false], &[]).unwrap_err();
    assert!(e.to_string().contains("row 1"));
    // collinear covariates make the design singular
    let c = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let p =
        TwoPeriodPanel::new(&c, &c, &[true, false, true, false, true, false], &[&c, &c]).unwrap();
    assert!(estimate(&p, DrDidMethod::Reg).is_err());
    assert!(DrDidMethod::parse("foo").is_err());
}
