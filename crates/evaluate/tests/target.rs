//! Target tracking: achievement, bands, gaps and projections.

#![allow(clippy::needless_range_loop)]

use sejahtera_evaluate::target::*;

fn ind(p: Polarity, years: &[(i64, f64, Option<f64>)]) -> Indicator {
    Indicator {
        name: "x".into(),
        polarity: p,
        baseline: None,
        years: years
            .iter()
            .map(|&(year, target, actual)| YearValue {
                year,
                target,
                actual,
            })
            .collect(),
    }
}

#[test]
fn default_bands_follow_the_performance_report_scale() {
    let b = Bands::default();
    assert_eq!(b.classify(100.0), "very good");
    assert_eq!(b.classify(91.0), "very good");
    assert_eq!(b.classify(90.0), "good");
    assert_eq!(b.classify(76.0), "good");
    assert_eq!(b.classify(75.9), "fair");
    assert_eq!(b.classify(66.0), "fair");
    assert_eq!(b.classify(65.0), "poor");
    assert_eq!(b.classify(51.0), "poor");
    assert_eq!(b.classify(50.0), "very poor");
    assert_eq!(b.classify(-5.0), "very poor");
    assert!(Bands::parse("50:a,60:b").is_err());
}

#[test]
fn higher_and_lower_is_better_achievement_and_gap() {
    let r = evaluate(
        &ind(Polarity::Higher, &[(2025, 80.0, Some(60.0))]),
        None,
        &Bands::default(),
        LowerFormula::Inverse,
    )
    .unwrap();
    assert_eq!(r.years[0].achievement, Some(75.0));
    assert_eq!(r.years[0].band.as_deref(), Some("fair"));
    assert_eq!(r.years[0].gap, Some(-20.0));
    let r = evaluate(
        &ind(Polarity::Lower, &[(2025, 8.0, Some(10.0))]),
        None,
        &Bands::default(),
        LowerFormula::Inverse,
    )
    .unwrap();
    assert_eq!(r.years[0].achievement, Some(80.0));
    assert_eq!(r.years[0].gap, Some(-2.0));
    let r = evaluate(
        &ind(Polarity::Lower, &[(2025, 8.0, Some(10.0))]),
        None,
        &Bands::default(),
        LowerFormula::Difference,
    )
    .unwrap();
    assert_eq!(r.years[0].achievement, Some(75.0));
}

#[test]
fn projection_extends_the_least_squares_line_to_the_plan_end() {
    let i = Indicator {
        baseline: Some((2024, 12.0)),
        ..ind(
            Polarity::Lower,
            &[
                (2025, 11.0, Some(11.5)),
                (2026, 10.0, Some(11.0)),
                (2029, 8.0, None),
            ],
        )
    };
    let r = evaluate(&i, None, &Bands::default(), LowerFormula::Inverse).unwrap();
    let p = r.projection.unwrap();
    assert_eq!(p.year, 2029);
    assert!((p.value - 9.5).abs() < 1e-12);
    assert_eq!(p.target, 8.0);
    assert!(!p.on_track);
    // one point is not enough for a projection
    let r = evaluate(
        &ind(Polarity::Higher, &[(2025, 1.0, Some(1.0))]),
        None,
        &Bands::default(),
        LowerFormula::Inverse,
    )
    .unwrap();
    assert!(r.projection.is_none());
}

#[test]
fn duplicate_years_and_zero_targets_are_handled() {
    assert!(
        evaluate(
            &ind(Polarity::Higher, &[(2025, 1.0, None), (2025, 2.0, None)]),
            None,
            &Bands::default(),
            LowerFormula::Inverse
        )
        .is_err()
    );
    let r = evaluate(
        &ind(Polarity::Higher, &[(2025, 0.0, Some(3.0))]),
        None,
        &Bands::default(),
        LowerFormula::Inverse,
    )
    .unwrap();
    assert_eq!(r.years[0].achievement, None);
    assert!(Polarity::parse("sideways").is_err());
}
