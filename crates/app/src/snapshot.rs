//! The columnar snapshot of the registry: households and persons loaded once from
//! the store into column vectors (persons grouped by household, CSR-style), with
//! the stored welfare ranking, for eligibility, targeting and PMT scoring.

use std::collections::HashMap;

use chrono::NaiveDate;
use sejahtera_domain::RegionCode;
use sejahtera_domain::codes::{
    Atap, BahanBakar, Code, Dinding, Disabilitas, Hubungan, JenisKelamin, Lantai, Listrik,
    Pendidikan, Sanitasi, Sektor, StatusKawin, StatusRumah, SumberAir,
};
use sejahtera_domain::eligibility::Snapshot;
use sejahtera_domain::eligibility::fields::code_index;
use sejahtera_domain::region::{Level, Regions};
use sejahtera_store::{HouseholdCodes, MemberCodes, Store};

/// A region of a grouping level (district or regency) with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Region code.
    pub code: RegionCode,
    /// Region name.
    pub name: String,
}

/// The registry in columns, with what the use cases need around the columns.
#[derive(Debug, Clone)]
pub struct RegistrySnapshot {
    /// The columns the eligibility evaluator reads.
    pub cols: Snapshot,
    /// Per household: its KK number as an integer.
    pub no_kk: Vec<u64>,
    /// The date ages (`umur`) are computed at.
    pub reference_date: NaiveDate,
    /// Districts of the loaded regions, in code order.
    pub districts: Vec<Area>,
    /// Per village (index of `cols.villages`): index into `districts`.
    pub district_of_village: Vec<u32>,
    /// Regencies of the loaded regions, in code order.
    pub regencies: Vec<Area>,
    /// Per village: index into `regencies`.
    pub regency_of_village: Vec<u32>,
    /// Households with a stored decile.
    pub ranked: u64,
    /// Per household, when loaded with personal data: the head's NIK and name.
    pub heads: Option<Vec<Option<(String, String)>>>,
}

impl RegistrySnapshot {
    /// Areas of `level` (district or regency) and the area of each village.
    pub fn areas(&self, level: Level) -> (&[Area], &[u32]) {
        match level {
            Level::Regency => (&self.regencies, &self.regency_of_village),
            _ => (&self.districts, &self.district_of_village),
        }
    }

    /// Per household: whether it lives in `under` (or anywhere when `None`).
    pub fn within(&self, under: Option<&RegionCode>) -> Vec<bool> {
        let Some(r) = under else {
            return vec![true; self.cols.households()];
        };
        let villages: Vec<bool> = self
            .cols
            .villages
            .iter()
            .map(|v| v == r || v.is_under(r))
            .collect();
        self.cols
            .village
            .iter()
            .map(|&v| villages[v as usize])
            .collect()
    }
}

fn areas_at(regions: &Regions, level: Level) -> Vec<Area> {
    regions
        .iter()
        .filter(|r| r.level == level)
        .map(|r| Area {
            code: r.code.clone(),
            name: r.name.clone(),
        })
        .collect()
}

/// Loads the registry into columns. `umur` is the age in whole years completed at
/// `reference_date` (missing for a birth date after it). With `with_pii` the heads'
/// NIK and names are kept for exports.
pub async fn load(
    store: &Store,
    regions: &Regions,
    reference_date: NaiveDate,
    with_pii: bool,
) -> crate::error::Result<RegistrySnapshot> {
    let mut districts = areas_at(regions, Level::District);
    let mut regencies = areas_at(regions, Level::Regency);
    districts.sort_by(|a, b| a.code.cmp(&b.code));
    regencies.sort_by(|a, b| a.code.cmp(&b.code));
    let district_index: HashMap<RegionCode, u32> = districts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.clone(), i as u32))
        .collect();
    let regency_index: HashMap<RegionCode, u32> = regencies
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.clone(), i as u32))
        .collect();

    struct Pending {
        kk: u64,
        village: u32,
        welfare: Option<(f64, u8)>,
        pengeluaran: i64,
        housing: [u8; 8],
    }
    let mut cols = Snapshot::new();
    let mut village_index: HashMap<String, u32> = HashMap::new();
    let mut district_of_village = Vec::new();
    let mut regency_of_village = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut missing_area = None;
    let mut village_error = None;
    store
        .for_each_household_codes(&mut |kk, h: &HouseholdCodes<'_>| {
            let v = match village_index.get(h.village) {
                Some(v) => *v,
                None => {
                    let code = match RegionCode::parse(h.village) {
                        Ok(c) => c,
                        Err(e) => {
                            village_error.get_or_insert(format!("village {:?}: {e}", h.village));
                            return Ok(());
                        }
                    };
                    let v = cols.add_village(code.clone());
                    let d = code.at_level(Level::District);
                    let r = code.at_level(Level::Regency);
                    match (
                        d.as_ref().and_then(|d| district_index.get(d)),
                        r.as_ref().and_then(|r| regency_index.get(r)),
                    ) {
                        (Some(d), Some(r)) => {
                            district_of_village.push(*d);
                            regency_of_village.push(*r);
                        }
                        _ => {
                            missing_area.get_or_insert(code.clone());
                            district_of_village.push(0);
                            regency_of_village.push(0);
                        }
                    }
                    village_index.insert(h.village.to_string(), v);
                    v
                }
            };
            let [lantai, dinding, atap, air, sanitasi, listrik, bakar, rumah] = h.housing;
            pending.push(Pending {
                kk,
                village: v,
                welfare: h.welfare,
                pengeluaran: h.pengeluaran,
                housing: [
                    coded::<Lantai>(lantai),
                    coded::<Dinding>(dinding),
                    coded::<Atap>(atap),
                    coded::<SumberAir>(air),
                    coded::<Sanitasi>(sanitasi),
                    coded::<Listrik>(listrik),
                    coded::<BahanBakar>(bakar),
                    coded::<StatusRumah>(rumah),
                ],
            });
            Ok(())
        })
        .await?;
    if let Some(e) = village_error {
        return Err(crate::error::Error::unexpected(format!(
            "stored household with a malformed {e}"
        )));
    }
    if let Some(v) = missing_area {
        return Err(crate::error::Error::unexpected(format!(
            "village {v} has no district or regency among the stored regions"
        )));
    }

    // Persons come in (no_kk, nik) order like the households: push each household
    // just before its first member, so that members are contiguous.
    let mut no_kk = Vec::with_capacity(pending.len());
    let mut heads: Vec<Option<(String, String)>> = Vec::new();
    let mut next = 0usize;
    let push = |cols: &mut Snapshot, p: &Pending, no_kk: &mut Vec<u64>, heads: &mut Vec<_>| {
        cols.push_household(
            p.village,
            p.welfare.map(|w| w.1),
            p.welfare.map(|w| w.0),
            p.pengeluaran,
            p.housing,
        );
        no_kk.push(p.kk);
        if with_pii {
            heads.push(None);
        }
    };
    if !with_pii {
        // The compact path: members' coded fields, one row per household.
        store
            .for_each_household_members(&mut |kk, members: &[MemberCodes<'_>]| {
                while next < pending.len() && pending[next].kk <= kk {
                    push(&mut cols, &pending[next], &mut no_kk, &mut heads);
                    next += 1;
                }
                if no_kk.last() != Some(&kk) {
                    return Ok(()); // no stored household (cannot happen with foreign keys)
                }
                for m in members {
                    let umur = parse_day(m.birth)
                        .and_then(|b| reference_date.years_since(b))
                        .map(|y| y.min(i16::MAX as u32) as i16);
                    let codes = [
                        coded::<JenisKelamin>(m.sex),
                        coded::<Hubungan>(m.relation),
                        coded::<Pendidikan>(m.education),
                        coded::<Sektor>(m.sector),
                        coded::<Disabilitas>(m.disability),
                        coded::<StatusKawin>(m.marital),
                    ];
                    cols.push_member(umur, codes);
                }
                Ok(())
            })
            .await?;
    } else {
        store
            .for_each_person(&mut |p| {
                let kk: u64 = p.no_kk.as_str().parse().unwrap_or(0);
                while next < pending.len() && pending[next].kk <= kk {
                    push(&mut cols, &pending[next], &mut no_kk, &mut heads);
                    next += 1;
                }
                if no_kk.last() != Some(&kk) {
                    return Ok(()); // no stored household (cannot happen with foreign keys)
                }
                let m = member_row(&p, reference_date);
                cols.push_member(m.umur, m.codes);
                if with_pii
                    && p.hubungan == Some(sejahtera_domain::codes::Hubungan::Kepala)
                    && let Some(last) = heads.last_mut()
                    && last.is_none()
                {
                    *last = Some((p.nik.as_str().to_string(), p.nama.clone()));
                }
                Ok(())
            })
            .await?;
    }
    while next < pending.len() {
        push(&mut cols, &pending[next], &mut no_kk, &mut heads);
        next += 1;
    }
    let ranked = pending.iter().filter(|p| p.welfare.is_some()).count() as u64;
    Ok(RegistrySnapshot {
        cols,
        no_kk,
        reference_date,
        districts,
        district_of_village,
        regencies,
        regency_of_village,
        ranked,
        heads: with_pii.then_some(heads),
    })
}

/// One household as the eligibility evaluator sees it (for checking a single
/// household without loading the registry): ages at `reference_date`, codes as
/// the snapshot codes them, the stored welfare ranking `(score, decile)`.
pub fn household_row(
    household: &sejahtera_domain::registry::Household,
    members: &[sejahtera_domain::registry::Person],
    welfare: Option<(f64, u8)>,
    reference_date: NaiveDate,
) -> sejahtera_domain::eligibility::HouseholdRow {
    use sejahtera_domain::eligibility::HouseholdRow;
    let h = household;
    HouseholdRow {
        village: h.kode_wilayah.clone(),
        desil: welfare.map(|w| w.1),
        skor_pmt: welfare.map(|w| w.0),
        pengeluaran_bulanan: h.pengeluaran_bulanan.get(),
        housing: [
            code_index(h.lantai),
            code_index(h.dinding),
            code_index(h.atap),
            code_index(h.sumber_air),
            code_index(h.sanitasi),
            code_index(h.listrik),
            code_index(h.bahan_bakar),
            code_index(h.status_rumah),
        ],
        members: members
            .iter()
            .map(|p| member_row(p, reference_date))
            .collect(),
    }
}

/// A person as the eligibility evaluators see them: age in whole years at
/// `reference_date`, coded fields in `MEMBER_CODES` order.
fn member_row(
    p: &sejahtera_domain::registry::Person,
    reference_date: NaiveDate,
) -> sejahtera_domain::eligibility::MemberRow {
    sejahtera_domain::eligibility::MemberRow {
        umur: reference_date
            .years_since(p.tanggal_lahir)
            .map(|y| y.min(i16::MAX as u32) as i16),
        codes: [
            code_index(Some(p.jenis_kelamin)),
            code_index(p.hubungan),
            code_index(p.pendidikan),
            code_index(p.sektor),
            code_index(p.disabilitas),
            code_index(p.status_kawin),
        ],
    }
}

/// The snapshot's index of a stored code (0 when empty or unknown).
fn coded<C: Code + PartialEq>(text: &str) -> u8 {
    if text.is_empty() {
        return 0;
    }
    code_index(C::parse(text).ok())
}

/// A stored `YYYY-MM-DD` day.
fn parse_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return text.parse().ok();
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + (d - b'0') as u32)
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}
