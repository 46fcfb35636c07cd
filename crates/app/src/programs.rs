//! Programs: definition, dry run of the eligibility expression per village, and
//! enrollment decisions recorded as append-only events (rules in
//! `sejahtera_domain::programs`).

use std::collections::HashMap;

use chrono::NaiveDate;
use sejahtera_domain::access::Actor;
use sejahtera_domain::codes::Hubungan;
use sejahtera_domain::eligibility::eval_household;
use sejahtera_domain::programs::{Command, Decision, Enrollments, Event, Program, Refusal, decide};
use sejahtera_domain::region::Level;
use sejahtera_domain::{Nik, NoKk, RegionCode, Regions};
use sejahtera_store::Store;

use crate::disclosure::{Cell, protect};
use crate::error::{Error, Result};
use crate::messages::Msg;

/// Validates and stores a new program; its eligibility expression must compile
/// and its quotas name known villages.
pub async fn create(
    store: &Store,
    regions: &Regions,
    actor: &Actor,
    program: &Program,
) -> Result<i64> {
    if !actor.may_create_program(&program.agency) {
        return Err(Error::Forbidden(
            Msg::new("program.create_forbidden").arg("agency", &program.agency),
        ));
    }
    program.validate()?;
    crate::eligibility::compile(&program.eligibility).map_err(|e| {
        Error::Invalid(
            Msg::new("program.eligibility_invalid")
                .arg("program", &program.name)
                .arg("detail", e),
        )
    })?;
    for v in program.quotas.keys() {
        if v.level() != Level::Village || regions.get(v).is_none() {
            return Err(Error::Invalid(
                Msg::new("program.quota_unknown_village").arg("village", v),
            ));
        }
    }
    let existing = store.programs().await?;
    let known: Vec<i64> = existing.iter().map(|p| p.id).collect();
    for other in &program.exclusive_with {
        if !known.contains(other) {
            return Err(Error::Invalid(
                Msg::new("program.exclusive_unknown").arg("id", other),
            ));
        }
    }
    let partners: Vec<i64> = store.partners().await?.iter().map(|p| p.id).collect();
    for p in &program.partners {
        if !partners.contains(p) {
            return Err(Error::Invalid(
                Msg::new("program.partner_unknown").arg("id", p),
            ));
        }
    }
    let taken = |name: &str| Error::Refused(Msg::new("program.name_taken").arg("name", name));
    // Names differing only in case or spacing (a no-break space, a double space)
    // read as the same program to anyone looking at a list.
    let key = |name: &str| {
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    if existing.iter().any(|p| key(&p.name) == key(&program.name)) {
        return Err(taken(&program.name));
    }
    match store.create_program(program, actor.user_id).await {
        Ok(id) => Ok(id),
        // Two creations racing for one name: the database's UNIQUE decides.
        Err(e) if e.is_unique_violation() => Err(taken(&program.name)),
        Err(e) => Err(e.into()),
    }
}

/// Candidates of a program before launch: matching households per village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageCount {
    /// Village code.
    pub village: RegionCode,
    /// Village name.
    pub name: String,
    /// Matching households (suppressed for actors who may not read the whole
    /// registry, see [`dry_run`]).
    pub households: Cell,
    /// The program's quota for the village, if any.
    pub quota: Option<u32>,
}

/// A dry run: matching households per village and in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// Villages with at least one matching household, in code order.
    pub villages: Vec<VillageCount>,
    /// All matching households.
    pub total: Cell,
}

/// Counts the households matching a program's expression per village.
///
/// Administrators, planners and auditors, who may read the whole registry, see
/// every count. For everyone else (agency and village operators) the counts are
/// protected like a public table ([`crate::disclosure::protect`]): otherwise an
/// expression written to fit one family would turn the dry run into a way of
/// asking whether such a family lives in a village.
pub async fn dry_run(
    store: &Store,
    regions: &Regions,
    actor: &Actor,
    program_id: i64,
    reference_date: NaiveDate,
) -> Result<DryRun> {
    let program = find(store, program_id).await?;
    if !actor.may_plan() && !actor.may_run_program(&program) {
        return Err(Error::Forbidden(
            Msg::new("program.dry_run_forbidden")
                .arg("program", &program.name)
                .arg("agency", &program.agency),
        ));
    }
    // An agency operator counts only the households of their region.
    let under = match actor.role {
        sejahtera_domain::access::Role::AgencyOperator => {
            Some(actor.region.clone().ok_or_else(no_region)?)
        }
        _ => None,
    };
    let compiled = crate::eligibility::compile(&program.eligibility)?;
    let snap = crate::snapshot::load(store, regions, reference_date, false).await?;
    let selected = crate::eligibility::select(&snap, &compiled, under.as_ref())?;
    let mut per: HashMap<u32, u64> = HashMap::new();
    for (h, s) in selected.iter().enumerate() {
        if *s {
            *per.entry(snap.cols.village[h]).or_default() += 1;
        }
    }
    let mut per: Vec<(RegionCode, u64)> = per
        .into_iter()
        .filter_map(|(v, n)| Some((snap.cols.villages.get(v as usize)?.clone(), n)))
        .collect();
    per.sort_by(|a, b| a.0.cmp(&b.0));
    let counts: Vec<u64> = per.iter().map(|(_, n)| *n).collect();
    let total: u64 = counts.iter().sum();
    let whole_registry = actor.may_plan();
    let cells = if whole_registry {
        counts.iter().map(|n| Cell::shown(*n)).collect()
    } else {
        protect(&counts)
    };
    let total = if !whole_registry
        && total < crate::disclosure::MIN_PUBLIC_CELL
        && cells.iter().all(|c| c.suppressed || c.value == Some(0))
    {
        Cell::of(total)
    } else {
        Cell::shown(total)
    };
    Ok(DryRun {
        villages: per
            .into_iter()
            .zip(cells)
            .map(|((code, _), households)| VillageCount {
                name: regions
                    .get(&code)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                quota: program.quotas.get(&code).copied(),
                village: code,
                households,
            })
            .collect(),
        total,
    })
}

/// Why an agency operator without a region is refused.
fn no_region() -> Error {
    Error::Forbidden(Msg::new("program.no_region"))
}

/// The program with this id.
pub async fn find(store: &Store, id: i64) -> Result<Program> {
    store
        .programs()
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> Error {
    Error::NotFound(Msg::new("program.not_found").arg("id", id))
}

/// Every program, in id order.
pub async fn list(store: &Store) -> Result<Vec<Program>, sejahtera_store::StoreError> {
    store.programs().await
}

/// The current status of every household in every program, replayed from the
/// append-only enrollment log.
pub async fn enrollments(store: &Store) -> Result<Enrollments, sejahtera_store::StoreError> {
    store.enrollments().await
}

/// Decides `command` for the household `no_kk` in program `program_id` and
/// appends the event; a refusal comes back as an error whose message says why.
///
/// Only the program's agency and administrators decide. On enrollment the
/// participant is `participant` (a member of the household) or, when not
/// given, the head of the household.
///
/// The rules (capacity, quotas, exclusivity, lifecycle) are checked on the
/// programs and the log as read inside the write transaction that appends the
/// event ([`Store::begin_enrollment`]): concurrent decisions — from this
/// process, another server or the command line — are serialized by the
/// database, so the last place of a program is taken once.
pub async fn record(
    store: &Store,
    actor: &Actor,
    program_id: i64,
    no_kk: &NoKk,
    participant: Option<&Nik>,
    command: &Command,
    decision: &Decision,
) -> Result<Event> {
    // The household as registered, read before the write transaction (it does
    // not bear on the rules, and the transaction holds one connection only).
    let detail = store.household_detail(no_kk).await?;
    let welfare = store.welfare_of(no_kk).await?;
    let mut tx = store.begin_enrollment().await?;
    let programs = tx.programs().await?;
    let program = programs
        .iter()
        .find(|p| p.id == program_id)
        .ok_or_else(|| not_found(program_id))?;
    if !actor.may_run_program(program) {
        return Err(Error::Forbidden(
            Msg::new("program.decide_forbidden")
                .arg("program", &program.name)
                .arg("agency", &program.agency),
        ));
    }
    let state = tx.enrollments().await?;
    if state.status(program.id, no_kk.as_u64()).is_none() {
        // A household enters a program only as one of its candidates: in the
        // registry and matching the eligibility expression (which names the
        // program's regions). Both failures give the same answer.
        let not_candidate = || Refusal::NotCandidate {
            program: program.name.clone(),
            household: no_kk.as_u64(),
        };
        if actor.role == sejahtera_domain::access::Role::AgencyOperator && actor.region.is_none() {
            return Err(no_region());
        }
        // Households of other regions are refused with the same words as unknown ones.
        let Some((household, members)) = detail
            .as_ref()
            .filter(|(h, _)| actor.may_take_household_from(&h.kode_wilayah))
        else {
            return Err(not_candidate().into());
        };
        let compiled = crate::eligibility::compile(&program.eligibility)?;
        let row =
            crate::snapshot::household_row(household, members, welfare, decision.at.date_naive());
        if !eval_household(&compiled, &row) {
            return Err(not_candidate().into());
        }
    }
    let (household, members) = detail.ok_or_else(|| {
        Error::NotFound(Msg::new("program.household_not_registered").arg("kk", no_kk))
    })?;
    let mut event = decide(
        &state,
        program,
        &programs,
        no_kk.as_u64(),
        &household.kode_wilayah,
        command,
        decision,
    )?;
    if participant.is_some() && !matches!(command, Command::Enroll) {
        return Err(Error::Invalid(Msg::new("program.participant_enroll_only")));
    }
    if matches!(command, Command::Enroll) || event.participant.is_none() {
        let chosen = match participant {
            Some(nik) => Some(
                members
                    .iter()
                    .find(|m| &m.nik == nik)
                    .ok_or_else(|| Error::Invalid(Msg::new("program.participant_not_member")))?
                    .nik,
            ),
            None => event
                .participant
                .and_then(|p| members.iter().find(|m| m.nik.as_u64() == p))
                .or_else(|| {
                    members
                        .iter()
                        .find(|m| m.hubungan == Some(Hubungan::Kepala))
                })
                .or(members.first())
                .map(|m| m.nik),
        };
        event.participant = chosen.map(|n| n.as_u64());
    }
    tx.append(&event).await?;
    tx.commit().await?;
    Ok(event)
}
