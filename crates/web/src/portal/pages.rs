//! The public portal's pages: the home page with the map and the province's
//! regencies, a region's dashboard, the style sheet and the language switch.
//! No sign-in, aggregates only.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sejahtera_domain::RegionCode;
use sejahtera_domain::region::Level;
use serde::Deserialize;

use crate::auth::{LANG_COOKIE, MaybeUser, UiLang, set_cookie};
use crate::error::{Failure, PageError};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::views::html;
use crate::views::{Nav, RegionView, region_view};

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The portal pages.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(index))
        .route("/wilayah/{code}", get(region))
        .route("/static/style.css", get(style))
        .route("/lang/{lang}", get(set_lang))
}

const STYLE: &str = include_str!("../../static/style.css");

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    t: Tr,
    nav: Nav,
    regencies: Vec<sejahtera_app::indicators::RegionFigures>,
}

async fn index(State(st): St, UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let run = async {
        let tables = st.indicators().await?;
        let regencies = st
            .regions
            .iter()
            .filter(|r| r.level == Level::Regency)
            .filter_map(|r| tables.get(&r.code).cloned())
            .collect();
        html(&IndexPage {
            t: Tr::new(lang),
            nav: Nav::new(lang, user.0.as_ref(), "/"),
            regencies,
        })
    };
    run.await.map_err(|e| PageError::new(e, lang))
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    t: Tr,
    nav: Nav,
    v: RegionView,
}

async fn region(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(code): Path<String>,
) -> PageResult {
    let run = async {
        let code = RegionCode::parse(&code).map_err(|_| Failure::NotFound)?;
        if st.regions.get(&code).is_none() {
            return Err(Failure::NotFound);
        }
        let tables = st.indicators().await?;
        let t = Tr::new(lang);
        let v = region_view(&t, &tables, &st.regions, &st.maps, &code).ok_or(Failure::NotFound)?;
        html(&RegionPage {
            t,
            nav: Nav::new(lang, user.0.as_ref(), &format!("/wilayah/{code}")),
            v,
        })
    };
    run.await.map_err(|e| PageError::new(e, lang))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// A local path to return to (never another site): a path of at most 512
/// visible ASCII characters starting with one `/`. Browsers drop tabs and line
/// breaks from a `Location` and read `\` as `/`, so `/\t/evil.com` would leave
/// the site: any control character, space, non-ASCII or backslash sends the
/// visitor to `/` instead.
fn local_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.len() <= 512
                && n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n
        }
        _ => "/",
    }
}

async fn set_lang(Path(lang): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    let mut r = Redirect::to(local_next(q.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.code(),
        365 * 24 * 3600,
        false,
        false,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::local_next;

    #[test]
    fn open_redirect_through_lang_next_is_closed() {
        for evil in [
            "//evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "/\\evil.com",
            "/\u{7f}/x",
            "/ /evil.com",
            "https://evil.com",
            "evil.com",
            "/é",
        ] {
            assert_eq!(local_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(local_next(Some(&format!("/{}", "a".repeat(600)))), "/");
        assert_eq!(local_next(Some("/program/3?x=1")), "/program/3?x=1");
        assert_eq!(local_next(None), "/");
    }
}
