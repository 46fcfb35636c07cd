//! Proxy-means test: survey samples, fitting the weights by least squares, the
//! weights file, scoring every household and ranking it into deciles.
//!
//! See `docs/pmt.md` for the sample format, the proxies and the weights file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::{Error, OrInvalid, Result};
use crate::invalid;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sejahtera_domain::codes::*;
use sejahtera_domain::eligibility::columnar::NO_HEAD;
use sejahtera_domain::eligibility::fields::{HCode, PCode};
use sejahtera_domain::pmt::{
    self, CHILD_AGE, COMPOSITION, COMPOSITION_KEYS, DISTRICT, ELDERLY_AGE, Feature, Proxies,
    Weights,
};
use sejahtera_domain::region::Level;
use sejahtera_domain::{NoKk, RegionCode};
use sejahtera_store::Store;
use sejahtera_store::welfare::WelfareRow;

use crate::snapshot::RegistrySnapshot;

/// Columns of a survey sample file.
pub const SAMPLE_COLUMNS: &[&str] = &["no_kk", "konsumsi_per_kapita", "bobot"];

/// One household of a survey sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    /// KK number (links the survey household to the registry's proxies).
    pub no_kk: u64,
    /// Monthly per-capita consumption measured by the survey, Rupiah.
    pub konsumsi_per_kapita: f64,
    /// Survey weight (1 without a `bobot` column).
    pub bobot: f64,
}

/// Reads a sample CSV: header with `no_kk` and `konsumsi_per_kapita`, optional `bobot`.
pub fn read_sample(path: &Path) -> Result<Vec<SampleRow>> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .or_invalid(|| format!("cannot read {}", path.display()))?;
    let headers = r
        .headers()
        .or_invalid(|| format!("{}: line 1", path.display()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(kk), Some(pc)) = (col("no_kk"), col("konsumsi_per_kapita")) else {
        invalid!(
            "{}: the header must name no_kk and konsumsi_per_kapita (optional: bobot), found {:?}",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(",")
        );
    };
    let w = col("bobot");
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.or_invalid(|| format!("{}: line {line}", path.display()))?;
        let get = |k: usize| rec.get(k).unwrap_or("");
        if rec.iter().all(|c| c.is_empty()) {
            continue;
        }
        let no_kk = NoKk::parse(get(kk)).map_err(|e| {
            Error::invalid_text(format!("{}: line {line}, no_kk: {e}", path.display()))
        })?;
        let konsumsi: f64 = get(pc)
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x > 0.0)
            .or_invalid(|| {
                format!(
                    "{}: line {line}, konsumsi_per_kapita: {:?} is not a positive number",
                    path.display(),
                    get(pc)
                )
            })?;
        let bobot = match w {
            None => 1.0,
            Some(w) => get(w)
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x > 0.0)
                .or_invalid(|| {
                    format!(
                        "{}: line {line}, bobot: {:?} is not a positive number",
                        path.display(),
                        get(w)
                    )
                })?,
        };
        out.push(SampleRow {
            no_kk: no_kk.as_str().parse().unwrap_or(0),
            konsumsi_per_kapita: konsumsi,
            bobot,
        });
    }
    Ok(out)
}

/// Draws a sample of the households whose true consumption is known (the demo's
/// `household_truth`): each with probability `fraction`, reproducibly for a `seed`.
/// Per-capita consumption is the true monthly consumption over the stored members,
/// rounded to whole Rupiah.
pub async fn sample_from_truth(
    store: &Store,
    snap: &RegistrySnapshot,
    fraction: f64,
    seed: u64,
) -> Result<Vec<SampleRow>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        invalid!("--fraction must be in (0, 1], got {fraction}");
    }
    let truth = store.true_consumption().await?;
    if truth.is_empty() {
        invalid!("this registry has no true consumption (household_truth): only the demo has one");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for (h, kk) in snap.no_kk.iter().enumerate() {
        let pick = rng.random_bool(fraction);
        let size = snap.cols.members(h).len();
        if let (true, Some(t), true) = (pick, truth.get(kk), size > 0) {
            out.push(SampleRow {
                no_kk: *kk,
                konsumsi_per_kapita: (*t as f64 / size as f64).round().max(1.0),
                bobot: 1.0,
            });
        }
    }
    Ok(out)
}

/// Writes a sample as CSV (`no_kk,konsumsi_per_kapita`).
pub fn write_sample(path: &Path, rows: &[SampleRow]) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).or_invalid(|| format!("cannot write {}", path.display()))?;
    let failed = || format!("cannot write {}", path.display());
    w.write_record(["no_kk", "konsumsi_per_kapita"])
        .or_invalid(failed)?;
    for r in rows {
        w.write_record([
            format!("{:016}", r.no_kk),
            format!("{}", r.konsumsi_per_kapita),
        ])
        .or_invalid(failed)?;
    }
    w.flush().or_invalid(failed)?;
    Ok(())
}

fn code_of<C: Code>(idx: u8) -> Option<C> {
    (idx > 0)
        .then(|| C::ALL.get(idx as usize - 1).map(|(c, _)| *c))
        .flatten()
}

/// The proxies of every household of the snapshot.
pub fn proxies(snap: &RegistrySnapshot) -> Vec<Proxies> {
    let c = &snap.cols;
    let (districts, of_village) = snap.areas(Level::District);
    let hc = |k: HCode, h: usize| c.housing[k.index()][h];
    (0..c.households())
        .map(|h| {
            let members = c.members(h);
            let (mut children, mut elderly) = (0u32, 0u32);
            for p in members.clone() {
                let a = c.umur[p];
                if a != sejahtera_domain::eligibility::columnar::NO_AGE {
                    children += u32::from(i32::from(a) < CHILD_AGE);
                    elderly += u32::from(i32::from(a) >= ELDERLY_AGE);
                }
            }
            let head = c.head[h];
            let pc = |k: PCode| {
                if head == NO_HEAD {
                    0
                } else {
                    c.person_codes[k.index()][head as usize]
                }
            };
            Proxies {
                district: districts[of_village[c.village[h] as usize] as usize]
                    .code
                    .to_string(),
                lantai: code_of(hc(HCode::Lantai, h)),
                dinding: code_of(hc(HCode::Dinding, h)),
                atap: code_of(hc(HCode::Atap, h)),
                sumber_air: code_of(hc(HCode::SumberAir, h)),
                sanitasi: code_of(hc(HCode::Sanitasi, h)),
                listrik: code_of(hc(HCode::Listrik, h)),
                bahan_bakar: code_of(hc(HCode::BahanBakar, h)),
                status_rumah: code_of(hc(HCode::StatusRumah, h)),
                size: members.len() as u32,
                children,
                elderly,
                head_female: code_of::<JenisKelamin>(pc(PCode::JenisKelamin))
                    == Some(JenisKelamin::P),
                head_pendidikan: code_of(pc(PCode::Pendidikan)),
                head_sektor: code_of(pc(PCode::Sektor)),
            }
        })
        .collect()
}

/// The result of fitting the weights.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The fitted weights (with `r2` and `n` set).
    pub weights: Weights,
    /// R² of log per-capita consumption (weighted by `bobot`).
    pub r2: f64,
    /// Adjusted R².
    pub adj_r2: f64,
    /// Root mean squared residual (log points).
    pub rmse: f64,
    /// Sample households used.
    pub n: usize,
    /// Coefficients estimated, including the constant.
    pub k: usize,
    /// Sample rows whose `no_kk` is not in the registry (or has no members), skipped.
    pub unmatched: usize,
    /// Regressors left out because the sample cannot tell them apart from others
    /// (exact linear combinations of the constant and the regressors before them).
    pub aliased: Vec<Feature>,
}

/// Fits the weights by (weighted) least squares of `ln(konsumsi_per_kapita)` on the
/// proxies of the sampled households, with nalgebra's SVD. Aliased regressors are
/// left out first (see [`Fit::aliased`]).
pub fn fit(snap: &RegistrySnapshot, sample: &[SampleRow]) -> Result<Fit> {
    let index: HashMap<u64, usize> = snap
        .no_kk
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i))
        .collect();
    let all = proxies(snap);
    // (regressors, ln per-capita consumption, weight) per usable sample household
    type Row = (Vec<(Feature, f64)>, f64, f64);
    let mut rows: Vec<Row> = Vec::new();
    let mut unmatched = 0;
    for s in sample {
        match index.get(&s.no_kk) {
            Some(&h) if all[h].size > 0 => {
                rows.push((all[h].features(), s.konsumsi_per_kapita.ln(), s.bobot))
            }
            _ => unmatched += 1,
        }
    }
    // Regressors: every feature present in the sample, in file order; the first
    // district (in code order) is the reference.
    let mut present: BTreeMap<Feature, ()> = BTreeMap::new();
    for (f, _, _) in &rows {
        for (x, _) in f {
            present.insert(x.clone(), ());
        }
    }
    let mut columns: Vec<Feature> = Vec::new();
    for (group, values) in pmt::coded_groups() {
        for v in values.iter().skip(1) {
            let f = Feature::new(group, v);
            if present.contains_key(&f) {
                columns.push(f);
            }
        }
    }
    for k in COMPOSITION_KEYS {
        let f = Feature::new(COMPOSITION, k);
        if present.contains_key(&f) {
            columns.push(f);
        }
    }
    columns.extend(
        present
            .keys()
            .filter(|f| f.group == DISTRICT)
            .skip(1)
            .cloned(),
    );
    let k = columns.len() + 1;
    let n = rows.len();
    if n < k + 1 {
        invalid!(
            "the sample has {n} usable households for {k} coefficients; it needs more households than coefficients"
        );
    }
    let col_of: HashMap<&Feature, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, f)| (f, i + 1))
        .collect();
    let mut full = DMatrix::<f64>::zeros(n, k);
    let mut y = DVector::<f64>::zeros(n);
    for (i, (feats, ly, w)) in rows.iter().enumerate() {
        let sw = w.sqrt();
        full[(i, 0)] = sw;
        for (f, v) in feats {
            if let Some(&j) = col_of.get(f) {
                full[(i, j)] = sw * v;
            }
        }
        y[i] = sw * ly;
    }
    // Drop aliased regressors (exact linear combinations of the constant and the
    // regressors before them, e.g. every dummy of a group whose reference value no
    // sampled household has), as R's lm does: they are not identified by the sample.
    let gram = full.tr_mul(&full);
    let mut kept: Vec<usize> = Vec::with_capacity(k);
    let mut aliased = Vec::new();
    for j in 0..k {
        let mut idx = kept.clone();
        idx.push(j);
        let sub = gram.select_rows(&idx).select_columns(&idx);
        let sv = sub.singular_values();
        if sv.max() > 0.0 && sv.min() / sv.max() > 1e-10 {
            kept.push(j);
        } else if j > 0 {
            aliased.push(columns[j - 1].clone());
        }
    }
    let x = full.select_columns(&kept);
    let beta = x
        .clone()
        .svd(true, true)
        .solve(&y, 1e-12)
        .map_err(|e| Error::unexpected(format!("least squares failed: {e}")))?;
    let k = kept.len();
    let resid = &y - &x * &beta;
    let wsum: f64 = rows.iter().map(|r| r.2).sum();
    let ybar: f64 = rows.iter().map(|r| r.2 * r.1).sum::<f64>() / wsum;
    let sst: f64 = rows.iter().map(|r| r.2 * (r.1 - ybar).powi(2)).sum();
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let r2 = if sst > 0.0 { 1.0 - ssr / sst } else { 0.0 };
    let adj_r2 = 1.0 - (1.0 - r2) * (n as f64 - 1.0) / (n - k) as f64;
    let coef: HashMap<usize, f64> = kept
        .iter()
        .zip(beta.iter())
        .map(|(&j, &b)| (j, b))
        .collect();
    let mut weights = Weights {
        konstanta: coef.get(&0).copied().unwrap_or(0.0),
        r2: Some(r2),
        n: Some(n as u64),
        ..Weights::default()
    };
    for (j, f) in columns.into_iter().enumerate() {
        if let Some(b) = coef.get(&(j + 1)) {
            weights.weights.insert(f, *b);
        }
    }
    Ok(Fit {
        weights,
        r2,
        adj_r2,
        rmse: (ssr / wsum).sqrt(),
        n,
        k,
        unmatched,
        aliased,
    })
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        format!("\"{k}\"")
    }
}

/// The weights as a TOML document (the format of `data/pmt_weights.toml`).
pub fn weights_to_toml(w: &Weights) -> String {
    let mut s = String::new();
    s.push_str("# Proxy-means-test weights for `sejahtera pmt score` (format: docs/pmt.md).\n");
    s.push_str("# score = konstanta + sum of weight x proxy = predicted ln(monthly per-capita consumption).\n");
    s.push_str(
        "# Dummies: the first value of each coded group (docs/import.md order) is the reference\n",
    );
    s.push_str("# and has no weight; a proxy or district not listed weighs 0.\n\n[model]\n");
    s.push_str("target = \"ln_konsumsi_per_kapita\"\n");
    if let Some(src) = &w.source {
        s.push_str(&format!("source = {}\n", toml_string(src)));
    }
    if let Some(n) = w.n {
        s.push_str(&format!("n = {n}\n"));
    }
    if let Some(r2) = w.r2 {
        s.push_str(&format!("r2 = {r2:.6}\n"));
    }
    s.push_str(&format!("konstanta = {}\n", fmt_f(w.konstanta)));
    let mut group = "";
    for (f, v) in &w.weights {
        if f.group != group {
            group = &f.group;
            s.push_str(&format!("\n[{}]\n", group));
        }
        s.push_str(&format!("{} = {}\n", toml_key(&f.key), fmt_f(*v)));
    }
    s
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn fmt_f(x: f64) -> String {
    let s = format!("{x:.6}");
    if s == "-0.000000" {
        "0.000000".into()
    } else {
        s
    }
}

/// Reads a weights file, checking every group and key against the known proxies.
pub fn weights_from_toml(text: &str, origin: &str) -> Result<Weights> {
    let doc: toml_edit::DocumentMut = text
        .parse()
        .or_invalid(|| format!("{origin}: not valid TOML"))?;
    let groups = pmt::coded_groups();
    let mut w = Weights::default();
    let mut konstanta = None;
    let num = |item: &toml_edit::Item, what: &str| -> Result<f64> {
        item.as_float()
            .or_else(|| item.as_integer().map(|i| i as f64))
            .filter(|x| x.is_finite())
            .or_invalid(|| format!("{origin}: {what} must be a number"))
    };
    // Flatten to (group path, key, item).
    fn walk<'a>(
        prefix: &str,
        t: &'a dyn toml_edit::TableLike,
        out: &mut Vec<(String, String, &'a toml_edit::Item)>,
    ) {
        for (k, item) in t.iter() {
            if let Some(sub) = item.as_table_like() {
                let p = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&p, sub, out);
            } else {
                out.push((prefix.to_string(), k.to_string(), item));
            }
        }
    }
    let mut flat = Vec::new();
    walk("", doc.as_table(), &mut flat);
    for (group, key, item) in flat {
        match group.as_str() {
            "model" => match key.as_str() {
                "konstanta" => konstanta = Some(num(item, "model.konstanta")?),
                "r2" => w.r2 = Some(num(item, "model.r2")?),
                "n" => w.n = Some(num(item, "model.n")? as u64),
                "source" => w.source = item.as_str().map(str::to_string),
                "target" => {
                    if item.as_str() != Some("ln_konsumsi_per_kapita") {
                        invalid!("{origin}: model.target must be \"ln_konsumsi_per_kapita\"");
                    }
                }
                other => invalid!(
                    "{origin}: unknown key model.{other} (known: target, source, n, r2, konstanta)"
                ),
            },
            g if g == COMPOSITION => {
                if !COMPOSITION_KEYS.contains(&key.as_str()) {
                    invalid!(
                        "{origin}: unknown key {g}.{key} (known: {})",
                        COMPOSITION_KEYS.join(", ")
                    );
                }
                w.weights
                    .insert(Feature::new(g, &key), num(item, &format!("{g}.{key}"))?);
            }
            g if g == DISTRICT => {
                let code = RegionCode::parse(&key)
                    .ok()
                    .filter(|c| c.level() == Level::District)
                    .or_invalid(|| {
                        format!("{origin}: {g}.{key:?} is not a district code like \"53.71.01\"")
                    })?;
                w.weights.insert(
                    Feature::new(g, code.as_str()),
                    num(item, &format!("{g}.{key}"))?,
                );
            }
            g => {
                let Some((_, values)) = groups.iter().find(|(name, _)| *name == g) else {
                    invalid!(
                        "{origin}: unknown group [{g}] (known: model, {COMPOSITION}, {DISTRICT}, {})",
                        groups
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                };
                match values.iter().position(|v| *v == key) {
                    Some(0) => invalid!(
                        "{origin}: {g}.{key} is the reference category of [{g}] and takes no weight"
                    ),
                    Some(_) => {
                        w.weights
                            .insert(Feature::new(g, &key), num(item, &format!("{g}.{key}"))?);
                    }
                    None => invalid!(
                        "{origin}: unknown value {g}.{key} (known: {})",
                        values[1..].join(", ")
                    ),
                }
            }
        }
    }
    w.konstanta = konstanta.or_invalid(|| format!("{origin}: model.konstanta is missing"))?;
    Ok(w)
}

/// Reads a weights file from disk.
pub fn read_weights(path: &Path) -> Result<Weights> {
    let text =
        std::fs::read_to_string(path).or_invalid(|| format!("cannot read {}", path.display()))?;
    weights_from_toml(&text, &path.display().to_string())
}

/// The shipped default weights file.
pub fn default_weights_path() -> std::path::PathBuf {
    crate::regions::default_data_dir().join("pmt_weights.toml")
}

/// Households scored and ranked in one area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRanking {
    /// The area.
    pub code: RegionCode,
    /// Its name.
    pub name: String,
    /// Households ranked.
    pub households: u64,
    /// Lowest and highest score.
    pub min_score: f64,
    /// Highest score.
    pub max_score: f64,
}

/// Scores every household with `weights`, ranks them into deciles within each area of
/// `level` (regency or district) and stores scores, deciles and the weights used.
pub async fn score_and_store(
    store: &Store,
    snap: &RegistrySnapshot,
    weights: &Weights,
    level: Level,
    clock: &dyn crate::clock::Clock,
) -> Result<Vec<AreaRanking>> {
    if !matches!(level, Level::Regency | Level::District) {
        invalid!("deciles are ranked within a regency or a district");
    }
    let scores: Vec<f64> = proxies(snap).iter().map(|p| weights.score(p)).collect();
    let (areas, of_village) = snap.areas(level);
    let mut by_area: Vec<Vec<usize>> = vec![Vec::new(); areas.len()];
    for h in 0..snap.cols.households() {
        by_area[of_village[snap.cols.village[h] as usize] as usize].push(h);
    }
    let mut rows = Vec::with_capacity(scores.len());
    let mut out = Vec::new();
    for (a, hs) in areas.iter().zip(&by_area) {
        if hs.is_empty() {
            continue;
        }
        let s: Vec<f64> = hs.iter().map(|&h| scores[h]).collect();
        let keys: Vec<u64> = hs.iter().map(|&h| snap.no_kk[h]).collect();
        let d = pmt::deciles(&s, &keys);
        for ((&h, &score), &desil) in hs.iter().zip(&s).zip(&d) {
            rows.push(WelfareRow {
                no_kk: NoKk::parse(&format!("{:016}", snap.no_kk[h])).map_err(Error::unexpected)?,
                skor_pmt: score,
                desil,
                area: a.code.clone(),
            });
        }
        out.push(AreaRanking {
            code: a.code.clone(),
            name: a.name.clone(),
            households: hs.len() as u64,
            min_score: s.iter().copied().fold(f64::INFINITY, f64::min),
            max_score: s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        });
    }
    let meta = vec![
        ("pmt:weights".to_string(), weights_to_toml(weights)),
        ("pmt:area".to_string(), level.as_str().to_string()),
        ("pmt:scored_at".to_string(), clock.now().to_rfc3339()),
    ];
    store.replace_welfare(&rows, &meta).await?;
    Ok(out)
}
