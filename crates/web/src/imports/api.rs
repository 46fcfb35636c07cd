//! Imports in the API: a households or persons file as the request body, and
//! the rejects report of an import.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use sejahtera_app::import::Kind;
use sejahtera_app::upload::{self, UploadError};
use serde::Deserialize;
use serde_json::json;

use crate::api::private_json;
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The import API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    // Uploads are streamed to disk and counted there (crate::upload).
    let upload = post(import).layer(axum::extract::DefaultBodyLimit::disable());
    Router::new()
        .route("/imports/{kind}", upload)
        .route("/imports/{run}/rejects", get(rejects))
}

#[derive(Debug, Deserialize)]
struct ImportQuery {
    /// `csv` (default) or `xlsx`.
    format: Option<String>,
}

async fn import(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    // Session, CSRF and role are checked before one byte of the body is staged.
    let s = user.registry_writer()?;
    check_csrf_header(&s, &headers)?;
    let kind = match kind.as_str() {
        "households" => Kind::Households,
        "persons" => Kind::Persons,
        other => {
            return Err(Failure::BadRequest(format!(
                "kind must be households or persons, not {other:?}"
            ))
            .into());
        }
    };
    let name = match q.format.as_deref().unwrap_or("csv") {
        "csv" => "upload.csv",
        "xlsx" => "upload.xlsx",
        other => {
            return Err(
                Failure::BadRequest(format!("format must be csv or xlsx, not {other:?}")).into(),
            );
        }
    };
    let file = crate::upload::stage_body(body, name, &["csv", "xlsx"]).await?;
    match upload::import_upload(&st.store, &st.regions, &s.actor, kind, &file).await {
        Ok(o) => {
            let _ = st.refresh_generation().await;
            let r = &o.report;
            Ok(private_json(json!({
                "run_id": r.run_id,
                "accepted": r.accepted,
                "rejected": r.rejected,
                "warnings": r.warnings.iter().map(|w| json!({"line": w.line, "column": w.column, "message": w.message})).collect::<Vec<_>>(),
                "inserted": r.stats.inserted,
                "updated": r.stats.updated,
                "unchanged": r.stats.unchanged,
                "rejects_url": r.run_id.map(|id| format!("/api/v1/imports/{id}/rejects")),
            })))
        }
        Err(UploadError::Forbidden) => {
            Err(Failure::Forbidden("your role may not change the registry".into()).into())
        }
        Err(UploadError::Store(e)) => Err(Failure::Internal(e.into()).into()),
        Err(UploadError::Io(e)) => Err(Failure::Internal(e.into()).into()),
        Err(e) => Err(Failure::BadRequest(e.to_string()).into()),
    }
}

async fn rejects(State(st): St, user: MaybeUser, Path(run): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let content = upload::rejects_of(&st.store, &s.actor, run)
        .await?
        .ok_or(Failure::NotFound)?;
    Ok(crate::imports::csv_download(
        content,
        &format!("rejects-{run}.csv"),
    ))
}
