//! `sejahtera init`: create the database and load the shipped region codes.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Global;

/// Create the database (if needed), migrate it and load the region codes under `data/wilayah/`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder with the shipped data (`wilayah/*.csv`); default `$SEJAHTERA_DATA`, `./data` or the source tree's `data/`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Runs `init`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let data = args
        .data_dir
        .unwrap_or_else(sejahtera_app::regions::default_data_dir);
    let (store, regions) = sejahtera_app::regions::init(&g.db, &data).await?;
    let count = |l| regions.iter().filter(|r| r.level == l).count();
    use sejahtera_domain::region::Level::*;
    println!(
        "{}: {} regions loaded ({} provinces, {} regencies, {} districts, {} villages)",
        g.db,
        regions.len(),
        count(Province),
        count(Regency),
        count(District),
        count(Village)
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
