//! Uploads streamed to disk — the one reader of request bodies that carry a
//! file (the console's `multipart/form-data` forms, the API's raw bodies): the
//! file field of a multipart form, or a whole request body, is written chunk by
//! chunk into a private temporary file
//! ([`StagedFile`]) and counted as it comes, so a large upload never sits in
//! memory and one over [`MAX_UPLOAD_BYTES`] is refused with 413 as soon as it
//! passes the limit. The small text fields of a form (CSRF token, kind) are read
//! with a limit of their own.
//!
//! Nothing is staged for a request that may not upload: handlers check the
//! session, the CSRF token and the role (or the program permission) before the
//! body is read — for a multipart form the CSRF field must come before the file
//! (see [`read_form`]).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::Multipart;
use http_body_util::BodyExt;
use sejahtera_app::upload::{StagedFile, UploadError};
use tokio::io::AsyncWriteExt;

use crate::error::Failure;

/// Largest accepted upload (an import file).
pub const MAX_UPLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// Longest text field of an upload form.
const MAX_TEXT_FIELD: usize = 4096;

/// Most parts (fields) of an upload form: the console's forms have two or
/// three; a form of thousands of empty parts is refused instead of drained.
const MAX_PARTS: usize = 16;

fn too_large() -> Failure {
    Failure::TooLarge(format!(
        "the file is larger than {} MiB; split it into smaller files",
        MAX_UPLOAD_BYTES / (1024 * 1024)
    ))
}

/// Maps an error of staging to a failure (a bad file name is the user's fault).
pub fn staging_failure(e: UploadError) -> Failure {
    match e {
        UploadError::BadFileName(_) => Failure::BadRequest(e.to_string()),
        other => Failure::Internal(other.into()),
    }
}

/// A failure about a staged file as the user may see it: a message naming the
/// server's temporary path names the uploaded file instead.
pub fn staged_failure(file: &StagedFile, f: Failure) -> Failure {
    match f {
        Failure::BadRequest(m) => Failure::BadRequest(file.describe(&m)),
        // A reader's error quotes the path it read: the staged file's.
        Failure::Use(sejahtera_app::Error::Invalid(m)) if m.key() == "plain" => Failure::Use(
            sejahtera_app::Error::invalid_text(file.describe(&m.to_string())),
        ),
        other => other,
    }
}

/// Writes chunks to the staged file, refusing past the limit.
struct Sink {
    file: tokio::fs::File,
    written: u64,
}

impl Sink {
    async fn create(staged: &StagedFile) -> Result<Sink, Failure> {
        let file = tokio::fs::File::create(staged.path())
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
        Ok(Sink { file, written: 0 })
    }

    async fn write(&mut self, chunk: &Bytes) -> Result<(), Failure> {
        self.written += chunk.len() as u64;
        if self.written > MAX_UPLOAD_BYTES {
            return Err(too_large());
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| Failure::Internal(e.into()))
    }

    async fn finish(mut self) -> Result<u64, Failure> {
        self.file
            .flush()
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
        Ok(self.written)
    }
}

/// A whole request body streamed to a staged file named `file_name` (whose
/// extension must be one of `allowed`).
pub async fn stage_body(
    body: Body,
    file_name: &str,
    allowed: &[&str],
) -> Result<StagedFile, Failure> {
    let staged = StagedFile::new(file_name, allowed).map_err(staging_failure)?;
    let mut sink = Sink::create(&staged).await?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| body_error(&e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            sink.write(&data).await?;
        }
    }
    sink.finish().await?;
    Ok(staged)
}

/// The body stopped: over the server-wide limit, or the client went away.
fn body_error(reason: &str) -> Failure {
    if reason.contains("length limit") {
        too_large()
    } else {
        Failure::BadRequest(format!("the upload was interrupted: {reason}"))
    }
}

/// A multipart upload form: its text fields and its file.
pub struct UploadForm {
    /// Text fields by name (only those asked for).
    pub text: HashMap<&'static str, String>,
    /// The file field, staged on disk.
    pub file: Option<StagedFile>,
}

/// Reads a multipart form — the one reader of `multipart/form-data` in the
/// server: the text fields named in `text_fields` (each at most 4 KiB, counted
/// before it is kept), and the field `file`, streamed to disk with an extension
/// among `allowed` and counted against [`MAX_UPLOAD_BYTES`]. Other fields are
/// drained without being kept; a form of more than 16 parts is refused.
///
/// Nothing is written to disk before `before_file` accepts the text fields read
/// so far: it is called when the file field begins (fields are read in the order
/// the browser sends them, which is the form's order), so a form must put its
/// `csrf` field before the file — the console's forms do — and a request whose
/// token comes after the file, or is missing or wrong, is refused before one byte
/// of the file is staged. The caller checks the session and the role before
/// calling this.
pub async fn read_form(
    mut multipart: Multipart,
    text_fields: &[&'static str],
    allowed: &[&str],
    before_file: impl FnOnce(&HashMap<&'static str, String>) -> Result<(), Failure>,
) -> Result<UploadForm, Failure> {
    let mut before_file = Some(before_file);
    let mut out = UploadForm {
        text: HashMap::new(),
        file: None,
    };
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        let reason = e.body_text();
        if reason.contains("length limit")
            || e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
        {
            too_large()
        } else {
            Failure::BadRequest(format!("unreadable upload: {reason}"))
        }
    };
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(Failure::BadRequest(format!(
                "the form has more than {MAX_PARTS} fields"
            )));
        }
        // Only the names asked for are kept (no copy of any other name).
        if field.name() == Some("file") {
            match before_file.take() {
                Some(check) => check(&out.text)?,
                None => {
                    return Err(Failure::BadRequest(
                        "the form has more than one file field".into(),
                    ));
                }
            }
            let file_name = field.file_name().unwrap_or("upload.csv").to_string();
            let staged = StagedFile::new(&file_name, allowed).map_err(staging_failure)?;
            let mut sink = Sink::create(&staged).await?;
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                sink.write(&chunk).await?;
            }
            sink.finish().await?;
            out.file = Some(staged);
        } else if let Some(&name) = text_fields.iter().find(|k| field.name() == Some(**k)) {
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                if value.len() + chunk.len() > MAX_TEXT_FIELD {
                    return Err(Failure::BadRequest(format!(
                        "the form field {name} is longer than {MAX_TEXT_FIELD} bytes"
                    )));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| {
                Failure::BadRequest(format!("the form field {name} is not UTF-8 text"))
            })?;
            out.text.insert(name, value);
        } else {
            // Drain an unknown field without keeping it.
            while field.chunk().await.map_err(unreadable)?.is_some() {}
        }
    }
    Ok(out)
}
