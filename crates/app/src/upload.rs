//! Imports uploaded through the web console or API, as a signed-in user:
//! the same import as the CLI, limited to the villages the user may edit, with
//! the rejects report kept in the database for that user to download.

use sejahtera_domain::Regions;
use sejahtera_domain::access::{Actor, RegistryScope};
use sejahtera_store::Store;

use crate::import::{ImportError, ImportOptions, ImportReport, Kind, import};
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
    /// The import stored nothing; the message names the uploaded file, never
    /// the server's temporary path.
    #[error("{0}")]
    Import(String),
    /// A temporary file could not be written.
    #[error("cannot stage the upload: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sejahtera_store::StoreError),
}

/// An uploaded file staged on disk in a private temporary directory (removed
/// when this is dropped): the web layer streams the upload into [`path`](Self::path)
/// so that a large file never sits in memory.
#[derive(Debug)]
pub struct StagedFile {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    name: String,
}

impl StagedFile {
    /// A place for an upload named `file_name` (as the user's browser sent it):
    /// the extension must be one of `allowed` (lower case, without the dot).
    pub fn new(file_name: &str, allowed: &[&str]) -> Result<StagedFile, UploadError> {
        let base: String = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "._- ".contains(*c))
            .take(100)
            .collect();
        let lower = base.to_ascii_lowercase();
        let Some(ext) = allowed.iter().find(|e| lower.ends_with(&format!(".{e}"))) else {
            return Err(UploadError::BadFileName(
                file_name.chars().take(100).collect(),
            ));
        };
        // Personal data is staged in a private temporary directory (mode 0700).
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(format!("upload.{ext}"));
        Ok(StagedFile {
            dir,
            path,
            name: base.trim().to_string(),
        })
    }

    /// Where to write the upload.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The file's name as the user knows it (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A message about the staged file, naming the user's file instead of the
    /// server's temporary path.
    pub fn describe(&self, message: &str) -> String {
        message
            .replace(&self.path.display().to_string(), &self.name)
            .replace(&self.dir.path().display().to_string(), "")
    }
}

/// What an upload did.
#[derive(Debug)]
pub struct UploadOutcome {
    /// The import's report.
    pub report: ImportReport,
    /// The rejects CSV (`line,column,reason,raw`).
    pub rejects_csv: Vec<u8>,
}

/// Imports a staged upload (CSV or XLSX by its extension) as `actor`.
pub async fn import_upload(
    store: &Store,
    regions: &Regions,
    actor: &Actor,
    kind: Kind,
    file: &StagedFile,
    clock: &dyn crate::clock::Clock,
) -> Result<UploadOutcome, UploadError> {
    let scope = match actor.registry_write_scope() {
        RegistryScope::Nothing => return Err(UploadError::Forbidden),
        RegistryScope::All => None,
        RegistryScope::Villages(v) => Some(v),
    };
    let rejects = file.dir.path().join("rejects.csv");
    let opts = ImportOptions {
        rejects: rejects.clone(),
        today: clock.today(),
        progress: &NoProgress,
        scope,
    };
    let report = match import(store, regions, kind, file.path(), &opts).await {
        Ok(r) => r,
        Err(ImportError::Store(e)) => return Err(UploadError::Store(e)),
        // Ours: the user is told only that it failed.
        Err(e @ ImportError::Rejects { .. }) => {
            return Err(UploadError::Io(std::io::Error::other(e.to_string())));
        }
        Err(e) => return Err(UploadError::Import(file.describe(&e.to_string()))),
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_messages_name_the_users_file_not_the_temporary_path() {
        let f = StagedFile::new("C:\\Users\\op\\Data Warga.XLSX", &["csv", "xlsx"]).unwrap();
        assert!(f.path().ends_with("upload.xlsx"));
        assert_eq!(f.name(), "Data Warga.XLSX");
        let msg = format!("cannot read {}: invalid zip", f.path().display());
        let shown = f.describe(&msg);
        assert_eq!(shown, "cannot read Data Warga.XLSX: invalid zip");
        let tmp = std::env::temp_dir().display().to_string();
        assert!(!shown.contains(&tmp), "{shown}");
    }

    #[test]
    fn staged_file_names_need_an_allowed_extension() {
        assert!(matches!(
            StagedFile::new("data.exe", &["csv", "xlsx"]),
            Err(UploadError::BadFileName(_))
        ));
        assert!(matches!(
            StagedFile::new("../../etc/passwd", &["csv"]),
            Err(UploadError::BadFileName(_))
        ));
        let f = StagedFile::new("../../x.csv", &["csv"]).unwrap();
        assert!(f.path().ends_with("upload.csv"));
    }
}
