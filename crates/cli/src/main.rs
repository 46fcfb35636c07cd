//! `sejahtera`: the command-line adapter over the application's use cases.
//!
//! One module per subcommand under `commands/`, each with a clap `Args` struct
//! and a `run()` function returning the process exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod output;
mod progress;

/// Sejahtera: welfare-based economic policy for Indonesian regional governments.
#[derive(Debug, Parser)]
#[command(name = "sejahtera", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The database: a SQLite file (`PATH` or `sqlite://PATH`) or a PostgreSQL
    /// server (`postgres://USER:PASSWORD@HOST:PORT/DB`, `postgres://USER@/DB?host=/SOCKET/DIR`).
    #[arg(
        long,
        global = true,
        env = "SEJAHTERA_DB",
        default_value = "./sejahtera.db",
        value_name = "PATH|URL",
        hide_env_values = true,
        value_parser = DbUrlParser
    )]
    pub db: sejahtera_app::DbUrl,
    /// Print only the final summary line (no progress bars, no warnings list).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// Reads a database location; a bad one is refused without echoing it (a
/// URL may hold a password): the error names the option and says what is
/// wrong, with any password hidden.
#[derive(Debug, Clone, Copy)]
pub struct DbUrlParser;

impl clap::builder::TypedValueParser for DbUrlParser {
    type Value = sejahtera_app::DbUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let name = arg.map_or_else(|| "--db".to_string(), |a| a.to_string());
        let fail = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value for '{name}': {why}\n"),
            )
            .with_cmd(cmd)
        };
        let s = value
            .to_str()
            .ok_or_else(|| fail("the location is not valid UTF-8".into()))?;
        sejahtera_app::DbUrl::parse(s).map_err(|e| fail(e.to_string()))
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the database (if needed), run migrations and load the shipped region codes.
    Init(commands::init::Args),
    /// List region codes (province, regency, district, village) with their type and time zone.
    Regions(commands::regions::Args),
    /// Import households or persons from CSV/XLSX (or print a template).
    Import(commands::import::Args),
    /// Export households or persons as CSV or Parquet (staff only: personal data).
    Export(commands::export::Args),
    /// Households and persons per district.
    Summary(commands::summary::Args),
    /// Create (or reuse) the synthetic demo registry of Kota Kupang and Kabupaten Sarolangun.
    Demo(commands::demo::Args),
    /// Poverty (FGT with standard errors) and inequality indicators per group of a CSV/Parquet file.
    Measure(commands::measure::Args),
    /// Alkire-Foster multidimensional poverty (H, A, M0) per group of a CSV/Parquet file.
    Mpi(commands::mpi::Args),
    /// Participatory budgeting on Pabulib .pb files: greedy, Method of Equal Shares, Phragmén.
    Pb(commands::pb::Args),
    /// Program impact (staggered and doubly robust DiD, synthetic control) and target tracking.
    Evaluate(commands::evaluate::Args),
    /// Tamper-evident ledger: append events, signed checkpoints, inclusion/consistency proofs, verify.
    Ledger(commands::ledger::Args),
    /// Proxy-means test: fit weights from a survey sample, score and rank households into deciles.
    Pmt(commands::pmt::Args),
    /// Eligibility expressions: households and persons per district, staff exports.
    Eligibility(commands::eligibility::Args),
    /// Inclusion and exclusion errors of a selection against true consumption, per district.
    Targeting(commands::eligibility::TargetingArgs),
    /// Programs: define, dry-run, enroll, and run them (sessions, visits, referrals, outcomes).
    Program(commands::program::Args),
    /// Partners of programs (banks, koperasi, businesses): register and list them.
    Partner(commands::partner::Args),
    /// Serve the public portal, the staff console and the JSON API (/api/v1).
    Serve(commands::serve::ServeArgs),
    /// Create and list user accounts of the web console.
    User(commands::user::Args),
    /// Database administration: copy a whole database between SQLite and PostgreSQL.
    Db(commands::db::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(&cli.command, Command::Serve(_))
        || matches!(&cli.command, Command::Demo(a) if !a.no_serve);
    init_tracing(cli.global.quiet, serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(dispatch(cli));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Init(a) => commands::init::run(a, g).await,
        Command::Regions(a) => commands::regions::run(a, g).await,
        Command::Import(a) => commands::import::run(a, g).await,
        Command::Export(a) => commands::export::run(a, g).await,
        Command::Summary(a) => commands::summary::run(a, g).await,
        Command::Demo(a) => commands::demo::run(a, g).await,
        Command::Measure(a) => commands::measure::run(a, g).await,
        Command::Mpi(a) => commands::mpi::run(a, g).await,
        Command::Pb(a) => commands::pb::run(a, g).await,
        Command::Evaluate(a) => commands::evaluate::run(a, g).await,
        Command::Ledger(a) => commands::ledger::run(a, g).await,
        Command::Pmt(a) => commands::pmt::run(a, g).await,
        Command::Eligibility(a) => commands::eligibility::run(a, g).await,
        Command::Targeting(a) => commands::eligibility::run_targeting(a, g).await,
        Command::Program(a) => commands::program::run(a, g).await,
        Command::Partner(a) => commands::partner::run(a, g).await,
        Command::Serve(a) => commands::serve::run(a, g).await,
        Command::User(a) => commands::user::run(a, g).await,
        Command::Db(a) => commands::db::run(a, g).await,
    }
}

fn init_tracing(quiet: bool, serving: bool) {
    // A server logs one line per request (route template, status, time; never
    // the URL's text or personal data).
    let default = match (quiet, serving) {
        // sqlx's "slow statement" warnings (a full-registry scan takes over a
        // second by design) are not something a user can act on.
        (true, _) => "error",
        (false, true) => "warn,sqlx=error,sejahtera=info,sejahtera_web=info",
        (false, false) => "warn,sqlx=error",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEJAHTERA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
