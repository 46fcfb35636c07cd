//! The public indicators of the API: every region's figures, and one region
//! with its poverty line and children.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use sejahtera_app::indicators::LineUsed;
use sejahtera_app::indicators::RegionFigures;
use sejahtera_domain::RegionCode;
use sejahtera_domain::region::Level;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::Paged;
use crate::error::{ApiError, Failure, limits};
use crate::openapi::{ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The public API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_regions))
        .routes(routes!(region))
}

doc_schema!(
    /// A region's figures (`sejahtera_app::indicators::RegionFigures`).
    RegionFiguresDoc = "RegionFigures",
    json!({"type": "object", "required": ["code", "name", "level", "suppressed"], "properties": {
        "code": {"type": "string", "example": "53.71.01"}, "name": {"type": "string"},
        "level": {"type": "string", "enum": ["regency", "district", "village"]},
        "parent": {"type": ["string", "null"]},
        "suppressed": {"type": "boolean", "description": "true when the region has fewer than 10 households: every figure is then null"},
        "households": {"type": ["integer", "null"]}, "population": {"type": ["integer", "null"]},
        "mean_consumption": {"type": ["number", "null"], "description": "Rupiah per capita per month"},
        "p0": {"type": ["number", "null"]}, "p1": {"type": ["number", "null"]}, "p2": {"type": ["number", "null"]},
        "p0_se": {"type": ["number", "null"]}, "gini": {"type": ["number", "null"]},
        "lorenz": {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
        "distribution": {"type": "array", "items": {"type": "integer"}, "description": "persons per bin of 0.25 × the poverty line; the last bin is open-ended"}}})
);

doc_schema!(
    /// The poverty line a regency's figures use (`sejahtera_app::indicators::LineUsed`).
    LineUsedDoc = "PovertyLine",
    json!({"type": "object", "properties": {"regency": {"type": "string"}, "amount": {"type": "integer", "description": "Rupiah per capita per month"},
        "period": {"type": "string"}, "source": {"type": "string"}}})
);

doc_schema!(
    /// A level of the regions list.
    LevelDoc = "Level",
    json!({"type": "string", "enum": ["regency", "district", "village"]})
);

/// The query of the regions list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RegionsQuery {
    /// Page number.
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    page: Option<u64>,
    /// Regions per page.
    #[param(minimum = 1, maximum = 500, default = 100)]
    per_page: Option<u32>,
    /// Only regions of this level.
    #[param(inline, value_type = Option<LevelDoc>)]
    level: Option<String>,
    /// Only regions under this code.
    #[param(value_type = Option<String>, pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4})$", max_length = 13)]
    parent: Option<String>,
}

/// A region with its poverty line and children.
#[derive(Debug, Serialize, ToSchema)]
struct RegionDetail {
    #[schema(value_type = RegionFiguresDoc)]
    region: RegionFigures,
    #[schema(value_type = Option<LineUsedDoc>)]
    poverty_line: Option<LineUsed>,
    #[schema(value_type = Vec<RegionFiguresDoc>)]
    children: Vec<RegionFigures>,
    /// Fewest households for a region's figures to be published.
    min_households: u64,
    /// Width of one distribution bin, in multiples of the poverty line.
    distribution_step: f64,
    #[schema(format = DateTime)]
    computed_at: String,
}

/// Indicators of every region (public).
#[utoipa::path(get, path = "/regions", tag = "regions", params(RegionsQuery),
    responses((status = 200, description = "A page of regions", body = Paged<RegionFiguresDoc>),
        (status = 400, description = "Bad level or parent", body = ErrorEnvelope)))]
async fn list_regions(
    State(st): St,
    Query(q): Query<RegionsQuery>,
) -> ApiResult<Json<Paged<RegionFigures>>> {
    let (page, per_page, skip) = limits::paging(q.page, q.per_page, 100, limits::MAX_PER_PAGE)?;
    let level = match q.level.as_deref() {
        None => None,
        Some(l) => Some(
            Level::parse(l)
                .filter(|l| *l != Level::Province)
                .ok_or_else(|| {
                    Failure::BadRequest(format!(
                        "level must be regency, district or village, not {l:?}"
                    ))
                })?,
        ),
    };
    let parent = match q.parent.as_deref() {
        None => None,
        Some(p) => {
            Some(RegionCode::parse(p).map_err(|e| Failure::BadRequest(format!("parent: {e}")))?)
        }
    };
    let tables = st.indicators().await?;
    let all: Vec<RegionFigures> = st
        .regions
        .iter()
        .filter(|r| r.level != Level::Province)
        .filter(|r| level.is_none_or(|l| r.level == l))
        .filter(|r| {
            parent
                .as_ref()
                .is_none_or(|p| r.code.is_under(p) && &r.code != p)
        })
        .filter_map(|r| tables.get(&r.code).cloned())
        .map(|mut f| {
            f.lorenz = None;
            f.distribution = None;
            f
        })
        .collect();
    let total = all.len() as u64;
    let items = all.into_iter().skip(skip).take(per_page as usize).collect();
    Ok(Json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

/// A region's indicators, poverty line and children (public).
#[utoipa::path(get, path = "/regions/{code}", tag = "regions",
    params(("code" = String, Path, pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4})$", max_length = 13, example = "53.71")),
    responses((status = 200, description = "The region", body = RegionDetail),
        (status = 400, description = "Malformed code", body = ErrorEnvelope),
        (status = 404, description = "Unknown region", body = ErrorEnvelope)))]
async fn region(State(st): St, Path(code): Path<String>) -> ApiResult<Json<RegionDetail>> {
    let code = RegionCode::parse(&code).map_err(|e| Failure::BadRequest(e.to_string()))?;
    if st.regions.get(&code).is_none() {
        return Err(Failure::NotFound.into());
    }
    let tables = st.indicators().await?;
    let fig = tables.get(&code).ok_or(Failure::NotFound)?;
    let children: Vec<&RegionFigures> = tables.children(&st.regions, &code);
    let children = children
        .into_iter()
        .map(|c| {
            let mut c = c.clone();
            c.lorenz = None;
            c.distribution = None;
            c
        })
        .collect();
    Ok(Json(RegionDetail {
        region: fig.clone(),
        poverty_line: tables.line_for(&code).cloned(),
        children,
        min_households: sejahtera_app::indicators::MIN_HOUSEHOLDS,
        distribution_step: sejahtera_app::indicators::DISTRIBUTION_STEP,
        computed_at: tables.computed_at.to_rfc3339(),
    }))
}
