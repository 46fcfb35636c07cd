//! The targeting page: how well a selection (an expression or a program's
//! enrollees) reaches the poor, per district (aggregates only).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::auth::{MaybeUser, UiLang, check_csrf};
use crate::error::{Failure, PageError};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::Nav;
use crate::views::{html, private};

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The targeting page.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/staff/targeting", get(targeting_form).post(targeting))
}

struct TargetingRow {
    code: String,
    name: String,
    c: sejahtera_app::targeting::Confusion,
}

#[derive(Template)]
#[template(path = "targeting.html")]
struct TargetingPage {
    t: Tr,
    nav: Nav,
    select: String,
    poor_share: String,
    error: Option<String>,
    rows: Vec<TargetingRow>,
    /// Programs whose enrollees may be scored instead of an expression: (id, name).
    programs: Vec<(i64, String)>,
    program: Option<i64>,
}

async fn program_names(st: &AppState) -> Result<Vec<(i64, String)>, Failure> {
    Ok(st
        .store
        .programs()
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

async fn targeting_form(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user.planner().map_err(|e| PageError::new(e, lang))?;
    html(&TargetingPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/targeting"),
        programs: program_names(&st)
            .await
            .map_err(|e| PageError::new(e, lang))?,
        program: None,
        select: "desil <= 4".into(),
        poor_share: String::new(),
        error: None,
        rows: Vec::new(),
    })
    .map(private)
    .map_err(|e| PageError::new(e, lang))
}

#[derive(Deserialize)]
struct TargetingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    select: String,
    #[serde(default)]
    poor_share: String,
    /// A program id: score its enrollees instead of the expression.
    #[serde(default)]
    program: String,
}

async fn targeting(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    axum::Form(form): axum::Form<TargetingForm>,
) -> PageResult {
    let s = user.planner().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    let program: Option<i64> = form.program.trim().parse().ok();
    let today = st.clock.today();
    let result = match (super::api::poor_rule(&form.poor_share), program) {
        (Ok(rule), Some(p)) => {
            sejahtera_app::targeting::run_program(&st.store, &st.regions, p, None, rule, today)
                .await
                .map_err(Failure::of_program)
        }
        (Ok(rule), None) => {
            sejahtera_app::targeting::run(&st.store, &st.regions, &form.select, None, rule, today)
                .await
                .map_err(Failure::of_program)
        }
        (Err(e), _) => Err(Failure::BadRequest(e)),
    };
    let (rows, error, status) = match result {
        Ok(report) => {
            let mut rows: Vec<TargetingRow> = report
                .districts
                .iter()
                .map(|d| TargetingRow {
                    code: d.district.code.to_string(),
                    name: d.district.name.clone(),
                    c: d.confusion,
                })
                .collect();
            rows.push(TargetingRow {
                code: "(all)".into(),
                name: String::new(),
                c: report.total,
            });
            (rows, None, StatusCode::OK)
        }
        Err(e) if e.is_ours() => return Err(PageError::new(e, lang)),
        Err(e) => (Vec::new(), Some(e.message(lang)), StatusCode::BAD_REQUEST),
    };
    let mut r = html(&TargetingPage {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/targeting"),
        select: form.select.clone(),
        poor_share: form.poor_share.clone(),
        error,
        rows,
        programs: program_names(&st)
            .await
            .map_err(|e| PageError::new(e, lang))?,
        program,
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    Ok(private(r))
}
