//! Imports in the API: a households or persons file as the request body, and
//! the rejects report of an import.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sejahtera_app::import::Kind;
use sejahtera_app::upload::{self, UploadError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use crate::api::private_json;
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure};
use crate::openapi::{Csrf, ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The import API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        // Uploads are streamed to disk and counted there (crate::upload).
        .routes(routes!(import).layer(axum::extract::DefaultBodyLimit::disable()))
        .routes(routes!(rejects))
}

doc_schema!(
    /// The kind of rows an import holds.
    ImportKindDoc = "ImportKind",
    json!({"type": "string", "enum": ["households", "persons"]})
);

doc_schema!(
    /// A file's bytes.
    BinaryDoc = "Binary",
    json!({"type": "string", "format": "binary"})
);

doc_schema!(
    /// The format of an import file.
    ImportFormatDoc = "ImportFormat",
    json!({"type": "string", "enum": ["csv", "xlsx"], "default": "csv"})
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline, value_type = Option<ImportFormatDoc>)]
    format: Option<String>,
}

/// A warning about a row that was stored anyway.
#[derive(Debug, Serialize, ToSchema)]
struct ImportWarning {
    line: usize,
    column: String,
    message: String,
}

/// The outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
struct ImportResult {
    run_id: Option<i64>,
    accepted: u64,
    rejected: u64,
    warnings: Vec<ImportWarning>,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    /// Where the rejects report is (absent run: null).
    rejects_url: Option<String>,
}

/// Import households or persons (CSV or XLSX body, at most 64 MiB); rows outside your villages are rejected.
#[utoipa::path(post, path = "/imports/{kind}", tag = "registry", security(("session" = [])),
    params(Csrf, ("kind" = inline(ImportKindDoc), Path), ImportQuery),
    request_body(content(
        (String = "text/csv"),
        (BinaryDoc = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "Imported (rejected rows listed in the rejects report)", body = ImportResult),
        (status = 400, description = "Unusable file; nothing stored", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Role may not change the registry, or missing CSRF token", body = ErrorEnvelope)))]
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
    match upload::import_upload(&st.store, &st.regions, &s.actor, kind, &file, &*st.clock).await {
        Ok(o) => {
            let _ = st.refresh_generation().await;
            let r = &o.report;
            Ok(private_json(ImportResult {
                run_id: r.run_id,
                accepted: r.accepted,
                rejected: r.rejected,
                warnings: r
                    .warnings
                    .iter()
                    .map(|w| ImportWarning {
                        line: w.line,
                        column: w.column.clone(),
                        message: w.message.clone(),
                    })
                    .collect(),
                inserted: r.stats.inserted,
                updated: r.stats.updated,
                unchanged: r.stats.unchanged,
                rejects_url: r.run_id.map(|id| format!("/api/v1/imports/{id}/rejects")),
            }))
        }
        Err(UploadError::Forbidden) => {
            Err(Failure::Forbidden("your role may not change the registry".into()).into())
        }
        Err(UploadError::Store(e)) => Err(Failure::Internal(e.into()).into()),
        Err(UploadError::Io(e)) => Err(Failure::Internal(e.into()).into()),
        Err(e) => Err(Failure::BadRequest(e.to_string()).into()),
    }
}

/// The rejects report (CSV line,column,reason,raw) of your import.
#[utoipa::path(get, path = "/imports/{run}/rejects", tag = "registry", security(("session" = [])),
    params(("run" = i64, Path, description = "the import run")),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such report for you", body = ErrorEnvelope)))]
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
