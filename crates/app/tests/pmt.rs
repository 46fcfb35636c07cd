//! PMT use cases: the demo's fitted ranking, fitting recovers known weights, the
//! weights file, deciles per area, and targeting accuracy against the truth.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use sejahtera_app::NoProgress;
use sejahtera_app::pmt::{self, SampleRow};
use sejahtera_app::snapshot::{RegistrySnapshot, load};
use sejahtera_app::targeting::{PoorRule, assess, poor_by_truth, poverty_lines};
use sejahtera_demo::registry::{DemoOptions, seed};
use sejahtera_domain::Regions;
use sejahtera_domain::pmt::{Feature, Weights};
use sejahtera_domain::region::Level;
use sejahtera_store::Store;
use sejahtera_testkit::db::TestDb;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

async fn demo(db: TestDb) -> (TestDb, Store, Regions, RegistrySnapshot) {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"));
    let (store, regions) =
        sejahtera_app::regions::init(sejahtera_app::DbUrl::parse(&db.url).unwrap(), &data)
            .await
            .unwrap();
    let opts = DemoOptions {
        seed: 5,
        scale: 0.02,
    };
    seed(&store, &regions, opts, today(), &NoProgress)
        .await
        .unwrap();
    let snap = load(&store, &regions, today(), false).await.unwrap();
    (db, store, regions, snap)
}

/// Households per decile of each area.
fn decile_sizes(snap: &RegistrySnapshot, level: Level) -> Vec<[u64; 10]> {
    let (areas, of_village) = snap.areas(level);
    let mut out = vec![[0u64; 10]; areas.len()];
    for h in 0..snap.cols.households() {
        let d = snap.cols.desil[h];
        assert!((1..=10).contains(&d), "household {h} has decile {d}");
        out[of_village[snap.cols.village[h] as usize] as usize][d as usize - 1] += 1;
    }
    out
}

fn assert_tenths(sizes: &[[u64; 10]]) {
    for s in sizes {
        let n: u64 = s.iter().sum();
        for c in s {
            assert!(*c == n / 10 || *c == n.div_ceil(10), "deciles {s:?}");
        }
    }
}

#[test]
fn weights_file_round_trips_and_rejects_unknown_keys() {
    let shipped = std::fs::read_to_string(pmt::default_weights_path()).unwrap();
    let w = pmt::weights_from_toml(&shipped, "data/pmt_weights.toml").unwrap();
    assert!(w.weights.len() > 20);
    let again = pmt::weights_from_toml(&pmt::weights_to_toml(&w), "again").unwrap();
    assert_eq!(again.weights.len(), w.weights.len());
    for (f, v) in &w.weights {
        assert!((again.weights[f] - v).abs() < 1e-6);
    }
    let bad = |text: &str| {
        pmt::weights_from_toml(text, "w.toml")
            .unwrap_err()
            .to_string()
    };
    let e = bad("[model]\nkonstanta = 1\n[lantai]\nmarmer = 0.1\n");
    assert!(
        e.contains("unknown value lantai.marmer (known: bambu, kayu, semen, keramik)"),
        "{e}"
    );
    let e = bad("[model]\nkonstanta = 1\n[lantai]\ntanah = 0.1\n");
    assert!(e.contains("reference category"), "{e}");
    let e = bad("[model]\nkonstanta = 1\n[rumah]\nx = 1\n");
    assert!(e.contains("unknown group [rumah]"), "{e}");
    let e = bad("[lantai]\nkayu = 1\n");
    assert!(e.contains("model.konstanta is missing"), "{e}");
    let e = bad("[model]\nkonstanta = 1\n[kecamatan]\n\"53.71\" = 1\n");
    assert!(e.contains("not a district code"), "{e}");
}

sejahtera_testkit::on_both_backends! {
async fn the_demo_gets_a_fitted_pmt_and_deciles_per_regency(db) {
    let (_d, store, _r, snap) = demo(db).await;
    assert_eq!(snap.ranked as usize, snap.cols.households());
    assert_tenths(&decile_sizes(&snap, Level::Regency));
    let w =
        pmt::weights_from_toml(&store.meta("pmt:weights").await.unwrap().unwrap(), "meta").unwrap();
    let r2 = w.r2.unwrap();
    assert!(r2 > 0.3 && r2 < 1.0, "R² {r2}");
    assert!(w.source.unwrap().contains("sample of household_truth"));
    assert_eq!(
        store.meta("pmt:area").await.unwrap().as_deref(),
        Some("regency")
    );
    // Poorer housing predicts lower consumption: ceramic floors weigh more than earth (the reference).
    assert!(w.weights[&Feature::new("lantai", "keramik")] > 0.0);
}

async fn fitting_recovers_known_weights_exactly(db) {
    let (_d, _store, _r, snap) = demo(db).await;
    let mut truth = Weights {
        konstanta: 12.0,
        ..Weights::default()
    };
    for (f, v) in [
        (Feature::new("lantai", "keramik"), 0.4),
        (Feature::new("atap", "seng"), -0.3),
        (Feature::new("rumah_tangga", "ln_jumlah_anggota"), -0.25),
        (Feature::new("rumah_tangga", "porsi_anak"), -0.5),
        (Feature::new("kepala.pendidikan", "sarjana"), 0.35),
    ] {
        truth.weights.insert(f, v);
    }
    let proxies = pmt::proxies(&snap);
    let sample: Vec<SampleRow> = snap
        .no_kk
        .iter()
        .zip(&proxies)
        .filter(|(_, p)| p.size > 0)
        .map(|(kk, p)| SampleRow {
            no_kk: *kk,
            konsumsi_per_kapita: truth.score(p).exp(),
            bobot: 1.0 + (*kk % 3) as f64,
        })
        .chain([SampleRow {
            no_kk: 1,
            konsumsi_per_kapita: 1.0,
            bobot: 1.0,
        }])
        .collect();
    let fit = pmt::fit(&snap, &sample).unwrap();
    assert_eq!(fit.unmatched, 1);
    assert_eq!(fit.n, sample.len() - 1);
    assert!(fit.r2 > 1.0 - 1e-9, "R² {}", fit.r2);
    assert!(
        (fit.weights.konstanta - 12.0).abs() < 1e-6,
        "{} {:?}",
        fit.weights.konstanta,
        fit.aliased
    );
    // The demo draws housing from bands of one latent score, so some dummies coincide
    // exactly (e.g. sanitasi.tidak_ada and status_rumah.bebas_sewa): the later ones are
    // aliased and left out; the truth here uses none of them.
    assert!(!fit.aliased.is_empty());
    for (f, v) in &fit.weights.weights {
        let want = truth.weights.get(f).copied().unwrap_or(0.0);
        assert!((v - want).abs() < 1e-6, "{f}: {v} vs {want}");
    }

    // Without any earth floor in the sample, the floor dummies sum to the constant:
    // the last one is aliased too, and the predictions stay exact.
    let no_earth: Vec<SampleRow> = sample
        .iter()
        .filter(|r| {
            let h = snap.no_kk.iter().position(|k| *k == r.no_kk);
            h.is_some_and(|h| proxies[h].lantai != Some(sejahtera_domain::codes::Lantai::Tanah))
        })
        .cloned()
        .collect();
    let fit = pmt::fit(&snap, &no_earth).unwrap();
    assert!(
        fit.aliased.contains(&Feature::new("lantai", "keramik")),
        "{:?}",
        fit.aliased
    );
    assert!(
        !fit.weights
            .weights
            .contains_key(&Feature::new("lantai", "keramik"))
    );
    assert!(fit.r2 > 1.0 - 1e-9, "R² {}", fit.r2);
}

async fn sample_file_round_trip_and_errors(db) {
    let (d, store, _r, snap) = demo(db).await;
    let rows = pmt::sample_from_truth(&store, &snap, 0.5, 3).await.unwrap();
    assert!(rows.len() > snap.cols.households() / 3);
    let path = d.dir().join("s.csv");
    pmt::write_sample(&path, &rows).unwrap();
    assert_eq!(pmt::read_sample(&path).unwrap(), rows);
    let again = pmt::sample_from_truth(&store, &snap, 0.5, 3).await.unwrap();
    assert_eq!(again, rows, "the same seed draws the same sample");

    std::fs::write(
        &path,
        "no_kk,konsumsi_per_kapita,bobot\n5371010101200001,-5,1\n",
    )
    .unwrap();
    let e = pmt::read_sample(&path).unwrap_err().to_string();
    assert!(e.contains("line 2, konsumsi_per_kapita"), "{e}");
    std::fs::write(&path, "kk,pc\n1,2\n").unwrap();
    let e = pmt::read_sample(&path).unwrap_err().to_string();
    assert!(e.contains("must name no_kk and konsumsi_per_kapita"), "{e}");
}

async fn deciles_within_districts_hold_a_tenth_each(db) {
    let (_d, store, regions, snap) = demo(db).await;
    let w = pmt::read_weights(&pmt::default_weights_path()).unwrap();
    let ranked = pmt::score_and_store(&store, &snap, &w, Level::District, &sejahtera_app::SystemClock)
        .await
        .unwrap();
    assert_eq!(ranked.len(), 6 + 11);
    let snap = load(&store, &regions, today(), false).await.unwrap();
    assert_tenths(&decile_sizes(&snap, Level::District));
    // Decile 1 holds the lowest scores of its district.
    let scores = pmt::proxies(&snap)
        .iter()
        .map(|p| w.score(p))
        .collect::<Vec<_>>();
    let (_, of_village) = snap.areas(Level::District);
    let mut max1: HashMap<u32, f64> = HashMap::new();
    let mut min10: HashMap<u32, f64> = HashMap::new();
    for h in 0..snap.cols.households() {
        let a = of_village[snap.cols.village[h] as usize];
        match snap.cols.desil[h] {
            1 => {
                let e = max1.entry(a).or_insert(f64::NEG_INFINITY);
                *e = e.max(scores[h]);
            }
            10 => {
                let e = min10.entry(a).or_insert(f64::INFINITY);
                *e = e.min(scores[h]);
            }
            _ => {}
        }
    }
    for (a, m) in max1 {
        assert!(m <= min10[&a]);
    }
}

async fn targeting_errors_follow_their_definitions(db) {
    let (_d, store, _r, snap) = demo(db).await;
    let truth = store.true_consumption().await.unwrap();
    let lines = poverty_lines(&store, &snap).await.unwrap();
    let p = sejahtera_app::eligibility::compile("desil <= 4").unwrap();
    let selected = sejahtera_app::eligibility::select(&snap, &p, None).unwrap();

    // Poverty-line rule, checked against a direct computation.
    let poor = poor_by_truth(&snap, &truth, &lines, PoorRule::PovertyLine).unwrap();
    let r = assess(&snap, &selected, &poor, None);
    let (regencies, regency_of) = snap.areas(Level::Regency);
    let mut want = [0u64; 4];
    for h in 0..snap.cols.households() {
        let size = snap.cols.members(h).len() as f64;
        let line = lines[regency_of[snap.cols.village[h] as usize] as usize].unwrap();
        let is_poor = truth[&snap.no_kk[h]] as f64 / size < line;
        want[usize::from(!selected[h]) * 2 + usize::from(!is_poor)] += 1;
    }
    assert_eq!(regencies.len(), 2);
    let t = r.total;
    assert_eq!(
        [
            t.selected_poor,
            t.selected_not_poor,
            t.poor_not_selected,
            t.not_selected_not_poor
        ],
        want
    );
    assert_eq!(r.unknown, 0);
    assert_eq!(r.districts.len(), 17);
    let sum: u64 = r.districts.iter().map(|d| d.confusion.households()).sum();
    assert_eq!(sum, snap.cols.households() as u64);
    let inc = t.inclusion_error().unwrap();
    assert!((inc - t.selected_not_poor as f64 / t.selected() as f64).abs() < 1e-12);
    // With about 8 % poor and 40 % selected, most selected households are not poor.
    assert!(inc > 0.6, "inclusion error {inc}");

    // Bottom-40 % rule: the PMT does better than chance (random selection of 40 %
    // would miss 60 % of the poor).
    let poor40 = poor_by_truth(&snap, &truth, &lines, PoorRule::BottomShare(0.4)).unwrap();
    let r40 = assess(&snap, &selected, &poor40, None);
    let n = snap.cols.households() as f64;
    assert!((r40.total.poor() as f64 - 0.4 * n).abs() <= 2.0);
    let exc = r40.total.exclusion_error().unwrap();
    assert!(exc < 0.5, "exclusion error {exc}");

    // Restricted to one district.
    let d = sejahtera_domain::RegionCode::parse("53.71.02").unwrap();
    let r = assess(&snap, &selected, &poor, Some(&d));
    assert_eq!(r.districts.len(), 1);
    assert_eq!(r.total, r.districts[0].confusion);
}
}
