//! Kemendagri region codes and the region hierarchy.
//!
//! A code has two digits per level down to the district and four for a village:
//! `53` (province) → `53.71` (regency/city) → `53.71.01` (district, kecamatan) →
//! `53.71.01.1001` (village). Codes are accepted with or without dots. A village
//! code's last segment starting with `1` is a kelurahan (urban), with `2` a desa (rural).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a text is not a region code, or a regions file is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Not a code of 2, 4, 6 or 10 digits (dots optional).
    #[error("{0:?} is not a region code (expected e.g. 53, 53.71, 53.71.01 or 53.71.01.1001)")]
    BadCode(String),
    /// A line of a regions CSV is malformed.
    #[error("{source_name}:{line}: {reason}")]
    BadFile {
        /// Which file (or label).
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// The level of a region in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Provinsi.
    Province,
    /// Kabupaten or kota.
    Regency,
    /// Kecamatan.
    District,
    /// Desa or kelurahan.
    Village,
}

impl Level {
    /// The name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Regency => "regency",
            Level::District => "district",
            Level::Village => "village",
        }
    }
    /// Parses `province|regency|district|village`.
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "province" => Some(Level::Province),
            "regency" => Some(Level::Regency),
            "district" => Some(Level::District),
            "village" => Some(Level::Village),
            _ => None,
        }
    }
}

/// Kelurahan (urban village, administered by the city) or desa (rural village).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VillageType {
    /// Urban village: the 4th segment starts with 1.
    Kelurahan,
    /// Rural village: the 4th segment starts with 2.
    Desa,
}

impl VillageType {
    /// `kelurahan` or `desa`.
    pub fn as_str(self) -> &'static str {
        match self {
            VillageType::Kelurahan => "kelurahan",
            VillageType::Desa => "desa",
        }
    }
}

/// Indonesia's three time zones (none observes daylight saving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeZone {
    /// Waktu Indonesia Barat, UTC+7 (`Asia/Jakarta`).
    Wib,
    /// Waktu Indonesia Tengah, UTC+8 (`Asia/Makassar`).
    Wita,
    /// Waktu Indonesia Timur, UTC+9 (`Asia/Jayapura`).
    Wit,
}

impl TimeZone {
    /// The IANA zone name.
    pub fn iana(self) -> &'static str {
        match self {
            TimeZone::Wib => "Asia/Jakarta",
            TimeZone::Wita => "Asia/Makassar",
            TimeZone::Wit => "Asia/Jayapura",
        }
    }
    /// The Indonesian abbreviation (WIB, WITA, WIT).
    pub fn abbreviation(self) -> &'static str {
        match self {
            TimeZone::Wib => "WIB",
            TimeZone::Wita => "WITA",
            TimeZone::Wit => "WIT",
        }
    }
    /// Offset from UTC in seconds.
    pub fn utc_offset_seconds(self) -> i32 {
        match self {
            TimeZone::Wib => 7 * 3600,
            TimeZone::Wita => 8 * 3600,
            TimeZone::Wit => 9 * 3600,
        }
    }
    /// The zone of a province, by its two-digit code (Kemendagri numbering).
    ///
    /// ```
    /// use sejahtera_domain::region::TimeZone;
    /// assert_eq!(TimeZone::of_province(53), Some(TimeZone::Wita)); // NTT
    /// assert_eq!(TimeZone::of_province(15), Some(TimeZone::Wib));  // Jambi
    /// ```
    pub fn of_province(code: u8) -> Option<TimeZone> {
        match code {
            // Sumatra, Java, West and Central Kalimantan.
            11..=19 | 21 | 31..=36 | 61 | 62 => Some(TimeZone::Wib),
            // Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi.
            51..=53 | 63..=65 | 71..=76 => Some(TimeZone::Wita),
            // Maluku and Papua.
            81 | 82 | 91..=97 => Some(TimeZone::Wit),
            _ => None,
        }
    }
}

/// A validated region code, held in its dotted form (`53.71.01.1001`).
///
/// ```
/// use sejahtera_domain::RegionCode;
/// use sejahtera_domain::region::{Level, VillageType};
/// let a = RegionCode::parse("5371011001").unwrap();
/// let b = RegionCode::parse("53.71.01.1001").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "53.71.01.1001");
/// assert_eq!(a.level(), Level::Village);
/// assert_eq!(a.village_type(), Some(VillageType::Kelurahan));
/// assert_eq!(a.parent().unwrap().as_str(), "53.71.01");
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a code with or without dots (`5371011001` or `53.71.01.1001`).
    pub fn parse(text: &str) -> Result<RegionCode, RegionError> {
        let t = text.trim();
        let bad = || RegionError::BadCode(text.to_string());
        let digits: String = if t.contains('.') {
            let segs: Vec<&str> = t.split('.').collect();
            let expected = [2usize, 2, 2, 4];
            if segs.is_empty() || segs.len() > 4 {
                return Err(bad());
            }
            for (s, n) in segs.iter().zip(expected) {
                if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
            }
            segs.concat()
        } else {
            if !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.to_string()
        };
        let dotted = match digits.len() {
            2 => digits,
            4 => format!("{}.{}", &digits[..2], &digits[2..]),
            6 => format!("{}.{}.{}", &digits[..2], &digits[2..4], &digits[4..]),
            10 => format!(
                "{}.{}.{}.{}",
                &digits[..2],
                &digits[2..4],
                &digits[4..6],
                &digits[6..]
            ),
            _ => return Err(bad()),
        };
        Ok(RegionCode(dotted))
    }

    /// The dotted form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without dots (`5371011001`).
    pub fn digits(&self) -> String {
        self.0.replace('.', "")
    }

    /// The level implied by the number of segments.
    pub fn level(&self) -> Level {
        match self.0.split('.').count() {
            1 => Level::Province,
            2 => Level::Regency,
            3 => Level::District,
            _ => Level::Village,
        }
    }

    /// The code one level up, if any.
    pub fn parent(&self) -> Option<RegionCode> {
        self.0
            .rfind('.')
            .map(|i| RegionCode(self.0[..i].to_string()))
    }

    /// This code's ancestor at `level` (itself when already at that level).
    pub fn at_level(&self, level: Level) -> Option<RegionCode> {
        let n = match level {
            Level::Province => 1,
            Level::Regency => 2,
            Level::District => 3,
            Level::Village => 4,
        };
        let segs: Vec<&str> = self.0.split('.').collect();
        (segs.len() >= n).then(|| RegionCode(segs[..n].join(".")))
    }

    /// Whether `self` lies strictly below `other` in the hierarchy.
    pub fn is_under(&self, other: &RegionCode) -> bool {
        self.0.len() > other.0.len()
            && self.0.starts_with(&other.0)
            && self.0.as_bytes()[other.0.len()] == b'.'
    }

    /// The province's two-digit number.
    pub fn province_number(&self) -> u8 {
        self.0[..2].parse().unwrap_or(0)
    }

    /// For a village: kelurahan when its 4th segment starts with 1, desa with 2.
    pub fn village_type(&self) -> Option<VillageType> {
        if self.level() != Level::Village {
            return None;
        }
        match self.0.rsplit('.').next().and_then(|s| s.bytes().next()) {
            Some(b'1') => Some(VillageType::Kelurahan),
            Some(b'2') => Some(VillageType::Desa),
            _ => None,
        }
    }

    /// The time zone of the region's province.
    pub fn timezone(&self) -> Option<TimeZone> {
        TimeZone::of_province(self.province_number())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for RegionCode {
    type Error = RegionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}
impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

/// One region: its code, official name and place in the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// The code.
    pub code: RegionCode,
    /// The official name.
    pub name: String,
    /// Its level.
    pub level: Level,
    /// The parent's code (none for a province).
    pub parent_code: Option<RegionCode>,
}

impl Region {
    /// Kelurahan or desa, for a village.
    pub fn village_type(&self) -> Option<VillageType> {
        self.code.village_type()
    }
    /// The time zone of the region.
    pub fn timezone(&self) -> Option<TimeZone> {
        self.code.timezone()
    }
}

/// The region hierarchy: every known code with hierarchy queries.
#[derive(Debug, Clone, Default)]
pub struct Regions {
    by_code: BTreeMap<RegionCode, Region>,
}

impl Regions {
    /// An empty hierarchy.
    pub fn new() -> Regions {
        Regions::default()
    }

    /// Builds the hierarchy from regions (in any order), checking that every
    /// parent exists and that each level and parent agree with the code.
    pub fn from_regions(regions: impl IntoIterator<Item = Region>) -> Result<Regions, RegionError> {
        let mut r = Regions::new();
        for region in regions {
            r.by_code.insert(region.code.clone(), region);
        }
        for region in r.by_code.values() {
            if let Some(p) = &region.parent_code
                && !r.by_code.contains_key(p)
            {
                return Err(RegionError::BadFile {
                    source_name: "regions".into(),
                    line: 0,
                    reason: format!("{}: parent {} is not a known region", region.code, p),
                });
            }
        }
        Ok(r)
    }

    /// Parses a regions CSV with the header `code,name,level,parent_code`
    /// (the form of `data/wilayah/*.csv`). `source_name` labels errors.
    ///
    /// ```
    /// use sejahtera_domain::Regions;
    /// let csv = "code,name,level,parent_code\n53,Nusa Tenggara Timur,province,\n53.71,Kota Kupang,regency,53\n";
    /// let rows = Regions::parse_csv("test.csv", csv).unwrap();
    /// assert_eq!(rows.len(), 2);
    /// ```
    pub fn parse_csv(source_name: &str, text: &str) -> Result<Vec<Region>, RegionError> {
        let err = |line: usize, reason: String| RegionError::BadFile {
            source_name: source_name.to_string(),
            line,
            reason,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h.trim().eq_ignore_ascii_case("code,name,level,parent_code") => {}
            Some((_, h)) => {
                return Err(err(
                    1,
                    format!("header must be code,name,level,parent_code, found {h:?}"),
                ));
            }
            None => return Err(err(1, "empty file".into())),
        }
        let mut out = Vec::new();
        for (i, line) in lines {
            let lineno = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let parts = split_csv_line(line);
            if parts.len() != 4 {
                return Err(err(
                    lineno,
                    format!("expected 4 fields, found {}", parts.len()),
                ));
            }
            let code = RegionCode::parse(&parts[0]).map_err(|e| err(lineno, e.to_string()))?;
            let level = Level::parse(&parts[2]).ok_or_else(|| {
                err(
                    lineno,
                    format!(
                        "level {:?} is not province|regency|district|village",
                        parts[2]
                    ),
                )
            })?;
            if level != code.level() {
                return Err(err(
                    lineno,
                    format!("level {} does not match code {}", level.as_str(), code),
                ));
            }
            let parent_code = if parts[3].trim().is_empty() {
                None
            } else {
                Some(RegionCode::parse(&parts[3]).map_err(|e| err(lineno, e.to_string()))?)
            };
            if parent_code != code.parent() {
                return Err(err(
                    lineno,
                    format!("parent_code {:?} does not match code {}", parts[3], code),
                ));
            }
            let name = parts[1].trim().to_string();
            if name.is_empty() {
                return Err(err(lineno, "empty name".into()));
            }
            out.push(Region {
                code,
                name,
                level,
                parent_code,
            });
        }
        Ok(out)
    }

    /// Adds regions (later files may repeat a province row; the same code replaces).
    pub fn extend(&mut self, regions: impl IntoIterator<Item = Region>) {
        for r in regions {
            self.by_code.insert(r.code.clone(), r);
        }
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// A region by code.
    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.by_code.get(code)
    }

    /// Whether the code is a known village.
    pub fn is_village(&self, code: &RegionCode) -> bool {
        self.by_code
            .get(code)
            .is_some_and(|r| r.level == Level::Village)
    }

    /// All regions in code order (a parent before its children).
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.by_code.values()
    }

    /// The direct children of a code, in code order.
    pub fn children<'a>(&'a self, code: &'a RegionCode) -> impl Iterator<Item = &'a Region> + 'a {
        self.descendants(code)
            .filter(move |r| r.parent_code.as_ref() == Some(code))
    }

    /// Every region strictly below a code, in code order.
    pub fn descendants<'a>(
        &'a self,
        code: &'a RegionCode,
    ) -> impl Iterator<Item = &'a Region> + 'a {
        let prefix = format!("{}.", code.as_str());
        self.by_code
            .range(code.clone()..)
            .skip(1)
            .take_while(move |(c, _)| c.as_str().starts_with(&prefix))
            .map(|(_, r)| r)
    }

    /// Every village below (or equal to) a code.
    pub fn villages_under<'a>(
        &'a self,
        code: &'a RegionCode,
    ) -> impl Iterator<Item = &'a Region> + 'a {
        let own = self.by_code.get(code).filter(|r| r.level == Level::Village);
        own.into_iter()
            .chain(self.descendants(code).filter(|r| r.level == Level::Village))
    }

    /// The ancestors of a code, nearest first (district, regency, province).
    pub fn ancestors(&self, code: &RegionCode) -> Vec<&Region> {
        let mut out = Vec::new();
        let mut cur = code.parent();
        while let Some(c) = cur {
            if let Some(r) = self.by_code.get(&c) {
                out.push(r);
            }
            cur = c.parent();
        }
        out
    }
}

/// Splits one CSV line with optional double-quoted fields (`""` is a quote).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => in_quotes = false,
            ('"', false) if cur.is_empty() => in_quotes = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Regions {
        let csv = "code,name,level,parent_code\n\
            53,Nusa Tenggara Timur,province,\n\
            53.71,Kota Kupang,regency,53\n\
            53.71.01,Alak,district,53.71\n\
            53.71.01.1001,Namosain,village,53.71.01\n\
            53.71.01.1002,Nunbaun Sabu,village,53.71.01\n\
            53.71.02,Maulafa,district,53.71\n\
            53.71.02.1001,Maulafa,village,53.71.02\n\
            15,Jambi,province,\n\
            15.03,Kabupaten Sarolangun,regency,15\n\
            15.03.01,Batang Asai,district,15.03\n\
            15.03.01.2001,Tambak Ratu,village,15.03.01\n";
        Regions::from_regions(Regions::parse_csv("t", csv).unwrap()).unwrap()
    }

    #[test]
    fn codes_with_and_without_dots() {
        for (a, b) in [
            ("53", "53"),
            ("5371", "53.71"),
            ("537101", "53.71.01"),
            ("5371011001", "53.71.01.1001"),
        ] {
            assert_eq!(RegionCode::parse(a).unwrap(), RegionCode::parse(b).unwrap());
        }
        for bad in [
            "",
            "5",
            "537",
            "53.7",
            "53.71.01.101",
            "53.71.01.1001.1",
            "ab",
            "53..71",
            "53710110011",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn village_types() {
        assert_eq!(
            RegionCode::parse("15.03.01.2001").unwrap().village_type(),
            Some(VillageType::Desa)
        );
        assert_eq!(
            RegionCode::parse("53.71.01.1001").unwrap().village_type(),
            Some(VillageType::Kelurahan)
        );
        assert_eq!(RegionCode::parse("53.71.01").unwrap().village_type(), None);
    }

    #[test]
    fn time_zones_by_province() {
        assert_eq!(
            RegionCode::parse("53.71")
                .unwrap()
                .timezone()
                .unwrap()
                .iana(),
            "Asia/Makassar"
        );
        assert_eq!(
            RegionCode::parse("15.03.01.2001")
                .unwrap()
                .timezone()
                .unwrap()
                .iana(),
            "Asia/Jakarta"
        );
        assert_eq!(TimeZone::of_province(94), Some(TimeZone::Wit));
    }

    #[test]
    fn hierarchy_queries() {
        let r = sample();
        let kupang = RegionCode::parse("53.71").unwrap();
        let kids: Vec<_> = r
            .children(&kupang)
            .map(|r| r.code.as_str().to_string())
            .collect();
        assert_eq!(kids, ["53.71.01", "53.71.02"]);
        let villages: Vec<_> = r
            .villages_under(&kupang)
            .map(|r| r.code.as_str().to_string())
            .collect();
        assert_eq!(
            villages,
            ["53.71.01.1001", "53.71.01.1002", "53.71.02.1001"]
        );
        let v = RegionCode::parse("53.71.01.1002").unwrap();
        let anc: Vec<_> = r
            .ancestors(&v)
            .iter()
            .map(|r| r.code.as_str().to_string())
            .collect();
        assert_eq!(anc, ["53.71.01", "53.71", "53"]);
        assert_eq!(r.villages_under(&v).count(), 1);
        assert_eq!(r.descendants(&RegionCode::parse("15").unwrap()).count(), 3);
        assert!(v.is_under(&kupang));
        assert!(!kupang.is_under(&v));
    }

    #[test]
    fn malformed_regions_files_name_the_line() {
        let e = Regions::parse_csv(
            "x.csv",
            "code,name,level,parent_code\n53,NTT,province,\n53.71,Kupang,district,53\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.csv:3: level district does not match code 53.71"
        );
        let e = Regions::parse_csv("x.csv", "kode,nama\n").unwrap_err();
        assert!(e.to_string().starts_with("x.csv:1:"));
        let e = Regions::from_regions(
            Regions::parse_csv(
                "x.csv",
                "code,name,level,parent_code\n53.71,Kupang,regency,53\n",
            )
            .unwrap(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("parent 53 is not a known region"));
    }

    #[test]
    fn shipped_files_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wilayah");
        for (f, villages, districts) in [
            ("kupang_wilayah.csv", 51, 6),
            ("sarolangun_wilayah.csv", 158, 11),
        ] {
            let text = std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
            let regs = Regions::from_regions(Regions::parse_csv(f, &text).unwrap()).unwrap();
            assert_eq!(
                regs.iter().filter(|r| r.level == Level::Village).count(),
                villages
            );
            assert_eq!(
                regs.iter().filter(|r| r.level == Level::District).count(),
                districts
            );
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") { let _ = RegionCode::parse(&s); }
    }
}
