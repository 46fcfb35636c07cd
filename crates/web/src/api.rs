//! The JSON API under `/api/v1`: everything the pages show and do, with the
//! same authorization. Errors are `{"error":{"code":…,"message":…}}`; lists are
//! paginated as `{"items":[…],"page":…,"per_page":…,"total":…}`.
//!
//! Authentication is the session cookie (`POST /api/v1/session`); every
//! state-changing call carries the session's CSRF token in `X-CSRF-Token`.
//!
//! Each resource module holds its API handlers beside its pages; this module
//! mounts them and holds what they share.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sejahtera_domain::NoKk;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, Failure};
use crate::state::AppState;

/// Every API route, as mounted under `/api/v1`.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .merge(crate::portal::api_routes())
        .merge(crate::users::api_routes())
        .merge(crate::households::api_routes())
        .merge(crate::imports::api_routes())
        .merge(crate::targeting::api_routes())
        .merge(crate::programs::api_routes())
        .merge(crate::referrals::api_routes())
        .merge(crate::partners::api_routes())
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError(Failure::NotFound)
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub(crate) struct Paged<T: Serialize> {
    pub(crate) items: Vec<T>,
    pub(crate) page: u64,
    pub(crate) per_page: u32,
    pub(crate) total: u64,
}

/// A JSON answer that no browser or proxy keeps (it may hold personal data).
pub(crate) fn private_json(v: impl Serialize) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A private JSON answer with 201 Created.
pub(crate) fn created(v: Value) -> Response {
    let mut r = private_json(v);
    *r.status_mut() = StatusCode::CREATED;
    r
}

/// A KK number of a body (surrounding spaces trimmed).
pub(crate) fn kk(s: &str) -> Result<NoKk, Failure> {
    NoKk::parse(s.trim()).map_err(|e| Failure::BadRequest(format!("no_kk: {e}")))
}
