//! Region codes: loading the shipped CSVs under `data/wilayah/` into the store.
//!
//! Adding a region is adding a CSV of the same form (`code,name,level,parent_code`,
//! the province and regency rows included) under `data/wilayah/` and running
//! `sejahtera init` again.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Error, Result};
use sejahtera_domain::Regions;
use sejahtera_store::{DbUrl, Store};

/// Where the shipped data lives: `$SEJAHTERA_DATA`, else `./data` when it holds
/// `wilayah/`, else the `data/` folder of the source tree this binary was built from.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SEJAHTERA_DATA") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("data");
    if local.join("wilayah").is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"))
}

/// Reads every `*.csv` under `<data_dir>/wilayah/` into one hierarchy.
pub fn load_region_files(data_dir: &Path) -> Result<Regions> {
    let dir = data_dir.join("wilayah");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read the region folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::unexpected(format!(
            "no region CSV files in {}",
            dir.display()
        )));
    }
    let mut all = Regions::new();
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        let rows =
            Regions::parse_csv(&f.display().to_string(), &text).map_err(Error::unexpected)?;
        all.extend(rows);
    }
    // Re-check parents across files.
    Regions::from_regions(all.iter().cloned()).map_err(|e| Error::Unexpected(e.into()))
}

/// Opens (creating) the database and loads the shipped regions into it.
pub async fn init(db: impl Into<DbUrl>, data_dir: &Path) -> Result<(Store, Regions)> {
    let regions = load_region_files(data_dir)?;
    let store = crate::db::open(&db.into())
        .await
        .context("opening the registry database")?;
    store
        .save_regions(&regions)
        .await
        .context("storing region codes")?;
    Ok((store, regions))
}

/// Opens an existing database, initializing it (regions) when it has none yet.
pub async fn open(db: impl Into<DbUrl>, data_dir: &Path) -> Result<(Store, Regions)> {
    let db = db.into();
    let store = crate::db::open(&db)
        .await
        .context("opening the registry database")?;
    let regions = store.regions().await?;
    if regions.is_empty() {
        store.close().await;
        return init(&db, data_dir).await;
    }
    Ok((store, regions))
}

/// A regency's official poverty line (Rupiah per capita per month) with its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PovertyLine {
    /// Regency code.
    pub code: sejahtera_domain::RegionCode,
    /// Rupiah per capita per month.
    pub amount: i64,
    /// Reference period.
    pub period: String,
    /// Where the figure comes from.
    pub source: String,
}

/// Reads `<data_dir>/poverty_lines.csv` (`code,amount,period,source`); none when absent.
pub fn load_poverty_lines(data_dir: &Path) -> Result<Vec<PovertyLine>> {
    let path = data_dir.join("poverty_lines.csv");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut r =
        csv::Reader::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}:{line}", path.display()))?;
        let field = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
        let code = sejahtera_domain::RegionCode::parse(&field(0))
            .with_context(|| format!("{}:{line}: code", path.display()))?;
        let amount: i64 = field(1).parse().with_context(|| {
            format!(
                "{}:{line}: amount {:?} is not whole Rupiah",
                path.display(),
                field(1)
            )
        })?;
        if amount <= 0 {
            return Err(Error::unexpected(format!(
                "{}:{line}: amount must be positive",
                path.display()
            )));
        }
        out.push(PovertyLine {
            code,
            amount,
            period: field(2),
            source: field(3),
        });
    }
    Ok(out)
}

/// The meta key under which a regency's poverty line is stored.
pub fn poverty_line_key(code: &sejahtera_domain::RegionCode) -> String {
    format!("poverty_line:{code}")
}
