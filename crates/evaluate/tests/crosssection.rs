//! Cross-section ATT: IPW, doubly robust, matching and balance.

#![allow(clippy::needless_range_loop)]

use sejahtera_evaluate::crosssection::*;
use sejahtera_evaluate::rng::Rng;

fn make(n: usize, tau: f64, seed: u64) -> (Vec<f64>, Vec<bool>, Vec<f64>) {
    let mut r = Rng::new(seed);
    let (mut y, mut d, mut x) = (vec![], vec![], vec![]);
    for _ in 0..n {
        let xi = r.normal();
        let di = r.uniform() < 1.0 / (1.0 + (-(xi - 0.5)).exp());
        y.push(2.0 * xi + if di { tau } else { 0.0 } + r.normal());
        d.push(di);
        x.push(xi);
    }
    (y, d, x)
}

#[test]
fn ipw_dr_and_matching_recover_the_effect_and_balance_improves() {
    let (y, d, x) = make(3000, 1.0, 5);
    let cs = CrossSection::new(&y, &d, &[&x]).unwrap();
    for e in [ipw_att(&cs).unwrap(), dr_att(&cs).unwrap()] {
        assert!((e.att - 1.0).abs() < 3.0 * e.se, "{} ± {}", e.att, e.se);
    }
    let m = match_att(&cs, 1, Some(0.2)).unwrap();
    assert!((m.att - 1.0).abs() < 3.0 * m.se, "{} ± {}", m.att, m.se);
    let before_after = balance_table(&cs, &ipw_weights(&cs).unwrap()).unwrap();
    assert!(before_after[0].std_diff_before.abs() > 0.3);
    assert!(
        before_after[0].std_diff_after.abs() < 0.1,
        "{before_after:?}"
    );
    let matched = balance_table(&cs, &m.weights).unwrap();
    assert!(matched[0].std_diff_after.abs() < 0.1, "{matched:?}");
}

#[test]
fn matching_pairs_each_treated_unit_with_its_nearest_control() {
    // identical covariates → identical scores; exact copies give a zero effect
    let x = [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 5.0];
    let y = [3.0, 4.0, 5.0, 3.0, 4.0, 5.0, 9.0];
    let d = [true, true, true, false, false, false, false];
    let cs = CrossSection::new(&y, &d, &[&x]).unwrap();
    let m = match_att(&cs, 1, None).unwrap();
    assert!(m.att.abs() < 1e-12);
    assert_eq!(m.weights[6], 0.0);
    assert_eq!(m.n_matched, 3);
    // exact matches survive even a zero-width caliper
    assert_eq!(match_att(&cs, 1, Some(0.0)).unwrap().n_matched, 3);
    assert!(match_att(&cs, 0, None).is_err());
}
