//! Errors of handlers, split into "your fault" (4xx with a message) and "ours"
//! (500; the cause is logged, the client sees only that it failed).
//!
//! The same failure renders as an HTML page for the portal and console
//! ([`PageError`]) and as a JSON body `{"error":{"code":…,"message":…}}` for the
//! API ([`ApiError`]).

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
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
    /// Nothing there, saying what was looked for.
    #[error("{0}")]
    Missing(String),
    /// A rule refused the request (capacity, quota, exclusivity, lifecycle…).
    #[error("{0}")]
    Refused(String),
    /// Too many attempts.
    #[error("{message}")]
    TooMany {
        /// Message.
        message: String,
        /// When to retry.
        retry_after: Duration,
    },
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
            Failure::NotFound | Failure::Missing(_) => StatusCode::NOT_FOUND,
            Failure::Refused(_) => StatusCode::CONFLICT,
            Failure::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::BadRequest(_) => "bad_request",
            Failure::Unauthorized => "unauthorized",
            Failure::BadCredentials => "invalid_credentials",
            Failure::Forbidden(_) => "forbidden",
            Failure::NotFound | Failure::Missing(_) => "not_found",
            Failure::Refused(_) => "refused",
            Failure::TooMany { .. } => "too_many_requests",
            Failure::Internal(_) => "internal",
        }
    }

    fn log(&self) {
        if let Failure::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
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

impl From<sejahtera_store::StoreError> for Failure {
    fn from(e: sejahtera_store::StoreError) -> Failure {
        Failure::Internal(e.into())
    }
}

impl Failure {
    /// Classifies an error of a program use case: a rule's refusal (409), not
    /// found (404), forbidden (403), invalid input (400) or ours (500).
    pub fn of_program(e: anyhow::Error) -> Failure {
        use sejahtera_app::programs::Denied;
        if let Some(r) = e.downcast_ref::<sejahtera_domain::programs::Refusal>() {
            return Failure::Refused(r.to_string());
        }
        if let Some(r) = e.downcast_ref::<sejahtera_domain::delivery::DeliveryRefusal>() {
            return Failure::Refused(r.to_string());
        }
        if let Some(r) = e.downcast_ref::<sejahtera_domain::programs::ProgramError>() {
            return Failure::BadRequest(r.to_string());
        }
        if let Some(AccessError::Store(_)) = e.downcast_ref::<AccessError>() {
            return Failure::Internal(e);
        }
        match e.downcast::<Denied>() {
            Ok(Denied::NotFound(m)) => Failure::Missing(m),
            Ok(Denied::Forbidden(m)) => Failure::Forbidden(m),
            Ok(Denied::Invalid(m)) => Failure::BadRequest(m),
            Err(e) => {
                // Validation errors of the use cases come back as plain messages
                // with context (eligibility syntax, unknown villages or partners).
                if e.chain().any(|c| c.is::<sejahtera_store::StoreError>()) {
                    Failure::Internal(e)
                } else {
                    Failure::BadRequest(format!("{e:#}"))
                }
            }
        }
    }
}

impl From<AccessError> for Failure {
    fn from(e: AccessError) -> Failure {
        match e {
            AccessError::Forbidden | AccessError::OutsideScope => Failure::Forbidden(e.to_string()),
            AccessError::NotFound => Failure::NotFound,
            AccessError::BadQuery(m) => Failure::BadRequest(m),
            AccessError::Store(s) => Failure::Internal(s.into()),
        }
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
        let message = match &f {
            Failure::Internal(_) => "internal error; the cause has been logged".to_string(),
            other => other.to_string(),
        };
        let body = serde_json::json!({"error": {"code": f.code(), "message": message}});
        f.retry_after((f.status(), Json(body)).into_response())
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
        let message = match &f {
            Failure::Internal(_) => "internal error; the cause has been logged".to_string(),
            other => other.to_string(),
        };
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
        f.retry_after((f.status(), Html(html)).into_response())
    }
}
