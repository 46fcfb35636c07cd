//! Server-rendered pages: the public portal (no sign-in, aggregates only) and
//! the staff console (sign-in, personal data within the user's scope).
//! Every page works without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sejahtera_app::accounts::{self, CreateUser, LoginError, SESSION_HOURS};
use sejahtera_app::households::{self, SearchPage};
use sejahtera_app::import::Kind;
use sejahtera_app::upload::{self, UploadError};
use sejahtera_domain::RegionCode;
use sejahtera_domain::access::Role;
use sejahtera_domain::codes::Code;
use sejahtera_domain::region::Level;
use serde::Deserialize;

use crate::auth::{
    ClientAddr, LANG_COOKIE, MaybeUser, PRE_CSRF_COOKIE, SESSION_COOKIE, UiLang, check_csrf,
    cookie, set_cookie,
};
use crate::error::{Failure, PageError};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::views::{Nav, RegionView, region_view};

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

const STYLE: &str = include_str!("../static/style.css");

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(index))
        .route("/wilayah/{code}", get(region))
        .route("/static/style.css", get(style))
        .route("/lang/{lang}", get(set_lang))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/staff", get(staff_home))
        .route("/staff/households", get(search_form).post(search))
        .route("/staff/households/{reference}", get(household))
        .route(
            "/staff/import",
            get(import_form)
                .post(import_upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/staff/import/template/{file}", get(import_template))
        .route("/staff/import/{run}/rejects.csv", get(import_rejects))
        .route("/staff/targeting", get(targeting_form).post(targeting))
        .route("/staff/users", get(users).post(create_user))
        .route("/staff/users/{id}/status", post(user_status))
}

pub(crate) fn html(t: &impl Template) -> Result<Response, Failure> {
    let body = t
        .render()
        .map_err(|e| Failure::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(body).into_response())
}

pub(crate) fn private(mut r: Response) -> Response {
    // Staff pages hold personal data: never cached by browsers or proxies.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    t: Tr,
    nav: Nav,
    regencies: Vec<sejahtera_app::indicators::RegionFigures>,
}

async fn index(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let run = async {
        let tables = st.indicators().await?;
        let regencies = st
            .regions
            .iter()
            .filter(|r| r.level == Level::Regency)
            .filter_map(|r| tables.get(&r.code).cloned())
            .collect();
        html(&IndexPage {
            t: Tr::new(lang),
            nav: Nav::new(lang, user.0.as_ref(), "/"),
            regencies,
        })
    };
    run.await.map_err(|e| PageError::new(e, lang))
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    t: Tr,
    nav: Nav,
    v: RegionView,
}

async fn region(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(code): Path<String>,
) -> PageResult {
    let run = async {
        let code = RegionCode::parse(&code).map_err(|_| Failure::NotFound)?;
        if st.regions.get(&code).is_none() {
            return Err(Failure::NotFound);
        }
        let tables = st.indicators().await?;
        let t = Tr::new(lang);
        let v = region_view(&t, &tables, &st.regions, &st.maps, &code).ok_or(Failure::NotFound)?;
        html(&RegionPage {
            t,
            nav: Nav::new(lang, user.0.as_ref(), &format!("/wilayah/{code}")),
            v,
        })
    };
    run.await.map_err(|e| PageError::new(e, lang))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// A local path to return to (never another site): a path of at most 512
/// visible ASCII characters starting with one `/`. Browsers drop tabs and line
/// breaks from a `Location` and read `\` as `/`, so `/\t/evil.com` would leave
/// the site: any control character, space, non-ASCII or backslash sends the
/// visitor to `/` instead.
fn local_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.len() <= 512
                && n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n
        }
        _ => "/",
    }
}

async fn set_lang(Path(lang): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    let mut r = Redirect::to(local_next(q.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.code(),
        365 * 24 * 3600,
        false,
        false,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
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

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPageView {
    t: Tr,
    nav: Nav,
    q: String,
    error: Option<String>,
    results: Option<SearchPage>,
}

async fn search_form(UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user
        .registry_reader()
        .map_err(|e| PageError::new(e, lang))?;
    html(&SearchPageView {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/households"),
        q: String::new(),
        error: None,
        results: None,
    })
    .map(private)
    .map_err(|e| PageError::new(e, lang))
}

#[derive(Deserialize)]
struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
    page: Option<u64>,
}

/// Search is a POST: a NIK, KK number or name typed here never lands in a URL,
/// a browser history or an access log.
async fn search(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    axum::Form(form): axum::Form<SearchForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    crate::error::limits::paging(form.page, None, 50, 50).map_err(|e| PageError::new(e, lang))?;
    let result = households::search(
        &st.store,
        &st.regions,
        &s.actor,
        &form.q,
        form.page.unwrap_or(1),
        50,
    )
    .await;
    let (results, error, status) = match result {
        Ok(r) => (Some(r), None, StatusCode::OK),
        Err(households::AccessError::BadQuery(m)) => (None, Some(m), StatusCode::BAD_REQUEST),
        Err(e) => return Err(PageError::new(e, lang)),
    };
    let mut r = html(&SearchPageView {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/households"),
        q: form.q.clone(),
        error,
        results,
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    Ok(private(r))
}

struct MemberRow {
    nik: String,
    name: String,
    sex: &'static str,
    birth: String,
    relation: String,
    education: String,
    work: String,
    flags: String,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    t: Tr,
    nav: Nav,
    h: HouseholdHead,
    village: String,
    address: String,
    consumption: String,
    housing: String,
    members: Vec<MemberRow>,
}

struct HouseholdHead {
    no_kk: String,
}

fn opt<C: Code>(c: Option<C>) -> &'static str {
    c.map(|c| c.as_str()).unwrap_or("—")
}

async fn household(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(reference): Path<String>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    let d = households::detail(&st.store, &st.regions, &s.actor, &reference)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let t = Tr::new(lang);
    let hh = &d.household;
    let address = [
        hh.alamat.clone().unwrap_or_default(),
        hh.rt
            .as_ref()
            .map(|v| format!("RT {v}"))
            .unwrap_or_default(),
        hh.rw
            .as_ref()
            .map(|v| format!("RW {v}"))
            .unwrap_or_default(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let housing = format!(
        "lantai {}, dinding {}, atap {}, air {}, sanitasi {}, listrik {}, bahan bakar {}, status {}",
        opt(hh.lantai),
        opt(hh.dinding),
        opt(hh.atap),
        opt(hh.sumber_air),
        opt(hh.sanitasi),
        opt(hh.listrik),
        opt(hh.bahan_bakar),
        opt(hh.status_rumah)
    );
    let members = d
        .members
        .iter()
        .map(|p| MemberRow {
            nik: p.nik.to_string(),
            name: p.nama.clone(),
            sex: t.t(&format!("sex.{}", p.jenis_kelamin.as_str())),
            birth: t.date(p.tanggal_lahir),
            relation: opt(p.hubungan).to_string(),
            education: opt(p.pendidikan).to_string(),
            work: p.pekerjaan.clone().unwrap_or_else(|| "—".into()),
            flags: if p.flags.is_empty() {
                t.t("hh.none").to_string()
            } else {
                p.flags_text()
            },
        })
        .collect();
    let page = HouseholdPage {
        nav: Nav::new(lang, Some(&s), "/staff/households"),
        h: HouseholdHead {
            no_kk: hh.no_kk.to_string(),
        },
        village: format!("{} ({})", d.village_name, hh.kode_wilayah),
        address,
        consumption: t.rupiah(hh.pengeluaran_bulanan.get()),
        housing,
        members,
        t,
    };
    html(&page)
        .map(private)
        .map_err(|e| PageError::new(e, lang))
}

struct ImportResultView {
    error: Option<String>,
    accepted: u64,
    rejected: u64,
    warnings: u64,
    rejects_href: Option<String>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    t: Tr,
    nav: Nav,
    result: Option<ImportResultView>,
}

async fn import_form(UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user
        .registry_writer()
        .map_err(|e| PageError::new(e, lang))?;
    html(&ImportPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/import"),
        result: None,
    })
    .map(private)
    .map_err(|e| PageError::new(e, lang))
}

async fn import_upload(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    multipart: Multipart,
) -> PageResult {
    let s = user
        .registry_writer()
        .map_err(|e| PageError::new(e, lang))?;
    let bad = |m: String| PageError::new(Failure::BadRequest(m), lang);
    // The role was checked above; the CSRF token (the form's first field) is
    // checked before the file is staged, and again once the form is read.
    let mut form =
        crate::upload::read_form(multipart, &["csrf", "kind"], &["csv", "xlsx"], |text| {
            check_csrf(&s, text.get("csrf").map(String::as_str))
        })
        .await
        .map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, form.text.get("csrf").map(String::as_str))
        .map_err(|e| PageError::new(e, lang))?;
    let kind = match form.text.get("kind").map(String::as_str) {
        Some("households") => Kind::Households,
        Some("persons") => Kind::Persons,
        other => {
            return Err(bad(format!(
                "kind must be households or persons, not {other:?}"
            )));
        }
    };
    let file = form
        .file
        .take()
        .ok_or_else(|| bad("no file was uploaded".into()))?;
    let outcome = upload::import_upload(&st.store, &st.regions, &s.actor, kind, &file).await;
    let result = match outcome {
        Ok(o) => {
            let _ = st.refresh_generation().await;
            tracing::info!(
                user_id = s.actor.user_id,
                kind = kind.as_str(),
                accepted = o.report.accepted,
                rejected = o.report.rejected,
                "web import"
            );
            ImportResultView {
                error: None,
                accepted: o.report.accepted,
                rejected: o.report.rejected,
                warnings: o.report.warnings.len() as u64,
                rejects_href: o
                    .report
                    .run_id
                    .map(|id| format!("/staff/import/{id}/rejects.csv")),
            }
        }
        Err(UploadError::Forbidden) => {
            return Err(PageError::new(
                Failure::Forbidden("your role may not change the registry".into()),
                lang,
            ));
        }
        Err(UploadError::Store(e)) => {
            return Err(PageError::new(Failure::Internal(e.into()), lang));
        }
        Err(UploadError::Io(e)) => return Err(PageError::new(Failure::Internal(e.into()), lang)),
        Err(e) => ImportResultView {
            error: Some(e.to_string()),
            accepted: 0,
            rejected: 0,
            warnings: 0,
            rejects_href: None,
        },
    };
    let status = if result.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = html(&ImportPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/import"),
        result: Some(result),
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    Ok(private(r))
}

async fn import_template(
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(file): Path<String>,
) -> PageResult {
    user.registry_writer()
        .map_err(|e| PageError::new(e, lang))?;
    let kind = match file.as_str() {
        "households.csv" => Kind::Households,
        "persons.csv" => Kind::Persons,
        _ => return Err(PageError::new(Failure::NotFound, lang)),
    };
    Ok(csv_download(
        sejahtera_app::import::template(kind).into_bytes(),
        &file,
    ))
}

pub(crate) fn csv_download(body: Vec<u8>, name: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    private(r)
}

async fn import_rejects(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(run): Path<i64>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    let content = upload::rejects_of(&st.store, &s.actor, run)
        .await
        .map_err(|e| PageError::new(e, lang))?
        .ok_or_else(|| PageError::new(Failure::NotFound, lang))?;
    Ok(csv_download(content, &format!("rejects-{run}.csv")))
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

struct TargetingRow {
    code: String,
    name: String,
    c: sejahtera_app::targeting::Confusion,
}

#[derive(Template)]
#[template(path = "targeting.html")]
struct TargetingPage {
    t: Tr,
    nav: Nav,
    select: String,
    poor_share: String,
    error: Option<String>,
    rows: Vec<TargetingRow>,
    /// Programs whose enrollees may be scored instead of an expression: (id, name).
    programs: Vec<(i64, String)>,
    program: Option<i64>,
}

async fn program_names(st: &AppState) -> Result<Vec<(i64, String)>, Failure> {
    Ok(st
        .store
        .programs()
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

async fn targeting_form(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user.planner().map_err(|e| PageError::new(e, lang))?;
    html(&TargetingPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/targeting"),
        programs: program_names(&st)
            .await
            .map_err(|e| PageError::new(e, lang))?,
        program: None,
        select: "desil <= 4".into(),
        poor_share: String::new(),
        error: None,
        rows: Vec::new(),
    })
    .map(private)
    .map_err(|e| PageError::new(e, lang))
}

#[derive(Deserialize)]
struct TargetingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    select: String,
    #[serde(default)]
    poor_share: String,
    /// A program id: score its enrollees instead of the expression.
    #[serde(default)]
    program: String,
}

async fn targeting(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    axum::Form(form): axum::Form<TargetingForm>,
) -> PageResult {
    let s = user.planner().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    let program: Option<i64> = form.program.trim().parse().ok();
    let today = sejahtera_app::import::today_in_indonesia();
    let result = match (crate::api::poor_rule(&form.poor_share), program) {
        (Ok(rule), Some(p)) => {
            sejahtera_app::targeting::run_program(&st.store, &st.regions, p, None, rule, today)
                .await
                .map_err(Failure::of_program)
        }
        (Ok(rule), None) => {
            sejahtera_app::targeting::run(&st.store, &st.regions, &form.select, None, rule, today)
                .await
                .map_err(Failure::of_program)
        }
        (Err(e), _) => Err(Failure::BadRequest(e)),
    };
    let (rows, error, status) = match result {
        Ok(report) => {
            let mut rows: Vec<TargetingRow> = report
                .districts
                .iter()
                .map(|d| TargetingRow {
                    code: d.district.code.to_string(),
                    name: d.district.name.clone(),
                    c: d.confusion,
                })
                .collect();
            rows.push(TargetingRow {
                code: "(all)".into(),
                name: String::new(),
                c: report.total,
            });
            (rows, None, StatusCode::OK)
        }
        Err(e) if e.is_ours() => return Err(PageError::new(e, lang)),
        Err(e) => (Vec::new(), Some(e.message(lang)), StatusCode::BAD_REQUEST),
    };
    let mut r = html(&TargetingPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/targeting"),
        select: form.select.clone(),
        poor_share: form.poor_share.clone(),
        error,
        rows,
        programs: program_names(&st)
            .await
            .map_err(|e| PageError::new(e, lang))?,
        program,
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    Ok(private(r))
}

#[cfg(test)]
mod tests {
    use super::local_next;

    #[test]
    fn open_redirect_through_lang_next_is_closed() {
        for evil in [
            "//evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "/\\evil.com",
            "/\u{7f}/x",
            "/ /evil.com",
            "https://evil.com",
            "evil.com",
            "/é",
        ] {
            assert_eq!(local_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(local_next(Some(&format!("/{}", "a".repeat(600)))), "/");
        assert_eq!(local_next(Some("/program/3?x=1")), "/program/3?x=1");
        assert_eq!(local_next(None), "/");
    }
}
