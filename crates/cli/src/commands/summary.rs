//! `sejahtera summary`: households and persons per district.

use std::process::ExitCode;

use sejahtera_app::summary::Counts;

use crate::Global;
use crate::output::{Format, Rows};

/// Households and persons per district (with women and data-quality flags), then a total row.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn row(code: &str, name: &str, c: &Counts) -> Vec<Option<String>> {
    [code.to_string(), name.to_string()]
        .into_iter()
        .chain([c.households, c.persons, c.women, c.flagged].map(|n| n.to_string()))
        .map(Some)
        .collect()
}

/// Runs `summary`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (store, _) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let (districts, total) = sejahtera_app::summary::by_district(&store).await?;
    store.close().await;
    let mut rows = Rows::new(&[
        "district",
        "name",
        "households",
        "persons",
        "women",
        "flagged_persons",
    ])
    .numeric(&["households", "persons", "women", "flagged_persons"]);
    for d in &districts {
        rows.push(row(d.code.as_str(), &d.name, &d.counts));
    }
    rows.push(row("(all)", "(all)", &total));
    rows.print(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
