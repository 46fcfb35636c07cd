//! Eligibility use cases: count and list the households an expression selects,
//! evaluated on the columnar snapshot of the registry.

use sejahtera_domain::RegionCode;
use sejahtera_domain::eligibility::{ExprError, Program};
use sejahtera_domain::region::Level;

use crate::snapshot::{Area, RegistrySnapshot};

/// Errors of the eligibility use cases.
#[derive(Debug, thiserror::Error)]
pub enum EligibilityError {
    /// The expression does not parse or check; `rendered` shows the caret.
    #[error("{rendered}")]
    Expression {
        /// The positioned error.
        error: ExprError,
        /// The error with the source line and a caret.
        rendered: String,
    },
    /// `--under` names a region that is not stored.
    #[error("unknown region {0}: not among the stored region codes")]
    UnknownRegion(String),
    /// The expression reads `desil`/`skor_pmt` but no household is ranked.
    #[error(
        "the expression uses desil or skor_pmt but no household has a PMT ranking yet; run `sejahtera pmt score` first"
    )]
    NotRanked,
}

/// Compiles an expression, rendering a parse or type error with its position.
pub fn compile(src: &str) -> Result<Program, EligibilityError> {
    Program::compile(src).map_err(|error| EligibilityError::Expression {
        rendered: error.render(),
        error,
    })
}

/// Matching households and their persons in one district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictMatches {
    /// The district.
    pub district: Area,
    /// Matching households.
    pub households: u64,
    /// All members of the matching households.
    pub persons: u64,
}

/// The result of a count: one row per district (zeros included) and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountResult {
    /// Districts under the chosen region, in code order.
    pub districts: Vec<DistrictMatches>,
    /// Matching households in all of them.
    pub households: u64,
    /// All members of the matching households.
    pub persons: u64,
}

/// Which households match `program` and live under `under` (one `bool` per household).
pub fn select(
    snap: &RegistrySnapshot,
    program: &Program,
    under: Option<&RegionCode>,
) -> Result<Vec<bool>, EligibilityError> {
    if program.uses_welfare() && snap.ranked == 0 && snap.cols.households() > 0 {
        return Err(EligibilityError::NotRanked);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut m = snap.cols.matches_threads(program, threads);
    if under.is_some() {
        for (x, w) in m.iter_mut().zip(snap.within(under)) {
            *x &= w;
        }
    }
    Ok(m)
}

/// Counts matching households and their persons per district under `under`
/// (the whole registry when `None`).
pub fn count(
    snap: &RegistrySnapshot,
    program: &Program,
    under: Option<&RegionCode>,
) -> Result<CountResult, EligibilityError> {
    if let Some(u) = under
        && !snap
            .districts
            .iter()
            .any(|d| &d.code == u || d.code.is_under(u) || u.is_under(&d.code))
    {
        return Err(EligibilityError::UnknownRegion(u.to_string()));
    }
    let m = select(snap, program, under)?;
    let (areas, of_village) = snap.areas(Level::District);
    let counts = snap.cols.count_by(&m, of_village, areas.len());
    let mut out = CountResult {
        districts: Vec::new(),
        households: 0,
        persons: 0,
    };
    for (a, (h, p)) in areas.iter().zip(counts) {
        let shown = match under {
            None => true,
            // the district lies under the region, or the region (a village) under the district
            Some(u) => &a.code == u || a.code.is_under(u) || u.is_under(&a.code),
        };
        if shown {
            out.households += h;
            out.persons += p;
            out.districts.push(DistrictMatches {
                district: a.clone(),
                households: h,
                persons: p,
            });
        }
    }
    Ok(out)
}

/// One matching household, for staff exports (holds personal data).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// KK number.
    pub no_kk: String,
    /// Village code.
    pub kode_wilayah: RegionCode,
    /// District code.
    pub kecamatan: RegionCode,
    /// Decile, if ranked.
    pub desil: Option<u8>,
    /// Members.
    pub jumlah_anggota: u32,
    /// The head's NIK and name, if the household has a head.
    pub kepala: Option<(String, String)>,
}

/// The matching households under `under`, in KK order (load the snapshot with personal data
/// to get the heads).
pub fn list(
    snap: &RegistrySnapshot,
    program: &Program,
    under: Option<&RegionCode>,
) -> Result<Vec<Match>, EligibilityError> {
    let m = select(snap, program, under)?;
    let (areas, of_village) = snap.areas(Level::District);
    Ok(m.iter()
        .enumerate()
        .filter(|(_, x)| **x)
        .map(|(h, _)| {
            let v = snap.cols.village[h] as usize;
            let d = snap.cols.desil[h];
            Match {
                no_kk: format!("{:016}", snap.no_kk[h]),
                kode_wilayah: snap.cols.villages[v].clone(),
                kecamatan: areas[of_village[v] as usize].code.clone(),
                desil: (d != 0).then_some(d),
                jumlah_anggota: snap.cols.members(h).len() as u32,
                kepala: snap.heads.as_ref().and_then(|hs| hs[h].clone()),
            }
        })
        .collect())
}

/// An expression that does not compile, or names what is not there, is the user's input.
impl From<EligibilityError> for crate::error::Error {
    fn from(e: EligibilityError) -> crate::error::Error {
        match e {
            EligibilityError::Expression { rendered, .. } => {
                crate::error::Error::invalid_text(rendered)
            }
            EligibilityError::UnknownRegion(code) => crate::error::Error::Invalid(
                crate::messages::Msg::new("eligibility.unknown_region").arg("code", code),
            ),
            EligibilityError::NotRanked => {
                crate::error::Error::Invalid(crate::messages::Msg::new("eligibility.not_ranked"))
            }
        }
    }
}
