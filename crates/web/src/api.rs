//! The JSON API under `/api/v1`: everything the pages show and do, with the
//! same authorization. Errors are `{"error":{"code":…,"message":…}}`; lists are
//! paginated as `{"items":[…],"page":…,"per_page":…,"total":…}`.
//!
//! Authentication is the session cookie (`POST /api/v1/session`); every
//! state-changing call carries the session's CSRF token in `X-CSRF-Token`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sejahtera_app::accounts::{self, CreateUser, LoginError, SESSION_HOURS, SessionInfo};
use sejahtera_app::households;
use sejahtera_app::import::Kind;
use sejahtera_app::indicators::RegionFigures;
use sejahtera_app::upload::{self, UploadError};
use sejahtera_domain::RegionCode;
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use sejahtera_domain::region::Level;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{ClientAddr, MaybeUser, SESSION_COOKIE, check_csrf_header, cookie, set_cookie};
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    // Uploads are streamed to disk and counted there (crate::upload).
    let upload = post(import).layer(axum::extract::DefaultBodyLimit::disable());
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .route("/regions", get(list_regions))
        .route("/regions/{code}", get(region))
        .route("/session", post(login).delete(logout))
        .route("/me", get(me))
        .route("/households/search", post(search))
        .route("/households/{reference}", get(household))
        .route("/imports/{kind}", upload)
        .route("/imports/{run}/rejects", get(rejects))
        .route("/targeting", post(targeting))
        .route("/users", get(users).post(create_user))
        .route("/users/{id}/status", post(user_status))
        .merge(crate::programs_api::routes())
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError(Failure::NotFound)
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub(crate) struct Paged<T: Serialize> {
    items: Vec<T>,
    page: u64,
    per_page: u32,
    total: u64,
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u64>,
    per_page: Option<u32>,
    level: Option<String>,
    parent: Option<String>,
}

pub(crate) fn private_json(v: impl Serialize) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
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

#[derive(Debug, Serialize)]
struct UserView {
    id: i64,
    username: String,
    display_name: String,
    role: Role,
    villages: Vec<String>,
}

fn user_view(s: &SessionInfo) -> UserView {
    UserView {
        id: s.actor.user_id,
        username: s.actor.username.clone(),
        display_name: s.display_name.clone(),
        role: s.actor.role,
        villages: s.actor.villages.iter().map(|v| v.to_string()).collect(),
    }
}

#[derive(Debug, Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(
    State(st): St,
    ClientAddr(addr): ClientAddr,
    Json(c): Json<Credentials>,
) -> ApiResult<Response> {
    limits::text("username", &c.username, limits::SHORT)?;
    limits::text("password", &c.password, limits::PASSWORD)?;
    match accounts::login(
        &st.store,
        &st.throttle,
        c.username.trim(),
        &c.password,
        addr,
    )
    .await
    {
        Ok(s) => {
            let info = SessionInfo {
                actor: s.actor.clone(),
                display_name: s.display_name.clone(),
                csrf_token: s.csrf_token.clone(),
            };
            let mut r = private_json(json!({"csrf_token": s.csrf_token, "user": user_view(&info)}));
            if let Ok(v) = HeaderValue::from_str(&set_cookie(
                SESSION_COOKIE,
                &s.token,
                SESSION_HOURS * 3600,
                true,
                st.secure_cookies,
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(LoginError::Invalid) => {
            st.metrics.login_failures.inc();
            Err(Failure::BadCredentials.into())
        }
        Err(LoginError::Throttled(wait)) => {
            st.metrics.login_failures.inc();
            Err(Failure::TooMany {
                message: LoginError::Throttled(wait).to_string(),
                retry_after: wait,
            }
            .into())
        }
        Err(LoginError::Store(e)) => Err(Failure::Internal(e.into()).into()),
    }
}

async fn logout(State(st): St, user: MaybeUser, headers: HeaderMap) -> ApiResult<StatusCode> {
    let s = user.required()?;
    check_csrf_header(&s, &headers)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        accounts::logout(&st.store, &token)
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn me(user: MaybeUser) -> ApiResult<Response> {
    let s = user.required()?;
    Ok(private_json(
        json!({"user": user_view(&s), "csrf_token": s.csrf_token}),
    ))
}

#[derive(Debug, Deserialize)]
struct SearchBody {
    q: String,
    page: Option<u64>,
    per_page: Option<u32>,
}

async fn search(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Json(b): Json<SearchBody>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::text("q", &b.q, limits::SHORT)?;
    let (page, per_page, _) = limits::paging(b.page, b.per_page, 50, limits::MAX_SEARCH_PER_PAGE)?;
    let page = households::search(&st.store, &st.regions, &s.actor, &b.q, page, per_page).await?;
    Ok(private_json(page))
}

async fn household(
    State(st): St,
    user: MaybeUser,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    let d = households::detail(&st.store, &st.regions, &s.actor, &reference).await?;
    let members: Vec<Value> = d
        .members
        .iter()
        .map(|p| {
            json!({
                "nik": p.nik.to_string(),
                "nama": p.nama,
                "jenis_kelamin": p.jenis_kelamin,
                "tanggal_lahir": p.tanggal_lahir.to_string(),
                "hubungan": p.hubungan,
                "pendidikan": p.pendidikan,
                "pekerjaan": p.pekerjaan,
                "sektor": p.sektor,
                "disabilitas": p.disabilitas,
                "status_kawin": p.status_kawin,
                "flags": p.flags.iter().map(|f| f.describe()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let h = &d.household;
    Ok(private_json(json!({
        "ref": d.reference,
        "no_kk": h.no_kk.to_string(),
        "kode_wilayah": h.kode_wilayah.to_string(),
        "village_name": d.village_name,
        "rt": h.rt, "rw": h.rw, "alamat": h.alamat,
        "pengeluaran_bulanan": h.pengeluaran_bulanan.get(),
        "lantai": h.lantai.map(|c| c.as_str()), "dinding": h.dinding.map(|c| c.as_str()),
        "atap": h.atap.map(|c| c.as_str()), "sumber_air": h.sumber_air.map(|c| c.as_str()),
        "sanitasi": h.sanitasi.map(|c| c.as_str()), "listrik": h.listrik.map(|c| c.as_str()),
        "bahan_bakar": h.bahan_bakar.map(|c| c.as_str()), "status_rumah": h.status_rumah.map(|c| c.as_str()),
        "members": members,
    })))
}

#[derive(Debug, Deserialize)]
struct ImportQuery {
    /// `csv` (default) or `xlsx`.
    format: Option<String>,
}

async fn import(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    // Session, CSRF and role are checked before one byte of the body is staged.
    let s = user.registry_writer()?;
    check_csrf_header(&s, &headers)?;
    let kind = match kind.as_str() {
        "households" => Kind::Households,
        "persons" => Kind::Persons,
        other => {
            return Err(Failure::BadRequest(format!(
                "kind must be households or persons, not {other:?}"
            ))
            .into());
        }
    };
    let name = match q.format.as_deref().unwrap_or("csv") {
        "csv" => "upload.csv",
        "xlsx" => "upload.xlsx",
        other => {
            return Err(
                Failure::BadRequest(format!("format must be csv or xlsx, not {other:?}")).into(),
            );
        }
    };
    let file = crate::upload::stage_body(body, name, &["csv", "xlsx"]).await?;
    match upload::import_upload(&st.store, &st.regions, &s.actor, kind, &file).await {
        Ok(o) => {
            let _ = st.refresh_generation().await;
            let r = &o.report;
            Ok(private_json(json!({
                "run_id": r.run_id,
                "accepted": r.accepted,
                "rejected": r.rejected,
                "warnings": r.warnings.iter().map(|w| json!({"line": w.line, "column": w.column, "message": w.message})).collect::<Vec<_>>(),
                "inserted": r.stats.inserted,
                "updated": r.stats.updated,
                "unchanged": r.stats.unchanged,
                "rejects_url": r.run_id.map(|id| format!("/api/v1/imports/{id}/rejects")),
            })))
        }
        Err(UploadError::Forbidden) => {
            Err(Failure::Forbidden("your role may not change the registry".into()).into())
        }
        Err(UploadError::Store(e)) => Err(Failure::Internal(e.into()).into()),
        Err(UploadError::Io(e)) => Err(Failure::Internal(e.into()).into()),
        Err(e) => Err(Failure::BadRequest(e.to_string()).into()),
    }
}

async fn rejects(State(st): St, user: MaybeUser, Path(run): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let content = upload::rejects_of(&st.store, &s.actor, run)
        .await?
        .ok_or(Failure::NotFound)?;
    Ok(crate::pages::csv_download(
        content,
        &format!("rejects-{run}.csv"),
    ))
}

async fn users(State(st): St, user: MaybeUser, Query(q): Query<PageQuery>) -> ApiResult<Response> {
    user.admin()?;
    let (page, per_page, skip) = limits::paging(q.page, q.per_page, 100, limits::MAX_PER_PAGE)?;
    let all = accounts::users(&st.store).await?;
    let total = all.len() as u64;
    let items: Vec<Value> = all
        .into_iter()
        .skip(skip)
        .take(per_page as usize)
        .map(|u| {
            json!({
                "id": u.id, "username": u.username, "display_name": u.display_name,
                "role": u.role, "villages": u.villages.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                "disabled": u.disabled, "created_at": u.created_at,
            })
        })
        .collect();
    Ok(private_json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

#[derive(Debug, Deserialize)]
struct NewUserBody {
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    #[serde(default)]
    villages: Vec<String>,
    password: String,
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    partner: Option<i64>,
}

async fn create_user(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Json(b): Json<NewUserBody>,
) -> ApiResult<Response> {
    let s = user.admin()?;
    check_csrf_header(&s, &headers)?;
    for (field, v) in [
        ("username", &b.username),
        ("display_name", &b.display_name),
        ("role", &b.role),
    ] {
        limits::text(field, v, limits::SHORT)?;
    }
    limits::text(
        "agency",
        b.agency.as_deref().unwrap_or_default(),
        limits::SHORT,
    )?;
    limits::text(
        "region",
        b.region.as_deref().unwrap_or_default(),
        limits::SHORT,
    )?;
    limits::text("password", &b.password, limits::PASSWORD)?;
    limits::items("villages", b.villages.len(), limits::MAX_ITEMS)?;
    if let Some(p) = b.partner {
        limits::id("partner", p)?;
    }
    let role = Role::parse(&b.role).map_err(|e| Failure::BadRequest(e.to_string()))?;
    let req = CreateUser {
        username: b.username.trim().to_string(),
        display_name: b.display_name,
        role,
        villages: b.villages,
        password: b.password,
        agency: b.agency,
        region: b.region,
        partner: b.partner,
    };
    match accounts::create_user(&st.store, &st.regions, &req).await {
        Ok(id) => {
            let mut r = private_json(json!({"id": id, "username": req.username, "role": role}));
            *r.status_mut() = StatusCode::CREATED;
            Ok(r)
        }
        Err(accounts::AccountError::Store(e)) => Err(Failure::Internal(e.into()).into()),
        Err(accounts::AccountError::Hash(e)) => Err(Failure::Internal(anyhow::anyhow!(e)).into()),
        Err(e) => Err(Failure::BadRequest(e.to_string()).into()),
    }
}

#[derive(Debug, Deserialize)]
struct StatusBody {
    disabled: bool,
}

async fn user_status(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<StatusBody>,
) -> ApiResult<StatusCode> {
    let s = user.admin()?;
    check_csrf_header(&s, &headers)?;
    accounts::set_disabled(&st.store, &s.actor, id, b.disabled).await?;
    Ok(StatusCode::NO_CONTENT)
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
        .map_err(Failure::of_program)?,
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
