//! Shared seeded data generators for the integration tests.
#![allow(dead_code)]

use sejahtera_evaluate::rng::Rng;

/// A long staggered panel with covariate-driven selection and a known effect.
pub struct Gen {
    pub unit: Vec<u64>,
    pub time: Vec<i64>,
    pub group: Vec<i64>,
    pub y: Vec<f64>,
    pub x1: Vec<f64>,
}

/// `n` units, periods 1..=t, cohorts {0, 3, …, t}; the effect is `tau` for every treated cell.
pub fn staggered(n: usize, t: i64, tau: f64, seed: u64) -> Gen {
    let mut r = Rng::new(seed);
    let mut g = Gen {
        unit: vec![],
        time: vec![],
        group: vec![],
        y: vec![],
        x1: vec![],
    };
    let cohorts: Vec<i64> = std::iter::once(0).chain(3..=t).collect();
    let units: Vec<(f64, i64, f64)> = (0..n)
        .map(|_| {
            let x = r.normal();
            // selection on x: higher x more likely treated
            let p_treat = 1.0 / (1.0 + (-0.8 * x).exp());
            let gi = if r.uniform() < p_treat {
                cohorts[1 + r.below(cohorts.len() - 1)]
            } else {
                0
            };
            (x, gi, r.normal())
        })
        .collect();
    for s in 1..=t {
        for (i, (x, gi, a)) in units.iter().enumerate() {
            let eff = if *gi > 0 && s >= *gi { tau } else { 0.0 };
            g.unit.push(i as u64 + 100);
            g.time.push(s);
            g.group.push(*gi);
            g.y.push(a + 0.3 * s as f64 + 0.4 * x * s as f64 + eff + r.normal());
            g.x1.push(*x);
        }
    }
    g
}
