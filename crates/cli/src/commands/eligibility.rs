//! `sejahtera eligibility` (count, list, check) and `sejahtera targeting`:
//! eligibility expressions evaluated on the columnar snapshot of the registry
//! (grammar and fields in docs/eligibility.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use sejahtera_app::eligibility::{compile, count, list};
use sejahtera_app::snapshot::{RegistrySnapshot, load};
use sejahtera_app::targeting::PoorRule;
use sejahtera_app::{Clock, SystemClock};
use sejahtera_domain::RegionCode;
use sejahtera_domain::eligibility::fields::{household_field_names, member_field_names};

use crate::Global;
use crate::output::{Format, Rows};

/// Households selected by an eligibility expression: counts per district, staff exports.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Options shared by the subcommands that read the registry.
#[derive(Debug, Clone, clap::Args)]
pub struct Scope {
    /// Only households under this region (regency, district or village code).
    #[arg(long, value_name = "CODE")]
    pub under: Option<String>,
    /// Date at which `umur` (age in whole years) is computed (YYYY-MM-DD); default: today in Indonesia.
    #[arg(long, value_name = "DATE")]
    pub reference_date: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Per district: the matching households and all their members, then a total row `(all)`.
    Count {
        /// The expression, e.g. 'desil <= 4 and kepala.jenis_kelamin == "P"'.
        expr: String,
        #[command(flatten)]
        scope: Scope,
        /// Output format (CSV columns: district,households,persons).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Export the matching households (staff only: holds NIK and names of the heads).
    List {
        /// The expression.
        expr: String,
        #[command(flatten)]
        scope: Scope,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Parse and check an expression without reading the registry; lists the fields.
    Check {
        /// The expression.
        expr: String,
    },
}

fn under_code(s: &Option<String>) -> anyhow::Result<Option<RegionCode>> {
    s.as_deref()
        .map(|c| {
            RegionCode::parse(c).with_context(|| format!("--under {c:?} is not a region code"))
        })
        .transpose()
}

async fn open_snapshot(
    g: &Global,
    scope: &Scope,
    with_pii: bool,
) -> anyhow::Result<(sejahtera_app::Store, RegistrySnapshot)> {
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let date = scope.reference_date.unwrap_or_else(|| SystemClock.today());
    let snap = load(&store, &regions, date, with_pii).await?;
    Ok((store, snap))
}

/// Runs `eligibility`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Check { expr } => {
            let p = compile(&expr)?;
            println!(
                "ok: the expression is valid{}",
                if p.uses_welfare() {
                    " (it uses the PMT ranking)"
                } else {
                    ""
                }
            );
            println!("household fields: {}", household_field_names().join(", "));
            println!(
                "member fields (inside any/all/count, or kepala.<field>): {}",
                member_field_names().join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Count {
            expr,
            scope,
            format,
        } => {
            let program = compile(&expr)?;
            let under = under_code(&scope.under)?;
            let (store, snap) = open_snapshot(g, &scope, false).await?;
            store.close().await;
            let r = count(&snap, &program, under.as_ref())?;
            // CSV holds exactly district,households,persons; the other formats add the name.
            let columns: &[&str] = match format {
                Format::Csv => &["district", "households", "persons"],
                _ => &["district", "name", "households", "persons"],
            };
            let mut rows = Rows::new(columns).numeric(&["households", "persons"]);
            let mut push = |code: &str, name: &str, h: u64, p: u64| {
                let mut row = vec![Some(code.to_string())];
                if format != Format::Csv {
                    row.push(Some(name.to_string()));
                }
                row.push(Some(h.to_string()));
                row.push(Some(p.to_string()));
                rows.push(row);
            };
            for d in &r.districts {
                push(
                    d.district.code.as_str(),
                    &d.district.name,
                    d.households,
                    d.persons,
                );
            }
            push("(all)", "(all)", r.households, r.persons);
            rows.print(format, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::List {
            expr,
            scope,
            format,
            output,
        } => {
            let program = compile(&expr)?;
            let under = under_code(&scope.under)?;
            let (store, snap) = open_snapshot(g, &scope, true).await?;
            store.close().await;
            let matches = list(&snap, &program, under.as_ref())?;
            let mut rows = Rows::new(&[
                "no_kk",
                "kode_wilayah",
                "kecamatan",
                "desil",
                "jumlah_anggota",
                "nik_kepala",
                "nama_kepala",
            ])
            .numeric(&["desil", "jumlah_anggota"]);
            for m in &matches {
                rows.push(vec![
                    Some(m.no_kk.clone()),
                    Some(m.kode_wilayah.to_string()),
                    Some(m.kecamatan.to_string()),
                    m.desil.map(|d| d.to_string()),
                    Some(m.jumlah_anggota.to_string()),
                    m.kepala.as_ref().map(|k| k.0.clone()),
                    m.kepala.as_ref().map(|k| k.1.clone()),
                ]);
            }
            match output {
                Some(path) => {
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(&path)
                            .with_context(|| format!("cannot write {}", path.display()))?,
                    );
                    rows.print(format, &mut f)?;
                    use std::io::Write as _;
                    f.flush()?;
                    if !g.quiet {
                        eprintln!(
                            "{} households written to {} (personal data: staff only)",
                            matches.len(),
                            path.display()
                        );
                    }
                }
                None => rows.print(format, &mut std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Inclusion and exclusion errors of a selection against true consumption (the demo's truth).
#[derive(Debug, clap::Args)]
pub struct TargetingArgs {
    /// The selection as an eligibility expression, e.g. 'desil <= 4'.
    #[arg(
        long,
        value_name = "EXPR",
        required_unless_present = "program",
        conflicts_with = "program"
    )]
    pub select: Option<String>,
    /// Score a program's enrollees (every household that has held a place) instead.
    #[arg(long, value_name = "ID")]
    pub program: Option<i64>,
    /// Poor = among this share (0-1) of each regency's households with the lowest true
    /// per-capita consumption; default: true per-capita consumption below the regency's poverty line.
    #[arg(long, value_name = "SHARE")]
    pub poor_share: Option<f64>,
    #[command(flatten)]
    pub scope: Scope,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn share(x: Option<f64>) -> Option<String> {
    x.map(|v| format!("{v:.4}"))
}

/// Runs `targeting`.
pub async fn run_targeting(args: TargetingArgs, g: &Global) -> anyhow::Result<ExitCode> {
    let under = under_code(&args.scope.under)?;
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let rule = match args.poor_share {
        Some(q) => PoorRule::BottomShare(q),
        None => PoorRule::PovertyLine,
    };
    let date = args
        .scope
        .reference_date
        .unwrap_or_else(|| SystemClock.today());
    let report = match (&args.select, args.program) {
        (_, Some(p)) => {
            sejahtera_app::targeting::run_program(&store, &regions, p, under.as_ref(), rule, date)
                .await
        }
        (Some(expr), None) => {
            sejahtera_app::targeting::run(&store, &regions, expr, under.as_ref(), rule, date).await
        }
        (None, None) => unreachable!("clap requires --select or --program"),
    };
    store.close().await;
    let report = report?;
    let cols = [
        "district",
        "name",
        "households",
        "selected",
        "poor",
        "selected_poor",
        "selected_not_poor",
        "poor_not_selected",
        "not_selected_not_poor",
        "inclusion_error",
        "exclusion_error",
    ];
    let mut rows = Rows::new(&cols).numeric(&cols[2..]);
    let mut push = |code: &str, name: &str, c: &sejahtera_app::targeting::Confusion| {
        rows.push(vec![
            Some(code.to_string()),
            Some(name.to_string()),
            Some(c.households().to_string()),
            Some(c.selected().to_string()),
            Some(c.poor().to_string()),
            Some(c.selected_poor.to_string()),
            Some(c.selected_not_poor.to_string()),
            Some(c.poor_not_selected.to_string()),
            Some(c.not_selected_not_poor.to_string()),
            share(c.inclusion_error()),
            share(c.exclusion_error()),
        ]);
    };
    for d in &report.districts {
        push(d.district.code.as_str(), &d.district.name, &d.confusion);
    }
    push("(all)", "(all)", &report.total);
    let mut out = std::io::stdout().lock();
    rows.print(args.format, &mut out)?;
    if args.format == Format::Table {
        use std::io::Write as _;
        let t = &report.total;
        writeln!(out)?;
        writeln!(out, "confusion table (households, all districts shown):")?;
        writeln!(out, "                 poor  not poor")?;
        writeln!(
            out,
            "selected     {:>8}  {:>8}",
            t.selected_poor, t.selected_not_poor
        )?;
        writeln!(
            out,
            "not selected {:>8}  {:>8}",
            t.poor_not_selected, t.not_selected_not_poor
        )?;
        writeln!(
            out,
            "poor = {}",
            match rule {
                PoorRule::PovertyLine =>
                    "true per-capita consumption below the regency's poverty line".to_string(),
                PoorRule::BottomShare(q) => format!(
                    "the poorest {:.1} % of each regency's households by true per-capita consumption",
                    q * 100.0
                ),
            }
        )?;
        if report.unknown > 0 {
            writeln!(
                out,
                "{} households without known true consumption were left out",
                report.unknown
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
