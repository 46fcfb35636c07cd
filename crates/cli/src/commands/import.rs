//! `sejahtera import households|persons FILE` and `sejahtera import template KIND`.

use std::path::PathBuf;
use std::process::ExitCode;

use sejahtera_app::import::{
    ImportError, ImportOptions, Kind, default_rejects_path, import, template,
};

use sejahtera_app::{Clock, SystemClock};

use crate::Global;
use crate::progress::Bar;

/// Import households or persons from CSV or XLSX, or print an empty template.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Import households (keyed by no_kk). Import them before their persons.
    Households(FileArgs),
    /// Import persons (keyed by nik); their households must be stored.
    Persons(FileArgs),
    /// Print an empty CSV with the headers of a kind.
    Template {
        /// households or persons.
        #[arg(value_enum)]
        kind: KindArg,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Households,
    Persons,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Households => Kind::Households,
            KindArg::Persons => Kind::Persons,
        }
    }
}

#[derive(Debug, clap::Args)]
struct FileArgs {
    /// The file: .csv (UTF-8, `,` or `;`) or .xlsx (first sheet).
    file: PathBuf,
    /// Where to write rejected rows (line,column,reason,raw); default `<FILE>.rejects.csv`.
    #[arg(long)]
    rejects: Option<PathBuf>,
}

/// Exit code when some rows were rejected and the rest stored.
pub const EXIT_SOME_REJECTED: u8 = 3;
/// Exit code when the input is unusable and nothing was written.
pub const EXIT_UNUSABLE: u8 = 2;

/// Runs `import`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (kind, file) = match args.what {
        What::Template { kind } => {
            print!("{}", template(kind.into()));
            return Ok(ExitCode::SUCCESS);
        }
        What::Households(f) => (Kind::Households, f),
        What::Persons(f) => (Kind::Persons, f),
    };
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let bar = Bar::new(g.quiet).with_bytes();
    let opts = ImportOptions {
        rejects: file
            .rejects
            .clone()
            .unwrap_or_else(|| default_rejects_path(&file.file)),
        today: SystemClock.today(),
        progress: &bar,
        scope: None,
    };
    let result = import(&store, &regions, kind, &file.file, &opts).await;
    store.close().await;
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, ImportError::Store(_)) {
                tracing::error!(error = %e, "import failed while storing");
            }
            println!("accepted 0, rejected 0, warnings 0");
            return Ok(ExitCode::from(EXIT_UNUSABLE));
        }
    };
    if !g.quiet {
        const SHOWN: usize = 20;
        for w in report.warnings.iter().take(SHOWN) {
            eprintln!("warning: {w}");
        }
        if report.warnings.len() > SHOWN {
            eprintln!(
                "warning: … and {} more warnings",
                report.warnings.len() - SHOWN
            );
        }
        for n in report.notes.iter().take(SHOWN) {
            eprintln!("note: {n}");
        }
        if report.notes.len() > SHOWN {
            eprintln!("note: … and {} more notes", report.notes.len() - SHOWN);
        }
        println!(
            "{}: {} new, {} updated, {} unchanged",
            kind.as_str(),
            report.stats.inserted,
            report.stats.updated,
            report.stats.unchanged
        );
        if report.rejected > 0 {
            println!("rejected rows written to {}", report.rejects_path.display());
        }
    }
    println!(
        "accepted {}, rejected {}, warnings {}",
        report.accepted,
        report.rejected,
        report.warnings.len()
    );
    Ok(if report.rejected > 0 {
        ExitCode::from(EXIT_SOME_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}
