//! Imports uploaded through the web console or API, as a signed-in user:
//! the same import as the CLI, limited to the villages the user may edit, with
//! the rejects report kept in the database for that user to download.

use sejahtera_domain::Regions;
use sejahtera_domain::access::{Actor, RegistryScope};
use sejahtera_store::Store;

use crate::import::{ImportError, ImportOptions, ImportReport, Kind, import, today_in_indonesia};
use crate::progress::NoProgress;

/// Why an upload was not imported.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The user may not change the registry.
    #[error("your role may not change the registry")]
    Forbidden,
    /// The file name has no .csv or .xlsx extension.
    #[error("the file must be .csv or .xlsx, not {0:?}")]
    BadFileName(String),
    /// The import stored nothing.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A temporary file could not be written.
    #[error("cannot stage the upload: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sejahtera_store::StoreError),
}

/// What an upload did.
#[derive(Debug)]
pub struct UploadOutcome {
    /// The import's report.
    pub report: ImportReport,
    /// The rejects CSV (`line,column,reason,raw`).
    pub rejects_csv: Vec<u8>,
}

/// Imports an uploaded file (`file_name` decides CSV or XLSX) as `actor`.
pub async fn import_upload(
    store: &Store,
    regions: &Regions,
    actor: &Actor,
    kind: Kind,
    file_name: &str,
    bytes: &[u8],
) -> Result<UploadOutcome, UploadError> {
    let scope = match actor.registry_write_scope() {
        RegistryScope::Nothing => return Err(UploadError::Forbidden),
        RegistryScope::All => None,
        RegistryScope::Villages(v) => Some(v),
    };
    let lower = file_name.to_ascii_lowercase();
    let ext = if lower.ends_with(".csv") {
        "csv"
    } else if lower.ends_with(".xlsx") {
        "xlsx"
    } else {
        return Err(UploadError::BadFileName(file_name.to_string()));
    };
    // Personal data is staged in a private temporary directory, removed on drop.
    let dir = tempfile::tempdir()?;
    let base: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("upload")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    let base = if base.is_empty() || !base.to_ascii_lowercase().ends_with(ext) {
        format!("upload.{ext}")
    } else {
        base
    };
    let path = dir.path().join(&base);
    std::fs::write(&path, bytes)?;
    let rejects = dir.path().join("rejects.csv");
    let opts = ImportOptions {
        rejects: rejects.clone(),
        today: today_in_indonesia(),
        progress: &NoProgress,
        scope,
    };
    let report = import(store, regions, kind, &path, &opts).await?;
    let rejects_csv = std::fs::read(&rejects)?;
    if let Some(run) = report.run_id {
        store
            .save_import_rejects(run, actor.user_id, &rejects_csv)
            .await?;
    }
    Ok(UploadOutcome {
        report,
        rejects_csv,
    })
}

/// The rejects report of an import run, if `actor` may read it (the uploader, or an admin).
pub async fn rejects_of(
    store: &Store,
    actor: &Actor,
    run_id: i64,
) -> Result<Option<Vec<u8>>, sejahtera_store::StoreError> {
    let Some((owner, content)) = store.import_rejects(run_id).await? else {
        return Ok(None);
    };
    let allowed = actor.may_manage_users() || owner == Some(actor.user_id);
    Ok(allowed.then_some(content))
}
