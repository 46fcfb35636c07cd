//! A small open-addressing hash table from a 64-bit key (stratum, cluster) to
//! running sums, used to aggregate rows into survey clusters without sorting.

/// Running sums of one key: Σ w·x_α for α = 0, 1, 2, Σ w and the row count.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Acc {
    pub(crate) a: [f64; 3],
    pub(crate) b: f64,
    pub(crate) n: u64,
}

impl Acc {
    #[inline(always)]
    pub(crate) fn add(&mut self, other: &Acc) {
        for k in 0..3 {
            self.a[k] += other.a[k];
        }
        self.b += other.b;
        self.n += other.n;
    }
}

const EMPTY: u32 = u32::MAX;

/// Key → [`Acc`], entries kept in insertion order.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    slots: Vec<u32>,
    shift: u32,
    pub(crate) keys: Vec<u64>,
    pub(crate) vals: Vec<Acc>,
}

impl Default for Table {
    fn default() -> Self {
        Table::with_capacity(8)
    }
}

#[inline(always)]
fn hash(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

impl Table {
    /// A table that holds `cap` keys before growing.
    pub(crate) fn with_capacity(cap: usize) -> Self {
        let slots = (cap.max(4) * 2).next_power_of_two();
        Table {
            slots: vec![EMPTY; slots],
            shift: 64 - slots.trailing_zeros(),
            keys: Vec::with_capacity(cap),
            vals: Vec::with_capacity(cap),
        }
    }

    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Index of `key`, inserting it with zero sums if absent.
    #[inline]
    pub(crate) fn index(&mut self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut h = hash(key, self.shift);
        loop {
            let s = self.slots[h];
            if s == EMPTY {
                break;
            }
            if self.keys[s as usize] == key {
                return s as usize;
            }
            h = (h + 1) & mask;
        }
        let idx = self.keys.len();
        self.keys.push(key);
        self.vals.push(Acc::default());
        self.slots[h] = idx as u32;
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        idx
    }

    /// Index of `key` if present.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut h = hash(key, self.shift);
        loop {
            let s = self.slots[h];
            if s == EMPTY {
                return None;
            }
            if self.keys[s as usize] == key {
                return Some(s as usize);
            }
            h = (h + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        self.slots = vec![EMPTY; n];
        self.shift = 64 - n.trailing_zeros();
        let mask = n - 1;
        for (i, &k) in self.keys.iter().enumerate() {
            let mut h = hash(k, self.shift);
            while self.slots[h] != EMPTY {
                h = (h + 1) & mask;
            }
            self.slots[h] = i as u32;
        }
    }

    /// Adds every entry of `other` into `self`.
    pub(crate) fn merge(&mut self, other: &Table) {
        for (k, v) in other.keys.iter().zip(&other.vals) {
            let i = self.index(*k);
            self.vals[i].add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_keeps_distinct_keys_apart_through_growth() {
        let mut t = Table::with_capacity(2);
        for k in 0..1000u64 {
            let key = (k % 7) << 32 | (k * 7919);
            let i = t.index(key);
            t.vals[i].n += 1;
        }
        assert_eq!(t.len(), 1000);
        for k in 0..1000u64 {
            let key = (k % 7) << 32 | (k * 7919);
            assert_eq!(t.vals[t.find(key).unwrap()].n, 1);
        }
        assert!(t.find(u64::MAX).is_none());
    }

    #[test]
    fn merge_adds_sums_of_equal_keys() {
        let mut a = Table::default();
        let mut b = Table::default();
        let i = a.index(5);
        a.vals[i].b = 1.0;
        let j = b.index(5);
        b.vals[j].b = 2.0;
        let j = b.index(6);
        b.vals[j].n = 3;
        a.merge(&b);
        assert_eq!(a.len(), 2);
        assert_eq!(a.vals[a.find(5).unwrap()].b, 3.0);
        assert_eq!(a.vals[a.find(6).unwrap()].n, 3);
    }
}
