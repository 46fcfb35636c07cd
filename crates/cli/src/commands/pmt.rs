//! `sejahtera pmt`: proxy-means test — draw a sample (demo), fit the weights by
//! least squares, score and rank every household into deciles (docs/pmt.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use sejahtera_app::pmt;
use sejahtera_app::snapshot::load;
use sejahtera_app::{Clock, SystemClock};
use sejahtera_domain::region::Level;

use crate::Global;
use crate::output::{Format, Rows};

/// Proxy-means test: fit weights from a survey sample, score and rank households into deciles.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

/// The area deciles are ranked within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Area {
    /// The regency/city (kabupaten/kota).
    Regency,
    /// The district (kecamatan).
    District,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Write a sample `no_kk,konsumsi_per_kapita` from the demo's true consumption (household_truth).
    Sample {
        /// Share of households drawn (0-1].
        #[arg(long, default_value_t = 0.1)]
        fraction: f64,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output CSV file.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Fit the weights: least squares of ln(konsumsi_per_kapita) on the registry's proxies.
    Estimate {
        /// Sample CSV: no_kk, konsumsi_per_kapita and optionally bobot (survey weight).
        #[arg(long, value_name = "FILE")]
        sample: PathBuf,
        /// Write the fitted weights (TOML) here.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Output format of the fit summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Score every household, rank it into deciles (1 = poorest) within its area and store both.
    Score {
        /// Weights file; default: data/pmt_weights.toml.
        #[arg(long, value_name = "FILE")]
        weights: Option<PathBuf>,
        /// Area deciles are ranked within.
        #[arg(long, value_enum, default_value_t = Area::Regency)]
        area: Area,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Runs `pmt`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let today = SystemClock.today();
    match args.cmd {
        Cmd::Sample {
            fraction,
            seed,
            output,
        } => {
            let snap = load(&store, &regions, today, false).await?;
            let rows = pmt::sample_from_truth(&store, &snap, fraction, seed).await?;
            pmt::write_sample(&output, &rows)?;
            println!(
                "{} sampled households written to {}",
                rows.len(),
                output.display()
            );
        }
        Cmd::Estimate {
            sample,
            output,
            format,
        } => {
            let rows = pmt::read_sample(&sample)?;
            let snap = load(&store, &regions, today, false).await?;
            let mut fit = pmt::fit(&snap, &rows)?;
            fit.weights.source = Some(format!(
                "sejahtera pmt estimate --sample {}",
                sample.display()
            ));
            let cols = [
                "n",
                "coefficients",
                "r2",
                "adj_r2",
                "rmse",
                "unmatched",
                "aliased",
            ];
            let mut t = Rows::new(&cols).numeric(&cols[..6]);
            t.push(vec![
                Some(fit.n.to_string()),
                Some(fit.k.to_string()),
                Some(format!("{:.4}", fit.r2)),
                Some(format!("{:.4}", fit.adj_r2)),
                Some(format!("{:.4}", fit.rmse)),
                Some(fit.unmatched.to_string()),
                Some(
                    fit.aliased
                        .iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ]);
            t.print(format, &mut std::io::stdout().lock())?;
            if let Some(path) = output {
                std::fs::write(&path, pmt::weights_to_toml(&fit.weights))?;
                if !g.quiet {
                    eprintln!("weights written to {}", path.display());
                }
            }
        }
        Cmd::Score {
            weights,
            area,
            format,
        } => {
            let path = weights.unwrap_or_else(pmt::default_weights_path);
            let w = pmt::read_weights(&path)?;
            let snap = load(&store, &regions, today, false).await?;
            let level = match area {
                Area::Regency => Level::Regency,
                Area::District => Level::District,
            };
            let ranked = pmt::score_and_store(&store, &snap, &w, level, &SystemClock).await?;
            let mut t = Rows::new(&["area", "name", "households", "min_score", "max_score"])
                .numeric(&["households", "min_score", "max_score"]);
            for a in &ranked {
                t.push(vec![
                    Some(a.code.to_string()),
                    Some(a.name.clone()),
                    Some(a.households.to_string()),
                    Some(format!("{:.4}", a.min_score)),
                    Some(format!("{:.4}", a.max_score)),
                ]);
            }
            t.print(format, &mut std::io::stdout().lock())?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
