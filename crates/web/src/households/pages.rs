//! The registry pages: search households within your villages and read one
//! household with its members.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use sejahtera_app::households::{self, SearchPage};
use sejahtera_domain::codes::Code;
use serde::Deserialize;

use crate::auth::{MaybeUser, UiLang, check_csrf};
use crate::error::PageError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::Nav;
use crate::views::{html, private};

type St = State<Arc<AppState>>;
type PageResult = Result<Response, PageError>;

/// The registry pages.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff/households", get(search_form).post(search))
        .route("/staff/households/{reference}", get(household))
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPageView {
    t: Tr,
    nav: Nav,
    q: String,
    error: Option<String>,
    results: Option<SearchPage>,
}

async fn search_form(UiLang(lang): UiLang, user: MaybeUser) -> PageResult {
    let s = user
        .registry_reader()
        .map_err(|e| PageError::new(e, lang))?;
    html(&SearchPageView {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/households"),
        q: String::new(),
        error: None,
        results: None,
    })
    .map(private)
    .map_err(|e| PageError::new(e, lang))
}

#[derive(Deserialize)]
struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
    page: Option<u64>,
}

/// Search is a POST: a NIK, KK number or name typed here never lands in a URL,
/// a browser history or an access log.
async fn search(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    axum::Form(form): axum::Form<SearchForm>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    check_csrf(&s, Some(&form.csrf)).map_err(|e| PageError::new(e, lang))?;
    crate::error::limits::paging(form.page, None, 50, 50).map_err(|e| PageError::new(e, lang))?;
    let result = households::search(
        &st.store,
        &st.regions,
        &s.actor,
        &form.q,
        form.page.unwrap_or(1),
        50,
    )
    .await;
    let (results, error, status) = match result {
        Ok(r) => (Some(r), None, StatusCode::OK),
        Err(households::AccessError::BadQuery(m)) => (None, Some(m), StatusCode::BAD_REQUEST),
        Err(e) => return Err(PageError::new(e, lang)),
    };
    let mut r = html(&SearchPageView {
        t: Tr::new(lang),
        nav: Nav::new(lang, Some(&s), "/staff/households"),
        q: form.q.clone(),
        error,
        results,
    })
    .map_err(|e| PageError::new(e, lang))?;
    *r.status_mut() = status;
    Ok(private(r))
}

struct MemberRow {
    nik: String,
    name: String,
    sex: &'static str,
    birth: String,
    relation: String,
    education: String,
    work: String,
    flags: String,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    t: Tr,
    nav: Nav,
    h: HouseholdHead,
    village: String,
    address: String,
    consumption: String,
    housing: String,
    members: Vec<MemberRow>,
}

struct HouseholdHead {
    no_kk: String,
}

fn opt<C: Code>(c: Option<C>) -> &'static str {
    c.map(|c| c.as_str()).unwrap_or("—")
}

async fn household(
    State(st): St,
    UiLang(lang): UiLang,
    user: MaybeUser,
    Path(reference): Path<String>,
) -> PageResult {
    let s = user.staff().map_err(|e| PageError::new(e, lang))?;
    let d = households::detail(&st.store, &st.regions, &s.actor, &reference)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let t = Tr::new(lang);
    let hh = &d.household;
    let address = [
        hh.alamat.clone().unwrap_or_default(),
        hh.rt
            .as_ref()
            .map(|v| format!("RT {v}"))
            .unwrap_or_default(),
        hh.rw
            .as_ref()
            .map(|v| format!("RW {v}"))
            .unwrap_or_default(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let housing = format!(
        "lantai {}, dinding {}, atap {}, air {}, sanitasi {}, listrik {}, bahan bakar {}, status {}",
        opt(hh.lantai),
        opt(hh.dinding),
        opt(hh.atap),
        opt(hh.sumber_air),
        opt(hh.sanitasi),
        opt(hh.listrik),
        opt(hh.bahan_bakar),
        opt(hh.status_rumah)
    );
    let members = d
        .members
        .iter()
        .map(|p| MemberRow {
            nik: p.nik.to_string(),
            name: p.nama.clone(),
            sex: t.t(&format!("sex.{}", p.jenis_kelamin.as_str())),
            birth: t.date(p.tanggal_lahir),
            relation: opt(p.hubungan).to_string(),
            education: opt(p.pendidikan).to_string(),
            work: p.pekerjaan.clone().unwrap_or_else(|| "—".into()),
            flags: if p.flags.is_empty() {
                t.t("hh.none").to_string()
            } else {
                p.flags_text()
            },
        })
        .collect();
    let page = HouseholdPage {
        nav: Nav::new(lang, Some(&s), "/staff/households"),
        h: HouseholdHead {
            no_kk: hh.no_kk.to_string(),
        },
        village: format!("{} ({})", d.village_name, hh.kode_wilayah),
        address,
        consumption: t.rupiah(hh.pengeluaran_bulanan.get()),
        housing,
        members,
        t,
    };
    html(&page)
        .map(private)
        .map_err(|e| PageError::new(e, lang))
}
