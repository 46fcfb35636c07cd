//! `/healthz`, `/metrics` (Prometheus text format) and the request middleware
//! that counts, times and logs every request by its route template — never by
//! its raw URL, so no query text or identifier reaches a log line.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.25 ms … ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    /// How often indicator tables were (re)computed.
    pub indicator_computations: Counter,
    /// Failed sign-ins.
    pub login_failures: Counter,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("sejahtera");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            requests.clone(),
        );
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            latency.clone(),
        );
        let indicator_computations = Counter::default();
        registry.register(
            "indicator_computations",
            "Computations of the indicator tables (cache misses)",
            indicator_computations.clone(),
        );
        let login_failures = Counter::default();
        registry.register(
            "login_failures",
            "Failed or throttled sign-in attempts",
            login_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            indicator_computations,
            login_failures,
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match sejahtera_app::summary::registry_generation(&state.store).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// The metrics: for administrators' sessions, or for a scraper that sends
/// `Authorization: Bearer TOKEN` with the token configured at start
/// (`--metrics-token`). Request counts by route and failed sign-ins say how the
/// portal is used and attacked: not for everyone on the internet.
async fn metrics(
    State(state): State<Arc<AppState>>,
    user: crate::auth::MaybeUser,
    headers: axum::http::HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let by_token = matches!(
        (state.metrics_token.as_deref(), bearer),
        (Some(want), Some(given)) if sejahtera_app::accounts::tokens_equal(want, given.trim())
    );
    if !by_token && let Err(e) = user.admin() {
        return crate::error::ApiError(e).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Headers every answer carries: no sniffing, no framing, no referrer to other
/// sites, and a content security policy that allows nothing from elsewhere and
/// no scripts at all (the pages need none).
fn security_headers(h: &mut axum::http::HeaderMap) {
    use axum::http::HeaderValue;
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

/// The method as a metric label and log field: one of the standard methods, or
/// `OTHER`, so a client inventing method names cannot grow the label set.
fn method_label(m: &axum::http::Method) -> String {
    use axum::http::Method;
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if KNOWN.contains(m) {
        m.as_str().to_string()
    } else {
        "OTHER".to_string()
    }
}

/// Counts, times and logs a request.
pub(crate) async fn track(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let mut response = next.run(req).await;
    security_headers(response.headers_mut());
    let status = response.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(secs);
    tracing::info!(
        target: "sejahtera::http",
        method = %method,
        route = %route,
        status,
        ms = secs * 1000.0,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::method_label;
    use axum::http::Method;

    #[test]
    fn invented_methods_share_one_metrics_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let invented = Method::from_bytes("X".repeat(2000).as_bytes()).unwrap();
        assert_eq!(method_label(&invented), "OTHER");
        assert_eq!(method_label(&Method::from_bytes(b"FOO").unwrap()), "OTHER");
    }
}
