//! The input of a measurement: columns of incomes, weights, poverty lines and
//! survey design.

use rayon::prelude::*;

use crate::MeasureError;

/// The poverty line: one amount for everybody, or one per row (e.g. the
/// official line of each person's regency, or an urban/rural line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Line<'a> {
    /// The same line for every row.
    Constant(f64),
    /// One line per row.
    PerRow(&'a [f64]),
}

impl Line<'_> {
    /// The line of row `i`.
    #[inline(always)]
    pub(crate) fn at(&self, i: usize) -> f64 {
        match self {
            Line::Constant(z) => *z,
            Line::PerRow(z) => z[i],
        }
    }
}

/// Columns describing one sample: per-row income (or consumption) per capita,
/// optional sampling weights, the poverty line and the optional survey design
/// (strata and clusters, given as integer codes).
///
/// ```
/// use sejahtera_measure::{Line, Sample};
/// let income = [100.0, 250.0, 400.0];
/// let weight = [2.0, 1.0, 1.0];
/// let sample = Sample::new(&income, Line::Constant(300.0)).with_weight(&weight);
/// assert!(sample.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<'a> {
    /// Income or consumption per capita of each row; finite and ≥ 0.
    pub income: &'a [f64],
    /// Sampling weight of each row (finite and > 0); `None` means weight 1.
    pub weight: Option<&'a [f64]>,
    /// Poverty line (finite and > 0).
    pub line: Line<'a>,
    /// Stratum code of each row; `None` means a single stratum.
    pub strata: Option<&'a [u32]>,
    /// Cluster (primary sampling unit) code of each row; `None` means every row
    /// is its own cluster. A cluster is identified by its (stratum, cluster) pair.
    pub cluster: Option<&'a [u32]>,
}

impl<'a> Sample<'a> {
    /// A sample of unweighted rows, one stratum, each row its own cluster.
    pub fn new(income: &'a [f64], line: Line<'a>) -> Self {
        Sample {
            income,
            weight: None,
            line,
            strata: None,
            cluster: None,
        }
    }

    /// Sets the sampling weights.
    pub fn with_weight(mut self, weight: &'a [f64]) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets the cluster codes.
    pub fn with_cluster(mut self, cluster: &'a [u32]) -> Self {
        self.cluster = Some(cluster);
        self
    }

    /// Sets the stratum codes.
    pub fn with_strata(mut self, strata: &'a [u32]) -> Self {
        self.strata = Some(strata);
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.income.len()
    }

    /// Whether the sample has no rows.
    pub fn is_empty(&self) -> bool {
        self.income.is_empty()
    }

    /// Weight of row `i`.
    #[inline(always)]
    pub(crate) fn w(&self, i: usize) -> f64 {
        match self.weight {
            Some(w) => w[i],
            None => 1.0,
        }
    }

    /// Checks column lengths and values; the error names the first bad row
    /// (lowest row number, checking income, then weight, then line).
    ///
    /// ```
    /// use sejahtera_measure::{Line, MeasureError, Sample};
    /// let income = [100.0, -1.0];
    /// let err = Sample::new(&income, Line::Constant(50.0)).validate().unwrap_err();
    /// assert_eq!(err, MeasureError::InvalidIncome { row: 1, value: -1.0 });
    /// ```
    pub fn validate(&self) -> Result<(), MeasureError> {
        let n = self.income.len();
        let check_len = |column: &'static str, actual: usize| {
            if actual == n {
                Ok(())
            } else {
                Err(MeasureError::LengthMismatch {
                    column,
                    expected: n,
                    actual,
                })
            }
        };
        if let Some(w) = self.weight {
            check_len("weight", w.len())?;
        }
        if let Line::PerRow(z) = self.line {
            check_len("line", z.len())?;
        }
        if let Some(s) = self.strata {
            check_len("strata", s.len())?;
        }
        if let Some(c) = self.cluster {
            check_len("cluster", c.len())?;
        }
        if let Line::Constant(z) = self.line
            && !(z.is_finite() && z > 0.0)
        {
            return Err(MeasureError::InvalidLine { row: 0, value: z });
        }
        const CHUNK: usize = 1 << 16;
        let first_bad = (0..n.div_ceil(CHUNK)).into_par_iter().find_map_first(|c| {
            let lo = c * CHUNK;
            let hi = (lo + CHUNK).min(n);
            (lo..hi).find_map(|i| self.row_error(i))
        });
        match first_bad {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    #[inline]
    fn row_error(&self, i: usize) -> Option<MeasureError> {
        let y = self.income[i];
        // `!(y >= 0.0)` also rejects NaN.
        if !(y >= 0.0 && y.is_finite()) {
            return Some(MeasureError::InvalidIncome { row: i, value: y });
        }
        let w = self.w(i);
        if !(w > 0.0 && w.is_finite()) {
            return Some(MeasureError::InvalidWeight { row: i, value: w });
        }
        let z = self.line.at(i);
        if !(z > 0.0 && z.is_finite()) {
            return Some(MeasureError::InvalidLine { row: i, value: z });
        }
        None
    }
}
