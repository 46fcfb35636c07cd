//! A deterministic synthetic registry of Kota Kupang and Kabupaten Sarolangun,
//! calibrated to published figures (see `docs/demo.md` for every number and its source).
//!
//! Every name and NIK is invented. The generator is seeded: the same seed and scale
//! always give the same registry. Per-capita consumption is drawn from a log-normal
//! model with district, village and household components; its spread is then set so
//! that the person-weighted Gini matches the target, and its level so that exactly the
//! published share of persons lives below the poverty line. The registry's
//! `pengeluaran_bulanan` is what households report; each household's true consumption
//! (reported consumption with a reporting error) is stored apart in `household_truth`
//! so that targeting can later be scored against the truth.

use std::collections::HashMap;

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sejahtera_domain::codes::*;
use sejahtera_domain::region::{Level, Regions};
use sejahtera_domain::registry::{Household, Person, QualityFlag};
use sejahtera_domain::{Nik, NoKk, RegionCode, Rupiah};
use sejahtera_store::Store;

use sejahtera_app::Progress;

/// Calibration targets of one regency.
#[derive(Debug, Clone)]
pub struct RegencyTarget {
    /// Regency code.
    pub code: &'static str,
    /// Persons at scale 1.
    pub population: u64,
    /// Share of women.
    pub female_share: f64,
    /// Poverty line, Rupiah per capita per month.
    pub poverty_line: i64,
    /// Where the poverty line comes from.
    pub poverty_line_source: &'static str,
    /// Share of persons below the line (P0).
    pub p0: f64,
    /// Where P0 comes from.
    pub p0_source: &'static str,
    /// Person-weighted Gini of per-capita consumption.
    pub gini: f64,
    /// Whether villages are mostly urban (affects housing and sectors).
    pub urban: bool,
}

/// The published figures the demo is calibrated to (see `docs/demo.md`).
pub const TARGETS: &[RegencyTarget] = &[
    RegencyTarget {
        code: "53.71",
        population: 466_632,
        female_share: 231_669.0 / 466_632.0,
        poverty_line: 645_346,
        poverty_line_source: "BPS NTT, urban poverty line September 2024 (Rp 645.346/capita/month); \
            no Kota Kupang line is published in the sources at hand",
        p0: 0.0824,
        p0_source: "BPS, Kota Kupang poverty rate March 2024 (8,24 %), via databoks",
        gini: 0.32,
        urban: true,
    },
    RegencyTarget {
        code: "15.03",
        population: 306_514,
        female_share: 150_448.0 / 306_514.0,
        poverty_line: 395_441,
        poverty_line_source: "BPS Kabupaten Sarolangun poverty line 2016 (Rp 395.441/capita/month), \
            the latest district line in the sources at hand",
        p0: 0.0836,
        p0_source: "BPS, Kabupaten Sarolangun poverty rate 2024 (8,36 %), via databoks",
        gini: 0.32,
        urban: false,
    },
];

/// Options of the generator.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Random seed.
    pub seed: u64,
    /// Population scale (1.0 = full size; 0.01 = a small registry for tests).
    pub scale: f64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 2026,
            scale: 1.0,
        }
    }
}

/// A generated registry.
#[derive(Debug, Default)]
pub struct DemoRegistry {
    /// Households.
    pub households: Vec<Household>,
    /// Persons, grouped by household.
    pub persons: Vec<Person>,
    /// True monthly consumption per household.
    pub truth: Vec<(NoKk, i64)>,
}

/// Per-regency figures of a generated registry.
#[derive(Debug, Clone)]
pub struct RegencySummary {
    /// Regency code.
    pub code: String,
    /// Regency name.
    pub name: String,
    /// Households.
    pub households: u64,
    /// Persons.
    pub persons: u64,
    /// Women.
    pub women: u64,
    /// The poverty line used.
    pub poverty_line: i64,
    /// Its source.
    pub poverty_line_source: &'static str,
    /// Share of persons below the line.
    pub p0: f64,
    /// The target P0.
    pub p0_target: f64,
    /// Person-weighted Gini of per-capita consumption.
    pub gini: f64,
}

const MALE: &[&str] = &[
    "Yohanes",
    "Yosef",
    "Petrus",
    "Paulus",
    "Markus",
    "Agustinus",
    "Fransiskus",
    "Stefanus",
    "Daniel",
    "Yakobus",
    "Ahmad",
    "Muhammad",
    "Abdul",
    "Rudi",
    "Budi",
    "Hendra",
    "Andi",
    "Joni",
    "Robert",
    "Samuel",
    "Ismail",
    "Hasan",
    "Rahmat",
    "Syamsul",
    "Zulkifli",
    "Arif",
    "Dedi",
    "Yusuf",
    "Fajar",
    "Rizky",
];
const FEMALE: &[&str] = &[
    "Maria",
    "Yuliana",
    "Theresia",
    "Agustina",
    "Fransiska",
    "Katarina",
    "Veronika",
    "Elisabeth",
    "Magdalena",
    "Sarlin",
    "Siti",
    "Nur",
    "Aisyah",
    "Fatimah",
    "Dewi",
    "Sri",
    "Rina",
    "Yanti",
    "Rosalina",
    "Mariana",
    "Halimah",
    "Rahmawati",
    "Wati",
    "Lestari",
    "Nurhayati",
    "Putri",
    "Ayu",
    "Indah",
    "Fitri",
    "Dian",
];
const FAMILY_NTT: &[&str] = &[
    "Ndun",
    "Fanggidae",
    "Lay",
    "Tefa",
    "Bessie",
    "Amalo",
    "Manafe",
    "Nope",
    "Tallo",
    "Pello",
    "Riwu",
    "Kana",
    "Lona",
    "Sabu",
    "Ratu",
    "Benu",
    "Seran",
    "Nubatonis",
    "Boimau",
    "Taneo",
];
const FAMILY_JAMBI: &[&str] = &[
    "Harahap",
    "Saputra",
    "Hidayat",
    "Rahman",
    "Syahputra",
    "Pratama",
    "Kurniawan",
    "Wijaya",
    "Hasibuan",
    "Nasution",
    "Lubis",
    "Siregar",
    "Sembiring",
    "Putra",
    "Hakim",
    "Yusuf",
    "Anwar",
    "Effendi",
    "Ramadhan",
    "Siswanto",
];
const STREETS: &[&str] = &[
    "Jl. Merdeka",
    "Jl. Sudirman",
    "Jl. Ahmad Yani",
    "Jl. Diponegoro",
    "Jl. Kartini",
    "Jl. Pattimura",
    "Jl. Soekarno",
    "Jl. Hatta",
    "Jl. Cendana",
    "Jl. Flamboyan",
    "Jl. Melati",
    "Jl. Kenanga",
    "Jl. Pelabuhan",
    "Jl. Pasar",
];

/// A standard normal draw (for the other demo generators).
pub(crate) fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    normal(rng)
}

/// Box-Muller standard normal.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// Person-weighted Gini of per-capita values (weights = household sizes), O(n log n).
fn weighted_gini(values: &[(f64, f64)]) -> f64 {
    let mut v: Vec<(f64, f64)> = values.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let w_total: f64 = v.iter().map(|x| x.1).sum();
    let mu = v.iter().map(|x| x.0 * x.1).sum::<f64>() / w_total;
    // G = (1 / (W^2 mu)) * sum_i w_i y_i (2 F_i - W - w_i)... using cumulative weights.
    let mut cum = 0.0;
    let mut acc = 0.0;
    for (y, w) in &v {
        acc += w * y * (2.0 * cum + w - w_total);
        cum += w;
    }
    acc / (w_total * w_total * mu)
}

struct Draft {
    village: usize,
    size: u32,
    dev: f64,
}

/// Generates the synthetic registry for every configured regency present in `regions`.
pub fn generate(
    regions: &Regions,
    opts: DemoOptions,
    today: NaiveDate,
) -> anyhow::Result<(DemoRegistry, Vec<RegencySummary>)> {
    if !(opts.scale > 0.0 && opts.scale <= 10.0) {
        bail!("--scale must be in (0, 10], got {}", opts.scale);
    }
    let mut out = DemoRegistry::default();
    let mut summaries = Vec::new();
    let mut nik_serial: HashMap<(u32, u32), u32> = HashMap::new();
    let mut kk_serial: HashMap<(u32, u32), u32> = HashMap::new();
    for (t_index, t) in TARGETS.iter().enumerate() {
        let code = RegionCode::parse(t.code)?;
        let Some(regency) = regions.get(&code) else {
            continue;
        };
        let mut rng = ChaCha8Rng::seed_from_u64(
            opts.seed
                .wrapping_mul(1_000_003)
                .wrapping_add(t_index as u64),
        );
        let villages: Vec<&RegionCode> = regions.villages_under(&code).map(|r| &r.code).collect();
        if villages.is_empty() {
            continue;
        }
        let target_persons = ((t.population as f64) * opts.scale)
            .round()
            .max(villages.len() as f64) as u64;

        // Village sizes (log-normal weights) and district/village welfare effects.
        let vweights: Vec<f64> = villages
            .iter()
            .map(|_| (0.5 * normal(&mut rng)).exp())
            .collect();
        let wsum: f64 = vweights.iter().sum();
        let mut district_effect: HashMap<String, f64> = HashMap::new();
        let veffect: Vec<f64> = villages
            .iter()
            .map(|v| {
                let d = v
                    .at_level(Level::District)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                let de = *district_effect
                    .entry(d)
                    .or_insert_with(|| 0.10 * normal(&mut rng));
                de + 0.18 * normal(&mut rng)
            })
            .collect();

        // Household sizes, mean about 3.9.
        let size_dist = WeightedIndex::new([8.0, 15.0, 20.0, 22.0, 16.0, 10.0, 5.0, 2.5, 1.5])?;
        let mut drafts: Vec<Draft> = Vec::new();
        let mut assigned = 0u64;
        for (vi, w) in vweights.iter().enumerate() {
            let quota = if vi + 1 == villages.len() {
                target_persons.saturating_sub(assigned)
            } else {
                ((target_persons as f64) * w / wsum).round().max(1.0) as u64
            };
            let quota = quota.max(1);
            let mut left = quota;
            while left > 0 {
                let size = (size_dist.sample(&mut rng) as u64 + 1).min(left) as u32;
                left -= u64::from(size);
                let dev = veffect[vi] - 0.07 * (f64::from(size) - 4.0) + normal(&mut rng);
                drafts.push(Draft {
                    village: vi,
                    size,
                    dev,
                });
            }
            assigned += quota;
        }

        // Spread: find k so that the person-weighted Gini of exp(k * dev) is the target.
        let gini_at = |k: f64| {
            weighted_gini(
                &drafts
                    .iter()
                    .map(|d| ((k * d.dev).exp(), f64::from(d.size)))
                    .collect::<Vec<_>>(),
            )
        };
        let (mut lo, mut hi) = (0.01, 3.0);
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if gini_at(mid) < t.gini {
                lo = mid
            } else {
                hi = mid
            }
        }
        let k = 0.5 * (lo + hi);

        // Level: exactly the target share of persons strictly below the line.
        let mut order: Vec<usize> = (0..drafts.len()).collect();
        order.sort_by(|&a, &b| drafts[a].dev.total_cmp(&drafts[b].dev));
        let total_persons: u64 = drafts.iter().map(|d| u64::from(d.size)).sum();
        let poor_target = (t.p0 * total_persons as f64).round() as u64;
        let mut cum = 0u64;
        let mut cut = 0usize; // households order[..cut] are poor
        while cut < order.len() && cum + u64::from(drafts[order[cut]].size) <= poor_target {
            cum += u64::from(drafts[order[cut]].size);
            cut += 1;
        }
        // Place the line midway (in logs) between the last poor and the first non-poor household.
        let below = if cut > 0 {
            k * drafts[order[cut - 1]].dev
        } else {
            k * drafts[order[0]].dev - 1.0
        };
        let above = if cut < order.len() {
            k * drafts[order[cut]].dev
        } else {
            below + 1.0
        };
        let m = (t.poverty_line as f64).ln() - 0.5 * (below + above);
        let mut rank = vec![0.0f64; drafts.len()];
        let mut is_poor = vec![false; drafts.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = (r as f64 + 0.5) / order.len() as f64;
            is_poor[i] = r < cut;
        }

        let mut women = 0u64;
        let mut poor_persons = 0u64;
        let mut pc_values = Vec::with_capacity(drafts.len());
        let family_names = if t.urban { FAMILY_NTT } else { FAMILY_JAMBI };
        for (hi_, d) in drafts.iter().enumerate() {
            let village = villages[d.village];
            let district6: u32 = village.digits()[..6].parse().unwrap_or(0);
            let pc = (m + k * d.dev).exp();
            let mut monthly = (pc * f64::from(d.size)).round() as i64;
            // Keep rounding from moving a household across the line.
            let line_total = t.poverty_line * i64::from(d.size);
            let poor = is_poor[hi_];
            if poor && monthly >= line_total {
                monthly = line_total - 1;
            } else if !poor && monthly < line_total {
                monthly = line_total;
            }
            if poor {
                poor_persons += u64::from(d.size);
            }
            pc_values.push((monthly as f64 / f64::from(d.size), f64::from(d.size)));
            // True consumption: reports understate by about 8 % with noise.
            let truth = ((monthly as f64) * (0.08 + 0.15 * normal(&mut rng)).exp())
                .round()
                .max(0.0) as i64;
            let r = rank[hi_];

            // Family card: district + issue date + serial.
            let issue = NaiveDate::from_ymd_opt(
                rng.random_range(2005..=2025),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )
            .unwrap_or(today);
            let issue_key =
                issue.day() * 10_000 + issue.month() * 100 + (issue.year() as u32 % 100);
            let serial = kk_serial.entry((district6, issue_key)).or_insert(0);
            *serial += 1;
            let no_kk = NoKk::parse(&format!(
                "{:06}{:02}{:02}{:02}{:04}",
                district6,
                issue.day(),
                issue.month(),
                issue.year() % 100,
                serial
            ))?;
            out.households.push(household_attributes(
                &mut rng,
                no_kk,
                village.clone(),
                Rupiah::new(monthly),
                r,
                t.urban,
            ));
            out.truth.push((no_kk, truth));

            // Members.
            let family = *pick(&mut rng, family_names);
            let head_female = rng.random_bool(if d.size == 1 { 0.35 } else { 0.12 });
            let head_age = rng.random_range(24..=72);
            let mut members: Vec<(Hubungan, bool, i32)> =
                vec![(Hubungan::Kepala, head_female, head_age)];
            let mut left = d.size - 1;
            if left > 0 && rng.random_bool(0.85) {
                let spouse_age = (head_age + rng.random_range(-6..=4)).clamp(18, 90);
                members.push((
                    if head_female {
                        Hubungan::Suami
                    } else {
                        Hubungan::Istri
                    },
                    !head_female,
                    spouse_age,
                ));
                left -= 1;
            }
            if left > 0 && head_age > 55 && rng.random_bool(0.3) {
                members.push((
                    Hubungan::Cucu,
                    rng.random_bool(0.5),
                    rng.random_range(0..=12),
                ));
                left -= 1;
            }
            if left > 0 && head_age < 45 && rng.random_bool(0.15) {
                members.push((
                    Hubungan::OrangTua,
                    rng.random_bool(0.6),
                    (head_age + rng.random_range(22..=32)).min(95),
                ));
                left -= 1;
            }
            for _ in 0..left {
                let max_child = (head_age - 18).max(0);
                let roll: f64 = rng.random();
                let rel = if roll < 0.9 {
                    Hubungan::Anak
                } else if roll < 0.95 {
                    Hubungan::FamiliLain
                } else {
                    Hubungan::Menantu
                };
                members.push((
                    rel,
                    rng.random_bool(0.5),
                    rng.random_range(0..=max_child.min(40)),
                ));
            }
            for (rel, female, age) in members {
                if female {
                    women += 1;
                }
                out.persons.push(person(
                    &mut rng,
                    &mut nik_serial,
                    district6,
                    no_kk,
                    family,
                    rel,
                    female,
                    age,
                    r,
                    t.urban,
                    today,
                )?);
            }
        }
        let gini = weighted_gini(&pc_values);
        let households = drafts.len() as u64;
        summaries.push(RegencySummary {
            code: t.code.to_string(),
            name: regency.name.clone(),
            households,
            persons: total_persons,
            women,
            poverty_line: t.poverty_line,
            poverty_line_source: t.poverty_line_source,
            p0: poor_persons as f64 / total_persons as f64,
            p0_target: t.p0,
            gini,
        });
    }
    Ok((out, summaries))
}

/// The value of the first band whose upper bound exceeds `score`, else `last`.
fn band<T: Copy>(score: f64, bands: &[(f64, T)], last: T) -> T {
    bands
        .iter()
        .find(|(upper, _)| score < *upper)
        .map_or(last, |(_, v)| *v)
}

/// Housing attributes: poorer households (low `r`, the welfare rank in [0, 1]) more
/// often have earth floors, bamboo walls, leaf roofs, unprotected water, no toilet.
fn household_attributes(
    rng: &mut ChaCha8Rng,
    no_kk: NoKk,
    village: RegionCode,
    monthly: Rupiah,
    r: f64,
    urban: bool,
) -> Household {
    let score = (r + 0.25 * normal(rng)).clamp(0.0, 1.0);
    let lantai = band(
        score,
        &[
            (0.1, Lantai::Tanah),
            (0.18, Lantai::Bambu),
            (0.3, Lantai::Kayu),
            (0.65, Lantai::Semen),
        ],
        Lantai::Keramik,
    );
    let dinding = band(
        score,
        &[
            (0.12, Dinding::Bambu),
            (0.3, Dinding::Kayu),
            (0.97, Dinding::Tembok),
        ],
        Dinding::Lainnya,
    );
    let atap = band(
        score,
        &[(0.08, Atap::Daun), (0.75, Atap::Seng), (0.9, Atap::Genteng)],
        Atap::Beton,
    );
    let sumber_air = match (urban, score) {
        (_, s) if s < 0.08 => SumberAir::Sungai,
        (_, s) if s < 0.15 => SumberAir::SumurTidakTerlindung,
        (false, s) if s < 0.25 => SumberAir::MataAir,
        (true, s) if s < 0.2 => SumberAir::Hujan,
        (_, s) if s < 0.5 => SumberAir::SumurTerlindung,
        (_, s) if s < 0.8 => SumberAir::Perpipaan,
        _ => SumberAir::Kemasan,
    };
    let sanitasi = band(
        score,
        &[
            (0.1, Sanitasi::TidakAda),
            (0.2, Sanitasi::Umum),
            (0.35, Sanitasi::Bersama),
        ],
        Sanitasi::Sendiri,
    );
    let listrik = band(
        score,
        &[
            (0.05, Listrik::TidakAda),
            (0.12, Listrik::NonPln),
            (0.3, Listrik::PlnTanpaMeter),
        ],
        Listrik::PlnMeter,
    );
    let bahan_bakar = band(
        score,
        &[
            (0.25, BahanBakar::Kayu),
            (0.35, BahanBakar::MinyakTanah),
            (0.95, BahanBakar::Gas),
        ],
        BahanBakar::Listrik,
    );
    let status_rumah = if score < 0.1 {
        StatusRumah::BebasSewa
    } else if rng.random_bool(if urban { 0.25 } else { 0.1 }) {
        StatusRumah::Sewa
    } else {
        StatusRumah::MilikSendiri
    };
    Household {
        no_kk,
        kode_wilayah: village,
        rt: Some(format!("{:03}", rng.random_range(1..=25))),
        rw: Some(format!("{:03}", rng.random_range(1..=8))),
        alamat: Some(format!(
            "{} No. {}",
            pick(rng, STREETS),
            rng.random_range(1..=150)
        )),
        pengeluaran_bulanan: monthly,
        lantai: Some(lantai),
        dinding: Some(dinding),
        atap: Some(atap),
        sumber_air: Some(sumber_air),
        sanitasi: Some(sanitasi),
        listrik: Some(listrik),
        bahan_bakar: Some(bahan_bakar),
        status_rumah: Some(status_rumah),
    }
}

#[allow(clippy::too_many_arguments)]
fn person(
    rng: &mut ChaCha8Rng,
    serials: &mut HashMap<(u32, u32), u32>,
    district6: u32,
    no_kk: NoKk,
    family: &str,
    rel: Hubungan,
    female: bool,
    age: i32,
    r: f64,
    urban: bool,
    today: NaiveDate,
) -> anyhow::Result<Person> {
    let year = today.year() - age;
    let birth = NaiveDate::from_ymd_opt(year, rng.random_range(1..=12), rng.random_range(1..=28))
        .context("birth date")?;
    let birth = if birth > today {
        birth.with_year(year - 1).unwrap_or(birth)
    } else {
        birth
    };
    // A small share of records carry a NIK whose date disagrees with the stated
    // birth date, as real registries do: they become data-quality flags.
    let nik_date = if rng.random_bool(0.004) {
        birth.succ_opt().unwrap_or(birth)
    } else {
        birth
    };
    let day = nik_date.day() + if female { 40 } else { 0 };
    let key = day * 10_000 + nik_date.month() * 100 + (nik_date.year() as u32 % 100);
    let serial = serials.entry((district6, key)).or_insert(0);
    *serial += 1;
    if *serial > 9999 {
        bail!("NIK serials exhausted for one district and birth date; lower --scale");
    }
    let nik = Nik::parse(&format!(
        "{:06}{:02}{:02}{:02}{:04}",
        district6,
        day,
        nik_date.month(),
        nik_date.year() % 100,
        serial
    ))?;
    let given = if female {
        pick(rng, FEMALE)
    } else {
        pick(rng, MALE)
    };
    let nama = if rel == Hubungan::Istri || rel == Hubungan::OrangTua || rel == Hubungan::Mertua {
        format!(
            "{} {}",
            given,
            pick(rng, if urban { FAMILY_NTT } else { FAMILY_JAMBI })
        )
    } else {
        format!("{given} {family}")
    };
    let school = (r + 0.3 * normal(rng)).clamp(0.0, 1.0);
    let pendidikan = if age < 7 {
        None
    } else if age < 13 {
        Some(Pendidikan::TidakSekolah)
    } else if age < 16 {
        Some(Pendidikan::Sd)
    } else {
        Some(if school < 0.1 {
            Pendidikan::TidakSekolah
        } else if school < 0.35 {
            Pendidikan::Sd
        } else if school < 0.55 {
            Pendidikan::Smp
        } else if school < 0.82 {
            Pendidikan::Sma
        } else if school < 0.88 {
            Pendidikan::Diploma
        } else if school < 0.98 {
            Pendidikan::Sarjana
        } else {
            Pendidikan::Pascasarjana
        })
    };
    let working = (18..65).contains(&age)
        && (rel == Hubungan::Kepala || rng.random_bool(if female { 0.45 } else { 0.75 }));
    let (sektor, pekerjaan) = if age < 15 {
        (None, None)
    } else if !working {
        (
            Some(Sektor::TidakBekerja),
            Some(
                if age < 25 {
                    "Pelajar/Mahasiswa"
                } else {
                    "Mengurus rumah tangga"
                }
                .to_string(),
            ),
        )
    } else {
        let roll: f64 = rng.random();
        let s = if urban {
            if roll < 0.05 {
                Sektor::Pertanian
            } else if roll < 0.12 {
                Sektor::Perikanan
            } else if roll < 0.2 {
                Sektor::Industri
            } else if roll < 0.45 {
                Sektor::Perdagangan
            } else if roll < 0.85 {
                Sektor::Jasa
            } else if roll < 0.95 {
                Sektor::Konstruksi
            } else {
                Sektor::Lainnya
            }
        } else if roll < 0.6 {
            Sektor::Pertanian
        } else if roll < 0.65 {
            Sektor::Perikanan
        } else if roll < 0.72 {
            Sektor::Industri
        } else if roll < 0.84 {
            Sektor::Perdagangan
        } else if roll < 0.94 {
            Sektor::Jasa
        } else if roll < 0.98 {
            Sektor::Konstruksi
        } else {
            Sektor::Lainnya
        };
        let job = match s {
            Sektor::Pertanian => {
                if urban {
                    "Petani hortikultura"
                } else {
                    "Petani karet"
                }
            }
            Sektor::Perikanan => "Nelayan",
            Sektor::Industri => {
                if female {
                    "Penenun"
                } else {
                    "Pengrajin"
                }
            }
            Sektor::Perdagangan => "Pedagang",
            Sektor::Jasa => {
                if school > 0.8 {
                    "Pegawai"
                } else {
                    "Ojek"
                }
            }
            Sektor::Konstruksi => "Buruh bangunan",
            _ => "Wiraswasta",
        };
        (Some(s), Some(job.to_string()))
    };
    let status_kawin = match rel {
        Hubungan::Istri | Hubungan::Suami => StatusKawin::Kawin,
        Hubungan::Kepala => {
            if rng.random_bool(0.8) {
                StatusKawin::Kawin
            } else if rng.random_bool(0.5) {
                StatusKawin::CeraiMati
            } else {
                StatusKawin::CeraiHidup
            }
        }
        Hubungan::OrangTua | Hubungan::Mertua => StatusKawin::CeraiMati,
        _ => {
            if age >= 20 && rng.random_bool(0.3) {
                StatusKawin::Kawin
            } else {
                StatusKawin::Belum
            }
        }
    };
    let mut flags = Vec::new();
    if nik_date != birth {
        flags.push(QualityFlag::NikBirthDateMismatch);
    }
    Ok(Person {
        nik,
        no_kk,
        nama,
        jenis_kelamin: if female {
            JenisKelamin::P
        } else {
            JenisKelamin::L
        },
        tanggal_lahir: birth,
        hubungan: Some(rel),
        pendidikan,
        pekerjaan,
        sektor,
        disabilitas: Some(if rng.random_bool(0.02 + 0.0006 * f64::from(age.max(0))) {
            Disabilitas::Ya
        } else {
            Disabilitas::Tidak
        }),
        status_kawin: Some(status_kawin),
        flags,
    })
}

/// What `seed` created (or found) in the database.
#[derive(Debug)]
pub enum DemoOutcome {
    /// A new registry was generated and stored.
    Created(Vec<RegencySummary>),
    /// The database already holds the demo with this seed and scale.
    Reused,
}

/// Creates the demo registry in the store, or reuses it when the same seed and
/// scale are already there. Refuses to mix the demo into a different registry.
pub async fn seed(
    store: &Store,
    regions: &Regions,
    opts: DemoOptions,
    today: NaiveDate,
    progress: &dyn Progress,
) -> anyhow::Result<DemoOutcome> {
    let key = format!("seed={} scale={}", opts.seed, opts.scale);
    let (households, _) = store.totals().await?;
    match store.meta("demo").await? {
        Some(existing) if existing == key => {
            // A demo stored before the welfare ranking existed gets it now.
            if store.welfare_count().await? == 0 {
                welfare_ranking(store, regions, opts, today, progress).await?;
            }
            return Ok(DemoOutcome::Reused);
        }
        Some(existing) => bail!(
            "this database holds the demo registry generated with {existing}; use another --db (or delete the file) for {key}"
        ),
        None if households > 0 => bail!(
            "this database already holds a registry ({households} households) that is not the demo; use another --db for the demo"
        ),
        None => {}
    }
    progress.start("generating the synthetic registry", None);
    let (reg, summaries) = generate(regions, opts, today)?;
    progress.finish();
    let total = (reg.households.len() + reg.persons.len()) as u64;
    progress.start("storing the synthetic registry", Some(total));
    let mut meta = vec![("demo".to_string(), key)];
    for s in &summaries {
        meta.push((
            format!("poverty_line:{}", s.code),
            s.poverty_line.to_string(),
        ));
    }
    store
        .write_demo(&reg.households, &reg.persons, &reg.truth, &meta, &mut |n| {
            progress.advance(n)
        })
        .await?;
    progress.finish();
    welfare_ranking(store, regions, opts, today, progress).await?;
    Ok(DemoOutcome::Created(summaries))
}

// ---- Welfare ranking of the demo (issue 6) ----

/// Share of the demo's households in the PMT fitting sample.
pub const PMT_SAMPLE_FRACTION: f64 = 0.1;

/// Fits the PMT on a sample of the demo's true consumption (a stand-in for a
/// SUSENAS sample: [`PMT_SAMPLE_FRACTION`] of the households, drawn with the demo's
/// seed), scores every household and stores its decile within its regency.
pub async fn welfare_ranking(
    store: &Store,
    regions: &Regions,
    opts: DemoOptions,
    today: NaiveDate,
    progress: &dyn Progress,
) -> anyhow::Result<sejahtera_app::pmt::Fit> {
    progress.start("fitting the proxy-means test and ranking households", None);
    let snap = sejahtera_app::snapshot::load(store, regions, today, false).await?;
    let sample =
        sejahtera_app::pmt::sample_from_truth(store, &snap, PMT_SAMPLE_FRACTION, opts.seed).await?;
    let mut fit = sejahtera_app::pmt::fit(&snap, &sample)?;
    fit.weights.source = Some(format!(
        "demo (seed {}, scale {}): {} % sample of household_truth",
        opts.seed,
        opts.scale,
        PMT_SAMPLE_FRACTION * 100.0
    ));
    sejahtera_app::pmt::score_and_store(
        store,
        &snap,
        &fit.weights,
        Level::Regency,
        &sejahtera_app::FixedClock::on(today),
    )
    .await?;
    progress.finish();
    Ok(fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        sejahtera_app::regions::load_region_files(&sejahtera_app::regions::default_data_dir())
            .unwrap()
    }

    #[test]
    fn demo_lines_are_the_shipped_poverty_lines() {
        let lines =
            sejahtera_app::regions::load_poverty_lines(&sejahtera_app::regions::default_data_dir())
                .unwrap();
        for t in TARGETS {
            let l = lines.iter().find(|l| l.code.as_str() == t.code).unwrap();
            assert_eq!(l.amount, t.poverty_line, "{}", t.code);
        }
    }

    #[test]
    fn small_demo_is_calibrated_and_deterministic() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let r = regions();
        let (a, sa) = generate(
            &r,
            DemoOptions {
                seed: 7,
                scale: 0.02,
            },
            today,
        )
        .unwrap();
        let (b, _) = generate(
            &r,
            DemoOptions {
                seed: 7,
                scale: 0.02,
            },
            today,
        )
        .unwrap();
        assert_eq!(a.households, b.households);
        assert_eq!(a.persons.len(), b.persons.len());
        assert_eq!(sa.len(), 2);
        for s in &sa {
            assert!((s.p0 - s.p0_target).abs() < 0.002, "{} p0 {}", s.code, s.p0);
            assert!((s.gini - 0.32).abs() < 0.01, "{} gini {}", s.code, s.gini);
            let hh_size = s.persons as f64 / s.households as f64;
            assert!((3.5..4.3).contains(&hh_size), "household size {hh_size}");
            let women = s.women as f64 / s.persons as f64;
            assert!((0.45..0.55).contains(&women), "women {women}");
        }
        // Every village has households.
        let villages: std::collections::HashSet<_> = a
            .households
            .iter()
            .map(|h| h.kode_wilayah.clone())
            .collect();
        assert_eq!(villages.len(), 51 + 158);
        // Every NIK is unique and valid, and every household has exactly one head.
        let niks: std::collections::HashSet<_> = a.persons.iter().map(|p| p.nik).collect();
        assert_eq!(niks.len(), a.persons.len());
        let mut heads: HashMap<NoKk, u32> = HashMap::new();
        for p in &a.persons {
            if p.hubungan == Some(Hubungan::Kepala) {
                *heads.entry(p.no_kk).or_default() += 1;
            }
        }
        assert_eq!(heads.len(), a.households.len());
        assert!(heads.values().all(|&n| n == 1));
    }
}
