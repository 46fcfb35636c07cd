//! Synthetic control, synthetic DiD and DiD on small generated panels.

#![allow(clippy::needless_range_loop)]

use sejahtera_evaluate::rng::Rng;
use sejahtera_evaluate::synth::*;

fn panel(n_controls: u64, t: i64, tau: f64, seed: u64) -> (Vec<u64>, Vec<i64>, Vec<f64>) {
    let mut r = Rng::new(seed);
    let (mut u, mut tt, mut y) = (vec![], vec![], vec![]);
    let load: Vec<f64> = (0..=n_controls).map(|_| r.normal()).collect();
    let fe: Vec<f64> = (0..=n_controls).map(|_| 3.0 * r.normal()).collect();
    let f: Vec<f64> = (0..t).map(|_| r.normal()).collect();
    for i in 0..=n_controls {
        for s in 0..t {
            u.push(i);
            tt.push(2000 + s);
            let eff = if i == n_controls && s >= t - 3 {
                tau
            } else {
                0.0
            };
            y.push(
                fe[i as usize]
                    + load[i as usize] * f[s as usize]
                    + 0.1 * s as f64
                    + eff
                    + 0.1 * r.normal(),
            );
        }
    }
    (u, tt, y)
}

#[test]
fn did_weights_give_the_difference_of_mean_changes() {
    let (u, t, y) = panel(8, 10, 2.0, 1);
    let p = SynthPanel::from_long(&u, &t, &y, 8, 2007).unwrap();
    let e = estimate(&p, SynthMethod::Did).unwrap();
    let mean = |unit: &dyn Fn(u64) -> bool, post: bool| {
        let v: Vec<f64> = (0..y.len())
            .filter(|&r| unit(u[r]) && (t[r] >= 2007) == post)
            .map(|r| y[r])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let want = (mean(&|x| x == 8, true) - mean(&|x| x == 8, false))
        - (mean(&|x| x != 8, true) - mean(&|x| x != 8, false));
    assert!((e.att - want).abs() < 1e-10);
}

#[test]
fn weights_lie_on_the_simplex_and_effects_are_recovered() {
    let (u, t, y) = panel(12, 14, 2.0, 5);
    let p = SynthPanel::from_long(&u, &t, &y, 12, 2011).unwrap();
    for m in [SynthMethod::Sc, SynthMethod::Sdid] {
        let e = estimate(&p, m).unwrap();
        assert!((e.unit_weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(e.unit_weights.iter().all(|w| *w >= 0.0));
        assert!((e.att - 2.0).abs() < 1.0, "{m:?} {}", e.att);
    }
    let e = estimate(&p, SynthMethod::Sdid).unwrap();
    assert!((e.time_weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn a_copy_of_a_control_is_matched_exactly_by_synthetic_control() {
    let (mut u, mut t, mut y) = panel(6, 10, 0.0, 9);
    // treated unit 6 replaced by an exact copy of control 2
    let rows: Vec<usize> = (0..u.len()).filter(|&r| u[r] == 2).collect();
    let keep: Vec<usize> = (0..u.len()).filter(|&r| u[r] != 6).collect();
    let (mut u2, mut t2, mut y2): (Vec<u64>, Vec<i64>, Vec<f64>) = (
        keep.iter().map(|&r| u[r]).collect(),
        keep.iter().map(|&r| t[r]).collect(),
        keep.iter().map(|&r| y[r]).collect(),
    );
    for &r in &rows {
        u2.push(6);
        t2.push(t[r]);
        y2.push(y[r]);
    }
    std::mem::swap(&mut u, &mut u2);
    std::mem::swap(&mut t, &mut t2);
    std::mem::swap(&mut y, &mut y2);
    let p = SynthPanel::from_long(&u, &t, &y, 6, 2007).unwrap();
    let e = estimate(&p, SynthMethod::Sc).unwrap();
    assert!(e.att.abs() < 0.05, "{}", e.att);
    assert!(e.unit_weights[2] > 0.9, "{:?}", e.unit_weights);
}

#[test]
fn placebo_se_is_seeded_and_positive() {
    let (u, t, y) = panel(10, 10, 1.0, 3);
    let p = SynthPanel::from_long(&u, &t, &y, 10, 2007).unwrap();
    let a = placebo_se(&p, SynthMethod::Sdid, 20, 4).unwrap();
    let b = placebo_se(&p, SynthMethod::Sdid, 20, 4).unwrap();
    assert_eq!(a, b);
    assert!(a > 0.0 && a.is_finite());
}

#[test]
fn malformed_panels_are_rejected() {
    let (u, t, y) = panel(4, 6, 1.0, 1);
    assert!(SynthPanel::from_long(&u, &t, &y, 99, 2003).is_err());
    assert!(SynthPanel::from_long(&u, &t, &y, 4, 2001).is_err());
    assert!(SynthPanel::from_long(&u[1..], &t[1..], &y[1..], 4, 2003).is_err());
}
