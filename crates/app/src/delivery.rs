//! Running programs (issue 6): partners, training sessions and attendance,
//! mentoring visits, referrals to partners, outcomes per participant (entered or
//! imported), the public aggregates of a program, and the outcome panel an
//! impact evaluation reads. Rules are in `sejahtera_domain::delivery`; who may do
//! what is in `sejahtera_domain::access`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use sejahtera_domain::access::{Actor, RegistryScope};
use sejahtera_domain::codes::{Code, JenisKelamin};
use sejahtera_domain::delivery::{
    self, Outcome, OutcomeSource, Partner, Referral, ReferralStatus, Service, Session, Visit,
};
use sejahtera_domain::programs::{Enrollments, Program, Status};
use sejahtera_domain::region::Level;
use sejahtera_domain::{NoKk, RegionCode, Regions, Rupiah};
use sejahtera_store::{ReferralUpdate, Store};

use crate::error::{Error, Result};
use crate::messages::Msg;
use crate::programs::find;

pub use crate::disclosure::{Cell, MIN_PUBLIC_CELL, protect};

fn forbidden(what: &'static str, program: &Program) -> Error {
    Error::Forbidden(
        Msg::new("delivery.forbidden")
            .word("what", Msg::new(what))
            .arg("program", &program.name)
            .arg("agency", &program.agency),
    )
}

async fn runnable(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    what: &'static str,
) -> Result<Program> {
    let program = find(store, program_id).await?;
    if !actor.may_run_program(&program) {
        return Err(forbidden(what, &program));
    }
    Ok(program)
}

async fn state(store: &Store) -> Result<Enrollments> {
    Ok(store.enrollments().await?)
}

/// Validates and stores a partner (admins only).
pub async fn create_partner(store: &Store, actor: &Actor, p: &Partner) -> Result<i64> {
    if !actor.may_manage_users() {
        return Err(Error::Forbidden(Msg::new("partner.create_forbidden")));
    }
    if p.name.trim().is_empty() {
        return Err(Error::Invalid(Msg::new("partner.no_name")));
    }
    if p.services.is_empty() {
        return Err(Error::Invalid(
            Msg::new("partner.no_service")
                .arg("name", &p.name)
                .arg("allowed", Service::allowed()),
        ));
    }
    if store.partners().await?.iter().any(|o| o.name == p.name) {
        return Err(Error::Invalid(
            Msg::new("partner.name_taken").arg("name", &p.name),
        ));
    }
    Ok(store.create_partner(p).await?)
}

/// Adds a training session to a program.
pub async fn add_session(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    date: NaiveDate,
    topic: &str,
    place: &str,
) -> Result<i64> {
    let program = runnable(store, actor, program_id, "what.adding_sessions").await?;
    delivery::check_session(&program, date, topic)?;
    Ok(store
        .create_training_session(
            &Session {
                id: 0,
                program: program.id,
                date,
                topic: topic.trim().to_string(),
                place: place.trim().to_string(),
            },
            actor.user_id,
        )
        .await?)
}

/// Records attendance at a session: every household must be a participant of
/// the session's program, else nothing is recorded and the error names each
/// refused household.
pub async fn record_attendance(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    marks: &[(NoKk, bool)],
) -> Result<()> {
    let (program, _) = session_of(store, session_id).await?;
    let program = runnable(store, actor, program.id, "what.recording_attendance").await?;
    let st = state(store).await?;
    let mut refused = Vec::new();
    for (kk, _) in marks {
        if let Err(e) = delivery::check_attendance(&st, &program, kk.as_u64()) {
            refused.push(crate::error::delivery_msg(&e));
        }
    }
    if !refused.is_empty() {
        return Err(Error::Refused(
            Msg::new("delivery.many").list("list", refused),
        ));
    }
    let marks: Vec<(u64, bool)> = marks.iter().map(|(k, p)| (k.as_u64(), *p)).collect();
    store
        .record_attendance(session_id, &marks, actor.user_id)
        .await?;
    Ok(())
}

/// The program and the session with this id.
pub async fn session_of(store: &Store, session_id: i64) -> Result<(Program, Session)> {
    let session = store
        .training_session(session_id)
        .await?
        .ok_or_else(|| Error::NotFound(Msg::new("session.not_found").arg("id", session_id)))?;
    Ok((find(store, session.program).await?, session))
}

/// Records a mentoring visit.
pub async fn add_visit(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    kk: &NoKk,
    date: NaiveDate,
    notes: &str,
    today: NaiveDate,
) -> Result<i64> {
    let program = runnable(store, actor, program_id, "what.recording_visits").await?;
    let st = state(store).await?;
    delivery::check_visit(&st, &program, kk.as_u64(), date, notes, today)?;
    Ok(store
        .add_visit(&Visit {
            id: 0,
            program: program.id,
            household: kk.as_u64(),
            date,
            mentor: actor.user_id,
            notes: notes.trim().to_string(),
        })
        .await?)
}

/// Refers a participant to a partner's service.
pub async fn refer(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    kk: &NoKk,
    partner_id: i64,
    service: Service,
    date: NaiveDate,
) -> Result<i64> {
    let program = runnable(store, actor, program_id, "what.referring").await?;
    let partners = store.partners().await?;
    let partner = partners
        .iter()
        .find(|p| p.id == partner_id)
        .ok_or_else(|| Error::NotFound(Msg::new("partner.not_found").arg("id", partner_id)))?;
    let st = state(store).await?;
    delivery::check_referral(&st, &program, &partners, kk.as_u64(), partner, service)?;
    Ok(store
        .create_referral(
            &Referral {
                id: 0,
                program: program.id,
                household: kk.as_u64(),
                partner: partner.id,
                service,
                status: ReferralStatus::Referred,
                result: None,
                amount: None,
                referred_on: date,
                updated_on: date,
            },
            actor.user_id,
        )
        .await?)
}

/// Moves a referral to a new status: the partner it is addressed to, the
/// program's agency or an administrator may do so.
pub async fn update_referral(
    store: &Store,
    actor: &Actor,
    referral_id: i64,
    status: ReferralStatus,
    result: Option<&str>,
    amount: Option<Rupiah>,
    date: NaiveDate,
) -> Result<Referral> {
    let r = store
        .referral(referral_id)
        .await?
        .ok_or_else(|| Error::NotFound(Msg::new("referral.not_found").arg("id", referral_id)))?;
    let program = find(store, r.program).await?;
    if !actor.may_handle_referrals_of(r.partner) && !actor.may_run_program(&program) {
        return Err(Error::Forbidden(Msg::new("referral.update_forbidden")));
    }
    delivery::next_referral_status(r.status, status, result)?;
    if let Some(a) = amount {
        delivery::check_amount("the amount", a, delivery::MAX_REFERRAL_AMOUNT)?;
    }
    if date < r.referred_on {
        return Err(delivery::DeliveryRefusal::Date {
            what: "the day of the change",
            date,
            allowed: delivery::Allowed::OnOrAfter(r.referred_on),
        }
        .into());
    }
    store
        .update_referral(&ReferralUpdate {
            referral: r.id,
            status,
            result: result.map(str::trim),
            amount,
            day: date,
            actor: actor.user_id,
        })
        .await?;
    Ok(Referral {
        status,
        result: result.map(|s| s.trim().to_string()),
        amount,
        updated_on: date,
        ..r
    })
}

/// The referrals an actor may see: all of a program for its readers, only those
/// addressed to them for a partner account.
pub async fn referrals_for(
    store: &Store,
    actor: &Actor,
    program_id: Option<i64>,
) -> Result<Vec<Referral>> {
    if let Some(partner) = actor.partner.filter(|_| !actor.is_staff()) {
        return Ok(store.referrals(program_id, Some(partner)).await?);
    }
    let programs = store.programs().await?;
    let all = store.referrals(program_id, None).await?;
    Ok(all
        .into_iter()
        .filter(|r| {
            programs
                .iter()
                .find(|p| p.id == r.program)
                .is_some_and(|p| actor.program_scope(p) == RegistryScope::All)
        })
        .collect())
}

/// Records outcomes (all or none): each must pass the rules.
pub async fn add_outcomes(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    outcomes: &[Outcome],
    today: NaiveDate,
) -> Result<u64> {
    let program = runnable(store, actor, program_id, "what.recording_outcomes").await?;
    let st = state(store).await?;
    let mut refused = Vec::new();
    for o in outcomes {
        if o.program != program.id {
            refused.push(
                Msg::new("outcome.wrong_program")
                    .arg("given", o.program)
                    .arg("program", program.id),
            );
        } else if let Err(e) = delivery::check_outcome(&st, &program, o, today) {
            refused.push(crate::error::delivery_msg(&e));
        }
    }
    if !refused.is_empty() {
        return Err(Error::Refused(
            Msg::new("delivery.many").list("list", refused),
        ));
    }
    Ok(store.append_outcomes(outcomes, actor.user_id).await?)
}

/// A row of an outcome file that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeReject {
    /// Line in the file (1 = header).
    pub line: u64,
    /// Column name ("" for the whole row).
    pub column: String,
    /// Why.
    pub reason: String,
}

/// The most rejected rows an outcome import lists (the count covers them all):
/// a file of a million bad lines gives a report of a bounded size.
pub const MAX_LISTED_REJECTS: usize = 1000;

/// The longest reason listed for a rejected row (a reason quoting a long cell is cut).
const MAX_REASON_CHARS: usize = 300;

/// What an outcome import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeImport {
    /// Rows stored.
    pub accepted: u64,
    /// The first [`MAX_LISTED_REJECTS`] rows refused, each with line, column and reason.
    pub rejected: Vec<OutcomeReject>,
    /// Rows refused in all (listed or not).
    pub rejected_total: u64,
    /// Rows refused beyond those listed ("and N more rejected rows").
    pub more_rejected: u64,
}

impl OutcomeImport {
    fn reject(&mut self, mut r: OutcomeReject) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_LISTED_REJECTS {
            // A reason may quote the cell: at most a few hundred characters of it.
            if r.reason.chars().count() > MAX_REASON_CHARS {
                r.reason = r.reason.chars().take(MAX_REASON_CHARS).collect::<String>() + "…";
            }
            self.rejected.push(r);
        } else {
            self.more_rejected += 1;
        }
    }
}

/// The header of an outcome file (`no_kk,tanggal,usaha,pendapatan_bulanan,bekerja`).
pub const OUTCOME_COLUMNS: [&str; 5] =
    ["no_kk", "tanggal", "usaha", "pendapatan_bulanan", "bekerja"];

/// A yes/no answer as people write it in files, forms and flags (`ya`, `tidak`,
/// `1`, `0`, `yes`, `no`, …; empty: not answered).
pub fn yes_no(s: &str) -> Result<Option<bool>, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "ya" | "y" | "yes" | "true" => Ok(Some(true)),
        "0" | "tidak" | "t" | "no" | "false" => Ok(Some(false)),
        other => Err(format!(
            "{other:?} is not yes/no (allowed: ya, tidak, 1, 0, or empty)"
        )),
    }
}

/// Imports outcomes from a file (CSV, or a workbook by its extension) with the
/// columns [`OUTCOME_COLUMNS`] (any order; `usaha`, `pendapatan_bulanan`,
/// `bekerja` may be empty): good rows are stored in one transaction, bad rows are
/// counted and the first [`MAX_LISTED_REJECTS`] named with line, column and reason.
///
/// The file is read with the registry import's reader (`crate::input`: BOM, `,`
/// or `;`, line numbers, blank rows skipped, and its limits on record size, fields
/// and columns), and read and validated on a blocking thread, never on the async
/// runtime. The actor's right to run the program is checked before the file is opened.
pub async fn import_outcomes(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    path: &std::path::Path,
    today: NaiveDate,
) -> Result<OutcomeImport> {
    let path = path.to_path_buf();
    import_outcomes_with(store, actor, program_id, today, move || {
        crate::input::open_table(&path)
    })
    .await
}

/// Whether `actor` may import outcomes into the program (the check of
/// [`import_outcomes`]), for callers that must decide before receiving a file.
pub async fn may_import_outcomes(store: &Store, actor: &Actor, program_id: i64) -> Result<()> {
    runnable(store, actor, program_id, "what.importing_outcomes").await?;
    Ok(())
}

/// [`import_outcomes`] from a table already opened (e.g. with
/// [`crate::input::read_table_bytes`]).
pub async fn import_outcomes_table(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    table: crate::input::Table,
    today: NaiveDate,
) -> Result<OutcomeImport> {
    import_outcomes_with(store, actor, program_id, today, move || Ok(table)).await
}

async fn import_outcomes_with(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    today: NaiveDate,
    open: impl FnOnce() -> Result<crate::input::Table, crate::input::InputError> + Send + 'static,
) -> Result<OutcomeImport> {
    let program = runnable(store, actor, program_id, "importing outcomes").await?;
    let st = state(store).await?;
    let (out, good) = tokio::task::spawn_blocking(move || {
        let table = open().map_err(Error::invalid_text)?;
        validate_outcomes(table, &st, &program, today)
    })
    .await??;
    let mut out = out;
    out.accepted = store.append_outcomes(&good, actor.user_id).await?;
    Ok(out)
}

/// Reads and checks every row of an outcome file (blocking: runs off the runtime).
fn validate_outcomes(
    mut table: crate::input::Table,
    st: &Enrollments,
    program: &Program,
    today: NaiveDate,
) -> Result<(OutcomeImport, Vec<Outcome>)> {
    let header = std::mem::take(&mut table.header);
    let mut col = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.to_ascii_lowercase();
        if !OUTCOME_COLUMNS.contains(&h.as_str()) {
            return Err(Error::Invalid(
                Msg::new("outcome.unknown_column")
                    .arg("column", &h)
                    .arg("allowed", OUTCOME_COLUMNS.join(", ")),
            ));
        }
        if col.insert(h.clone(), i).is_some() {
            return Err(Error::Invalid(
                Msg::new("outcome.duplicate_column").arg("column", &h),
            ));
        }
    }
    for needed in ["no_kk", "tanggal"] {
        if !col.contains_key(needed) {
            return Err(Error::Invalid(
                Msg::new("outcome.missing_column").arg("column", needed),
            ));
        }
    }
    let mut out = OutcomeImport::default();
    let mut good = Vec::new();
    for row in table {
        // A limit of the reader (record too long, too many fields) stops the import.
        let row = row.map_err(Error::invalid_text)?;
        if row.is_blank() {
            continue;
        }
        let line = row.line as u64;
        let reject = |column: &str, reason: String| OutcomeReject {
            line,
            column: column.to_string(),
            reason,
        };
        if let Some(i) = row.bad_utf8 {
            out.reject(reject(
                header.get(i).map_or("", String::as_str),
                "text is not valid UTF-8 (save the file as CSV UTF-8)".into(),
            ));
            continue;
        }
        if row.fields.len() > header.len()
            && row.fields[header.len()..]
                .iter()
                .any(|f| !f.trim().is_empty())
        {
            out.reject(reject(
                "",
                format!(
                    "row has {} fields but the header has {}",
                    row.fields.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let get = |name: &str| {
            col.get(name)
                .and_then(|i| row.fields.get(*i))
                .map_or("", |f| f.trim())
        };
        let kk = match NoKk::parse(get("no_kk")) {
            Ok(k) => k,
            Err(e) => {
                out.reject(reject("no_kk", e.to_string()));
                continue;
            }
        };
        let date: NaiveDate = match get("tanggal").parse() {
            Ok(d) => d,
            Err(_) => {
                out.reject(reject(
                    "tanggal",
                    format!("{:?} is not a date (YYYY-MM-DD)", get("tanggal")),
                ));
                continue;
            }
        };
        let mut o = Outcome {
            program: program.id,
            household: kk.as_u64(),
            date,
            business: None,
            income: None,
            employed: None,
            source: OutcomeSource::Imported,
        };
        match yes_no(get("usaha")) {
            Ok(v) => o.business = v,
            Err(e) => {
                out.reject(reject("usaha", e));
                continue;
            }
        }
        match yes_no(get("bekerja")) {
            Ok(v) => o.employed = v,
            Err(e) => {
                out.reject(reject("bekerja", e));
                continue;
            }
        }
        let income = get("pendapatan_bulanan");
        if !income.is_empty() {
            match Rupiah::parse(income) {
                Ok(r) => o.income = Some(r),
                Err(e) => {
                    out.reject(reject("pendapatan_bulanan", e.to_string()));
                    continue;
                }
            }
        }
        if let Err(e) = delivery::check_outcome(st, program, &o, today) {
            let column = match e {
                delivery::DeliveryRefusal::NotInProgram { .. } => "no_kk",
                delivery::DeliveryRefusal::Date { .. } => "tanggal",
                delivery::DeliveryRefusal::Negative(_)
                | delivery::DeliveryRefusal::TooLarge { .. } => "pendapatan_bulanan",
                _ => "",
            };
            out.reject(reject(column, e.to_string()));
            continue;
        }
        good.push(o);
    }
    Ok((out, good))
}

/// The latest observation per (household, day): corrections replace earlier rows.
pub fn latest_outcomes(outcomes: &[Outcome]) -> Vec<Outcome> {
    let mut by: BTreeMap<(u64, NaiveDate), &Outcome> = BTreeMap::new();
    for o in outcomes {
        by.insert((o.household, o.date), o);
    }
    by.into_values().cloned().collect()
}

/// Participants of one district, by the participant's sex.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DistrictParticipants {
    /// District code.
    pub district: String,
    /// District name.
    pub name: String,
    /// Women.
    pub women: Cell,
    /// Men.
    pub men: Cell,
    /// All.
    pub total: Cell,
}

/// The public aggregates of a program (no personal data; small cells suppressed).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProgramStats {
    /// Program id.
    pub program: i64,
    /// Households that have ever held a place (enrolled at some time).
    pub participants: u64,
    /// Current status counts: enrolled, active, graduated, exited (candidates are not
    /// counted), protected as a table whose total (`participants`) is published.
    pub by_status: BTreeMap<String, Cell>,
    /// Participants per district and sex.
    pub by_district: Vec<DistrictParticipants>,
    /// Graduated / (graduated + exited); `None` while nobody has graduated and
    /// the program is still running (early exits alone would read as 0 %), and
    /// suppressed (`None`) when fewer than [`MIN_PUBLIC_CELL`] participants have
    /// finished or the graduated or exited count is suppressed (the rate would give it away).
    pub graduation_rate: Option<f64>,
    /// Participants whose latest observation says they run a business.
    pub businesses_started: u64,
    /// Participants with at least one outcome observation.
    pub followed_up: u64,
    /// Training sessions held.
    pub sessions: u64,
    /// Present marks / attendance marks (`None` without attendance, or with fewer
    /// than [`MIN_PUBLIC_CELL`] marks).
    pub attendance_rate: Option<f64>,
    /// Mentoring visits.
    pub visits: u64,
    /// Referrals by current status, protected as a table (small counts suppressed).
    pub referrals: BTreeMap<String, Cell>,
    /// Credit or orders obtained through completed referrals (Rupiah); `None`
    /// (suppressed) unless at least [`MIN_PUBLIC_CELL`] completed referrals stand
    /// behind it, so no household's own amount can be read off (0 without any).
    pub referral_amount: Option<i64>,
}

/// Computes a program's public aggregates.
/// (`today` decides whether a program has ended.)
pub async fn stats(
    store: &Store,
    regions: &Regions,
    program_id: i64,
    today: NaiveDate,
) -> Result<ProgramStats> {
    let program = find(store, program_id).await?;
    stats_of(store, regions, &program, &state(store).await?, today).await
}

/// Every program with its public aggregates (the enrollment log is read once).
pub async fn stats_all(
    store: &Store,
    regions: &Regions,
    today: NaiveDate,
) -> Result<Vec<(Program, ProgramStats)>> {
    let st = state(store).await?;
    let mut out = Vec::new();
    for p in store.programs().await? {
        let s = stats_of(store, regions, &p, &st, today).await?;
        out.push((p, s));
    }
    Ok(out)
}

async fn stats_of(
    store: &Store,
    regions: &Regions,
    program: &Program,
    st: &Enrollments,
    today: NaiveDate,
) -> Result<ProgramStats> {
    let members = st.of_program(program.id);
    let participants: Vec<_> = members
        .iter()
        .filter(|(h, _, _)| st.ever_enrolled(program.id, *h))
        .collect();
    let sexes = store.participant_sexes(program.id).await?;
    let mut by_status = BTreeMap::new();
    for s in [
        Status::Enrolled,
        Status::Active,
        Status::Graduated,
        Status::Exited,
    ] {
        by_status.insert(s.as_str().to_string(), 0);
    }
    let mut districts: BTreeMap<RegionCode, (u64, u64, u64)> = BTreeMap::new();
    for (h, s, village) in &participants {
        *by_status.entry(s.as_str().to_string()).or_default() += 1;
        let Some(district) = village.at_level(Level::District) else {
            continue;
        };
        let e = districts.entry(district).or_default();
        let sex = st
            .participant(program.id, *h)
            .and_then(|nik| sexes.get(&nik).copied());
        match sex {
            Some(JenisKelamin::P) => e.0 += 1,
            Some(JenisKelamin::L) => e.1 += 1,
            None => {}
        }
        e.2 += 1;
    }
    let graduated = by_status["graduated"];
    let finished = graduated + by_status["exited"];
    let by_status: BTreeMap<String, Cell> = {
        let cells = protect(&by_status.values().copied().collect::<Vec<_>>());
        by_status.into_keys().zip(cells).collect()
    };
    // A rate over a few households, or one beside a suppressed count it would
    // reveal (participants minus the shown counts is `finished`), is not shown.
    let rate_shown = finished >= MIN_PUBLIC_CELL
        && !by_status["graduated"].suppressed
        && !by_status["exited"].suppressed;
    let ever: HashSet<u64> = participants.iter().map(|(h, _, _)| *h).collect();
    let latest = latest_outcomes(&store.outcomes(program.id).await?);
    let mut last_business: HashMap<u64, bool> = HashMap::new();
    let mut followed: HashSet<u64> = HashSet::new();
    for o in latest.iter().filter(|o| ever.contains(&o.household)) {
        followed.insert(o.household);
        if let Some(b) = o.business {
            last_business.insert(o.household, b);
        }
    }
    let attendance = store.attendance(program.id).await?;
    let present = attendance.iter().filter(|(_, _, p)| *p).count();
    let mut referrals: BTreeMap<String, u64> = BTreeMap::new();
    let mut amount: i64 = 0;
    let mut completed = 0u64;
    for r in store.referrals(Some(program.id), None).await? {
        *referrals.entry(r.status.as_str().to_string()).or_insert(0) += 1;
        if r.status == ReferralStatus::Completed {
            completed += 1;
            // Amounts are bounded when recorded; saturate rather than wrap for
            // anything stored before the bound existed.
            amount = amount.saturating_add(r.amount.map_or(0, |a| a.get().max(0)));
        }
    }
    Ok(ProgramStats {
        program: program.id,
        participants: participants.len() as u64,
        by_status,
        by_district: {
            // Totals protected across districts (the participants total is published).
            let totals = protect(&districts.values().map(|c| c.2).collect::<Vec<_>>());
            districts
                .into_iter()
                .zip(totals)
                .map(|((code, (w, m, _)), total)| {
                    let (women, men, total) = crate::disclosure::sex_cells(w, m, total);
                    DistrictParticipants {
                        name: regions
                            .get(&code)
                            .map(|r| r.name.clone())
                            .unwrap_or_default(),
                        district: code.to_string(),
                        women,
                        men,
                        total,
                    }
                })
                .collect()
        },
        graduation_rate: (rate_shown && finished > 0 && (graduated > 0 || program.end < today))
            .then(|| graduated as f64 / finished as f64),
        businesses_started: last_business.values().filter(|b| **b).count() as u64,
        followed_up: followed.len() as u64,
        sessions: store.training_sessions(program.id).await?.len() as u64,
        attendance_rate: (attendance.len() as u64 >= MIN_PUBLIC_CELL)
            .then(|| present as f64 / attendance.len() as f64),
        visits: store.visits(program.id).await?.len() as u64,
        referrals: {
            let cells = protect(&referrals.values().copied().collect::<Vec<_>>());
            referrals.into_keys().zip(cells).collect()
        },
        referral_amount: (completed == 0 || completed >= MIN_PUBLIC_CELL).then_some(amount),
    })
}

/// One row of the evaluation panel of a program.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PanelRow {
    /// A number standing for the household within this export (not the KK).
    pub unit: u64,
    /// Quarter index: 4 × year + quarter − 1 (2026Q1 = 8104).
    pub period: i64,
    /// Quarter index of the first enrollment, 0 for candidates never enrolled.
    pub first_treated: i64,
    /// Monthly income (Rupiah) at the latest observation of the quarter.
    pub income: Option<i64>,
    /// Runs a business (1/0).
    pub business: Option<u8>,
    /// Employed (1/0).
    pub employed: Option<u8>,
}

/// The quarter index of a day (4 × year + quarter − 1).
pub fn quarter(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    4 * d.year() as i64 + (d.month0() / 3) as i64
}

/// The long panel an impact evaluation reads (`sejahtera evaluate did`):
/// one row per household and quarter with observations, participants treated
/// from the quarter of their first enrollment, candidates never enrolled as the
/// comparison group. Units are numbered 1.. in KK order, so the file holds no KK.
pub async fn panel(store: &Store, program_id: i64) -> Result<Vec<PanelRow>> {
    let program = find(store, program_id).await?;
    let events = store.enrollment_events().await?;
    let mut first: HashMap<u64, i64> = HashMap::new();
    for e in events.iter().filter(|e| e.program == program.id) {
        if e.status.holds_a_place() {
            first
                .entry(e.household)
                .or_insert_with(|| quarter(e.at.date_naive()));
        }
    }
    let latest = latest_outcomes(&store.outcomes(program.id).await?);
    let mut per: BTreeMap<(u64, i64), &Outcome> = BTreeMap::new();
    for o in &latest {
        let key = (o.household, quarter(o.date));
        if per.get(&key).is_none_or(|old| old.date <= o.date) {
            per.insert(key, o);
        }
    }
    let mut units: BTreeMap<u64, u64> = BTreeMap::new();
    for (h, _) in per.keys() {
        let n = units.len() as u64 + 1;
        units.entry(*h).or_insert(n);
    }
    Ok(per
        .into_iter()
        .map(|((h, q), o)| PanelRow {
            unit: units[&h],
            period: q,
            first_treated: first.get(&h).copied().unwrap_or(0),
            income: o.income.map(|r| r.get()),
            business: o.business.map(u8::from),
            employed: o.employed.map(u8::from),
        })
        .collect())
}

/// A household of a program as staff see it (personal data: staff pages only).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Enrollee {
    /// KK number.
    pub no_kk: String,
    /// Pseudonymous reference (links to the household page).
    #[serde(rename = "ref")]
    pub reference: String,
    /// Village code.
    pub village: String,
    /// Village name.
    pub village_name: String,
    /// Current status.
    pub status: Status,
    /// The participating member's name.
    pub participant: Option<String>,
    /// The participating member's sex (L/P).
    pub sex: Option<String>,
    /// Sessions attended (present marks).
    pub attended: u64,
    /// Latest monthly income observed.
    pub latest_income: Option<i64>,
    /// Runs a business at the latest observation.
    pub business: Option<bool>,
}

/// The households of a program (candidates and participants) that the actor may
/// see with their personal data, in village then KK order; `Forbidden` when the
/// actor sees none of them.
pub async fn enrollees(
    store: &Store,
    regions: &Regions,
    actor: &Actor,
    program_id: i64,
) -> Result<Vec<Enrollee>> {
    let program = find(store, program_id).await?;
    let (st, mut rows) = scoped(store, actor, &program).await?;
    rows.sort_by(|a, b| (&a.2, a.0).cmp(&(&b.2, b.0)));
    let kks: Vec<NoKk> = rows
        .iter()
        .map(|(h, _, _)| NoKk::parse(&format!("{h:016}")))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Unexpected(e.into()))?;
    let refs = crate::households::references(store, &kks).await?;
    let mut attended: HashMap<u64, u64> = HashMap::new();
    for (_, h, present) in store.attendance(program.id).await? {
        if present {
            *attended.entry(h).or_default() += 1;
        }
    }
    let mut latest: HashMap<u64, Outcome> = HashMap::new();
    for o in latest_outcomes(&store.outcomes(program.id).await?) {
        latest.insert(o.household, o);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (((h, status, village), kk), reference) in rows.into_iter().zip(kks).zip(refs) {
        let members = store
            .household_detail(&kk)
            .await?
            .map(|(_, m)| m)
            .unwrap_or_default();
        let who = st
            .participant(program.id, h)
            .and_then(|nik| members.iter().find(|m| m.nik.as_u64() == nik));
        let last = latest.get(&h);
        out.push(Enrollee {
            no_kk: kk.as_str().to_string(),
            reference,
            village_name: regions
                .get(&village)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            village: village.to_string(),
            status,
            participant: who.map(|m| m.nama.clone()),
            sex: who.map(|m| m.jenis_kelamin.as_str().to_string()),
            attended: attended.get(&h).copied().unwrap_or(0),
            latest_income: last.and_then(|o| o.income.map(|r| r.get())),
            business: last.and_then(|o| o.business),
        });
    }
    Ok(out)
}

/// The enrollment state and the households of a program (KK, status, village)
/// whose personal data the actor may see; `Forbidden` when none.
async fn scoped(
    store: &Store,
    actor: &Actor,
    program: &Program,
) -> Result<(Enrollments, Vec<(u64, Status, RegionCode)>)> {
    let scope = actor.program_scope(program);
    if scope == RegistryScope::Nothing {
        return Err(Error::Forbidden(
            Msg::new("program.readers_forbidden")
                .arg("program", &program.name)
                .arg("agency", &program.agency),
        ));
    }
    let st = state(store).await?;
    let rows = st
        .of_program(program.id)
        .into_iter()
        .filter(|(_, _, v)| scope.contains(v))
        .collect();
    Ok((st, rows))
}

async fn scoped_households(
    store: &Store,
    actor: &Actor,
    program: &Program,
) -> Result<HashSet<u64>> {
    let (_, rows) = scoped(store, actor, program).await?;
    Ok(rows.into_iter().map(|(h, _, _)| h).collect())
}

/// The mentoring visits of a program that the actor may see.
pub async fn visits_for(store: &Store, actor: &Actor, program_id: i64) -> Result<Vec<Visit>> {
    let program = find(store, program_id).await?;
    let seen = scoped_households(store, actor, &program).await?;
    Ok(store
        .visits(program.id)
        .await?
        .into_iter()
        .filter(|v| seen.contains(&v.household))
        .collect())
}

/// The outcomes of a program (latest per household and day) that the actor may see.
pub async fn outcomes_for(store: &Store, actor: &Actor, program_id: i64) -> Result<Vec<Outcome>> {
    let program = find(store, program_id).await?;
    let seen = scoped_households(store, actor, &program).await?;
    Ok(latest_outcomes(&store.outcomes(program.id).await?)
        .into_iter()
        .filter(|o| seen.contains(&o.household))
        .collect())
}

/// Every partner organisation, in id order.
pub async fn partners(store: &Store) -> Result<Vec<Partner>, sejahtera_store::StoreError> {
    store.partners().await
}

/// A session with its attendance counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    /// The session.
    #[serde(flatten)]
    pub session: Session,
    /// Present marks.
    pub present: u64,
    /// Absent marks.
    pub absent: u64,
}

/// The sessions of a program with attendance counts (no personal data).
pub async fn sessions(store: &Store, program_id: i64) -> Result<Vec<SessionSummary>> {
    let program = find(store, program_id).await?;
    let marks = store.attendance(program.id).await?;
    Ok(store
        .training_sessions(program.id)
        .await?
        .into_iter()
        .map(|s| {
            let of = marks.iter().filter(|(id, _, _)| *id == s.id);
            let present = of.clone().filter(|(_, _, p)| *p).count() as u64;
            let absent = of.filter(|(_, _, p)| !*p).count() as u64;
            SessionSummary {
                session: s,
                present,
                absent,
            }
        })
        .collect())
}
