//! Programs in the API (`/api/v1/programs…`, `/api/v1/sessions…`): public
//! aggregates for everyone; definitions, decisions, delivery and outcomes
//! through the roles of `sejahtera_domain::access`. Rule refusals answer 409
//! with the reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use sejahtera_app::delivery;
use sejahtera_app::delivery::ProgramStats;
use sejahtera_app::programs;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{Outcome, OutcomeSource, Partner};
use sejahtera_domain::programs::{Command, Decision, Program, ProgramKind, Sector, Status};
use sejahtera_domain::{Nik, RegionCode, Rupiah};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::api::{CreatedId, Items};
use crate::api::{Paged, created, kk, private_json};
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::openapi::{Csrf, ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The programs API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail))
        .routes(routes!(dry_run))
        .routes(routes!(enrollments))
        .routes(routes!(decide))
        .routes(routes!(sessions, add_session))
        .routes(routes!(attendance))
        .routes(routes!(visits, add_visit))
        .routes(routes!(outcomes, add_outcomes))
        // Uploads are streamed to disk and counted there (crate::upload).
        .routes(routes!(import_outcomes).layer(axum::extract::DefaultBodyLimit::disable()))
        .routes(routes!(panel))
}

doc_schema!(
    /// A program's public aggregates (`sejahtera_app::delivery::ProgramStats`).
    ProgramStatsDoc = "ProgramStats",
    json!({"type": "object", "properties": {
        "program": {"type": "integer"},
        "participants": {"type": "integer", "description": "households that have held a place"},
        "by_status": {"type": "object", "description": "each {value, suppressed}, protected as a table whose total is participants"},
        "by_district": {"type": "array", "items": {"type": "object", "description": "district, name, women, men, total: each {value, suppressed}; 1–4 suppressed"}},
        "graduation_rate": {"type": ["number", "null"], "description": "graduated / (graduated + exited)"},
        "businesses_started": {"type": "integer"}, "followed_up": {"type": "integer"}, "sessions": {"type": "integer"},
        "attendance_rate": {"type": ["number", "null"]}, "visits": {"type": "integer"},
        "referrals": {"type": "object", "description": "by status, each {value, suppressed}"},
        "referral_amount": {"type": ["integer", "null"], "description": "null (suppressed) unless at least 5 completed referrals stand behind it"}}})
);

doc_schema!(
    /// A candidate or participant (`sejahtera_app::delivery::Enrollee`).
    EnrolleeDoc = "Enrollee",
    json!({"type": "object", "properties": {
        "no_kk": {"type": "string"}, "ref": {"type": "string"}, "village": {"type": "string"}, "village_name": {"type": "string"},
        "status": {"type": "string", "enum": ["candidate", "enrolled", "active", "graduated", "exited"]},
        "participant": {"type": ["string", "null"]}, "sex": {"type": ["string", "null"]}, "attended": {"type": "integer"},
        "latest_income": {"type": ["integer", "null"]}, "business": {"type": ["boolean", "null"]}}})
);

doc_schema!(
    /// A training session with its attendance (`sejahtera_app::delivery::SessionSummary`).
    SessionSummaryDoc = "SessionSummary",
    json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "program": {"type": "integer"}, "date": {"type": "string", "format": "date"},
        "topic": {"type": "string"}, "place": {"type": "string"}, "present": {"type": "integer"}, "absent": {"type": "integer"}}})
);

doc_schema!(
    /// The outcome of an outcomes import (`sejahtera_app::delivery::OutcomeImport`).
    OutcomeImportDoc = "OutcomeImport",
    json!({"type": "object", "properties": {
        "accepted": {"type": "integer"},
        "rejected": {"type": "array", "items": {"type": "object", "properties": {"line": {"type": "integer"}, "column": {"type": "string"}, "reason": {"type": "string"}}}},
        "rejected_total": {"type": "integer"}, "more_rejected": {"type": "integer"}}})
);

doc_schema!(
    /// A row of the evaluation panel (`sejahtera_app::delivery::PanelRow`).
    PanelRowDoc = "PanelRow",
    json!({"type": "object", "properties": {
        "unit": {"type": "integer"}, "period": {"type": "integer"}, "first_treated": {"type": "integer"},
        "income": {"type": ["integer", "null"]}, "business": {"type": ["integer", "null"]}, "employed": {"type": ["integer", "null"]}}})
);

doc_schema!(
    /// A program sector.
    SectorDoc = "Sector",
    json!({"type": "string", "enum": ["pertanian", "perikanan", "industri_kreatif", "umkm", "pemberdayaan_perempuan", "infrastruktur", "kesehatan", "air_bersih", "pendidikan"]})
);

doc_schema!(
    /// A kind of program.
    ProgramKindDoc = "ProgramKind",
    json!({"type": "string", "enum": ["pelatihan", "pendampingan", "hibah", "akses_pasar", "akses_kredit", "layanan"]})
);

doc_schema!(
    /// An enrollment decision.
    ActionDoc = "DecisionAction",
    json!({"type": "string", "enum": ["propose", "enroll", "activate", "graduate", "exit", "correct"]})
);

/// A partner of a program, as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgramPartner {
    id: i64,
    name: String,
    kind: &'static str,
}

/// A program as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Program)]
pub(crate) struct ProgramView {
    id: i64,
    name: String,
    sector: &'static str,
    agency: String,
    kind: &'static str,
    #[schema(format = Date)]
    start: String,
    #[schema(format = Date)]
    end: String,
    /// Rupiah.
    budget: i64,
    /// 0: no limit.
    capacity: u32,
    eligibility: String,
    /// Village code → most households.
    quotas: BTreeMap<String, u32>,
    exclusive_with: Vec<i64>,
    partners: Vec<ProgramPartner>,
}

/// A program in the list, with its headline aggregates.
#[derive(Debug, Serialize, ToSchema)]
struct ProgramListItem {
    #[serde(flatten)]
    program: ProgramView,
    participants: u64,
    graduation_rate: Option<f64>,
    businesses_started: u64,
}

/// A program and its public aggregates.
#[derive(Debug, Serialize, ToSchema)]
struct ProgramDetail {
    program: ProgramView,
    #[schema(value_type = ProgramStatsDoc)]
    stats: ProgramStats,
}

/// A program defined.
#[derive(Debug, Serialize, ToSchema)]
struct CreatedProgram {
    id: i64,
    name: String,
}

/// Matching households in one village (a suppressed count is `null` with `suppressed`).
#[derive(Debug, Serialize, ToSchema)]
struct VillageMatches {
    village: String,
    name: String,
    households: Option<u64>,
    suppressed: bool,
    quota: Option<u32>,
}

/// A dry run of a program's eligibility expression.
#[derive(Debug, Serialize, ToSchema)]
struct DryRunView {
    program: i64,
    villages: Vec<VillageMatches>,
    total: Option<u64>,
    total_suppressed: bool,
}

/// A decision recorded.
#[derive(Debug, Serialize, ToSchema)]
struct DecisionRecorded {
    program: i64,
    #[schema(value_type = String)]
    status: Status,
}

/// Attendance recorded.
#[derive(Debug, Serialize, ToSchema)]
struct AttendanceRecorded {
    session: i64,
    recorded: usize,
}

/// A mentoring visit.
#[derive(Debug, Serialize, ToSchema)]
struct VisitView {
    id: i64,
    #[schema(format = Date)]
    date: String,
    no_kk: String,
    /// The mentor's user id.
    mentor: i64,
    notes: String,
}

/// An outcome of a household.
#[derive(Debug, Serialize, ToSchema)]
struct OutcomeView {
    no_kk: String,
    #[schema(format = Date)]
    date: String,
    business: Option<bool>,
    /// Rupiah per month.
    income: Option<i64>,
    employed: Option<bool>,
    source: &'static str,
}

/// Outcomes recorded.
#[derive(Debug, Serialize, ToSchema)]
struct OutcomesRecorded {
    recorded: u64,
}

/// A program as the public sees it.
pub(crate) fn program_json(p: &Program, partners: &[Partner]) -> ProgramView {
    ProgramView {
        id: p.id,
        name: p.name.clone(),
        sector: p.sector.as_str(),
        agency: p.agency.clone(),
        kind: p.kind.as_str(),
        start: p.start.to_string(),
        end: p.end.to_string(),
        budget: p.budget.get(),
        capacity: p.capacity,
        eligibility: p.eligibility.clone(),
        quotas: p.quotas.iter().map(|(v, q)| (v.to_string(), *q)).collect(),
        exclusive_with: p.exclusive_with.iter().copied().collect(),
        partners: partners
            .iter()
            .filter(|x| p.partners.contains(&x.id))
            .map(|x| ProgramPartner {
                id: x.id,
                name: x.name.clone(),
                kind: x.kind.as_str(),
            })
            .collect(),
    }
}

/// Programs with their public aggregates (no personal data).
#[utoipa::path(get, path = "/programs", tag = "programs",
    responses((status = 200, description = "Programs", body = Paged<ProgramListItem>)))]
async fn list(State(st): St) -> ApiResult<Json<Paged<ProgramListItem>>> {
    let partners = sejahtera_app::delivery::partners(&st.store).await?;
    let mut items = Vec::new();
    for (p, stats) in delivery::stats_all(&st.store, &st.regions, st.clock.today())
        .await
        .map_err(Failure::of_program)?
    {
        items.push(ProgramListItem {
            program: program_json(&p, &partners),
            participants: stats.participants,
            graduation_rate: stats.graduation_rate,
            businesses_started: stats.businesses_started,
        });
    }
    Ok(Json(Paged::whole(items)))
}

/// A program and its public aggregates: participants by district and sex (cells under 5 suppressed), status counts, graduation rate, businesses started, sessions, attendance, referrals.
#[utoipa::path(get, path = "/programs/{id}", tag = "programs",
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Program and stats", body = ProgramDetail),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn detail(State(st): St, Path(id): Path<i64>) -> ApiResult<Json<ProgramDetail>> {
    let p = programs::find(&st.store, id)
        .await
        .map_err(Failure::of_program)?;
    let partners = sejahtera_app::delivery::partners(&st.store).await?;
    let stats = delivery::stats(&st.store, &st.regions, id, st.clock.today())
        .await
        .map_err(Failure::of_program)?;
    Ok(Json(ProgramDetail {
        program: program_json(&p, &partners),
        stats,
    }))
}

/// A program definition as the API and the staff form give it.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewProgram {
    pub(crate) name: String,
    #[schema(value_type = SectorDoc)]
    pub(crate) sector: String,
    pub(crate) agency: String,
    #[schema(value_type = ProgramKindDoc)]
    pub(crate) kind: String,
    pub(crate) start: NaiveDate,
    pub(crate) end: NaiveDate,
    /// Rupiah.
    pub(crate) budget: i64,
    /// 0: no limit.
    #[serde(default)]
    pub(crate) capacity: u32,
    /// Village code → most households.
    #[serde(default)]
    pub(crate) quotas: BTreeMap<String, u32>,
    #[schema(example = "desil <= 4 and kepala.jenis_kelamin == \"P\"")]
    pub(crate) eligibility: String,
    #[serde(default)]
    pub(crate) exclusive_with: Vec<i64>,
    #[serde(default)]
    pub(crate) partners: Vec<i64>,
}

impl NewProgram {
    /// Parses the coded fields into a program (validated further by the use case).
    pub(crate) fn program(&self) -> Result<Program, Failure> {
        self.check_ranges()?;
        let bad =
            |field: &str, e: &dyn std::fmt::Display| Failure::BadRequest(format!("{field}: {e}"));
        let mut q = BTreeMap::new();
        for (v, n) in &self.quotas {
            q.insert(RegionCode::parse(v).map_err(|e| bad("quotas", &e))?, *n);
        }
        Ok(Program {
            id: 0,
            name: self.name.trim().to_string(),
            sector: Sector::parse(self.sector.trim()).map_err(|e| bad("sector", &e))?,
            agency: self.agency.trim().to_string(),
            kind: ProgramKind::parse(self.kind.trim()).map_err(|e| bad("kind", &e))?,
            start: self.start,
            end: self.end,
            budget: Rupiah::new(self.budget),
            capacity: self.capacity,
            quotas: q,
            eligibility: self.eligibility.trim().to_string(),
            exclusive_with: self.exclusive_with.iter().copied().collect(),
            partners: self.partners.iter().copied().collect(),
        })
    }
}

impl NewProgram {
    /// Lengths, amounts and counts within the ranges the API documents.
    fn check_ranges(&self) -> Result<(), Failure> {
        for (field, v) in [
            ("name", &self.name),
            ("sector", &self.sector),
            ("agency", &self.agency),
            ("kind", &self.kind),
        ] {
            limits::text(field, v, limits::SHORT)?;
        }
        limits::text("eligibility", &self.eligibility, limits::LONG)?;
        limits::range("budget", self.budget, 0, limits::MAX_BUDGET)?;
        limits::range("capacity", self.capacity, 0, limits::MAX_CAPACITY)?;
        limits::items("quotas", self.quotas.len(), limits::MAX_ITEMS)?;
        for n in self.quotas.values() {
            limits::range("quotas", *n, 0, limits::MAX_CAPACITY)?;
        }
        for (field, ids) in [
            ("exclusive_with", &self.exclusive_with),
            ("partners", &self.partners),
        ] {
            limits::items(field, ids.len(), limits::MAX_ITEMS)?;
            for id in ids {
                limits::id(field, *id)?;
            }
        }
        Ok(())
    }
}

/// Define a program (admins; agency operators for their own agency).
#[utoipa::path(post, path = "/programs", tag = "programs", security(("session" = [])), params(Csrf),
    request_body = NewProgram,
    responses((status = 201, description = "Created", body = CreatedProgram),
        (status = 400, description = "Invalid field, expression or period", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not this agency's operator, or missing CSRF token", body = ErrorEnvelope),
        (status = 409, description = "A program of that name already exists", body = ErrorEnvelope)))]
async fn create(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Json(b): Json<NewProgram>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    let p = b.program()?;
    let id = programs::create(&st.store, &st.regions, &s.actor, &p)
        .await
        .map_err(Failure::of_program)?;
    tracing::info!(by = s.actor.user_id, program = id, "program created");
    Ok(created(CreatedProgram { id, name: p.name }))
}

/// Households matching the eligibility expression per village, before launch (the program's agency — its region only, small counts protected — planners, auditors, admins).
#[utoipa::path(get, path = "/programs/{id}/dry-run", tag = "programs", security(("session" = [])),
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Counts per village", body = DryRunView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency, a planner, an auditor or an admin", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn dry_run(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let run = programs::dry_run(&st.store, &st.regions, &s.actor, id, st.clock.today())
        .await
        .map_err(Failure::of_program)?;
    // A suppressed count is `null` with `"suppressed": true`.
    let villages = run
        .villages
        .iter()
        .map(|c| VillageMatches {
            village: c.village.to_string(),
            name: c.name.clone(),
            households: c.households.value,
            suppressed: c.households.suppressed,
            quota: c.quota,
        })
        .collect();
    Ok(private_json(DryRunView {
        program: id,
        villages,
        total: run.total.value,
        total_suppressed: run.total.suppressed,
    }))
}

/// Candidates and participants with status, participant name, attendance and latest outcome (personal data, scoped).
#[utoipa::path(get, path = "/programs/{id}/enrollments", tag = "programs", security(("session" = [])),
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Items", body = Paged<EnrolleeDoc>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Role may not see this program's participants", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn enrollments(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let items = delivery::enrollees(&st.store, &st.regions, &s.actor, id)
        .await
        .map_err(Failure::of_program)?;
    Ok(private_json(Paged::whole(items)))
}

/// An enrollment decision: propose, enroll, activate, graduate, exit (with reason) or correct (with to).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct DecisionBody {
    pub(crate) no_kk: String,
    #[schema(value_type = ActionDoc)]
    pub(crate) action: String,
    pub(crate) why: String,
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) to: Option<String>,
    /// NIK of the member taking part (default: the head).
    #[serde(default)]
    pub(crate) participant: Option<String>,
}

/// Records a decision for the signed-in actor (pages and API).
pub(crate) async fn record_decision(
    st: &AppState,
    actor: &sejahtera_domain::access::Actor,
    id: i64,
    b: &DecisionBody,
) -> Result<Status, Failure> {
    limits::text("why", &b.why, limits::LONG)?;
    for (field, v) in [
        ("action", Some(&b.action)),
        ("reason", b.reason.as_ref()),
        ("to", b.to.as_ref()),
        ("participant", b.participant.as_ref()),
    ] {
        limits::text(
            field,
            v.map(String::as_str).unwrap_or_default(),
            limits::SHORT,
        )?;
    }
    let kk = kk(&b.no_kk)?;
    let command = Command::from_action(&b.action, b.reason.as_deref(), b.to.as_deref())
        .map_err(Failure::BadRequest)?;
    let participant = match b.participant.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => {
            Some(Nik::parse(n).map_err(|e| Failure::BadRequest(format!("participant: {e}")))?)
        }
    };
    let decision = Decision {
        actor: actor.user_id,
        at: st.clock.now(),
        why: b.why.trim().to_string(),
    };
    let e = programs::record(
        &st.store,
        actor,
        id,
        &kk,
        participant.as_ref(),
        &command,
        &decision,
    )
    .await
    .map_err(Failure::of_program)?;
    tracing::info!(by = actor.user_id, program = id, status = %e.status, "enrollment decision");
    Ok(e.status)
}

/// Record a decision: propose, enroll, activate, graduate, exit (with reason) or correct (with to); an append-only event.
#[utoipa::path(post, path = "/programs/{id}/decisions", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the program")), request_body = DecisionBody,
    responses((status = 201, description = "Recorded", body = DecisionRecorded),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency (or an admin), or missing CSRF token", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope),
        (status = 409, description = "Refused by a rule (capacity, quota, exclusivity, lifecycle, participant, period, partner…); the message says why", body = ErrorEnvelope)))]
async fn decide(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    let status = record_decision(&st, &s.actor, id, &b).await?;
    Ok(created(DecisionRecorded {
        program: id,
        status,
    }))
}

/// Training sessions with attendance counts (staff).
#[utoipa::path(get, path = "/programs/{id}/sessions", tag = "programs", security(("session" = [])),
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Sessions", body = Items<SessionSummaryDoc>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn sessions(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let _s = user.staff()?;
    let items = delivery::sessions(&st.store, id)
        .await
        .map_err(Failure::of_program)?;
    Ok(private_json(Items { items }))
}

/// A training session to add.
#[derive(Debug, Deserialize, ToSchema)]
struct NewSession {
    date: NaiveDate,
    topic: String,
    #[serde(default)]
    place: String,
}

/// Add a training session (within the program's period).
#[utoipa::path(post, path = "/programs/{id}/sessions", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the program")), request_body = NewSession,
    responses((status = 201, description = "Created", body = CreatedId),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency (or an admin), or missing CSRF token", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope),
        (status = 409, description = "Refused by a rule (capacity, quota, exclusivity, lifecycle, participant, period, partner…); the message says why", body = ErrorEnvelope)))]
async fn add_session(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<NewSession>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::text("topic", &b.topic, limits::SHORT)?;
    limits::text("place", &b.place, limits::SHORT)?;
    let sid = delivery::add_session(&st.store, &s.actor, id, b.date, &b.topic, &b.place)
        .await
        .map_err(Failure::of_program)?;
    Ok(created(CreatedId { id: sid }))
}

/// A participant's attendance.
#[derive(Debug, Deserialize, ToSchema)]
struct Mark {
    no_kk: String,
    present: bool,
}

/// Attendance of a session.
#[derive(Debug, Deserialize, ToSchema)]
struct Marks {
    marks: Vec<Mark>,
}

/// Record attendance (participants only; all or nothing).
#[utoipa::path(post, path = "/sessions/{id}/attendance", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the session")), request_body = Marks,
    responses((status = 200, description = "Recorded", body = AttendanceRecorded),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency (or an admin), or missing CSRF token", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope),
        (status = 409, description = "Refused by a rule (capacity, quota, exclusivity, lifecycle, participant, period, partner…); the message says why", body = ErrorEnvelope)))]
async fn attendance(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(sid): Path<i64>,
    Json(b): Json<Marks>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::items("marks", b.marks.len(), limits::MAX_ITEMS)?;
    let marks = b
        .marks
        .iter()
        .map(|m| Ok((kk(&m.no_kk)?, m.present)))
        .collect::<Result<Vec<_>, Failure>>()?;
    delivery::record_attendance(&st.store, &s.actor, sid, &marks)
        .await
        .map_err(Failure::of_program)?;
    Ok(private_json(AttendanceRecorded {
        session: sid,
        recorded: marks.len(),
    }))
}

/// Mentoring visits (personal data, scoped).
#[utoipa::path(get, path = "/programs/{id}/visits", tag = "programs", security(("session" = [])),
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Items", body = Items<VisitView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Role may not see this program's participants", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn visits(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let items = delivery::visits_for(&st.store, &s.actor, id)
        .await
        .map_err(Failure::of_program)?
        .iter()
        .map(|v| VisitView {
            id: v.id,
            date: v.date.to_string(),
            no_kk: format!("{:016}", v.household),
            mentor: v.mentor,
            notes: v.notes.clone(),
        })
        .collect();
    Ok(private_json(Items { items }))
}

/// A mentoring visit to record.
#[derive(Debug, Deserialize, ToSchema)]
struct NewVisit {
    no_kk: String,
    date: NaiveDate,
    notes: String,
}

/// Record a mentoring visit.
#[utoipa::path(post, path = "/programs/{id}/visits", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the program")), request_body = NewVisit,
    responses((status = 201, description = "Created", body = CreatedId),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency (or an admin), or missing CSRF token", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope),
        (status = 409, description = "Refused by a rule (capacity, quota, exclusivity, lifecycle, participant, period, partner…); the message says why", body = ErrorEnvelope)))]
async fn add_visit(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<NewVisit>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::text("notes", &b.notes, limits::LONG)?;
    let vid = delivery::add_visit(
        &st.store,
        &s.actor,
        id,
        &kk(&b.no_kk)?,
        b.date,
        &b.notes,
        st.clock.today(),
    )
    .await
    .map_err(Failure::of_program)?;
    Ok(created(CreatedId { id: vid }))
}

fn outcome_json(o: &Outcome) -> OutcomeView {
    OutcomeView {
        no_kk: format!("{:016}", o.household),
        date: o.date.to_string(),
        business: o.business,
        income: o.income.map(|r| r.get()),
        employed: o.employed,
        source: o.source.as_str(),
    }
}

/// Outcomes, latest per household and day (personal data, scoped).
#[utoipa::path(get, path = "/programs/{id}/outcomes", tag = "programs", security(("session" = [])),
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Items", body = Items<OutcomeView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Role may not see this program's participants", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn outcomes(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let items: Vec<OutcomeView> = delivery::outcomes_for(&st.store, &s.actor, id)
        .await
        .map_err(Failure::of_program)?
        .iter()
        .map(outcome_json)
        .collect();
    Ok(private_json(Items { items }))
}

/// An outcome to record.
#[derive(Debug, Deserialize, ToSchema)]
struct NewOutcome {
    no_kk: String,
    date: NaiveDate,
    #[serde(default)]
    business: Option<bool>,
    #[serde(default)]
    income: Option<i64>,
    #[serde(default)]
    employed: Option<bool>,
}

/// Outcomes to record.
#[derive(Debug, Deserialize, ToSchema)]
struct NewOutcomes {
    outcomes: Vec<NewOutcome>,
}

/// Record outcomes (all or nothing).
#[utoipa::path(post, path = "/programs/{id}/outcomes", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the program")), request_body = NewOutcomes,
    responses((status = 201, description = "Recorded", body = OutcomesRecorded),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency (or an admin), or missing CSRF token", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope),
        (status = 409, description = "Refused by a rule (capacity, quota, exclusivity, lifecycle, participant, period, partner…); the message says why", body = ErrorEnvelope)))]
async fn add_outcomes(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<NewOutcomes>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::items("outcomes", b.outcomes.len(), limits::MAX_ITEMS)?;
    for o in &b.outcomes {
        if let Some(i) = o.income {
            limits::range("income", i, 0, limits::MAX_INCOME)?;
        }
    }
    let outcomes = b
        .outcomes
        .iter()
        .map(|o| {
            Ok(Outcome {
                program: id,
                household: kk(&o.no_kk)?.as_u64(),
                date: o.date,
                business: o.business,
                income: o.income.map(Rupiah::new),
                employed: o.employed,
                source: OutcomeSource::Entered,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let n = delivery::add_outcomes(&st.store, &s.actor, id, &outcomes, st.clock.today())
        .await
        .map_err(Failure::of_program)?;
    Ok(created(OutcomesRecorded { recorded: n }))
}

/// Import outcomes from CSV (no_kk,tanggal,usaha,pendapatan_bulanan,bekerja; at most 64 MiB): good rows stored, each bad row named with line, column and reason.
#[utoipa::path(post, path = "/programs/{id}/outcomes/import", tag = "programs", security(("session" = [])),
    params(Csrf, ("id" = i64, Path, description = "the program")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "accepted and rejected rows", body = OutcomeImportDoc),
        (status = 400, description = "Unusable header", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not the program's agency", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn import_outcomes(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    // Who may import is decided before one byte of the body is staged.
    delivery::may_import_outcomes(&st.store, &s.actor, id)
        .await
        .map_err(Failure::of_program)?;
    let file = crate::upload::stage_body(body, "outcomes.csv", &["csv"]).await?;
    let report = delivery::import_outcomes(&st.store, &s.actor, id, file.path(), st.clock.today())
        .await
        .map_err(|e| crate::upload::staged_failure(&file, Failure::of_program(e)))?;
    Ok(private_json(report))
}

/// The evaluation panel (unit, period, first_treated, income, business, employed; units are numbers, not KK) for `sejahtera evaluate did`.
#[utoipa::path(get, path = "/programs/{id}/panel", tag = "programs", security(("session" = [])),
    params(("id" = i64, Path, description = "the program")),
    responses((status = 200, description = "Rows", body = Items<PanelRowDoc>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not a planner, auditor or the program's agency", body = ErrorEnvelope),
        (status = 404, description = "No such program", body = ErrorEnvelope)))]
async fn panel(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let p = programs::find(&st.store, id)
        .await
        .map_err(Failure::of_program)?;
    if !s.actor.may_plan() && !s.actor.may_run_program(&p) {
        return Err(Failure::Forbidden(
            "the evaluation panel is for planners, auditors and the program's agency".into(),
        )
        .into());
    }
    let rows = delivery::panel(&st.store, id)
        .await
        .map_err(Failure::of_program)?;
    Ok(private_json(Items { items: rows }))
}
