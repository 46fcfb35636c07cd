//! Programs in the API (`/api/v1/programs…`, `/api/v1/sessions…`): public
//! aggregates for everyone; definitions, decisions, delivery and outcomes
//! through the roles of `sejahtera_domain::access`. Rule refusals answer 409
//! with the reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use sejahtera_app::delivery;
use sejahtera_app::import::today_in_indonesia;
use sejahtera_app::programs;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{Outcome, OutcomeSource, Partner};
use sejahtera_domain::programs::{Command, Decision, Program, ProgramKind, Sector, Status};
use sejahtera_domain::{Nik, RegionCode, Rupiah};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{created, kk, private_json};
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, Failure, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The programs API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    // Uploads are streamed to disk and counted there (crate::upload).
    let upload = post(import_outcomes).layer(axum::extract::DefaultBodyLimit::disable());
    Router::new()
        .route("/programs", get(list).post(create))
        .route("/programs/{id}", get(detail))
        .route("/programs/{id}/dry-run", get(dry_run))
        .route("/programs/{id}/enrollments", get(enrollments))
        .route("/programs/{id}/decisions", post(decide))
        .route("/programs/{id}/sessions", get(sessions).post(add_session))
        .route("/sessions/{id}/attendance", post(attendance))
        .route("/programs/{id}/visits", get(visits).post(add_visit))
        .route("/programs/{id}/outcomes", get(outcomes).post(add_outcomes))
        .route("/programs/{id}/outcomes/import", upload)
        .route("/programs/{id}/panel", get(panel))
}

/// A program as the public sees it.
pub(crate) fn program_json(p: &Program, partners: &[Partner]) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "sector": p.sector.as_str(),
        "agency": p.agency,
        "kind": p.kind.as_str(),
        "start": p.start.to_string(),
        "end": p.end.to_string(),
        "budget": p.budget.get(),
        "capacity": p.capacity,
        "eligibility": p.eligibility,
        "quotas": p.quotas.iter().map(|(v, q)| (v.to_string(), *q)).collect::<BTreeMap<_, _>>(),
        "exclusive_with": p.exclusive_with,
        "partners": partners
            .iter()
            .filter(|x| p.partners.contains(&x.id))
            .map(|x| json!({"id": x.id, "name": x.name, "kind": x.kind.as_str()}))
            .collect::<Vec<_>>(),
    })
}

async fn list(State(st): St) -> ApiResult<Json<Value>> {
    let partners = sejahtera_app::delivery::partners(&st.store).await?;
    let mut items = Vec::new();
    for (p, stats) in delivery::stats_all(&st.store, &st.regions)
        .await
        .map_err(Failure::of_program)?
    {
        let mut v = program_json(&p, &partners);
        v["participants"] = json!(stats.participants);
        v["graduation_rate"] = json!(stats.graduation_rate);
        v["businesses_started"] = json!(stats.businesses_started);
        items.push(v);
    }
    let total = items.len();
    Ok(Json(
        json!({"items": items, "page": 1, "per_page": total.max(1), "total": total}),
    ))
}

async fn detail(State(st): St, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let p = programs::find(&st.store, id)
        .await
        .map_err(Failure::of_program)?;
    let partners = sejahtera_app::delivery::partners(&st.store).await?;
    let stats = delivery::stats(&st.store, &st.regions, id)
        .await
        .map_err(Failure::of_program)?;
    Ok(Json(
        json!({"program": program_json(&p, &partners), "stats": stats}),
    ))
}

/// A program definition as the API and the staff form give it.
#[derive(Debug, Deserialize)]
pub(crate) struct NewProgram {
    pub(crate) name: String,
    pub(crate) sector: String,
    pub(crate) agency: String,
    pub(crate) kind: String,
    pub(crate) start: NaiveDate,
    pub(crate) end: NaiveDate,
    pub(crate) budget: i64,
    #[serde(default)]
    pub(crate) capacity: u32,
    #[serde(default)]
    pub(crate) quotas: BTreeMap<String, u32>,
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
    Ok(created(json!({"id": id, "name": p.name})))
}

async fn dry_run(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let run = programs::dry_run(&st.store, &st.regions, &s.actor, id, today_in_indonesia())
        .await
        .map_err(Failure::of_program)?;
    // A suppressed count is `null` with `"suppressed": true`.
    let villages: Vec<Value> = run
        .villages
        .iter()
        .map(|c| {
            json!({"village": c.village.to_string(), "name": c.name,
                   "households": c.households.value, "suppressed": c.households.suppressed,
                   "quota": c.quota})
        })
        .collect();
    Ok(private_json(json!({
        "program": id, "villages": villages,
        "total": run.total.value, "total_suppressed": run.total.suppressed
    })))
}

async fn enrollments(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let items = delivery::enrollees(&st.store, &st.regions, &s.actor, id)
        .await
        .map_err(Failure::of_program)?;
    let total = items.len();
    Ok(private_json(
        json!({"items": items, "page": 1, "per_page": total.max(1), "total": total}),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecisionBody {
    pub(crate) no_kk: String,
    pub(crate) action: String,
    pub(crate) why: String,
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) to: Option<String>,
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
        at: chrono::Utc::now(),
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
    Ok(created(json!({"program": id, "status": status})))
}

async fn sessions(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let _s = user.staff()?;
    let items = delivery::sessions(&st.store, id)
        .await
        .map_err(Failure::of_program)?;
    Ok(private_json(json!({"items": items})))
}

#[derive(Debug, Deserialize)]
struct NewSession {
    date: NaiveDate,
    topic: String,
    #[serde(default)]
    place: String,
}

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
    Ok(created(json!({"id": sid})))
}

#[derive(Debug, Deserialize)]
struct Mark {
    no_kk: String,
    present: bool,
}

#[derive(Debug, Deserialize)]
struct Marks {
    marks: Vec<Mark>,
}

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
    Ok(private_json(
        json!({"session": sid, "recorded": marks.len()}),
    ))
}

async fn visits(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let items: Vec<Value> = delivery::visits_for(&st.store, &s.actor, id)
        .await
        .map_err(Failure::of_program)?
        .iter()
        .map(|v| {
            json!({"id": v.id, "date": v.date.to_string(), "no_kk": format!("{:016}", v.household),
                   "mentor": v.mentor, "notes": v.notes})
        })
        .collect();
    Ok(private_json(json!({"items": items})))
}

#[derive(Debug, Deserialize)]
struct NewVisit {
    no_kk: String,
    date: NaiveDate,
    notes: String,
}

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
        today_in_indonesia(),
    )
    .await
    .map_err(Failure::of_program)?;
    Ok(created(json!({"id": vid})))
}

fn outcome_json(o: &Outcome) -> Value {
    json!({
        "no_kk": format!("{:016}", o.household),
        "date": o.date.to_string(),
        "business": o.business,
        "income": o.income.map(|r| r.get()),
        "employed": o.employed,
        "source": o.source.as_str(),
    })
}

async fn outcomes(State(st): St, user: MaybeUser, Path(id): Path<i64>) -> ApiResult<Response> {
    let s = user.staff()?;
    let items: Vec<Value> = delivery::outcomes_for(&st.store, &s.actor, id)
        .await
        .map_err(Failure::of_program)?
        .iter()
        .map(outcome_json)
        .collect();
    Ok(private_json(json!({"items": items})))
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
struct NewOutcomes {
    outcomes: Vec<NewOutcome>,
}

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
    let n = delivery::add_outcomes(&st.store, &s.actor, id, &outcomes, today_in_indonesia())
        .await
        .map_err(Failure::of_program)?;
    Ok(created(json!({"recorded": n})))
}

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
    let report =
        delivery::import_outcomes(&st.store, &s.actor, id, file.path(), today_in_indonesia())
            .await
            .map_err(|e| crate::upload::staged_failure(&file, Failure::of_program(e)))?;
    Ok(private_json(report))
}

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
    Ok(private_json(json!({"items": rows})))
}
