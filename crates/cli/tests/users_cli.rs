//! `sejahtera user`: an agency operator works for a region, given when the
//! account is made or set later with `user region`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cli(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sejahtera"))
        .env(
            "SEJAHTERA_DATA",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"),
        )
        .env_remove("SEJAHTERA_DB")
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    c.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

sejahtera_testkit::on_both_backends! {
async fn an_agency_operator_needs_a_region(db) {
    let t = db;
    let db = t.url.clone();
    assert!(cli(&db, &["init"], "").status.success());
    let add = |extra: &[&str]| {
        let mut args = vec![
            "user",
            "add",
            "--role",
            "agency_operator",
            "--name",
            "opd.uji",
            "--agency",
            "Dinas Uji",
        ];
        args.extend_from_slice(extra);
        cli(&db, &args, "kata-sandi-panjang\n")
    };
    let o = add(&[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("needs the region"), "{}", text(&o));
    let o = add(&["--region", "53.71.04.1001"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("not a known regency or province"),
        "{}",
        text(&o)
    );
    let o = add(&["--region", "53.71"]);
    assert!(o.status.success(), "{}", text(&o));
    // Another region later; only agency operators have one.
    let o = cli(&db, &["user", "region", "opd.uji", "15.03"], "");
    assert!(o.status.success(), "{}", text(&o));
    let o = cli(
        &db,
        &[
            "user",
            "add",
            "--role",
            "planner",
            "--name",
            "perencana",
            "--region",
            "53.71",
        ],
        "kata-sandi-panjang\n",
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("only agency operators"), "{}", text(&o));
}
}
