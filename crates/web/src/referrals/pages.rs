//! The referrals page partners use (`/staff/referrals`): the referrals
//! addressed to them, or of the programs staff may see, and moving one on.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sejahtera_app::accounts::SessionInfo;
use sejahtera_app::delivery::{self};
use sejahtera_domain::Rupiah;
use serde::Deserialize;

use super::api::{ReferralChange, change_referral};
use crate::auth::{MaybeUser, UiLang, check_csrf};
use crate::error::{Failure, PageError};
use crate::i18n::{Lang, Tr};
use crate::programs::{ReferralRow, after, date, referral_rows, render};
use crate::state::AppState;
use crate::views::Nav;
use crate::views::private;

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The referrals pages.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff/referrals", get(referrals_page))
        .route("/staff/referrals/{rid}", post(referral_status))
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ReferralsPage {
    t: Tr,
    nav: Nav,
    referrals: Vec<ReferralRow>,
    error: Option<String>,
    done: bool,
    today: String,
    back: String,
}

async fn referrals_view(
    st: &AppState,
    lang: Lang,
    s: &SessionInfo,
    error: Option<String>,
    done: bool,
) -> PageResult {
    let refs = delivery::referrals_for(&st.store, &s.actor, None)
        .await
        .map_err(|e| PageError::new(Failure::of_program(e), lang))?;
    let programs = st
        .store
        .programs()
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let partners = st
        .store
        .partners()
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let mut r = render(
        &ReferralsPage {
            t: Tr::new(lang),
            nav: Nav::new(lang, Some(s), "/staff/referrals"),
            referrals: referral_rows(refs, &programs, &partners),
            error,
            done,
            today: st.clock.today().to_string(),
            back: String::new(),
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(private(r))
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn referrals_page(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let s = user.required().map_err(|e| PageError::new(e, lang))?;
    if !s.actor.is_staff() && s.actor.partner.is_none() {
        return Err(PageError::new(
            Failure::Forbidden("referrals are for partners and staff".into()),
            lang,
        ));
    }
    referrals_view(&st, lang, &s, None, q.done.is_some()).await
}

#[derive(Deserialize)]
struct ReferralForm {
    #[serde(default)]
    csrf: String,
    status: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    date: String,
    /// Where to go back to: the program page or the referrals page.
    #[serde(default)]
    back: String,
}

async fn referral_status(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(rid): Path<i64>,
    axum::Form(f): axum::Form<ReferralForm>,
) -> PageResult {
    let s = user.required().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&f.csrf)).map_err(|e| PageError::new(e, lang))?;
    let r = async {
        let amount = match f.amount.trim() {
            "" => None,
            v => Some(
                Rupiah::parse(v)
                    .map_err(|e| Failure::BadRequest(format!("amount: {e}")))?
                    .get(),
            ),
        };
        let d = match f.date.trim() {
            "" => None,
            v => Some(date("date", v)?),
        };
        change_referral(
            &st,
            &s.actor,
            rid,
            &ReferralChange {
                status: f.status.clone(),
                result: Some(f.result.clone()),
                amount,
                date: d,
            },
        )
        .await
    }
    .await;
    // Partners have no program page to go back to.
    let back = f
        .back
        .parse::<i64>()
        .ok()
        .filter(|_| s.actor.is_staff())
        .ok_or(());
    match (r, back) {
        (Ok(_), Ok(program)) => Ok(Redirect::to(&format!(
            "/staff/programs/{program}?done=referral_status"
        ))
        .into_response()),
        (Ok(_), Err(_)) => Ok(Redirect::to("/staff/referrals?done=1").into_response()),
        (Err(e), _) if e.is_ours() || e.is_forbidden() || e.is_missing() => {
            Err(PageError::new(e, lang))
        }
        (Err(e), Ok(program)) => after(&st, lang, &s, program, "referral_status", Err(e)).await,
        (Err(e), Err(_)) => referrals_view(&st, lang, &s, Some(e.message(lang)), false).await,
    }
}
