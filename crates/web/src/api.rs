//! The JSON API under `/api/v1`: everything the pages show and do, with the
//! same authorization. Errors are `{"error":{"code":…,"message":…}}`; lists are
//! paginated as `{"items":[…],"page":…,"per_page":…,"total":…}`.
//!
//! Authentication is the session cookie (`POST /api/v1/session`); every
//! state-changing call carries the session's CSRF token in `X-CSRF-Token`.
//!
//! Each resource module holds its API handlers beside its pages and gives them
//! as a `utoipa_axum` router: the handlers and their documented operations come
//! from one list, and this module mounts them all, with the OpenAPI document
//! (`crate::openapi`) made from the same routers.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sejahtera_domain::NoKk;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Failure};
use crate::state::AppState;

/// Every API route and its operation, as mounted under `/api/v1`.
fn api() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(crate::openapi::document))
        .merge(crate::portal::api_routes())
        .merge(crate::users::api_routes())
        .merge(crate::households::api_routes())
        .merge(crate::imports::api_routes())
        .merge(crate::targeting::api_routes())
        .merge(crate::programs::api_routes())
        .merge(crate::referrals::api_routes())
        .merge(crate::partners::api_routes())
}

/// The API router (mounted under `/api/v1`).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    let (router, _) = api().split_for_parts();
    router.fallback(not_found)
}

/// The operations of the API router, for the document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

async fn not_found() -> ApiError {
    ApiError(Failure::NotFound)
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Paged<T> {
    pub(crate) items: Vec<T>,
    pub(crate) page: u64,
    pub(crate) per_page: u32,
    pub(crate) total: u64,
}

impl<T> Paged<T> {
    /// A whole list as its one page.
    pub(crate) fn whole(items: Vec<T>) -> Paged<T> {
        let total = items.len();
        Paged {
            items,
            page: 1,
            per_page: u32::try_from(total.max(1)).unwrap_or(u32::MAX),
            total: total as u64,
        }
    }
}

/// A list that is not paginated.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Items<T> {
    pub(crate) items: Vec<T>,
}

/// The id of what was created.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedId {
    pub(crate) id: i64,
}

/// A JSON answer that no browser or proxy keeps (it may hold personal data).
pub(crate) fn private_json(v: impl Serialize) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A private JSON answer with 201 Created.
pub(crate) fn created(v: impl Serialize) -> Response {
    let mut r = private_json(v);
    *r.status_mut() = StatusCode::CREATED;
    r
}

/// A KK number of a body (surrounding spaces trimmed).
pub(crate) fn kk(s: &str) -> Result<NoKk, Failure> {
    NoKk::parse(s.trim()).map_err(|e| Failure::BadRequest(format!("no_kk: {e}")))
}
