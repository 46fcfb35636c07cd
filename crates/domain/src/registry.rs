//! Validated household and person records, and the rules that apply to one row.
//!
//! Rules that need other rows or the stored registry (a person's household must
//! exist, a NIK may appear once, one head per household) live in the import use
//! case; everything decidable from a single row is here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::*;
use crate::date::parse_past_date;
use crate::ids::{Nik, NoKk};
use crate::money::Rupiah;
use crate::region::RegionCode;

/// Household columns, in file order.
pub const HOUSEHOLD_COLUMNS: &[&str] = &[
    "no_kk",
    "kode_wilayah",
    "rt",
    "rw",
    "alamat",
    "pengeluaran_bulanan",
    "lantai",
    "dinding",
    "atap",
    "sumber_air",
    "sanitasi",
    "listrik",
    "bahan_bakar",
    "status_rumah",
];

/// Household columns that must be present and non-empty.
pub const HOUSEHOLD_REQUIRED: &[&str] = &["no_kk", "kode_wilayah", "pengeluaran_bulanan"];

/// Person columns, in file order.
pub const PERSON_COLUMNS: &[&str] = &[
    "nik",
    "no_kk",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "hubungan",
    "pendidikan",
    "pekerjaan",
    "sektor",
    "disabilitas",
    "status_kawin",
];

/// Person columns that must be present and non-empty.
pub const PERSON_REQUIRED: &[&str] = &["nik", "no_kk", "nama", "jenis_kelamin", "tanggal_lahir"];

/// A household of the registry (one family card, KK).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    /// Family-card number, the key.
    pub no_kk: NoKk,
    /// The village the household lives in.
    pub kode_wilayah: RegionCode,
    /// Neighbourhood unit (rukun tetangga), 1–3 digits.
    pub rt: Option<String>,
    /// Community unit (rukun warga), 1–3 digits.
    pub rw: Option<String>,
    /// Street address. Personal data.
    pub alamat: Option<String>,
    /// Monthly household consumption.
    pub pengeluaran_bulanan: Rupiah,
    /// Floor.
    pub lantai: Option<Lantai>,
    /// Walls.
    pub dinding: Option<Dinding>,
    /// Roof.
    pub atap: Option<Atap>,
    /// Drinking water.
    pub sumber_air: Option<SumberAir>,
    /// Toilet.
    pub sanitasi: Option<Sanitasi>,
    /// Electricity.
    pub listrik: Option<Listrik>,
    /// Cooking fuel.
    pub bahan_bakar: Option<BahanBakar>,
    /// Tenure.
    pub status_rumah: Option<StatusRumah>,
}

/// A data-quality flag on a person, kept with the record and counted in summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QualityFlag {
    /// The birth date in the NIK differs from `tanggal_lahir`.
    NikBirthDateMismatch,
    /// The sex encoded in the NIK differs from `jenis_kelamin`.
    NikSexMismatch,
}

impl QualityFlag {
    /// Stable code stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            QualityFlag::NikBirthDateMismatch => "nik_tanggal_lahir_berbeda",
            QualityFlag::NikSexMismatch => "nik_jenis_kelamin_berbeda",
        }
    }
    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<QualityFlag> {
        match s {
            "nik_tanggal_lahir_berbeda" => Some(QualityFlag::NikBirthDateMismatch),
            "nik_jenis_kelamin_berbeda" => Some(QualityFlag::NikSexMismatch),
            _ => None,
        }
    }
    /// A sentence explaining the flag (for warnings and the staff console).
    pub fn describe(self) -> &'static str {
        match self {
            QualityFlag::NikBirthDateMismatch => {
                "birth date in NIK digits 7-12 differs from tanggal_lahir"
            }
            QualityFlag::NikSexMismatch => {
                "sex encoded in the NIK (day + 40 for women) differs from jenis_kelamin"
            }
        }
    }
}

/// A person of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// National identity number, the key. Personal data.
    pub nik: Nik,
    /// The household's family-card number.
    pub no_kk: NoKk,
    /// Full name. Personal data.
    pub nama: String,
    /// Sex.
    pub jenis_kelamin: JenisKelamin,
    /// Birth date.
    pub tanggal_lahir: NaiveDate,
    /// Relation to the head.
    pub hubungan: Option<Hubungan>,
    /// Education.
    pub pendidikan: Option<Pendidikan>,
    /// Occupation, free text.
    pub pekerjaan: Option<String>,
    /// Sector of work.
    pub sektor: Option<Sektor>,
    /// Disability.
    pub disabilitas: Option<Disabilitas>,
    /// Marital status.
    pub status_kawin: Option<StatusKawin>,
    /// Data-quality flags raised on import.
    pub flags: Vec<QualityFlag>,
}

impl Person {
    /// The flags as stored: codes joined by `,` (empty when none).
    pub fn flags_text(&self) -> String {
        self.flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A problem with one value of a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column}: {reason}")]
pub struct FieldError {
    /// The column at fault.
    pub column: &'static str,
    /// What is wrong, in words a spreadsheet user understands.
    pub reason: String,
}

fn fe(column: &'static str, reason: impl ToString) -> FieldError {
    FieldError {
        column,
        reason: reason.to_string(),
    }
}

/// Access to one row's values by column name (`None` when the column is absent).
pub trait RowValues {
    /// The trimmed value of a column, `None` when the file has no such column.
    fn get(&self, column: &str) -> Option<&str>;
}

fn required<'a, R: RowValues + ?Sized>(
    row: &'a R,
    column: &'static str,
) -> Result<&'a str, FieldError> {
    match row.get(column).map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(fe(column, "required value is missing")),
    }
}

fn optional<'a, R: RowValues + ?Sized>(row: &'a R, column: &str) -> Option<&'a str> {
    row.get(column).map(str::trim).filter(|v| !v.is_empty())
}

fn optional_code<C: Code, R: RowValues + ?Sized>(row: &R) -> Result<Option<C>, FieldError> {
    optional(row, C::COLUMN)
        .map(|v| C::parse(v).map_err(|e| fe(C::COLUMN, e)))
        .transpose()
}

fn rt_rw<R: RowValues + ?Sized>(
    row: &R,
    column: &'static str,
) -> Result<Option<String>, FieldError> {
    match optional(row, column) {
        None => Ok(None),
        Some(v) if (1..=3).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(v.to_string()))
        }
        Some(v) => Err(fe(column, format!("{v:?} is not 1-3 digits"))),
    }
}

/// Validates a household row. `is_village` says whether a code is a known village.
pub fn parse_household<R: RowValues + ?Sized>(
    row: &R,
    is_village: impl Fn(&RegionCode) -> bool,
) -> Result<Household, FieldError> {
    // Required presence first, in column order, so the first missing column is named.
    for c in HOUSEHOLD_REQUIRED {
        required(row, c)?;
    }
    let no_kk = NoKk::parse(required(row, "no_kk")?).map_err(|e| fe("no_kk", e))?;
    let kode_raw = required(row, "kode_wilayah")?;
    let kode_wilayah = RegionCode::parse(kode_raw)
        .ok()
        .filter(&is_village)
        .ok_or_else(|| {
            fe(
                "kode_wilayah",
                format!("{kode_raw:?} is not a known village code"),
            )
        })?;
    let rt = rt_rw(row, "rt")?;
    let rw = rt_rw(row, "rw")?;
    let alamat = optional(row, "alamat").map(str::to_string);
    let pengeluaran_bulanan = Rupiah::parse(required(row, "pengeluaran_bulanan")?)
        .map_err(|e| fe("pengeluaran_bulanan", e))?;
    Ok(Household {
        no_kk,
        kode_wilayah,
        rt,
        rw,
        alamat,
        pengeluaran_bulanan,
        lantai: optional_code(row)?,
        dinding: optional_code(row)?,
        atap: optional_code(row)?,
        sumber_air: optional_code(row)?,
        sanitasi: optional_code(row)?,
        listrik: optional_code(row)?,
        bahan_bakar: optional_code(row)?,
        status_rumah: optional_code(row)?,
    })
}

/// Validates a person row on its own. `today` bounds the birth date.
///
/// A NIK whose birth date or sex disagrees with `tanggal_lahir` / `jenis_kelamin`
/// is accepted with a [`QualityFlag`].
pub fn parse_person<R: RowValues + ?Sized>(
    row: &R,
    today: NaiveDate,
) -> Result<Person, FieldError> {
    for c in PERSON_REQUIRED {
        required(row, c)?;
    }
    let nik = Nik::parse(required(row, "nik")?).map_err(|e| fe("nik", e))?;
    let no_kk = NoKk::parse(required(row, "no_kk")?).map_err(|e| fe("no_kk", e))?;
    let nama = required(row, "nama")?.to_string();
    let jenis_kelamin =
        JenisKelamin::parse(required(row, "jenis_kelamin")?).map_err(|e| fe("jenis_kelamin", e))?;
    let tanggal_lahir = parse_past_date(required(row, "tanggal_lahir")?, today)
        .map_err(|e| fe("tanggal_lahir", e))?;
    let hubungan = optional_code(row)?;
    let pendidikan = optional_code(row)?;
    let pekerjaan = optional(row, "pekerjaan").map(str::to_string);
    let sektor = optional_code(row)?;
    let disabilitas = optional_code(row)?;
    let status_kawin = optional_code(row)?;
    let birth = nik.birth();
    let mut flags = Vec::new();
    if !birth.matches_date(tanggal_lahir) {
        flags.push(QualityFlag::NikBirthDateMismatch);
    }
    if birth.female != (jenis_kelamin == JenisKelamin::P) {
        flags.push(QualityFlag::NikSexMismatch);
    }
    Ok(Person {
        nik,
        no_kk,
        nama,
        jenis_kelamin,
        tanggal_lahir,
        hubungan,
        pendidikan,
        pekerjaan,
        sektor,
        disabilitas,
        status_kawin,
        flags,
    })
}

impl RowValues for std::collections::HashMap<&str, &str> {
    fn get(&self, column: &str) -> Option<&str> {
        std::collections::HashMap::get(self, column).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn person(overrides: &[(&'static str, &'static str)]) -> Result<Person, FieldError> {
        let mut m: HashMap<&str, &str> = [
            ("nik", "5371015203850001"),
            ("no_kk", "5371010101200001"),
            ("nama", "Maria Ndun"),
            ("jenis_kelamin", "P"),
            ("tanggal_lahir", "1985-03-12"),
            ("hubungan", "istri"),
        ]
        .into_iter()
        .collect();
        for (k, v) in overrides {
            m.insert(k, v);
        }
        parse_person(&m, today())
    }

    fn household(overrides: &[(&'static str, &'static str)]) -> Result<Household, FieldError> {
        let mut m: HashMap<&str, &str> = [
            ("no_kk", "5371010101200001"),
            ("kode_wilayah", "5371011001"),
            ("pengeluaran_bulanan", "1.250.000"),
        ]
        .into_iter()
        .collect();
        for (k, v) in overrides {
            m.insert(k, v);
        }
        parse_household(&m, |c| c.as_str() == "53.71.01.1001")
    }

    #[test]
    fn a_good_person_has_no_flags() {
        let p = person(&[]).unwrap();
        assert!(p.flags.is_empty());
        assert_eq!(p.hubungan, Some(Hubungan::Istri));
    }

    #[test]
    fn nik_disagreeing_with_date_or_sex_is_flagged_not_rejected() {
        let p = person(&[("tanggal_lahir", "13-03-1985")]).unwrap();
        assert_eq!(p.flags, [QualityFlag::NikBirthDateMismatch]);
        let p = person(&[("jenis_kelamin", "l")]).unwrap();
        assert_eq!(p.flags, [QualityFlag::NikSexMismatch]);
    }

    #[test]
    fn person_rejections_name_the_column() {
        assert_eq!(person(&[("nama", "  ")]).unwrap_err().column, "nama");
        assert_eq!(person(&[("nik", "123")]).unwrap_err().column, "nik");
        assert_eq!(
            person(&[("nik", "5371019903850001")]).unwrap_err().column,
            "nik"
        );
        assert_eq!(
            person(&[("no_kk", "53710101012000011")])
                .unwrap_err()
                .column,
            "no_kk"
        );
        assert_eq!(
            person(&[("tanggal_lahir", "1985/03/12")])
                .unwrap_err()
                .column,
            "tanggal_lahir"
        );
        assert_eq!(
            person(&[("tanggal_lahir", "2030-01-01")])
                .unwrap_err()
                .column,
            "tanggal_lahir"
        );
        assert_eq!(
            person(&[("jenis_kelamin", "W")]).unwrap_err().column,
            "jenis_kelamin"
        );
        assert_eq!(
            person(&[("pendidikan", "s3")]).unwrap_err().column,
            "pendidikan"
        );
    }

    #[test]
    fn household_rules() {
        assert_eq!(household(&[]).unwrap().pengeluaran_bulanan.get(), 1_250_000);
        assert_eq!(
            household(&[("kode_wilayah", "53.71.01.9999")])
                .unwrap_err()
                .column,
            "kode_wilayah"
        );
        assert_eq!(
            household(&[("kode_wilayah", "53.71.01")])
                .unwrap_err()
                .column,
            "kode_wilayah"
        );
        assert_eq!(
            household(&[("pengeluaran_bulanan", "-100")])
                .unwrap_err()
                .column,
            "pengeluaran_bulanan"
        );
        assert_eq!(
            household(&[("pengeluaran_bulanan", "")])
                .unwrap_err()
                .column,
            "pengeluaran_bulanan"
        );
        assert_eq!(
            household(&[("lantai", "marmer")]).unwrap_err().column,
            "lantai"
        );
        assert_eq!(household(&[("rt", "1234")]).unwrap_err().column, "rt");
        assert_eq!(
            household(&[("rt", "003"), ("lantai", "KERAMIK")])
                .unwrap()
                .lantai,
            Some(Lantai::Keramik)
        );
    }
}
