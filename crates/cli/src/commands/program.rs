//! `sejahtera program`: define programs, dry-run their eligibility per village,
//! and record enrollment decisions (append-only events).

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use sejahtera_app::programs::{DecisionLock, create, dry_run, record};
use sejahtera_domain::codes::Code;
use sejahtera_domain::programs::{Command, Decision, Program, ProgramKind, Sector, Status};
use sejahtera_domain::{NoKk, RegionCode, Rupiah};

use crate::Global;
use crate::output::{Format, Rows};

/// The actor id recorded for decisions made through the command line (an
/// operator at the server's console; web decisions record the signed-in user).
pub const CLI_ACTOR: i64 = 0;

/// Programs and enrollment.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Define a program.
    Add(AddArgs),
    /// List programs.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Households matching a program's eligibility expression, per village (before launch).
    DryRun {
        /// Program id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record a decision about a household: propose, enroll, activate, graduate,
    /// exit (with --reason) or correct (with --to); refused decisions say why (exit 3).
    Decide {
        /// Program id.
        id: i64,
        /// The household's KK number.
        #[arg(long)]
        kk: String,
        /// propose, enroll, activate, graduate, exit or correct.
        #[arg(long)]
        action: String,
        /// Why (required).
        #[arg(long)]
        why: String,
        /// Exit reason.
        #[arg(long)]
        reason: Option<String>,
        /// Corrected status (candidate, enrolled, active, graduated, exited).
        #[arg(long)]
        to: Option<String>,
    },
}

/// `program add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Name.
    #[arg(long)]
    pub name: String,
    /// Sector: pertanian, perikanan, industri_kreatif, umkm, pemberdayaan_perempuan,
    /// infrastruktur, kesehatan, air_bersih, pendidikan.
    #[arg(long)]
    pub sector: String,
    /// Implementing agency (OPD).
    #[arg(long)]
    pub agency: String,
    /// Kind: pelatihan, pendampingan, hibah, akses_pasar, akses_kredit, layanan.
    #[arg(long)]
    pub kind: String,
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub start: NaiveDate,
    /// Last day (YYYY-MM-DD).
    #[arg(long)]
    pub end: NaiveDate,
    /// Budget in Rupiah (e.g. 250.000.000).
    #[arg(long)]
    pub budget: String,
    /// Most households at once (0: no limit).
    #[arg(long, default_value_t = 0)]
    pub capacity: u32,
    /// Eligibility expression (docs/eligibility.md).
    #[arg(long)]
    pub eligibility: String,
    /// Per-village quota, VILLAGE=N (repeatable).
    #[arg(long = "quota")]
    pub quotas: Vec<String>,
    /// Ids of programs this one is exclusive with.
    #[arg(long, value_delimiter = ',')]
    pub exclusive_with: Vec<i64>,
}

fn parse_quota(s: &str) -> anyhow::Result<(RegionCode, u32)> {
    let (v, n) = s
        .split_once('=')
        .with_context(|| format!("--quota {s:?}: expected VILLAGE=N"))?;
    let code = RegionCode::parse(v.trim()).with_context(|| format!("--quota {s:?}"))?;
    let n: u32 = n
        .trim()
        .parse()
        .with_context(|| format!("--quota {s:?}: N must be a whole number"))?;
    Ok((code, n))
}

/// Runs `program`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let result = run_with(&store, &regions, args).await;
    store.close().await;
    result
}

async fn run_with(
    store: &sejahtera_store::Store,
    regions: &sejahtera_domain::Regions,
    args: Args,
) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Add(a) => {
            let quotas: BTreeMap<RegionCode, u32> = a
                .quotas
                .iter()
                .map(|q| parse_quota(q))
                .collect::<anyhow::Result<_>>()?;
            let p = Program {
                id: 0,
                name: a.name.trim().to_string(),
                sector: Sector::parse(&a.sector)?,
                agency: a.agency.clone(),
                kind: ProgramKind::parse(&a.kind)?,
                start: a.start,
                end: a.end,
                budget: Rupiah::parse(&a.budget)
                    .with_context(|| format!("--budget {:?}", a.budget))?,
                capacity: a.capacity,
                quotas,
                eligibility: a.eligibility.clone(),
                exclusive_with: a.exclusive_with.iter().copied().collect::<BTreeSet<_>>(),
            };
            let id = create(store, regions, &p, CLI_ACTOR).await?;
            println!("created program {id}: {}", p.name);
        }
        Action::List { format } => {
            let cols = [
                "id",
                "name",
                "sector",
                "agency",
                "kind",
                "start",
                "end",
                "budget",
                "capacity",
                "eligibility",
                "exclusive_with",
            ];
            let mut rows = Rows::new(&cols).numeric(&["id", "budget", "capacity"]);
            for p in store.programs().await? {
                rows.push(vec![
                    Some(p.id.to_string()),
                    Some(p.name),
                    Some(p.sector.to_string()),
                    Some(p.agency),
                    Some(p.kind.to_string()),
                    Some(p.start.to_string()),
                    Some(p.end.to_string()),
                    Some(p.budget.get().to_string()),
                    Some(p.capacity.to_string()),
                    Some(p.eligibility),
                    Some(
                        p.exclusive_with
                            .iter()
                            .map(|i| i.to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                ]);
            }
            rows.print(format, &mut std::io::stdout().lock())?;
        }
        Action::DryRun { id, format } => {
            let counts = dry_run(
                store,
                regions,
                id,
                sejahtera_app::import::today_in_indonesia(),
            )
            .await?;
            let mut rows = Rows::new(&["village", "name", "households", "quota"])
                .numeric(&["households", "quota"]);
            let mut total = 0;
            for c in counts {
                total += c.households;
                rows.push(vec![
                    Some(c.village.to_string()),
                    Some(c.name),
                    Some(c.households.to_string()),
                    c.quota.map(|q| q.to_string()),
                ]);
            }
            rows.push(vec![
                Some("(all)".into()),
                None,
                Some(total.to_string()),
                None,
            ]);
            rows.print(format, &mut std::io::stdout().lock())?;
        }
        Action::Decide {
            id,
            kk,
            action,
            why,
            reason,
            to,
        } => {
            let kk = NoKk::parse(&kk).with_context(|| format!("--kk {kk:?}"))?;
            let command = match action.as_str() {
                "propose" => Command::Propose,
                "enroll" => Command::Enroll,
                "activate" => Command::Activate,
                "graduate" => Command::Graduate,
                "exit" => Command::Exit {
                    reason: reason.context("--reason is required for exit")?,
                },
                "correct" => Command::Correct {
                    to: Status::parse(to.as_deref().context("--to is required for correct")?)?,
                },
                other => bail!(
                    "--action {other:?}: allowed propose|enroll|activate|graduate|exit|correct"
                ),
            };
            let decision = Decision {
                actor: CLI_ACTOR,
                at: chrono::Utc::now(),
                why,
            };
            match record(
                store,
                &DecisionLock::default(),
                id,
                &kk,
                &command,
                &decision,
            )
            .await
            {
                Ok(e) => println!("household {} is now {} in program {id}", kk, e.status),
                Err(e) => match e.downcast_ref::<sejahtera_domain::programs::Refusal>() {
                    Some(r) => {
                        eprintln!("refused: {r}");
                        return Ok(ExitCode::from(3));
                    }
                    None => return Err(e),
                },
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
