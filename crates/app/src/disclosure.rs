//! Statistical disclosure control of published counts: small cells are
//! suppressed, and so are enough other cells that no suppressed cell can be
//! derived from the published total.

/// Fewer households or persons than this in a cell of a published table are not shown.
pub const MIN_PUBLIC_CELL: u64 = 5;

/// A count that may be suppressed on public pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Cell {
    /// The count, `None` when suppressed.
    pub value: Option<u64>,
    /// Whether it was suppressed (a small count, or one that would reveal one).
    pub suppressed: bool,
}

impl Cell {
    /// A suppressed count.
    pub fn suppressed() -> Cell {
        Cell {
            value: None,
            suppressed: true,
        }
    }

    /// A shown count.
    pub fn shown(n: u64) -> Cell {
        Cell {
            value: Some(n),
            suppressed: false,
        }
    }

    /// A count on its own, suppressed when small but not zero.
    pub fn of(n: u64) -> Cell {
        if n > 0 && n < MIN_PUBLIC_CELL {
            Cell::suppressed()
        } else {
            Cell::shown(n)
        }
    }
}

/// The cells of a table whose total is published (a program's participants by
/// district, a dry run's households by village).
///
/// Counts of 1 to [`MIN_PUBLIC_CELL`]` - 1` are suppressed (primary suppression).
/// Since the total minus the shown cells is the sum of the suppressed ones, more
/// cells are suppressed — the smallest non-zero ones first — until at least two
/// are and together they hold at least [`MIN_PUBLIC_CELL`] (complementary
/// suppression): then neither a single suppressed cell nor a sum below the
/// threshold can be computed from what is shown. When every non-zero cell is
/// suppressed and still holds fewer than the threshold, they all stay suppressed.
/// Zeros are shown: an empty cell reveals nobody.
pub fn protect(counts: &[u64]) -> Vec<Cell> {
    let mut hidden: Vec<bool> = counts
        .iter()
        .map(|&n| n > 0 && n < MIN_PUBLIC_CELL)
        .collect();
    let hidden_count = |h: &[bool]| h.iter().filter(|x| **x).count();
    let hidden_sum = |h: &[bool]| -> u64 {
        counts
            .iter()
            .zip(h)
            .filter(|(_, x)| **x)
            .map(|(n, _)| *n)
            .sum()
    };
    if hidden_count(&hidden) > 0 {
        // Candidates for complementary suppression, smallest first (stable by position).
        let mut order: Vec<usize> = (0..counts.len())
            .filter(|&i| !hidden[i] && counts[i] > 0)
            .collect();
        order.sort_by_key(|&i| (counts[i], i));
        let mut next = order.into_iter();
        while hidden_count(&hidden) < 2 || hidden_sum(&hidden) < MIN_PUBLIC_CELL {
            match next.next() {
                Some(i) => hidden[i] = true,
                None => break,
            }
        }
    }
    counts
        .iter()
        .zip(&hidden)
        .map(|(&n, &h)| {
            if h {
                Cell::suppressed()
            } else {
                Cell::shown(n)
            }
        })
        .collect()
}

/// The public cells of one district: women, men and total, where `total` has
/// already been protected across districts. When one sex is suppressed the
/// other is too (it would give the first away as total minus other), and when
/// the total is suppressed both are.
pub fn sex_cells(women: u64, men: u64, total: Cell) -> (Cell, Cell, Cell) {
    let (mut w, mut m) = (Cell::of(women), Cell::of(men));
    if w.suppressed || m.suppressed || total.suppressed {
        (w, m) = (Cell::suppressed(), Cell::suppressed());
    }
    (w, m, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(n: u64) -> Cell {
        Cell::shown(n)
    }

    fn s() -> Cell {
        Cell::suppressed()
    }

    #[test]
    fn sexes_are_suppressed_together_and_with_their_total() {
        assert_eq!(
            sex_cells(12, 9, shown(21)),
            (shown(12), shown(9), shown(21))
        );
        assert_eq!(sex_cells(8, 0, shown(8)), (shown(8), shown(0), shown(8)));
        // 3 men would be 11 - 8: both sexes hidden, the total shown.
        assert_eq!(sex_cells(8, 3, shown(11)), (s(), s(), shown(11)));
        assert_eq!(sex_cells(2, 1, s()), (s(), s(), s()));
        // A total hidden by complementary suppression hides its sexes.
        assert_eq!(sex_cells(6, 7, s()), (s(), s(), s()));
        assert_eq!(Cell::of(0), shown(0));
        assert_eq!(Cell::of(MIN_PUBLIC_CELL), shown(MIN_PUBLIC_CELL));
    }

    #[test]
    fn one_small_district_cannot_be_recovered_from_the_total() {
        // 30 participants: 3 in one district. Total − shown would give 3.
        let cells = protect(&[20, 3, 7]);
        assert_eq!(cells, [shown(20), s(), s()]);
        let cells = protect(&[20, 3, 7, 0]);
        assert_eq!(cells, [shown(20), s(), s(), shown(0)]);
    }

    #[test]
    fn two_small_cells_summing_below_the_threshold_take_a_third() {
        // 1 + 2 = 3 < 5: the pair's sum would still be a small cell.
        assert_eq!(protect(&[1, 2, 9, 40]), [s(), s(), s(), shown(40)]);
        // 4 + 3 = 7: two suppressed cells holding 7 are enough.
        assert_eq!(protect(&[4, 3, 9, 40]), [s(), s(), shown(9), shown(40)]);
    }

    #[test]
    fn nothing_to_protect_changes_nothing() {
        assert_eq!(protect(&[5, 6, 0]), [shown(5), shown(6), shown(0)]);
        assert_eq!(protect(&[]), Vec::<Cell>::new());
        // A lone small cell with nothing to pair it with stays hidden.
        assert_eq!(protect(&[3]), [s()]);
        assert_eq!(protect(&[3, 0]), [s(), shown(0)]);
    }

    /// Naive property: whatever the counts, no single suppressed cell equals the
    /// total minus the shown cells, unless every non-zero cell is suppressed and
    /// they hold fewer than the threshold altogether.
    #[test]
    fn no_suppressed_cell_is_derivable_from_the_total() {
        let mut seed = 7u64;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (seed >> 60) as usize % 7;
            let counts: Vec<u64> = (0..n).map(|i| (seed >> (i * 7)) % 12).collect();
            let cells = protect(&counts);
            let total: u64 = counts.iter().sum();
            let shown_sum: u64 = cells.iter().filter_map(|c| c.value).sum();
            let hidden: Vec<u64> = counts
                .iter()
                .zip(&cells)
                .filter(|(_, c)| c.suppressed)
                .map(|(n, _)| *n)
                .collect();
            for (n, c) in counts.iter().zip(&cells) {
                if *n > 0 && *n < MIN_PUBLIC_CELL {
                    assert!(c.suppressed, "{counts:?}");
                }
                assert_eq!(c.value.is_some(), !c.suppressed);
            }
            if !hidden.is_empty() {
                assert_eq!(total - shown_sum, hidden.iter().sum::<u64>());
                let all_nonzero_hidden = counts
                    .iter()
                    .zip(&cells)
                    .all(|(n, c)| *n == 0 || c.suppressed);
                if !(all_nonzero_hidden && total < MIN_PUBLIC_CELL) {
                    assert!(
                        hidden.len() >= 2 && total - shown_sum >= MIN_PUBLIC_CELL,
                        "{counts:?} -> {cells:?}"
                    );
                }
            }
        }
    }
}
