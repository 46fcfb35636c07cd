//! Delivery partners (API).

mod api;

pub(crate) use api::routes as api_routes;
