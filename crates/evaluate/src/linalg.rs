//! Least squares, logit and inverse-probability-tilting solvers over a
//! row-major design matrix. The `k × k` algebra uses `nalgebra`; the `n`-row
//! accumulations are plain loops so they stay cache friendly on millions of rows.

use nalgebra::{DMatrix, DVector};

use crate::{Error, Result};

/// A dense row-major `n × k` design matrix (row `i` is observation `i`).
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    n: usize,
    k: usize,
    data: Vec<f64>,
}

impl Design {
    /// A design from row-major values; `data.len()` must equal `n * k`.
    pub fn new(n: usize, k: usize, data: Vec<f64>) -> Result<Self> {
        if data.len() != n * k {
            return Err(Error::Length {
                name: "design",
                got: data.len(),
                expected: n * k,
            });
        }
        Ok(Design { n, k, data })
    }

    /// An intercept column followed by the given covariate columns.
    ///
    /// ```
    /// use sejahtera_evaluate::linalg::Design;
    /// let x = Design::with_intercept(&[&[1.0, 2.0][..]]).unwrap();
    /// assert_eq!(x.row(1), &[1.0, 2.0]);
    /// ```
    pub fn with_intercept(columns: &[&[f64]]) -> Result<Self> {
        let n = columns.first().map_or(0, |c| c.len());
        Self::intercept_n(n, columns)
    }

    /// Like [`Design::with_intercept`] with an explicit row count (needed
    /// when there are no covariate columns).
    pub fn intercept_n(n: usize, columns: &[&[f64]]) -> Result<Self> {
        let k = columns.len() + 1;
        let mut data = Vec::with_capacity(n * k);
        for c in columns {
            if c.len() != n {
                return Err(Error::Length {
                    name: "covariate",
                    got: c.len(),
                    expected: n,
                });
            }
        }
        for i in 0..n {
            data.push(1.0);
            for c in columns {
                data.push(c[i]);
            }
        }
        Ok(Design { n, k, data })
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.n
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.k
    }

    /// All values, row-major.
    pub(crate) fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.k..(i + 1) * self.k]
    }

    /// `X b` for a coefficient vector `b`.
    pub fn mul_vec(&self, b: &[f64]) -> Vec<f64> {
        (0..self.n).map(|i| dot(self.row(i), b)).collect()
    }

    /// `Σ_i w_i x_i x_iᵀ`.
    pub fn gram(&self, w: &[f64]) -> DMatrix<f64> {
        match self.k {
            1 => return self.gram_k::<1>(w),
            2 => return self.gram_k::<2>(w),
            3 => return self.gram_k::<3>(w),
            4 => return self.gram_k::<4>(w),
            5 => return self.gram_k::<5>(w),
            6 => return self.gram_k::<6>(w),
            _ => {}
        }
        let k = self.k;
        let mut acc = vec![0.0; k * k];
        for i in 0..self.n {
            let wi = w[i];
            if wi == 0.0 {
                continue;
            }
            let r = self.row(i);
            for a in 0..k {
                let ra = wi * r[a];
                for b in a..k {
                    acc[a * k + b] += ra * r[b];
                }
            }
        }
        DMatrix::from_fn(k, k, |a, b| {
            if a <= b {
                acc[a * k + b]
            } else {
                acc[b * k + a]
            }
        })
    }

    fn gram_k<const K: usize>(&self, w: &[f64]) -> DMatrix<f64> {
        let mut h = [[0.0f64; K]; K];
        for (row, &wi) in self.data.chunks_exact(K).zip(w) {
            for a in 0..K {
                let ra = wi * row[a];
                for c in a..K {
                    h[a][c] += ra * row[c];
                }
            }
        }
        DMatrix::from_fn(K, K, |a, c| if a <= c { h[a][c] } else { h[c][a] })
    }

    /// `Σ_i v_i x_i` (a `k`-vector).
    pub fn weighted_col_sums(&self, v: &[f64]) -> Vec<f64> {
        if self.k == 3 {
            let mut a = [0.0f64; 3];
            for (row, &vi) in self.data.chunks_exact(3).zip(v) {
                a[0] += vi * row[0];
                a[1] += vi * row[1];
                a[2] += vi * row[2];
            }
            return a.to_vec();
        }
        let mut acc = vec![0.0; self.k];
        for i in 0..self.n {
            let vi = v[i];
            if vi == 0.0 {
                continue;
            }
            for (a, x) in acc.iter_mut().zip(self.row(i)) {
                *a += vi * x;
            }
        }
        acc
    }

    /// The rows selected by `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Design {
        let mut data = Vec::with_capacity(idx.len() * self.k);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Design {
            n: idx.len(),
            k: self.k,
            data,
        }
    }
}

/// Dot product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Inverse of a symmetric matrix, refusing it (like R's `rcond(.) < eps`
/// guard) when its reciprocal 1-norm condition number is below machine epsilon.
pub fn inverse_checked(m: &DMatrix<f64>, what: &'static str) -> Result<DMatrix<f64>> {
    if m.iter().any(|v| !v.is_finite()) {
        return Err(Error::Singular { what });
    }
    let inv = m.clone().try_inverse().ok_or(Error::Singular { what })?;
    let rcond = 1.0 / (norm1(m) * norm1(&inv));
    if !rcond.is_finite() || rcond < f64::EPSILON {
        return Err(Error::Singular { what });
    }
    Ok(inv)
}

fn norm1(m: &DMatrix<f64>) -> f64 {
    (0..m.ncols())
        .map(|j| m.column(j).iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Weighted least squares: the `b` minimising `Σ w_i (y_i − x_iᵀ b)²`.
/// Rows with zero weight are ignored.
///
/// ```
/// use sejahtera_evaluate::linalg::{Design, wls};
/// let x = Design::with_intercept(&[&[0.0, 1.0, 2.0][..]]).unwrap();
/// let b = wls(&x, &[1.0, 3.0, 5.0], &[1.0, 1.0, 1.0]).unwrap();
/// assert!((b[0] - 1.0).abs() < 1e-12 && (b[1] - 2.0).abs() < 1e-12);
/// ```
pub fn wls(x: &Design, y: &[f64], w: &[f64]) -> Result<Vec<f64>> {
    let g = x.gram(w);
    let wy: Vec<f64> = y.iter().zip(w).map(|(a, b)| a * b).collect();
    let rhs = DVector::from_vec(x.weighted_col_sums(&wy));
    let inv = inverse_checked(&g, "regression")?;
    Ok((inv * rhs).iter().copied().collect())
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Weighted logistic regression by Newton–Raphson (the maximum-likelihood
/// solution R `glm(family = binomial)` and statsmodels' IRLS converge to).
/// Returns the coefficients.
pub fn logit(x: &Design, d: &[bool], w: &[f64]) -> Result<Vec<f64>> {
    logit_from(x, d, w, vec![0.0; x.ncols()])
}

/// [`logit`] with Newton–Raphson started from `start` instead of zero (the
/// same maximum-likelihood solution, in fewer passes from a good start).
pub fn logit_from(x: &Design, d: &[bool], w: &[f64], start: Vec<f64>) -> Result<Vec<f64>> {
    let k = x.ncols();
    let n = x.nrows();
    if start.len() != k {
        return Err(Error::Length {
            name: "logit start",
            got: start.len(),
            expected: k,
        });
    }
    let mut b = start;
    for _ in 0..100 {
        let (h, grad) = match k {
            1 => newton_terms::<1>(x, d, w, &b),
            2 => newton_terms::<2>(x, d, w, &b),
            3 => newton_terms::<3>(x, d, w, &b),
            4 => newton_terms::<4>(x, d, w, &b),
            5 => newton_terms::<5>(x, d, w, &b),
            6 => newton_terms::<6>(x, d, w, &b),
            _ => {
                let mut hw = vec![0.0; n];
                let mut score = vec![0.0; n];
                for i in 0..n {
                    let p = sigmoid(dot(x.row(i), &b));
                    hw[i] = w[i] * p * (1.0 - p);
                    score[i] = w[i] * (if d[i] { 1.0 } else { 0.0 } - p);
                }
                (x.gram(&hw), DVector::from_vec(x.weighted_col_sums(&score)))
            }
        };
        let step = match h.clone().cholesky() {
            Some(c) => c.solve(&grad),
            None => {
                return Err(Error::Singular {
                    what: "propensity score",
                });
            }
        };
        let mut max_step = 0.0f64;
        for (bj, s) in b.iter_mut().zip(step.iter()) {
            *bj += s;
            max_step = max_step.max(s.abs());
        }
        if !max_step.is_finite() {
            return Err(Error::NoConvergence("propensity score logit"));
        }
        // Newton converges quadratically: once a step is this small the
        // next one is at rounding level.
        let scale = b.iter().fold(1.0f64, |a, v| a.max(v.abs()));
        if max_step < 1e-9 * scale {
            return Ok(b);
        }
    }
    // Separation makes coefficients drift without bound while fitted
    // probabilities converge to 0/1; report the last iterate like glm does.
    Ok(b)
}

/// Hessian `Σ wᵢ pᵢ(1−pᵢ) xᵢxᵢᵀ` and score `Σ wᵢ (dᵢ − pᵢ) xᵢ` of the logit
/// log-likelihood in one pass, unrolled for `K` columns.
fn newton_terms<const K: usize>(
    x: &Design,
    d: &[bool],
    w: &[f64],
    b: &[f64],
) -> (DMatrix<f64>, DVector<f64>) {
    let mut h = [[0.0f64; K]; K];
    let mut g = [0.0f64; K];
    let mut bb = [0.0f64; K];
    bb.copy_from_slice(b);
    for (i, row) in x.data.chunks_exact(K).enumerate() {
        let mut z = 0.0;
        for j in 0..K {
            z += row[j] * bb[j];
        }
        let p = sigmoid(z);
        let hw = w[i] * p * (1.0 - p);
        let sc = w[i] * (if d[i] { 1.0 } else { 0.0 } - p);
        for a in 0..K {
            g[a] += sc * row[a];
            let ra = hw * row[a];
            for c in a..K {
                h[a][c] += ra * row[c];
            }
        }
    }
    (
        DMatrix::from_fn(K, K, |a, c| if a <= c { h[a][c] } else { h[c][a] }),
        DVector::from_column_slice(&g),
    )
}

/// Fitted probabilities `plogis(X b)`.
pub fn logistic_fitted(x: &Design, b: &[f64]) -> Vec<f64> {
    (0..x.nrows()).map(|i| sigmoid(dot(x.row(i), b))).collect()
}

/// Inverse probability tilting propensity score (Graham, Pinto & Egel 2012)
/// for the ATT, as DRDID's `pscore.cal`: minimises the strictly convex loss
/// `−mean(w · [D·xᵀγ − (1−D)·exp(xᵀγ)])`, whose first-order condition makes
/// the `exp(xᵀγ)`-weighted comparison-group covariate sums equal the treated
/// sums. Starts from the logit solution; Newton steps with backtracking.
pub fn ipt(x: &Design, d: &[bool], w: &[f64]) -> Result<Vec<f64>> {
    let n = x.nrows();
    let mut g = logit(x, d, w)?;
    let loss = |g: &[f64]| -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            let z = dot(x.row(i), g);
            s += w[i] * if d[i] { z } else { -z.exp() };
        }
        -s / n as f64
    };
    let mut cur = loss(&g);
    for _ in 0..1000 {
        let mut gv = vec![0.0; n];
        let mut hv = vec![0.0; n];
        for i in 0..n {
            if d[i] {
                gv[i] = w[i];
            } else {
                let e = dot(x.row(i), &g).exp();
                gv[i] = -w[i] * e;
                hv[i] = w[i] * e;
            }
        }
        // gradient of the loss: −mean(gv x); Hessian: mean(hv x xᵀ)
        let grad: Vec<f64> = x
            .weighted_col_sums(&gv)
            .iter()
            .map(|v| -v / n as f64)
            .collect();
        let h = x.gram(&hv) / n as f64;
        let gvec = DVector::from_vec(grad.clone());
        let step = match h.cholesky() {
            Some(c) => c.solve(&gvec),
            None => {
                return Err(Error::Singular {
                    what: "propensity score (IPT)",
                });
            }
        };
        let gnorm = grad.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if gnorm < 1e-12 {
            return Ok(g);
        }
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..60 {
            let cand: Vec<f64> = g.iter().zip(step.iter()).map(|(a, s)| a - t * s).collect();
            let l = loss(&cand);
            if l.is_finite() && l <= cur {
                let dec = cur - l;
                g = cand;
                cur = l;
                improved = true;
                if dec < 1e-15 * (cur.abs() + 1.0) && t * step.amax() < 1e-10 {
                    return Ok(g);
                }
                break;
            }
            t *= 0.5;
        }
        if !improved {
            return Ok(g);
        }
    }
    Err(Error::NoConvergence("inverse probability tilting"))
}
