//! Money in whole Rupiah.
//!
//! Money is an integer number of Rupiah (`i64`), never floating point. Indonesian
//! spreadsheets write `1.250.000` (dots group thousands) and `1.250.000,50` (comma
//! before decimals); [`Rupiah::parse`] accepts those and plain `1250000`, rounding
//! a decimal part half up to whole Rupiah.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in whole Rupiah.
///
/// ```
/// use sejahtera_domain::Rupiah;
/// let r = Rupiah::parse("1.250.000,50").unwrap();
/// assert_eq!(r.get(), 1_250_001);
/// assert_eq!(r.to_string(), "Rp 1.250.001");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rupiah(i64);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is empty.
    #[error("empty amount")]
    Empty,
    /// The amount is below zero.
    #[error("negative amount {0:?} (money must be 0 or more)")]
    Negative(String),
    /// The text is not a number in an accepted form.
    #[error("unparseable amount {0:?} (expected e.g. 1250000, 1.250.000 or 1.250.000,50)")]
    Unparseable(String),
    /// The amount does not fit in 64 bits.
    #[error("amount {0:?} is too large")]
    TooLarge(String),
}

impl Rupiah {
    /// Wraps a whole number of Rupiah.
    pub const fn new(amount: i64) -> Self {
        Rupiah(amount)
    }

    /// The number of Rupiah.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parses an amount written as `1250000`, `1.250.000`, `1.250.000,50` or
    /// `1250000,5`, optionally prefixed by `Rp`; a decimal part is rounded half up.
    ///
    /// Negative amounts are rejected: every amount in the registry is 0 or more.
    pub fn parse(text: &str) -> Result<Rupiah, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let mut s = t;
        if let Some(rest) = s
            .strip_prefix("Rp")
            .or_else(|| s.strip_prefix("rp"))
            .or_else(|| s.strip_prefix("RP"))
        {
            s = rest.trim_start_matches('.').trim_start();
        }
        let negative = s.starts_with('-');
        if negative {
            s = s[1..].trim_start();
        }
        let bad = || MoneyError::Unparseable(t.to_string());
        let (int_part, frac_part) = match s.split_once(',') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        if int_part.is_empty() {
            return Err(bad());
        }
        // Integer part: plain digits, or groups of three separated by dots.
        let mut digits = String::with_capacity(int_part.len());
        if int_part.contains('.') {
            let mut groups = int_part.split('.');
            let first = groups.next().unwrap_or("");
            if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            digits.push_str(first);
            for g in groups {
                if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                digits.push_str(g);
            }
        } else {
            if !int_part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            digits.push_str(int_part);
        }
        let mut value: i64 = digits
            .parse()
            .map_err(|_| MoneyError::TooLarge(t.to_string()))?;
        if let Some(f) = frac_part {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Round half up on the first decimal digit.
            if f.as_bytes()[0] >= b'5' {
                value = value
                    .checked_add(1)
                    .ok_or_else(|| MoneyError::TooLarge(t.to_string()))?;
            }
        }
        if negative && value != 0 {
            return Err(MoneyError::Negative(t.to_string()));
        }
        Ok(Rupiah(value))
    }

    /// Converts a spreadsheet number (a float cell) to Rupiah, rounding half up.
    pub fn from_f64(value: f64) -> Result<Rupiah, MoneyError> {
        if !value.is_finite() {
            return Err(MoneyError::Unparseable(value.to_string()));
        }
        if value < 0.0 {
            return Err(MoneyError::Negative(value.to_string()));
        }
        let rounded = (value + 0.5).floor();
        if rounded >= 9.0e18 {
            return Err(MoneyError::TooLarge(value.to_string()));
        }
        Ok(Rupiah(rounded as i64))
    }
}

/// Groups the digits of a whole number by three with dots: `1250000` → `1.250.000`.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    let first = digits.len() % 3;
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (i + 3 - first).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

impl fmt::Display for Rupiah {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rp {}", group_thousands(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_grouped_and_decimal_forms() {
        assert_eq!(Rupiah::parse("1250000").unwrap().get(), 1_250_000);
        assert_eq!(Rupiah::parse("1.250.000").unwrap().get(), 1_250_000);
        assert_eq!(Rupiah::parse(" 1.250.000,50 ").unwrap().get(), 1_250_001);
        assert_eq!(Rupiah::parse("1.250.000,49").unwrap().get(), 1_250_000);
        assert_eq!(Rupiah::parse("1250000,5").unwrap().get(), 1_250_001);
        assert_eq!(Rupiah::parse("0").unwrap().get(), 0);
        assert_eq!(Rupiah::parse("Rp 1.250.000").unwrap().get(), 1_250_000);
        assert_eq!(Rupiah::parse("Rp. 750.000").unwrap().get(), 750_000);
    }

    #[test]
    fn rejects_malformed_and_negative() {
        for bad in [
            "",
            "abc",
            "1.25",
            "1.2500",
            "12.50.000",
            "1,250,000",
            "1.250.000,",
            ",5",
            "1 250 000",
            "1e6",
        ] {
            assert!(Rupiah::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(matches!(Rupiah::parse("-5"), Err(MoneyError::Negative(_))));
        assert!(matches!(
            Rupiah::parse("-1.000"),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Rupiah::parse("99999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn float_cells_round_half_up() {
        assert_eq!(Rupiah::from_f64(1250000.5).unwrap().get(), 1_250_001);
        assert_eq!(Rupiah::from_f64(1250000.49).unwrap().get(), 1_250_000);
        assert!(Rupiah::from_f64(-1.0).is_err());
        assert!(Rupiah::from_f64(f64::NAN).is_err());
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Rupiah::new(1_250_000).to_string(), "Rp 1.250.000");
        assert_eq!(Rupiah::new(999).to_string(), "Rp 999");
        assert_eq!(Rupiah::new(1000).to_string(), "Rp 1.000");
        assert_eq!(Rupiah::new(0).to_string(), "Rp 0");
        assert_eq!(group_thousands(-1234567), "-1.234.567");
    }

    proptest! {
        #[test]
        fn grouped_display_round_trips(n in 0i64..=i64::MAX / 2) {
            let shown = group_thousands(n);
            prop_assert_eq!(Rupiah::parse(&shown).unwrap().get(), n);
            prop_assert_eq!(Rupiah::parse(&n.to_string()).unwrap().get(), n);
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Rupiah::parse(&s);
        }
    }
}
