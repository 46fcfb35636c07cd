//! `sejahtera regions`: list region codes with type and time zone.

use std::process::ExitCode;

use anyhow::Context;
use sejahtera_domain::RegionCode;

use crate::Global;
use crate::output::{Format, Rows};

/// List regions: `code,name,level,parent_code,type,timezone`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only regions strictly below this code (dots optional), e.g. 53.71 or 537101.
    #[arg(long)]
    pub under: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `regions`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    store.close().await;
    let under = args
        .under
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .context("--under")?;
    if let Some(u) = &under
        && regions.get(u).is_none()
    {
        anyhow::bail!("--under {u}: no such region (see `sejahtera regions`)");
    }
    let mut rows = Rows::new(&["code", "name", "level", "parent_code", "type", "timezone"]);
    let list: Box<dyn Iterator<Item = _>> = match &under {
        Some(u) => Box::new(regions.descendants(u)),
        None => Box::new(regions.iter()),
    };
    for r in list {
        rows.push(vec![
            Some(r.code.to_string()),
            Some(r.name.clone()),
            Some(r.level.as_str().to_string()),
            r.parent_code.as_ref().map(|p| p.to_string()),
            r.village_type().map(|t| t.as_str().to_string()),
            r.timezone().map(|t| t.iana().to_string()),
        ]);
    }
    rows.print(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
