//! `sejahtera eligibility count` output format, parse errors on the command line,
//! and the `pmt` and `targeting` commands on a small demo.

use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sejahtera"));
    c.env(
        "SEJAHTERA_DATA",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"),
    );
    c.env_remove("SEJAHTERA_DB");
    c
}

fn cli(db: &str, args: &[&str]) -> Output {
    bin()
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

fn ok(db: &str, args: &[&str]) -> String {
    let o = cli(db, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

const EXAMPLE: &str =
    "desil <= 4 and kepala.jenis_kelamin == \"P\" and any(anggota, umur >= 18 and umur <= 55)";

sejahtera_testkit::on_both_backends! {
async fn eligibility_count_csv_json_and_errors(db) {
    let t = db;
    let db = t.url.clone();
    ok(
        &db,
        &["demo", "--no-serve", "--scale", "0.02", "--seed", "3"],
    );

    let csv = ok(
        &db,
        &[
            "eligibility",
            "count",
            EXAMPLE,
            "--format",
            "csv",
            "--reference-date",
            "2026-11-23",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "district,households,persons");
    assert_eq!(lines.len(), 1 + 17 + 1, "{csv}");
    assert!(lines[1].starts_with("15.03.01,"), "{}", lines[1]);
    let (mut h, mut p) = (0u64, 0u64);
    for l in &lines[1..18] {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].len(), 8, "district code like 53.71.01: {l}");
        h += f[1].parse::<u64>().unwrap();
        p += f[2].parse::<u64>().unwrap();
    }
    assert!(h > 0);
    assert!(p >= h, "persons count all members of matching households");
    assert_eq!(lines[18], format!("(all),{h},{p}"));

    let json = ok(
        &db,
        &[
            "eligibility",
            "count",
            EXAMPLE,
            "--under",
            "53.71",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 6 + 1);
    assert_eq!(a[0]["district"], "53.71.01");
    assert_eq!(a[0]["name"], "Alak");
    assert!(a[0]["households"].is_u64());
    assert_eq!(a[6]["district"], "(all)");

    // A parse error: exit code 2, the position and a caret on standard error.
    let o = cli(
        &db,
        &[
            "eligibility",
            "count",
            "desil <= 4 and umr > 1",
            "--format",
            "csv",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 1, column 16: unknown field `umr`"),
        "{err}"
    );
    assert!(err.contains("\n                 ^^^"), "{err}");
    assert!(o.stdout.is_empty());

    // list (staff export) has one row per matching household.
    let list = ok(
        &db,
        &[
            "eligibility",
            "list",
            EXAMPLE,
            "--reference-date",
            "2026-11-23",
        ],
    );
    assert_eq!(list.lines().count() as u64, 1 + h);
    assert!(
        list.starts_with(
            "no_kk,kode_wilayah,kecamatan,desil,jumlah_anggota,nik_kepala,nama_kepala\n"
        )
    );
}

async fn pmt_estimate_score_and_targeting(db) {
    let t = db;
    let d = t.dir();
    let db = t.url.clone();
    ok(
        &db,
        &["demo", "--no-serve", "--scale", "0.02", "--seed", "4"],
    );
    let sample = d.join("s.csv");
    let weights = d.join("w.toml");
    ok(
        &db,
        &[
            "pmt",
            "sample",
            "--fraction",
            "0.3",
            "--output",
            sample.to_str().unwrap(),
        ],
    );
    let fit = ok(
        &db,
        &[
            "pmt",
            "estimate",
            "--sample",
            sample.to_str().unwrap(),
            "--output",
            weights.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&fit).unwrap();
    let r2 = v[0]["r2"].as_f64().unwrap();
    assert!(r2 > 0.3 && r2 < 1.0, "{fit}");
    assert!(v[0]["n"].as_u64().unwrap() > 500);
    let toml = std::fs::read_to_string(&weights).unwrap();
    assert!(
        toml.contains("[model]") && toml.contains("konstanta = "),
        "{toml}"
    );

    let score = ok(
        &db,
        &[
            "pmt",
            "score",
            "--weights",
            weights.to_str().unwrap(),
            "--area",
            "district",
            "--format",
            "csv",
        ],
    );
    assert!(score.starts_with("area,name,households,min_score,max_score\n"));
    assert_eq!(score.lines().count(), 1 + 17);

    let t = ok(
        &db,
        &[
            "targeting",
            "--select",
            "desil <= 4",
            "--poor-share",
            "0.4",
            "--format",
            "csv",
        ],
    );
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        "district,name,households,selected,poor,selected_poor,selected_not_poor,poor_not_selected,not_selected_not_poor,inclusion_error,exclusion_error"
    );
    assert!(lines.last().unwrap().starts_with("(all),(all),"));
    let table = ok(&db, &["targeting", "--select", "desil <= 2"]);
    assert!(table.contains("confusion table"), "{table}");
    // A program's enrollees: as many selected as the program has participants.
    let stats: serde_json::Value =
        serde_json::from_str(&ok(&db, &["program", "stats", "1", "--format", "json"])).unwrap();
    let t = ok(
        &db,
        &[
            "targeting",
            "--program",
            "1",
            "--under",
            "53.71",
            "--format",
            "json",
        ],
    );
    let rows: serde_json::Value = serde_json::from_str(&t).unwrap();
    let all = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["district"] == "(all)")
        .unwrap();
    assert_eq!(all["selected"], stats["participants"]);
    // One selection at a time.
    let out = cli(
        &db,
        &["targeting", "--select", "desil <= 2", "--program", "1"],
    );
    assert_eq!(out.status.code(), Some(2));
}
}
