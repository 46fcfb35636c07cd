//! `sejahtera db`: moving a whole database between SQLite and PostgreSQL.

use std::process::ExitCode;

use sejahtera_app::DbUrl;
use sejahtera_app::db::CopyError;

use crate::Global;
use crate::output::{Format, Rows};
use crate::progress::Bar;

/// Database administration.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Copy a whole database into an empty one, in either direction between SQLite
    /// and PostgreSQL; prints the rows copied per table.
    Copy(CopyArgs),
}

#[derive(Debug, clap::Args)]
struct CopyArgs {
    /// The database to copy: a SQLite file (`PATH`, `sqlite://PATH`) or `postgres://…`.
    #[arg(long, value_name = "PATH|URL", value_parser = crate::DbUrlParser)]
    from: DbUrl,
    /// The empty database to copy into (created if it is a new SQLite file).
    #[arg(long, value_name = "PATH|URL", value_parser = crate::DbUrlParser)]
    to: DbUrl,
    /// Output format of the row counts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Runs `db`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Copy(a) => copy(a, g).await,
    }
}

async fn copy(a: CopyArgs, g: &Global) -> anyhow::Result<ExitCode> {
    let bar = Bar::new(g.quiet);
    let counts = match sejahtera_app::db::copy(&a.from, &a.to, &bar).await {
        Ok(c) => c,
        Err(e @ (CopyError::NotEmpty { .. } | CopyError::Same(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    };
    let mut rows = Rows::new(&["table", "rows"]).numeric(&["rows"]);
    for c in &counts {
        rows.push(vec![Some(c.table.to_string()), Some(c.rows.to_string())]);
    }
    rows.print(a.format, &mut std::io::stdout().lock())?;
    if !g.quiet {
        eprintln!(
            "copied {} rows in {} tables from {} to {}",
            counts.iter().map(|c| c.rows).sum::<u64>(),
            counts.len(),
            a.from,
            a.to
        );
    }
    Ok(ExitCode::SUCCESS)
}
