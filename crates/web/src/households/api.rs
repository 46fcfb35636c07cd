//! The registry in the API: search households and read one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sejahtera_app::households;
use sejahtera_domain::codes::Code;
use sejahtera_domain::codes::{
    Disabilitas, Hubungan, JenisKelamin, Pendidikan, Sektor, StatusKawin,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::private_json;
use crate::auth::{MaybeUser, check_csrf_header};
use crate::error::{ApiError, limits};
use crate::openapi::{Csrf, ErrorEnvelope, doc_schema};
use crate::state::AppState;

type St = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

/// The registry API routes (each with its operation in the document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(household))
}

/// A search of the registry.
#[derive(Debug, Deserialize, ToSchema)]
struct SearchBody {
    /// A KK number, a NIK or a name.
    #[schema(max_length = 200)]
    q: String,
    #[schema(minimum = 1, maximum = 100_000, default = 1)]
    page: Option<u64>,
    #[schema(minimum = 1, maximum = 200, default = 50)]
    per_page: Option<u32>,
}

doc_schema!(
    /// A page of search results (`sejahtera_app::households::SearchPage`).
    SearchPageDoc = "HouseholdPage",
    json!({"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
        "items": {"type": "array", "items": {"type": "object", "properties": {"ref": {"type": "string"}, "no_kk": {"type": "string"}, "village": {"type": "string"},
            "village_name": {"type": "string"}, "head_name": {"type": ["string", "null"]}, "members": {"type": "integer"}}}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}})
);

/// A member of a household.
#[derive(Debug, Serialize, ToSchema)]
struct Member {
    nik: String,
    nama: String,
    #[schema(value_type = String)]
    jenis_kelamin: JenisKelamin,
    #[schema(format = Date)]
    tanggal_lahir: String,
    #[schema(value_type = Option<String>)]
    hubungan: Option<Hubungan>,
    #[schema(value_type = Option<String>)]
    pendidikan: Option<Pendidikan>,
    pekerjaan: Option<String>,
    #[schema(value_type = Option<String>)]
    sektor: Option<Sektor>,
    #[schema(value_type = Option<String>)]
    disabilitas: Option<Disabilitas>,
    #[schema(value_type = Option<String>)]
    status_kawin: Option<StatusKawin>,
    /// Data-quality flags, described.
    flags: Vec<&'static str>,
}

/// A household and its members.
#[derive(Debug, Serialize, ToSchema)]
struct HouseholdDetail {
    /// The pseudonymous reference.
    #[serde(rename = "ref")]
    reference: String,
    no_kk: String,
    kode_wilayah: String,
    village_name: String,
    rt: Option<String>,
    rw: Option<String>,
    alamat: Option<String>,
    /// Rupiah per month.
    pengeluaran_bulanan: i64,
    lantai: Option<&'static str>,
    dinding: Option<&'static str>,
    atap: Option<&'static str>,
    sumber_air: Option<&'static str>,
    sanitasi: Option<&'static str>,
    listrik: Option<&'static str>,
    bahan_bakar: Option<&'static str>,
    status_rumah: Option<&'static str>,
    members: Vec<Member>,
}

/// Search households by KK number, NIK or name within your villages (POST: the query never appears in a URL).
#[utoipa::path(post, path = "/households/search", tag = "registry", security(("session" = [])), params(Csrf),
    request_body = SearchBody,
    responses((status = 200, description = "A page of households", body = SearchPageDoc),
        (status = 400, description = "Unusable query", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Role may not read the registry, or missing CSRF token", body = ErrorEnvelope)))]
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

/// A household and its members.
#[utoipa::path(get, path = "/households/{reference}", tag = "registry", security(("session" = [])),
    params(("reference" = String, Path, description = "pseudonymous reference from a search")),
    responses((status = 200, description = "The household", body = HouseholdDetail),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Outside your villages", body = ErrorEnvelope),
        (status = 404, description = "Unknown reference", body = ErrorEnvelope)))]
async fn household(
    State(st): St,
    user: MaybeUser,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    let s = user.staff()?;
    let d = households::detail(&st.store, &st.regions, &s.actor, &reference).await?;
    let members = d
        .members
        .iter()
        .map(|p| Member {
            nik: p.nik.to_string(),
            nama: p.nama.clone(),
            jenis_kelamin: p.jenis_kelamin,
            tanggal_lahir: p.tanggal_lahir.to_string(),
            hubungan: p.hubungan,
            pendidikan: p.pendidikan,
            pekerjaan: p.pekerjaan.clone(),
            sektor: p.sektor,
            disabilitas: p.disabilitas,
            status_kawin: p.status_kawin,
            flags: p.flags.iter().map(|f| f.describe()).collect(),
        })
        .collect();
    let h = &d.household;
    Ok(private_json(HouseholdDetail {
        reference: d.reference,
        no_kk: h.no_kk.to_string(),
        kode_wilayah: h.kode_wilayah.to_string(),
        village_name: d.village_name,
        rt: h.rt.clone(),
        rw: h.rw.clone(),
        alamat: h.alamat.clone(),
        pengeluaran_bulanan: h.pengeluaran_bulanan.get(),
        lantai: h.lantai.map(|c| c.as_str()),
        dinding: h.dinding.map(|c| c.as_str()),
        atap: h.atap.map(|c| c.as_str()),
        sumber_air: h.sumber_air.map(|c| c.as_str()),
        sanitasi: h.sanitasi.map(|c| c.as_str()),
        listrik: h.listrik.map(|c| c.as_str()),
        bahan_bakar: h.bahan_bakar.map(|c| c.as_str()),
        status_rumah: h.status_rumah.map(|c| c.as_str()),
        members,
    }))
}
