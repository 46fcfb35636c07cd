//! Eligibility use cases on the demo registry: the columnar count agrees with a
//! naive evaluation of rows read straight from the store; `--under`; exports;
//! the refusal when no ranking is stored.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use sejahtera_app::NoProgress;
use sejahtera_app::eligibility::{EligibilityError, compile, count, list};
use sejahtera_app::snapshot::load;
use sejahtera_demo::registry::{DemoOptions, seed};
use sejahtera_domain::eligibility::fields::code_index;
use sejahtera_domain::eligibility::{HouseholdRow, MemberRow, eval_household};
use sejahtera_domain::region::Level;
use sejahtera_domain::{RegionCode, Regions};
use sejahtera_store::Store;
use sejahtera_testkit::db::TestDb;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

async fn demo(db: TestDb) -> (TestDb, Store, Regions) {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"));
    let (store, regions) =
        sejahtera_app::regions::init(sejahtera_app::DbUrl::parse(&db.url).unwrap(), &data)
            .await
            .unwrap();
    let opts = DemoOptions {
        seed: 11,
        scale: 0.02,
    };
    seed(&store, &regions, opts, today(), &NoProgress)
        .await
        .unwrap();
    (db, store, regions)
}

/// The registry as rows, read with the store's record API (not the snapshot loader).
async fn rows(store: &Store) -> Vec<(String, HouseholdRow)> {
    let welfare = store.welfare().await.unwrap();
    let mut hh: Vec<(String, HouseholdRow)> = Vec::new();
    store
        .for_each_household(&mut |h| {
            let kk: u64 = h.no_kk.as_str().parse().unwrap();
            hh.push((
                h.no_kk.as_str().to_string(),
                HouseholdRow {
                    village: h.kode_wilayah.clone(),
                    desil: welfare.get(&kk).map(|w| w.1),
                    skor_pmt: welfare.get(&kk).map(|w| w.0),
                    pengeluaran_bulanan: h.pengeluaran_bulanan.get(),
                    housing: [
                        code_index(h.lantai),
                        code_index(h.dinding),
                        code_index(h.atap),
                        code_index(h.sumber_air),
                        code_index(h.sanitasi),
                        code_index(h.listrik),
                        code_index(h.bahan_bakar),
                        code_index(h.status_rumah),
                    ],
                    members: Vec::new(),
                },
            ));
            Ok(())
        })
        .await
        .unwrap();
    let index: HashMap<String, usize> = hh
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), i))
        .collect();
    store
        .for_each_person(&mut |p| {
            let i = index[p.no_kk.as_str()];
            hh[i].1.members.push(MemberRow {
                umur: today().years_since(p.tanggal_lahir).map(|y| y as i16),
                codes: [
                    code_index(Some(p.jenis_kelamin)),
                    code_index(p.hubungan),
                    code_index(p.pendidikan),
                    code_index(p.sektor),
                    code_index(p.disabilitas),
                    code_index(p.status_kawin),
                ],
            });
            Ok(())
        })
        .await
        .unwrap();
    hh
}

const EXAMPLE: &str =
    "desil <= 4 and kepala.jenis_kelamin == \"P\" and any(anggota, umur >= 18 and umur <= 55)";

sejahtera_testkit::on_both_backends! {
async fn the_compact_snapshot_loader_equals_columns_built_from_full_records(db) {
    // The loader reads packed codes (one row per household); the reference reads every
    // household and person through the record API. Every column must be equal.
    let (_d, store, regions) = demo(db).await;
    let snap = load(&store, &regions, today(), false).await.unwrap();
    let rows: Vec<HouseholdRow> = rows(&store).await.into_iter().map(|(_, h)| h).collect();
    let reference = sejahtera_domain::eligibility::Snapshot::from_rows(&rows);
    assert_eq!(snap.cols, reference);
    // With personal data (exports) the full-record path gives the same columns.
    let with_pii = load(&store, &regions, today(), true).await.unwrap();
    assert_eq!(with_pii.cols, reference);
    assert_eq!(with_pii.no_kk, snap.no_kk);
}

async fn columnar_counts_agree_with_naive_rows_from_the_store(db) {
    let (_d, store, regions) = demo(db).await;
    let snap = load(&store, &regions, today(), false).await.unwrap();
    let rows = rows(&store).await;
    for src in [
        EXAMPLE,
        "count(anggota, umur < 15) >= 3 and lantai in [\"tanah\", \"bambu\"]",
        "all(anggota, pendidikan != \"sarjana\") and pengeluaran_per_kapita < 700000 and di_wilayah(\"15.03\")",
        "not any(anggota, disabilitas == \"ya\") or kepala.umur >= 60",
    ] {
        let p = compile(src).unwrap();
        let r = count(&snap, &p, None).unwrap();
        let mut want: HashMap<String, (u64, u64)> = HashMap::new();
        for (_, h) in &rows {
            if eval_household(&p, h) {
                let d = want
                    .entry(h.village.at_level(Level::District).unwrap().to_string())
                    .or_default();
                d.0 += 1;
                d.1 += h.members.len() as u64;
            }
        }
        assert_eq!(r.districts.len(), 17);
        for d in &r.districts {
            let w = want
                .get(d.district.code.as_str())
                .copied()
                .unwrap_or_default();
            assert_eq!((d.households, d.persons), w, "{src} in {}", d.district.code);
        }
        assert_eq!(
            r.households,
            r.districts.iter().map(|d| d.households).sum::<u64>()
        );
        assert!(r.households > 0, "{src} matches nobody");
    }
}

async fn under_restricts_the_districts_and_list_exports_heads(db) {
    let (_d, store, regions) = demo(db).await;
    let snap = load(&store, &regions, today(), true).await.unwrap();
    let p = compile(EXAMPLE).unwrap();
    let all = count(&snap, &p, None).unwrap();
    let alak = RegionCode::parse("5371").unwrap();
    let kupang = count(&snap, &p, Some(&alak)).unwrap();
    assert_eq!(kupang.districts.len(), 6);
    assert!(kupang.households < all.households);
    let village = RegionCode::parse("53.71.01.1001").unwrap();
    let one = count(&snap, &p, Some(&village)).unwrap();
    assert_eq!(one.districts.len(), 1);
    assert_eq!(one.districts[0].district.code.as_str(), "53.71.01");
    assert!(matches!(
        count(&snap, &p, Some(&RegionCode::parse("99.01").unwrap())),
        Err(EligibilityError::UnknownRegion(_))
    ));

    let m = list(&snap, &p, Some(&alak)).unwrap();
    assert_eq!(m.len() as u64, kupang.households);
    for x in &m {
        assert!(x.desil.unwrap() <= 4);
        let (nik, name) = x.kepala.clone().unwrap();
        assert_eq!(nik.len(), 16);
        // the head is a woman: NIK day + 40
        assert!(nik[6..8].parse::<u32>().unwrap() > 40, "{nik} {name}");
        assert!(x.kode_wilayah.is_under(&alak));
    }
}

async fn an_expression_using_desil_is_refused_without_a_ranking(db) {
    let (db, store, regions) = demo(db).await;
    sqlx::query("DELETE FROM household_welfare")
        .execute(&db.raw().await)
        .await
        .unwrap();
    let snap = load(&store, &regions, today(), false).await.unwrap();
    assert_eq!(snap.ranked, 0);
    let e = count(&snap, &compile(EXAMPLE).unwrap(), None).unwrap_err();
    assert!(e.to_string().contains("pmt score"), "{e}");
    // An expression without desil still works.
    count(&snap, &compile("jumlah_anggota >= 5").unwrap(), None).unwrap();
    // Parse errors come rendered with a caret.
    let e = compile("desil <= 4 and umr > 1").unwrap_err().to_string();
    assert!(
        e.starts_with("line 1, column 16: unknown field `umr`"),
        "{e}"
    );
    assert!(
        e.ends_with("\n  desil <= 4 and umr > 1\n                 ^^^"),
        "{e}"
    );
}
}
