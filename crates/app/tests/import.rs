//! Import use case: every rejection rule, every format variant, idempotence,
//! all-or-nothing, XLSX input and a 100,000-row import.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sejahtera_app::import::{ImportError, ImportOptions, ImportReport, Kind, import};
use sejahtera_app::{DbUrl, NoProgress};
use sejahtera_domain::Regions;
use sejahtera_store::Store;
use sejahtera_testkit::db::{Backend, TestDb};
use sqlx::AnyPool;

struct Env {
    db: TestDb,
    raw: AnyPool,
    store: Store,
    regions: Regions,
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

async fn env(db: TestDb) -> Env {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"));
    let (store, regions) = sejahtera_app::regions::init(DbUrl::parse(&db.url).unwrap(), &data)
        .await
        .unwrap();
    let raw = db.raw().await;
    Env {
        db,
        raw,
        store,
        regions,
    }
}

impl Env {
    fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.db.dir().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    async fn import(&self, kind: Kind, path: &Path) -> Result<ImportReport, ImportError> {
        let opts = ImportOptions {
            rejects: self.db.dir().join(format!(
                "{}.rejects.csv",
                path.file_name().unwrap().to_string_lossy()
            )),
            today: today(),
            progress: &NoProgress,
            scope: None,
        };
        import(&self.store, &self.regions, kind, path, &opts).await
    }

    async fn ok(&self, kind: Kind, name: &str, content: &str) -> ImportReport {
        let p = self.file(name, content);
        self.import(kind, &p).await.unwrap()
    }

    fn rejects(&self, report: &ImportReport) -> Vec<(usize, String, String)> {
        let mut r = csv::Reader::from_path(&report.rejects_path).unwrap();
        assert_eq!(
            r.headers().unwrap(),
            vec!["line", "column", "reason", "raw"]
        );
        r.records()
            .map(|x| {
                let x = x.unwrap();
                (x[0].parse().unwrap(), x[1].to_string(), x[2].to_string())
            })
            .collect()
    }

    async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.raw)
            .await
            .unwrap()
    }

    async fn seed_households(&self) {
        let r = self
            .ok(
                Kind::Households,
                "seed.csv",
                "no_kk,kode_wilayah,pengeluaran_bulanan\n\
                 5371010101200001,53.71.01.1001,2000000\n\
                 5371010101200002,5371011002,3.000.000\n\
                 1503010101200003,15.03.01.2001,1500000\n",
            )
            .await;
        assert_eq!((r.accepted, r.rejected), (3, 0));
    }
}

const HH: &str = "no_kk,kode_wilayah,rt,rw,alamat,pengeluaran_bulanan,lantai,dinding,atap,sumber_air,sanitasi,listrik,bahan_bakar,status_rumah\n";
const PP: &str = "nik,no_kk,nama,jenis_kelamin,tanggal_lahir,hubungan,pendidikan,pekerjaan,sektor,disabilitas,status_kawin\n";

async fn import_scoped(e: &Env, kind: Kind, name: &str, content: &str) -> ImportReport {
    let p = e.file(name, content);
    let opts = ImportOptions {
        rejects: e.db.dir().join(format!("{name}.rejects.csv")),
        today: today(),
        progress: &NoProgress,
        scope: Some(
            [sejahtera_domain::RegionCode::parse("53.71.01.1001").unwrap()]
                .into_iter()
                .collect(),
        ),
    };
    import(&e.store, &e.regions, kind, &p, &opts).await.unwrap()
}

sejahtera_testkit::on_both_backends! {
async fn household_rejection_rules_each_name_line_and_column(db) {
    let e = env(db).await;
    let body = format!(
        "{HH}\
5371010101200001,53.71.01.1001,001,002,Jl. A,1.250.000,keramik,tembok,genteng,perpipaan,sendiri,pln_meter,gas,milik_sendiri
,53.71.01.1001,,,,100,,,,,,,,
537101010120000,53.71.01.1001,,,,100,,,,,,,,
5371010101200003,53.71.01.9999,,,,100,,,,,,,,
5371010101200004,53.71.01.1001,,,,-5,,,,,,,,
5371010101200005,53.71.01.1001,,,,satu juta,,,,,,,,
5371010101200006,53.71.01.1001,,,,100,marmer,,,,,,,
5371010101200007,53.71.01.1001,,,,,,,,,,,,
5371010101200008,,,,,100,,,,,,,,
5371010101200009,53.71.01.1001,1234,,,100,,,,,,,,
5371010101200010,53.71.01,,,,100,,,,,,,,
"
    );
    let r = e.ok(Kind::Households, "hh.csv", &body).await;
    assert_eq!((r.accepted, r.rejected), (1, 10));
    let rej = e.rejects(&r);
    let cols: Vec<(usize, &str)> = rej.iter().map(|(l, c, _)| (*l, c.as_str())).collect();
    assert_eq!(
        cols,
        [
            (3, "no_kk"),
            (4, "no_kk"),
            (5, "kode_wilayah"),
            (6, "pengeluaran_bulanan"),
            (7, "pengeluaran_bulanan"),
            (8, "lantai"),
            (9, "pengeluaran_bulanan"),
            (10, "kode_wilayah"),
            (11, "rt"),
            (12, "kode_wilayah"),
        ]
    );
    assert!(
        rej[5].2.contains("tanah|bambu|kayu|semen|keramik"),
        "allowed values are listed: {}",
        rej[5].2
    );
    assert!(rej[3].2.contains("negative"));
    assert_eq!(e.count("households").await, 1);
}

async fn person_rejection_rules(db) {
    let e = env(db).await;
    e.seed_households().await;
    let body = format!(
        "{PP}\
5371015203850001,5371010101200001,Maria Ndun,P,1985-03-12,kepala,sma,Pedagang,perdagangan,tidak,kawin
5371011203850002,5371010101200001,Yosef Ndun,L,12-03-1985,suami,sd,,,,
5371011203850003,5371010101200001,,L,12/03/1985,anak,,,,,
53710112038500,5371010101200001,Budi,L,1985-03-12,anak,,,,,
5371013203850004,5371010101200001,Budi,L,1985-03-12,anak,,,,,
5371017203850005,5371010101200001,Budi,P,1985-03-12,anak,,,,,
5371011203850006,5371019999999999,Budi,L,1985-03-12,anak,,,,,
5371011203850002,5371010101200001,Yosef Lagi,L,1985-03-12,anak,,,,,
5371011203850007,5371010101200001,Budi,L,1985/03/12,anak,,,,,
5371011203850008,5371010101200001,Budi,L,2999-01-01,anak,,,,,
5371011203850009,5371010101200001,Budi,X,1985-03-12,anak,,,,,
5371011203850010,5371010101200001,Budi,L,1985-03-12,kakek,,,,,
5371011203850011,5371010101200001,Budi,L,1985-03-12,kepala,,,,,
5371011203850012,5371010101200001,Budi,L,1985-03-12,anak,s3,,,,
"
    );
    let r = e.ok(Kind::Persons, "pp.csv", &body).await;
    let rej = e.rejects(&r);
    let cols: Vec<(usize, &str)> = rej.iter().map(|(l, c, _)| (*l, c.as_str())).collect();
    assert_eq!(
        cols,
        [
            (4, "nama"),
            (5, "nik"),
            (6, "nik"),
            (7, "nik"),
            (8, "no_kk"),
            (9, "nik"),
            (10, "tanggal_lahir"),
            (11, "tanggal_lahir"),
            (12, "jenis_kelamin"),
            (13, "hubungan"),
            (14, "hubungan"),
            (15, "pendidikan"),
        ]
    );
    assert!(rej[4].2.contains("import households first"));
    assert!(rej[5].2.contains("first at line 3"));
    assert!(rej[7].2.contains("future"));
    assert!(rej[10].2.contains("kepala"));
    assert_eq!((r.accepted, r.rejected), (2, 12));
    assert_eq!(e.count("persons").await, 2);
}

async fn nik_stored_under_another_household_is_rejected(db) {
    let e = env(db).await;
    e.seed_households().await;
    e.ok(
        Kind::Persons,
        "a.csv",
        &format!("{PP}5371011203850002,5371010101200001,Yosef,L,1985-03-12,kepala,,,,,\n"),
    )
    .await;
    let r = e
        .ok(
            Kind::Persons,
            "b.csv",
            &format!("{PP}5371011203850002,5371010101200002,Yosef,L,1985-03-12,kepala,,,,,\n"),
        )
        .await;
    assert_eq!((r.accepted, r.rejected), (0, 1));
    assert!(e.rejects(&r)[0].2.contains("another household"));
}

async fn second_head_against_the_stored_registry_is_rejected(db) {
    let e = env(db).await;
    e.seed_households().await;
    e.ok(
        Kind::Persons,
        "a.csv",
        &format!("{PP}5371011203850002,5371010101200001,Yosef,L,1985-03-12,kepala,,,,,\n"),
    )
    .await;
    let r = e
        .ok(
            Kind::Persons,
            "b.csv",
            &format!("{PP}5371015203850001,5371010101200001,Maria,P,1985-03-12,kepala,,,,,\n"),
        )
        .await;
    assert_eq!((r.accepted, r.rejected), (0, 1));
    assert_eq!(e.rejects(&r)[0].1, "hubungan");
    // The same head re-imported is fine.
    let r = e
        .ok(
            Kind::Persons,
            "c.csv",
            &format!("{PP}5371011203850002,5371010101200001,Yosef,L,1985-03-12,kepala,,,,,\n"),
        )
        .await;
    assert_eq!((r.accepted, r.rejected), (1, 0));
}

async fn nik_disagreeing_with_birth_date_or_sex_is_a_flagged_warning(db) {
    let e = env(db).await;
    e.seed_households().await;
    let r = e
        .ok(
            Kind::Persons,
            "w.csv",
            &format!(
                "{PP}5371015203850001,5371010101200001,Maria,P,1985-03-13,kepala,,,,,\n\
                 5371011203850002,5371010101200001,Yosef,P,1985-03-12,suami,,,,,\n\
                 5371011203850003,5371010101200001,Ana,L,1985-03-12,anak,,,,,\n"
            ),
        )
        .await;
    assert_eq!((r.accepted, r.rejected, r.warnings.len()), (3, 0, 2));
    let flags: Vec<String> = sqlx::query_scalar("SELECT flags FROM persons ORDER BY nik")
        .fetch_all(&e.raw)
        .await
        .unwrap();
    assert_eq!(
        flags,
        ["nik_jenis_kelamin_berbeda", "", "nik_tanggal_lahir_berbeda"]
    );
}

async fn format_variants_bom_semicolon_crlf_quotes_numbers_dates_case(db) {
    let e = env(db).await;
    let content = "\u{feff} NO_KK ; Kode_Wilayah ;ALAMAT;Pengeluaran_Bulanan;Lantai;catatan\r\n\
        5371010101200001;5371011001;\"Jl. Timor; No. 5\";1.250.000,50;KERAMIK;x\r\n\
        5371010101200002;53.71.01.1002;\"RT 1\r\nRW 2\";1250000;semen;\r\n\
        5371010101200003;53.71.01.1002;\"kata \"\"kutip\"\"\";1.250.000;Tanah;\r\n\
        5371010101200004;53.71.01.1002;;0,4;;\r\n";
    let r = e.ok(Kind::Households, "v.csv", content).await;
    assert_eq!((r.accepted, r.rejected), (4, 0));
    assert_eq!(r.warnings.len(), 1, "one warning for the unknown column");
    assert!(r.warnings[0].message.contains("catatan"));
    let rows: Vec<(String, Option<String>, i64, Option<String>)> = sqlx::query_as(
        "SELECT no_kk, alamat, pengeluaran_bulanan, lantai FROM households ORDER BY no_kk",
    )
    .fetch_all(&e.raw)
    .await
    .unwrap();
    assert_eq!(rows[0].1.as_deref(), Some("Jl. Timor; No. 5"));
    assert_eq!(rows[0].2, 1_250_001, "decimal comma rounds half up");
    assert_eq!(rows[0].3.as_deref(), Some("keramik"));
    assert_eq!(rows[1].1.as_deref(), Some("RT 1\nRW 2"));
    assert_eq!(rows[2].1.as_deref(), Some("kata \"kutip\""));
    assert_eq!(rows[3].2, 0);
}

async fn line_numbers_count_the_header_and_multiline_fields(db) {
    let e = env(db).await;
    let content = "no_kk,kode_wilayah,alamat,pengeluaran_bulanan\n\
        5371010101200001,5371011001,\"two\nlines\",100\n\
        bad,5371011001,x,100\n";
    let r = e.ok(Kind::Households, "l.csv", content).await;
    assert_eq!(e.rejects(&r)[0].0, 4);
}

async fn date_formats_all_accepted(db) {
    let e = env(db).await;
    e.seed_households().await;
    let r = e
        .ok(
            Kind::Persons,
            "d.csv",
            &format!(
                "{PP}5371011203850001,5371010101200001,A,L,1985-03-12,,,,,,\n\
                 5371011203850002,5371010101200001,B,L,12-03-1985,,,,,,\n\
                 5371011203850003,5371010101200001,C,L,12/03/1985,,,,,,\n"
            ),
        )
        .await;
    assert_eq!((r.accepted, r.rejected, r.warnings.len()), (3, 0, 0));
}

async fn missing_required_column_is_unusable_and_writes_nothing(db) {
    let e = env(db).await;
    let p = e.file("m.csv", "no_kk,alamat\n5371010101200001,x\n");
    match e.import(Kind::Households, &p).await {
        Err(ImportError::MissingColumns { missing, .. }) => {
            assert_eq!(missing, "kode_wilayah, pengeluaran_bulanan")
        }
        other => panic!("expected MissingColumns, got {other:?}"),
    }
    assert_eq!(e.count("households").await, 0);
    let p = e.file("empty.csv", "");
    assert!(matches!(
        e.import(Kind::Households, &p).await,
        Err(ImportError::Input(_))
    ));
}

async fn reimporting_the_same_file_changes_nothing(db) {
    let e = env(db).await;
    e.seed_households().await;
    let persons = format!(
        "{PP}5371015203850001,5371010101200001,Maria,P,1985-03-12,kepala,sma,,,,\n\
         5371011203850002,5371010101200001,Yosef,L,1985-03-12,suami,,,,,\n"
    );
    let a = e.ok(Kind::Persons, "p.csv", &persons).await;
    assert_eq!((a.stats.inserted, a.stats.updated), (2, 0));
    let snapshot: Vec<(String, String, String)> =
        sqlx::query_as("SELECT nik, nama, flags FROM persons ORDER BY nik")
            .fetch_all(&e.raw)
            .await
            .unwrap();
    let b = e.ok(Kind::Persons, "p.csv", &persons).await;
    assert_eq!(
        (
            b.accepted,
            b.rejected,
            b.stats.inserted,
            b.stats.updated,
            b.stats.unchanged
        ),
        (2, 0, 0, 0, 2)
    );
    let again: Vec<(String, String, String)> =
        sqlx::query_as("SELECT nik, nama, flags FROM persons ORDER BY nik")
            .fetch_all(&e.raw)
            .await
            .unwrap();
    assert_eq!(snapshot, again);
    // A changed value updates the stored row.
    let c = e
        .ok(
            Kind::Persons,
            "p2.csv",
            &format!("{PP}5371011203850002,5371010101200001,Yosef Ndun,L,1985-03-12,suami,,,,,\n"),
        )
        .await;
    assert_eq!((c.stats.inserted, c.stats.updated), (0, 1));
    let h = e
        .ok(
            Kind::Households,
            "seed.csv",
            &std::fs::read_to_string(e.db.dir().join("seed.csv")).unwrap(),
        )
        .await;
    assert_eq!(
        (h.stats.inserted, h.stats.updated, h.stats.unchanged),
        (0, 0, 3)
    );
}

async fn a_failure_while_storing_leaves_the_registry_as_it_was(db) {
    let e = env(db).await;
    e.seed_households().await;
    // A trigger makes the database refuse one row deep inside the batch.
    let boom: &[&str] = match e.db.backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER boom BEFORE INSERT ON persons WHEN NEW.nama = 'BOOM' \
             BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \
             'BEGIN RAISE EXCEPTION ''boom''; END'",
            "CREATE TRIGGER boom BEFORE INSERT ON persons FOR EACH ROW \
             WHEN (NEW.nama = 'BOOM') EXECUTE FUNCTION boom()",
        ],
    };
    for sql in boom {
        sqlx::query(sql).execute(&e.raw).await.unwrap();
    }
    let mut body = String::from(PP);
    for i in 0..2000u32 {
        let name = if i == 1500 {
            "BOOM".to_string()
        } else {
            format!("P{i}")
        };
        body.push_str(&format!(
            "53710112038{:05},5371010101200001,{name},L,1985-03-12,anak,,,,,\n",
            50000 + i
        ));
    }
    let p = e.file("boom.csv", &body);
    let r = e.import(Kind::Persons, &p).await;
    assert!(matches!(r, Err(ImportError::Store(_))), "{r:?}");
    assert_eq!(
        e.count("persons").await,
        0,
        "no person of the failed import is stored"
    );
    assert_eq!(
        e.count("import_runs").await,
        1,
        "only the seed import is recorded"
    );
}

async fn xlsx_first_sheet_with_typed_cells_and_sheet_row_numbers(db) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let e = env(db).await;
    e.seed_households().await;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in [
        "NIK",
        "no_kk",
        "nama",
        "jenis_kelamin",
        "tanggal_lahir",
        "hubungan",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: typed number NIK and KK, a real date cell.
    ws.write_number(1, 0, 5371015203850001.0).unwrap();
    ws.write_number(1, 1, 5371010101200001.0).unwrap();
    ws.write_string(1, 2, "Maria").unwrap();
    ws.write_string(1, 3, "p").unwrap();
    ws.write_datetime_with_format(
        1,
        4,
        ExcelDateTime::from_ymd(1985, 3, 12).unwrap(),
        &date_fmt,
    )
    .unwrap();
    ws.write_string(1, 5, "Kepala").unwrap();
    // Row 3: text cells, a bad NIK.
    ws.write_string(2, 0, "12345").unwrap();
    ws.write_string(2, 1, "5371010101200001").unwrap();
    ws.write_string(2, 2, "X").unwrap();
    ws.write_string(2, 3, "L").unwrap();
    ws.write_string(2, 4, "1990-01-01").unwrap();
    // A second sheet is ignored.
    wb.add_worksheet().write_string(0, 0, "ignored").unwrap();
    let p = e.db.dir().join("anggota.xlsx");
    wb.save(&p).unwrap();
    let r = e.import(Kind::Persons, &p).await.unwrap();
    assert_eq!((r.accepted, r.rejected), (1, 1));
    let rej = e.rejects(&r);
    assert_eq!((rej[0].0, rej[0].1.as_str()), (3, "nik"));
    let (nik, date): (String, String) = sqlx::query_as("SELECT nik, tanggal_lahir FROM persons")
        .fetch_one(&e.raw)
        .await
        .unwrap();
    assert_eq!(
        (nik.as_str(), date.as_str()),
        ("5371015203850001", "1985-03-12")
    );
}

async fn hundred_thousand_rows(db) {
    let e = env(db).await;
    let mut hh = String::from("no_kk,kode_wilayah,pengeluaran_bulanan,lantai\n");
    let mut pp = String::from(PP);
    for i in 0..25_000u64 {
        let kk = 5371010101000000 + i;
        hh.push_str(&format!(
            "{kk},53.71.01.10{:02},{},semen\n",
            1 + i % 9,
            1_000_000 + i
        ));
        for j in 0..4u64 {
            let rel = if j == 0 { "kepala" } else { "anak" };
            pp.push_str(&format!(
                "537101120385{:04},{kk},Nama {i} {j},L,1985-03-12,{rel},,,,,\n",
                (i * 4 + j) % 10_000
            ));
        }
    }
    // NIK serials wrap at 10,000: make them unique by varying the district digits.
    let pp: String = pp
        .lines()
        .enumerate()
        .map(|(n, l)| {
            if n == 0 {
                format!("{l}\n")
            } else {
                let district = 10 + (n - 1) / 10_000;
                format!("5371{district:02}{}\n", &l[6..])
            }
        })
        .collect();
    let rh = e.ok(Kind::Households, "h.csv", &hh).await;
    assert_eq!((rh.accepted, rh.rejected), (25_000, 0));
    let rp = e.ok(Kind::Persons, "p.csv", &pp).await;
    assert_eq!((rp.accepted, rp.rejected), (100_000, 0));
    assert_eq!(e.count("persons").await, 100_000);
}


/// Issue #13, item 12: a village operator's import (scoped to their villages) must not learn
/// from the wording of a reject whether a KK exists in a village outside the scope.
async fn scoped_import_rejects_do_not_reveal_households_outside_the_scope(db) {
    use sejahtera_app::import::NOT_IN_SCOPE;
    let e = env(db).await;
    // ...001 in 53.71.01.1001 (the scope), ...002 in 53.71.01.1002, ...003 in 15.03.01.2001
    e.seed_households().await;
    // Persons: a KK stored outside the scope, a KK stored nowhere, a KK in another
    // province, and one in the scope (accepted).
    let r = import_scoped(
        &e,
        Kind::Persons,
        "p.csv",
        &format!(
            "{PP}5371011203850002,5371010101200002,A,L,1985-03-12,kepala,,,,,\n\
             5371011203850003,5371010101209999,B,L,1985-03-12,kepala,,,,,\n\
             5371011203850004,1503010101200003,C,L,1985-03-12,kepala,,,,,\n\
             5371011203850005,5371010101200001,D,L,1985-03-12,kepala,,,,,\n"
        ),
    )
    .await;
    assert_eq!((r.accepted, r.rejected), (1, 3));
    let rejects = e.rejects(&r);
    assert_eq!(rejects.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4]);
    for (line, column, reason) in &rejects {
        assert_eq!(
            (column.as_str(), reason.as_str()),
            ("no_kk", NOT_IN_SCOPE),
            "line {line}"
        );
    }

    // Households: a KK stored outside the scope (the row in the operator's village) and a
    // row naming a village outside the scope get the same column and reason.
    let r = import_scoped(
        &e,
        Kind::Households,
        "h.csv",
        "no_kk,kode_wilayah,pengeluaran_bulanan\n\
         5371010101200002,53.71.01.1001,1000000\n\
         5371010101209998,53.71.01.1002,1000000\n",
    )
    .await;
    assert_eq!((r.accepted, r.rejected), (0, 2));
    let rejects = e.rejects(&r);
    assert_eq!(rejects[0].1, rejects[1].1);
    assert_eq!(rejects[0].2, NOT_IN_SCOPE);
    assert_eq!(rejects[1].2, NOT_IN_SCOPE);
    assert_eq!(e.count("households").await, 3);
}
}
