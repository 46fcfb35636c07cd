//! `sejahtera export households|persons --format csv|parquet`.
//!
//! Exports hold personal data (names, NIK, addresses): they are for staff, never
//! for publication.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use sejahtera_app::export::{export_csv, export_parquet};
use sejahtera_app::import::Kind;

use crate::Global;

/// Export the registry with the import's column names (a CSV export re-imports unchanged).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// households or persons.
    #[arg(value_enum)]
    kind: KindArg,
    /// csv (default, to stdout or --output) or parquet (needs --output).
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// Output file (default: stdout for CSV).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Households,
    Persons,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Parquet,
}

/// Runs `export`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let kind = match args.kind {
        KindArg::Households => Kind::Households,
        KindArg::Persons => Kind::Persons,
    };
    if args.format == ExportFormat::Parquet && args.output.is_none() {
        bail!("--format parquet needs --output FILE");
    }
    let (store, _) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let n = match (args.format, &args.output) {
        (ExportFormat::Parquet, Some(path)) => export_parquet(&store, kind, path).await?,
        (_, Some(path)) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let n = export_csv(&store, kind, &mut w).await?;
            w.flush()?;
            n
        }
        (_, None) => {
            let mut w = std::io::BufWriter::new(std::io::stdout());
            let n = export_csv(&store, kind, &mut w).await?;
            w.flush()?;
            n
        }
    };
    store.close().await;
    if !g.quiet {
        eprintln!(
            "exported {n} {} (contains personal data: staff use only)",
            kind.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}
