//! Programs through the app layer: the enrollment lifecycle (capacity, quotas,
//! exclusivity, transitions, the append-only log, who may decide), delivery
//! (sessions and attendance, visits, referrals, outcomes and their import), the
//! public aggregates, and the demo's programs with an effect an evaluation can find.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use sejahtera_app::Error;
use sejahtera_app::NoProgress;
use sejahtera_app::delivery::{self, MIN_PUBLIC_CELL};
use sejahtera_app::programs::{create, record};
use sejahtera_demo::registry::{DemoOptions, seed};
use sejahtera_domain::access::{Actor, Role};
use sejahtera_domain::delivery::{
    Outcome, OutcomeSource, Partner, PartnerKind, ReferralStatus, Service,
};
use sejahtera_domain::programs::{Command, Decision, Program, ProgramKind, Sector, Status};
use sejahtera_domain::{NoKk, RegionCode, Regions, Rupiah};
use sejahtera_store::Store;
use sejahtera_testkit::db::TestDb;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const AGENCY: &str = "Dinas P3A Kota Kupang";

async fn registry(db: TestDb) -> (TestDb, Store, Regions) {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"));
    let (store, regions) =
        sejahtera_app::regions::init(sejahtera_app::DbUrl::parse(&db.url).unwrap(), &data)
            .await
            .unwrap();
    let opts = DemoOptions {
        seed: 5,
        scale: 0.01,
    };
    seed(&store, &regions, opts, today(), &NoProgress)
        .await
        .unwrap();
    (db, store, regions)
}

fn operator(agency: &str) -> Actor {
    Actor {
        user_id: 42,
        username: "opd".into(),
        role: Role::AgencyOperator,
        villages: BTreeSet::new(),
        agency: Some(agency.into()),
        region: Some(RegionCode::parse("53.71").unwrap()),
        partner: None,
    }
}

fn program(name: &str, capacity: u32) -> Program {
    Program {
        id: 0,
        name: name.into(),
        sector: Sector::PemberdayaanPerempuan,
        agency: AGENCY.into(),
        kind: ProgramKind::Pelatihan,
        start: day("2026-01-01"),
        end: day("2026-12-31"),
        budget: Rupiah::new(100_000_000),
        capacity,
        quotas: BTreeMap::new(),
        eligibility: r#"di_wilayah("53.71")"#.into(),
        exclusive_with: BTreeSet::new(),
        partners: BTreeSet::new(),
    }
}

/// Kupang households: (KK, village), several in the first village.
async fn households(db: &TestDb) -> Vec<(NoKk, RegionCode)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT no_kk, kode_wilayah FROM households WHERE kode_wilayah LIKE '53.71.%' \
         ORDER BY kode_wilayah, no_kk",
    )
    .fetch_all(&db.raw().await)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(k, v)| (NoKk::parse(&k).unwrap(), RegionCode::parse(&v).unwrap()))
        .collect()
}

struct Env {
    store: Store,
    actor: Actor,
}

impl Env {
    async fn decide(&self, program: i64, kk: &NoKk, c: Command) -> anyhow::Result<Status> {
        let d = Decision {
            actor: self.actor.user_id,
            at: Utc::now(),
            why: "rapat penetapan".into(),
        };
        Ok(record(&self.store, &self.actor, program, kk, None, &c, &d)
            .await?
            .status)
    }
}

/// Imports outcome CSV text as a file would be read.
async fn import_text(
    store: &Store,
    actor: &Actor,
    id: i64,
    csv: &str,
) -> anyhow::Result<delivery::OutcomeImport> {
    let table = sejahtera_app::input::read_table_bytes("outcomes.csv", csv.as_bytes().to_vec())?;
    Ok(delivery::import_outcomes_table(store, actor, id, table, today()).await?)
}

fn refusal(e: impl Into<anyhow::Error>) -> String {
    let e: anyhow::Error = e.into();
    assert!(
        matches!(e.downcast_ref::<Error>(), Some(Error::Refused(_))),
        "expected a rule's refusal, got {e:#}"
    );
    e.to_string()
}

sejahtera_testkit::on_both_backends! {
async fn the_enrollment_lifecycle_enforces_capacity_quotas_exclusivity_and_keeps_every_event(db) {
    let (db, store, regions) = registry(db).await;
    let hh = households(&db).await;
    let village = hh[0].1.clone();
    let same_village: Vec<&NoKk> = hh
        .iter()
        .filter(|(_, v)| *v == village)
        .map(|(k, _)| k)
        .collect();
    let elsewhere: Vec<&NoKk> = hh
        .iter()
        .filter(|(_, v)| *v != village)
        .map(|(k, _)| k)
        .collect();
    assert!(same_village.len() >= 2 && elsewhere.len() >= 3);
    let env = Env {
        store,
        actor: operator(AGENCY),
    };

    let mut a = program("Pelatihan menjahit", 3);
    a.quotas.insert(village.clone(), 1);
    let a_id = create(&env.store, &regions, &env.actor, &a).await.unwrap();
    let mut b = program("Pelatihan tata boga", 0);
    b.exclusive_with.insert(a_id);
    let b_id = create(&env.store, &regions, &env.actor, &b).await.unwrap();

    // Another agency may neither define nor run this agency's programs.
    let other = operator("Dinas Pertanian");
    let e = create(&env.store, &regions, &other, &program("Lain", 0))
        .await
        .unwrap_err();
    assert!(matches!(
        e, Error::Forbidden(_)
    ));
    let d = Decision {
        actor: 1,
        at: Utc::now(),
        why: "x".into(),
    };
    let e = record(
        &env.store,
        &other,
        a_id,
        same_village[0],
        None,
        &Command::Enroll,
        &d,
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "decisions in Pelatihan menjahit are made by Dinas P3A Kota Kupang and administrators"
    );
    let e = env
        .decide(999, same_village[0], Command::Enroll)
        .await
        .unwrap_err();
    assert!(matches!(e.downcast_ref::<Error>(), Some(Error::NotFound(_))));

    // Quota: one household from the village.
    assert_eq!(
        env.decide(a_id, same_village[0], Command::Enroll)
            .await
            .unwrap(),
        Status::Enrolled
    );
    let e = env
        .decide(a_id, same_village[1], Command::Enroll)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e),
        format!("the quota of 1 households for village {village} in Pelatihan menjahit is used up")
    );
    // Capacity: three at once.
    env.decide(a_id, elsewhere[0], Command::Enroll)
        .await
        .unwrap();
    env.decide(a_id, elsewhere[1], Command::Enroll)
        .await
        .unwrap();
    let e = env
        .decide(a_id, elsewhere[2], Command::Enroll)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e),
        "Pelatihan menjahit has reached its capacity of 3 households"
    );
    // Exclusivity, declared on B, holds for A's participants in B.
    let e = env
        .decide(b_id, elsewhere[0], Command::Enroll)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e),
        "the household is already enrolled in Pelatihan menjahit, which is exclusive with Pelatihan tata boga"
    );
    // Transitions and reasons.
    let e = env
        .decide(a_id, elsewhere[0], Command::Graduate)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e),
        "cannot graduate a household that is enrolled in Pelatihan menjahit"
    );
    env.decide(a_id, elsewhere[0], Command::Activate)
        .await
        .unwrap();
    env.decide(a_id, elsewhere[0], Command::Graduate)
        .await
        .unwrap();
    let e = env
        .decide(a_id, elsewhere[1], Command::Exit { reason: " ".into() })
        .await
        .unwrap_err();
    assert_eq!(refusal(e), "an exit or a correction needs a reason");
    env.decide(
        a_id,
        elsewhere[1],
        Command::Exit {
            reason: "pindah domisili".into(),
        },
    )
    .await
    .unwrap();
    // Places freed: a graduate and an exit leave room for two more.
    env.decide(a_id, elsewhere[2], Command::Enroll)
        .await
        .unwrap();
    // Now free of A, the graduate may join B.
    env.decide(b_id, elsewhere[0], Command::Enroll)
        .await
        .unwrap();
    // A correction is a new event.
    env.decide(a_id, elsewhere[1], Command::Correct { to: Status::Active })
        .await
        .unwrap();

    let events = env.store.enrollment_events().await.unwrap();
    assert_eq!(events.len(), 9);
    assert!(events.iter().all(|e| e.actor == 42 && !e.why.is_empty()));
    let exit = events.iter().find(|e| e.status == Status::Exited).unwrap();
    assert_eq!(exit.reason.as_deref(), Some("pindah domisili"));
    let correction = events.last().unwrap();
    assert_eq!(correction.reason.as_deref(), Some("correction from exited"));
    // The participant defaults to the head and is carried by later events.
    assert!(events.iter().all(|e| e.participant.is_some()));
    // The log refuses edits and deletions.
    let raw = db.raw().await;
    for sql in [
        "UPDATE enrollment_events SET status = 'graduated'",
        "DELETE FROM enrollment_events",
    ] {
        let e = sqlx::query(sql).execute(&raw).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    // A participant must be a member of the household.
    let stranger = sejahtera_domain::Nik::parse("5371015501900001").unwrap();
    let d = Decision {
        actor: 42,
        at: Utc::now(),
        why: "x".into(),
    };
    let e = record(
        &env.store,
        &env.actor,
        b_id,
        elsewhere[3],
        Some(&stranger),
        &Command::Enroll,
        &d,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::Invalid(_)),
        "{e}"
    );
    assert_eq!(env.store.enrollment_events().await.unwrap().len(), 9);
}

async fn delivery_follows_the_rules_and_outcome_imports_name_every_bad_row(db) {
    let (db, store, regions) = registry(db).await;
    let hh = households(&db).await;
    let console = Actor::console();
    let bank = delivery::create_partner(
        &store,
        &console,
        &Partner {
            id: 0,
            name: "Bank NTT".into(),
            kind: PartnerKind::Bank,
            services: [Service::Kur].into_iter().collect(),
            contact: String::new(),
        },
    )
    .await
    .unwrap();
    let shop = delivery::create_partner(
        &store,
        &console,
        &Partner {
            id: 0,
            name: "Toko".into(),
            kind: PartnerKind::Usaha,
            services: [Service::AksesPasar].into_iter().collect(),
            contact: String::new(),
        },
    )
    .await
    .unwrap();
    // Partners are registered by administrators only, with a service.
    let e = delivery::create_partner(
        &store,
        &operator(AGENCY),
        &Partner {
            id: 0,
            name: "X".into(),
            kind: PartnerKind::Koperasi,
            services: BTreeSet::new(),
            contact: String::new(),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(
        e, Error::Forbidden(_)
    ));

    let actor = operator(AGENCY);
    let mut p = program("Pelatihan menjahit", 0);
    p.partners.insert(bank);
    let id = create(&store, &regions, &actor, &p).await.unwrap();
    let env = Env {
        store,
        actor: actor.clone(),
    };
    let (a, b, c) = (&hh[0].0, &hh[1].0, &hh[2].0);
    env.decide(id, a, Command::Enroll).await.unwrap();
    env.decide(id, b, Command::Propose).await.unwrap();
    let store = &env.store;

    // Sessions lie within the period; attendance only for participants, all or nothing.
    let e = delivery::add_session(store, &actor, id, day("2027-01-05"), "Pola", "")
        .await
        .unwrap_err();
    assert!(refusal(e).contains("outside the program's period"));
    let s = delivery::add_session(store, &actor, id, day("2026-03-02"), "Pola dasar", "Aula")
        .await
        .unwrap();
    let e = delivery::record_attendance(store, &actor, s, &[(*a, true), (*b, true)])
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e),
        format!("nothing recorded: household {b} has never been enrolled in Pelatihan menjahit")
    );
    assert!(store.attendance(id).await.unwrap().is_empty());
    delivery::record_attendance(store, &actor, s, &[(*a, true)])
        .await
        .unwrap();
    // A second record for the same household replaces the first.
    delivery::record_attendance(store, &actor, s, &[(*a, false)])
        .await
        .unwrap();
    assert_eq!(
        store.attendance(id).await.unwrap(),
        vec![(s, a.as_u64(), false)]
    );
    // Another agency may not record attendance.
    let e = delivery::record_attendance(store, &operator("Dinas Lain"), s, &[(*a, true)])
        .await
        .unwrap_err();
    assert!(matches!(
        e, Error::Forbidden(_)
    ));

    // Visits: participants, with notes, not in the future.
    delivery::add_visit(
        store,
        &actor,
        id,
        a,
        day("2026-04-01"),
        "cek mesin jahit",
        today(),
    )
    .await
    .unwrap();
    let e = delivery::add_visit(store, &actor, id, a, day("2026-12-01"), "x", today())
        .await
        .unwrap_err();
    assert!(refusal(e).contains("the visit day 2026-12-01 is outside"));

    // Referrals: to the program's partners, for what they offer, in order.
    let e = delivery::refer(
        store,
        &actor,
        id,
        a,
        shop,
        Service::AksesPasar,
        day("2026-05-01"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refusal(e),
        "Toko is not a partner of Pelatihan menjahit (its partners: Bank NTT)"
    );
    let e = delivery::refer(
        store,
        &actor,
        id,
        a,
        bank,
        Service::Tabungan,
        day("2026-05-01"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refusal(e),
        "Bank NTT does not offer tabungan (it offers: kur)"
    );
    let e = delivery::refer(store, &actor, id, c, bank, Service::Kur, day("2026-05-01"))
        .await
        .unwrap_err();
    assert!(refusal(e).contains("has never been enrolled"));
    let r = delivery::refer(store, &actor, id, a, bank, Service::Kur, day("2026-05-01"))
        .await
        .unwrap();
    let e = delivery::update_referral(
        store,
        &actor,
        r,
        ReferralStatus::Completed,
        Some("ok"),
        None,
        day("2026-05-10"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refusal(e),
        "a referral that is referred cannot become completed"
    );
    // The bank's own account moves it on; another partner's may not.
    let mut teller = Actor {
        role: Role::Partner,
        partner: Some(bank),
        agency: None,
        ..operator("")
    };
    teller.user_id = 77;
    let mut other_teller = teller.clone();
    other_teller.partner = Some(shop);
    let e = delivery::update_referral(
        store,
        &other_teller,
        r,
        ReferralStatus::Accepted,
        None,
        None,
        day("2026-05-10"),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        e, Error::Forbidden(_)
    ));
    delivery::update_referral(
        store,
        &teller,
        r,
        ReferralStatus::Accepted,
        None,
        None,
        day("2026-05-10"),
    )
    .await
    .unwrap();
    let e = delivery::update_referral(
        store,
        &teller,
        r,
        ReferralStatus::Completed,
        None,
        None,
        day("2026-05-20"),
    )
    .await
    .unwrap_err();
    assert!(refusal(e).contains("needs a result"));
    let done = delivery::update_referral(
        store,
        &teller,
        r,
        ReferralStatus::Completed,
        Some("KUR mikro disalurkan"),
        Some(Rupiah::new(10_000_000)),
        day("2026-05-20"),
    )
    .await
    .unwrap();
    assert_eq!(done.status, ReferralStatus::Completed);
    assert_eq!(
        delivery::referrals_for(store, &teller, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        delivery::referrals_for(store, &other_teller, None)
            .await
            .unwrap()
            .is_empty()
    );
    let stored = store.referrals(Some(id), None).await.unwrap();
    assert_eq!(stored[0].amount, Some(Rupiah::new(10_000_000)));
    // The referral log is append-only too.
    let e = sqlx::query("DELETE FROM referral_events")
        .execute(&db.raw().await)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("append-only"));

    // Outcomes: entered (all or nothing) and imported (good rows kept, bad rows named).
    let o = |kk: &NoKk, d: &str, income: i64| Outcome {
        program: id,
        household: kk.as_u64(),
        date: day(d),
        business: Some(true),
        income: Some(Rupiah::new(income)),
        employed: None,
        source: OutcomeSource::Entered,
    };
    let e = delivery::add_outcomes(
        store,
        &actor,
        id,
        &[o(a, "2026-06-01", 1_000_000), o(c, "2026-06-01", 1)],
        today(),
    )
    .await
    .unwrap_err();
    assert!(refusal(e).contains("is neither a candidate nor a participant"));
    assert!(store.outcomes(id).await.unwrap().is_empty());
    delivery::add_outcomes(
        store,
        &actor,
        id,
        &[o(a, "2026-06-01", 1_000_000), o(b, "2026-06-01", 900_000)],
        today(),
    )
    .await
    .unwrap();
    let csv = format!(
        "no_kk,tanggal,usaha,pendapatan_bulanan,bekerja\n\
         {a},2026-09-01,ya,1.500.000,ya\n\
         {a},2026-06-01,ya,1.200.000,\n\
         12345,2026-09-01,ya,1,ya\n\
         {b},2026-13-01,tidak,1,ya\n\
         {b},2026-09-01,mungkin,1,ya\n\
         {c},2026-09-01,ya,1,ya\n\
         {b},2027-01-01,ya,1,ya\n\
         \n\
         {b},2026-09-01,tidak,800000,tidak\n"
    );
    let report = import_text(store, &actor, id, &csv).await.unwrap();
    assert_eq!(report.accepted, 3);
    assert_eq!((report.rejected_total, report.more_rejected), (5, 0));
    let rejects: Vec<(u64, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.column.as_str()))
        .collect();
    assert_eq!(
        rejects,
        vec![
            (4, "no_kk"),
            (5, "tanggal"),
            (6, "usaha"),
            (7, "no_kk"),
            (8, "tanggal")
        ]
    );
    assert!(
        report.rejected[2].reason.contains("allowed: ya, tidak"),
        "{:?}",
        report.rejected[2]
    );
    // A bad header stores nothing.
    let e = import_text(store, &actor, id, "no_kk,tanggal,gaji\n")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unknown column \"gaji\""), "{e}");
    // The correction of 2026-06-01 replaces the first observation of that day.
    let latest = delivery::latest_outcomes(&store.outcomes(id).await.unwrap());
    let a_june = latest
        .iter()
        .find(|x| x.household == a.as_u64() && x.date == day("2026-06-01"))
        .unwrap();
    assert_eq!(a_june.income, Some(Rupiah::new(1_200_000)));
    assert_eq!(a_june.source, OutcomeSource::Imported);

    // Public aggregates: one participant, so every district cell is suppressed.
    let stats = delivery::stats(store, &regions, id, sejahtera_app::Clock::today(&sejahtera_app::SystemClock)).await.unwrap();
    assert_eq!(stats.participants, 1);
    // One enrolled household: its status count is suppressed like a district cell.
    assert!(stats.by_status["enrolled"].suppressed && stats.by_status["enrolled"].value.is_none());
    assert!(
        stats
            .by_district
            .iter()
            .all(|d| d.total.suppressed && d.total.value.is_none())
    );
    const { assert!(1 < MIN_PUBLIC_CELL) };
    assert_eq!(stats.businesses_started, 1);
    assert_eq!(stats.sessions, 1);
    // Rates over fewer than MIN_PUBLIC_CELL marks, and the amount of a single completed
    // referral (one household's credit), are not published; referral counts are protected.
    assert_eq!(stats.attendance_rate, None);
    assert_eq!(stats.referral_amount, None);
    assert!(
        stats
            .referrals
            .values()
            .all(|c| c.suppressed || c.value == Some(0))
    );
    assert_eq!(stats.graduation_rate, None);
    // The evaluation panel: two units, quarters, the participant treated, the candidate not.
    let panel = delivery::panel(store, id).await.unwrap();
    let units: BTreeSet<u64> = panel.iter().map(|r| r.unit).collect();
    assert_eq!(units.len(), 2);
    let treated: HashMap<u64, i64> = panel.iter().map(|r| (r.unit, r.first_treated)).collect();
    assert_eq!(treated.values().filter(|g| **g == 0).count(), 1);
    assert!(
        panel
            .iter()
            .all(|r| r.period == delivery::quarter(day("2026-06-01"))
                || r.period == delivery::quarter(day("2026-09-01")))
    );
}

async fn the_demo_programs_run_and_their_outcomes_show_the_planted_effect(db) {
    let (_db, store, regions) = registry(db).await;
    let seeded = sejahtera_demo::programs::seed_programs(
        &store,
        &regions,
        5,
        today(),
        &|_| 0,
        &NoProgress,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        seeded.programs,
        sejahtera_demo::programs::PROGRAMS.len()
    );
    // Seeding twice does nothing.
    assert!(
        sejahtera_demo::programs::seed_programs(
            &store,
            &regions,
            5,
            today(),
            &|_| 0,
            &NoProgress
        )
        .await
        .unwrap()
        .is_none()
    );
    let programs = store.programs().await.unwrap();
    for (p, spec) in programs.iter().zip(sejahtera_demo::programs::PROGRAMS) {
        assert_eq!(p.name, spec.name);
        let stats = delivery::stats(&store, &regions, p.id, sejahtera_app::Clock::today(&sejahtera_app::SystemClock)).await.unwrap();
        assert!(stats.participants > 0, "{}", p.name);
        assert!(stats.followed_up >= stats.participants, "{}", p.name);
        // Programs that ended have graduates; none has more participants than places.
        // (the rate is not published beside a suppressed graduated or exited count,
        // which it would reveal).
        if p.end < today() {
            let (g, e) = (&stats.by_status["graduated"], &stats.by_status["exited"]);
            match stats.graduation_rate {
                Some(r) => assert!(r > 0.7, "{}", p.name),
                None => assert!(g.suppressed || e.suppressed, "{}: {stats:?}", p.name),
            }
            assert!(g.value.is_none_or(|g| g > 0), "{}", p.name);
        }
        assert!(stats.participants <= p.capacity as u64);
        // Targeting accuracy of the enrollees: every participant is assessed.
        let report = sejahtera_app::targeting::run_program(
            &store,
            &regions,
            p.id,
            None,
            sejahtera_app::targeting::PoorRule::PovertyLine,
            today(),
        )
        .await
        .unwrap();
        assert_eq!(report.total.selected(), stats.participants, "{}", p.name);
        // The planted effect: difference in differences of mean income, first batch
        // (enrolled 2025 Q4) against candidates never enrolled, 2025 Q2 → 2026 Q3.
        let panel = delivery::panel(&store, p.id).await.unwrap();
        let (pre, post) = (
            delivery::quarter(day("2025-06-15")),
            delivery::quarter(day("2026-09-15")),
        );
        let g1 = delivery::quarter(day("2025-10-01"));
        let mut change: HashMap<bool, (f64, f64)> = HashMap::new();
        let by_unit: HashMap<(u64, i64), &delivery::PanelRow> =
            panel.iter().map(|r| ((r.unit, r.period), r)).collect();
        for r in panel
            .iter()
            .filter(|r| r.period == pre && (r.first_treated == 0 || r.first_treated == g1))
        {
            let later = by_unit[&(r.unit, post)];
            let e = change.entry(r.first_treated == g1).or_default();
            e.0 += (later.income.unwrap() - r.income.unwrap()) as f64;
            e.1 += 1.0;
        }
        let mean = |t: bool| change[&t].0 / change[&t].1;
        let did = mean(true) - mean(false);
        // Three quarters after enrollment the effect is 1.3 times the base effect.
        let planted = spec.effect as f64 * 1.3;
        assert!(
            (did - planted).abs() < 0.35 * planted,
            "{}: DiD {did:.0} vs planted {planted:.0}",
            p.name
        );
    }
}

async fn outcome_imports_report_a_bounded_number_of_rejects_and_refuse_huge_records(db) {
    let (_db, store, regions) = registry(db).await;
    let actor = operator(AGENCY);
    let id = create(&store, &regions, &actor, &program("Batas impor", 0))
        .await
        .unwrap();
    // 200,000 bad lines (the review's 2 MB file of `1`): every one is counted,
    // only the first MAX_LISTED_REJECTS are listed.
    let mut csv = String::from("no_kk,tanggal\n");
    for _ in 0..200_000 {
        csv.push_str("1\n");
    }
    let report = import_text(&store, &actor, id, &csv).await.unwrap();
    assert_eq!(report.accepted, 0);
    assert_eq!(report.rejected_total, 200_000);
    assert_eq!(report.rejected.len(), delivery::MAX_LISTED_REJECTS);
    assert_eq!(
        report.more_rejected,
        200_000 - delivery::MAX_LISTED_REJECTS as u64
    );
    assert_eq!(
        (report.rejected[0].line, report.rejected[0].column.as_str()),
        (2, "no_kk")
    );
    let listed: usize = report.rejected.iter().map(|r| r.reason.len() + 16).sum();
    assert!(listed < 200_000, "{listed} bytes listed");
    // A reason quoting a long cell is cut.
    let long = format!(
        "no_kk,tanggal,usaha\n1234567890123456,2026-09-01,{}\n",
        "x".repeat(100_000)
    );
    let report = import_text(&store, &actor, id, &long).await.unwrap();
    assert_eq!(report.rejected_total, 1);
    assert!(report.rejected[0].reason.chars().count() < 400);
    // Blank rows (the review's 20 MB of blank rows) are skipped, as in the registry import.
    let blank = format!("no_kk;tanggal\n{}", ";\n".repeat(100_000));
    let report = import_text(&store, &actor, id, &blank).await.unwrap();
    assert_eq!(report, delivery::OutcomeImport::default());
    // A record over the reader's limit is refused whole, naming the limit.
    let huge = format!(
        "no_kk,tanggal\n1234567890123456,\"{}\"\n",
        "9".repeat(sejahtera_app::input::MAX_RECORD_BYTES + 10)
    );
    let e = import_text(&store, &actor, id, &huge).await.unwrap_err();
    assert!(
        matches!(e.downcast_ref::<Error>(), Some(Error::Invalid(_))),
        "{e}"
    );
    assert!(e.to_string().contains("line 2"), "{e}");
    assert!(
        e.to_string().contains("1048576") || e.to_string().contains("1,048,576"),
        "{e}"
    );
    // So is a record with too many fields.
    let wide = format!(
        "no_kk,tanggal\n{}\n",
        ",".repeat(sejahtera_app::input::MAX_FIELDS + 1)
    );
    let e = import_text(&store, &actor, id, &wide).await.unwrap_err();
    assert!(e.to_string().contains("fields"), "{e}");
    // Another agency may not import, and its file is never read.
    let other = operator("Dinas Pertanian");
    let e = delivery::import_outcomes(
        &store,
        &other,
        id,
        std::path::Path::new("/nonexistent/outcomes.csv"),
        today(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::Forbidden(_)),
        "{e}"
    );
}
}
