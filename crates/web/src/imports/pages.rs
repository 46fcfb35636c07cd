//! The import page: upload a households or persons file (CSV or XLSX), the
//! templates to fill in, and the rejects report of an import.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sejahtera_app::import::Kind;
use sejahtera_app::upload::{self, UploadError};

use crate::auth::{MaybeUser, UiLang, check_csrf};
use crate::error::{Failure, PageError};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::Nav;
use crate::views::{html, private};

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The import pages.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/staff/import",
            get(import_form)
                .post(import_upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/staff/import/template/{file}", get(import_template))
        .route("/staff/import/{run}/rejects.csv", get(import_rejects))
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
    let outcome =
        upload::import_upload(&st.store, &st.regions, &s.actor, kind, &file, &*st.clock).await;
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
