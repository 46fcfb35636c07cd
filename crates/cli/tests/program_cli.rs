//! `sejahtera program`: define, dry-run, and record enrollment decisions with
//! their refusals (capacity, exclusivity, transitions) through the binary.

use std::process::{Command, Output};

fn cli(db: &str, args: &[&str]) -> Output {
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

sejahtera_testkit::on_both_backends! {
async fn programs_enforce_capacity_and_exclusivity_and_keep_every_decision(db) {
    let t = db;
    let db = t.url.clone();
    assert!(
        cli(
            &db,
            &["demo", "--no-serve", "--scale", "0.01", "--seed", "3"]
        )
        .status
        .success()
    );
    let o = cli(
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
    // The demo has programs of its own: use the ids given back.
    let first = created_id(&o, "program");
    let o = cli(
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
            &first,
        ],
    );
    let second = created_id(&o, "program");
    // A bad expression is refused with its position.
    let o = cli(
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
    let o = cli(&db, &["program", "dry-run", &first, "--format", "csv"]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(csv.starts_with("village,name,households,quota\n"));
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.starts_with("53.71.") || l.starts_with("(all)"))
    );
    // Two Kupang households of the poorest deciles.
    let o = cli(
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
        cli(
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
    assert!(decide(&kks[0], &first, "enroll").status.success());
    let o = decide(&kks[1], &first, "enroll");
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o).contains("has reached its capacity of 1"),
        "{}",
        text(&o)
    );
    let o = decide(&kks[0], &second, "enroll");
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("exclusive with"), "{}", text(&o));
    let o = decide(&kks[0], &first, "graduate");
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("cannot graduate a household that is enrolled"));
    assert!(decide(&kks[0], &first, "activate").status.success());
    assert!(decide(&kks[0], &first, "graduate").status.success());
    // The place is free again, and the exclusive program accepts the graduate.
    assert!(decide(&kks[1], &first, "enroll").status.success());
    assert!(decide(&kks[0], &second, "enroll").status.success());
}
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// Parses CSV output into header-keyed records.
fn csv_rows(o: &Output) -> Vec<std::collections::HashMap<String, String>> {
    assert!(o.status.success(), "{}", text(o));
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The id in a line such as `created session 12` or `created partner 6: …`.
fn created_id(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{}", text(o));
    let out = stdout(o);
    let rest = out
        .strip_prefix(&format!("created {what} "))
        .unwrap_or_else(|| panic!("{out}"));
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .to_string()
}

sejahtera_testkit::on_both_backends! {
async fn running_a_program_from_the_command_line(db) {
    let t = db;
    let d = t.dir();
    let db = t.url.clone();
    let o = cli(
        &db,
        &["demo", "--no-serve", "--scale", "0.01", "--seed", "5"],
    );
    assert!(o.status.success(), "{}", text(&o));

    // Partners.
    let o = cli(
        &db,
        &[
            "partner",
            "add",
            "--name",
            "Koperasi Uji",
            "--kind",
            "koperasi",
            "--services",
            "kur,tabungan",
            "--contact",
            "Oebobo",
        ],
    );
    let partner = created_id(&o, "partner");
    let o = cli(
        &db,
        &[
            "partner",
            "add",
            "--name",
            "X",
            "--kind",
            "ngo",
            "--services",
            "kur",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("bank, koperasi, usaha, lainnya"),
        "{}",
        text(&o)
    );
    let list = json(&cli(&db, &["partner", "list", "--format", "json"]));
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Koperasi Uji")
        .unwrap();
    assert_eq!(mine["id"].to_string(), partner);
    assert_eq!(mine["kind"], "koperasi");
    assert_eq!(mine["services"], "kur,tabungan");
    let demo_partner = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] != "Koperasi Uji")
        .unwrap()["id"]
        .to_string();

    // A program working with the new partner.
    let o = cli(
        &db,
        &[
            "program",
            "add",
            "--name",
            "Uji Pendampingan",
            "--sector",
            "umkm",
            "--agency",
            "Dinas Koperasi",
            "--kind",
            "pendampingan",
            "--start",
            "2020-01-01",
            "--end",
            "2099-12-31",
            "--budget",
            "10.000.000",
            "--eligibility",
            "di_wilayah(\"53.71\")",
            "--partners",
            &partner,
        ],
    );
    let program = created_id(&o, "program");
    let programs = csv_rows(&cli(&db, &["program", "list", "--format", "csv"]));
    let row = programs.iter().find(|p| p["id"] == program).unwrap();
    assert_eq!(row["partners"], partner);

    // Two Kupang households: the first takes part through a member who is not the head.
    let persons = csv_rows(&cli(&db, &["export", "persons"]));
    let kupang: Vec<_> = persons
        .iter()
        .filter(|p| p["no_kk"].starts_with("5371"))
        .collect();
    let h1 = kupang[0]["no_kk"].clone();
    let member = kupang
        .iter()
        .find(|p| p["no_kk"] == h1 && p["hubungan"] != "kepala")
        .unwrap()["nik"]
        .clone();
    let h2 = kupang.iter().find(|p| p["no_kk"] != h1).unwrap()["no_kk"].clone();
    let decide = |kk: &str, extra: &[&str]| {
        let mut args = vec![
            "program", "decide", &program, "--kk", kk, "--action", "enroll", "--why", "uji",
        ];
        args.extend_from_slice(extra);
        cli(&db, &args)
    };
    let o = decide(&h1, &["--participant", "1234"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--participant"), "{}", text(&o));
    let o = decide(&h1, &["--participant", &member]);
    assert!(o.status.success(), "{}", text(&o));
    let en = csv_rows(&cli(
        &db,
        &["program", "enrollments", &program, "--format", "csv"],
    ));
    assert_eq!(en.len(), 1);
    assert_eq!(en[0]["kk"], h1);
    assert_eq!(en[0]["status"], "enrolled");
    assert_eq!(en[0]["participant"], member);
    assert!(en[0]["village"].starts_with("53.71."));

    // Sessions and attendance.
    let o = cli(
        &db,
        &[
            "program",
            "session",
            "add",
            &program,
            "--date",
            "2024-03-01",
            "--topic",
            "Pembukuan",
            "--place",
            "Aula",
        ],
    );
    let session = created_id(&o, "session");
    let o = cli(
        &db,
        &[
            "program", "session", "add", &program, "--date", "1 Maret", "--topic", "X",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--date") && stderr(&o).contains("YYYY-MM-DD"),
        "{}",
        text(&o)
    );
    let o = cli(
        &db,
        &[
            "program",
            "attend",
            &session,
            "--present",
            &format!("{h1},{h2}"),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        stderr(&o).contains(&format!(
            "refused: nothing recorded: household {h2} has never been enrolled in Uji Pendampingan"
        )),
        "{}",
        text(&o)
    );
    let o = cli(&db, &["program", "attend", &session, "--present", &h1]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cli(&db, &["program", "attend", "999999", "--present", &h1]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("no session with id 999999"));
    let sessions = json(&cli(
        &db,
        &["program", "session", "list", &program, "--format", "json"],
    ));
    assert_eq!(sessions[0]["topic"], "Pembukuan");
    assert_eq!(sessions[0]["present"], 1);
    assert_eq!(sessions[0]["absent"], 0);

    // Visits.
    let o = cli(
        &db,
        &[
            "program",
            "visit",
            &program,
            "--kk",
            &h1,
            "--date",
            "2024-03-02",
            "--notes",
            "cek pembukuan",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = cli(
        &db,
        &[
            "program",
            "visit",
            &program,
            "--kk",
            &h2,
            "--date",
            "2024-03-02",
            "--notes",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let visits = csv_rows(&cli(
        &db,
        &["program", "visits", &program, "--format", "csv"],
    ));
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0]["kk"], h1);
    assert_eq!(visits[0]["mentor"], "0");
    assert_eq!(visits[0]["notes"], "cek pembukuan");

    // Referrals.
    let refer = |partner: &str, service: &str| {
        cli(
            &db,
            &[
                "program",
                "refer",
                &program,
                "--kk",
                &h1,
                "--partner",
                partner,
                "--service",
                service,
                "--date",
                "2024-03-05",
            ],
        )
    };
    let o = refer(&demo_partner, "kur");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        stderr(&o).contains("is not a partner of Uji Pendampingan (its partners: Koperasi Uji)"),
        "{}",
        text(&o)
    );
    let o = refer(&partner, "akses_pasar");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        stderr(&o).contains("does not offer akses_pasar"),
        "{}",
        text(&o)
    );
    let referral = created_id(&refer(&partner, "kur"), "referral");
    let status = |args: &[&str]| {
        let mut a = vec!["program", "referral", &referral];
        a.extend_from_slice(args);
        cli(&db, &a)
    };
    let o = status(&[
        "--status",
        "completed",
        "--result",
        "cair",
        "--date",
        "2024-03-06",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        stderr(&o).contains("refused: a referral that is referred cannot become completed"),
        "{}",
        text(&o)
    );
    let o = status(&["--status", "done"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = status(&["--status", "accepted", "--date", "2024-03-06"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = status(&["--status", "completed", "--amount", "15 juta"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("--amount"), "{}", text(&o));
    let o = status(&[
        "--status",
        "completed",
        "--result",
        "KUR cair",
        "--amount",
        "15.000.000",
        "--date",
        "2024-04-01",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let refs = json(&cli(
        &db,
        &[
            "program",
            "referrals",
            "--partner",
            &partner,
            "--format",
            "json",
        ],
    ));
    let refs = refs.as_array().unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["id"].to_string(), referral);
    assert_eq!(refs[0]["program"].to_string(), program);
    assert_eq!(refs[0]["kk"], h1.as_str());
    assert_eq!(refs[0]["service"], "kur");
    assert_eq!(refs[0]["status"], "completed");
    assert_eq!(refs[0]["result"], "KUR cair");
    assert_eq!(refs[0]["amount"], 15_000_000);
    assert_eq!(refs[0]["referred_on"], "2024-03-05");
    assert_eq!(refs[0]["updated_on"], "2024-04-01");
    let demo_refs = csv_rows(&cli(
        &db,
        &["program", "referrals", "--program", "6", "--format", "csv"],
    ));
    assert!(!demo_refs.is_empty() && demo_refs.iter().all(|r| r["program"] == "6"));

    // Outcomes, entered and imported.
    let outcome = |date: &str, extra: &[&str]| {
        let mut a = vec!["program", "outcome", &program, "--kk", &h1, "--date", date];
        a.extend_from_slice(extra);
        cli(&db, &a)
    };
    let o = outcome("2999-01-01", &["--income", "1.500.000"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        stderr(&o).contains("the observation day 2999-01-01 is outside"),
        "{}",
        text(&o)
    );
    let o = outcome("2024-03-31", &["--business", "mungkin"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("--business") && stderr(&o).contains("ya, tidak"));
    let o = outcome(
        "2024-03-31",
        &[
            "--business",
            "ya",
            "--income",
            "1.500.000",
            "--employed",
            "ya",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let file = d.join("hasil.csv");
    std::fs::write(
        &file,
        format!(
            "no_kk,tanggal,usaha,pendapatan_bulanan,bekerja\n\
             {h1},2024-06-30,ya,1.750.000,ya\n\
             {h2},2024-06-30,ya,900000,ya\n\
             {h1},2024-06-31,ya,1,ya\n\
             {h1},2024-07-31,mungkin,1,ya\n\
             123,2024-07-31,ya,1,ya\n\
             {h1},2999-07-31,ya,1,ya\n"
        ),
    )
    .unwrap();
    let rejects = d.join("rejects.csv");
    let o = cli(
        &db,
        &[
            "program",
            "outcomes-import",
            &program,
            file.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(stdout(&o).trim(), "accepted 1, rejected 5");
    let f = file.display().to_string();
    for (line, column) in [
        (3, "no_kk"),
        (4, "tanggal"),
        (5, "usaha"),
        (6, "no_kk"),
        (7, "tanggal"),
    ] {
        assert!(
            stderr(&o).contains(&format!("{f}:{line}: column {column}: ")),
            "line {line}: {}",
            text(&o)
        );
    }
    let rej: Vec<csv::StringRecord> = csv::Reader::from_path(&rejects)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rej.len(), 5);
    assert_eq!(&rej[0][0], "3");
    assert_eq!(&rej[0][1], "no_kk");
    assert!(rej[0][2].contains("neither a candidate nor a participant"));
    let bad = d.join("bad.csv");
    std::fs::write(&bad, "kk,tgl\n1,2\n").unwrap();
    let o = cli(
        &db,
        &[
            "program",
            "outcomes-import",
            &program,
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("unknown column \"kk\""), "{}", text(&o));
    let outs = csv_rows(&cli(
        &db,
        &["program", "outcomes", &program, "--format", "csv"],
    ));
    assert_eq!(outs.len(), 2, "{outs:?}");
    assert_eq!(outs[0]["date"], "2024-03-31");
    assert_eq!(outs[0]["income"], "1500000");
    assert_eq!(outs[0]["business"], "ya");
    assert_eq!(outs[0]["source"], "entered");
    assert_eq!(outs[1]["date"], "2024-06-30");
    assert_eq!(outs[1]["source"], "imported");

    // Public aggregates.
    let st = json(&cli(
        &db,
        &["program", "stats", &program, "--format", "json"],
    ));
    assert_eq!(st["participants"], 1);
    assert_eq!(st["sessions"], 1);
    assert_eq!(st["visits"], 1);
    // One completed referral: its count is suppressed and its amount (one
    // household's credit) not published.
    assert_eq!(st["referral_amount"], serde_json::Value::Null);
    assert_eq!(st["referrals"]["completed"]["suppressed"], true);
    assert_eq!(st["by_district"][0]["total"]["suppressed"], true);
    let o = cli(&db, &["program", "stats", &program]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stdout(&o).contains("referral amount     suppressed (fewer than 5 completed referrals)"),
        "{}",
        text(&o)
    );
    assert!(stdout(&o).contains("<5"), "{}", text(&o));
    let kv = csv_rows(&cli(&db, &["program", "stats", "6", "--format", "csv"]));
    assert!(kv.iter().any(|r| r["key"] == "by_status.active.value"));
    let o = cli(&db, &["program", "stats", "999"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // The demo's evaluation panel feeds `evaluate did`.
    let panel = json(&cli(&db, &["program", "panel", "6", "--format", "json"]));
    let panel = panel.as_array().unwrap();
    assert!(panel.len() > 100);
    assert!(panel.iter().any(|r| r["first_treated"] == 0));
    assert!(
        panel
            .iter()
            .any(|r| r["first_treated"].as_i64().unwrap() > 0)
    );
    let o = cli(&db, &["program", "panel", "6"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).starts_with("unit,period,first_treated,income,business,employed\n"));
    let panel_file = d.join("panel.csv");
    std::fs::write(&panel_file, &o.stdout).unwrap();
    let att = json(&cli(
        &db,
        &[
            "evaluate",
            "did",
            "--input",
            panel_file.to_str().unwrap(),
            "--y",
            "income",
            "--id",
            "unit",
            "--time",
            "period",
            "--group",
            "first_treated",
        ],
    ));
    let att = att["aggregate"]["att"].as_f64().unwrap();
    assert!(
        (150_000.0..1_000_000.0).contains(&att),
        "ATT of the demo's credit program: {att}"
    );
}
}
