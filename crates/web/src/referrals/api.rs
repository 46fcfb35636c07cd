//! Referrals in the API: refer a participant to a partner, list the referrals
//! you may see, move one on.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use sejahtera_app::delivery;
use sejahtera_app::import::today_in_indonesia;
use sejahtera_domain::Rupiah;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{ReferralStatus, Service};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{created, kk, private_json};
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The referrals API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/programs/{id}/referrals", post(refer))
        .route("/referrals", get(referrals))
        .route("/referrals/{id}/status", post(referral_status))
}

#[derive(Debug, Deserialize)]
struct NewReferral {
    no_kk: String,
    partner: i64,
    service: String,
    #[serde(default)]
    date: Option<NaiveDate>,
}

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
        b.date.unwrap_or_else(today_in_indonesia),
    )
    .await
    .map_err(Failure::of_program)?;
    Ok(created(json!({"id": rid, "status": "referred"})))
}

/// A referral as JSON (for staff of the program or the partner it is addressed to).
pub(crate) fn referral_json(r: &sejahtera_domain::delivery::Referral) -> Value {
    json!({
        "id": r.id,
        "program": r.program,
        "no_kk": format!("{:016}", r.household),
        "partner": r.partner,
        "service": r.service.as_str(),
        "status": r.status.as_str(),
        "result": r.result,
        "amount": r.amount.map(|a| a.get()),
        "referred_on": r.referred_on.to_string(),
        "updated_on": r.updated_on.to_string(),
    })
}

#[derive(Debug, Deserialize)]
struct ReferralQuery {
    program: Option<i64>,
}

async fn referrals(
    State(st): St,
    user: MaybeUser,
    Query(q): Query<ReferralQuery>,
) -> ApiResult<Response> {
    let s = user.required()?;
    if let Some(p) = q.program {
        limits::id("program", p)?;
    }
    let items: Vec<Value> = delivery::referrals_for(&st.store, &s.actor, q.program)
        .await
        .map_err(Failure::of_program)?
        .iter()
        .map(referral_json)
        .collect();
    Ok(private_json(json!({"items": items})))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReferralChange {
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
        b.date.unwrap_or_else(today_in_indonesia),
    )
    .await
    .map_err(Failure::of_program)?;
    tracing::info!(by = actor.user_id, referral = rid, status = %status, "referral updated");
    Ok(r)
}

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
