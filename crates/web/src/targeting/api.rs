//! Targeting accuracy in the API.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use sejahtera_domain::RegionCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::private_json;
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::openapi::{Csrf, ErrorEnvelope};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The poor rule of a form or body: empty = below the poverty line, else a share in [0, 1].
pub(crate) fn poor_rule(share: &str) -> Result<sejahtera_app::targeting::PoorRule, String> {
    let share = share.trim();
    if share.is_empty() {
        return Ok(sejahtera_app::targeting::PoorRule::PovertyLine);
    }
    match share.replace(',', ".").parse::<f64>() {
        Ok(q) if (0.0..=1.0).contains(&q) => Ok(sejahtera_app::targeting::PoorRule::BottomShare(q)),
        _ => Err(format!(
            "poor_share must be a number between 0 and 1, not {share:?}"
        )),
    }
}

/// The targeting API route (with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(targeting))
}

/// What to score.
#[derive(Debug, Deserialize, ToSchema)]
struct TargetingBody {
    /// An eligibility expression (or, with `program`, empty).
    #[serde(default)]
    #[schema(example = "desil <= 4", max_length = 4000)]
    select: String,
    /// Score a program's enrollees instead of an expression.
    #[serde(default)]
    program: Option<i64>,
    /// Only districts under this region.
    #[schema(
        pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4})$",
        max_length = 13
    )]
    under: Option<String>,
    /// Poor = the poorest share of each regency's households; absent: below the poverty line.
    #[schema(minimum = 0, maximum = 1)]
    poor_share: Option<f64>,
}

/// A confusion table with its errors.
#[derive(Debug, Serialize, ToSchema)]
struct ConfusionView {
    households: u64,
    selected: u64,
    poor: u64,
    selected_poor: u64,
    selected_not_poor: u64,
    poor_not_selected: u64,
    not_selected_not_poor: u64,
    /// Selected but not poor, of the selected.
    inclusion_error: Option<f64>,
    /// Poor but not selected, of the poor.
    exclusion_error: Option<f64>,
}

impl ConfusionView {
    fn of(c: &sejahtera_app::targeting::Confusion) -> ConfusionView {
        ConfusionView {
            households: c.households(),
            selected: c.selected(),
            poor: c.poor(),
            selected_poor: c.selected_poor,
            selected_not_poor: c.selected_not_poor,
            poor_not_selected: c.poor_not_selected,
            not_selected_not_poor: c.not_selected_not_poor,
            inclusion_error: c.inclusion_error(),
            exclusion_error: c.exclusion_error(),
        }
    }
}

/// A district's confusion table.
#[derive(Debug, Serialize, ToSchema)]
struct DistrictTargeting {
    district: String,
    name: String,
    #[serde(flatten)]
    confusion: ConfusionView,
}

/// Targeting accuracy per district and in total.
#[derive(Debug, Serialize, ToSchema)]
struct TargetingResult {
    select: String,
    program: Option<i64>,
    districts: Vec<DistrictTargeting>,
    total: ConfusionView,
    /// Households without true consumption (left out).
    unknown: u64,
}

/// Targeting accuracy of a selection against true consumption, per district (planners, auditors, admins; aggregates only).
#[utoipa::path(post, path = "/targeting", tag = "planning", security(("session" = [])), params(Csrf),
    request_body = TargetingBody,
    responses((status = 200, description = "Confusion table and inclusion/exclusion errors per district and in total", body = TargetingResult),
        (status = 400, description = "Bad expression (with position) or no true consumption", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Role may not see planning analytics, or missing CSRF token", body = ErrorEnvelope)))]
async fn targeting(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Json(b): Json<TargetingBody>,
) -> ApiResult<Response> {
    let s = user.planner()?;
    check_csrf_header(&s, &headers)?;
    limits::text("select", &b.select, limits::LONG)?;
    if let Some(p) = b.program {
        limits::id("program", p)?;
    }
    let under = match b.under.as_deref() {
        None => None,
        Some(u) => {
            Some(RegionCode::parse(u).map_err(|e| Failure::BadRequest(format!("under: {e}")))?)
        }
    };
    let rule = poor_rule(&b.poor_share.map(|q| q.to_string()).unwrap_or_default())
        .map_err(Failure::BadRequest)?;
    let today = st.clock.today();
    let report = match b.program {
        Some(p) => sejahtera_app::targeting::run_program(
            &st.store,
            &st.regions,
            p,
            under.as_ref(),
            rule,
            today,
        )
        .await
        .map_err(Failure::of_program)?,
        None => sejahtera_app::targeting::run(
            &st.store,
            &st.regions,
            &b.select,
            under.as_ref(),
            rule,
            today,
        )
        .await
        .map_err(Failure::of_program)?,
    };
    let districts = report
        .districts
        .iter()
        .map(|d| DistrictTargeting {
            district: d.district.code.to_string(),
            name: d.district.name.clone(),
            confusion: ConfusionView::of(&d.confusion),
        })
        .collect();
    Ok(private_json(TargetingResult {
        select: b.select,
        program: b.program,
        districts,
        total: ConfusionView::of(&report.total),
        unknown: report.unknown,
    }))
}
