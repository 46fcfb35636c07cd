//! `sejahtera program`: define, dry-run, and record enrollment decisions with
//! their refusals (capacity, exclusivity, transitions) through the binary.

use std::path::Path;
use std::process::{Command, Output};

fn run(db: &Path, args: &[&str]) -> Output {
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn programs_enforce_capacity_and_exclusivity_and_keep_every_decision() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("p.db");
    assert!(
        run(
            &db,
            &["demo", "--no-serve", "--scale", "0.01", "--seed", "3"]
        )
        .status
        .success()
    );
    let o = run(
        &db,
        &[
            "program",
            "add",
            "--name",
            "Pelatihan menjahit",
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
            "150.000.000",
            "--capacity",
            "1",
            "--eligibility",
            "di_wilayah(\"53.71\") and desil <= 4",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        &[
            "program",
            "add",
            "--name",
            "Akses KUR",
            "--sector",
            "umkm",
            "--agency",
            "Dinas Koperasi",
            "--kind",
            "akses_kredit",
            "--start",
            "2026-01-01",
            "--end",
            "2026-12-31",
            "--budget",
            "0",
            "--eligibility",
            "desil <= 6",
            "--exclusive-with",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // A bad expression is refused with its position.
    let o = run(
        &db,
        &[
            "program",
            "add",
            "--name",
            "X",
            "--sector",
            "umkm",
            "--agency",
            "A",
            "--kind",
            "hibah",
            "--start",
            "2026-01-01",
            "--end",
            "2026-12-31",
            "--budget",
            "1",
            "--eligibility",
            "desil <=",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(&db, &["program", "dry-run", "1", "--format", "csv"]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(csv.starts_with("village,name,households,quota\n"));
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.starts_with("53.71.") || l.starts_with("(all)"))
    );
    // Two Kupang households of the poorest deciles.
    let o = run(
        &db,
        &[
            "eligibility",
            "list",
            "di_wilayah(\"53.71\") and desil <= 4",
            "--format",
            "csv",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let list = String::from_utf8_lossy(&o.stdout).to_string();
    let header: Vec<&str> = list.lines().next().unwrap().split(',').collect();
    let kk_col = header.iter().position(|c| *c == "no_kk").unwrap();
    let kks: Vec<String> = list
        .lines()
        .skip(1)
        .take(2)
        .map(|l| l.split(',').nth(kk_col).unwrap().to_string())
        .collect();
    assert_eq!(kks.len(), 2);
    let decide = |kk: &str, program: &str, action: &str| {
        run(
            &db,
            &[
                "program",
                "decide",
                program,
                "--kk",
                kk,
                "--action",
                action,
                "--why",
                "musyawarah",
            ],
        )
    };
    assert!(decide(&kks[0], "1", "enroll").status.success());
    let o = decide(&kks[1], "1", "enroll");
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o).contains("has reached its capacity of 1"),
        "{}",
        text(&o)
    );
    let o = decide(&kks[0], "2", "enroll");
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("exclusive with"), "{}", text(&o));
    let o = decide(&kks[0], "1", "graduate");
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("cannot graduate a household that is enrolled"));
    assert!(decide(&kks[0], "1", "activate").status.success());
    assert!(decide(&kks[0], "1", "graduate").status.success());
    // The place is free again, and the exclusive program accepts the graduate.
    assert!(decide(&kks[1], "1", "enroll").status.success());
    assert!(decide(&kks[0], "2", "enroll").status.success());
}
