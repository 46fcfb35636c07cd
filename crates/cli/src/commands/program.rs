//! `sejahtera program`: define programs, dry-run their eligibility per village,
//! record enrollment decisions (append-only events), and run them: training
//! sessions and attendance, mentoring visits, referrals to partners, outcomes
//! (entered or imported), public aggregates and the evaluation panel.
//!
//! Exit codes: 0 done, 3 refused by a rule (`refused: <reason>` on stderr),
//! 2 bad input (malformed flags or files), 1 anything else (no such program,
//! session or referral; database errors).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use sejahtera_app::delivery::{
    OUTCOME_COLUMNS, ProgramStats, add_outcomes, add_session, add_visit, import_outcomes, panel,
    record_attendance, refer, referrals_for, stats, update_referral,
};
use sejahtera_app::programs::{create, dry_run, find, record};
use sejahtera_app::{Clock, SystemClock};
use sejahtera_domain::access::Actor;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{
    DeliveryRefusal, Outcome, OutcomeSource, ReferralStatus, Service,
};
use sejahtera_domain::programs::{Command, Decision, Program, ProgramKind, Refusal, Sector};
use sejahtera_domain::{Nik, NoKk, RegionCode, Rupiah};

use crate::Global;
use crate::output::{Format, Rows};

/// The actor id recorded for decisions made through the command line (an
/// operator at the server's console; web decisions record the signed-in user).
pub const CLI_ACTOR: i64 = 0;

/// Maps the result of a `program` or `partner` command to the process exit code:
/// a rule's refusal is 3 (`refused: …` on stderr); no such record, forbidden and
/// database or file-system errors are 1 (`error: …`); every other error (bad
/// input) goes back to `main`, which prints it and exits 2.
pub fn exit_code(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    let e = match result {
        Ok(code) => return Ok(code),
        Err(e) => e,
    };
    if let Some(r) = e.downcast_ref::<Refusal>() {
        eprintln!("refused: {r}");
        return Ok(ExitCode::from(3));
    }
    if let Some(r) = e.downcast_ref::<DeliveryRefusal>() {
        eprintln!("refused: {r}");
        return Ok(ExitCode::from(3));
    }
    match e.downcast_ref::<sejahtera_app::Error>() {
        Some(sejahtera_app::Error::Refused(m)) => {
            eprintln!("refused: {m}");
            return Ok(ExitCode::from(3));
        }
        Some(sejahtera_app::Error::Invalid(_)) | None => {}
        Some(_) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(1));
        }
    }
    let other = e.downcast_ref::<sejahtera_app::StoreError>().is_some();
    if other {
        eprintln!("error: {e:#}");
        return Ok(ExitCode::from(1));
    }
    Err(e)
}

/// Parses a coded value (clap value parser): the error lists the allowed values.
pub fn parse_code<T: Code>(s: &str) -> Result<T, String> {
    T::parse(s).map_err(|_| format!("allowed: {}", T::allowed().replace('|', ", ")))
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| "expected a date written YYYY-MM-DD, e.g. 2026-03-15".to_string())
}

fn parse_kk(s: &str) -> Result<NoKk, String> {
    NoKk::parse(s).map_err(|e| e.to_string())
}

fn parse_nik(s: &str) -> Result<Nik, String> {
    Nik::parse(s).map_err(|e| e.to_string())
}

fn parse_rupiah(s: &str) -> Result<Rupiah, String> {
    Rupiah::parse(s).map_err(|e| e.to_string())
}

fn parse_yes_no(s: &str) -> Result<bool, String> {
    sejahtera_app::delivery::yes_no(s)?.ok_or_else(|| "allowed: ya, tidak".into())
}

fn yes_no(b: Option<bool>) -> Option<String> {
    b.map(|b| if b { "ya" } else { "tidak" }.to_string())
}

fn kk_text(h: u64) -> String {
    format!("{h:016}")
}

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
        #[arg(long, value_parser = parse_kk)]
        kk: NoKk,
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
        /// The member taking part (NIK); default: the head of the household.
        #[arg(long, value_parser = parse_nik)]
        participant: Option<Nik>,
    },
    /// Current status of every household in a program: kk, village, status,
    /// participant (staff output with personal data).
    Enrollments {
        /// Program id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Training sessions: add, list.
    Session {
        #[command(subcommand)]
        action: SessionAction,
    },
    /// Record attendance at a session (every household must be a participant).
    Attend {
        /// Session id.
        session: i64,
        /// KK numbers of households present, comma separated.
        #[arg(long, value_delimiter = ',', value_parser = parse_kk)]
        present: Vec<NoKk>,
        /// KK numbers of households absent, comma separated.
        #[arg(long, value_delimiter = ',', value_parser = parse_kk)]
        absent: Vec<NoKk>,
    },
    /// Record a mentoring visit to a participant.
    Visit {
        /// Program id.
        id: i64,
        /// The household's KK number.
        #[arg(long, value_parser = parse_kk)]
        kk: NoKk,
        /// Day of the visit (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// What was discussed and agreed.
        #[arg(long)]
        notes: String,
    },
    /// Mentoring visits of a program: date, kk, mentor, notes.
    Visits {
        /// Program id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Refer a participant to a partner's service (prints the referral id).
    Refer {
        /// Program id.
        id: i64,
        /// The household's KK number.
        #[arg(long, value_parser = parse_kk)]
        kk: NoKk,
        /// Partner id (`sejahtera partner list`).
        #[arg(long)]
        partner: i64,
        /// Service: kur, kredit, tabungan, akses_pasar, sarana, pelatihan.
        #[arg(long, value_parser = parse_code::<Service>)]
        service: Service,
        /// Day referred (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Move a referral on: referred → accepted → completed, or → rejected.
    Referral {
        /// Referral id.
        id: i64,
        /// New status: accepted, rejected or completed.
        #[arg(long, value_parser = parse_code::<ReferralStatus>)]
        status: ReferralStatus,
        /// Result, or why it was declined (required to complete or reject).
        #[arg(long)]
        result: Option<String>,
        /// Amount obtained (credit disbursed, first order), in Rupiah.
        #[arg(long, value_parser = parse_rupiah)]
        amount: Option<Rupiah>,
        /// Day of the change (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Referrals with their current status, optionally of one program or partner.
    Referrals {
        /// Only this program.
        #[arg(long)]
        program: Option<i64>,
        /// Only this partner.
        #[arg(long)]
        partner: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record one outcome observation of a participant (or candidate).
    Outcome {
        /// Program id.
        id: i64,
        /// The household's KK number.
        #[arg(long, value_parser = parse_kk)]
        kk: NoKk,
        /// Day observed (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Runs a business: ya or tidak.
        #[arg(long, value_parser = parse_yes_no)]
        business: Option<bool>,
        /// Monthly income in Rupiah (e.g. 1.500.000).
        #[arg(long, value_parser = parse_rupiah)]
        income: Option<Rupiah>,
        /// Employed (wage work or own business): ya or tidak.
        #[arg(long, value_parser = parse_yes_no)]
        employed: Option<bool>,
    },
    /// Import outcomes from a CSV file (no_kk,tanggal,usaha,pendapatan_bulanan,bekerja):
    /// good rows are stored, bad rows named on stderr (exit 1 when any).
    OutcomesImport {
        /// Program id.
        id: i64,
        /// The CSV file.
        file: PathBuf,
        /// Write the rejected rows (line,column,reason) to this CSV file.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Outcomes of a program, the latest per household and day:
    /// kk, date, business, income, employed, source.
    Outcomes {
        /// Program id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The public aggregates of a program (no personal data; small cells suppressed).
    Stats {
        /// Program id.
        id: i64,
        /// Output format (csv: key,value).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The evaluation panel (unit, period, first_treated, income, business,
    /// employed) for `sejahtera evaluate did`.
    Panel {
        /// Program id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

/// `program session`.
#[derive(Debug, clap::Subcommand)]
pub enum SessionAction {
    /// Add a training session (prints its id).
    Add {
        /// Program id.
        id: i64,
        /// Day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Topic.
        #[arg(long)]
        topic: String,
        /// Place.
        #[arg(long, default_value = "")]
        place: String,
    },
    /// Sessions of a program: id, date, topic, place, present, absent.
    List {
        /// Program id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
    /// Ids of the partners (banks, koperasi, businesses) working with this program.
    #[arg(long, value_delimiter = ',')]
    pub partners: Vec<i64>,
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
    exit_code(result)
}

fn print(rows: &Rows, format: Format) -> anyhow::Result<()> {
    rows.print(format, &mut std::io::stdout().lock())
}

async fn run_with(
    store: &sejahtera_app::Store,
    regions: &sejahtera_domain::Regions,
    args: Args,
) -> anyhow::Result<ExitCode> {
    let console = Actor::console();
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
                partners: a.partners.iter().copied().collect::<BTreeSet<_>>(),
            };
            let id = create(store, regions, &console, &p).await?;
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
                "partners",
            ];
            let ids = |s: &BTreeSet<i64>| {
                s.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let mut rows = Rows::new(&cols).numeric(&["id", "budget", "capacity"]);
            for p in sejahtera_app::programs::list(store).await? {
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
                    Some(ids(&p.exclusive_with)),
                    Some(ids(&p.partners)),
                ]);
            }
            print(&rows, format)?;
        }
        Action::DryRun { id, format } => {
            let run = dry_run(store, regions, &console, id, SystemClock.today()).await?;
            let mut rows = Rows::new(&["village", "name", "households", "quota"])
                .numeric(&["households", "quota"]);
            for c in run.villages {
                rows.push(vec![
                    Some(c.village.to_string()),
                    Some(c.name),
                    c.households.value.map(|n| n.to_string()),
                    c.quota.map(|q| q.to_string()),
                ]);
            }
            rows.push(vec![
                Some("(all)".into()),
                None,
                run.total.value.map(|n| n.to_string()),
                None,
            ]);
            print(&rows, format)?;
        }
        Action::Decide {
            id,
            kk,
            action,
            why,
            reason,
            to,
            participant,
        } => {
            if action.trim() == "exit" && reason.is_none() {
                bail!("--reason is required for exit");
            }
            if action.trim() == "correct" && to.is_none() {
                bail!("--to is required for correct");
            }
            let command =
                Command::from_action(&action, reason.as_deref(), to.as_deref()).map_err(|e| {
                    if e.starts_with("action") {
                        anyhow::anyhow!("--{e}")
                    } else {
                        anyhow::anyhow!("--to: {e}")
                    }
                })?;
            let decision = Decision {
                actor: CLI_ACTOR,
                at: SystemClock.now(),
                why,
            };
            let e = record(
                store,
                &console,
                id,
                &kk,
                participant.as_ref(),
                &command,
                &decision,
            )
            .await?;
            println!("household {} is now {} in program {id}", kk, e.status);
        }
        Action::Enrollments { id, format } => {
            let program = find(store, id).await?;
            let st = sejahtera_app::programs::enrollments(store).await?;
            let mut rows = Rows::new(&["kk", "village", "status", "participant"]);
            for (h, status, village) in st.of_program(program.id) {
                rows.push(vec![
                    Some(kk_text(h)),
                    Some(village.to_string()),
                    Some(status.to_string()),
                    st.participant(program.id, h).map(kk_text),
                ]);
            }
            print(&rows, format)?;
        }
        Action::Session {
            action:
                SessionAction::Add {
                    id,
                    date,
                    topic,
                    place,
                },
        } => {
            let s = add_session(store, &console, id, date, &topic, &place).await?;
            println!("created session {s}");
        }
        Action::Session {
            action: SessionAction::List { id, format },
        } => {
            let mut rows = Rows::new(&["id", "date", "topic", "place", "present", "absent"])
                .numeric(&["id", "present", "absent"]);
            for s in sejahtera_app::delivery::sessions(store, id).await? {
                rows.push(vec![
                    Some(s.session.id.to_string()),
                    Some(s.session.date.to_string()),
                    Some(s.session.topic),
                    Some(s.session.place),
                    Some(s.present.to_string()),
                    Some(s.absent.to_string()),
                ]);
            }
            print(&rows, format)?;
        }
        Action::Attend {
            session,
            present,
            absent,
        } => {
            if present.is_empty() && absent.is_empty() {
                bail!("give --present KK,KK… and/or --absent KK,KK…");
            }
            if let Some(kk) = present.iter().find(|k| absent.contains(k)) {
                bail!("household {kk} is in both --present and --absent");
            }
            let marks: Vec<(NoKk, bool)> = present
                .iter()
                .map(|k| (*k, true))
                .chain(absent.iter().map(|k| (*k, false)))
                .collect();
            record_attendance(store, &console, session, &marks).await?;
            println!(
                "recorded attendance at session {session}: {} present, {} absent",
                present.len(),
                absent.len()
            );
        }
        Action::Visit {
            id,
            kk,
            date,
            notes,
        } => {
            let v = add_visit(store, &console, id, &kk, date, &notes, SystemClock.today()).await?;
            println!("recorded visit {v} to household {kk}");
        }
        Action::Visits { id, format } => {
            let mut rows = Rows::new(&["date", "kk", "mentor", "notes"]).numeric(&["mentor"]);
            for v in sejahtera_app::delivery::visits_for(store, &console, id).await? {
                rows.push(vec![
                    Some(v.date.to_string()),
                    Some(kk_text(v.household)),
                    Some(v.mentor.to_string()),
                    Some(v.notes),
                ]);
            }
            print(&rows, format)?;
        }
        Action::Refer {
            id,
            kk,
            partner,
            service,
            date,
        } => {
            let date = date.unwrap_or_else(|| SystemClock.today());
            let r = refer(store, &console, id, &kk, partner, service, date).await?;
            println!("created referral {r}: household {kk} to partner {partner} for {service}");
        }
        Action::Referral {
            id,
            status,
            result,
            amount,
            date,
        } => {
            let date = date.unwrap_or_else(|| SystemClock.today());
            let r = update_referral(store, &console, id, status, result.as_deref(), amount, date)
                .await?;
            println!("referral {} is now {}", r.id, r.status);
        }
        Action::Referrals {
            program,
            partner,
            format,
        } => {
            if let Some(p) = program {
                find(store, p).await?;
            }
            let mut rows = Rows::new(&[
                "id",
                "program",
                "kk",
                "partner",
                "service",
                "status",
                "result",
                "amount",
                "referred_on",
                "updated_on",
            ])
            .numeric(&["id", "program", "partner", "amount"]);
            for r in referrals_for(store, &console, program).await? {
                if partner.is_some_and(|p| p != r.partner) {
                    continue;
                }
                rows.push(vec![
                    Some(r.id.to_string()),
                    Some(r.program.to_string()),
                    Some(kk_text(r.household)),
                    Some(r.partner.to_string()),
                    Some(r.service.to_string()),
                    Some(r.status.to_string()),
                    r.result,
                    r.amount.map(|a| a.get().to_string()),
                    Some(r.referred_on.to_string()),
                    Some(r.updated_on.to_string()),
                ]);
            }
            print(&rows, format)?;
        }
        Action::Outcome {
            id,
            kk,
            date,
            business,
            income,
            employed,
        } => {
            let o = Outcome {
                program: id,
                household: kk.as_u64(),
                date,
                business,
                income,
                employed,
                source: OutcomeSource::Entered,
            };
            add_outcomes(store, &console, id, &[o], SystemClock.today()).await?;
            println!("recorded the outcome of household {kk} on {date}");
        }
        Action::OutcomesImport { id, file, rejects } => {
            let r = import_outcomes(store, &console, id, &file, SystemClock.today())
                .await
                .with_context(|| {
                    format!(
                        "{} (expected the columns {})",
                        file.display(),
                        OUTCOME_COLUMNS.join(",")
                    )
                })?;
            for j in &r.rejected {
                if j.column.is_empty() {
                    eprintln!("{}:{}: {}", file.display(), j.line, j.reason);
                } else {
                    eprintln!(
                        "{}:{}: column {}: {}",
                        file.display(),
                        j.line,
                        j.column,
                        j.reason
                    );
                }
            }
            if let Some(out) = rejects {
                let mut w = csv::Writer::from_path(&out)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                w.write_record(["line", "column", "reason"])?;
                for j in &r.rejected {
                    w.write_record([j.line.to_string().as_str(), &j.column, &j.reason])?;
                }
                w.flush()?;
            }
            if r.more_rejected > 0 {
                eprintln!(
                    "{}: and {} more rejected rows (the first {} are listed)",
                    file.display(),
                    r.more_rejected,
                    r.rejected.len()
                );
            }
            println!("accepted {}, rejected {}", r.accepted, r.rejected_total);
            if r.rejected_total > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        Action::Outcomes { id, format } => {
            let mut rows = Rows::new(&["kk", "date", "business", "income", "employed", "source"])
                .numeric(&["income"]);
            for o in sejahtera_app::delivery::outcomes_for(store, &console, id).await? {
                rows.push(vec![
                    Some(kk_text(o.household)),
                    Some(o.date.to_string()),
                    yes_no(o.business),
                    o.income.map(|i| i.get().to_string()),
                    yes_no(o.employed),
                    Some(o.source.to_string()),
                ]);
            }
            print(&rows, format)?;
        }
        Action::Stats { id, format } => {
            let s = stats(store, regions, id, SystemClock.today()).await?;
            print_stats(&s, format)?;
        }
        Action::Panel { id, format } => {
            let mut rows = Rows::new(&[
                "unit",
                "period",
                "first_treated",
                "income",
                "business",
                "employed",
            ])
            .numeric(&[
                "unit",
                "period",
                "first_treated",
                "income",
                "business",
                "employed",
            ]);
            for r in panel(store, id).await? {
                rows.push(vec![
                    Some(r.unit.to_string()),
                    Some(r.period.to_string()),
                    Some(r.first_treated.to_string()),
                    r.income.map(|v| v.to_string()),
                    r.business.map(|v| v.to_string()),
                    r.employed.map(|v| v.to_string()),
                ]);
            }
            print(&rows, format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Flattens a JSON value into `key,value` pairs (`by_status.enrolled`, `by_district.0.women.value`).
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, Option<String>)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                flatten(&key(k), v, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&key(&i.to_string()), v, out);
            }
        }
        serde_json::Value::Null => out.push((prefix.to_string(), None)),
        serde_json::Value::String(s) => out.push((prefix.to_string(), Some(s.clone()))),
        other => out.push((prefix.to_string(), Some(other.to_string()))),
    }
}

fn print_stats(s: &ProgramStats, format: Format) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, s)?;
            use std::io::Write;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut pairs = Vec::new();
            flatten("", &serde_json::to_value(s)?, &mut pairs);
            let mut rows = Rows::new(&["key", "value"]);
            for (k, v) in pairs {
                rows.push(vec![Some(k), v]);
            }
            rows.print(Format::Csv, out)?;
        }
        Format::Table => {
            use std::io::Write;
            let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
            let cell = |c: &sejahtera_app::delivery::Cell| match (c.value, c.suppressed) {
                (Some(v), _) => Some(v.to_string()),
                (None, true) => Some(format!("<{}", sejahtera_app::delivery::MIN_PUBLIC_CELL)),
                (None, false) => None,
            };
            let counts = |m: &BTreeMap<String, sejahtera_app::delivery::Cell>| {
                m.iter()
                    .map(|(k, v)| format!("{k} {}", cell(v).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(out, "program             {}", s.program)?;
            writeln!(out, "participants        {}", s.participants)?;
            writeln!(out, "status              {}", counts(&s.by_status))?;
            writeln!(out, "graduation rate     {}", pct(s.graduation_rate))?;
            writeln!(out, "businesses started  {}", s.businesses_started)?;
            writeln!(out, "followed up         {}", s.followed_up)?;
            writeln!(out, "sessions            {}", s.sessions)?;
            writeln!(out, "attendance rate     {}", pct(s.attendance_rate))?;
            writeln!(out, "mentoring visits    {}", s.visits)?;
            writeln!(
                out,
                "referrals           {}",
                if s.referrals.is_empty() {
                    "none".to_string()
                } else {
                    counts(&s.referrals)
                }
            )?;
            writeln!(
                out,
                "referral amount     {}",
                s.referral_amount.map_or_else(
                    || {
                        format!(
                            "suppressed (fewer than {} completed referrals)",
                            sejahtera_app::delivery::MIN_PUBLIC_CELL
                        )
                    },
                    |a| Rupiah::new(a).to_string()
                )
            )?;
            writeln!(out)?;
            let mut rows = Rows::new(&["district", "name", "women", "men", "total"])
                .numeric(&["women", "men", "total"]);
            for d in &s.by_district {
                rows.push(vec![
                    Some(d.district.clone()),
                    Some(d.name.clone()),
                    cell(&d.women),
                    cell(&d.men),
                    cell(&d.total),
                ]);
            }
            rows.print(Format::Table, out)?;
        }
    }
    Ok(())
}
