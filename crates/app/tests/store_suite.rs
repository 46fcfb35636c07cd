//! The store's behaviour, trait by trait, on both backends: every test opens its
//! database through `sejahtera_app::db::open` (as the CLI and the server do) and
//! makes one set of assertions that SQLite and PostgreSQL must both satisfy —
//! round trips of awkward text and NULL optional fields, ordering, counts,
//! uniqueness (`StoreError::Unique`), all-or-nothing writes and rollback on
//! drop, the append-only logs, and migrations that run again on every open.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sejahtera_app::DbUrl;
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::{Code, JenisKelamin};
use sejahtera_domain::delivery::{
    Outcome, OutcomeSource, Partner, PartnerKind, Referral, ReferralStatus, Service, Session, Visit,
};
use sejahtera_domain::programs::{Enrollments, Event, Program, ProgramKind, Sector, Status};
use sejahtera_domain::region::{Region, Regions};
use sejahtera_domain::registry::{Household, Person, QualityFlag};
use sejahtera_domain::{Nik, NoKk, RegionCode, Rupiah};
use sejahtera_store::{
    GENERATION_KEY, HouseholdCodes, HouseholdFilter, HouseholdHit, ImportRun, MemberCodes, NewUser,
    ReferralUpdate, Store, StoreError, WelfareRow, WriteStats,
};
use sejahtera_testkit::db::{Backend, TestDb};

// Fixtures -------------------------------------------------------------------------

async fn open(db: &TestDb) -> Store {
    sejahtera_app::db::open(&DbUrl::parse(&db.url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("opening {}: {e}", db.url))
}

/// Text that needs escaping in every way SQL literals, CSV and COPY know of.
const AWKWARD: &str = "Jl. \"Kenari\"\tNo. 5\nRT 02\\RW 03, 'Oebufu' \\N \\. é ñ 李 🙂\r;%_";

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

/// A KK number or NIK as the integer the store's maps use.
fn k(s: &str) -> u64 {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn region(c: &str, name: &str) -> Region {
    let rc = code(c);
    Region {
        level: rc.level(),
        parent_code: rc.parent(),
        code: rc,
        name: name.into(),
    }
}

/// A province, a regency, three districts (Maulafa without households) and three villages.
fn regions() -> Regions {
    Regions::from_regions([
        region("53", "Nusa Tenggara Timur"),
        region("53.71", "Kota Kupang"),
        region("53.71.01", "Alak"),
        region("53.71.02", "Oebobo"),
        region("53.71.03", "Maulafa"),
        region("53.71.01.1001", "Manulai II"),
        region("53.71.01.1002", "Penkase Oeleta"),
        region("53.71.02.1001", "Fatululi"),
    ])
    .unwrap()
}

const KK1: &str = "5371010101200001";
const KK2: &str = "5371010101200002";
const KK3: &str = "5371020101200003";
const KK4: &str = "5371020101200004";

const NIK1: &str = "5371014101900001"; // a woman (day + 40)
const NIK2: &str = "5371010101050002";
const NIK3: &str = "5371010101900003";
const NIK4: &str = "5371010101900004";

fn household(kk: &str, village: &str) -> Household {
    Household {
        no_kk: NoKk::parse(kk).unwrap(),
        kode_wilayah: code(village),
        rt: None,
        rw: None,
        alamat: None,
        pengeluaran_bulanan: Rupiah::new(1_000_000),
        lantai: None,
        dinding: None,
        atap: None,
        sumber_air: None,
        sanitasi: None,
        listrik: None,
        bahan_bakar: None,
        status_rumah: None,
    }
}

fn person(nik: &str, kk: &str, nama: &str, sex: &str, hubungan: Option<&str>) -> Person {
    Person {
        nik: Nik::parse(nik).unwrap(),
        no_kk: NoKk::parse(kk).unwrap(),
        nama: nama.into(),
        jenis_kelamin: JenisKelamin::parse(sex).unwrap(),
        tanggal_lahir: day("1990-01-01"),
        hubungan: hubungan.map(|h| Code::parse(h).unwrap()),
        pendidikan: None,
        pekerjaan: None,
        sektor: None,
        disabilitas: None,
        status_kawin: None,
        flags: Vec::new(),
    }
}

/// Four households (one fully coded with awkward text, one with empty strings, one
/// without persons) and four persons.
fn registry() -> (Vec<Household>, Vec<Person>) {
    let mut h1 = household(KK1, "53.71.01.1001");
    h1.rt = Some("001".into());
    h1.alamat = Some(AWKWARD.into());
    h1.pengeluaran_bulanan = Rupiah::new(2_750_000);
    h1.lantai = Some(Code::parse("keramik").unwrap());
    h1.dinding = Some(Code::parse("tembok").unwrap());
    h1.atap = Some(Code::parse("seng").unwrap());
    h1.sumber_air = Some(Code::parse("perpipaan").unwrap());
    h1.sanitasi = Some(Code::parse("sendiri").unwrap());
    h1.listrik = Some(Code::parse("pln_meter").unwrap());
    h1.bahan_bakar = Some(Code::parse("gas").unwrap());
    h1.status_rumah = Some(Code::parse("milik_sendiri").unwrap());
    let mut h2 = household(KK2, "53.71.01.1002");
    h2.rt = Some(String::new());
    h2.rw = Some("\t".into());
    h2.pengeluaran_bulanan = Rupiah::new(0);
    let mut h3 = household(KK3, "53.71.02.1001");
    h3.alamat = Some("\\N".into());
    let h4 = household(KK4, "53.71.02.1001");

    let mut p1 = person(NIK1, KK1, "Ni Luh \"Ayu\"\tÑandú", "P", Some("kepala"));
    p1.pendidikan = Some(Code::parse("sma").unwrap());
    p1.sektor = Some(Code::parse("pertanian").unwrap());
    p1.status_kawin = Some(Code::parse("kawin").unwrap());
    p1.disabilitas = Some(Code::parse("tidak").unwrap());
    let mut p2 = person(NIK2, KK1, "O'Brien \\ back\nslash", "L", Some("anak"));
    p2.tanggal_lahir = day("2005-01-01");
    p2.pekerjaan = Some("petani\tkebun".into());
    p2.flags = vec![
        QualityFlag::NikBirthDateMismatch,
        QualityFlag::NikSexMismatch,
    ];
    let mut p3 = person(NIK3, KK2, "Yohanes 李雷 🙂", "L", Some("kepala"));
    p3.pekerjaan = Some(String::new());
    let mut p4 = person(NIK4, KK3, "\\N", "L", None);
    p4.pekerjaan = Some("\\.".into());
    (vec![h1, h2, h3, h4], vec![p1, p2, p3, p4])
}

fn import_run(kind: &str, accepted: u64) -> ImportRun {
    ImportRun {
        kind: kind.into(),
        file_name: "rumah tangga 'Oebobo'.csv".into(),
        accepted,
        rejected: 2,
        warnings: 1,
    }
}

/// Writes rows as an import does (`app::import`): rows through one bulk write, then
/// `finish`, `record_run` with the rows new to the store, and `commit`.
async fn import(store: &Store, households: &[Household], persons: &[Person]) -> (WriteStats, i64) {
    let known_households = store.household_keys().await.unwrap();
    let known_persons = store.person_keys().await.unwrap().household_of;
    let inserted = households
        .iter()
        .filter(|h| !known_households.contains(&h.no_kk.as_u64()))
        .count()
        + persons
            .iter()
            .filter(|p| !known_persons.contains_key(&p.nik.as_u64()))
            .count();
    let mut bulk = store.begin_bulk().await.unwrap();
    let mut changed = 0;
    if !households.is_empty() {
        changed += bulk.households(households).await.unwrap();
    }
    if !persons.is_empty() {
        changed += bulk.persons(persons).await.unwrap();
    }
    changed += bulk.finish().await.unwrap();
    let rows = (households.len() + persons.len()) as u64;
    let stats = bulk
        .record_run(
            &import_run("households", rows),
            rows,
            inserted as u64,
            changed,
        )
        .await
        .unwrap();
    let id = bulk.run_id().expect("the run is recorded");
    bulk.commit().await.unwrap();
    (stats, id)
}

/// A store with the regions and the registry of [`registry`].
async fn seeded(db: &TestDb) -> Store {
    let store = open(db).await;
    store.save_regions(&regions()).await.unwrap();
    let (households, persons) = registry();
    import(&store, &households, &persons).await;
    store
}

async fn all_households(store: &Store) -> Vec<Household> {
    let mut out = Vec::new();
    store
        .for_each_household(&mut |h| {
            out.push(h);
            Ok(())
        })
        .await
        .unwrap();
    out
}

async fn all_persons(store: &Store) -> Vec<Person> {
    let mut out = Vec::new();
    store
        .for_each_person(&mut |p| {
            out.push(p);
            Ok(())
        })
        .await
        .unwrap();
    out
}

async fn count(db: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&db.raw().await)
        .await
        .unwrap()
}

/// Runs `UPDATE` and `DELETE` behind the store's back and expects both refused
/// with a message naming the append-only rule.
async fn assert_append_only(db: &TestDb, table: &str, set: &str) {
    let raw = db.raw().await;
    assert!(count(db, table).await > 0, "{table} needs rows to refuse");
    for sql in [
        format!("UPDATE {table} SET {set}"),
        format!("DELETE FROM {table}"),
    ] {
        let e = sqlx::query(&sql).execute(&raw).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

fn village_set(villages: &[&str]) -> BTreeSet<RegionCode> {
    villages.iter().map(|v| code(v)).collect()
}

async fn user(store: &Store, name: &str) -> i64 {
    store
        .create_user(&NewUser {
            username: name,
            display_name: name,
            role: Role::Planner,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            villages: &BTreeSet::new(),
            agency: None,
            region: None,
            partner: None,
        })
        .await
        .unwrap()
}

fn program(name: &str) -> Program {
    Program {
        id: 0,
        name: name.into(),
        sector: Sector::PemberdayaanPerempuan,
        agency: "Dinas P3A Kota Kupang".into(),
        kind: ProgramKind::Pelatihan,
        start: day("2026-01-01"),
        end: day("2026-12-31"),
        budget: Rupiah::new(150_000_000),
        capacity: 10,
        quotas: BTreeMap::new(),
        eligibility: "desil <= 4".into(),
        exclusive_with: BTreeSet::new(),
        partners: BTreeSet::new(),
    }
}

/// What a handle's folded log says of program `p`, next to a full replay of the log.
async fn folds(store: &Store, p: i64) -> (Vec<(u64, Status, RegionCode)>, u32) {
    let mut fold = store.enrollments().await.unwrap().of_program(p);
    fold.sort_by_key(|m| m.0);
    let replay = Enrollments::from_events(&store.enrollment_events().await.unwrap());
    let mut full = replay.of_program(p);
    full.sort_by_key(|m| m.0);
    assert_eq!(fold, full, "the folded log differs from a full replay");
    (fold, replay.places(p, None))
}

fn event(program: i64, kk: &str, village: &str, status: Status) -> Event {
    Event {
        program,
        household: k(kk),
        village: code(village),
        status,
        reason: None,
        actor: 7,
        at: Utc.with_ymd_and_hms(2026, 3, 1, 8, 30, 0).unwrap(),
        why: "rapat penetapan".into(),
        participant: None,
    }
}

fn partner(name: &str, services: &[Service]) -> Partner {
    Partner {
        id: 0,
        name: name.into(),
        kind: PartnerKind::Bank,
        services: services.iter().copied().collect(),
        contact: String::new(),
    }
}

/// A seeded store with one program (and its id).
async fn with_program(db: &TestDb) -> (Store, i64) {
    let store = seeded(db).await;
    let id = store
        .create_program(&program("Pelatihan menjahit"), 1)
        .await
        .unwrap();
    (store, id)
}

fn outcome(program: i64, kk: &str, date: &str) -> Outcome {
    Outcome {
        program,
        household: k(kk),
        date: day(date),
        business: None,
        income: None,
        employed: None,
        source: OutcomeSource::Entered,
    }
}

sejahtera_testkit::on_both_backends! {
    // Meta and migrations ----------------------------------------------------------------

    async fn a_new_database_is_empty_and_says_which_backend_it_is(db) {
        let store = open(&db).await;
        let want = match db.backend {
            Backend::Sqlite => sejahtera_store::Backend::Sqlite,
            Backend::Postgres => sejahtera_store::Backend::Postgres,
        };
        assert_eq!(store.backend(), want);
        assert_eq!(store.totals().await.unwrap(), (0, 0));
        assert!(store.regions().await.unwrap().is_empty());
        assert!(store.counts_by_district().await.unwrap().is_empty());
        assert!(store.household_keys().await.unwrap().is_empty());
        assert_eq!(store.registry_generation().await.unwrap(), 0);
        assert_eq!(store.user_count().await.unwrap(), 0);
        assert!(store.users().await.unwrap().is_empty());
        assert!(store.programs().await.unwrap().is_empty());
        assert!(store.enrollment_events().await.unwrap().is_empty());
        assert!(store.partners().await.unwrap().is_empty());
        assert!(store.referrals(None, None).await.unwrap().is_empty());
        assert_eq!(store.welfare_count().await.unwrap(), 0);
        assert!(store.welfare().await.unwrap().is_empty());
        assert!(store.true_consumption().await.unwrap().is_empty());
        assert!(store.household_consumption().await.unwrap().is_empty());
        assert_eq!(store.meta("nothing").await.unwrap(), None);
    }

    async fn meta_values_round_trip_and_are_overwritten(db) {
        let store = open(&db).await;
        store.set_meta("k", AWKWARD).await.unwrap();
        assert_eq!(store.meta("k").await.unwrap().as_deref(), Some(AWKWARD));
        store.set_meta("k", "").await.unwrap();
        assert_eq!(store.meta("k").await.unwrap().as_deref(), Some(""));
        store.set_meta("kunci \"é\"\t", "v").await.unwrap();
        assert_eq!(
            store.meta("kunci \"é\"\t").await.unwrap().as_deref(),
            Some("v")
        );
        assert_eq!(
            store.meta("K").await.unwrap(),
            None,
            "keys are case-sensitive"
        );
        assert_eq!(count(&db, "meta").await, 2);
    }

    async fn migrations_run_again_on_every_open_and_keep_the_data(db) {
        let first = seeded(&db).await;
        first.set_meta("pmt:area", "regency").await.unwrap();
        let generation = first.registry_generation().await.unwrap();
        assert!(generation > 0);
        // A second handle while the first is open, then a third after both closed.
        let second = open(&db).await;
        assert_eq!(second.totals().await.unwrap(), (4, 4));
        first.close().await;
        second.close().await;
        let third = open(&db).await;
        assert_eq!(third.totals().await.unwrap(), (4, 4));
        assert_eq!(third.registry_generation().await.unwrap(), generation);
        assert_eq!(
            third.meta("pmt:area").await.unwrap().as_deref(),
            Some("regency")
        );
        assert_eq!(third.regions().await.unwrap().len(), regions().len());
        // Still writable.
        third.set_meta("after", "reopen").await.unwrap();
        assert_eq!(
            third.meta("after").await.unwrap().as_deref(),
            Some("reopen")
        );
    }

    // Registry --------------------------------------------------------------------------

    async fn regions_round_trip_and_a_second_save_updates_names(db) {
        let store = open(&db).await;
        store.save_regions(&regions()).await.unwrap();
        let stored: Vec<Region> = store.regions().await.unwrap().iter().cloned().collect();
        let mut want: Vec<Region> = regions().iter().cloned().collect();
        want.sort_by(|a, b| a.code.cmp(&b.code));
        let mut got = stored.clone();
        got.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(got, want);
        let renamed = Regions::from_regions(regions().iter().cloned().map(|mut r| {
            if r.code.as_str() == "53.71.02" {
                r.name = "Oebobo \"Baru\" – Kota 'Kupang'".into();
            }
            r
        }))
        .unwrap();
        store.save_regions(&renamed).await.unwrap();
        let again = store.regions().await.unwrap();
        assert_eq!(again.len(), regions().len(), "codes are not duplicated");
        assert_eq!(
            again.get(&code("53.71.02")).unwrap().name,
            "Oebobo \"Baru\" – Kota 'Kupang'"
        );
        assert_eq!(again.get(&code("53.71.01")).unwrap().name, "Alak");
    }

    async fn households_and_persons_round_trip_awkward_text_and_nulls(db) {
        let store = seeded(&db).await;
        let (households, persons) = registry();
        assert_eq!(all_households(&store).await, households, "in no_kk order");
        let mut want = persons.clone();
        want.sort_by_key(|p| (p.no_kk, p.nik));
        assert_eq!(all_persons(&store).await, want, "in (no_kk, nik) order");
        // NULL and empty text stay apart.
        let h2 = store
            .household_detail(&NoKk::parse(KK2).unwrap())
            .await
            .unwrap()
            .unwrap()
            .0;
        assert_eq!((h2.rt.as_deref(), h2.alamat.as_deref()), (Some(""), None));
        assert_eq!(store.totals().await.unwrap(), (4, 4));
    }

    async fn bulk_writes_report_inserted_updated_and_unchanged_rows(db) {
        let store = open(&db).await;
        store.save_regions(&regions()).await.unwrap();
        let (households, persons) = registry();
        let (stats, _) = import(&store, &households, &persons).await;
        assert_eq!(
            stats,
            WriteStats {
                inserted: 8,
                updated: 0,
                unchanged: 0
            }
        );
        // The same rows again change nothing.
        let (stats, _) = import(&store, &households, &persons).await;
        assert_eq!(
            stats,
            WriteStats {
                inserted: 0,
                updated: 0,
                unchanged: 8
            }
        );
        // One changed value, one new row.
        let mut changed = households[1].clone();
        changed.alamat = Some("pindah".into());
        let new = household("5371010101200099", "53.71.01.1001");
        let (stats, _) = import(&store, &[changed.clone(), new, households[0].clone()], &[]).await;
        assert_eq!(
            stats,
            WriteStats {
                inserted: 1,
                updated: 1,
                unchanged: 1
            }
        );
        let stored = store
            .household_detail(&changed.no_kk)
            .await
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(stored, changed);
        // A NULL replacing a value is a change too.
        let mut cleared = households[0].clone();
        cleared.alamat = None;
        cleared.lantai = None;
        let (stats, _) = import(&store, &[cleared.clone()], &[]).await;
        assert_eq!(
            stats,
            WriteStats {
                inserted: 0,
                updated: 1,
                unchanged: 0
            }
        );
        assert_eq!(
            store
                .household_detail(&cleared.no_kk)
                .await
                .unwrap()
                .unwrap()
                .0,
            cleared
        );
        let mut flagged = persons[2].clone();
        flagged.flags = vec![QualityFlag::NikSexMismatch];
        let (stats, _) = import(&store, &[], &[flagged.clone(), persons[3].clone()]).await;
        assert_eq!(
            stats,
            WriteStats {
                inserted: 0,
                updated: 1,
                unchanged: 1
            }
        );
        let stored = all_persons(&store).await;
        assert!(stored.contains(&flagged));
    }

    async fn a_later_row_for_the_same_key_in_one_bulk_write_wins(db) {
        let store = open(&db).await;
        store.save_regions(&regions()).await.unwrap();
        let mut bulk = store.begin_bulk().await.unwrap();
        let mut first = household(KK1, "53.71.01.1001");
        first.alamat = Some("pertama".into());
        let mut second = first.clone();
        second.alamat = Some("kedua".into());
        second.kode_wilayah = code("53.71.01.1002");
        bulk.households(std::slice::from_ref(&first)).await.unwrap();
        bulk.households(std::slice::from_ref(&second))
            .await
            .unwrap();
        bulk.finish().await.unwrap();
        bulk.record_run(&import_run("households", 2), 2, 1, 2)
            .await
            .unwrap();
        bulk.commit().await.unwrap();
        assert_eq!(all_households(&store).await, vec![second]);
    }

    async fn a_committed_bulk_write_records_its_run_and_bumps_the_generation(db) {
        let store = open(&db).await;
        store.save_regions(&regions()).await.unwrap();
        assert_eq!(store.registry_generation().await.unwrap(), 0);
        let (households, persons) = registry();
        let (_, first) = import(&store, &households, &[]).await;
        assert_eq!(store.registry_generation().await.unwrap(), 1);
        assert_eq!(
            store.meta(GENERATION_KEY).await.unwrap().as_deref(),
            Some("1"),
            "kept as a meta value"
        );
        let (_, second) = import(&store, &[], &persons).await;
        assert!(second > first, "run ids grow: {first} then {second}");
        assert_eq!(store.registry_generation().await.unwrap(), 2);
        let row: (String, String, i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT kind, file_name, accepted, rejected, warnings, inserted, updated \
         FROM import_runs WHERE id = $1",
        )
        .bind(second)
        .fetch_one(&db.raw().await)
        .await
        .unwrap();
        assert_eq!(
            row,
            (
                "households".into(),
                "rumah tangga 'Oebobo'.csv".into(),
                4,
                2,
                1,
                4,
                0
            )
        );
        assert_eq!(count(&db, "import_runs").await, 2);
    }

    async fn a_dropped_bulk_write_rolls_everything_back(db) {
        let store = open(&db).await;
        store.save_regions(&regions()).await.unwrap();
        let (households, persons) = registry();
        {
            let mut bulk = store.begin_bulk().await.unwrap();
            bulk.households(&households).await.unwrap();
            bulk.persons(&persons).await.unwrap();
            bulk.finish().await.unwrap();
            bulk.record_run(&import_run("households", 8), 8, 8, 8)
                .await
                .unwrap();
            assert!(bulk.run_id().is_some());
            // dropped without commit
        }
        assert_eq!(store.totals().await.unwrap(), (0, 0));
        assert!(store.household_keys().await.unwrap().is_empty());
        assert_eq!(store.registry_generation().await.unwrap(), 0);
        assert_eq!(count(&db, "import_runs").await, 0);
        // The store is usable afterwards.
        import(&store, &households, &persons).await;
        assert_eq!(store.totals().await.unwrap(), (4, 4));
    }

    async fn a_refused_row_fails_the_bulk_write_and_stores_nothing(db) {
        let store = seeded(&db).await;
        let generation = store.registry_generation().await.unwrap();
        // A person of a household that is not stored breaks the foreign key: the
        // backend may notice at once, at finish or at commit — but it must notice.
        let orphan = person("5371010101900009", "5371010101209999", "Yatim", "L", None);
        let mut extra = household("5371010101200098", "53.71.01.1001");
        extra.alamat = Some("baru".into());
        let mut bulk = store.begin_bulk().await.unwrap();
        let mut failed = bulk.households(std::slice::from_ref(&extra)).await.is_err();
        if !failed {
            failed = bulk.persons(std::slice::from_ref(&orphan)).await.is_err();
        }
        if !failed {
            failed = bulk.finish().await.is_err();
        }
        if !failed {
            failed = bulk
                .record_run(&import_run("persons", 1), 2, 2, 2)
                .await
                .is_err();
        }
        if !failed {
            failed = bulk.commit().await.is_err();
        } else {
            drop(bulk);
        }
        assert!(failed, "an orphan person was accepted");
        assert_eq!(store.totals().await.unwrap(), (4, 4));
        assert!(
            !store
                .household_keys()
                .await
                .unwrap()
                .contains(&5371010101200098)
        );
        assert_eq!(store.registry_generation().await.unwrap(), generation);
    }

    async fn key_lookups_name_households_heads_and_households_outside_villages(db) {
        let store = seeded(&db).await;
        let keys = store.household_keys().await.unwrap();
        let want: HashSet<u64> = [KK1, KK2, KK3, KK4].iter().map(|x| k(x)).collect();
        assert_eq!(keys, want);
        let pk = store.person_keys().await.unwrap();
        let kk = k;
        assert_eq!(
            pk.household_of,
            HashMap::from([
                (kk(NIK1), kk(KK1)),
                (kk(NIK2), kk(KK1)),
                (kk(NIK3), kk(KK2)),
                (kk(NIK4), kk(KK3)),
            ])
        );
        assert_eq!(
            pk.head_of,
            HashMap::from([(kk(KK1), kk(NIK1)), (kk(KK2), kk(NIK3))])
        );
        let outside = store
            .household_keys_outside(&["53.71.02.1001".to_string()])
            .await
            .unwrap();
        assert_eq!(outside, HashSet::from([kk(KK1), kk(KK2)]));
        // Every household is outside an empty list of villages: an import scoped to
        // no village may touch none.
        let all = store.household_keys().await.unwrap();
        assert!(!all.is_empty());
        assert_eq!(store.household_keys_outside(&[]).await.unwrap(), all);
    }

    async fn counts_by_district_list_every_district_in_code_order(db) {
        let store = seeded(&db).await;
        let counts = store.counts_by_district().await.unwrap();
        let rows: Vec<(&str, &str, u64, u64, u64, u64)> = counts
            .iter()
            .map(|d| {
                let c = d.counts;
                (
                    d.code.as_str(),
                    d.name.as_str(),
                    c.households,
                    c.persons,
                    c.women,
                    c.flagged,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("53.71.01", "Alak", 2, 3, 1, 1),
                ("53.71.02", "Oebobo", 2, 1, 0, 0),
                ("53.71.03", "Maulafa", 0, 0, 0, 0),
            ]
        );
        assert_eq!(store.totals().await.unwrap(), (4, 4));
    }

    async fn household_consumption_counts_the_persons_of_each_household(db) {
        let store = seeded(&db).await;
        let mut rows = store.household_consumption().await.unwrap();
        rows.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
        assert_eq!(
            rows,
            [
                (code("53.71.01.1001"), 2_750_000, 2),
                (code("53.71.01.1002"), 0, 1),
                (code("53.71.02.1001"), 1_000_000, 1),
            ],
            "households without persons are left out"
        );
    }

    async fn household_codes_come_in_kk_order_with_empty_codes_and_the_ranking(db) {
        let store = seeded(&db).await;
        let rank = WelfareRow {
            no_kk: NoKk::parse(KK3).unwrap(),
            skor_pmt: 13.25,
            desil: 3,
            area: code("53.71"),
        };
        store.replace_welfare(&[rank], &[]).await.unwrap();
        let mut got = Vec::new();
        store
            .for_each_household_codes(&mut |kk, h: &HouseholdCodes<'_>| {
                got.push((
                    kk,
                    h.village.to_string(),
                    h.pengeluaran,
                    h.housing.map(str::to_string),
                    h.welfare,
                ));
                Ok(())
            })
            .await
            .unwrap();
        let none = || [(); 8].map(|_| String::new());
        let full = [
            "keramik",
            "tembok",
            "seng",
            "perpipaan",
            "sendiri",
            "pln_meter",
            "gas",
            "milik_sendiri",
        ]
        .map(str::to_string);
        assert_eq!(
            got,
            vec![
                (k(KK1), "53.71.01.1001".into(), 2_750_000, full, None),
                (k(KK2), "53.71.01.1002".into(), 0, none(), None),
                (
                    k(KK3),
                    "53.71.02.1001".into(),
                    1_000_000,
                    none(),
                    Some((13.25, 3))
                ),
                (k(KK4), "53.71.02.1001".into(), 1_000_000, none(), None),
            ]
        );
    }

    async fn member_codes_come_per_household_in_nik_order(db) {
        let store = seeded(&db).await;
        let mut got: Vec<(u64, Vec<[String; 7]>)> = Vec::new();
        store
            .for_each_household_members(&mut |kk, members: &[MemberCodes<'_>]| {
                let m = members
                    .iter()
                    .map(|m| {
                        [
                            m.birth,
                            m.sex,
                            m.relation,
                            m.education,
                            m.sector,
                            m.disability,
                            m.marital,
                        ]
                        .map(str::to_string)
                    })
                    .collect();
                got.push((kk, m));
                Ok(())
            })
            .await
            .unwrap();
        let row = |x: [&str; 7]| x.map(str::to_string);
        assert_eq!(
            got,
            vec![
                (
                    k(KK1),
                    vec![
                        // NIK2 (…0101050002) sorts before NIK1 (…4101900001).
                        row(["2005-01-01", "L", "anak", "", "", "", ""]),
                        row([
                            "1990-01-01",
                            "P",
                            "kepala",
                            "sma",
                            "pertanian",
                            "tidak",
                            "kawin"
                        ]),
                    ]
                ),
                (
                    k(KK2),
                    vec![row(["1990-01-01", "L", "kepala", "", "", "", ""])]
                ),
                (k(KK3), vec![row(["1990-01-01", "L", "", "", "", "", ""])]),
            ],
            "households without persons are skipped"
        );
    }

    async fn an_error_from_the_callback_stops_the_walk_and_is_returned(db) {
        let store = seeded(&db).await;
        let mut seen = 0;
        let e = store
            .for_each_household(&mut |_| {
                seen += 1;
                Err(StoreError::Corrupt("stop".into()))
            })
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Corrupt(ref m) if m == "stop"),
            "{e}"
        );
        assert_eq!(seen, 1);
    }

    async fn the_demo_is_written_in_one_transaction_with_truth_and_meta(db) {
        let store = open(&db).await;
        store.save_regions(&regions()).await.unwrap();
        let (households, persons) = registry();
        let truth: Vec<(NoKk, i64)> = households
            .iter()
            .enumerate()
            .map(|(i, h)| (h.no_kk, 1_000_000 + i as i64))
            .collect();
        let meta = vec![
            ("demo:seed".to_string(), "7".to_string()),
            ("demo:scale".to_string(), "0.01".to_string()),
        ];
        let mut reported = 0;
        store
            .write_demo(&households, &persons, &truth, &meta, &mut |n| reported += n)
            .await
            .unwrap();
        assert_eq!(reported, 8, "progress counts every household and person");
        assert_eq!(all_households(&store).await, households);
        assert_eq!(store.totals().await.unwrap(), (4, 4));
        let want: HashMap<u64, i64> = truth.iter().map(|(k, c)| (k.as_u64(), *c)).collect();
        assert_eq!(store.true_consumption().await.unwrap(), want);
        assert_eq!(store.meta("demo:seed").await.unwrap().as_deref(), Some("7"));
        assert_eq!(store.registry_generation().await.unwrap(), 1);
        // A demo whose truth names an unknown household is refused whole.
        let other_db = TestDb::new(db.backend, "demo_refused").await.unwrap();
        let other = open(&other_db).await;
        other.save_regions(&regions()).await.unwrap();
        let bad = [(NoKk::parse("5371010101209999").unwrap(), 1)];
        assert!(
            other
                .write_demo(&households, &persons, &bad, &meta, &mut |_| {})
                .await
                .is_err()
        );
        assert_eq!(other.totals().await.unwrap(), (0, 0));
        assert_eq!(other.meta("demo:seed").await.unwrap(), None);
        assert_eq!(other.registry_generation().await.unwrap(), 0);
    }

    // Accounts ---------------------------------------------------------------------------

    async fn users_round_trip_with_villages_agency_region_and_partner(db) {
        let store = seeded(&db).await;
        let bank = store
            .create_partner(&partner("Bank NTT", &[Service::Kur]))
            .await
            .unwrap();
        let villages = village_set(&["53.71.01.1002", "53.71.01.1001"]);
        let region = code("53.71");
        let id = store
            .create_user(&NewUser {
                username: "op.ñandú",
                display_name: AWKWARD,
                role: Role::AgencyOperator,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                villages: &villages,
                agency: Some("Dinas \"P3A\"\nKupang"),
                region: Some(&region),
                partner: Some(bank),
            })
            .await
            .unwrap();
        let u = store.user_by_username("op.ñandú").await.unwrap().unwrap();
        assert_eq!(u.id, id);
        assert_eq!(u.username, "op.ñandú");
        assert_eq!(u.display_name, AWKWARD);
        assert_eq!(u.role, Role::AgencyOperator);
        assert_eq!(
            u.password_hash,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
        );
        assert!(!u.disabled);
        assert!(
            DateTime::parse_from_rfc3339(&u.created_at).is_ok(),
            "{}",
            u.created_at
        );
        assert_eq!(u.villages, villages);
        assert_eq!(u.agency.as_deref(), Some("Dinas \"P3A\"\nKupang"));
        assert_eq!(u.region, Some(region));
        assert_eq!(u.partner, Some(bank));
        let by_id = store.user_by_id(id).await.unwrap().unwrap();
        assert_eq!((by_id.username, by_id.villages), (u.username, u.villages));
        // NULL optional fields.
        let plain = user(&store, "plain").await;
        let p = store.user_by_id(plain).await.unwrap().unwrap();
        assert_eq!((p.agency, p.region, p.partner), (None, None, None));
        assert!(p.villages.is_empty());
        assert!(store.user_by_username("nobody").await.unwrap().is_none());
        assert!(store.user_by_id(-1).await.unwrap().is_none());
    }

    async fn a_taken_username_is_a_unique_violation_and_changes_nothing(db) {
        let store = seeded(&db).await;
        user(&store, "budi").await;
        let villages = village_set(&["53.71.01.1001"]);
        let e = store
            .create_user(&NewUser {
                username: "budi",
                display_name: "Budi lagi",
                role: Role::VillageOperator,
                password_hash: "x",
                villages: &villages,
                agency: None,
                region: None,
                partner: None,
            })
            .await
            .unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert!(matches!(e, StoreError::Unique(_)));
        assert!(!e.is_retryable());
        assert_eq!(store.user_count().await.unwrap(), 1);
        assert!(store.username_exists("budi").await.unwrap());
        assert!(
            !store.username_exists("Budi").await.unwrap(),
            "usernames are case-sensitive"
        );
        assert_eq!(
            count(&db, "user_villages").await,
            0,
            "the refused user's villages are not kept"
        );
    }

    async fn users_are_listed_by_username_in_byte_order(db) {
        let store = open(&db).await;
        for name in ["budi", "ani", "Zainal", "ñandú", "Budi"] {
            user(&store, name).await;
        }
        let names: Vec<String> = store
            .users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(names, ["Budi", "Zainal", "ani", "budi", "ñandú"]);
        assert_eq!(store.user_count().await.unwrap(), 5);
    }

    async fn sessions_live_until_they_expire_or_end(db) {
        let store = open(&db).await;
        let id = user(&store, "budi").await;
        let exp = "2026-06-01T12:00:00+00:00";
        store
            .create_session("hash-a", id, "csrf \"a\"", exp)
            .await
            .unwrap();
        store
            .create_session("hash-b", id, "csrf-b", "2026-05-01T00:00:00+00:00")
            .await
            .unwrap();
        let s = store
            .session("hash-a", "2026-06-01T11:59:59+00:00")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.user.id, s.csrf_token.as_str(), s.expires_at.as_str()),
            (id, "csrf \"a\"", exp)
        );
        assert!(
            store.session("hash-a", exp).await.unwrap().is_none(),
            "expired at its expiry"
        );
        assert!(
            store
                .session("nope", "2000-01-01T00:00:00+00:00")
                .await
                .unwrap()
                .is_none()
        );
        // A token hash is unique.
        let e = store
            .create_session("hash-a", id, "x", exp)
            .await
            .unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        // Expired sessions are swept; the count is returned.
        assert_eq!(
            store
                .delete_expired_sessions("2026-05-15T00:00:00+00:00")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .delete_expired_sessions("2026-05-15T00:00:00+00:00")
                .await
                .unwrap(),
            0
        );
        store.delete_session("hash-a").await.unwrap();
        assert!(
            store
                .session("hash-a", "2026-01-01T00:00:00+00:00")
                .await
                .unwrap()
                .is_none()
        );
        store.delete_session("hash-a").await.unwrap();
        assert_eq!(count(&db, "sessions").await, 0);
    }

    async fn a_disabled_user_loses_their_sessions(db) {
        let store = open(&db).await;
        let id = user(&store, "budi").await;
        let other = user(&store, "siti").await;
        let exp = "2999-01-01T00:00:00+00:00";
        let now = "2026-01-01T00:00:00+00:00";
        store.create_session("a", id, "c", exp).await.unwrap();
        store.create_session("b", other, "c", exp).await.unwrap();
        assert!(store.set_user_disabled(id, true).await.unwrap());
        assert!(store.user_by_id(id).await.unwrap().unwrap().disabled);
        assert!(store.session("a", now).await.unwrap().is_none());
        assert!(
            store.session("b", now).await.unwrap().is_some(),
            "others keep theirs"
        );
        assert!(store.set_user_disabled(id, false).await.unwrap());
        assert!(!store.user_by_id(id).await.unwrap().unwrap().disabled);
        assert!(
            store.session("a", now).await.unwrap().is_none(),
            "ended sessions stay ended"
        );
        assert!(!store.set_user_disabled(9999, true).await.unwrap());
    }

    async fn a_users_region_is_set_and_cleared(db) {
        let store = seeded(&db).await;
        let id = user(&store, "opd").await;
        assert!(
            store
                .set_user_region(id, Some(&code("53.71")))
                .await
                .unwrap()
        );
        assert_eq!(
            store.user_by_id(id).await.unwrap().unwrap().region,
            Some(code("53.71"))
        );
        assert!(store.set_user_region(id, None).await.unwrap());
        assert_eq!(store.user_by_id(id).await.unwrap().unwrap().region, None);
        assert!(
            !store
                .set_user_region(9999, Some(&code("53.71")))
                .await
                .unwrap()
        );
    }

    async fn login_attempts_count_within_a_window_and_start_again_after_it(db) {
        let store = open(&db).await;
        let key = "account:budi \"é\"";
        assert_eq!(store.login_attempts(key).await.unwrap(), None);
        assert_eq!(
            store.take_login_attempt(key, 1000, 60).await.unwrap(),
            (1, 1000)
        );
        assert_eq!(
            store.take_login_attempt(key, 1030, 60).await.unwrap(),
            (2, 1000)
        );
        assert_eq!(
            store.take_login_attempt(key, 1059, 60).await.unwrap(),
            (3, 1000)
        );
        assert_eq!(store.login_attempts(key).await.unwrap(), Some((3, 1000)));
        // The window has passed at first + window: counting starts again.
        assert_eq!(
            store.take_login_attempt(key, 1060, 60).await.unwrap(),
            (1, 1060)
        );
        assert_eq!(
            store
                .take_login_attempt("address:10.0.0.1", 1061, 60)
                .await
                .unwrap(),
            (1, 1061)
        );
        // A success gives one attempt back, never below zero.
        store.return_login_attempt(key).await.unwrap();
        assert_eq!(store.login_attempts(key).await.unwrap(), Some((0, 1060)));
        store.return_login_attempt(key).await.unwrap();
        assert_eq!(store.login_attempts(key).await.unwrap(), Some((0, 1060)));
        store.return_login_attempt("unknown").await.unwrap();
        assert_eq!(store.login_attempts("unknown").await.unwrap(), None);
        store.clear_login_attempts(key).await.unwrap();
        assert_eq!(store.login_attempts(key).await.unwrap(), None);
        // Counters whose window started before the cut-off are deleted and counted.
        store.take_login_attempt("old", 500, 60).await.unwrap();
        assert_eq!(store.delete_old_login_attempts(1061).await.unwrap(), 1);
        assert_eq!(store.login_attempts("old").await.unwrap(), None);
        assert_eq!(
            store.login_attempts("address:10.0.0.1").await.unwrap(),
            Some((1, 1061))
        );
    }

    async fn parallel_login_attempts_each_get_their_own_count(db) {
        let store = open(&db).await;
        let other = open(&db).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let s = if i % 2 == 0 {
                store.clone()
            } else {
                other.clone()
            };
            tasks.push(tokio::spawn(async move {
                s.take_login_attempt("account:race", 5000, 900)
                    .await
                    .unwrap()
            }));
        }
        let mut counts = Vec::new();
        for t in tasks {
            let (n, first) = t.await.unwrap();
            assert_eq!(first, 5000);
            counts.push(n);
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=24).collect::<Vec<i64>>());
        assert_eq!(
            store.login_attempts("account:race").await.unwrap(),
            Some((24, 5000))
        );
    }

    // Programs and the enrollment log --------------------------------------------------

    async fn programs_round_trip_with_quotas_exclusions_and_partners(db) {
        let store = seeded(&db).await;
        let bank = store
            .create_partner(&partner("Bank NTT", &[Service::Kur]))
            .await
            .unwrap();
        let coop = store
            .create_partner(&partner("Koperasi", &[Service::Tabungan]))
            .await
            .unwrap();
        let mut a = program("Pelatihan \"menjahit\"\tdasar – é");
        a.eligibility = "desil <= 4 and\nkepala.jenis_kelamin == \"P\"".into();
        a.quotas = BTreeMap::from([(code("53.71.01.1001"), 2), (code("53.71.02.1001"), 0)]);
        a.partners = BTreeSet::from([bank, coop]);
        a.capacity = 0;
        a.id = 999; // ignored
        let a_id = store.create_program(&a, 42).await.unwrap();
        let mut b = program("Pelatihan tata boga");
        b.exclusive_with = BTreeSet::from([a_id]);
        b.sector = Sector::Umkm;
        b.kind = ProgramKind::AksesKredit;
        b.budget = Rupiah::new(i64::MAX);
        let b_id = store.create_program(&b, 42).await.unwrap();
        assert!(b_id > a_id);
        a.id = a_id;
        b.id = b_id;
        assert_eq!(store.programs().await.unwrap(), vec![a, b], "by id");
    }

    async fn a_duplicate_program_name_is_a_unique_violation_and_stores_nothing(db) {
        let store = seeded(&db).await;
        store.create_program(&program("Sama"), 1).await.unwrap();
        let mut again = program("Sama");
        again.quotas = BTreeMap::from([(code("53.71.01.1001"), 1)]);
        let e = store.create_program(&again, 1).await.unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert_eq!(store.programs().await.unwrap().len(), 1);
        assert_eq!(count(&db, "program_quotas").await, 0);
        // Names differing in case are different programs.
        store.create_program(&program("sama"), 1).await.unwrap();
        assert_eq!(store.programs().await.unwrap().len(), 2);
    }

    async fn enrollment_events_round_trip_in_the_order_recorded(db) {
        let (store, p) = with_program(&db).await;
        let mut first = event(p, KK3, "53.71.02.1001", Status::Candidate);
        first.at = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let mut second = event(p, KK1, "53.71.01.1001", Status::Enrolled);
        second.participant = Some(k(NIK1));
        second.why = AWKWARD.into();
        let mut third = event(p, KK1, "53.71.01.1001", Status::Exited);
        third.reason = Some("pindah \"domisili\"\nke Jawa".into());
        third.participant = second.participant;
        // Earlier `at` recorded later: the log keeps the order of recording.
        third.at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let id1 = store.append_enrollment_event(&first).await.unwrap();
        store
            .append_enrollment_events(&[second.clone(), third.clone()])
            .await
            .unwrap();
        let id4 = store.append_enrollment_event(&first).await.unwrap();
        assert!(id4 > id1);
        assert_eq!(
            store.enrollment_events().await.unwrap(),
            vec![first.clone(), second, third, first]
        );
        store.append_enrollment_events(&[]).await.unwrap();
        assert_eq!(store.enrollment_events().await.unwrap().len(), 4);
    }

    async fn a_batch_of_events_is_all_or_nothing(db) {
        let (store, p) = with_program(&db).await;
        let good = event(p, KK1, "53.71.01.1001", Status::Enrolled);
        let unknown_household = event(p, "5371010101209999", "53.71.01.1001", Status::Enrolled);
        assert!(
            store
                .append_enrollment_events(&[good.clone(), unknown_household])
                .await
                .is_err()
        );
        assert!(store.enrollment_events().await.unwrap().is_empty());
        let unknown_program = event(p + 100, KK1, "53.71.01.1001", Status::Enrolled);
        assert!(
            store
                .append_enrollment_event(&unknown_program)
                .await
                .is_err()
        );
        assert!(store.enrollment_events().await.unwrap().is_empty());
    }

    async fn an_enrollment_decision_reads_appends_and_commits(db) {
        let (store, p) = with_program(&db).await;
        store
            .append_enrollment_event(&event(p, KK2, "53.71.01.1002", Status::Enrolled))
            .await
            .unwrap();
        let decided = event(p, KK1, "53.71.01.1001", Status::Enrolled);
        let mut tx = store.begin_enrollment().await.unwrap();
        assert_eq!(
            tx.programs().await.unwrap(),
            store.programs().await.unwrap()
        );
        assert_eq!(tx.enrollment_events().await.unwrap().len(), 1);
        let id = tx.append(&decided).await.unwrap();
        assert!(id > 0);
        let seen = tx.enrollment_events().await.unwrap();
        assert_eq!(seen.len(), 2, "the decision sees its own event");
        assert_eq!(seen[1], decided);
        tx.commit().await.unwrap();
        assert_eq!(store.enrollment_events().await.unwrap()[1], decided);
    }

    async fn every_handle_folds_the_log_as_a_full_replay(db) {
        // Two handles, as two processes: each keeps its own fold of the log.
        let (store, p) = with_program(&db).await;
        let other = open(&db).await;
        assert_eq!(folds(&store, p).await.0, vec![]);
        other
            .append_enrollment_event(&event(p, KK1, "53.71.01.1001", Status::Candidate))
            .await
            .unwrap();
        let (f, _) = folds(&store, p).await;
        assert_eq!(f, vec![(k(KK1), Status::Candidate, code("53.71.01.1001"))]);
        // A decision sees its own uncommitted event; a rolled-back one reaches no fold.
        {
            let mut tx = store.begin_enrollment().await.unwrap();
            let before = tx.enrollments().await.unwrap();
            assert_eq!(before.status(p, k(KK1)), Some(Status::Candidate));
            tx.append(&event(p, KK1, "53.71.01.1001", Status::Enrolled))
                .await
                .unwrap();
            let mine = tx.enrollments().await.unwrap();
            assert_eq!(mine.status(p, k(KK1)), Some(Status::Enrolled));
            // dropped without commit
        }
        assert_eq!(
            store.enrollments().await.unwrap().status(p, k(KK1)),
            Some(Status::Candidate)
        );
        assert_eq!(folds(&other, p).await.1, 0);
        // Committed by the other handle, then a batch by this one: both folds follow.
        let mut tx = other.begin_enrollment().await.unwrap();
        tx.append(&event(p, KK1, "53.71.01.1001", Status::Enrolled))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(folds(&store, p).await.1, 1);
        store
            .append_enrollment_events(&[
                event(p, KK2, "53.71.01.1002", Status::Candidate),
                event(p, KK2, "53.71.01.1002", Status::Enrolled),
            ])
            .await
            .unwrap();
        for h in [&store, &other] {
            let (f, places) = folds(h, p).await;
            assert_eq!(places, 2);
            assert_eq!(f.len(), 2);
        }
    }

    async fn a_dropped_enrollment_decision_rolls_back(db) {
        let (store, p) = with_program(&db).await;
        {
            let mut tx = store.begin_enrollment().await.unwrap();
            tx.append(&event(p, KK1, "53.71.01.1001", Status::Enrolled))
                .await
                .unwrap();
            // dropped without commit
        }
        assert!(store.enrollment_events().await.unwrap().is_empty());
        // The next decision is not blocked by the dropped one.
        let mut tx = store.begin_enrollment().await.unwrap();
        tx.append(&event(p, KK2, "53.71.01.1002", Status::Candidate))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.enrollment_events().await.unwrap().len(), 1);
    }

    async fn enrollment_decisions_wait_for_each_other(db) {
        let (store, p) = with_program(&db).await;
        let other = open(&db).await;
        let mut first = store.begin_enrollment().await.unwrap();
        assert!(first.enrollment_events().await.unwrap().is_empty());
        let second = tokio::spawn(async move {
            let mut tx = other.begin_enrollment().await.unwrap();
            let seen = tx.enrollment_events().await.unwrap().len();
            tx.append(&event(p, KK2, "53.71.01.1002", Status::Enrolled))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            seen
        });
        // The second decision cannot read the log while the first is undecided.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            !second.is_finished(),
            "a second decision ran beside an open one"
        );
        first
            .append(&event(p, KK1, "53.71.01.1001", Status::Enrolled))
            .await
            .unwrap();
        first.commit().await.unwrap();
        assert_eq!(
            second.await.unwrap(),
            1,
            "the second decision saw the first one's event"
        );
        let households: Vec<u64> = store
            .enrollment_events()
            .await
            .unwrap()
            .iter()
            .map(|e| e.household)
            .collect();
        assert_eq!(households, [k(KK1), k(KK2)]);
    }

    async fn the_enrollment_log_is_append_only(db) {
        let (store, p) = with_program(&db).await;
        store
            .append_enrollment_event(&event(p, KK1, "53.71.01.1001", Status::Enrolled))
            .await
            .unwrap();
        assert_append_only(&db, "enrollment_events", "status = 'graduated'").await;
        assert_eq!(
            store.enrollment_events().await.unwrap()[0].status,
            Status::Enrolled
        );
    }

    // Delivery ----------------------------------------------------------------------------

    async fn partners_round_trip_by_id_and_names_are_unique(db) {
        let store = open(&db).await;
        let mut a = partner(
            "Bank NTT \"Kupang\"",
            &[Service::Tabungan, Service::Kur, Service::AksesPasar],
        );
        a.contact = AWKWARD.into();
        let mut b = partner("Koperasi Ñandú", &[]);
        b.kind = PartnerKind::Koperasi;
        a.id = store.create_partner(&a).await.unwrap();
        b.id = store.create_partner(&b).await.unwrap();
        assert!(b.id > a.id);
        assert_eq!(store.partners().await.unwrap(), vec![a.clone(), b]);
        let e = store
            .create_partner(&partner(&a.name, &[Service::Kredit]))
            .await
            .unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert_eq!(store.partners().await.unwrap().len(), 2);
    }

    async fn training_sessions_come_by_day(db) {
        let (store, p) = with_program(&db).await;
        let other = store.create_program(&program("Lain"), 1).await.unwrap();
        let mut ids = Vec::new();
        for (date, topic) in [
            ("2026-05-01", "Mei"),
            ("2026-03-01", "Maret \"1\"\n"),
            ("2026-03-01", "Maret 2"),
        ] {
            let s = Session {
                id: 0,
                program: p,
                date: day(date),
                topic: topic.into(),
                place: AWKWARD.into(),
            };
            ids.push(store.create_training_session(&s, 7).await.unwrap());
        }
        store
            .create_training_session(
                &Session {
                    id: 0,
                    program: other,
                    date: day("2026-01-01"),
                    topic: "x".into(),
                    place: String::new(),
                },
                7,
            )
            .await
            .unwrap();
        let got = store.training_sessions(p).await.unwrap();
        let order: Vec<(i64, &str)> = got.iter().map(|s| (s.id, s.topic.as_str())).collect();
        assert_eq!(
            order,
            [
                (ids[1], "Maret \"1\"\n"),
                (ids[2], "Maret 2"),
                (ids[0], "Mei")
            ]
        );
        assert!(got.iter().all(|s| s.program == p && s.place == AWKWARD));
        let one = store.training_session(ids[0]).await.unwrap().unwrap();
        assert_eq!((one.date, one.topic.as_str()), (day("2026-05-01"), "Mei"));
        assert!(
            store
                .training_session(ids[2] + 100)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.training_sessions(p + 100).await.unwrap().is_empty());
    }

    async fn attendance_is_replaced_per_household_and_recorded_all_or_nothing(db) {
        let (store, p) = with_program(&db).await;
        let s1 = store
            .create_training_session(
                &Session {
                    id: 0,
                    program: p,
                    date: day("2026-03-01"),
                    topic: "a".into(),
                    place: String::new(),
                },
                7,
            )
            .await
            .unwrap();
        let s2 = store
            .create_training_session(
                &Session {
                    id: 0,
                    program: p,
                    date: day("2026-02-01"),
                    topic: "b".into(),
                    place: String::new(),
                },
                7,
            )
            .await
            .unwrap();
        let (k1, k2, k3) = (k(KK1), k(KK2), k(KK3));
        store
            .record_attendance(s1, &[(k2, true), (k1, true)], 7)
            .await
            .unwrap();
        store
            .record_attendance(s2, &[(k3, false)], 7)
            .await
            .unwrap();
        store
            .record_attendance(s1, &[(k1, false)], 8)
            .await
            .unwrap();
        assert_eq!(
            store.attendance(p).await.unwrap(),
            vec![(s1, k1, false), (s1, k2, true), (s2, k3, false)],
            "by session, then household; the later mark replaces the earlier"
        );
        // A mark for a household that is not stored refuses the whole record.
        let e = store
            .record_attendance(s2, &[(k1, true), (5371010101209999, true)], 7)
            .await;
        assert!(e.is_err());
        assert_eq!(
            store.attendance(p).await.unwrap(),
            vec![(s1, k1, false), (s1, k2, true), (s2, k3, false)]
        );
        assert_eq!(count(&db, "attendance").await, 3);
    }

    async fn mentoring_visits_round_trip_by_day(db) {
        let (store, p) = with_program(&db).await;
        let mut late = Visit {
            id: 0,
            program: p,
            household: k(KK1),
            date: day("2026-09-01"),
            mentor: 7,
            notes: AWKWARD.into(),
        };
        let mut early = Visit {
            id: 0,
            program: p,
            household: k(KK2),
            date: day("2026-04-01"),
            mentor: 8,
            notes: String::new(),
        };
        late.id = store.add_visit(&late).await.unwrap();
        early.id = store.add_visit(&early).await.unwrap();
        assert_eq!(store.visits(p).await.unwrap(), vec![early, late]);
        assert!(store.visits(p + 100).await.unwrap().is_empty());
    }

    async fn a_referral_keeps_its_status_log_and_shows_the_latest(db) {
        let (store, p) = with_program(&db).await;
        let bank = store
            .create_partner(&partner("Bank", &[Service::Kur]))
            .await
            .unwrap();
        let shop = store
            .create_partner(&partner("Toko", &[Service::AksesPasar]))
            .await
            .unwrap();
        let other = store.create_program(&program("Lain"), 1).await.unwrap();
        let referral = |program: i64, kk: &str, partner: i64, service: Service| Referral {
            id: 0,
            program,
            household: k(kk),
            partner,
            service,
            status: ReferralStatus::Referred,
            result: None,
            amount: None,
            referred_on: day("2026-05-01"),
            updated_on: day("2026-05-01"),
        };
        let mut r1 = referral(p, KK1, bank, Service::Kur);
        let mut r2 = referral(p, KK2, shop, Service::AksesPasar);
        let mut r3 = referral(other, KK3, bank, Service::Kur);
        r1.id = store.create_referral(&r1, 7).await.unwrap();
        r2.id = store.create_referral(&r2, 7).await.unwrap();
        r3.id = store.create_referral(&r3, 7).await.unwrap();
        assert_eq!(
            store.referral(r1.id).await.unwrap(),
            Some(r1.clone()),
            "starts as referred"
        );
        for (status, result, amount, on) in [
            (ReferralStatus::Accepted, None, None, "2026-05-10"),
            (
                ReferralStatus::Completed,
                Some("KUR \"mikro\"\ndisalurkan"),
                Some(Rupiah::new(10_000_000)),
                "2026-05-20",
            ),
        ] {
            store
                .update_referral(&ReferralUpdate {
                    referral: r1.id,
                    status,
                    result,
                    amount,
                    day: day(on),
                    actor: 77,
                })
                .await
                .unwrap();
        }
        r1.status = ReferralStatus::Completed;
        r1.result = Some("KUR \"mikro\"\ndisalurkan".into());
        r1.amount = Some(Rupiah::new(10_000_000));
        r1.updated_on = day("2026-05-20");
        assert_eq!(store.referral(r1.id).await.unwrap(), Some(r1.clone()));
        assert_eq!(
            store.referrals(None, None).await.unwrap(),
            vec![r1.clone(), r2.clone(), r3.clone()]
        );
        assert_eq!(
            store.referrals(Some(p), None).await.unwrap(),
            vec![r1.clone(), r2.clone()]
        );
        assert_eq!(
            store.referrals(None, Some(bank)).await.unwrap(),
            vec![r1.clone(), r3]
        );
        assert_eq!(
            store.referrals(Some(p), Some(shop)).await.unwrap(),
            vec![r2]
        );
        assert!(
            store
                .referrals(Some(p + 100), None)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.referral(r1.id + 100).await.unwrap().is_none());
        assert_eq!(
            count(&db, "referral_events").await,
            5,
            "three referred, then two updates"
        );
        assert_append_only(&db, "referral_events", "status = 'rejected'").await;
        assert_eq!(store.referral(r1.id).await.unwrap(), Some(r1));
    }

    async fn outcomes_are_appended_in_order_all_or_nothing_and_never_changed(db) {
        let (store, p) = with_program(&db).await;
        let mut a = outcome(p, KK1, "2026-06-01");
        a.business = Some(true);
        a.income = Some(Rupiah::new(1_250_000));
        a.employed = Some(false);
        let b = outcome(p, KK2, "2026-03-01");
        let mut c = outcome(p, KK1, "2026-06-01");
        c.income = Some(Rupiah::new(0));
        c.source = OutcomeSource::Imported;
        assert_eq!(
            store
                .append_outcomes(&[a.clone(), b.clone()], 7)
                .await
                .unwrap(),
            2
        );
        assert_eq!(store.append_outcomes(&[c.clone()], 8).await.unwrap(), 1);
        assert_eq!(store.append_outcomes(&[], 8).await.unwrap(), 0);
        assert_eq!(
            store.outcomes(p).await.unwrap(),
            vec![a.clone(), b.clone(), c.clone()],
            "in the order recorded"
        );
        // A batch with an outcome of an unknown household stores none of it.
        let e = store
            .append_outcomes(
                &[b.clone(), outcome(p, "5371010101209999", "2026-06-01")],
                7,
            )
            .await;
        assert!(e.is_err());
        assert_eq!(store.outcomes(p).await.unwrap(), vec![a, b, c]);
        assert!(store.outcomes(p + 100).await.unwrap().is_empty());
        assert_append_only(&db, "outcomes", "income = 1").await;
        assert_eq!(store.outcomes(p).await.unwrap().len(), 3);
    }

    async fn participant_sexes_come_from_the_participants_of_the_program(db) {
        let (store, p) = with_program(&db).await;
        let other = store.create_program(&program("Lain"), 1).await.unwrap();
        let mut e1 = event(p, KK1, "53.71.01.1001", Status::Enrolled);
        e1.participant = Some(k(NIK1));
        let mut e2 = event(p, KK1, "53.71.01.1001", Status::Active);
        e2.participant = e1.participant;
        let mut e3 = event(p, KK2, "53.71.01.1002", Status::Enrolled);
        e3.participant = Some(k(NIK3));
        let e4 = event(p, KK3, "53.71.02.1001", Status::Candidate);
        let mut e5 = event(other, KK1, "53.71.01.1001", Status::Enrolled);
        e5.participant = Some(k(NIK2));
        store
            .append_enrollment_events(&[e1, e2, e3, e4, e5])
            .await
            .unwrap();
        assert_eq!(
            store.participant_sexes(p).await.unwrap(),
            HashMap::from([(k(NIK1), JenisKelamin::P), (k(NIK3), JenisKelamin::L),])
        );
        assert!(store.participant_sexes(p + 100).await.unwrap().is_empty());
    }

    // Households: search, detail, references, rejects ----------------------------------

    async fn a_number_finds_the_household_by_kk_or_by_a_members_nik(db) {
        let store = seeded(&db).await;
        let hit = |kk: &str, village: &str, head: Option<&str>, members| HouseholdHit {
            no_kk: NoKk::parse(kk).unwrap(),
            kode_wilayah: code(village),
            head_name: head.map(Into::into),
            members,
        };
        let by_kk = store
            .search_households(&HouseholdFilter::Number(KK1.into()), None, 10, 0)
            .await
            .unwrap();
        assert_eq!(
            by_kk,
            (
                vec![hit(KK1, "53.71.01.1001", Some("Ni Luh \"Ayu\"\tÑandú"), 2)],
                1
            )
        );
        let by_nik = store
            .search_households(&HouseholdFilter::Number(NIK2.into()), None, 10, 0)
            .await
            .unwrap();
        assert_eq!(by_nik, by_kk);
        let headless = store
            .search_households(&HouseholdFilter::Number(KK3.into()), None, 10, 0)
            .await
            .unwrap();
        assert_eq!(headless, (vec![hit(KK3, "53.71.02.1001", None, 1)], 1));
        let empty = store
            .search_households(&HouseholdFilter::Number(KK4.into()), None, 10, 0)
            .await
            .unwrap();
        assert_eq!(empty, (vec![hit(KK4, "53.71.02.1001", None, 0)], 1));
        let none = store
            .search_households(
                &HouseholdFilter::Number("5371010101209999".into()),
                None,
                10,
                0,
            )
            .await
            .unwrap();
        assert_eq!(none, (vec![], 0));
    }

    async fn a_name_search_ignores_ascii_case_and_takes_wildcards_literally(db) {
        let store = seeded(&db).await;
        let kks = |r: (Vec<HouseholdHit>, u64)| {
            (
                r.0.into_iter()
                    .map(|h| h.no_kk.to_string())
                    .collect::<Vec<_>>(),
                r.1,
            )
        };
        let search = async |q: &str| {
            store
                .search_households(&HouseholdFilter::Name(q.into()), None, 10, 0)
                .await
        };
        assert_eq!(
            kks(search("AYU").await.unwrap()),
            (vec![KK1.to_string()], 1)
        );
        assert_eq!(
            kks(search("o'brien \\ BACK").await.unwrap()),
            (vec![KK1.to_string()], 1)
        );
        assert_eq!(
            kks(search("李雷").await.unwrap()),
            (vec![KK2.to_string()], 1)
        );
        assert_eq!(
            kks(search("\\N").await.unwrap()),
            (vec![KK3.to_string()], 1)
        );
        assert_eq!(
            kks(search("%").await.unwrap()),
            (vec![], 0),
            "% is not a wildcard"
        );
        assert_eq!(
            kks(search("_").await.unwrap()),
            (vec![], 0),
            "_ is not a wildcard"
        );
        assert_eq!(
            kks(search("\\").await.unwrap()),
            (vec![KK1.to_string(), KK3.to_string()], 2)
        );
        // Every household with a member whose name contains an "n", once each, in KK order.
        assert_eq!(
            kks(search("N").await.unwrap()),
            (vec![KK1.to_string(), KK2.to_string(), KK3.to_string()], 3)
        );
    }

    async fn a_search_is_limited_to_villages_and_paged_in_kk_order(db) {
        let store = seeded(&db).await;
        let all = HouseholdFilter::Name("n".into());
        let page = async |villages: Option<Vec<String>>, limit: u32, offset: u64| {
            let (hits, total) = store
                .search_households(&all, villages.as_deref(), limit, offset)
                .await
                .unwrap();
            (
                hits.into_iter()
                    .map(|h| h.no_kk.to_string())
                    .collect::<Vec<_>>(),
                total,
            )
        };
        assert_eq!(
            page(None, 2, 0).await,
            (vec![KK1.to_string(), KK2.to_string()], 3)
        );
        assert_eq!(page(None, 2, 2).await, (vec![KK3.to_string()], 3));
        assert_eq!(page(None, 2, 4).await, (vec![], 3));
        assert_eq!(page(None, 0, 0).await, (vec![], 3));
        assert_eq!(page(None, 10, u64::MAX).await, (vec![], 3));
        let alak = vec!["53.71.01.1001".to_string(), "53.71.01.1002".to_string()];
        assert_eq!(
            page(Some(alak), 10, 0).await,
            (vec![KK1.to_string(), KK2.to_string()], 2)
        );
        assert_eq!(
            page(Some(vec!["53.71.02.1001".into()]), 10, 0).await,
            (vec![KK3.to_string()], 1)
        );
        assert_eq!(
            page(Some(vec![]), 10, 0).await,
            (vec![], 0),
            "no villages, no households"
        );
    }

    async fn a_household_comes_with_its_members_by_nik(db) {
        let store = seeded(&db).await;
        let (households, persons) = registry();
        let (h, members) = store
            .household_detail(&NoKk::parse(KK1).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(h, households[0]);
        assert_eq!(members, vec![persons[1].clone(), persons[0].clone()]);
        let (h, members) = store
            .household_detail(&NoKk::parse(KK4).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((h, members), (households[3].clone(), vec![]));
        assert!(
            store
                .household_detail(&NoKk::parse("5371010101209999").unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }

    async fn household_references_keep_the_first_mapping(db) {
        let store = seeded(&db).await;
        let kk = |s: &str| NoKk::parse(s).unwrap();
        store
            .save_household_refs(&[("r-1".into(), kk(KK1)), ("r-2".into(), kk(KK2))])
            .await
            .unwrap();
        // Known references and known households are kept as they were.
        store
            .save_household_refs(&[
                ("r-1".into(), kk(KK3)),
                ("r-9".into(), kk(KK2)),
                ("r-3".into(), kk(KK3)),
            ])
            .await
            .unwrap();
        store.save_household_refs(&[]).await.unwrap();
        assert_eq!(store.household_of_ref("r-1").await.unwrap(), Some(kk(KK1)));
        assert_eq!(store.household_of_ref("r-2").await.unwrap(), Some(kk(KK2)));
        assert_eq!(store.household_of_ref("r-3").await.unwrap(), Some(kk(KK3)));
        assert_eq!(store.household_of_ref("r-9").await.unwrap(), None);
        assert_eq!(store.household_of_ref("R-1").await.unwrap(), None);
        assert_eq!(count(&db, "household_refs").await, 3);
    }

    async fn rejects_reports_round_trip_as_bytes(db) {
        let store = seeded(&db).await;
        let (_, run_id) = import(&store, &[], &[]).await;
        let uploader = user(&store, "op").await;
        let content: Vec<u8> =
            b"line,column,reason,raw\n3,nik,\"bad\"\n\0\xff\xfe\x80 \\N\r\n".to_vec();
        store
            .save_import_rejects(run_id, uploader, &content)
            .await
            .unwrap();
        assert_eq!(
            store.import_rejects(run_id).await.unwrap(),
            Some((Some(uploader), content))
        );
        assert_eq!(store.import_rejects(run_id + 100).await.unwrap(), None);
        let e = store
            .save_import_rejects(run_id, uploader, b"again")
            .await
            .unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        let (_, empty_run) = import(&store, &[], &[]).await;
        store
            .save_import_rejects(empty_run, uploader, &[])
            .await
            .unwrap();
        assert_eq!(
            store.import_rejects(empty_run).await.unwrap(),
            Some((Some(uploader), vec![]))
        );
    }

    // Welfare ----------------------------------------------------------------------------

    async fn the_welfare_ranking_is_replaced_as_a_whole(db) {
        let store = seeded(&db).await;
        let row = |kk: &str, skor_pmt, desil| WelfareRow {
            no_kk: NoKk::parse(kk).unwrap(),
            skor_pmt,
            desil,
            area: code("53.71"),
        };
        let scores = [13.123_456_789_012_345, -0.000_001_5, 1e-300];
        store
            .replace_welfare(
                &[
                    row(KK1, scores[0], 1),
                    row(KK2, scores[1], 10),
                    row(KK3, scores[2], 5),
                ],
                &[
                    ("pmt:area".into(), "regency".into()),
                    ("pmt:weights".into(), AWKWARD.into()),
                ],
            )
            .await
            .unwrap();
        assert_eq!(store.welfare_count().await.unwrap(), 3);
        let w = store.welfare().await.unwrap();
        assert_eq!(w[&k(KK1)], (scores[0], 1), "doubles round trip exactly");
        assert_eq!(w[&k(KK2)], (scores[1], 10));
        assert_eq!(w[&k(KK3)], (scores[2], 5));
        assert_eq!(
            store.welfare_of(&NoKk::parse(KK2).unwrap()).await.unwrap(),
            Some((scores[1], 10))
        );
        assert_eq!(
            store.meta("pmt:weights").await.unwrap().as_deref(),
            Some(AWKWARD)
        );
        store
            .replace_welfare(&[row(KK4, 12.0, 2)], &[])
            .await
            .unwrap();
        assert_eq!(store.welfare_count().await.unwrap(), 1);
        assert_eq!(
            store.welfare_of(&NoKk::parse(KK1).unwrap()).await.unwrap(),
            None
        );
        assert_eq!(
            store.welfare_of(&NoKk::parse(KK4).unwrap()).await.unwrap(),
            Some((12.0, 2))
        );
        assert_eq!(
            store.meta("pmt:area").await.unwrap().as_deref(),
            Some("regency"),
            "meta not named is kept"
        );
        store.replace_welfare(&[], &[]).await.unwrap();
        assert_eq!(store.welfare_count().await.unwrap(), 0);
    }

    async fn a_refused_welfare_replacement_keeps_the_previous_ranking(db) {
        let store = seeded(&db).await;
        let row = |kk: &str, desil| WelfareRow {
            no_kk: NoKk::parse(kk).unwrap(),
            skor_pmt: 12.5,
            desil,
            area: code("53.71"),
        };
        store
            .replace_welfare(&[row(KK1, 4)], &[("pmt:area".into(), "regency".into())])
            .await
            .unwrap();
        let e = store
            .replace_welfare(
                &[row(KK2, 1), row("5371010101209999", 2)],
                &[("pmt:area".into(), "district".into())],
            )
            .await;
        assert!(e.is_err(), "a household that is not stored");
        assert_eq!(
            store.welfare().await.unwrap(),
            HashMap::from([(k(KK1), (12.5, 4))])
        );
        assert_eq!(
            store.meta("pmt:area").await.unwrap().as_deref(),
            Some("regency")
        );
        // Two rows for one household are refused too.
        let e = store
            .replace_welfare(&[row(KK2, 1), row(KK2, 2)], &[])
            .await
            .unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert_eq!(store.welfare_count().await.unwrap(), 1);
    }
}
