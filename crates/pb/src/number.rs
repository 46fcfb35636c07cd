//! Exact numbers: decimal strings to rationals and back.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// The exact rational number type used for money, points and MES budgets.
pub type Q = BigRational;

/// Parses a decimal number such as `753000`, `400000.0`, `-1.5`, `2.5e3` into an exact rational.
///
/// Returns `None` when the text is not a decimal number. Mirrors what `gmpy2.mpq(str)` accepts
/// for the numbers found in Pabulib files (also plain fractions `a/b`).
///
/// ```
/// use sejahtera_pb::number::parse_decimal;
/// let q = parse_decimal("400000.0").unwrap();
/// assert_eq!(q.to_string(), "400000");
/// assert!(parse_decimal("12a").is_none());
/// ```
pub fn parse_decimal(text: &str) -> Option<Q> {
    let s = text.trim();
    if let Some((a, b)) = s.split_once('/') {
        let num: BigInt = parse_int(a)?;
        let den: BigInt = parse_int(b)?;
        if den.is_zero() {
            return None;
        }
        return Some(BigRational::new(num, den));
    }
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    if !(-400..=400).contains(&exp) {
        return None;
    }
    let (neg, body) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|c| c.is_ascii_digit())
        || !frac_part.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let mut num: BigInt = if digits.is_empty() {
        BigInt::zero()
    } else {
        digits.parse().ok()?
    };
    if neg {
        num = -num;
    }
    let scale = exp - frac_part.len() as i32;
    let ten = BigInt::from(10u32);
    Some(if scale >= 0 {
        BigRational::from_integer(num * num_traits::pow(ten, scale as usize))
    } else {
        BigRational::new(num, num_traits::pow(ten, (-scale) as usize))
    })
}

fn parse_int(s: &str) -> Option<BigInt> {
    let s = s.trim();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Converts an exact rational to the nearest `f64` (for display and the fast path).
pub fn to_f64(q: &Q) -> f64 {
    q.to_f64().unwrap_or_else(|| {
        // Very large numerator/denominator: divide after scaling down.
        let n = q.numer().to_f64().unwrap_or(f64::INFINITY);
        let d = q.denom().to_f64().unwrap_or(f64::INFINITY);
        n / d
    })
}

/// Writes a rational as a short decimal: integers without a point, terminating decimals exactly,
/// anything else as the shortest round-tripping `f64`.
///
/// ```
/// use sejahtera_pb::number::{format_decimal, parse_decimal};
/// assert_eq!(format_decimal(&parse_decimal("1.50").unwrap()), "1.5");
/// assert_eq!(format_decimal(&parse_decimal("753000").unwrap()), "753000");
/// ```
pub fn format_decimal(q: &Q) -> String {
    if q.is_integer() {
        return q.numer().to_string();
    }
    // Terminating decimal iff the denominator has only factors 2 and 5.
    let mut d = q.denom().clone();
    let two = BigInt::from(2u32);
    let five = BigInt::from(5u32);
    let (mut twos, mut fives) = (0usize, 0usize);
    while (&d % &two).is_zero() {
        d /= &two;
        twos += 1;
    }
    while (&d % &five).is_zero() {
        d /= &five;
        fives += 1;
    }
    if d.is_one() && twos.max(fives) <= 30 {
        let k = twos.max(fives);
        let scaled = q * BigRational::from_integer(num_traits::pow(BigInt::from(10u32), k));
        let n = scaled.to_integer();
        let neg = n.is_negative();
        let digits = n.abs().to_string();
        let digits = format!("{digits:0>width$}", width = k + 1);
        let (i, f) = digits.split_at(digits.len() - k);
        let f = f.trim_end_matches('0');
        return format!("{}{}.{}", if neg { "-" } else { "" }, i, f);
    }
    format!("{}", to_f64(q))
}

/// The integer rational `n`.
pub fn int(n: i64) -> Q {
    BigRational::from_integer(BigInt::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pabulib_number_shapes() {
        assert_eq!(parse_decimal("400000.0").unwrap(), int(400000));
        assert_eq!(parse_decimal(" 12 ").unwrap(), int(12));
        assert_eq!(
            parse_decimal("0.5").unwrap(),
            BigRational::new(1.into(), 2.into())
        );
        assert_eq!(
            parse_decimal("-.5").unwrap(),
            BigRational::new((-1).into(), 2.into())
        );
        assert_eq!(parse_decimal("2.5e3").unwrap(), int(2500));
        assert_eq!(
            parse_decimal("3/4").unwrap(),
            BigRational::new(3.into(), 4.into())
        );
        for bad in ["", ".", "-", "1.2.3", "1e", "abc", "1/0", "1e99999", "++1"] {
            assert!(parse_decimal(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in ["0", "1.5", "-2.25", "753000", "0.001"] {
            let q = parse_decimal(s).unwrap();
            assert_eq!(parse_decimal(&format_decimal(&q)).unwrap(), q, "{s}");
        }
        assert_eq!(
            format_decimal(&BigRational::new(1.into(), 3.into())),
            format!("{}", 1.0 / 3.0)
        );
    }
}
