//! The public indicators of the API: every region's figures, and one region
//! with its poverty line and children.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use sejahtera_app::indicators::RegionFigures;
use sejahtera_domain::RegionCode;
use sejahtera_domain::region::Level;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::Paged;
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The public API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/regions", get(list_regions))
        .route("/regions/{code}", get(region))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u64>,
    per_page: Option<u32>,
    level: Option<String>,
    parent: Option<String>,
}

async fn list_regions(
    State(st): St,
    Query(q): Query<PageQuery>,
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

async fn region(State(st): St, Path(code): Path<String>) -> ApiResult<Json<Value>> {
    let code = RegionCode::parse(&code).map_err(|e| Failure::BadRequest(e.to_string()))?;
    if st.regions.get(&code).is_none() {
        return Err(Failure::NotFound.into());
    }
    let tables = st.indicators().await?;
    let fig = tables.get(&code).ok_or(Failure::NotFound)?;
    let children: Vec<&RegionFigures> = tables.children(&st.regions, &code);
    let children: Vec<Value> = children
        .into_iter()
        .map(|c| {
            let mut c = c.clone();
            c.lorenz = None;
            c.distribution = None;
            serde_json::to_value(c).unwrap_or(Value::Null)
        })
        .collect();
    Ok(Json(json!({
        "region": fig,
        "poverty_line": tables.line_for(&code),
        "children": children,
        "min_households": sejahtera_app::indicators::MIN_HOUSEHOLDS,
        "distribution_step": sejahtera_app::indicators::DISTRIBUTION_STEP,
        "computed_at": tables.computed_at.to_rfc3339(),
    })))
}
