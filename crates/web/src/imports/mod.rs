//! Registry imports: upload households or persons files (the import page and
//! the API) and read the rejects report.

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
pub(crate) use pages::csv_download;
pub(crate) use pages::routes;
