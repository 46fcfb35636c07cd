//! The coded columns of the registry.
//!
//! Each coded column accepts a fixed set of values, case-insensitive, surrounding
//! spaces ignored; the canonical spelling is the lowercase one listed in
//! `docs/import.md` (uppercase `L`/`P` for sex).

use std::fmt;

/// An unknown value for a coded column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?} for {column} (allowed: {allowed})")]
pub struct UnknownCode {
    /// The column.
    pub column: &'static str,
    /// The value as given.
    pub value: String,
    /// The allowed values, separated by `|`.
    pub allowed: String,
}

/// A coded column's value set.
pub trait Code: Sized + Copy + 'static {
    /// The column name in imported files.
    const COLUMN: &'static str;
    /// Every value with its canonical spelling, in documentation order.
    const ALL: &'static [(Self, &'static str)];

    /// The canonical spelling.
    fn as_str(self) -> &'static str;

    /// Parses a value case-insensitively, ignoring surrounding spaces.
    fn parse(text: &str) -> Result<Self, UnknownCode> {
        let t = text.trim();
        Self::ALL
            .iter()
            .find(|(_, s)| s.eq_ignore_ascii_case(t))
            .map(|(v, _)| *v)
            .ok_or_else(|| UnknownCode {
                column: Self::COLUMN,
                value: t.to_string(),
                allowed: Self::allowed(),
            })
    }

    /// The allowed values separated by `|`.
    fn allowed() -> String {
        Self::ALL
            .iter()
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
            .join("|")
    }
}

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $column:literal, { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }
        impl Code for $name {
            const COLUMN: &'static str = $column;
            const ALL: &'static [(Self, &'static str)] = &[$(($name::$variant, $text)),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use code_enum;

code_enum!(
    /// Floor material (`lantai`).
    Lantai, "lantai", {
        /// Earth.
        Tanah = "tanah",
        /// Bamboo.
        Bambu = "bambu",
        /// Wood or planks.
        Kayu = "kayu",
        /// Cement.
        Semen = "semen",
        /// Ceramic tiles.
        Keramik = "keramik",
    }
);

code_enum!(
    /// Wall material (`dinding`).
    Dinding, "dinding", {
        /// Bamboo.
        Bambu = "bambu",
        /// Wood.
        Kayu = "kayu",
        /// Masonry.
        Tembok = "tembok",
        /// Other.
        Lainnya = "lainnya",
    }
);

code_enum!(
    /// Roof material (`atap`).
    Atap, "atap", {
        /// Leaves or thatch.
        Daun = "daun",
        /// Corrugated zinc.
        Seng = "seng",
        /// Clay tiles.
        Genteng = "genteng",
        /// Concrete.
        Beton = "beton",
        /// Other.
        Lainnya = "lainnya",
    }
);

code_enum!(
    /// Main source of drinking water (`sumber_air`).
    SumberAir, "sumber_air", {
        /// Piped water.
        Perpipaan = "perpipaan",
        /// Protected well.
        SumurTerlindung = "sumur_terlindung",
        /// Unprotected well.
        SumurTidakTerlindung = "sumur_tidak_terlindung",
        /// Spring.
        MataAir = "mata_air",
        /// River.
        Sungai = "sungai",
        /// Rain water.
        Hujan = "hujan",
        /// Bottled or refill water.
        Kemasan = "kemasan",
    }
);

code_enum!(
    /// Toilet facility (`sanitasi`).
    Sanitasi, "sanitasi", {
        /// Own toilet.
        Sendiri = "sendiri",
        /// Shared with other households.
        Bersama = "bersama",
        /// Public toilet.
        Umum = "umum",
        /// None.
        TidakAda = "tidak_ada",
    }
);

code_enum!(
    /// Electricity (`listrik`).
    Listrik, "listrik", {
        /// PLN with own meter.
        PlnMeter = "pln_meter",
        /// PLN without meter.
        PlnTanpaMeter = "pln_tanpa_meter",
        /// Non-PLN source.
        NonPln = "non_pln",
        /// No electricity.
        TidakAda = "tidak_ada",
    }
);

code_enum!(
    /// Cooking fuel (`bahan_bakar`).
    BahanBakar, "bahan_bakar", {
        /// Electricity.
        Listrik = "listrik",
        /// Gas (LPG).
        Gas = "gas",
        /// Kerosene.
        MinyakTanah = "minyak_tanah",
        /// Firewood.
        Kayu = "kayu",
        /// Other.
        Lainnya = "lainnya",
    }
);

code_enum!(
    /// Tenure of the dwelling (`status_rumah`).
    StatusRumah, "status_rumah", {
        /// Owned.
        MilikSendiri = "milik_sendiri",
        /// Rented.
        Sewa = "sewa",
        /// Rent-free.
        BebasSewa = "bebas_sewa",
        /// Other.
        Lainnya = "lainnya",
    }
);

code_enum!(
    /// Sex (`jenis_kelamin`): `L` (laki-laki, male) or `P` (perempuan, female).
    JenisKelamin, "jenis_kelamin", {
        /// Male.
        L = "L",
        /// Female.
        P = "P",
    }
);

code_enum!(
    /// Relation to the head of the household (`hubungan`).
    Hubungan, "hubungan", {
        /// Head of household.
        Kepala = "kepala",
        /// Wife.
        Istri = "istri",
        /// Husband.
        Suami = "suami",
        /// Child.
        Anak = "anak",
        /// Child-in-law.
        Menantu = "menantu",
        /// Grandchild.
        Cucu = "cucu",
        /// Parent.
        OrangTua = "orang_tua",
        /// Parent-in-law.
        Mertua = "mertua",
        /// Other relative.
        FamiliLain = "famili_lain",
        /// Other.
        Lainnya = "lainnya",
    }
);

code_enum!(
    /// Highest education completed (`pendidikan`).
    Pendidikan, "pendidikan", {
        /// No schooling.
        TidakSekolah = "tidak_sekolah",
        /// Primary.
        Sd = "sd",
        /// Junior secondary.
        Smp = "smp",
        /// Senior secondary.
        Sma = "sma",
        /// Diploma.
        Diploma = "diploma",
        /// Bachelor.
        Sarjana = "sarjana",
        /// Postgraduate.
        Pascasarjana = "pascasarjana",
    }
);

code_enum!(
    /// Sector of main work (`sektor`).
    Sektor, "sektor", {
        /// Agriculture.
        Pertanian = "pertanian",
        /// Fisheries.
        Perikanan = "perikanan",
        /// Manufacturing and crafts.
        Industri = "industri",
        /// Trade.
        Perdagangan = "perdagangan",
        /// Services.
        Jasa = "jasa",
        /// Construction.
        Konstruksi = "konstruksi",
        /// Other.
        Lainnya = "lainnya",
        /// Not working.
        TidakBekerja = "tidak_bekerja",
    }
);

code_enum!(
    /// Disability (`disabilitas`): `ya` or `tidak`.
    Disabilitas, "disabilitas", {
        /// Has a disability.
        Ya = "ya",
        /// No disability.
        Tidak = "tidak",
    }
);

code_enum!(
    /// Marital status (`status_kawin`).
    StatusKawin, "status_kawin", {
        /// Never married.
        Belum = "belum",
        /// Married.
        Kawin = "kawin",
        /// Divorced.
        CeraiHidup = "cerai_hidup",
        /// Widowed.
        CeraiMati = "cerai_mati",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_with_spaces() {
        assert_eq!(Lantai::parse(" Keramik ").unwrap(), Lantai::Keramik);
        assert_eq!(JenisKelamin::parse("p").unwrap(), JenisKelamin::P);
        assert_eq!(
            SumberAir::parse("SUMUR_TERLINDUNG").unwrap(),
            SumberAir::SumurTerlindung
        );
    }

    #[test]
    fn unknown_value_lists_the_allowed_ones() {
        let e = Lantai::parse("marmer").unwrap_err();
        assert_eq!(e.column, "lantai");
        assert_eq!(e.allowed, "tanah|bambu|kayu|semen|keramik");
        assert!(e.to_string().contains("marmer"));
    }

    #[test]
    fn canonical_spellings_round_trip() {
        fn check<C: Code + PartialEq + std::fmt::Debug>() {
            for (v, s) in C::ALL {
                assert_eq!(C::parse(s).unwrap(), *v);
                assert_eq!(v.as_str(), *s);
            }
        }
        check::<Lantai>();
        check::<Dinding>();
        check::<Atap>();
        check::<SumberAir>();
        check::<Sanitasi>();
        check::<Listrik>();
        check::<BahanBakar>();
        check::<StatusRumah>();
        check::<JenisKelamin>();
        check::<Hubungan>();
        check::<Pendidikan>();
        check::<Sektor>();
        check::<Disabilitas>();
        check::<StatusKawin>();
    }
}
