//! NIK (Nomor Induk Kependudukan) and KK (Kartu Keluarga) numbers.
//!
//! Both are 16 digits. A NIK's digits 7–12 are the holder's birth date as `DDMMYY`,
//! with 40 added to the day for women. NIK is personal data (UU 27/2022): never put
//! it in public output, logs, URLs or public exports.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a text is not a valid NIK or KK number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not exactly 16 ASCII digits after trimming spaces.
    #[error("{what} must be exactly 16 digits, got {len} characters {text:?}")]
    NotSixteenDigits {
        /// `NIK` or `no_kk`.
        what: &'static str,
        /// The text as given.
        text: String,
        /// Its length in characters after trimming.
        len: usize,
    },
    /// Digits 7–12 of a NIK are not a date (women's day is 41–71).
    #[error("NIK digits 7-12 ({ddmmyy}) are not a birth date DDMMYY (women: day + 40)")]
    BadBirthDate {
        /// The six digits.
        ddmmyy: String,
    },
}

fn sixteen_digits(what: &'static str, text: &str) -> Result<[u8; 16], IdError> {
    let t = text.trim();
    let bytes = t.as_bytes();
    if bytes.len() != 16 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(IdError::NotSixteenDigits {
            what,
            text: text.to_string(),
            len: t.chars().count(),
        });
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(bytes);
    Ok(out)
}

/// A family-card (Kartu Keluarga) number: 16 digits.
///
/// ```
/// use sejahtera_domain::NoKk;
/// assert!(NoKk::parse(" 5371010101200001 ").is_ok());
/// assert!(NoKk::parse("53710101012000").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoKk([u8; 16]);

impl NoKk {
    /// Parses 16 digits, ignoring surrounding spaces.
    pub fn parse(text: &str) -> Result<NoKk, IdError> {
        sixteen_digits("no_kk", text).map(NoKk)
    }
    /// The 16 digits as text.
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
    /// The number as an integer (16 digits fit in a `u64`), for compact keys.
    pub fn as_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
    }
}

impl fmt::Debug for NoKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoKk({})", self.as_str())
    }
}
impl fmt::Display for NoKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl TryFrom<String> for NoKk {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NoKk::parse(&s)
    }
}
impl From<NoKk> for String {
    fn from(k: NoKk) -> String {
        k.as_str().to_string()
    }
}

/// What a NIK's digits 7–12 say about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NikBirth {
    /// Day of month (1–31), with the +40 for women removed.
    pub day: u32,
    /// Month (1–12).
    pub month: u32,
    /// Two-digit year (the century is not encoded).
    pub yy: u32,
    /// `true` when the day had 40 added (a woman).
    pub female: bool,
}

impl NikBirth {
    /// Whether a full birth date agrees with these digits (day, month and year mod 100).
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        date.day() == self.day
            && date.month() == self.month
            && (date.year().rem_euclid(100)) as u32 == self.yy
    }
}

/// A national identity number: 16 digits whose digits 7–12 are a valid birth date.
///
/// ```
/// use sejahtera_domain::Nik;
/// // Born 12 March 1985, a woman: day 12 + 40 = 52.
/// let nik = Nik::parse("5371015203850001").unwrap();
/// let b = nik.birth();
/// assert!(b.female);
/// assert_eq!((b.day, b.month, b.yy), (12, 3, 85));
/// assert!(Nik::parse("5371013203850001").is_err()); // day 32 is no date
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nik([u8; 16]);

fn two(d: &[u8]) -> u32 {
    u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0')
}

impl Nik {
    /// Parses 16 digits (ignoring surrounding spaces) and checks the birth date in digits 7–12.
    ///
    /// The date is valid when the day (minus 40 for 41–71) exists in that month of
    /// 19YY or 20YY (so `29` February needs a leap year in one of the two centuries).
    pub fn parse(text: &str) -> Result<Nik, IdError> {
        let d = sixteen_digits("NIK", text)?;
        let nik = Nik(d);
        let ddmmyy = || String::from_utf8_lossy(&d[6..12]).into_owned();
        let raw_day = two(&d[6..8]);
        let month = two(&d[8..10]);
        let yy = two(&d[10..12]);
        let day = match raw_day {
            1..=31 => raw_day,
            41..=71 => raw_day - 40,
            _ => return Err(IdError::BadBirthDate { ddmmyy: ddmmyy() }),
        };
        let valid = [1900, 2000]
            .iter()
            .any(|c| NaiveDate::from_ymd_opt(c + yy as i32, month, day).is_some());
        if !valid {
            return Err(IdError::BadBirthDate { ddmmyy: ddmmyy() });
        }
        Ok(nik)
    }

    /// The birth date and sex encoded in digits 7–12.
    pub fn birth(&self) -> NikBirth {
        let raw_day = two(&self.0[6..8]);
        NikBirth {
            day: if raw_day > 40 { raw_day - 40 } else { raw_day },
            month: two(&self.0[8..10]),
            yy: two(&self.0[10..12]),
            female: raw_day > 40,
        }
    }

    /// The 16 digits as text. Personal data: keep out of public output and logs.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The number as an integer (16 digits fit in a `u64`), for compact keys.
    pub fn as_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
    }
}

impl fmt::Debug for Nik {
    // Never print the number itself in debug output (logs): only a masked form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({}**********)", &self.as_str()[..6])
    }
}
impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl TryFrom<String> for Nik {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Nik::parse(&s)
    }
}
impl From<Nik> for String {
    fn from(k: Nik) -> String {
        k.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nik_requires_sixteen_digits() {
        assert!(Nik::parse("537101520385000").is_err());
        assert!(Nik::parse("53710152038500012").is_err());
        assert!(Nik::parse("53710152038500a1").is_err());
        assert!(Nik::parse("  5371015203850001\t").is_ok());
        assert!(Nik::parse("5371 015203850001").is_err());
    }

    #[test]
    fn nik_birth_date_rules() {
        // men: day 01-31
        assert!(Nik::parse("5371010101900001").is_ok());
        assert!(Nik::parse("5371013101900001").is_ok());
        // day 00, 32-40, 72+ are not dates
        for day in ["00", "32", "40", "72", "99"] {
            let s = format!("537101{day}0190 0001").replace(' ', "");
            assert!(Nik::parse(&s).is_err(), "{s}");
        }
        // women: 41-71
        assert!(Nik::parse("5371014101900001").is_ok());
        assert!(Nik::parse("5371017101900001").is_ok());
        // month 00 and 13
        assert!(Nik::parse("5371010100900001").is_err());
        assert!(Nik::parse("5371010113900001").is_err());
        // 31 April never exists; 30 Feb never; 29 Feb 00 exists (2000)
        assert!(Nik::parse("5371013104900001").is_err());
        assert!(Nik::parse("5371013002900001").is_err());
        assert!(Nik::parse("5371012902000001").is_ok());
        assert!(Nik::parse("5371016902000001").is_ok());
        // 29 Feb 01: neither 1901 nor 2001 is a leap year
        assert!(Nik::parse("5371012902010001").is_err());
    }

    #[test]
    fn nik_birth_matches_date() {
        let nik = Nik::parse("5371015203850001").unwrap();
        let b = nik.birth();
        assert!(b.matches_date(NaiveDate::from_ymd_opt(1985, 3, 12).unwrap()));
        assert!(!b.matches_date(NaiveDate::from_ymd_opt(1985, 3, 13).unwrap()));
        assert!(!b.matches_date(NaiveDate::from_ymd_opt(1986, 3, 12).unwrap()));
    }

    #[test]
    fn debug_output_masks_the_nik() {
        let nik = Nik::parse("5371015203850001").unwrap();
        assert_eq!(format!("{nik:?}"), "Nik(537101**********)");
    }

    #[test]
    fn kk_numbers() {
        let kk = NoKk::parse("5371010101200001").unwrap();
        assert_eq!(kk.as_u64(), 5371010101200001);
        assert!(NoKk::parse("").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Nik::parse(&s);
            let _ = NoKk::parse(&s);
        }

        #[test]
        fn any_real_date_makes_a_valid_nik(
            y in 1900i32..2099, m in 1u32..=12, d in 1u32..=31, female: bool, serial in 0u32..10000
        ) {
            if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                let day = if female { d + 40 } else { d };
                let s = format!("537101{:02}{:02}{:02}{:04}", day, m, y % 100, serial);
                let nik = Nik::parse(&s).unwrap();
                prop_assert!(nik.birth().matches_date(date));
                prop_assert_eq!(nik.birth().female, female);
                prop_assert_eq!(nik.as_u64().to_string(), s);
            }
        }
    }
}
