//! Use cases take now and today from the clock their adapter gives them
//! (`sejahtera_app::clock`), never from the wall clock: outside `clock.rs` and
//! the unit tests at the end of a file, no code of `src/` reads the system time.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use sejahtera_app::{Clock, FixedClock};

/// The ways to read the system time (as written in code, comments aside).
const WALL_CLOCK: &[&str] = &[
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "Instant::now",
    "today_in_indonesia",
];

#[test]
fn no_use_case_reads_the_wall_clock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut files = 0;
    for entry in walk(&src) {
        if entry.file_name().is_some_and(|n| n == "clock.rs") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&entry).unwrap();
        for (i, line) in text.lines().enumerate() {
            // Unit tests sit at the end of a file.
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            for w in WALL_CLOCK {
                if code.contains(w) {
                    found.push(format!("{}:{}: {}", entry.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(files > 10, "only {files} files under {}", src.display());
    assert!(
        found.is_empty(),
        "use cases read the wall clock (take a `&dyn Clock` or a date instead):\n{}",
        found.join("\n")
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_fixed_clock_gives_the_same_day_and_instant_every_time() {
    let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let c = FixedClock::on(day);
    assert_eq!(c.today(), day);
    assert_eq!(c.now(), c.now());
    // 20:00 UTC on the 28th is already the 1st of March in Papua (UTC+9).
    let late: DateTime<Utc> = "2026-02-28T20:00:00Z".parse().unwrap();
    assert_eq!(
        FixedClock(late).today(),
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    );
}

/// A session opened at a fixed instant lives `SESSION_HOURS` by the clock the
/// use cases are given, not by the machine's.
#[tokio::test]
async fn a_session_expires_by_the_clock_it_is_given() {
    use sejahtera_app::accounts::{
        CreateUser, LoginThrottle, SESSION_HOURS, ThrottlePolicy, create_user, login, session,
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clock.db");
    let data = sejahtera_app::regions::default_data_dir();
    let (store, regions) = sejahtera_app::regions::open(db.as_path(), &data)
        .await
        .unwrap();
    create_user(
        &store,
        &regions,
        &CreateUser {
            username: "perencana.uji".into(),
            display_name: "Perencana Uji".into(),
            role: sejahtera_domain::access::Role::Planner,
            villages: Vec::new(),
            password: "kata-sandi-panjang-sekali".into(),
            agency: None,
            region: None,
            partner: None,
        },
    )
    .await
    .unwrap();
    let opened: DateTime<Utc> = "2027-01-04T01:00:00Z".parse().unwrap();
    let s = login(
        &store,
        &LoginThrottle::new(ThrottlePolicy::default()),
        "perencana.uji",
        "kata-sandi-panjang-sekali",
        "127.0.0.1".parse().unwrap(),
        &FixedClock(opened),
    )
    .await
    .unwrap();
    let at = |hours: i64| FixedClock(opened + chrono::Duration::hours(hours));
    assert!(session(&store, &s.token, &at(1)).await.unwrap().is_some());
    assert!(
        session(&store, &s.token, &at(SESSION_HOURS + 1))
            .await
            .unwrap()
            .is_none()
    );
}
