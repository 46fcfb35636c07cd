//! The demo's programs (issue 6): the seed's cases — women's sewing and cooking
//! training in Kupang, farmer field schools, a women's natural-fibre craft group
//! and micro-enterprise mentoring in Sarolangun, credit access through a partner
//! bank and a koperasi — with candidates, enrollments, attendance, mentoring
//! visits, referrals and quarterly outcomes.
//!
//! Every decision goes through the same rules as a real one
//! ([`sejahtera_domain::programs::decide`] and the delivery checks); only the
//! storing is batched. The outcomes are generated with a known effect so that an
//! impact evaluation of the demo has a truth to recover: each household has its
//! own income level, all share a common trend, and participants gain
//! [`DemoProgram::effect`] Rupiah a month from the quarter they enroll in (the
//! first batch in 2025 Q4, the second in 2026 Q2), growing by a tenth each quarter.
//! Candidates proposed but not enrolled (capacity) are surveyed too: they are the
//! comparison group. Nothing here reads the future: every date lies before
//! 2026-11-01.

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sejahtera_domain::access::Actor;
use sejahtera_domain::codes::{Hubungan, JenisKelamin, Sektor};
use sejahtera_domain::delivery::{
    self, Outcome, OutcomeSource, Partner, PartnerKind, Referral, ReferralStatus, Service, Session,
    Visit,
};
use sejahtera_domain::programs::{
    Command, Decision, Enrollments, Event, Program, ProgramKind, Sector, decide,
};
use sejahtera_domain::registry::Person;
use sejahtera_domain::{NoKk, Regions, Rupiah};
use sejahtera_store::{ReferralUpdate, Store};

use sejahtera_app::Progress;

/// A demo partner.
struct DemoPartner {
    name: &'static str,
    kind: PartnerKind,
    services: &'static [Service],
    contact: &'static str,
}

const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        name: "Bank NTT Cabang Kupang (demo)",
        kind: PartnerKind::Bank,
        services: &[Service::Kur, Service::Tabungan],
        contact: "Jl. W. J. Lalamentik, Kupang",
    },
    DemoPartner {
        name: "Koperasi Simpan Pinjam Flobamora (demo)",
        kind: PartnerKind::Koperasi,
        services: &[Service::Kredit, Service::Tabungan],
        contact: "Oebobo, Kupang",
    },
    DemoPartner {
        name: "Bank Jambi Cabang Sarolangun (demo)",
        kind: PartnerKind::Bank,
        services: &[Service::Kur, Service::Tabungan],
        contact: "Jl. Lintas Sumatera, Sarolangun",
    },
    DemoPartner {
        name: "CV Anyaman Serat Jambi (demo)",
        kind: PartnerKind::Usaha,
        services: &[Service::AksesPasar],
        contact: "Pasar Sarolangun",
    },
    DemoPartner {
        name: "Toko Oleh-oleh Kupang Sejahtera (demo)",
        kind: PartnerKind::Usaha,
        services: &[Service::AksesPasar],
        contact: "Kelapa Lima, Kupang",
    },
];

/// Who takes part for a household.
#[derive(Debug, Clone, Copy)]
enum Takes {
    /// A woman aged 18–55 (the head if she qualifies).
    Woman,
    /// A member working in agriculture (the head first).
    Farmer,
    /// A member in trade, industry or services (the head first).
    Trader,
}

/// A demo program.
pub struct DemoProgram {
    /// Name.
    pub name: &'static str,
    sector: Sector,
    agency: &'static str,
    kind: ProgramKind,
    start: (i32, u32, u32),
    end: (i32, u32, u32),
    budget: i64,
    /// Capacity at full scale.
    capacity: u32,
    eligibility: &'static str,
    /// Names of demo programs it is exclusive with.
    exclusive: &'static [&'static str],
    /// Partner names.
    partners: &'static [&'static str],
    takes: Takes,
    /// Training sessions.
    sessions: u32,
    /// Mentoring visits per participant.
    visits: u32,
    /// Referrals: (partner, service, share of participants).
    referrals: &'static [(&'static str, Service, f64)],
    /// Effect on monthly income (Rupiah) from the quarter of enrollment.
    pub effect: i64,
    /// Added chance of running a business after enrollment.
    business_effect: f64,
}

/// The agencies (OPD) of the demo; the demo's agency operators work for them.
pub const AGENCY_P3A_KUPANG: &str =
    "Dinas Pemberdayaan Perempuan dan Perlindungan Anak Kota Kupang";
/// Cooperatives and SMEs, Kupang.
pub const AGENCY_KOPERASI_KUPANG: &str = "Dinas Koperasi, Usaha Kecil dan Menengah Kota Kupang";
/// Agriculture, Sarolangun.
pub const AGENCY_PERTANIAN_SAROLANGUN: &str = "Dinas Pertanian Kabupaten Sarolangun";
/// Cooperatives, SMEs and trade, Sarolangun.
pub const AGENCY_KOPERASI_SAROLANGUN: &str =
    "Dinas Koperasi, Usaha Kecil, Menengah dan Perdagangan Kabupaten Sarolangun";

/// The region each demo agency works for.
pub fn agency_region(agency: &str) -> Option<&'static str> {
    match agency {
        AGENCY_P3A_KUPANG | AGENCY_KOPERASI_KUPANG => Some("53.71"),
        AGENCY_PERTANIAN_SAROLANGUN | AGENCY_KOPERASI_SAROLANGUN => Some("15.03"),
        _ => None,
    }
}

/// The demo's programs.
pub const PROGRAMS: &[DemoProgram] = &[
    DemoProgram {
        name: "Pelatihan Menjahit Perempuan Kota Kupang",
        sector: Sector::PemberdayaanPerempuan,
        agency: AGENCY_P3A_KUPANG,
        kind: ProgramKind::Pelatihan,
        start: (2025, 9, 15),
        end: (2026, 6, 30),
        budget: 180_000_000,
        capacity: 60,
        eligibility: r#"desil <= 4 and kepala.jenis_kelamin == "P" and any(anggota, umur >= 18 and umur <= 55) and di_wilayah("53.71")"#,
        exclusive: &[],
        partners: &["Toko Oleh-oleh Kupang Sejahtera (demo)"],
        takes: Takes::Woman,
        sessions: 16,
        visits: 0,
        referrals: &[(
            "Toko Oleh-oleh Kupang Sejahtera (demo)",
            Service::AksesPasar,
            0.3,
        )],
        effect: 350_000,
        business_effect: 0.35,
    },
    DemoProgram {
        name: "Pelatihan Tata Boga Perempuan Kota Kupang",
        sector: Sector::PemberdayaanPerempuan,
        agency: AGENCY_P3A_KUPANG,
        kind: ProgramKind::Pelatihan,
        start: (2025, 9, 15),
        end: (2026, 6, 30),
        budget: 150_000_000,
        capacity: 60,
        eligibility: r#"desil <= 4 and kepala.jenis_kelamin == "P" and any(anggota, umur >= 18 and umur <= 55) and di_wilayah("53.71")"#,
        exclusive: &["Pelatihan Menjahit Perempuan Kota Kupang"],
        partners: &["Toko Oleh-oleh Kupang Sejahtera (demo)"],
        takes: Takes::Woman,
        sessions: 12,
        visits: 0,
        referrals: &[(
            "Toko Oleh-oleh Kupang Sejahtera (demo)",
            Service::AksesPasar,
            0.4,
        )],
        effect: 300_000,
        business_effect: 0.40,
    },
    DemoProgram {
        name: "Sekolah Lapang Petani Sarolangun",
        sector: Sector::Pertanian,
        agency: AGENCY_PERTANIAN_SAROLANGUN,
        kind: ProgramKind::Pelatihan,
        start: (2025, 9, 15),
        end: (2026, 8, 31),
        budget: 420_000_000,
        capacity: 150,
        eligibility: r#"desil <= 5 and any(anggota, sektor == "pertanian" and umur >= 18) and di_wilayah("15.03")"#,
        exclusive: &[],
        partners: &["Bank Jambi Cabang Sarolangun (demo)"],
        takes: Takes::Farmer,
        sessions: 10,
        visits: 2,
        referrals: &[("Bank Jambi Cabang Sarolangun (demo)", Service::Kur, 0.15)],
        effect: 250_000,
        business_effect: 0.05,
    },
    DemoProgram {
        name: "Kelompok Kerajinan Serat Alam Perempuan Sarolangun",
        sector: Sector::IndustriKreatif,
        agency: AGENCY_KOPERASI_SAROLANGUN,
        kind: ProgramKind::Pendampingan,
        start: (2025, 9, 15),
        end: (2026, 12, 31),
        budget: 120_000_000,
        capacity: 40,
        eligibility: r#"desil <= 4 and any(anggota, jenis_kelamin == "P" and umur >= 18 and umur <= 55) and di_wilayah("15.03")"#,
        exclusive: &[],
        partners: &["CV Anyaman Serat Jambi (demo)"],
        takes: Takes::Woman,
        sessions: 8,
        visits: 4,
        referrals: &[("CV Anyaman Serat Jambi (demo)", Service::AksesPasar, 0.8)],
        effect: 400_000,
        business_effect: 0.45,
    },
    DemoProgram {
        name: "Pendampingan Usaha Mikro Sarolangun",
        sector: Sector::Umkm,
        agency: AGENCY_KOPERASI_SAROLANGUN,
        kind: ProgramKind::Pendampingan,
        start: (2025, 9, 15),
        end: (2026, 12, 31),
        budget: 250_000_000,
        capacity: 100,
        eligibility: r#"desil <= 6 and any(anggota, sektor in ["perdagangan", "industri"] and umur >= 18) and di_wilayah("15.03")"#,
        exclusive: &["Kelompok Kerajinan Serat Alam Perempuan Sarolangun"],
        partners: &[
            "Bank Jambi Cabang Sarolangun (demo)",
            "CV Anyaman Serat Jambi (demo)",
        ],
        takes: Takes::Trader,
        sessions: 4,
        visits: 5,
        referrals: &[
            ("Bank Jambi Cabang Sarolangun (demo)", Service::Kur, 0.4),
            ("CV Anyaman Serat Jambi (demo)", Service::AksesPasar, 0.1),
        ],
        effect: 450_000,
        business_effect: 0.25,
    },
    DemoProgram {
        name: "Akses Kredit Usaha Rakyat dan Koperasi Kota Kupang",
        sector: Sector::Umkm,
        agency: AGENCY_KOPERASI_KUPANG,
        kind: ProgramKind::AksesKredit,
        start: (2025, 9, 15),
        end: (2026, 12, 31),
        budget: 90_000_000,
        capacity: 120,
        eligibility: r#"desil >= 2 and desil <= 6 and any(anggota, sektor in ["perdagangan", "industri", "jasa"] and umur >= 21) and di_wilayah("53.71")"#,
        exclusive: &[],
        partners: &[
            "Bank NTT Cabang Kupang (demo)",
            "Koperasi Simpan Pinjam Flobamora (demo)",
        ],
        takes: Takes::Trader,
        sessions: 3,
        visits: 2,
        referrals: &[
            ("Bank NTT Cabang Kupang (demo)", Service::Kur, 0.7),
            (
                "Koperasi Simpan Pinjam Flobamora (demo)",
                Service::Kredit,
                0.3,
            ),
        ],
        effect: 500_000,
        business_effect: 0.20,
    },
];

/// The first day of each batch: batch 1 in 2025 Q4, batch 2 in 2026 Q2.
const BATCHES: [(i32, u32, u32); 2] = [(2025, 10, 1), (2026, 4, 1)];
/// Survey days (one per quarter, 2025 Q2 – 2026 Q3).
const SURVEYS: [(i32, u32, u32); 6] = [
    (2025, 6, 15),
    (2025, 9, 15),
    (2025, 12, 15),
    (2026, 3, 15),
    (2026, 6, 15),
    (2026, 9, 15),
];
/// The last day anything of the demo happens.
const LAST_DAY: (i32, u32, u32) = (2026, 10, 31);

fn ymd((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid demo date")
}

fn at(day: NaiveDate) -> DateTime<Utc> {
    // 10:00 in Kupang (WITA), 09:00 in Sarolangun (WIB).
    day.and_hms_opt(2, 0, 0).expect("valid").and_utc()
}

fn age(p: &Person, on: NaiveDate) -> i32 {
    let mut a = on.year() - p.tanggal_lahir.year();
    if (on.month(), on.day()) < (p.tanggal_lahir.month(), p.tanggal_lahir.day()) {
        a -= 1;
    }
    a
}

fn participant(takes: Takes, members: &[Person], on: NaiveDate) -> Option<&Person> {
    let ok = |p: &&Person| match takes {
        Takes::Woman => p.jenis_kelamin == JenisKelamin::P && (18..=55).contains(&age(p, on)),
        Takes::Farmer => p.sektor == Some(Sektor::Pertanian) && age(p, on) >= 18,
        Takes::Trader => {
            matches!(
                p.sektor,
                Some(Sektor::Perdagangan | Sektor::Industri | Sektor::Jasa)
            ) && age(p, on) >= 18
        }
    };
    members
        .iter()
        .filter(ok)
        .find(|p| p.hubungan == Some(Hubungan::Kepala))
        .or_else(|| members.iter().find(ok))
}

/// What seeding the demo programs did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramsSeeded {
    /// Programs created.
    pub programs: usize,
    /// Households that were enrolled at some time.
    pub participants: usize,
    /// Enrollment events.
    pub events: usize,
    /// Outcome observations.
    pub outcomes: usize,
}

const EXIT_REASONS: &[&str] = &[
    "pindah domisili",
    "bekerja di luar daerah",
    "alasan keluarga (merawat anggota keluarga)",
    "tidak hadir lebih dari 3 kali berturut-turut",
];

const VISIT_NOTES: &[&str] = &[
    "Meninjau pembukuan sederhana; catatan penjualan sudah rutin.",
    "Membahas harga jual dan biaya bahan; disepakati menaikkan harga 10 %.",
    "Membantu menyiapkan dokumen pengajuan KUR (NIB, foto usaha).",
    "Mengecek kualitas produk; perlu perbaikan jahitan/anyaman pada tepi.",
    "Diskusi pemasaran lewat media sosial dan titip jual di toko.",
    "Usaha berjalan; kendala bahan baku saat musim hujan.",
];

/// Creates the demo's partners and programs and runs them (events, sessions,
/// attendance, visits, referrals, outcomes), unless the database holds programs
/// already. `actor_of(agency)` gives the user id recorded for an agency's
/// decisions (0, the console, when the agency has no account).
pub async fn seed_programs(
    store: &Store,
    regions: &Regions,
    seed: u64,
    today: NaiveDate,
    actor_of: &dyn Fn(&str) -> i64,
    progress: &dyn Progress,
) -> anyhow::Result<Option<ProgramsSeeded>> {
    if !store.programs().await?.is_empty() {
        return Ok(None);
    }
    progress.start("running the demo's programs", Some(PROGRAMS.len() as u64));
    let console = Actor::console();
    let mut partner_ids = Vec::new();
    for p in PARTNERS {
        let id = sejahtera_app::delivery::create_partner(
            store,
            &console,
            &Partner {
                id: 0,
                name: p.name.into(),
                kind: p.kind,
                services: p.services.iter().copied().collect(),
                contact: p.contact.into(),
            },
        )
        .await?;
        partner_ids.push((p.name, id));
    }
    let partner_id = |name: &str| -> anyhow::Result<i64> {
        partner_ids
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, id)| *id)
            .with_context(|| format!("demo partner {name}"))
    };
    let snap = sejahtera_app::snapshot::load(store, regions, today, false).await?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e1a_7e2a);
    let mut state = Enrollments::default();
    let mut all_programs: Vec<Program> = Vec::new();
    let mut seeded = ProgramsSeeded::default();
    let last = ymd(LAST_DAY).min(today);
    for spec in PROGRAMS {
        let mut program = Program {
            id: 0,
            name: spec.name.into(),
            sector: spec.sector,
            agency: spec.agency.into(),
            kind: spec.kind,
            start: ymd(spec.start),
            end: ymd(spec.end),
            budget: Rupiah::new(spec.budget),
            capacity: 0,
            quotas: Default::default(),
            eligibility: spec.eligibility.into(),
            exclusive_with: spec
                .exclusive
                .iter()
                .filter_map(|n| all_programs.iter().find(|p| p.name == *n).map(|p| p.id))
                .collect(),
            partners: spec
                .partners
                .iter()
                .map(|n| partner_id(n))
                .collect::<anyhow::Result<BTreeSet<_>>>()?,
        };
        // Candidates: the expression's matches, in a seeded order.
        let compiled = sejahtera_app::eligibility::compile(spec.eligibility)?;
        let selected = sejahtera_app::eligibility::select(&snap, &compiled, None)?;
        let mut candidates: Vec<usize> = (0..selected.len()).filter(|h| selected[*h]).collect();
        for i in (1..candidates.len()).rev() {
            let j = rng.random_range(0..=i);
            candidates.swap(i, j);
        }
        // Scale the capacity to the registry: at most a third of the candidates.
        let capacity = spec
            .capacity
            .min((candidates.len() / 3) as u32)
            .max(candidates.len().min(4) as u32);
        program.capacity = capacity;
        // Twice the capacity is proposed; the rest of the proposed are the comparison group.
        candidates.truncate(2 * capacity as usize);
        let agency_actor = actor_of(spec.agency);
        program.id = sejahtera_app::programs::create(store, regions, &console, &program).await?;
        all_programs.push(program.clone());
        let program = program;

        let mut events: Vec<Event> = Vec::new();
        let step = |state: &mut Enrollments,
                    events: &mut Vec<Event>,
                    h: usize,
                    command: Command,
                    day: NaiveDate,
                    why: &str,
                    participant: Option<u64>|
         -> bool {
            let village = &snap.cols.villages[snap.cols.village[h] as usize];
            let decision = Decision {
                actor: agency_actor,
                at: at(day),
                why: why.into(),
            };
            match decide(
                state,
                &program,
                &all_programs,
                snap.no_kk[h],
                village,
                &command,
                &decision,
            ) {
                Ok(mut e) => {
                    if participant.is_some() {
                        e.participant = participant;
                    }
                    state.apply(&e);
                    events.push(e);
                    true
                }
                Err(_) => false,
            }
        };
        let proposed_on = program.start;
        struct Taking {
            h: usize,
            kk: u64,
            batch: usize,
            enrolled: NaiveDate,
            left: Option<NaiveDate>,
        }
        let mut taking: Vec<Taking> = Vec::new();
        let mut comparison: Vec<usize> = Vec::new();
        for (i, &h) in candidates.iter().enumerate() {
            let kk = NoKk::parse(&format!("{:016}", snap.no_kk[h]))?;
            let Some((_, members)) = store.household_detail(&kk).await? else {
                continue;
            };
            let Some(who) = participant(spec.takes, &members, program.start) else {
                continue;
            };
            let who = who.nik.as_u64();
            if !step(
                &mut state,
                &mut events,
                h,
                Command::Propose,
                proposed_on,
                "hasil musyawarah kelurahan/desa atas daftar calon (uji eligibilitas)",
                Some(who),
            ) {
                continue;
            }
            // Even positions up to the capacity enroll: batch 1 then batch 2.
            let batch = if taking.len() < capacity as usize / 2 {
                0
            } else {
                1
            };
            let wants = i % 2 == 0;
            if taking.len() >= capacity as usize || !wants {
                comparison.push(h);
                continue;
            }
            let enrolled = ymd(BATCHES[batch]) + Duration::days(rng.random_range(0..10));
            if !step(
                &mut state,
                &mut events,
                h,
                Command::Enroll,
                enrolled,
                "terpilih dalam rapat penetapan peserta",
                Some(who),
            ) {
                comparison.push(h);
                continue;
            }
            let active = enrolled + Duration::days(7);
            step(
                &mut state,
                &mut events,
                h,
                Command::Activate,
                active,
                "hadir pada pertemuan pertama",
                None,
            );
            let mut left = None;
            if rng.random::<f64>() < 0.12 {
                let day = active + Duration::days(rng.random_range(20..200));
                if day <= last {
                    let reason = EXIT_REASONS[rng.random_range(0..EXIT_REASONS.len())];
                    step(
                        &mut state,
                        &mut events,
                        h,
                        Command::Exit {
                            reason: reason.into(),
                        },
                        day,
                        "laporan pendamping",
                        None,
                    );
                    left = Some(day);
                }
            }
            if left.is_none() && program.end <= last {
                step(
                    &mut state,
                    &mut events,
                    h,
                    Command::Graduate,
                    program.end,
                    "menyelesaikan seluruh sesi dan praktik",
                    None,
                );
                left = Some(program.end);
            }
            taking.push(Taking {
                h,
                kk: snap.no_kk[h],
                batch,
                enrolled,
                left,
            });
        }
        store.append_enrollment_events(&events).await?;
        seeded.events += events.len();
        seeded.participants += taking.len();

        // Training sessions of each batch (every two weeks, monthly for short programs,
        // closer together when the period left is short), with the attendance of the
        // batch's participants holding a place that day.
        for (batch, first_day) in BATCHES.iter().enumerate() {
            let first = ymd(*first_day) + Duration::days(3);
            let until = program.end.min(last);
            if first > until || spec.sessions == 0 {
                continue;
            }
            let usual = if spec.sessions >= 8 { 14 } else { 30 };
            let step = ((until - first).num_days() / spec.sessions as i64).clamp(3, usual);
            for n in 0..spec.sessions {
                let day = first + Duration::days(step * n as i64);
                if day > until {
                    break;
                }
                let topic = format!("Angkatan {} · sesi {}", batch + 1, n + 1);
                delivery::check_session(&program, day, &topic)?;
                let session = store
                    .create_training_session(
                        &Session {
                            id: 0,
                            program: program.id,
                            date: day,
                            topic,
                            place: "Aula kantor kelurahan/desa".into(),
                        },
                        agency_actor,
                    )
                    .await?;
                let marks: Vec<(u64, bool)> = taking
                    .iter()
                    .filter(|t| {
                        t.batch == batch && t.enrolled <= day && t.left.is_none_or(|l| l >= day)
                    })
                    .map(|t| (t.kk, rng.random::<f64>() < 0.86))
                    .collect();
                store
                    .record_attendance(session, &marks, agency_actor)
                    .await?;
            }
        }

        // Mentoring visits.
        for t in &taking {
            for v in 0..spec.visits {
                let day = t.enrolled + Duration::days(30 + 45 * v as i64 + rng.random_range(0..10));
                if day > last || t.left.is_some_and(|l| day > l) {
                    break;
                }
                let notes = VISIT_NOTES[rng.random_range(0..VISIT_NOTES.len())];
                delivery::check_visit(&state, &program, t.kk, day, notes, today)?;
                store
                    .add_visit(&Visit {
                        id: 0,
                        program: program.id,
                        household: t.kk,
                        date: day,
                        mentor: agency_actor,
                        notes: notes.into(),
                    })
                    .await?;
            }
        }

        // Referrals to partners, and what came of them.
        let partners = store.partners().await?;
        for t in &taking {
            for (name, service, share) in spec.referrals {
                if rng.random::<f64>() >= *share {
                    continue;
                }
                let referred_on = t.enrolled + Duration::days(rng.random_range(40..120));
                if referred_on > last {
                    continue;
                }
                let partner = partners
                    .iter()
                    .find(|p| p.name == *name)
                    .context("demo partner")?;
                delivery::check_referral(&state, &program, &partners, t.kk, partner, *service)?;
                let id = store
                    .create_referral(
                        &Referral {
                            id: 0,
                            program: program.id,
                            household: t.kk,
                            partner: partner.id,
                            service: *service,
                            status: ReferralStatus::Referred,
                            result: None,
                            amount: None,
                            referred_on,
                            updated_on: referred_on,
                        },
                        agency_actor,
                    )
                    .await?;
                let decided = referred_on + Duration::days(rng.random_range(7..30));
                if decided > last {
                    continue;
                }
                let (status, result, amount) = if rng.random::<f64>() < 0.75 {
                    (ReferralStatus::Accepted, None, None)
                } else {
                    let why = match service {
                        Service::AksesPasar => "kualitas produk belum memenuhi standar toko",
                        _ => "usaha belum berjalan 6 bulan (syarat KUR mikro)",
                    };
                    (ReferralStatus::Rejected, Some(why), None)
                };
                store
                    .update_referral(&ReferralUpdate {
                        referral: id,
                        status,
                        result,
                        amount,
                        day: decided,
                        actor: 0,
                    })
                    .await?;
                let done = decided + Duration::days(rng.random_range(7..45));
                if status != ReferralStatus::Accepted || done > last || rng.random::<f64>() < 0.15 {
                    continue;
                }
                let (result, amount) = match service {
                    Service::AksesPasar => (
                        "pesanan pertama diterima dan dibayar",
                        rng.random_range(15..60) * 100_000,
                    ),
                    Service::Kur => ("KUR mikro disalurkan", rng.random_range(5..=25) * 1_000_000),
                    _ => (
                        "pinjaman koperasi dicairkan",
                        rng.random_range(2..=10) * 1_000_000,
                    ),
                };
                store
                    .update_referral(&ReferralUpdate {
                        referral: id,
                        status: ReferralStatus::Completed,
                        result: Some(result),
                        amount: Some(Rupiah::new(amount)),
                        day: done,
                        actor: 0,
                    })
                    .await?;
            }
        }

        // Quarterly outcomes of participants and of the comparison group.
        let mut outcomes = Vec::new();
        let panel: Vec<(usize, Option<NaiveDate>)> = taking
            .iter()
            .map(|t| (t.h, Some(t.enrolled)))
            .chain(comparison.iter().map(|h| (*h, None)))
            .collect();
        for (h, enrolled) in panel {
            let level = (13.6 + 0.35 * crate::registry::standard_normal(&mut rng)).exp();
            let mut business = rng.random::<f64>() < 0.15;
            let mut employed = rng.random::<f64>() < 0.55;
            for (q, survey) in SURVEYS.iter().enumerate() {
                let day = ymd(*survey);
                if day > last {
                    break;
                }
                let treated_for = enrolled.filter(|e| *e <= day).map(|e| {
                    (sejahtera_app::delivery::quarter(day) - sejahtera_app::delivery::quarter(e))
                        as f64
                });
                let effect = treated_for.map_or(0.0, |k| spec.effect as f64 * (1.0 + 0.1 * k));
                let income = level * (1.0 + 0.015 * q as f64)
                    + effect
                    + 60_000.0 * crate::registry::standard_normal(&mut rng);
                let income = ((income.max(0.0) / 10_000.0).round() * 10_000.0) as i64;
                if !business {
                    let p = 0.02 + treated_for.map_or(0.0, |_| spec.business_effect / 3.0);
                    business = rng.random::<f64>() < p;
                }
                if !employed {
                    employed = rng.random::<f64>() < 0.05 + treated_for.map_or(0.0, |_| 0.1);
                }
                let o = Outcome {
                    program: program.id,
                    household: snap.no_kk[h],
                    date: day,
                    business: Some(business),
                    income: Some(Rupiah::new(income)),
                    employed: Some(employed || business),
                    source: if q == 0 {
                        OutcomeSource::Imported
                    } else {
                        OutcomeSource::Entered
                    },
                };
                delivery::check_outcome(&state, &program, &o, today)?;
                outcomes.push(o);
            }
        }
        seeded.outcomes += outcomes.len();
        store.append_outcomes(&outcomes, agency_actor).await?;
        seeded.programs += 1;
        progress.advance(1);
    }
    progress.finish();
    Ok(Some(seeded))
}
