//! `sejahtera db copy` between SQLite and PostgreSQL: the demo on SQLite, copied to
//! PostgreSQL, exports byte for byte what the original exports; copied back to a
//! new SQLite file, again. A target that holds data is refused and left as it was.

use std::path::Path;
use std::process::{Command, Output};

fn sejahtera(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sejahtera"))
        .env(
            "SEJAHTERA_DATA",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"),
        )
        .env_remove("SEJAHTERA_DB")
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: Output) -> Vec<u8> {
    assert!(
        o.status.success(),
        "exit {:?}: {}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Everything a user or a script can read out of a database, as bytes.
fn exports(db: &str, dir: &Path, tag: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for args in [
        &["export", "households"][..],
        &["export", "persons"],
        &["summary", "--format", "csv"],
        &["program", "list", "--format", "csv"],
        &["measure", "--from-registry", "--format", "csv"],
        &["partner", "list", "--format", "csv"],
        &["user", "list", "--format", "csv"],
    ] {
        out.push((args.join(" "), ok(sejahtera(db, args))));
    }
    let parquet = dir.join(format!("persons.{tag}.parquet"));
    ok(sejahtera(
        db,
        &[
            "export",
            "persons",
            "--format",
            "parquet",
            "--output",
            parquet.to_str().unwrap(),
        ],
    ));
    out.push(("persons.parquet".into(), std::fs::read(&parquet).unwrap()));
    out
}

fn copy(from: &str, to: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sejahtera"))
        .env_remove("SEJAHTERA_DB")
        .args([
            "--quiet", "db", "copy", "--from", from, "--to", to, "--format", "csv",
        ])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_roundtrip_sqlite_postgres_sqlite_exports_identical() {
    let Some(pg) = sejahtera_testkit::pg::fresh_database("copy_roundtrip").await else {
        eprintln!("skipped: {} not set", sejahtera_testkit::pg::URL_VAR);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db").display().to_string();
    ok(sejahtera(
        &a,
        &["demo", "--no-serve", "--scale", "0.01", "--seed", "11"],
    ));
    let original = exports(&a, dir.path(), "a");

    let counts = String::from_utf8(ok(copy(&a, &pg))).unwrap();
    assert!(counts.starts_with("table,rows\n"), "{counts}");
    for table in [
        "households",
        "persons",
        "enrollment_events",
        "users",
        "outcomes",
    ] {
        let n: u64 = counts
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{table},")))
            .unwrap_or_else(|| panic!("{table} missing in {counts}"))
            .parse()
            .unwrap();
        assert!(n > 0, "{table}: {counts}");
    }
    let on_pg = exports(&pg, dir.path(), "p");
    for ((what, x), (_, y)) in original.iter().zip(&on_pg) {
        assert!(x == y, "{what} differs after SQLite → PostgreSQL");
    }

    let b = dir.path().join("b.db").display().to_string();
    ok(copy(&pg, &b));
    let back = exports(&b, dir.path(), "b");
    for ((what, x), (_, y)) in original.iter().zip(&back) {
        assert!(x == y, "{what} differs after PostgreSQL → SQLite");
    }

    // Ids continue after the copied ones: a new program on PostgreSQL gets the next id.
    let before = String::from_utf8(ok(sejahtera(&pg, &["program", "list", "--format", "csv"])))
        .unwrap()
        .lines()
        .count();
    ok(sejahtera(
        &pg,
        &[
            "program",
            "add",
            "--name",
            "Program baru",
            "--sector",
            "umkm",
            "--agency",
            "Dinas Koperasi",
            "--kind",
            "pelatihan",
            "--start",
            "2026-01-01",
            "--end",
            "2026-12-31",
            "--budget",
            "1000000",
            "--capacity",
            "5",
            "--eligibility",
            "true",
        ],
    ));
    let after = String::from_utf8(ok(sejahtera(&pg, &["program", "list", "--format", "csv"])))
        .unwrap()
        .lines()
        .count();
    assert_eq!(after, before + 1);

    // A target holding data is refused (exit 3) and keeps what it had.
    let refused = copy(&a, &b);
    assert_eq!(refused.status.code(), Some(3));
    let msg = String::from_utf8_lossy(&refused.stderr);
    assert!(msg.contains("already holds data"), "{msg}");
    assert_eq!(exports(&b, dir.path(), "b2")[1], back[1]);
}

#[test]
fn same_source_and_target_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db").display().to_string();
    let o = copy(&a, &a);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("same database"));
}

#[test]
fn passwords_are_not_printed() {
    // An unreachable server: the error names it without its password.
    let o = copy(
        "postgres://sejahtera:hunter2secret@127.0.0.1:1/none?connect_timeout=1",
        "/nonexistent/dir/x.db",
    );
    assert_ne!(o.status.code(), Some(0));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains("hunter2secret"), "{all}");
}

#[test]
fn a_bad_location_is_refused_without_echoing_its_password() {
    // A scheme we do not speak: clap must not print the value it was given.
    for args in [
        vec!["--db", "mysql://root:hunter2secret@db.example/x", "summary"],
        vec![
            "db",
            "copy",
            "--from",
            "mysql://root:hunter2secret@db.example/x",
            "--to",
            "x.db",
        ],
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_sejahtera"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("hunter2secret"), "{err}");
        assert!(err.contains("unknown database scheme \"mysql\""), "{err}");
        assert!(err.contains("root:***@"), "{err}");
    }
}
