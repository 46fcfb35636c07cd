//! Compensated (Neumaier) summation: the sums behind every statistic are
//! accurate to a few units in the last place whatever the number of rows.

/// A Neumaier-compensated running sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sum {
    hi: f64,
    lo: f64,
}

impl Sum {
    /// Adds `x` to the running sum.
    #[inline(always)]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.hi + x;
        if self.hi.abs() >= x.abs() {
            self.lo += (self.hi - t) + x;
        } else {
            self.lo += (x - t) + self.hi;
        }
        self.hi = t;
    }

    /// Adds another running sum.
    #[inline]
    pub(crate) fn merge(&mut self, other: Sum) {
        self.add(other.hi);
        self.add(other.lo);
    }

    /// The current value.
    #[inline(always)]
    pub(crate) fn value(&self) -> f64 {
        self.hi + self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_recovers_small_terms_lost_by_naive_sum() {
        let mut s = Sum::default();
        s.add(1e16);
        for _ in 0..1000 {
            s.add(1.0);
        }
        s.add(-1e16);
        assert_eq!(s.value(), 1000.0);
    }

    #[test]
    fn merge_equals_sequential_addition() {
        let mut a = Sum::default();
        let mut b = Sum::default();
        let mut all = Sum::default();
        for i in 0..100 {
            let x = (i as f64).sqrt() * 1e-3 + 1e8 * ((i % 3) as f64);
            if i < 50 {
                a.add(x)
            } else {
                b.add(x)
            }
            all.add(x);
        }
        a.merge(b);
        assert!((a.value() - all.value()).abs() <= 1e-16 * all.value());
    }
}
