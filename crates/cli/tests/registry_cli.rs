//! The `sejahtera` binary: init, regions, import exit codes and output, export
//! round trip, summary, demo, and a kill in the middle of an import.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sejahtera_testkit::db::TestDb;

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
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or("").to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

sejahtera_testkit::on_both_backends! {
async fn regions_csv_under_a_regency(db) {
    let t = db;
    let db = t.url.clone();
    assert!(cli(&db, &["init"]).status.success());
    let o = cli(&db, &["regions", "--under", "5371", "--format", "csv"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "code,name,level,parent_code,type,timezone"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6 + 51);
    assert!(rows.contains(&"53.71.01,Alak,district,53.71,,Asia/Makassar"));
    assert!(rows.contains(&"53.71.01.1001,Namosain,village,53.71.01,kelurahan,Asia/Makassar"));
    let o = cli(&db, &["regions", "--under", "15.03.01", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|r| r["timezone"] == "Asia/Jakarta" && r["level"] == "village")
    );
    assert!(v.as_array().unwrap().iter().any(|r| r["type"] == "desa"));
    let o = cli(&db, &["regions", "--under", "99.99"]);
    assert_eq!(o.status.code(), Some(2));
}

async fn import_exit_codes_and_last_line(db) {
    let t = db;
    let d = t.dir();
    let db = t.url.clone();
    let good = write(
        d,
        "h.csv",
        "no_kk,kode_wilayah,pengeluaran_bulanan\n5371010101200001,5371011001,1.000.000\n",
    );
    let o = cli(&db, &["import", "households", good.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(last_line(&o), "accepted 1, rejected 0, warnings 0");

    let some_bad = write(
        d,
        "h2.csv",
        "no_kk,kode_wilayah,pengeluaran_bulanan,extra\n5371010101200002,5371011001,1\n123,5371011001,1\n",
    );
    let o = cli(&db, &["import", "households", some_bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(last_line(&o), "accepted 1, rejected 1, warnings 1");
    let rejects = std::fs::read_to_string(d.join("h2.csv.rejects.csv")).unwrap();
    assert!(
        rejects.starts_with("line,column,reason,raw\n3,no_kk,"),
        "{rejects}"
    );

    let custom = d.join("my-rejects.csv");
    let o = cli(
        &db,
        &[
            "import",
            "households",
            some_bad.to_str().unwrap(),
            "--rejects",
            custom.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stdout(&o),
        "accepted 1, rejected 1, warnings 1\n",
        "--quiet prints only the last line"
    );
    assert!(custom.exists());

    let unusable = write(d, "h3.csv", "no_kk,alamat\n5371010101200003,x\n");
    let o = cli(&db, &["import", "households", unusable.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("missing required column(s) kode_wilayah, pengeluaran_bulanan")
    );
    let o = cli(
        &db,
        &[
            "import",
            "persons",
            d.join("nope.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
}

async fn templates_print_the_headers(db) {
    let t = db;
    let db = t.url.clone();
    let o = cli(&db, &["import", "template", "persons"]);
    assert_eq!(
        stdout(&o),
        "nik,no_kk,nama,jenis_kelamin,tanggal_lahir,hubungan,pendidikan,pekerjaan,sektor,disabilitas,status_kawin\n"
    );
    let o = cli(&db, &["import", "template", "households"]);
    assert!(stdout(&o).starts_with("no_kk,kode_wilayah,rt,rw,alamat,pengeluaran_bulanan,lantai,"));
}

async fn demo_export_reimports_unchanged_and_summary_adds_up(db) {
    let t = db;
    let d = t.dir();
    let db = t.url.clone();
    let o = cli(
        &db,
        &["demo", "--no-serve", "--scale", "0.01", "--seed", "3"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("53.71 Kota Kupang"));
    // Reused the second time.
    let o = cli(
        &db,
        &["demo", "--no-serve", "--scale", "0.01", "--seed", "3"],
    );
    assert!(stdout(&o).contains("already"));
    // A different seed into the same database is refused.
    assert_eq!(
        cli(
            &db,
            &["demo", "--no-serve", "--scale", "0.01", "--seed", "4"]
        )
        .status
        .code(),
        Some(2)
    );

    let h = d.join("h.csv");
    let p = d.join("p.csv");
    assert!(
        cli(
            &db,
            &["export", "households", "--output", h.to_str().unwrap()]
        )
        .status
        .success()
    );
    assert!(
        cli(&db, &["export", "persons", "--output", p.to_str().unwrap()])
            .status
            .success()
    );
    let n_p = std::fs::read_to_string(&p).unwrap().lines().count() - 1;
    assert!(n_p > 7000, "{n_p} persons");

    // Re-import into the same database: nothing changes.
    let o = cli(&db, &["import", "households", h.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(" 0 new, 0 updated"), "{}", stdout(&o));
    let o = cli(&db, &["import", "persons", p.to_str().unwrap()]);
    assert!(stdout(&o).contains(" 0 new, 0 updated"), "{}", stdout(&o));
    let flagged_warnings: usize = last_line(&o).rsplit(' ').next().unwrap().parse().unwrap();

    // Into a fresh database: every row accepted, and the export is identical.
    let t2 = TestDb::new(t.backend, "fresh")
        .await
        .expect("a second test database");
    let db2 = t2.url.clone();
    assert_eq!(
        cli(&db2, &["import", "households", h.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let o = cli(&db2, &["import", "persons", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        last_line(&o),
        format!("accepted {n_p}, rejected 0, warnings {flagged_warnings}")
    );
    let p2 = d.join("p2.csv");
    assert!(
        cli(
            &db2,
            &["export", "persons", "--output", p2.to_str().unwrap()]
        )
        .status
        .success()
    );
    assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(&p2).unwrap());

    let o = cli(&db2, &["summary", "--format", "csv"]);
    let text = stdout(&o);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 6 + 11 + 1);
    let total = rows.last().unwrap();
    assert_eq!(&total[0], "(all)");
    assert_eq!(total[3].parse::<usize>().unwrap(), n_p);
    let sum: usize = rows[..rows.len() - 1]
        .iter()
        .map(|r| r[3].parse::<usize>().unwrap())
        .sum();
    assert_eq!(sum, n_p);

    let pq = d.join("p.parquet");
    assert!(
        cli(
            &db2,
            &[
                "export",
                "persons",
                "--format",
                "parquet",
                "--output",
                pq.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    assert!(std::fs::metadata(&pq).unwrap().len() > 1000);
}

/// Kills `import persons` at several points; each time the registry holds either
/// none or all of the file's persons, never a part.
async fn a_kill_during_import_leaves_the_store_as_it_was(db) {
    let t = db;
    let d = t.dir();
    let db = t.url.clone();
    let mut hh = String::from("no_kk,kode_wilayah,pengeluaran_bulanan\n");
    let mut pp = String::from("nik,no_kk,nama,jenis_kelamin,tanggal_lahir,hubungan\n");
    for i in 0..20_000u64 {
        let kk = 5371010101000000 + i;
        hh.push_str(&format!("{kk},5371011001,1000000\n"));
        for j in 0..4u64 {
            let n = i * 4 + j;
            pp.push_str(&format!(
                "5371{:02}1203850{:03},{kk},Nama,L,1985-03-12,anak\n",
                10 + n / 1000,
                n % 1000
            ));
        }
    }
    let h = write(d, "h.csv", &hh);
    let p = write(d, "p.csv", &pp);
    assert_eq!(
        cli(&db, &["import", "households", h.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let count = || -> i64 {
        let o = cli(&db, &["summary", "--format", "csv"]);
        let text = stdout(&o);
        text.lines()
            .last()
            .unwrap()
            .split(',')
            .nth(3)
            .unwrap()
            .parse()
            .unwrap()
    };
    for delay_ms in [50u64, 150, 300, 600, 1000] {
        let mut child = bin()
            .arg("--db")
            .arg(&db)
            .args(["--quiet", "import", "persons", p.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let n = count();
        assert!(
            n == 0 || n == 80_000,
            "after a kill at {delay_ms} ms the store holds {n} persons"
        );
        if n == 80_000 {
            break;
        }
    }
}

async fn measure_from_registry_uses_the_shipped_poverty_lines(db) {
    let t = db;
    let db = t.url.clone();
    assert!(
        cli(
            &db,
            &["demo", "--no-serve", "--scale", "0.02", "--seed", "5"]
        )
        .status
        .success()
    );
    let o = cli(
        &db,
        &[
            "measure",
            "--from-registry",
            "--level",
            "regency",
            "--format",
            "csv",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&r.headers().unwrap()[0], "regency");
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let keys: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(keys, ["15.03", "53.71", "(all)"]);
    for (row, target) in rows.iter().zip([0.0836, 0.0824]) {
        let p0: f64 = row[5].parse().unwrap();
        assert!((p0 - target).abs() < 0.003, "{} p0 {p0}", &row[0]);
        let gini: f64 = row[11].parse().unwrap();
        assert!((gini - 0.32).abs() < 0.02, "{} gini {gini}", &row[0]);
    }
    let o = cli(
        &db,
        &[
            "measure",
            "--from-registry",
            "--level",
            "village",
            "--line",
            "500000",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 51 + 158 + 1);
}
}

fn run_with_stdin(db: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = bin()
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

sejahtera_testkit::on_both_backends! {
async fn user_add_reads_the_password_from_stdin_and_never_lists_it(db) {
    let t = db;
    let db = t.url.clone();
    let o = run_with_stdin(
        &db,
        &["user", "add", "--role", "admin", "--name", "budi"],
        "a-long-secret-pw\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("created user budi"));
    let o = run_with_stdin(
        &db,
        &[
            "user",
            "add",
            "--role",
            "village_operator",
            "--name",
            "op.namosain",
            "--villages",
            "53.71.01.1001",
        ],
        "another-long-pw\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A short password, a duplicate name and a bad village are refused with the reason.
    let o = run_with_stdin(
        &db,
        &["user", "add", "--role", "planner", "--name", "ani"],
        "short\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 10 characters"));
    let o = run_with_stdin(
        &db,
        &["user", "add", "--role", "admin", "--name", "budi"],
        "a-long-secret-pw\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    let o = run_with_stdin(
        &db,
        &[
            "user",
            "add",
            "--role",
            "village_operator",
            "--name",
            "op.x",
            "--villages",
            "53.71.99.1001",
        ],
        "a-long-secret-pw\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a known village"));
    let o = cli(&db, &["user", "list", "--format", "csv"]);
    let text = stdout(&o);
    assert!(text.starts_with("id,username,display_name,role,villages,disabled"));
    assert!(text.contains("op.namosain,op.namosain,village_operator,53.71.01.1001,false"));
    assert!(!text.contains("argon2") && !text.contains("secret"));
}
}
