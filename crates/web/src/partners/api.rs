//! Delivery partners in the API (banks, cooperatives, businesses that take
//! referrals).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use sejahtera_app::delivery;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{Partner, PartnerKind, Service};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{CreatedId, Items};
use crate::api::{created, private_json};
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::openapi::{Csrf, ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The partners API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(partners, create_partner))
}

doc_schema!(
    /// A delivery partner (`sejahtera_domain::delivery::Partner`).
    PartnerDoc = "Partner",
    json!({"type": "object", "required": ["id", "name", "kind", "services", "contact"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["bank", "koperasi", "usaha", "lainnya"]},
        "services": {"type": "array", "items": {"type": "string", "enum": ["kur", "kredit", "tabungan", "akses_pasar", "sarana", "pelatihan"]}},
        "contact": {"type": "string"}}})
);

doc_schema!(
    /// A kind of partner.
    PartnerKindDoc = "PartnerKind",
    json!({"type": "string", "enum": ["bank", "koperasi", "usaha", "lainnya"]})
);

/// Partners (staff).
#[utoipa::path(get, path = "/partners", tag = "programs", security(("session" = [])),
    responses((status = 200, description = "Partners", body = Items<PartnerDoc>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope)))]
async fn partners(State(st): St, user: MaybeUser) -> ApiResult<Response> {
    let _s = user.staff()?;
    Ok(private_json(Items {
        items: sejahtera_app::delivery::partners(&st.store).await?,
    }))
}

/// A partner to register.
#[derive(Debug, Deserialize, ToSchema)]
struct NewPartner {
    name: String,
    #[schema(value_type = PartnerKindDoc)]
    kind: String,
    services: Vec<String>,
    #[serde(default)]
    contact: String,
}

/// Register a partner (admins).
#[utoipa::path(post, path = "/partners", tag = "programs", security(("session" = [])), params(Csrf),
    request_body = NewPartner,
    responses((status = 201, description = "Created", body = CreatedId),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope)))]
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
    Ok(created(CreatedId { id }))
}
