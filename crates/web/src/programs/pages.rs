//! Program pages: public pages with aggregates only (`/program`,
//! `/program/{id}`) and the staff pages to define and run programs
//! (`/staff/programs…`: decisions, sessions and attendance, visits, referrals,
//! outcomes). Every action goes through the same use cases and roles as the
//! API; KK numbers travel in form bodies, never in URLs.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use sejahtera_app::accounts::SessionInfo;
use sejahtera_app::delivery::{self, Enrollee, OutcomeImport, ProgramStats, SessionSummary};
use sejahtera_app::programs::{self, DryRun};
use sejahtera_domain::access::RegistryScope;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{
    Outcome, OutcomeSource, Partner, Referral, ReferralStatus, Service,
};
use sejahtera_domain::programs::{Program, ProgramKind, Sector};
use sejahtera_domain::{NoKk, Rupiah};
use serde::Deserialize;

use super::api::{DecisionBody, NewProgram, record_decision};
use crate::auth::{MaybeUser, UiLang, check_csrf};
use crate::error::{Failure, PageError};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::views::Nav;
use crate::views::private;

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The program pages.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/program", get(public_list))
        .route("/program/{id}", get(public_detail))
        .route("/staff/programs", get(staff_list).post(create))
        .route("/staff/programs/{id}", get(staff_detail))
        .route("/staff/programs/{id}/decisions", post(decide))
        .route("/staff/programs/{id}/sessions", post(add_session))
        .route(
            "/staff/programs/{id}/sessions/{sid}",
            get(attendance_form).post(attendance),
        )
        .route("/staff/programs/{id}/visits", post(add_visit))
        .route("/staff/programs/{id}/referrals", post(refer))
        .route("/staff/programs/{id}/outcomes", post(add_outcome))
        .route(
            "/staff/programs/{id}/outcomes/import",
            post(import_outcomes).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

pub(crate) fn render(t: &impl Template, lang: Lang) -> PageResult {
    crate::views::html(t).map_err(|e| PageError::new(e, lang))
}

/// A program as listed.
pub struct ProgramRow {
    id: i64,
    name: String,
    sector: &'static str,
    agency: String,
    kind: &'static str,
    start: NaiveDate,
    end: NaiveDate,
    budget: i64,
    participants: u64,
    graduation_rate: Option<f64>,
    businesses: u64,
}

async fn rows(st: &AppState, lang: Lang) -> Result<Vec<ProgramRow>, PageError> {
    let mut out = Vec::new();
    let all = delivery::stats_all(&st.store, &st.regions, st.clock.today())
        .await
        .map_err(|e| PageError::new(Failure::of_program(e), lang))?;
    for (p, s) in all {
        out.push(ProgramRow {
            id: p.id,
            sector: p.sector.as_str(),
            kind: p.kind.as_str(),
            agency: p.agency,
            start: p.start,
            end: p.end,
            budget: p.budget.get(),
            participants: s.participants,
            graduation_rate: s.graduation_rate,
            businesses: s.businesses_started,
            name: p.name,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "programs.html")]
struct PublicList {
    t: Tr,
    nav: Nav,
    programs: Vec<ProgramRow>,
}

async fn public_list(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let programs = rows(&st, lang).await?;
    render(
        &PublicList {
            t: Tr::new(lang),
            nav: Nav::new(lang, user.0.as_ref(), "/program"),
            programs,
        },
        lang,
    )
}

#[derive(Template)]
#[template(path = "program.html")]
struct PublicDetail {
    t: Tr,
    nav: Nav,
    p: Program,
    partners: Vec<Partner>,
    s: ProgramStats,
    min_cell: u64,
}

async fn program_and_stats(
    st: &AppState,
    id: i64,
    lang: Lang,
) -> Result<(Program, ProgramStats, Vec<Partner>), PageError> {
    let p = programs::find(&st.store, id)
        .await
        .map_err(|e| PageError::new(Failure::of_program(e), lang))?;
    let s = delivery::stats(&st.store, &st.regions, id, st.clock.today())
        .await
        .map_err(|e| PageError::new(Failure::of_program(e), lang))?;
    let partners = st
        .store
        .partners()
        .await
        .map_err(|e| PageError::new(e, lang))?
        .into_iter()
        .filter(|x| p.partners.contains(&x.id))
        .collect();
    Ok((p, s, partners))
}

async fn public_detail(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
) -> PageResult {
    let (p, s, partners) = program_and_stats(&st, id, lang).await?;
    render(
        &PublicDetail {
            t: Tr::new(lang),
            nav: Nav::new(lang, user.0.as_ref(), &format!("/program/{id}")),
            p,
            partners,
            s,
            min_cell: delivery::MIN_PUBLIC_CELL,
        },
        lang,
    )
}

#[derive(Template)]
#[template(path = "staff_programs.html")]
struct StaffList {
    t: Tr,
    nav: Nav,
    programs: Vec<ProgramRow>,
    may_create: bool,
    agency: String,
    sectors: Vec<&'static str>,
    kinds: Vec<&'static str>,
    partners: Vec<Partner>,
    error: Option<String>,
}

async fn staff_list_page(
    st: &AppState,
    lang: Lang,
    s: &SessionInfo,
    error: Option<String>,
) -> PageResult {
    let programs = rows(st, lang).await?;
    let partners = st
        .store
        .partners()
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut r = render(
        &StaffList {
            t: Tr::new(lang),
            nav: Nav::new(lang, Some(s), "/staff/programs"),
            programs,
            may_create: s.actor.may_manage_users() || s.actor.agency.is_some(),
            agency: s.actor.agency.clone().unwrap_or_default(),
            sectors: Sector::ALL.iter().map(|(_, s)| *s).collect(),
            kinds: ProgramKind::ALL.iter().map(|(_, s)| *s).collect(),
            partners,
            error,
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(private(r))
}

async fn staff_list(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    staff_list_page(&st, lang, &s, None).await
}

#[derive(Deserialize)]
struct NewProgramForm {
    #[serde(default)]
    csrf: String,
    name: String,
    sector: String,
    agency: String,
    kind: String,
    start: String,
    end: String,
    budget: String,
    #[serde(default)]
    capacity: String,
    eligibility: String,
    /// VILLAGE=N, comma or space separated.
    #[serde(default)]
    quotas: String,
    /// Partner ids, comma or space separated.
    #[serde(default)]
    partners: String,
    /// Ids of programs this one is exclusive with, comma or space separated.
    #[serde(default)]
    exclusive_with: String,
}

fn ids(field: &str, v: &str) -> Result<Vec<i64>, Failure> {
    v.split([',', ' '])
        .filter(|x| !x.trim().is_empty())
        .map(|x| {
            x.trim()
                .parse()
                .map_err(|_| Failure::BadRequest(format!("{field}: {x:?} is not an id")))
        })
        .collect()
}

pub(crate) fn date(field: &str, v: &str) -> Result<NaiveDate, Failure> {
    v.trim()
        .parse()
        .map_err(|_| Failure::BadRequest(format!("{field}: {v:?} is not a date (YYYY-MM-DD)")))
}

fn program_from_form(f: &NewProgramForm) -> Result<Program, Failure> {
    let budget =
        Rupiah::parse(f.budget.trim()).map_err(|e| Failure::BadRequest(format!("budget: {e}")))?;
    let capacity = match f.capacity.trim() {
        "" => 0,
        c => c
            .parse()
            .map_err(|_| Failure::BadRequest(format!("capacity: {c:?} is not a whole number")))?,
    };
    let mut quotas = BTreeMap::new();
    for q in f
        .quotas
        .split([',', ' ', '\n'])
        .filter(|q| !q.trim().is_empty())
    {
        let (v, n) = q
            .split_once('=')
            .ok_or_else(|| Failure::BadRequest(format!("quotas: {q:?} is not VILLAGE=N")))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| Failure::BadRequest(format!("quotas: {q:?}: N must be a whole number")))?;
        quotas.insert(v.trim().to_string(), n);
    }
    let partners = ids("partners", &f.partners)?;
    let exclusive_with = ids("exclusive_with", &f.exclusive_with)?;
    NewProgram {
        name: f.name.clone(),
        sector: f.sector.clone(),
        agency: f.agency.clone(),
        kind: f.kind.clone(),
        start: date("start", &f.start)?,
        end: date("end", &f.end)?,
        budget: budget.get(),
        capacity,
        quotas,
        eligibility: f.eligibility.clone(),
        exclusive_with,
        partners,
    }
    .program()
}

async fn create(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    axum::Form(form): axum::Form<NewProgramForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    let result = match program_from_form(&form) {
        Ok(p) => programs::create(&st.store, &st.regions, &s.actor, &p)
            .await
            .map_err(Failure::of_program),
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/staff/programs/{id}?done=created")).into_response()),
        Err(e) if e.is_ours() || e.is_forbidden() => Err(PageError::new(e, lang)),
        Err(e) => staff_list_page(&st, lang, &s, Some(e.message(lang))).await,
    }
}

#[derive(Template)]
#[template(path = "staff_program.html")]
struct StaffDetail {
    t: Tr,
    nav: Nav,
    p: Program,
    s: ProgramStats,
    partners: Vec<Partner>,
    sessions: Vec<SessionSummary>,
    enrollees: Option<Vec<Enrollee>>,
    referrals: Vec<ReferralRow>,
    visits: Vec<VisitRow>,
    dry_run: Option<DryRun>,
    /// Whether the actor may see the dry run (the program's agency, planners, auditors, admins).
    may_dry_run: bool,
    may_run: bool,
    done: Option<&'static str>,
    error: Option<String>,
    import: Option<OutcomeImport>,
    services: Vec<&'static str>,
    today: String,
    /// The program id, for the referral forms to come back here.
    back: String,
}

/// A referral as listed.
pub(crate) struct ReferralRow {
    pub(crate) id: i64,
    pub(crate) program: String,
    pub(crate) no_kk: String,
    pub(crate) partner: String,
    pub(crate) service: &'static str,
    pub(crate) status: &'static str,
    pub(crate) result: String,
    pub(crate) amount: Option<i64>,
    pub(crate) referred_on: NaiveDate,
    pub(crate) updated_on: NaiveDate,
    pub(crate) next: Vec<&'static str>,
}

/// A visit as listed.
pub struct VisitRow {
    date: NaiveDate,
    no_kk: String,
    notes: String,
}

pub(crate) fn referral_rows(
    refs: Vec<Referral>,
    programs: &[Program],
    partners: &[Partner],
) -> Vec<ReferralRow> {
    refs.into_iter()
        .map(|r| ReferralRow {
            id: r.id,
            program: programs
                .iter()
                .find(|p| p.id == r.program)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            no_kk: format!("{:016}", r.household),
            partner: partners
                .iter()
                .find(|p| p.id == r.partner)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            service: r.service.as_str(),
            status: r.status.as_str(),
            result: r.result.unwrap_or_default(),
            amount: r.amount.map(|a| a.get()),
            referred_on: r.referred_on,
            updated_on: r.updated_on,
            next: match r.status {
                ReferralStatus::Referred => vec!["accepted", "rejected"],
                ReferralStatus::Accepted => vec!["completed", "rejected"],
                _ => vec![],
            },
        })
        .collect()
}

/// The confirmations the program page shows after an action.
pub(crate) const DONE: &[&str] = &[
    "created",
    "decision",
    "session",
    "attendance",
    "visit",
    "referral",
    "outcome",
    "referral_status",
];

#[derive(Deserialize)]
struct DetailQuery {
    done: Option<String>,
    dry_run: Option<String>,
}

struct Extra {
    error: Option<String>,
    status: StatusCode,
    import: Option<OutcomeImport>,
}

async fn detail_page(
    st: &AppState,
    lang: Lang,
    s: &SessionInfo,
    id: i64,
    q: DetailQuery,
    extra: Extra,
) -> PageResult {
    // The staff page of a program is for staff, whichever action led here (a
    // partner's refused referral update comes back to the referrals page).
    if !s.actor.is_staff() {
        return Err(PageError::new(
            Failure::Forbidden("the staff console is for government staff accounts".into()),
            lang,
        ));
    }
    let (p, stats, partners) = program_and_stats(st, id, lang).await?;
    let program_err = |e| PageError::new(Failure::of_program(e), lang);
    let sessions = delivery::sessions(&st.store, id)
        .await
        .map_err(program_err)?;
    let sees = s.actor.program_scope(&p) != RegistryScope::Nothing;
    let (enrollees, visits, referrals) = if sees {
        let all_programs = st
            .store
            .programs()
            .await
            .map_err(|e| PageError::new(e, lang))?;
        let all_partners = st
            .store
            .partners()
            .await
            .map_err(|e| PageError::new(e, lang))?;
        let enrollees = delivery::enrollees(&st.store, &st.regions, &s.actor, id)
            .await
            .map_err(program_err)?;
        let seen: std::collections::HashSet<&str> =
            enrollees.iter().map(|e| e.no_kk.as_str()).collect();
        let mut visits: Vec<VisitRow> = delivery::visits_for(&st.store, &s.actor, id)
            .await
            .map_err(program_err)?
            .into_iter()
            .rev()
            .take(50)
            .map(|v| VisitRow {
                date: v.date,
                no_kk: format!("{:016}", v.household),
                notes: v.notes,
            })
            .collect();
        visits.sort_by_key(|v| std::cmp::Reverse(v.date));
        let refs: Vec<Referral> = delivery::referrals_for(&st.store, &s.actor, Some(id))
            .await
            .map_err(program_err)?
            .into_iter()
            .filter(|r| seen.contains(format!("{:016}", r.household).as_str()))
            .collect();
        (
            Some(enrollees),
            visits,
            referral_rows(refs, &all_programs, &all_partners),
        )
    } else {
        (None, Vec::new(), Vec::new())
    };
    let may_dry_run = s.actor.may_plan() || s.actor.may_run_program(&p);
    let dry_run = if q.dry_run.is_some() && may_dry_run {
        Some(
            programs::dry_run(&st.store, &st.regions, &s.actor, id, st.clock.today())
                .await
                .map_err(program_err)?,
        )
    } else {
        None
    };
    let mut r = render(
        &StaffDetail {
            t: Tr::new(lang),
            nav: Nav::new(lang, Some(s), &format!("/staff/programs/{id}")),
            may_run: s.actor.may_run_program(&p),
            may_dry_run,
            p,
            s: stats,
            partners,
            sessions,
            enrollees,
            referrals,
            visits,
            dry_run,
            done: q
                .done
                .as_deref()
                .and_then(|d| DONE.iter().find(|x| **x == d).copied()),
            error: extra.error,
            import: extra.import,
            services: Service::ALL.iter().map(|(_, s)| *s).collect(),
            today: st.clock.today().to_string(),
            back: id.to_string(),
        },
        lang,
    )?;
    *r.status_mut() = extra.status;
    Ok(private(r))
}

async fn staff_detail(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    detail_page(
        &st,
        lang,
        &s,
        id,
        q,
        Extra {
            error: None,
            status: StatusCode::OK,
            import: None,
        },
    )
    .await
}

/// After an action: back to the program page, or the page again with the reason.
pub(crate) async fn after(
    st: &AppState,
    lang: Lang,
    s: &SessionInfo,
    id: i64,
    done: &str,
    result: Result<(), Failure>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staff/programs/{id}?done={done}")).into_response()),
        Err(e) if e.is_ours() || e.is_program_missing() => Err(PageError::new(e, lang)),
        Err(e) => {
            let status = if e.is_refused() {
                StatusCode::CONFLICT
            } else if e.is_forbidden() {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            };
            detail_page(
                st,
                lang,
                s,
                id,
                DetailQuery {
                    done: None,
                    dry_run: None,
                },
                Extra {
                    error: Some(e.message(lang)),
                    status,
                    import: None,
                },
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    no_kk: String,
    action: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    participant: String,
}

async fn decide(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DecisionForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&f.csrf)).map_err(|e| PageError::new(e, lang))?;
    let body = DecisionBody {
        no_kk: f.no_kk,
        action: f.action,
        why: f.why,
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
        to: Some(f.to).filter(|r| !r.trim().is_empty()),
        participant: Some(f.participant).filter(|r| !r.trim().is_empty()),
    };
    let r = record_decision(&st, &s.actor, id, &body).await.map(|_| ());
    after(&st, lang, &s, id, "decision", r).await
}

#[derive(Deserialize)]
struct SessionForm {
    #[serde(default)]
    csrf: String,
    date: String,
    topic: String,
    #[serde(default)]
    place: String,
}

async fn add_session(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<SessionForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&f.csrf)).map_err(|e| PageError::new(e, lang))?;
    let r = match date("date", &f.date) {
        Ok(d) => delivery::add_session(&st.store, &s.actor, id, d, &f.topic, &f.place)
            .await
            .map(|_| ())
            .map_err(Failure::of_program),
        Err(e) => Err(e),
    };
    after(&st, lang, &s, id, "session", r).await
}

#[derive(Template)]
#[template(path = "attendance.html")]
struct AttendancePage {
    t: Tr,
    nav: Nav,
    p: Program,
    session: sejahtera_domain::delivery::Session,
    rows: Vec<(Enrollee, Option<bool>)>,
    error: Option<String>,
}

async fn attendance_page(
    st: &AppState,
    lang: Lang,
    s: &SessionInfo,
    id: i64,
    sid: i64,
    error: Option<String>,
) -> PageResult {
    let program_err = |e| PageError::new(Failure::of_program(e), lang);
    let (p, session) = delivery::session_of(&st.store, sid)
        .await
        .map_err(program_err)?;
    if p.id != id {
        return Err(PageError::new(Failure::NotFound, lang));
    }
    if !s.actor.may_run_program(&p) {
        return Err(PageError::new(
            Failure::Forbidden(format!(
                "attendance in {} is recorded by {}",
                p.name, p.agency
            )),
            lang,
        ));
    }
    let marks = st
        .store
        .attendance(id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let rows = delivery::enrollees(&st.store, &st.regions, &s.actor, id)
        .await
        .map_err(program_err)?
        .into_iter()
        .filter(|e| !matches!(e.status, sejahtera_domain::programs::Status::Candidate))
        .map(|e| {
            let kk: u64 = e.no_kk.parse().unwrap_or(0);
            let mark = marks
                .iter()
                .find(|(x, h, _)| *x == sid && *h == kk)
                .map(|(_, _, p)| *p);
            (e, mark)
        })
        .collect();
    let mut r = render(
        &AttendancePage {
            t: Tr::new(lang),
            nav: Nav::new(
                lang,
                Some(s),
                &format!("/staff/programs/{id}/sessions/{sid}"),
            ),
            p,
            session,
            rows,
            error: error.clone(),
        },
        lang,
    )?;
    if error.is_some() {
        *r.status_mut() = StatusCode::CONFLICT;
    }
    Ok(private(r))
}

async fn attendance_form(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path((id, sid)): Path<(i64, i64)>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    attendance_page(&st, lang, &s, id, sid, None).await
}

async fn attendance(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path((id, sid)): Path<(i64, i64)>,
    // Fields: `csrf`, `listed_<KK>` for every participant on the form and
    // `present_<KK>` for those ticked present (KK numbers stay in the body).
    axum::Form(f): axum::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, f.get("csrf").map(String::as_str)).map_err(|e| PageError::new(e, lang))?;
    let mut marks = Vec::new();
    let mut listed: Vec<&str> = f.keys().filter_map(|k| k.strip_prefix("listed_")).collect();
    listed.sort();
    for k in listed {
        let kk =
            NoKk::parse(k).map_err(|e| PageError::new(Failure::BadRequest(e.to_string()), lang))?;
        marks.push((kk, f.contains_key(&format!("present_{k}"))));
    }
    let (p, _) = delivery::session_of(&st.store, sid)
        .await
        .map_err(|e| PageError::new(Failure::of_program(e), lang))?;
    if p.id != id {
        return Err(PageError::new(Failure::NotFound, lang));
    }
    match delivery::record_attendance(&st.store, &s.actor, sid, &marks).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staff/programs/{id}?done=attendance")).into_response())
        }
        Err(e) => match Failure::of_program(e) {
            f if f.is_refused() => {
                attendance_page(&st, lang, &s, id, sid, Some(f.message(lang))).await
            }
            other => Err(PageError::new(other, lang)),
        },
    }
}

#[derive(Deserialize)]
struct VisitForm {
    #[serde(default)]
    csrf: String,
    no_kk: String,
    date: String,
    notes: String,
}

async fn add_visit(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<VisitForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&f.csrf)).map_err(|e| PageError::new(e, lang))?;
    let r = async {
        let kk =
            NoKk::parse(f.no_kk.trim()).map_err(|e| Failure::BadRequest(format!("no_kk: {e}")))?;
        let d = date("date", &f.date)?;
        delivery::add_visit(&st.store, &s.actor, id, &kk, d, &f.notes, st.clock.today())
            .await
            .map(|_| ())
            .map_err(Failure::of_program)
    }
    .await;
    after(&st, lang, &s, id, "visit", r).await
}

#[derive(Deserialize)]
struct ReferForm {
    #[serde(default)]
    csrf: String,
    no_kk: String,
    partner: i64,
    service: String,
    #[serde(default)]
    date: String,
}

async fn refer(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReferForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&f.csrf)).map_err(|e| PageError::new(e, lang))?;
    let r = async {
        let kk =
            NoKk::parse(f.no_kk.trim()).map_err(|e| Failure::BadRequest(format!("no_kk: {e}")))?;
        let service = Service::parse(f.service.trim())
            .map_err(|e| Failure::BadRequest(format!("service: {e}")))?;
        let d = if f.date.trim().is_empty() {
            st.clock.today()
        } else {
            date("date", &f.date)?
        };
        delivery::refer(&st.store, &s.actor, id, &kk, f.partner, service, d)
            .await
            .map(|_| ())
            .map_err(Failure::of_program)
    }
    .await;
    after(&st, lang, &s, id, "referral", r).await
}

#[derive(Deserialize)]
struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    no_kk: String,
    date: String,
    #[serde(default)]
    business: String,
    #[serde(default)]
    income: String,
    #[serde(default)]
    employed: String,
}

fn yes_no(field: &str, v: &str) -> Result<Option<bool>, Failure> {
    delivery::yes_no(v).map_err(|e| Failure::BadRequest(format!("{field}: {e}")))
}

async fn add_outcome(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<OutcomeForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&f.csrf)).map_err(|e| PageError::new(e, lang))?;
    let r = async {
        let kk =
            NoKk::parse(f.no_kk.trim()).map_err(|e| Failure::BadRequest(format!("no_kk: {e}")))?;
        let income = match f.income.trim() {
            "" => None,
            v => Some(Rupiah::parse(v).map_err(|e| Failure::BadRequest(format!("income: {e}")))?),
        };
        let o = Outcome {
            program: id,
            household: kk.as_u64(),
            date: date("date", &f.date)?,
            business: yes_no("business", &f.business)?,
            income,
            employed: yes_no("employed", &f.employed)?,
            source: OutcomeSource::Entered,
        };
        delivery::add_outcomes(&st.store, &s.actor, id, &[o], st.clock.today())
            .await
            .map(|_| ())
            .map_err(Failure::of_program)
    }
    .await;
    after(&st, lang, &s, id, "outcome", r).await
}

async fn import_outcomes(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    let bad = |m: String| PageError::new(Failure::BadRequest(m), lang);
    // The program permission is checked before the body is read, the CSRF token
    // (the form's first field) before the file is staged.
    delivery::may_import_outcomes(&st.store, &s.actor, id)
        .await
        .map_err(|e| PageError::new(Failure::of_program(e), lang))?;
    let form = crate::upload::read_form(multipart, &["csrf"], &["csv", "txt"], |text| {
        check_csrf(&s, text.get("csrf").map(String::as_str))
    })
    .await
    .map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, form.text.get("csrf").map(String::as_str))
        .map_err(|e| PageError::new(e, lang))?;
    let file = form
        .file
        .ok_or_else(|| bad("no file was uploaded".into()))?;
    match delivery::import_outcomes(&st.store, &s.actor, id, file.path(), st.clock.today()).await {
        Ok(report) => {
            detail_page(
                &st,
                lang,
                &s,
                id,
                DetailQuery {
                    done: None,
                    dry_run: None,
                },
                Extra {
                    error: None,
                    status: StatusCode::OK,
                    import: Some(report),
                },
            )
            .await
        }
        Err(e) => {
            let f = crate::upload::staged_failure(&file, Failure::of_program(e));
            after(&st, lang, &s, id, "outcome", Err(f)).await
        }
    }
}
