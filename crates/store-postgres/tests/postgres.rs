//! Tests of the PostgreSQL backend against a server (`SEJAHTERA_TEST_PG_URL`, see
//! `sejahtera_testkit::pg`); without one they are skipped, except under CI.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::{Code, JenisKelamin};
use sejahtera_domain::programs::{Event, Program, ProgramKind, Sector, Status};
use sejahtera_domain::region::Regions;
use sejahtera_domain::registry::{Household, Person, QualityFlag};
use sejahtera_domain::{Nik, NoKk, RegionCode, Rupiah};
use sejahtera_store::prelude::*;
use sejahtera_store::{
    Backend, HouseholdFilter, ImportRun, NewUser, Store, StoreError, WelfareRow, WriteStats,
};
use sejahtera_store_postgres::PgStore;
use sejahtera_store_sqlite::SqliteStore;
use sejahtera_testkit::pg::fresh_database;

/// A fresh database's URL, or `None` (test skipped) without a server.
async fn database(label: &str) -> Option<String> {
    let url = fresh_database(label).await;
    if url.is_none() {
        eprintln!("skipped: SEJAHTERA_TEST_PG_URL not set");
    }
    url
}

async fn raw(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(sejahtera_store_postgres::connect_options(url).unwrap())
        .await
        .unwrap()
}

const REGIONS: &str = "code,name,level,parent_code\n\
53,Nusa Tenggara Timur,province,\n\
53.71,Kota Kupang,regency,53\n\
53.71.01,Alak,district,53.71\n\
53.71.02,Oebobo,district,53.71\n\
53.71.03,Maulafa,district,53.71\n\
53.71.01.1001,Manulai II,village,53.71.01\n\
53.71.01.1002,Penkase Oeleta,village,53.71.01\n\
53.71.02.1001,Fatululi,village,53.71.02\n";

fn regions() -> Regions {
    let mut r = Regions::new();
    r.extend(Regions::parse_csv("test", REGIONS).unwrap());
    r
}

fn code<C: Code>(s: &str) -> Option<C> {
    Some(C::parse(s).unwrap())
}

fn household(kk: &str, village: &str, alamat: Option<&str>, rt: Option<&str>) -> Household {
    Household {
        no_kk: NoKk::parse(kk).unwrap(),
        kode_wilayah: RegionCode::parse(village).unwrap(),
        rt: rt.map(Into::into),
        rw: Some("003".into()),
        alamat: alamat.map(Into::into),
        pengeluaran_bulanan: Rupiah::new(1_750_000),
        lantai: code("keramik"),
        dinding: None,
        atap: code("seng"),
        sumber_air: None,
        sanitasi: None,
        listrik: None,
        bahan_bakar: None,
        status_rumah: None,
    }
}

fn person(
    nik: &str,
    kk: &str,
    nama: &str,
    sex: &str,
    head: bool,
    pekerjaan: Option<&str>,
) -> Person {
    Person {
        nik: Nik::parse(nik).unwrap(),
        no_kk: NoKk::parse(kk).unwrap(),
        nama: nama.into(),
        jenis_kelamin: JenisKelamin::parse(sex).unwrap(),
        tanggal_lahir: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
        hubungan: if head { code("kepala") } else { None },
        pendidikan: None,
        pekerjaan: pekerjaan.map(Into::into),
        sektor: None,
        disabilitas: None,
        status_kawin: None,
        flags: if head {
            vec![]
        } else {
            vec![
                QualityFlag::NikBirthDateMismatch,
                QualityFlag::NikSexMismatch,
            ]
        },
    }
}

const KK1: &str = "5371010101200001";
const KK2: &str = "5371010101200002";
const KK3: &str = "5371020101200003";

/// Households and persons whose text needs escaping in every way COPY knows of.
fn awkward() -> (Vec<Household>, Vec<Person>) {
    let households = vec![
        household(
            KK1,
            "53.71.01.1001",
            Some("Jl. \"Kenari\"\tNo. 5\nRT 02\\RW 03, 'Oebufu' \\N \\. é ñ 李 🙂\r"),
            None,
        ),
        household(KK2, "53.71.01.1002", None, Some("")),
        household(KK3, "53.71.02.1001", Some("\\"), Some("\t")),
    ];
    let persons = vec![
        person(
            "5371010101900001",
            KK1,
            "Ni Luh \"Ayu\"\tÑandú",
            "P",
            true,
            None,
        ),
        person(
            "5371014101900002",
            KK1,
            "O'Brien \\ back\nslash",
            "P",
            false,
            Some("petani\tkebun"),
        ),
        person(
            "5371010101900003",
            KK2,
            "Yohanes 李雷 🙂",
            "L",
            true,
            Some(""),
        ),
        person("5371010101900004", KK3, "\\N", "L", true, Some("\\.")),
    ];
    (households, persons)
}

async fn import(
    db: &dyn Database,
    households: &[Household],
    persons: &[Person],
    inserted: u64,
) -> (u64, WriteStats) {
    let mut bulk = db.begin_bulk().await.unwrap();
    let mut changed = 0;
    if !households.is_empty() {
        changed += bulk.households(households).await.unwrap();
    }
    if !persons.is_empty() {
        changed += bulk.persons(persons).await.unwrap();
    }
    changed += bulk.finish().await.unwrap();
    let run = ImportRun {
        kind: "households".into(),
        file_name: "t.csv".into(),
        accepted: (households.len() + persons.len()) as u64,
        rejected: 0,
        warnings: 0,
    };
    let rows = (households.len() + persons.len()) as u64;
    let stats = bulk
        .record_run(&run, rows, inserted, changed)
        .await
        .unwrap();
    assert!(bulk.run_id().is_some());
    bulk.commit().await.unwrap();
    (changed, stats)
}

async fn all_households(db: &dyn Database) -> Vec<Household> {
    let mut out = Vec::new();
    db.for_each_household(&mut |h| {
        out.push(h);
        Ok(())
    })
    .await
    .unwrap();
    out
}

async fn all_persons(db: &dyn Database) -> Vec<Person> {
    let mut out = Vec::new();
    db.for_each_person(&mut |p| {
        out.push(p);
        Ok(())
    })
    .await
    .unwrap();
    out
}

fn program(name: &str) -> Program {
    Program {
        id: 0,
        name: name.into(),
        sector: Sector::Pertanian,
        agency: "Dinas Pertanian".into(),
        kind: ProgramKind::Pelatihan,
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        budget: Rupiah::new(100_000_000),
        capacity: 10,
        quotas: BTreeMap::new(),
        eligibility: "desil <= 4".into(),
        exclusive_with: BTreeSet::new(),
        partners: BTreeSet::new(),
    }
}

fn event(program: i64, kk: &str, village: &str) -> Event {
    Event {
        program,
        household: kk.parse().unwrap(),
        village: RegionCode::parse(village).unwrap(),
        status: Status::Enrolled,
        reason: None,
        actor: 1,
        at: Utc.with_ymd_and_hms(2026, 3, 1, 8, 30, 0).unwrap(),
        why: "memenuhi syarat".into(),
        participant: None,
    }
}

#[tokio::test]
async fn open_error_never_shows_the_password() {
    let err = PgStore::open("postgres://sj:s3cret@/sj?host=/nonexistent/sejahtera-socket")
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("sj:***@"), "{shown}");
}

#[tokio::test]
async fn open_migrates_once_and_again() {
    let Some(url) = database("open_twice").await else {
        return;
    };
    let first = PgStore::open(&url).await.unwrap();
    assert_eq!(first.backend(), Backend::Postgres);
    assert_eq!(first.registry_generation().await.unwrap(), 0);
    first.set_meta("k", "v").await.unwrap();
    // Two more opens, one while the first is still open, one after it closed.
    let second = PgStore::open(&url).await.unwrap();
    assert_eq!(second.meta("k").await.unwrap().as_deref(), Some("v"));
    first.close().await;
    second.close().await;
    let third = Store::new(PgStore::open(&url).await.unwrap());
    assert_eq!(third.meta("k").await.unwrap().as_deref(), Some("v"));
    assert_eq!(format!("{third:?}"), "Store(postgres)");
    let pool = raw(&url).await;
    let (n, ok): (i64, bool) =
        sqlx::query_as("SELECT COUNT(*), bool_and(success) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((n, ok), (1, true));
}

#[tokio::test]
async fn unix_socket_url() {
    let Some(url) = database("socket").await else {
        return;
    };
    let socket_url = if url.contains("host=/") {
        url.clone()
    } else {
        // A TCP URL: reach the same server through its socket, if it is on this machine.
        let pool = raw(&url).await;
        let dirs: String = sqlx::query_scalar("SHOW unix_socket_directories")
            .fetch_one(&pool)
            .await
            .unwrap();
        let port: String = sqlx::query_scalar("SHOW port")
            .fetch_one(&pool)
            .await
            .unwrap();
        let Some(dir) = dirs.split(',').map(str::trim).find(|d| {
            d.starts_with('/')
                && std::path::Path::new(d)
                    .join(format!(".s.PGSQL.{port}"))
                    .exists()
        }) else {
            eprintln!("skipped: the server has no Unix socket on this machine");
            return;
        };
        let (head, query) = url
            .split_once('?')
            .map_or((url.as_str(), ""), |(h, q)| (h, q));
        let (scheme, rest) = head.split_once("://").unwrap();
        let (authority, db) = rest.split_once('/').unwrap();
        let user = authority.rsplit_once('@').map_or("", |(u, _)| u);
        let at = if user.is_empty() { "" } else { "@" };
        let sep = if query.is_empty() { "" } else { "&" };
        format!("{scheme}://{user}{at}/{db}?{query}{sep}host={dir}&port={port}")
    };
    let store = PgStore::open(&socket_url).await.unwrap();
    store.set_meta("via", "socket").await.unwrap();
    let pool = raw(&socket_url).await;
    let addr: Option<String> = sqlx::query_scalar("SELECT inet_server_addr()::TEXT")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(addr, None, "connected over TCP, not the Unix socket");
    assert_eq!(store.meta("via").await.unwrap().as_deref(), Some("socket"));
}

#[tokio::test]
async fn bulk_round_trip_keeps_awkward_text() {
    let Some(url) = database("bulk_round_trip").await else {
        return;
    };
    let store = PgStore::open(&url).await.unwrap();
    store.save_regions(&regions()).await.unwrap();
    let (households, persons) = awkward();

    // Staged rows are reported by finish, not by households()/persons().
    let mut bulk = store.begin_bulk().await.unwrap();
    assert_eq!(bulk.households(&households).await.unwrap(), 0);
    assert_eq!(bulk.finish().await.unwrap(), 3);
    assert_eq!(bulk.persons(&persons).await.unwrap(), 0);
    assert_eq!(bulk.finish().await.unwrap(), 4);
    assert_eq!(bulk.finish().await.unwrap(), 0);
    let run = ImportRun {
        kind: "persons".into(),
        file_name: "p.csv".into(),
        accepted: 7,
        rejected: 0,
        warnings: 0,
    };
    let stats = bulk.record_run(&run, 7, 7, 7).await.unwrap();
    assert_eq!(
        stats,
        WriteStats {
            inserted: 7,
            updated: 0,
            unchanged: 0
        }
    );
    bulk.commit().await.unwrap();
    assert_eq!(store.registry_generation().await.unwrap(), 1);

    assert_eq!(all_households(&store).await, households);
    let mut want = persons.clone();
    want.sort_by_key(|a| (a.no_kk, a.nik));
    assert_eq!(all_persons(&store).await, want);
    let (h, members) = store
        .household_detail(&NoKk::parse(KK1).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h, households[0]);
    assert_eq!(members, persons[..2].to_vec());
    assert_eq!(store.totals().await.unwrap(), (3, 4));

    // The same rows again change nothing; one changed row is one.
    let (changed, stats) = import(&store, &households, &persons, 0).await;
    assert_eq!(changed, 0);
    assert_eq!(
        stats,
        WriteStats {
            inserted: 0,
            updated: 0,
            unchanged: 7
        }
    );
    let mut edited = households.clone();
    edited[1].alamat = Some("baru\tbaris\n2".into());
    let (changed, stats) = import(&store, &edited, &[], 0).await;
    assert_eq!(changed, 1);
    assert_eq!(
        stats,
        WriteStats {
            inserted: 0,
            updated: 1,
            unchanged: 2
        }
    );
    assert_eq!(all_households(&store).await, edited);
    assert_eq!(store.registry_generation().await.unwrap(), 3);
}

#[tokio::test]
async fn repeated_keys_apply_in_order_and_unflushed_rows_are_merged() {
    let Some(url) = database("repeated_keys").await else {
        return;
    };
    let store = PgStore::open(&url).await.unwrap();
    store.save_regions(&regions()).await.unwrap();
    let first = household(KK1, "53.71.01.1001", Some("lama"), None);
    let mut later = first.clone();
    later.alamat = Some("baru".into());
    let mut last = first.clone();
    last.alamat = Some("terakhir".into());
    // The same key in three batches (and twice identical): applied row by row, as
    // SQLite does: inserted, changed, changed, unchanged.
    let mut bulk = store.begin_bulk().await.unwrap();
    for batch in [&first, &later, &last, &last] {
        bulk.households(std::slice::from_ref(batch)).await.unwrap();
    }
    // No finish(): record_run merges what is staged and counts it.
    let run = ImportRun {
        kind: "households".into(),
        file_name: "h.csv".into(),
        accepted: 4,
        rejected: 0,
        warnings: 0,
    };
    let stats = bulk.record_run(&run, 4, 1, 0).await.unwrap();
    assert_eq!(
        stats,
        WriteStats {
            inserted: 1,
            updated: 2,
            unchanged: 1
        }
    );
    bulk.commit().await.unwrap();
    assert_eq!(all_households(&store).await, vec![last.clone()]);

    // Dropping a bulk write rolls everything back, staging included.
    let mut bulk = store.begin_bulk().await.unwrap();
    bulk.households(&[household(KK2, "53.71.01.1002", None, None)])
        .await
        .unwrap();
    assert_eq!(bulk.finish().await.unwrap(), 1);
    drop(bulk);
    assert_eq!(store.totals().await.unwrap(), (1, 0));
    assert_eq!(store.registry_generation().await.unwrap(), 1);

    // A household in an unknown village fails the write.
    let mut bulk = store.begin_bulk().await.unwrap();
    bulk.households(&[household(KK3, "53.71.03.1009", None, None)])
        .await
        .unwrap();
    assert!(bulk.finish().await.is_err());
}

/// The modes of the lock on `table` held by transactions other than the asking one.
async fn lock_modes(pool: &sqlx::PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT mode FROM pg_locks WHERE relation = $1::regclass AND granted \
         AND pid <> pg_backend_pid() ORDER BY mode",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_first_load_is_copied_straight_in_with_the_upserts_outcome() {
    let Some(url) = database("first_load").await else {
        return;
    };
    let store = PgStore::open(&url).await.unwrap();
    store.save_regions(&regions()).await.unwrap();
    let pool = raw(&url).await;
    let first = household(KK1, "53.71.01.1001", Some("lama"), None);
    let mut later = first.clone();
    later.alamat = Some("baru".into());
    let other = household(KK2, "53.71.01.1002", None, None);
    let head = person("5371010101900001", KK1, "Ayu", "P", true, None);
    let member = person("5371014101900002", KK2, "Budi", "L", false, None);
    // Empty tables: the first row of each key goes straight in; the repeats of KK1
    // are staged and merged after it, as the row-by-row upsert applies them.
    let mut bulk = store.begin_bulk().await.unwrap();
    for batch in [vec![first.clone(), other.clone()], vec![later.clone()]] {
        assert_eq!(bulk.households(&batch).await.unwrap(), 0);
    }
    // While the bulk write is open, other writers of the table wait for it.
    let locked = |modes: Vec<String>| modes.iter().any(|m| m == "ShareRowExclusiveLock");
    assert!(locked(lock_modes(&pool, "households").await));
    bulk.households(std::slice::from_ref(&later)).await.unwrap();
    // Persons copied straight in after the staged households are merged (a
    // person of KK1 needs it stored).
    bulk.persons(&[head.clone(), member.clone()]).await.unwrap();
    let changed = bulk.finish().await.unwrap();
    let run = ImportRun {
        kind: "households".into(),
        file_name: "h.csv".into(),
        accepted: 6,
        rejected: 0,
        warnings: 0,
    };
    // 2 households and 2 persons inserted, KK1 changed once and then unchanged.
    assert_eq!(changed, 5);
    let stats = bulk.record_run(&run, 6, 4, changed).await.unwrap();
    assert_eq!(
        stats,
        WriteStats {
            inserted: 4,
            updated: 1,
            unchanged: 1
        }
    );
    bulk.commit().await.unwrap();
    assert_eq!(all_households(&store).await, vec![later.clone(), other]);
    assert_eq!(all_persons(&store).await.len(), 2);
    assert!(!locked(lock_modes(&pool, "households").await));

    // An empty table refuses a household of an unknown village at once; nothing
    // of the bulk write stays.
    let Some(url) = database("first_load_refused").await else {
        return;
    };
    let store = PgStore::open(&url).await.unwrap();
    store.save_regions(&regions()).await.unwrap();
    let mut bulk = store.begin_bulk().await.unwrap();
    assert!(
        bulk.households(&[first.clone(), household(KK3, "53.71.03.1009", None, None)])
            .await
            .is_err()
    );
    drop(bulk);
    assert_eq!(store.totals().await.unwrap(), (0, 0));

    // A table that is not empty is not locked: its rows are staged and merged.
    import(&store, std::slice::from_ref(&first), &[], 1).await;
    let mut bulk = store.begin_bulk().await.unwrap();
    bulk.households(std::slice::from_ref(&later)).await.unwrap();
    assert!(!locked(lock_modes(&pool, "households").await));
    assert_eq!(bulk.finish().await.unwrap(), 1);
    drop(bulk);
}

#[tokio::test]
async fn uniqueness_violations_are_unique_errors() {
    let Some(url) = database("unique").await else {
        return;
    };
    let store = PgStore::open(&url).await.unwrap();
    store.save_regions(&regions()).await.unwrap();
    let villages = BTreeSet::from([RegionCode::parse("53.71.01.1001").unwrap()]);
    let user = NewUser {
        username: "operator",
        display_name: "Operator",
        role: Role::VillageOperator,
        password_hash: "$argon2id$x",
        villages: &villages,
        agency: None,
        region: None,
        partner: None,
    };
    let id = store.create_user(&user).await.unwrap();
    let again = store.create_user(&user).await.unwrap_err();
    assert!(again.is_unique_violation(), "{again:?}");
    assert!(!again.is_retryable());
    // The failed transaction left nothing behind.
    assert_eq!(store.user_count().await.unwrap(), 1);
    let u = store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(u.villages, villages);
    assert!(!u.disabled);

    store.create_program(&program("Kebun"), id).await.unwrap();
    let dup = store
        .create_program(&program("Kebun"), id)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Unique(_)), "{dup:?}");
}

#[tokio::test]
async fn enrollment_decisions_wait_for_each_other() {
    let Some(url) = database("enrollment_lock").await else {
        return;
    };
    // Two pools, as two processes would have.
    let a = PgStore::open(&url).await.unwrap();
    let b = PgStore::open(&url).await.unwrap();
    a.save_regions(&regions()).await.unwrap();
    let (households, _) = awkward();
    import(&a, &households, &[], 3).await;
    let p = a.create_program(&program("Kebun"), 1).await.unwrap();

    let mut first = a.begin_enrollment().await.unwrap();
    assert!(first.enrollment_events().await.unwrap().is_empty());
    assert_eq!(first.programs().await.unwrap().len(), 1);
    first.append(&event(p, KK1, "53.71.01.1001")).await.unwrap();

    let b2 = b.clone();
    let second = tokio::spawn(async move {
        let mut tx = b2.begin_enrollment().await.unwrap();
        let acquired = Instant::now();
        let seen = tx.enrollment_events().await.unwrap();
        tx.append(&event(p, KK2, "53.71.01.1002")).await.unwrap();
        tx.commit().await.unwrap();
        (acquired, seen)
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !second.is_finished(),
        "the second decision did not wait for the first"
    );
    // Readers are not blocked, and do not see the undecided event.
    let read = tokio::time::timeout(Duration::from_secs(5), b.enrollment_events())
        .await
        .expect("a reader waited for the decision lock")
        .unwrap();
    assert!(read.is_empty());

    let committed = Instant::now();
    first.commit().await.unwrap();
    let (acquired, seen) = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("the second decision never got the lock")
        .unwrap();
    assert!(
        acquired >= committed,
        "the second decision ran before the first committed"
    );
    assert_eq!(
        seen.len(),
        1,
        "the second decision must see the first one's event"
    );
    assert_eq!(seen[0].household, KK1.parse::<u64>().unwrap());

    let events = a.enrollment_events().await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].at, event(p, KK2, "53.71.01.1002").at);

    // The log is append-only.
    let pool = raw(&url).await;
    for sql in [
        "UPDATE enrollment_events SET why = 'x'",
        "DELETE FROM enrollment_events",
        "TRUNCATE enrollment_events",
    ] {
        let e = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

#[tokio::test]
async fn demo_and_welfare_through_copy() {
    let Some(url) = database("demo_copy").await else {
        return;
    };
    let store = PgStore::open(&url).await.unwrap();
    store.save_regions(&regions()).await.unwrap();
    let (households, persons) = awkward();
    let truth: Vec<(NoKk, i64)> = households
        .iter()
        .map(|h| (h.no_kk, h.pengeluaran_bulanan.get() + 1))
        .collect();
    let mut progressed = 0;
    store
        .write_demo(
            &households,
            &persons,
            &truth,
            &[("demo:seed".into(), "42".into())],
            &mut |n| progressed += n,
        )
        .await
        .unwrap();
    assert_eq!(progressed, 7);
    assert_eq!(all_households(&store).await, households);
    assert_eq!(
        store.meta("demo:seed").await.unwrap().as_deref(),
        Some("42")
    );
    assert_eq!(store.registry_generation().await.unwrap(), 1);
    let tc = store.true_consumption().await.unwrap();
    assert_eq!(tc[&KK1.parse::<u64>().unwrap()], 1_750_001);

    let scores = [1.0 / 3.0, -2.5e-308, 13.815510557964274];
    let rows: Vec<WelfareRow> = households
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(i, (h, s))| WelfareRow {
            no_kk: h.no_kk,
            skor_pmt: s,
            desil: i as u8 + 1,
            area: RegionCode::parse("53.71").unwrap(),
        })
        .collect();
    store.replace_welfare(&rows, &[]).await.unwrap();
    store.replace_welfare(&rows, &[]).await.unwrap();
    let w = store.welfare().await.unwrap();
    for r in &rows {
        let (s, d) = w[&r.no_kk.as_u64()];
        assert_eq!((s.to_bits(), d), (r.skor_pmt.to_bits(), r.desil));
    }
    assert_eq!(store.welfare_count().await.unwrap(), 3);
}

/// Every read of the registry returns the same values, in the same order, from
/// PostgreSQL and from SQLite.
#[tokio::test]
async fn reads_match_sqlite() {
    let Some(url) = database("parity").await else {
        return;
    };
    let pg = PgStore::open(&url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lite = SqliteStore::open(&dir.path().join("p.db")).await.unwrap();
    let (households, persons) = awkward();
    let mut edited = households.clone();
    edited[0].alamat = None;
    let both: [&dyn Database; 2] = [&pg, &lite];
    let mut results = Vec::new();
    for db in both {
        db.save_regions(&regions()).await.unwrap();
        let mut r = Vec::new();
        r.push(format!("{:?}", import(db, &households, &persons, 7).await));
        r.push(format!("{:?}", import(db, &households, &persons, 0).await));
        r.push(format!("{:?}", import(db, &edited, &[], 0).await));
        r.push(format!("{:?}", all_households(db).await));
        r.push(format!("{:?}", all_persons(db).await));
        let mut codes = Vec::new();
        db.for_each_household_codes(&mut |kk, c| {
            codes.push(format!("{kk} {c:?}"));
            Ok(())
        })
        .await
        .unwrap();
        r.push(codes.join("\n"));
        let mut members = Vec::new();
        db.for_each_household_members(&mut |kk, m| {
            members.push(format!("{kk} {m:?}"));
            Ok(())
        })
        .await
        .unwrap();
        r.push(members.join("\n"));
        r.push(format!("{:?}", db.household_consumption().await.unwrap()));
        r.push(format!("{:?}", db.counts_by_district().await.unwrap()));
        r.push(format!(
            "{:?}",
            db.regions().await.unwrap().iter().collect::<Vec<_>>()
        ));
        let mut outside: Vec<u64> = db
            .household_keys_outside(&["53.71.01.1001".into()])
            .await
            .unwrap()
            .into_iter()
            .collect();
        outside.sort();
        let mut all: Vec<u64> = db
            .household_keys_outside(&[])
            .await
            .unwrap()
            .into_iter()
            .collect();
        all.sort();
        r.push(format!("{outside:?} {all:?}"));
        for filter in [
            HouseholdFilter::Name("ni luh".into()),
            HouseholdFilter::Name("ÑANDÚ".into()),
            HouseholdFilter::Name("ñandú".into()),
            HouseholdFilter::Name("\\".into()),
            HouseholdFilter::Name("%".into()),
            HouseholdFilter::Name("_".into()),
            HouseholdFilter::Number("5371014101900002".into()),
            HouseholdFilter::Number(KK3.into()),
        ] {
            for villages in [None, Some(vec![]), Some(vec!["53.71.01.1001".to_string()])] {
                let found = db
                    .search_households(&filter, villages.as_deref(), 2, 0)
                    .await
                    .unwrap();
                r.push(format!("{filter:?} {villages:?} {found:?}"));
            }
        }
        for kk in [KK1, KK2, KK3] {
            r.push(format!(
                "{:?}",
                db.household_detail(&NoKk::parse(kk).unwrap())
                    .await
                    .unwrap()
            ));
        }
        r.push(format!("{:?}", db.registry_generation().await.unwrap()));
        results.push(r);
    }
    let lite_results = results.pop().unwrap();
    let pg_results = results.pop().unwrap();
    for (p, l) in pg_results.iter().zip(&lite_results) {
        assert_eq!(p, l);
    }
}

/// Every other method of the interface gives the same answers on PostgreSQL and
/// SQLite (creation times, which differ, blanked).
#[tokio::test]
async fn every_other_method_matches_sqlite() {
    use sejahtera_domain::delivery::{
        Outcome, OutcomeSource, Partner, PartnerKind, Referral, ReferralStatus, Service, Session,
        Visit,
    };
    use sejahtera_store::{ReferralUpdate, UserRecord};

    let Some(url) = database("parity_all").await else {
        return;
    };
    let pg = PgStore::open(&url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lite = SqliteStore::open(&dir.path().join("p.db")).await.unwrap();
    let blank = |mut u: UserRecord| {
        u.created_at.clear();
        u
    };
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    let kk1: u64 = KK1.parse().unwrap();
    let kk2: u64 = KK2.parse().unwrap();
    let mut results = Vec::new();
    for db in [&pg as &dyn Database, &lite] {
        let mut r: Vec<String> = Vec::new();
        db.save_regions(&regions()).await.unwrap();
        let (households, persons) = awkward();
        import(db, &households, &persons, 7).await;
        r.push(format!("{:?}", db.totals().await.unwrap()));
        let keys = db.person_keys().await.unwrap();
        let mut of: Vec<_> = keys.household_of.into_iter().collect();
        of.sort();
        let mut heads: Vec<_> = keys.head_of.into_iter().collect();
        heads.sort();
        r.push(format!("{of:?} {heads:?}"));
        let mut hk: Vec<u64> = db.household_keys().await.unwrap().into_iter().collect();
        hk.sort();
        r.push(format!("{hk:?}"));

        // Accounts.
        let villages = BTreeSet::from([
            RegionCode::parse("53.71.01.1002").unwrap(),
            RegionCode::parse("53.71.01.1001").unwrap(),
        ]);
        let none = BTreeSet::new();
        let kupang = RegionCode::parse("53.71").unwrap();
        for (name, role, v, agency, region) in [
            ("zeta", Role::VillageOperator, &villages, None, None),
            ("alfa", Role::Admin, &none, None, None),
            (
                "Bravo",
                Role::AgencyOperator,
                &none,
                Some("Dinas\t\"Sosial\""),
                Some(&kupang),
            ),
        ] {
            let u = NewUser {
                username: name,
                display_name: "Nama Tampilan é",
                role,
                password_hash: "$argon2id$v=19$x",
                villages: v,
                agency,
                region,
                partner: None,
            };
            r.push(format!("{:?}", db.create_user(&u).await.unwrap()));
        }
        r.push(format!("{:?}", db.username_exists("alfa").await.unwrap()));
        r.push(format!("{:?}", db.username_exists("ALFA").await.unwrap()));
        r.push(format!("{:?}", db.user_count().await.unwrap()));
        let users: Vec<UserRecord> = db.users().await.unwrap().into_iter().map(blank).collect();
        r.push(format!("{users:?}"));
        r.push(format!(
            "{:?}",
            db.user_by_username("zeta").await.unwrap().map(blank)
        ));
        r.push(format!(
            "{:?}",
            db.user_by_username("nobody").await.unwrap().map(blank)
        ));
        r.push(format!("{:?}", db.user_by_id(3).await.unwrap().map(blank)));
        r.push(format!(
            "{:?}",
            db.set_user_region(2, Some(&kupang)).await.unwrap()
        ));
        r.push(format!("{:?}", db.set_user_region(99, None).await.unwrap()));
        db.create_session("h1", 1, "csrf1", "2026-03-02T00:00:00+00:00")
            .await
            .unwrap();
        db.create_session("h2", 2, "csrf2", "2026-03-05T00:00:00+00:00")
            .await
            .unwrap();
        let s = |x: Option<sejahtera_store::SessionRecord>| {
            x.map(|mut s| {
                s.user.created_at.clear();
                s
            })
        };
        r.push(format!(
            "{:?}",
            s(db.session("h1", "2026-03-01T00:00:00+00:00").await.unwrap())
        ));
        r.push(format!(
            "{:?}",
            s(db.session("h1", "2026-03-03T00:00:00+00:00").await.unwrap())
        ));
        r.push(format!(
            "{:?}",
            db.delete_expired_sessions("2026-03-03T00:00:00+00:00")
                .await
                .unwrap()
        ));
        r.push(format!(
            "{:?}",
            db.set_user_disabled(2, true).await.unwrap()
        ));
        r.push(format!(
            "{:?}",
            s(db.session("h2", "2026-03-01T00:00:00+00:00").await.unwrap())
        ));
        r.push(format!(
            "{:?}",
            db.set_user_disabled(2, false).await.unwrap()
        ));
        db.delete_session("h2").await.unwrap();
        for now in [1000, 1010, 1020, 1700] {
            r.push(format!(
                "{:?}",
                db.take_login_attempt("address:1.2.3.4", now, 600)
                    .await
                    .unwrap()
            ));
        }
        db.return_login_attempt("address:1.2.3.4").await.unwrap();
        r.push(format!(
            "{:?}",
            db.login_attempts("address:1.2.3.4").await.unwrap()
        ));
        db.take_login_attempt("account:x", 500, 600).await.unwrap();
        r.push(format!(
            "{:?}",
            db.delete_old_login_attempts(1000).await.unwrap()
        ));
        db.clear_login_attempts("address:1.2.3.4").await.unwrap();
        r.push(format!(
            "{:?}",
            db.login_attempts("address:1.2.3.4").await.unwrap()
        ));

        // Programs and the enrollment log.
        let partner = Partner {
            id: 0,
            name: "Bank \"NTT\"".into(),
            kind: PartnerKind::Bank,
            services: BTreeSet::from([Service::Kur, Service::Tabungan]),
            contact: String::new(),
        };
        let partner_id = db.create_partner(&partner).await.unwrap();
        r.push(format!("{:?}", db.partners().await.unwrap()));
        let mut p1 = program("Kebun");
        p1.quotas
            .insert(RegionCode::parse("53.71.01.1001").unwrap(), 5);
        p1.partners.insert(partner_id);
        let id1 = db.create_program(&p1, 2).await.unwrap();
        let mut p2 = program("Ternak");
        p2.exclusive_with.insert(id1);
        let id2 = db.create_program(&p2, 2).await.unwrap();
        r.push(format!("{:?}", db.programs().await.unwrap()));
        let mut e1 = event(id1, KK1, "53.71.01.1001");
        e1.participant = Some("5371010101900001".parse().unwrap());
        let mut e2 = event(id2, KK2, "53.71.01.1002");
        e2.status = Status::Candidate;
        e2.reason = Some("koreksi\n\"data\"".into());
        db.append_enrollment_events(&[e1.clone(), e2.clone()])
            .await
            .unwrap();
        r.push(format!(
            "{:?}",
            db.append_enrollment_event(&e2).await.unwrap()
        ));
        let mut tx = db.begin_enrollment().await.unwrap();
        r.push(format!("{:?}", tx.programs().await.unwrap()));
        r.push(format!("{:?}", tx.enrollment_events().await.unwrap()));
        r.push(format!("{:?}", tx.append(&e1).await.unwrap()));
        tx.commit().await.unwrap();
        drop(db.begin_enrollment().await.unwrap()); // rolled back
        r.push(format!("{:?}", db.enrollment_events().await.unwrap()));

        // Delivery.
        for (d, topic) in [(5, "Pupuk"), (3, "Benih\tunggul"), (5, "Panen")] {
            let s = Session {
                id: 0,
                program: id1,
                date: day(d),
                topic: topic.into(),
                place: "Balai desa".into(),
            };
            r.push(format!(
                "{:?}",
                db.create_training_session(&s, 2).await.unwrap()
            ));
        }
        r.push(format!("{:?}", db.training_sessions(id1).await.unwrap()));
        r.push(format!("{:?}", db.training_session(2).await.unwrap()));
        r.push(format!("{:?}", db.training_session(99).await.unwrap()));
        db.record_attendance(1, &[(kk1, true), (kk2, false)], 2)
            .await
            .unwrap();
        db.record_attendance(1, &[(kk2, true)], 2).await.unwrap();
        db.record_attendance(2, &[(kk1, false)], 2).await.unwrap();
        r.push(format!("{:?}", db.attendance(id1).await.unwrap()));
        for d in [9, 4] {
            let v = Visit {
                id: 0,
                program: id1,
                household: kk1,
                date: day(d),
                mentor: 2,
                notes: "catatan\\n".into(),
            };
            r.push(format!("{:?}", db.add_visit(&v).await.unwrap()));
        }
        r.push(format!("{:?}", db.visits(id1).await.unwrap()));
        let referral = Referral {
            id: 0,
            program: id1,
            household: kk1,
            partner: partner_id,
            service: Service::Kur,
            status: ReferralStatus::Referred,
            result: None,
            amount: None,
            referred_on: day(6),
            updated_on: day(6),
        };
        let ref1 = db.create_referral(&referral, 2).await.unwrap();
        let mut other = referral.clone();
        other.program = id2;
        other.household = kk2;
        db.create_referral(&other, 2).await.unwrap();
        db.update_referral(&ReferralUpdate {
            referral: ref1,
            status: ReferralStatus::Completed,
            result: Some("cair"),
            amount: Some(Rupiah::new(5_000_000)),
            day: day(20),
            actor: 3,
        })
        .await
        .unwrap();
        for (program, partner) in [
            (None, None),
            (Some(id1), None),
            (None, Some(partner_id)),
            (Some(id2), Some(99)),
        ] {
            r.push(format!(
                "{:?}",
                db.referrals(program, partner).await.unwrap()
            ));
        }
        r.push(format!("{:?}", db.referral(ref1).await.unwrap()));
        r.push(format!("{:?}", db.referral(99).await.unwrap()));
        let outcomes = [
            Outcome {
                program: id1,
                household: kk1,
                date: day(10),
                business: Some(true),
                income: Some(Rupiah::new(250_000)),
                employed: None,
                source: OutcomeSource::Entered,
            },
            Outcome {
                program: id1,
                household: kk1,
                date: day(10),
                business: Some(false),
                income: None,
                employed: Some(true),
                source: OutcomeSource::Imported,
            },
        ];
        r.push(format!(
            "{:?}",
            db.append_outcomes(&outcomes, 2).await.unwrap()
        ));
        r.push(format!("{:?}", db.outcomes(id1).await.unwrap()));
        let mut sexes: Vec<_> = db
            .participant_sexes(id1)
            .await
            .unwrap()
            .into_iter()
            .collect();
        sexes.sort();
        r.push(format!("{sexes:?}"));

        // Household references and rejects reports.
        let kk = |s: &str| NoKk::parse(s).unwrap();
        db.save_household_refs(&[
            ("r1".into(), kk(KK1)),
            ("r2".into(), kk(KK2)),
            ("r1".into(), kk(KK2)),
        ])
        .await
        .unwrap();
        db.save_household_refs(&[("r3".into(), kk(KK1)), ("r1".into(), kk(KK3))])
            .await
            .unwrap();
        for x in ["r1", "r2", "r3", "nope"] {
            r.push(format!("{:?}", db.household_of_ref(x).await.unwrap()));
        }
        db.save_import_rejects(1, 2, b"line,reason\n1,\"x\"\0\xff")
            .await
            .unwrap();
        r.push(format!("{:?}", db.import_rejects(1).await.unwrap()));
        r.push(format!("{:?}", db.import_rejects(2).await.unwrap()));

        // Welfare and meta.
        let rows: Vec<WelfareRow> = [KK1, KK2]
            .iter()
            .enumerate()
            .map(|(i, k)| WelfareRow {
                no_kk: kk(k),
                skor_pmt: 12.0 + 1.0 / (i as f64 + 3.0),
                desil: 10 - i as u8,
                area: kupang.clone(),
            })
            .collect();
        db.replace_welfare(&rows, &[("pmt:area".into(), "regency".into())])
            .await
            .unwrap();
        let mut w: Vec<_> = db.welfare().await.unwrap().into_iter().collect();
        w.sort_by_key(|x| x.0);
        r.push(format!("{w:?}"));
        r.push(format!("{:?}", db.welfare_of(&kk(KK2)).await.unwrap()));
        r.push(format!("{:?}", db.welfare_of(&kk(KK3)).await.unwrap()));
        r.push(format!("{:?}", db.welfare_count().await.unwrap()));
        r.push(format!("{:?}", db.true_consumption().await.unwrap()));
        r.push(format!(
            "{:?} {:?}",
            db.meta("pmt:area").await.unwrap(),
            db.meta("none").await.unwrap()
        ));
        results.push(r);
    }
    let lite_results = results.pop().unwrap();
    let pg_results = results.pop().unwrap();
    assert_eq!(pg_results.len(), lite_results.len());
    for (p, l) in pg_results.iter().zip(&lite_results) {
        assert_eq!(p, l);
    }
}
