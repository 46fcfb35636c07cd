//! Errors of handlers, split into "your fault" (4xx with a message) and "ours"
//! (500; the cause is logged, the client sees only that it failed).
//!
//! The same failure renders as an HTML page for the portal and console
//! ([`PageError`]) and as a JSON body `{"error":{"code":…,"message":…}}` for the
//! API ([`ApiError`]). Every error answer, page or JSON (including the framework's
//! rejections wrapped into the envelope), carries `Cache-Control: no-store`.

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sejahtera_app::Error as AppError;
use sejahtera_app::households::AccessError;

use crate::i18n::{Lang, Tr};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Malformed or invalid input.
    #[error("{0}")]
    BadRequest(String),
    /// Sign-in needed.
    #[error("sign in first")]
    Unauthorized,
    /// Wrong username or password.
    #[error("wrong username or password")]
    BadCredentials,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there.
    #[error("not found")]
    NotFound,
    /// The request body (an upload) is larger than accepted.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts.
    #[error("{message}")]
    TooMany {
        /// Message.
        message: String,
        /// When to retry.
        retry_after: Duration,
    },
    /// A use case's answer: refused, not found, forbidden, invalid (each with
    /// its message in both languages) or unexpected (ours).
    #[error("{0}")]
    Use(sejahtera_app::Error),
    /// Our fault.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::Unauthorized | Failure::BadCredentials => StatusCode::UNAUTHORIZED,
            Failure::Forbidden(_) => StatusCode::FORBIDDEN,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Failure::Use(e) => match e {
                AppError::Refused(_) => StatusCode::CONFLICT,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::Invalid(_) => StatusCode::BAD_REQUEST,
                AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::BadRequest(_) => "bad_request",
            Failure::Unauthorized => "unauthorized",
            Failure::BadCredentials => "invalid_credentials",
            Failure::Forbidden(_) => "forbidden",
            Failure::NotFound => "not_found",
            Failure::TooLarge(_) => "payload_too_large",
            Failure::TooMany { .. } => "too_many_requests",
            Failure::Use(e) => match e {
                AppError::Refused(_) => "refused",
                AppError::NotFound(_) => "not_found",
                AppError::Forbidden(_) => "forbidden",
                AppError::Invalid(_) => "bad_request",
                AppError::Unexpected(_) => "internal",
            },
            Failure::Internal(_) => "internal",
        }
    }

    fn log(&self) {
        match self {
            Failure::Internal(e) | Failure::Use(AppError::Unexpected(e)) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
            }
            _ => {}
        }
    }

    /// Whether the cause is ours (500: logged, never shown).
    pub fn is_ours(&self) -> bool {
        matches!(
            self,
            Failure::Internal(_) | Failure::Use(AppError::Unexpected(_))
        )
    }

    /// Whether the actor may not do this (403).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            Failure::Forbidden(_) | Failure::Use(AppError::Forbidden(_))
        )
    }

    /// Whether something asked for does not exist (404).
    pub fn is_missing(&self) -> bool {
        matches!(
            self,
            Failure::NotFound | Failure::Use(AppError::NotFound(_))
        )
    }

    /// Whether a rule refused the request (409).
    pub fn is_refused(&self) -> bool {
        matches!(self, Failure::Use(AppError::Refused(_)))
    }

    /// Whether the program asked for does not exist.
    pub fn is_program_missing(&self) -> bool {
        matches!(self, Failure::Use(AppError::NotFound(m)) if m.key() == "program.not_found")
    }

    /// The message for the user in `lang`: a use case's message in that
    /// language, a generic sentence for our own failures.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Failure::Use(AppError::Unexpected(_)) | Failure::Internal(_) => {
                Tr::new(lang).t("err.internal").to_string()
            }
            Failure::Use(e) => e
                .message()
                .map(|m| m.render(lang))
                .unwrap_or_else(|| e.to_string()),
            other => other.to_string(),
        }
    }

    fn retry_after(&self, mut r: Response) -> Response {
        if let Failure::TooMany { retry_after, .. } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

impl From<sejahtera_app::StoreError> for Failure {
    fn from(e: sejahtera_app::StoreError) -> Failure {
        Failure::Internal(e.into())
    }
}

impl From<sejahtera_app::accounts::StatusError> for Failure {
    fn from(e: sejahtera_app::accounts::StatusError) -> Failure {
        use sejahtera_app::accounts::StatusError;
        match e {
            StatusError::Forbidden => Failure::Forbidden(e.to_string()),
            StatusError::OwnAccount => Failure::BadRequest(e.to_string()),
            StatusError::NotFound => Failure::NotFound,
            StatusError::Store(s) => Failure::Internal(s.into()),
        }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        Failure::Use(e)
    }
}

impl Failure {
    /// Classifies an error of a use case: a rule's refusal (409), not found
    /// (404), forbidden (403), invalid input (400) or ours (500).
    pub fn of_program(e: AppError) -> Failure {
        e.into()
    }
}

impl From<AccessError> for Failure {
    fn from(e: AccessError) -> Failure {
        Failure::Use(e.into())
    }
}

impl axum::response::IntoResponse for Failure {
    /// As JSON (extractor rejections; pages convert failures to [`PageError`]).
    fn into_response(self) -> Response {
        ApiError(self).into_response()
    }
}

/// A failure rendered as JSON.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let f = self.0;
        f.log();
        let message = f.message(Lang::En);
        let body = serde_json::json!({"error": {"code": f.code(), "message": message}});
        let mut r = (f.status(), Json(body)).into_response();
        // The API answers in the request's language: [`api_json_errors`]
        // renders the message again once it knows which.
        if let Failure::Use(e) = &f
            && let Some(m) = e.message()
        {
            r.extensions_mut().insert(Localize {
                code: f.code(),
                message: m.clone(),
            });
        }
        no_store(f.retry_after(r))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    signin: bool,
    t: Tr,
    nav: crate::views::Nav,
    status: u16,
    message: String,
}

/// A failure rendered as an HTML page (in the visitor's language).
#[derive(Debug)]
pub struct PageError {
    /// The failure.
    pub failure: Failure,
    /// The page language.
    pub lang: Lang,
}

impl PageError {
    /// A failure shown in `lang`.
    pub fn new(failure: impl Into<Failure>, lang: Lang) -> PageError {
        PageError {
            failure: failure.into(),
            lang,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let f = self.failure;
        f.log();
        let message = f.message(self.lang);
        let signin = matches!(f, Failure::Unauthorized);
        let page = ErrorPage {
            signin,
            t: Tr::new(self.lang),
            nav: crate::views::Nav::anonymous(self.lang),
            status: f.status().as_u16(),
            message,
        };
        let html = page
            .render()
            .unwrap_or_else(|_| "<!doctype html><title>error</title>error".into());
        no_store(f.retry_after((f.status(), Html(html)).into_response()))
    }
}

/// Marks an answer as not to be stored by any cache: error answers may echo the
/// request (a KK number in a refusal), and a shared cache must not keep them.
fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A use case's message in an API error, to be rendered in the request's language.
#[derive(Debug, Clone)]
struct Localize {
    code: &'static str,
    message: sejahtera_app::Msg,
}

/// The language of an API request: the `sj_lang` cookie when set, else the
/// first language of `Accept-Language` that we speak, else Indonesian.
pub(crate) fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    if let Some(l) =
        crate::auth::cookie(headers, crate::auth::LANG_COOKIE).and_then(|v| Lang::parse(&v))
    {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for tag in accept.split(',') {
        let tag = tag
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(l) = Lang::parse(primary) {
            return l;
        }
        if primary == "ms" {
            return Lang::Id;
        }
    }
    Lang::Id
}

/// Makes every answer under `/api/` JSON: a 4xx or 5xx that is not JSON already
/// (a rejection of the framework: malformed JSON or query, a path parameter
/// that does not parse, a wrong content type, a body too large, a method not
/// allowed, an unknown path) becomes the envelope `{"error":{"code":…,"message":…}}`
/// with the same status and headers (`Allow`, `Retry-After`). Installed as the
/// outermost layer of the whole router, so that no route, fallback or layer
/// (the body limit answers before any route runs) can slip through.
pub(crate) async fn api_json_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let lang = request_lang(req.headers());
    let mut r = next.run(req).await;
    if !api {
        return r;
    }
    if let Some(l) = r.extensions_mut().remove::<Localize>()
        && lang != Lang::En
    {
        let body =
            serde_json::json!({"error": {"code": l.code, "message": l.message.render(lang)}});
        let (mut parts, _) = r.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        r = Response::from_parts(parts, axum::body::Body::from(body.to_string()));
    }
    let r = as_envelope(r).await;
    if r.status().is_client_error() || r.status().is_server_error() {
        return no_store(r);
    }
    r
}

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn as_envelope(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&r) {
        return r;
    }
    let (mut parts, body) = r.into_parts();
    // The framework's texts are short; anything longer is not one of them.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, message) = rejection_message(status, &text);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), "request failed outside a handler");
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

/// The envelope's code and message for a status and the framework's text.
/// Only the parts of the text that describe the client's input are kept, with
/// the server's type names replaced; a server error says nothing more.
pub(crate) fn rejection_message(status: StatusCode, text: &str) -> (&'static str, String) {
    let text = text.trim();
    let detail = |prefix: &str, lead: &str| {
        text.strip_prefix(prefix)
            .map(|rest| format!("{lead}: {}", sanitize(rest)))
    };
    match status.as_u16() {
        400 => (
            "bad_request",
            detail(
                "Failed to parse the request body as JSON: ",
                "the body is not valid JSON",
            )
            .or_else(|| {
                detail(
                    "Failed to deserialize query string: ",
                    "bad query parameter",
                )
            })
            .or_else(|| detail("Invalid URL: ", "bad path parameter"))
            .or_else(|| {
                detail(
                    "Failed to deserialize the JSON body into the target type: ",
                    "bad field",
                )
            })
            .or_else(|| detail("Failed to deserialize form body: ", "bad form field"))
            .unwrap_or_else(|| "malformed request".into()),
        ),
        401 => ("unauthorized", "sign in first".into()),
        403 => ("forbidden", "forbidden".into()),
        404 => ("not_found", "not found".into()),
        405 => (
            "method_not_allowed",
            "method not allowed (see the Allow header)".into(),
        ),
        408 => ("timeout", "request timed out".into()),
        409 => ("refused", "refused".into()),
        413 => ("payload_too_large", "request body too large".into()),
        415 => (
            "unsupported_media_type",
            "unsupported content type: send Content-Type: application/json".into(),
        ),
        422 => (
            "unprocessable_entity",
            detail(
                "Failed to deserialize the JSON body into the target type: ",
                "the JSON body does not fit",
            )
            .unwrap_or_else(|| "the JSON body does not fit".into()),
        ),
        429 => ("too_many_requests", "too many requests".into()),
        s if s >= 500 => ("internal", "internal error".into()),
        _ => ("bad_request", "request refused".into()),
    }
}

/// A framework message about the client's input, without Rust type names and
/// cut to a sensible length.
fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut words = text.split(' ').peekable();
    while let Some(w) = words.next() {
        let bare = w.trim_matches(|c: char| c == '`' || c == ',' || c == '.');
        let replaced = match bare {
            "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128"
            | "isize" | "usize" => Some("an integer in range"),
            "f32" | "f64" => Some("a number"),
            "struct" | "enum" | "tuple" => {
                // `struct Foo`: the server's type name.
                words.next();
                Some("an object")
            }
            _ => None,
        };
        if !out.is_empty() {
            out.push(' ');
        }
        match replaced {
            Some(r) => {
                out.push_str(r);
                if w.ends_with(',') {
                    out.push(',');
                }
            }
            None => out.push_str(w),
        }
    }
    if out.chars().count() > 200 {
        out = out.chars().take(200).collect::<String>() + "…";
    }
    out
}

#[cfg(test)]
mod envelope_tests {
    use super::*;

    #[test]
    fn rejections_keep_the_input_but_not_the_server_types() {
        let (c, m) = rejection_message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize the JSON body into the target type: invalid type: string \"x\", expected struct SearchBody at line 1 column 3",
        );
        assert_eq!(c, "unprocessable_entity");
        assert!(!m.contains("SearchBody"), "{m}");
        assert!(m.contains("an object"), "{m}");
        let (c, m) = rejection_message(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize query string: page: invalid digit found in string",
        );
        assert_eq!(c, "bad_request");
        assert_eq!(
            m,
            "bad query parameter: page: invalid digit found in string"
        );
        let (_, m) = rejection_message(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse `abc` to a `i64`",
        );
        assert!(!m.contains("i64"), "{m}");
        let (c, m) = rejection_message(StatusCode::INTERNAL_SERVER_ERROR, "panic at foo.rs:12");
        assert_eq!((c, m.as_str()), ("internal", "internal error"));
    }
}

/// The accepted ranges of the API's inputs (the OpenAPI document states the
/// same numbers): out of range is a 400 naming the field, never a wrap-around,
/// an overflow or a clamp the caller cannot see.
pub(crate) mod limits {
    use super::Failure;

    /// Highest page number of a paginated list.
    pub const MAX_PAGE: u64 = 100_000;
    /// Largest page of a list.
    pub const MAX_PER_PAGE: u32 = 500;
    /// Largest page of a household search.
    pub const MAX_SEARCH_PER_PAGE: u32 = 200;
    /// Largest program budget (Rp 100 trillion, far above any regional program).
    pub const MAX_BUDGET: i64 = 100_000_000_000_000;
    /// Largest referral amount (Rp 100 billion, as the domain's limit).
    pub const MAX_AMOUNT: i64 = 100_000_000_000;
    /// Largest monthly income of an outcome (Rp 10 billion, as the domain's limit).
    pub const MAX_INCOME: i64 = 10_000_000_000;
    /// Largest capacity or village quota of a program (households).
    pub const MAX_CAPACITY: u32 = 10_000_000;
    /// Longest short text (names, topics, usernames, codes).
    pub const SHORT: usize = 200;
    /// Longest free text (eligibility expressions, notes, reasons).
    pub const LONG: usize = 4000;
    /// Longest password.
    pub const PASSWORD: usize = 1024;
    /// Most items of a list in one body (marks, outcomes, ids, villages).
    pub const MAX_ITEMS: usize = 10_000;

    /// A page and its size (1-based page number; the default page size when
    /// absent), and the number of items before it.
    pub fn paging(
        page: Option<u64>,
        per_page: Option<u32>,
        default_per_page: u32,
        max_per_page: u32,
    ) -> Result<(u64, u32, usize), Failure> {
        let page = range("page", page.unwrap_or(1), 1, MAX_PAGE)?;
        let per_page = range(
            "per_page",
            per_page.unwrap_or(default_per_page),
            1,
            max_per_page,
        )?;
        let skip = (page - 1)
            .checked_mul(u64::from(per_page))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Failure::BadRequest("page: out of range".into()))?;
        Ok((page, per_page, skip))
    }

    /// A number within `min..=max`, or a 400 naming the field.
    pub fn range<T: PartialOrd + std::fmt::Display + Copy>(
        field: &str,
        v: T,
        min: T,
        max: T,
    ) -> Result<T, Failure> {
        if v < min || v > max {
            return Err(Failure::BadRequest(format!(
                "{field} must be at least {min} and at most {max}"
            )));
        }
        Ok(v)
    }

    /// An id (1 or more).
    pub fn id(field: &str, v: i64) -> Result<i64, Failure> {
        range(field, v, 1, i64::MAX)
    }

    /// A text of at most `max` characters.
    pub fn text(field: &str, v: &str, max: usize) -> Result<(), Failure> {
        if v.chars().count() > max {
            return Err(Failure::BadRequest(format!(
                "{field} may be at most {max} characters long"
            )));
        }
        Ok(())
    }

    /// A list of at most `max` items.
    pub fn items(field: &str, n: usize, max: usize) -> Result<(), Failure> {
        if n > max {
            return Err(Failure::BadRequest(format!(
                "{field} may have at most {max} items"
            )));
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn pages_are_range_checked_not_wrapped() {
            assert_eq!(paging(None, None, 100, 500).unwrap(), (1, 100, 0));
            assert_eq!(paging(Some(3), Some(10), 100, 500).unwrap(), (3, 10, 20));
            assert!(paging(Some(0), None, 100, 500).is_err());
            assert!(paging(Some(u64::MAX), None, 100, 500).is_err());
            assert!(paging(Some(MAX_PAGE + 1), None, 100, 500).is_err());
            assert!(paging(None, Some(0), 100, 500).is_err());
            assert!(paging(None, Some(501), 100, 500).is_err());
            assert!(paging(Some(MAX_PAGE), Some(500), 100, 500).is_ok());
            assert!(id("id", 0).is_err() && id("id", 1).is_ok());
            assert!(text("name", "ééé", 3).is_ok() && text("name", "éééé", 3).is_err());
        }
    }
}
