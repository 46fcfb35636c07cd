//! `sejahtera serve`: the web portal, staff console and API.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use sejahtera_web::{Config, Server, shutdown_signal};

use crate::Global;

/// Serve the public portal, the staff console and the JSON API.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "SEJAHTERA_BIND")]
    pub bind: SocketAddr,
    /// Mark cookies Secure (set this when a TLS proxy serves the portal).
    #[arg(long, env = "SEJAHTERA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Address (or network, e.g. 10.0.0.0/8) of a reverse proxy in front of the server (repeat, or separate with
    /// commas). Requests from it are counted against the client address in its
    /// `X-Forwarded-For` header; from anyone else the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "SEJAHTERA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<sejahtera_web::TrustedProxy>,
    /// A secret that lets a scraper read /metrics with `Authorization: Bearer TOKEN`
    /// (otherwise only administrators signed in read them). Prefer the environment
    /// variable: an argument shows in the process list.
    #[arg(long, env = "SEJAHTERA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// Builds the server, warms the indicator cache, prints the address and serves
/// until Ctrl-C or SIGTERM.
pub async fn serve(args: &ServeArgs, g: &Global, banner: &[String]) -> anyhow::Result<()> {
    let mut config = Config::new(
        args.bind,
        g.db.clone(),
        sejahtera_app::regions::default_data_dir(),
    );
    config.secure_cookies = args.secure_cookies;
    config.trusted_proxies = args.trusted_proxies.clone();
    config.metrics_token = args.metrics_token.clone();
    let server = Server::build(config).await?;
    let started = std::time::Instant::now();
    server
        .state()
        .indicators()
        .await
        .context("computing the portal's indicators")?;
    let addr = server.local_addr();
    println!(
        "serving on http://{addr}/ (indicators ready in {:.1} s); Ctrl-C stops",
        started.elapsed().as_secs_f64()
    );
    for line in banner {
        println!("{line}");
    }
    server.run(shutdown_signal()).await
}

/// Runs `serve`.
pub async fn run(args: ServeArgs, g: &Global) -> anyhow::Result<ExitCode> {
    serve(&args, g, &[]).await?;
    Ok(ExitCode::SUCCESS)
}
