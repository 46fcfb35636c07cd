//! The fields an expression may use: household fields, member fields, their types
//! and the coded values (stored as small integers: 0 = missing, `k` = the k-th value
//! of the column's [`Code::ALL`] list).

use crate::codes::*;

/// A numeric household field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HNum {
    /// `desil`: welfare decile 1–10 (1 = poorest) from the stored PMT ranking; missing before ranking.
    Desil,
    /// `skor_pmt`: the PMT score (predicted log per-capita consumption); missing before scoring.
    SkorPmt,
    /// `pengeluaran_bulanan`: reported monthly consumption, Rupiah.
    PengeluaranBulanan,
    /// `pengeluaran_per_kapita`: `pengeluaran_bulanan / jumlah_anggota` (missing with no members).
    PengeluaranPerKapita,
    /// `jumlah_anggota`: number of members.
    JumlahAnggota,
}

/// A coded household field (index into the snapshot's housing columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HCode {
    /// `lantai`
    Lantai,
    /// `dinding`
    Dinding,
    /// `atap`
    Atap,
    /// `sumber_air`
    SumberAir,
    /// `sanitasi`
    Sanitasi,
    /// `listrik`
    Listrik,
    /// `bahan_bakar`
    BahanBakar,
    /// `status_rumah`
    StatusRumah,
}

/// A numeric member field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PNum {
    /// `umur`: age in whole years at the reference date.
    Umur,
}

/// A coded member field (index into the snapshot's person code columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PCode {
    /// `jenis_kelamin` (`L`/`P`)
    JenisKelamin,
    /// `hubungan`
    Hubungan,
    /// `pendidikan`
    Pendidikan,
    /// `sektor`
    Sektor,
    /// `disabilitas`
    Disabilitas,
    /// `status_kawin`
    StatusKawin,
}

/// Every numeric household field with its name.
pub const HOUSEHOLD_NUMBERS: &[(HNum, &str)] = &[
    (HNum::Desil, "desil"),
    (HNum::SkorPmt, "skor_pmt"),
    (HNum::PengeluaranBulanan, "pengeluaran_bulanan"),
    (HNum::PengeluaranPerKapita, "pengeluaran_per_kapita"),
    (HNum::JumlahAnggota, "jumlah_anggota"),
];

/// Every coded household field, in the order of [`crate::eligibility::Snapshot::housing`].
pub const HOUSEHOLD_CODES: &[HCode] = &[
    HCode::Lantai,
    HCode::Dinding,
    HCode::Atap,
    HCode::SumberAir,
    HCode::Sanitasi,
    HCode::Listrik,
    HCode::BahanBakar,
    HCode::StatusRumah,
];

/// Every coded member field, in the order of [`crate::eligibility::Snapshot::person_codes`].
pub const MEMBER_CODES: &[PCode] = &[
    PCode::JenisKelamin,
    PCode::Hubungan,
    PCode::Pendidikan,
    PCode::Sektor,
    PCode::Disabilitas,
    PCode::StatusKawin,
];

fn names<C: Code>() -> Vec<&'static str> {
    C::ALL.iter().map(|(_, s)| *s).collect()
}

impl HCode {
    /// The field name.
    pub fn name(self) -> &'static str {
        match self {
            HCode::Lantai => Lantai::COLUMN,
            HCode::Dinding => Dinding::COLUMN,
            HCode::Atap => Atap::COLUMN,
            HCode::SumberAir => SumberAir::COLUMN,
            HCode::Sanitasi => Sanitasi::COLUMN,
            HCode::Listrik => Listrik::COLUMN,
            HCode::BahanBakar => BahanBakar::COLUMN,
            HCode::StatusRumah => StatusRumah::COLUMN,
        }
    }
    /// The canonical values; value `k` (1-based) is stored as `k`.
    pub fn values(self) -> Vec<&'static str> {
        match self {
            HCode::Lantai => names::<Lantai>(),
            HCode::Dinding => names::<Dinding>(),
            HCode::Atap => names::<Atap>(),
            HCode::SumberAir => names::<SumberAir>(),
            HCode::Sanitasi => names::<Sanitasi>(),
            HCode::Listrik => names::<Listrik>(),
            HCode::BahanBakar => names::<BahanBakar>(),
            HCode::StatusRumah => names::<StatusRumah>(),
        }
    }
    /// Position in [`HOUSEHOLD_CODES`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl PCode {
    /// The field name.
    pub fn name(self) -> &'static str {
        match self {
            PCode::JenisKelamin => JenisKelamin::COLUMN,
            PCode::Hubungan => Hubungan::COLUMN,
            PCode::Pendidikan => Pendidikan::COLUMN,
            PCode::Sektor => Sektor::COLUMN,
            PCode::Disabilitas => Disabilitas::COLUMN,
            PCode::StatusKawin => StatusKawin::COLUMN,
        }
    }
    /// The canonical values; value `k` (1-based) is stored as `k`.
    pub fn values(self) -> Vec<&'static str> {
        match self {
            PCode::JenisKelamin => names::<JenisKelamin>(),
            PCode::Hubungan => names::<Hubungan>(),
            PCode::Pendidikan => names::<Pendidikan>(),
            PCode::Sektor => names::<Sektor>(),
            PCode::Disabilitas => names::<Disabilitas>(),
            PCode::StatusKawin => names::<StatusKawin>(),
        }
    }
    /// Position in [`MEMBER_CODES`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl HNum {
    /// The field name.
    pub fn name(self) -> &'static str {
        HOUSEHOLD_NUMBERS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }
}

/// The stored index of a coded value: 0 when missing, else its 1-based position in [`Code::ALL`].
pub fn code_index<C: Code + PartialEq>(v: Option<C>) -> u8 {
    match v {
        None => 0,
        Some(v) => C::ALL
            .iter()
            .position(|(c, _)| *c == v)
            .map_or(0, |i| i as u8 + 1),
    }
}

/// The stored index of `hubungan = kepala` (the head of the household).
pub const KEPALA: u8 = 1;

/// The names of the household fields, for error messages and documentation.
pub fn household_field_names() -> Vec<&'static str> {
    HOUSEHOLD_NUMBERS
        .iter()
        .map(|(_, n)| *n)
        .chain(HOUSEHOLD_CODES.iter().map(|c| c.name()))
        .collect()
}

/// The names of the member fields, for error messages and documentation.
pub fn member_field_names() -> Vec<&'static str> {
    std::iter::once("umur")
        .chain(MEMBER_CODES.iter().map(|c| c.name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kepala_is_the_first_hubungan() {
        assert_eq!(code_index(Some(Hubungan::Kepala)), KEPALA);
        assert_eq!(code_index::<Lantai>(None), 0);
        assert_eq!(code_index(Some(Lantai::Keramik)), 5);
        assert_eq!(PCode::Sektor.values()[0], "pertanian");
        for (i, c) in HOUSEHOLD_CODES.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
        for (i, c) in MEMBER_CODES.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }
}
