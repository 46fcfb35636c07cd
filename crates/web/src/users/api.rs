//! Sessions and users in the API: sign in and out, the signed-in user, and
//! the users an admin manages.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use sejahtera_app::accounts::{self, CreateUser, LoginError, SESSION_HOURS, SessionInfo};
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{Paged, private_json};
use crate::auth::{ClientAddr, MaybeUser, SESSION_COOKIE, check_csrf_header, cookie, set_cookie};
use crate::error::{ApiError, Failure, limits};
use crate::openapi::{Csrf, ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// A page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Page number.
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    page: Option<u64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500, default = 100)]
    per_page: Option<u32>,
}

/// The session and users API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
        .routes(routes!(users, create_user))
        .routes(routes!(user_status))
}

doc_schema!(
    /// A role (`sejahtera_domain::access::Role`).
    RoleDoc = "Role",
    json!({"type": "string", "enum": ["admin", "planner", "agency_operator", "village_operator", "auditor", "partner", "citizen"]})
);

/// A signed-in user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SessionUser)]
struct UserView {
    id: i64,
    username: String,
    display_name: String,
    #[schema(value_type = RoleDoc)]
    role: Role,
    villages: Vec<String>,
}

/// A user signed in, with the session's CSRF token.
#[derive(Debug, Serialize, ToSchema)]
struct Session {
    csrf_token: String,
    user: UserView,
}

/// A user as an admin sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
struct UserItem {
    id: i64,
    username: String,
    display_name: String,
    #[schema(value_type = RoleDoc)]
    role: Role,
    villages: Vec<String>,
    disabled: bool,
    created_at: String,
}

/// A user created.
#[derive(Debug, Serialize, ToSchema)]
struct CreatedUser {
    id: i64,
    username: String,
    #[schema(value_type = RoleDoc)]
    role: Role,
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

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
struct Credentials {
    username: String,
    #[schema(format = Password)]
    password: String,
}

/// Sign in.
#[utoipa::path(post, path = "/session", tag = "session", request_body = Credentials,
    responses((status = 200, description = "Signed in; the session cookie is set", body = Session),
        (status = 401, description = "Wrong username or password", body = ErrorEnvelope),
        (status = 429, description = "Too many failed attempts (see Retry-After)", body = ErrorEnvelope)))]
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
        &*st.clock,
    )
    .await
    {
        Ok(s) => {
            let info = SessionInfo {
                actor: s.actor.clone(),
                display_name: s.display_name.clone(),
                csrf_token: s.csrf_token.clone(),
            };
            let mut r = private_json(Session {
                csrf_token: s.csrf_token.clone(),
                user: user_view(&info),
            });
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

/// Sign out.
#[utoipa::path(delete, path = "/session", tag = "session", security(("session" = [])), params(Csrf),
    responses((status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Missing CSRF token", body = ErrorEnvelope)))]
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

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "session", security(("session" = [])),
    responses((status = 200, description = "The user and the CSRF token", body = Session),
        (status = 401, description = "Not signed in", body = ErrorEnvelope)))]
async fn me(user: MaybeUser) -> ApiResult<Response> {
    let s = user.required()?;
    Ok(private_json(Session {
        user: user_view(&s),
        csrf_token: s.csrf_token.clone(),
    }))
}

/// Users (admin).
#[utoipa::path(get, path = "/users", tag = "users", security(("session" = [])), params(PageQuery),
    responses((status = 200, description = "A page of users", body = Paged<UserItem>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope)))]
async fn users(State(st): St, user: MaybeUser, Query(q): Query<PageQuery>) -> ApiResult<Response> {
    user.admin()?;
    let (page, per_page, skip) = limits::paging(q.page, q.per_page, 100, limits::MAX_PER_PAGE)?;
    let all = accounts::users(&st.store).await?;
    let total = all.len() as u64;
    let items: Vec<UserItem> = all
        .into_iter()
        .skip(skip)
        .take(per_page as usize)
        .map(|u| UserItem {
            id: u.id,
            villages: u.villages.iter().map(|v| v.to_string()).collect(),
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at,
        })
        .collect();
    Ok(private_json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
struct NewUserBody {
    username: String,
    #[serde(default)]
    display_name: String,
    #[schema(value_type = RoleDoc)]
    role: String,
    /// Village codes (village operators).
    #[serde(default)]
    #[schema(value_type = Vec<String>, pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4})$")]
    villages: Vec<String>,
    #[schema(format = Password, min_length = 10)]
    password: String,
    /// The agency an agency operator works for.
    #[serde(default)]
    agency: Option<String>,
    /// Regency or province an agency operator works for (required for agency operators).
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{2}(\.?[0-9]{2})?$")]
    region: Option<String>,
    /// The partner a partner account speaks for.
    #[serde(default)]
    partner: Option<i64>,
}

/// Create a user (admin).
#[utoipa::path(post, path = "/users", tag = "users", security(("session" = [])), params(Csrf),
    request_body = NewUserBody,
    responses((status = 201, description = "Created", body = CreatedUser),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope)))]
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
            let mut r = private_json(CreatedUser {
                id,
                username: req.username,
                role,
            });
            *r.status_mut() = StatusCode::CREATED;
            Ok(r)
        }
        Err(accounts::AccountError::Store(e)) => Err(Failure::Internal(e.into()).into()),
        Err(accounts::AccountError::Hash(e)) => Err(Failure::Internal(anyhow::anyhow!(e)).into()),
        Err(e) => Err(Failure::BadRequest(e.to_string()).into()),
    }
}

/// A user's new status.
#[derive(Debug, Deserialize, ToSchema)]
struct StatusBody {
    disabled: bool,
}

/// Enable or disable a user (admin).
#[utoipa::path(post, path = "/users/{id}/status", tag = "users", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the user")), request_body = StatusBody,
    responses((status = 204, description = "Done"),
        (status = 400, description = "Cannot disable yourself", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope)))]
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
