//! The registry in the API: search households and read one.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use sejahtera_app::households;
use sejahtera_domain::codes::Code;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::private_json;
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, limits};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The registry API routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/households/search", post(search))
        .route("/households/{reference}", get(household))
}

#[derive(Debug, Deserialize)]
struct SearchBody {
    q: String,
    page: Option<u64>,
    per_page: Option<u32>,
}

async fn search(
    State(st): St,
    user: MaybeUser,
    headers: HeaderMap,
    Json(b): Json<SearchBody>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    check_csrf_header(&s, &headers)?;
    limits::text("q", &b.q, limits::SHORT)?;
    let (page, per_page, _) = limits::paging(b.page, b.per_page, 50, limits::MAX_SEARCH_PER_PAGE)?;
    let page = households::search(&st.store, &st.regions, &s.actor, &b.q, page, per_page).await?;
    Ok(private_json(page))
}

async fn household(
    State(st): St,
    user: MaybeUser,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    let d = households::detail(&st.store, &st.regions, &s.actor, &reference).await?;
    let members: Vec<Value> = d
        .members
        .iter()
        .map(|p| {
            json!({
                "nik": p.nik.to_string(),
                "nama": p.nama,
                "jenis_kelamin": p.jenis_kelamin,
                "tanggal_lahir": p.tanggal_lahir.to_string(),
                "hubungan": p.hubungan,
                "pendidikan": p.pendidikan,
                "pekerjaan": p.pekerjaan,
                "sektor": p.sektor,
                "disabilitas": p.disabilitas,
                "status_kawin": p.status_kawin,
                "flags": p.flags.iter().map(|f| f.describe()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let h = &d.household;
    Ok(private_json(json!({
        "ref": d.reference,
        "no_kk": h.no_kk.to_string(),
        "kode_wilayah": h.kode_wilayah.to_string(),
        "village_name": d.village_name,
        "rt": h.rt, "rw": h.rw, "alamat": h.alamat,
        "pengeluaran_bulanan": h.pengeluaran_bulanan.get(),
        "lantai": h.lantai.map(|c| c.as_str()), "dinding": h.dinding.map(|c| c.as_str()),
        "atap": h.atap.map(|c| c.as_str()), "sumber_air": h.sumber_air.map(|c| c.as_str()),
        "sanitasi": h.sanitasi.map(|c| c.as_str()), "listrik": h.listrik.map(|c| c.as_str()),
        "bahan_bakar": h.bahan_bakar.map(|c| c.as_str()), "status_rumah": h.status_rumah.map(|c| c.as_str()),
        "members": members,
    })))
}
