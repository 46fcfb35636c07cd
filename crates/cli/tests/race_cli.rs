//! "At most N" rules hold across processes: many `sejahtera program decide`
//! processes started at the same moment on one database (SQLite or PostgreSQL). Capacity,
//! village quotas and exclusivity are decided in the write transaction that
//! appends the event, so exactly the allowed number get through and every
//! other process is refused with the reason (exit 3).

use std::process::{Command, Output, Stdio};

fn command(db: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sejahtera"));
    c.env(
        "SEJAHTERA_DATA",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"),
    )
    .env_remove("SEJAHTERA_DB")
    .arg("--db")
    .arg(db)
    .arg("--quiet")
    .args(args);
    c
}

fn cli(db: &str, args: &[&str]) -> Output {
    command(db, args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn add_program(db: &str, name: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "program",
        "add",
        "--name",
        name,
        "--sector",
        "pemberdayaan_perempuan",
        "--agency",
        "Dinas P3A Kota Kupang",
        "--kind",
        "pelatihan",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        "--budget",
        "0",
        "--eligibility",
        "di_wilayah(\"53.71\")",
    ];
    args.extend_from_slice(extra);
    let o = cli(db, &args);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    out.strip_prefix("created program ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap_or_else(|| panic!("{out}"))
        .to_string()
}

/// KK numbers and villages of the Kupang households, from the export.
fn kupang_households(db: &str) -> Vec<(String, String)> {
    let o = cli(db, &["export", "households", "--format", "csv"]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let kk = header.iter().position(|h| *h == "no_kk").unwrap();
    let village = header.iter().position(|h| *h == "kode_wilayah").unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[village].starts_with("53.71."))
        .map(|f| (f[kk].to_string(), f[village].to_string()))
        .collect()
}

/// Starts one `decide` process per (program, KK) at once; returns (recorded, refused, outputs).
fn race(db: &str, decisions: &[(String, String)]) -> (usize, usize, Vec<String>) {
    let children: Vec<_> = decisions
        .iter()
        .map(|(program, kk)| {
            command(
                db,
                &[
                    "program", "decide", program, "--kk", kk, "--action", "enroll", "--why",
                    "rapat",
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let (mut ok, mut refused, mut messages) = (0, 0, Vec::new());
    for c in children {
        let o = c.wait_with_output().unwrap();
        match o.status.code() {
            Some(0) => ok += 1,
            Some(3) => {
                refused += 1;
                messages.push(text(&o));
            }
            other => panic!("decide exited {other:?}: {}", text(&o)),
        }
    }
    (ok, refused, messages)
}

sejahtera_testkit::on_both_backends! {
async fn capacity_quota_and_exclusivity_hold_across_concurrent_processes(db) {
    let t = db;
    let db = t.url.clone();
    let o = cli(
        &db,
        &["demo", "--no-serve", "--scale", "0.01", "--seed", "5"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let households = kupang_households(&db);
    assert!(households.len() >= 100, "{}", households.len());

    // Capacity 5, 50 processes.
    let cap = add_program(&db, "Balapan kapasitas", &["--capacity", "5"]);
    let decisions: Vec<_> = households[..50]
        .iter()
        .map(|(kk, _)| (cap.clone(), kk.clone()))
        .collect();
    let (ok, refused, messages) = race(&db, &decisions);
    assert_eq!((ok, refused), (5, 45), "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| m.contains("has reached its capacity of 5 households")),
        "{messages:?}"
    );

    // A village quota of 3, every household of that village at once.
    let village = households[50].1.clone();
    let in_village: Vec<_> = households[50..]
        .iter()
        .filter(|(_, v)| *v == village)
        .map(|(kk, _)| kk.clone())
        .collect();
    let quota = add_program(&db, "Balapan kuota", &["--quota", &format!("{village}=3")]);
    let decisions: Vec<_> = in_village
        .iter()
        .map(|kk| (quota.clone(), kk.clone()))
        .collect();
    assert!(decisions.len() > 3, "{}", decisions.len());
    let (ok, refused, messages) = race(&db, &decisions);
    assert_eq!((ok, refused), (3, decisions.len() - 3), "{messages:?}");
    assert!(
        messages.iter().all(|m| m.contains("is used up")),
        "{messages:?}"
    );

    // Two exclusive programs: each household enrolled in both at the same moment.
    let a = add_program(&db, "Balapan A", &[]);
    let b = add_program(&db, "Balapan B", &["--exclusive-with", &a]);
    let pairs: Vec<_> = households[60..80]
        .iter()
        .flat_map(|(kk, _)| [(a.clone(), kk.clone()), (b.clone(), kk.clone())])
        .collect();
    let (ok, refused, messages) = race(&db, &pairs);
    assert_eq!((ok, refused), (20, 20), "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| m.contains("which is exclusive with")),
        "{messages:?}"
    );
}
}
