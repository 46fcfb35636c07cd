//! Targeting accuracy in the API.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use sejahtera_domain::RegionCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::private_json;
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The targeting API route.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/targeting", post(targeting))
}

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

#[derive(Debug, Deserialize)]
struct TargetingBody {
    /// An eligibility expression (or, with `program`, empty).
    #[serde(default)]
    select: String,
    /// Score a program's enrollees instead of an expression.
    #[serde(default)]
    program: Option<i64>,
    under: Option<String>,
    poor_share: Option<f64>,
}

fn confusion_json(c: &sejahtera_app::targeting::Confusion) -> Value {
    json!({
        "households": c.households(), "selected": c.selected(), "poor": c.poor(),
        "selected_poor": c.selected_poor, "selected_not_poor": c.selected_not_poor,
        "poor_not_selected": c.poor_not_selected, "not_selected_not_poor": c.not_selected_not_poor,
        "inclusion_error": c.inclusion_error(), "exclusion_error": c.exclusion_error(),
    })
}

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
    let today = sejahtera_app::import::today_in_indonesia();
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
        .map_err(|e| Failure::BadRequest(format!("{e:#}")))?,
    };
    let districts: Vec<Value> = report
        .districts
        .iter()
        .map(|d| {
            let mut v = confusion_json(&d.confusion);
            v["district"] = json!(d.district.code.to_string());
            v["name"] = json!(d.district.name);
            v
        })
        .collect();
    Ok(private_json(json!({
        "select": b.select,
        "program": b.program,
        "districts": districts,
        "total": confusion_json(&report.total),
        "unknown": report.unknown,
    })))
}
