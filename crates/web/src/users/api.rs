//! Sessions and users in the API: sign in and out, the signed-in user, and
//! the users an admin manages.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use sejahtera_app::accounts::{self, CreateUser, LoginError, SESSION_HOURS, SessionInfo};
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Paged, private_json};
use crate::auth::{ClientAddr, MaybeUser, SESSION_COOKIE, check_csrf_header, cookie, set_cookie};
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u64>,
    per_page: Option<u32>,
}

/// The session and users API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/session", post(login).delete(logout))
        .route("/me", get(me))
        .route("/users", get(users).post(create_user))
        .route("/users/{id}/status", post(user_status))
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
