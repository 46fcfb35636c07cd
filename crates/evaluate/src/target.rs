//! Indicator-target tracking as Indonesian performance reports (LKjIP,
//! RPJMD evaluations) compute it.
//!
//! * Achievement % for higher-is-better indicators: `actual / target × 100`.
//! * For lower-is-better indicators (e.g. a poverty rate) the inverted form
//!   `target / actual × 100` ([`LowerFormula::Inverse`], default) or
//!   `(2·target − actual) / target × 100` ([`LowerFormula::Difference`]).
//! * A colour band from configurable thresholds (default: ≥ 91 very good,
//!   ≥ 76 good, ≥ 66 fair, ≥ 51 poor, otherwise very poor).
//! * The gap to target, signed so that positive means ahead of target.
//! * A linear projection (least squares over the baseline and the measured
//!   years) to the end of the plan period.
//!
//! ```
//! use sejahtera_evaluate::target::*;
//! let poverty = Indicator {
//!     name: "poverty rate".into(),
//!     polarity: Polarity::Lower,
//!     baseline: Some((2024, 10.0)),
//!     years: vec![
//!         YearValue { year: 2025, target: 9.5, actual: Some(9.8) },
//!         YearValue { year: 2026, target: 9.0, actual: None },
//!     ],
//! };
//! let r = evaluate(&poverty, None, &Bands::default(), LowerFormula::Inverse).unwrap();
//! let a = r.years[0].achievement.unwrap();
//! assert!((a - 9.5 / 9.8 * 100.0).abs() < 1e-12);
//! assert_eq!(r.years[0].band.as_deref(), Some("very good"));
//! ```

use crate::{Error, Result};

/// Whether higher or lower values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// Higher is better (e.g. school enrolment).
    Higher,
    /// Lower is better (e.g. poverty rate).
    Lower,
}

impl Polarity {
    /// Parse `higher|lower` (also `positive|negative`, `+|-`, `naik|turun`).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "higher" | "positive" | "+" | "up" | "naik" => Ok(Polarity::Higher),
            "lower" | "negative" | "-" | "down" | "turun" => Ok(Polarity::Lower),
            o => Err(Error::Invalid(format!(
                "polarity must be `higher` or `lower`, got `{o}`"
            ))),
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Polarity::Higher => "higher",
            Polarity::Lower => "lower",
        }
    }
}

/// Achievement formula for lower-is-better indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowerFormula {
    /// `target / actual × 100`.
    Inverse,
    /// `(2·target − actual) / target × 100`.
    Difference,
}

/// Colour bands: `(lower threshold, label)` from best to worst.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands(Vec<(f64, String)>);

impl Default for Bands {
    fn default() -> Self {
        Bands::parse("91:very good,76:good,66:fair,51:poor,0:very poor").expect("valid default")
    }
}

impl Bands {
    /// Parse `threshold:label,…` with strictly decreasing thresholds.
    pub fn parse(s: &str) -> Result<Self> {
        let mut v: Vec<(f64, String)> = Vec::new();
        for part in s.split(',') {
            let (t, l) = part.split_once(':').ok_or_else(|| {
                Error::Invalid(format!("band `{part}` must look like `91:very good`"))
            })?;
            let t: f64 = t
                .trim()
                .parse()
                .map_err(|_| Error::Invalid(format!("band threshold `{t}` is not a number")))?;
            if let Some((prev, _)) = v.last()
                && t >= *prev
            {
                return Err(Error::Invalid(
                    "band thresholds must be strictly decreasing".into(),
                ));
            }
            v.push((t, l.trim().to_owned()));
        }
        if v.is_empty() {
            return Err(Error::Invalid("no bands".into()));
        }
        Ok(Bands(v))
    }

    /// Label for an achievement %: the first band whose threshold it reaches,
    /// or the last (worst) band.
    pub fn classify(&self, pct: f64) -> &str {
        self.0
            .iter()
            .find(|(t, _)| pct >= *t)
            .unwrap_or_else(|| self.0.last().expect("non-empty"))
            .1
            .as_str()
    }
}

/// Target and (optional) actual value of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearValue {
    /// Year.
    pub year: i64,
    /// Target.
    pub target: f64,
    /// Measured value, if any.
    pub actual: Option<f64>,
}

/// An indicator with its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Name.
    pub name: String,
    /// Polarity.
    pub polarity: Polarity,
    /// Baseline `(year, value)`, if known.
    pub baseline: Option<(i64, f64)>,
    /// Targets and actuals per year.
    pub years: Vec<YearValue>,
}

/// Evaluation of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearReport {
    /// Year.
    pub year: i64,
    /// Target.
    pub target: f64,
    /// Actual.
    pub actual: Option<f64>,
    /// Achievement %.
    pub achievement: Option<f64>,
    /// Colour band.
    pub band: Option<String>,
    /// Gap to target, positive when ahead (`actual − target` for
    /// higher-is-better, `target − actual` for lower-is-better).
    pub gap: Option<f64>,
}

/// Linear projection to the end of the plan period.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Final plan year.
    pub year: i64,
    /// Projected value.
    pub value: f64,
    /// Target of that year.
    pub target: f64,
    /// Projected achievement %.
    pub achievement: f64,
    /// Projected band.
    pub band: String,
    /// Whether the projection reaches the target.
    pub on_track: bool,
}

/// Evaluation of one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorReport {
    /// Name.
    pub name: String,
    /// Polarity.
    pub polarity: Polarity,
    /// Per-year results, sorted by year.
    pub years: Vec<YearReport>,
    /// Projection (needs at least two points among baseline and actuals).
    pub projection: Option<Projection>,
}

/// Achievement % of `actual` against `target`; `None` when undefined
/// (division by zero).
///
/// ```
/// use sejahtera_evaluate::target::{achievement, Polarity, LowerFormula};
/// assert_eq!(achievement(Polarity::Higher, 80.0, 60.0, LowerFormula::Inverse), Some(75.0));
/// assert_eq!(achievement(Polarity::Lower, 10.0, 12.5, LowerFormula::Inverse), Some(80.0));
/// assert_eq!(achievement(Polarity::Lower, 10.0, 12.0, LowerFormula::Difference), Some(80.0));
/// ```
pub fn achievement(polarity: Polarity, target: f64, actual: f64, f: LowerFormula) -> Option<f64> {
    let v = match (polarity, f) {
        (Polarity::Higher, _) => actual / target * 100.0,
        (Polarity::Lower, LowerFormula::Inverse) => target / actual * 100.0,
        (Polarity::Lower, LowerFormula::Difference) => (2.0 * target - actual) / target * 100.0,
    };
    v.is_finite().then_some(v)
}

/// Evaluate an indicator; `plan_end` defaults to the last year with a target.
pub fn evaluate(
    ind: &Indicator,
    plan_end: Option<i64>,
    bands: &Bands,
    f: LowerFormula,
) -> Result<IndicatorReport> {
    if ind.years.is_empty() {
        return Err(Error::Invalid(format!(
            "indicator `{}` has no targets",
            ind.name
        )));
    }
    let mut years = ind.years.clone();
    years.sort_by_key(|y| y.year);
    if let Some(w) = years.windows(2).find(|w| w[0].year == w[1].year) {
        return Err(Error::Invalid(format!(
            "indicator `{}` has two rows for year {}",
            ind.name, w[0].year
        )));
    }
    let sign = if ind.polarity == Polarity::Higher {
        1.0
    } else {
        -1.0
    };
    let reports: Vec<YearReport> = years
        .iter()
        .map(|y| {
            let ach = y
                .actual
                .and_then(|a| achievement(ind.polarity, y.target, a, f));
            YearReport {
                year: y.year,
                target: y.target,
                actual: y.actual,
                achievement: ach,
                band: ach.map(|a| bands.classify(a).to_owned()),
                gap: y.actual.map(|a| sign * (a - y.target)),
            }
        })
        .collect();
    let end = plan_end.unwrap_or(years.last().expect("non-empty").year);
    let mut pts: Vec<(f64, f64)> = years
        .iter()
        .filter_map(|y| y.actual.map(|a| (y.year as f64, a)))
        .collect();
    if let Some((by, bv)) = ind.baseline
        && !years.iter().any(|y| y.year == by && y.actual.is_some())
    {
        pts.push((by as f64, bv));
    }
    let end_target = years.iter().rev().find(|y| y.year <= end).map(|y| y.target);
    let projection = match (pts.len() >= 2, end_target) {
        (true, Some(tgt)) => {
            let m = pts.len() as f64;
            let mx = pts.iter().map(|p| p.0).sum::<f64>() / m;
            let my = pts.iter().map(|p| p.1).sum::<f64>() / m;
            let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
            let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            if sxx > 0.0 {
                let value = my + sxy / sxx * (end as f64 - mx);
                let ach = achievement(ind.polarity, tgt, value, f).unwrap_or(f64::NAN);
                Some(Projection {
                    year: end,
                    value,
                    target: tgt,
                    achievement: ach,
                    band: bands.classify(ach).to_owned(),
                    on_track: sign * (value - tgt) >= 0.0,
                })
            } else {
                None
            }
        }
        _ => None,
    };
    Ok(IndicatorReport {
        name: ind.name.clone(),
        polarity: ind.polarity,
        years: reports,
        projection,
    })
}
