//! Signing in and out of the console, the console's home page and the users
//! page (admins).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sejahtera_app::accounts::{self, CreateUser, LoginError, SESSION_HOURS};
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use serde::Deserialize;

use crate::auth::{
    ClientAddr, MaybeUser, PRE_CSRF_COOKIE, SESSION_COOKIE, UiLang, check_csrf, cookie, set_cookie,
};
use crate::error::{Failure, PageError};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::views::Nav;
use crate::views::{html, private};

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The sign-in and users pages.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/staff", get(staff_home))
        .route("/staff/users", get(users).post(create_user))
        .route("/staff/users/{id}/status", post(user_status))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    error: Option<&'static str>,
}

fn login_page(
    st: &AppState,
    lang: Lang,
    headers: &HeaderMap,
    error: Option<&'static str>,
    status: StatusCode,
) -> PageResult {
    let token = cookie(headers, PRE_CSRF_COOKIE)
        .filter(|c| c.len() == 64)
        .unwrap_or_else(accounts::random_token);
    let mut r = html(&LoginPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, None, "/login"),
        csrf: token.clone(),
        error,
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        PRE_CSRF_COOKIE,
        &token,
        3600,
        true,
        st.secure_cookies,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(private(r))
}

async fn login_form(State(st): St, UiLang(lang): UiLang, headers: HeaderMap) -> PageResult {
    login_page(&st, lang, &headers, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
}

async fn login(
    State(st): St,
    UiLang(lang): UiLang,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> PageResult {
    let pre = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    if pre.is_empty() || !accounts::tokens_equal(&pre, &form.csrf) {
        return Err(PageError::new(
            Failure::Forbidden(
                "missing or invalid CSRF token; reload the page and try again".into(),
            ),
            lang,
        ));
    }
    match accounts::login(
        &st.store,
        &st.throttle,
        form.username.trim(),
        &form.password,
        addr,
        &*st.clock,
    )
    .await
    {
        Ok(s) => {
            let mut r = Redirect::to("/staff").into_response();
            if !s.actor.is_staff() {
                r = Redirect::to("/").into_response();
            }
            let h = r.headers_mut();
            for c in [
                set_cookie(
                    SESSION_COOKIE,
                    &s.token,
                    SESSION_HOURS * 3600,
                    true,
                    st.secure_cookies,
                ),
                set_cookie(PRE_CSRF_COOKIE, "", 0, true, st.secure_cookies),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    h.append(header::SET_COOKIE, v);
                }
            }
            tracing::info!(user_id = s.actor.user_id, role = %s.actor.role, "signed in");
            Ok(r)
        }
        Err(LoginError::Invalid) => {
            st.metrics.login_failures.inc();
            login_page(
                &st,
                lang,
                &headers,
                Some("login.invalid"),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(LoginError::Throttled(wait)) => {
            st.metrics.login_failures.inc();
            let mut r = login_page(
                &st,
                lang,
                &headers,
                Some("login.throttled"),
                StatusCode::TOO_MANY_REQUESTS,
            )?;
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(r)
        }
        Err(LoginError::Store(e)) => Err(PageError::new(Failure::Internal(e.into()), lang)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> PageResult {
    let s = user.required().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        accounts::logout(&st.store, &token)
            .await
            .map_err(|e| PageError::new(Failure::Internal(e.into()), lang))?;
    }
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) =
        HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, true, st.secure_cookies))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    t: Tr,
    nav: Nav,
    username: String,
    role: String,
    villages: Vec<String>,
    may_search: bool,
    may_import: bool,
    may_plan: bool,
}

async fn staff_home(UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    let page = StaffPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff"),
        username: s.actor.username.clone(),
        role: s.actor.role.to_string(),
        villages: s.actor.villages.iter().map(|v| v.to_string()).collect(),
        may_search: s.actor.may_search_registry(),
        may_plan: s.actor.may_plan(),
        may_import: s.actor.registry_write_scope()
            != sejahtera_domain::access::RegistryScope::Nothing,
    };
    html(&page)
        .map(private)
        .map_err(|e| PageError::new(e, lang))
}

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    villages: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: Tr,
    nav: Nav,
    users: Vec<UserRow>,
    roles: Vec<&'static str>,
    message: Option<String>,
    error: Option<String>,
}

async fn users_page(
    st: &AppState,
    lang: Lang,
    s: &accounts::SessionInfo,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let users = accounts::users(&st.store)
        .await
        .map_err(|e| PageError::new(e, lang))?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.to_string(),
            villages: u
                .villages
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            disabled: u.disabled,
        })
        .collect();
    let mut r = html(&UsersPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(s), "/staff/users"),
        users,
        roles: Role::ALL.iter().map(|(_, s)| *s).collect(),
        message,
        error,
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    Ok(private(r))
}

async fn users(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user.admin().map_err(|e| PageError::new(e, lang))?;
    users_page(&st, lang, &s, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    #[serde(default)]
    villages: String,
    password: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    partner: String,
}

/// Splits a comma/space separated list of codes.
pub(crate) fn split_codes(s: &str) -> Vec<String> {
    s.split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

async fn create_user(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    axum::Form(form): axum::Form<UserForm>,
) -> PageResult {
    let s = user.admin().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    let role = match Role::parse(&form.role) {
        Ok(r) => r,
        Err(e) => {
            return users_page(
                &st,
                lang,
                &s,
                None,
                Some(e.to_string()),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let req = CreateUser {
        username: form.username.trim().to_string(),
        display_name: form.display_name.clone(),
        role,
        villages: split_codes(&form.villages),
        password: form.password.clone(),
        agency: Some(form.agency.trim().to_string()).filter(|a| !a.is_empty()),
        region: Some(form.region.trim().to_string()).filter(|a| !a.is_empty()),
        // A non-number leaves the partner unset; the account rules then say what is missing.
        partner: form.partner.trim().parse().ok(),
    };
    match accounts::create_user(&st.store, &st.regions, &req).await {
        Ok(id) => {
            tracing::info!(by = s.actor.user_id, new_user = id, role = %role, "user created");
            let t = Tr::new(lang);
            users_page(
                &st,
                lang,
                &s,
                Some(format!("{}: {}", t.t("usr.created"), req.username)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(accounts::AccountError::Store(e)) => Err(PageError::new(e, lang)),
        Err(e) => {
            users_page(
                &st,
                lang,
                &s,
                None,
                Some(e.to_string()),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    disabled: bool,
}

async fn user_status(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<StatusForm>,
) -> PageResult {
    let s = user.admin().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    match accounts::set_disabled(&st.store, &s.actor, id, form.disabled).await {
        Ok(()) => Ok(Redirect::to("/staff/users").into_response()),
        Err(e @ accounts::StatusError::OwnAccount) => {
            users_page(
                &st,
                lang,
                &s,
                None,
                Some(e.to_string()),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(PageError::new(e, lang)),
    }
}
