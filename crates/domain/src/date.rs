//! Dates as they arrive in spreadsheets: `YYYY-MM-DD`, `DD-MM-YYYY` or `DD/MM/YYYY`.

use chrono::NaiveDate;

/// Why a text is not an accepted date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not a date in one of the accepted forms.
    #[error("unparseable date {0:?} (expected YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY)")]
    Unparseable(String),
    /// The date lies after today.
    #[error("date {0} is in the future")]
    Future(NaiveDate),
}

/// Parses `YYYY-MM-DD`, `DD-MM-YYYY` or `DD/MM/YYYY` (surrounding spaces ignored).
/// One-digit day and month are accepted (`1/2/1990`).
///
/// ```
/// use sejahtera_domain::date::parse_date;
/// let d = parse_date("12/03/1985").unwrap();
/// assert_eq!(d.to_string(), "1985-03-12");
/// assert_eq!(parse_date("1985-03-12").unwrap(), d);
/// assert_eq!(parse_date("12-03-1985").unwrap(), d);
/// assert!(parse_date("1985/03/12").is_err());
/// assert!(parse_date("31-02-1985").is_err());
/// ```
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let t = text.trim();
    let bad = || DateError::Unparseable(t.to_string());
    let num = |s: &str, min_len: usize, max_len: usize| -> Option<u32> {
        if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    let (y, m, d) = if let Some((a, rest)) = t.split_once('-') {
        let (b, c) = rest.split_once('-').ok_or_else(bad)?;
        if a.len() == 4 {
            (num(a, 4, 4), num(b, 1, 2), num(c, 1, 2))
        } else {
            (num(c, 4, 4), num(b, 1, 2), num(a, 1, 2))
        }
    } else if let Some((a, rest)) = t.split_once('/') {
        let (b, c) = rest.split_once('/').ok_or_else(bad)?;
        (num(c, 4, 4), num(b, 1, 2), num(a, 1, 2))
    } else {
        return Err(bad());
    };
    match (y, m, d) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// Parses a date and refuses one after `today`.
pub fn parse_past_date(text: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let d = parse_date(text)?;
    if d > today {
        return Err(DateError::Future(d));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepted_forms() {
        let d = NaiveDate::from_ymd_opt(2001, 2, 3).unwrap();
        for s in [
            "2001-02-03",
            "03-02-2001",
            "03/02/2001",
            "3/2/2001",
            " 2001-2-3 ",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "",
            "2001",
            "2001-02",
            "2001/02/03",
            "03.02.2001",
            "20010203",
            "03-02-01",
            "2001-13-01",
            "29-02-2001",
            "x1-02-2001",
            "2001-02-03-04",
        ] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn future_dates_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(parse_past_date("2026-11-23", today).is_ok());
        assert!(matches!(
            parse_past_date("2026-11-24", today),
            Err(DateError::Future(_))
        ));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,16}") { let _ = parse_date(&s); }

        #[test]
        fn all_three_forms_agree(y in 1900i32..2100, m in 1u32..=12, d in 1u32..=28) {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            prop_assert_eq!(parse_date(&format!("{y:04}-{m:02}-{d:02}")).unwrap(), date);
            prop_assert_eq!(parse_date(&format!("{d:02}-{m:02}-{y:04}")).unwrap(), date);
            prop_assert_eq!(parse_date(&format!("{d:02}/{m:02}/{y:04}")).unwrap(), date);
        }
    }
}
