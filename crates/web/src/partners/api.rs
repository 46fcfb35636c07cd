//! Delivery partners in the API (banks, cooperatives, businesses that take
//! referrals).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use sejahtera_app::delivery;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{Partner, PartnerKind, Service};
use serde::Deserialize;
use serde_json::json;

use crate::api::{created, private_json};
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The partners API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/partners", get(partners).post(create_partner))
}

async fn partners(State(st): St, user: MaybeUser) -> ApiResult<Response> {
    let _s = user.staff()?;
    Ok(private_json(
        json!({"items": sejahtera_app::delivery::partners(&st.store).await?}),
    ))
}

#[derive(Debug, Deserialize)]
struct NewPartner {
    name: String,
    kind: String,
    services: Vec<String>,
    #[serde(default)]
    contact: String,
}

async fn create_partner(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Json(b): Json<NewPartner>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    for (field, v) in [
        ("name", &b.name),
        ("kind", &b.kind),
        ("contact", &b.contact),
    ] {
        limits::text(field, v, limits::SHORT)?;
    }
    limits::items("services", b.services.len(), 20)?;
    let kind =
        PartnerKind::parse(b.kind.trim()).map_err(|e| Failure::BadRequest(format!("kind: {e}")))?;
    let services = b
        .services
        .iter()
        .map(|x| {
            Service::parse(x.trim()).map_err(|e| Failure::BadRequest(format!("services: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let id = delivery::create_partner(
        &st.store,
        &s.actor,
        &Partner {
            id: 0,
            name: b.name.trim().to_string(),
            kind,
            services,
            contact: b.contact.trim().to_string(),
        },
    )
    .await
    .map_err(Failure::of_program)?;
    Ok(created(json!({"id": id})))
}
