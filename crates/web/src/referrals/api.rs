//! Referrals in the API: refer a participant to a partner, list the referrals
//! you may see, move one on.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use sejahtera_app::delivery;
use sejahtera_domain::Rupiah;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{ReferralStatus, Service};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::Items;
use crate::api::{created, kk, private_json};
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::openapi::{Csrf, ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The referrals API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(refer))
        .routes(routes!(referrals))
        .routes(routes!(referral_status))
}

doc_schema!(
    /// A service a partner offers.
    ServiceDoc = "Service",
    json!({"type": "string", "enum": ["kur", "kredit", "tabungan", "akses_pasar", "sarana", "pelatihan"]})
);

doc_schema!(
    /// A status a referral can move on to.
    NextStatusDoc = "ReferralNextStatus",
    json!({"type": "string", "enum": ["accepted", "rejected", "completed"]})
);

/// A referral to make.
#[derive(Debug, Deserialize, ToSchema)]
struct NewReferral {
    no_kk: String,
    partner: i64,
    #[schema(value_type = ServiceDoc)]
    service: String,
    /// Default: today.
    #[serde(default)]
    date: Option<NaiveDate>,
}

/// A referral made.
#[derive(Debug, Serialize, ToSchema)]
struct Referred {
    id: i64,
    /// Always `referred`.
    status: &'static str,
}

/// A referral (for staff of the program or the partner it is addressed to).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReferralView {
    id: i64,
    program: i64,
    no_kk: String,
    partner: i64,
    service: &'static str,
    status: &'static str,
    result: Option<String>,
    /// Rupiah.
    amount: Option<i64>,
    #[schema(format = Date)]
    referred_on: String,
    #[schema(format = Date)]
    updated_on: String,
}

/// Refer a participant to one of the program's partners for a service it offers.
#[utoipa::path(post, path = "/programs/{id}/referrals", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the program")), request_body = NewReferral,
    responses((status = 201, description = "Created", body = Referred),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency (or an admin), or missing CSRF token", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope),
        (status = 409, description = "Refused by a rule (participant, partner, service…); the message says why", body = ErrorEnvelope)))]
async fn refer(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<NewReferral>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::id("partner", b.partner)?;
    let service = Service::parse(b.service.trim())
        .map_err(|e| Failure::BadRequest(format!("service: {e}")))?;
    let rid = delivery::refer(
        &st.store,
        &s.actor,
        id,
        &kk(&b.no_kk)?,
        b.partner,
        service,
        b.date.unwrap_or_else(|| st.clock.today()),
    )
    .await
    .map_err(Failure::of_program)?;
    Ok(created(Referred {
        id: rid,
        status: "referred",
    }))
}

/// A referral as JSON (for staff of the program or the partner it is addressed to).
pub(crate) fn referral_json(r: &sejahtera_domain::delivery::Referral) -> ReferralView {
    ReferralView {
        id: r.id,
        program: r.program,
        no_kk: format!("{:016}", r.household),
        partner: r.partner,
        service: r.service.as_str(),
        status: r.status.as_str(),
        result: r.result.clone(),
        amount: r.amount.map(|a| a.get()),
        referred_on: r.referred_on.to_string(),
        updated_on: r.updated_on.to_string(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReferralQuery {
    /// Only this program's referrals.
    program: Option<i64>,
}

/// Referrals you may see: a partner account sees those addressed to it; staff those of programs they may see.
#[utoipa::path(get, path = "/referrals", tag = "programs", security(("session" = [])), params(ReferralQuery),
    responses((status = 200, description = "Referrals", body = Items<ReferralView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope)))]
async fn referrals(
    State(st): St,
    user: MaybeUser,
    Query(q): Query<ReferralQuery>,
) -> ApiResult<Response> {
    let s = user.required()?;
    if let Some(p) = q.program {
        limits::id("program", p)?;
    }
    let items: Vec<ReferralView> = delivery::referrals_for(&st.store, &s.actor, q.program)
        .await
        .map_err(Failure::of_program)?
        .iter()
        .map(referral_json)
        .collect();
    Ok(private_json(Items { items }))
}

/// A referral's next status.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ReferralChange {
    #[schema(value_type = NextStatusDoc)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) result: Option<String>,
    #[serde(default)]
    pub(crate) amount: Option<i64>,
    #[serde(default)]
    pub(crate) date: Option<NaiveDate>,
}

/// Moves a referral on for the signed-in actor (pages and API).
pub(crate) async fn change_referral(
    st: &AppState,
    actor: &sejahtera_domain::access::Actor,
    rid: i64,
    b: &ReferralChange,
) -> Result<sejahtera_domain::delivery::Referral, Failure> {
    limits::text("status", &b.status, limits::SHORT)?;
    limits::text(
        "result",
        b.result.as_deref().unwrap_or_default(),
        limits::LONG,
    )?;
    if let Some(a) = b.amount {
        limits::range("amount", a, 0, limits::MAX_AMOUNT)?;
    }
    let status = ReferralStatus::parse(b.status.trim())
        .map_err(|e| Failure::BadRequest(format!("status: {e}")))?;
    let r = delivery::update_referral(
        &st.store,
        actor,
        rid,
        status,
        b.result.as_deref().filter(|r| !r.trim().is_empty()),
        b.amount.map(Rupiah::new),
        b.date.unwrap_or_else(|| st.clock.today()),
    )
    .await
    .map_err(Failure::of_program)?;
    tracing::info!(by = actor.user_id, referral = rid, status = %status, "referral updated");
    Ok(r)
}

/// Move a referral on: referred → accepted | rejected, accepted → completed | rejected (a result is needed to complete or reject); by the partner or the program's agency.
#[utoipa::path(post, path = "/referrals/{id}/status", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the referral")), request_body = ReferralChange,
    responses((status = 200, description = "The referral", body = ReferralView),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the partner or the program's agency", body = ErrorEnvelope),
        (status = 404, description = "No such referral", body = ErrorEnvelope),
        (status = 409, description = "Not a valid next status, or no result", body = ErrorEnvelope)))]
async fn referral_status(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(rid): Path<i64>,
    Json(b): Json<ReferralChange>,
) -> ApiResult<Response> {
    let s = user.required()?;
    check_csrf_header(&s, &headers)?;
    let r = change_referral(&st, &s.actor, rid, &b).await?;
    Ok(private_json(referral_json(&r)))
}
