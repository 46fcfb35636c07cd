//! The Sejahtera web server: the public transparency portal, the staff console
//! and the JSON API (`/api/v1`, OpenAPI 3 at `/api/v1/openapi.json`).
//!
//! [`Server::build`] is the one builder that `sejahtera serve`, `sejahtera demo`
//! and the integration tests share: it opens the store, loads regions, poverty
//! lines and map boundaries, binds the listener (port 0 in tests) and returns a
//! server to [`Server::run`].
//!
//! Handlers are thin: authorization rules live in `sejahtera_domain::access`,
//! use cases in `sejahtera_app`.
#![warn(missing_docs)]

// Shared pieces.
mod api;
mod auth;
mod error;
pub mod i18n;
pub mod map;
mod metrics;
mod openapi;
mod state;
mod upload;
mod views;

// Resources, each with its pages and its API side by side.
mod households;
mod imports;
mod partners;
mod portal;
mod programs;
mod referrals;
mod targeting;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use sejahtera_app::accounts::ThrottlePolicy;
use tokio::net::TcpListener;

pub use state::AppState;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` for an ephemeral port).
    pub bind: SocketAddr,
    /// The database (a SQLite file or a PostgreSQL URL).
    pub db: sejahtera_app::DbUrl,
    /// The shipped data directory (regions, poverty lines, boundaries).
    pub data_dir: PathBuf,
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    /// Login throttling limits.
    pub throttle: ThrottlePolicy,
    /// Addresses of the reverse proxies in front of the server (a TLS proxy):
    /// a request from one of them is counted against the client address named in
    /// its `X-Forwarded-For` header, not against the proxy. Empty: the socket peer
    /// is the client, and the header is ignored.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// A token that reads `/metrics` as `Authorization: Bearer TOKEN` (for a
    /// Prometheus scraper); without it only administrators' sessions read them.
    pub metrics_token: Option<String>,
    /// How often to look for registry changes made by other processes (e.g. a CLI import).
    pub poll_interval: Duration,
    /// Where the server's use cases get now and today (the system clock; a
    /// `FixedClock` where a caller needs a chosen date).
    pub clock: Arc<dyn sejahtera_app::clock::Clock>,
}

impl Config {
    /// A configuration with defaults for everything but the address and files.
    pub fn new(bind: SocketAddr, db: impl Into<sejahtera_app::DbUrl>, data_dir: PathBuf) -> Config {
        Config {
            bind,
            db: db.into(),
            data_dir,
            secure_cookies: false,
            throttle: ThrottlePolicy::default(),
            trusted_proxies: Vec::new(),
            metrics_token: None,
            poll_interval: Duration::from_secs(2),
            clock: Arc::new(sejahtera_app::clock::SystemClock),
        }
    }
}

/// A reverse proxy in front of the server: one address (`127.0.0.1`) or a
/// network of them (`10.0.0.0/8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxy(ipnet::IpNet);

impl TrustedProxy {
    /// Whether `addr` is this proxy (or in this network of proxies).
    pub fn contains(&self, addr: &std::net::IpAddr) -> bool {
        self.0.contains(addr)
    }
}

impl std::str::FromStr for TrustedProxy {
    type Err = String;
    fn from_str(s: &str) -> Result<TrustedProxy, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<ipnet::IpNet>() {
            return Ok(TrustedProxy(net.trunc()));
        }
        s.parse::<std::net::IpAddr>()
            .map(|a| TrustedProxy(ipnet::IpNet::from(a)))
            .map_err(|_| {
                format!("{s:?} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)")
            })
    }
}

/// A server bound to its address, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
    state: Arc<AppState>,
}

impl Server {
    /// Opens the store, loads the shipped data and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Server> {
        let state = Arc::new(AppState::open(&config).await?);
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let router = router(state.clone());
        state.spawn_generation_poller(config.poll_interval);
        Ok(Server {
            listener,
            router,
            state,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The shared state (for tests and for warming caches).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server failed")?;
        self.state.store.clone().close().await;
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(portal::routes())
        .merge(users::routes())
        .merge(households::routes())
        .merge(imports::routes())
        .merge(targeting::routes())
        .merge(programs::routes())
        .merge(referrals::routes())
        .nest("/api/v1", api::routes())
        .merge(metrics::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // The hard ceiling of any body; the import routes count the file itself
        // against `upload::MAX_UPLOAD_BYTES` as they stream it to disk, every
        // other route keeps the framework's 2 MiB limit.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            upload::MAX_UPLOAD_BYTES as usize + 1024 * 1024,
        ))
        // Outermost: every answer under /api/ is the JSON error envelope, even
        // the framework's own rejections and the body limit's 413.
        .layer(axum::middleware::from_fn(error::api_json_errors))
        .with_state(state)
}

/// The confirmation keys of the program pages (for the i18n test).
#[cfg(test)]
pub(crate) fn program_pages_done_keys() -> &'static [&'static str] {
    programs::DONE
}
