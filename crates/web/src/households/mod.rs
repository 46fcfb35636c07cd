//! The household registry: search and read households within your villages
//! (pages and API).

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
pub(crate) use pages::routes;
