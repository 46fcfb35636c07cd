//! Shared state of the server.

use sejahtera_app::clock::Clock;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sejahtera_app::Store;
use sejahtera_app::accounts::LoginThrottle;
use sejahtera_app::indicators::{IndicatorCache, IndicatorTables};
use sejahtera_app::regions::PovertyLine;
use sejahtera_domain::Regions;

use crate::Config;
use crate::map::Maps;
use crate::metrics::Metrics;

/// Everything the handlers share.
pub struct AppState {
    /// The registry store.
    pub store: Store,
    /// The region hierarchy.
    pub regions: Regions,
    /// The shipped poverty lines (amount, period, source).
    pub lines: Vec<PovertyLine>,
    /// Projected map outlines.
    pub maps: Maps,
    /// Indicator tables, recomputed when the registry changes.
    pub cache: IndicatorCache,
    /// The registry generation last seen.
    pub generation: AtomicU64,
    /// Failed-login counters.
    pub throttle: LoginThrottle,
    /// Request metrics.
    pub metrics: Metrics,
    /// Whether cookies carry `Secure`.
    pub secure_cookies: bool,
    /// The bearer token that reads `/metrics` without a session.
    pub metrics_token: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<crate::TrustedProxy>,
    /// Now and today, as every use case is given them.
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// Opens the store and loads the shipped data.
    pub async fn open(config: &Config) -> anyhow::Result<AppState> {
        let (store, regions) = sejahtera_app::regions::open(&config.db, &config.data_dir).await?;
        let lines = sejahtera_app::regions::load_poverty_lines(&config.data_dir)?;
        let maps = Maps::load(&config.data_dir).context("loading map boundaries")?;
        let generation = sejahtera_app::summary::registry_generation(&store).await?;
        Ok(AppState {
            store,
            regions,
            lines,
            maps,
            cache: IndicatorCache::new(),
            generation: AtomicU64::new(generation),
            throttle: LoginThrottle::new(config.throttle),
            metrics: Metrics::new(),
            secure_cookies: config.secure_cookies,
            trusted_proxies: config.trusted_proxies.clone(),
            metrics_token: config.metrics_token.clone().filter(|t| !t.is_empty()),
            clock: config.clock.clone(),
        })
    }

    /// The indicator tables of the current registry generation.
    pub async fn indicators(&self) -> Result<Arc<IndicatorTables>, sejahtera_app::Error> {
        let g = self.generation.load(Ordering::Acquire);
        if let Some(t) = self.cache.peek(g) {
            return Ok(t);
        }
        self.metrics.indicator_computations.inc();
        self.cache
            .get(g, &self.store, &self.regions, &self.lines, &*self.clock)
            .await
    }

    /// Re-reads the registry generation (after a change made by this server).
    pub async fn refresh_generation(&self) -> anyhow::Result<()> {
        let g = sejahtera_app::summary::registry_generation(&self.store).await?;
        self.generation.store(g, Ordering::Release);
        Ok(())
    }

    /// Watches the registry generation so that changes made by other processes
    /// (a CLI import) invalidate the cached indicators; also sweeps expired sessions.
    pub fn spawn_generation_poller(self: &Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let mut sweeps = 0u64;
            loop {
                tick.tick().await;
                let Some(state) = weak.upgrade() else { break };
                if let Err(e) = state.refresh_generation().await {
                    tracing::warn!(error = %e, "cannot read the registry generation");
                }
                sweeps += 1;
                if sweeps.is_multiple_of(30) {
                    let secs = state.clock.now().timestamp();
                    let _ = state.throttle.sweep(&state.store, secs).await;
                }
                if sweeps.is_multiple_of(300) {
                    let now = state.clock.now().to_rfc3339();
                    let _ = sejahtera_app::accounts::sweep_sessions(&state.store, &now).await;
                }
            }
        });
    }
}
